"""slo reliability

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 21:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scalegate.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "openslo_object",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("spec", scalegate.db.JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openslo_object")),
        sa.UniqueConstraint("kind", "name", name="uq_openslo_object_kind_name"),
    )
    op.create_table(
        "sli_record",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("slo", sa.String(length=63), nullable=False),
        sa.Column("at", scalegate.db.UTCDateTime(), nullable=False),
        sa.Column("good", sa.Float(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sli_record")),
    )
    op.create_index("ix_sli_record_series", "sli_record", ["slo", "at"], unique=False)
    op.create_table(
        "sli_hour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slo", sa.String(length=63), nullable=False),
        sa.Column("hour", scalegate.db.UTCDateTime(), nullable=False),
        sa.Column("good", sa.Float(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sli_hour")),
        sa.UniqueConstraint("slo", "hour", name="uq_sli_hour_key"),
    )
    op.create_table(
        "slo_alert_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.String(length=140), nullable=False),
        sa.Column("alert", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("firing", sa.Boolean(), nullable=False),
        sa.Column("at", scalegate.db.UTCDateTime(), nullable=False),
        sa.Column("long_burn", sa.Float(), nullable=True),
        sa.Column("short_burn", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slo_alert_change")),
    )
    op.create_index(
        "ix_slo_alert_change_alert", "slo_alert_change", ["objective", "alert", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_slo_alert_change_alert", table_name="slo_alert_change")
    op.drop_table("slo_alert_change")
    op.drop_table("sli_hour")
    op.drop_index("ix_sli_record_series", table_name="sli_record")
    op.drop_table("sli_record")
    op.drop_table("openslo_object")
