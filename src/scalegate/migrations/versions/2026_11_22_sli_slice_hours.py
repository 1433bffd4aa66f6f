"""sli slice hours

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scalegate.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sli_slice_hour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slo", sa.String(length=63), nullable=False),
        sa.Column("slice_seconds", sa.Integer(), nullable=False),
        sa.Column("good_target", sa.Float(), nullable=False),
        sa.Column("hour", scalegate.db.UTCDateTime(), nullable=False),
        sa.Column("measured", sa.Integer(), nullable=False),
        sa.Column("good", sa.Integer(), nullable=False),
        sa.Column("ratio_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sli_slice_hour")),
        sa.UniqueConstraint(
            "slo", "slice_seconds", "good_target", "hour", name="uq_sli_slice_hour_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("sli_slice_hour")
