"""evaluation evidence: evaluation runs and security scans

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:25:47.955820
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scalegate.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "eval_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ingest_key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("initiative", sa.String(length=63), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("suite", sa.String(length=300), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=True),
        sa.Column("started_at", scalegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", scalegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tool_version", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("assets", scalegate.db.JSONType, nullable=False),
        sa.Column("providers", scalegate.db.JSONType, nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errored", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("metrics", scalegate.db.JSONType, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_run")),
        sa.UniqueConstraint("ingest_key", "position", name="uq_eval_run_ingest"),
    )
    with op.batch_alter_table("eval_run", schema=None) as batch_op:
        batch_op.create_index("ix_eval_run_initiative", ["initiative", "recorded_at"], unique=False)

    op.create_table(
        "security_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ingest_key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("initiative", sa.String(length=63), nullable=False),
        sa.Column("tool", sa.String(length=100), nullable=False),
        sa.Column("tool_version", sa.String(length=100), nullable=True),
        sa.Column("started_at", scalegate.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", scalegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("execution_successful", sa.Boolean(), nullable=False),
        sa.Column("counts", scalegate.db.JSONType, nullable=False),
        sa.Column("security", scalegate.db.JSONType, nullable=False),
        sa.Column("suppressed", sa.Integer(), nullable=False),
        sa.Column("artifact_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_scan")),
        sa.UniqueConstraint("ingest_key", "position", name="uq_security_scan_ingest"),
    )
    with op.batch_alter_table("security_scan", schema=None) as batch_op:
        batch_op.create_index(
            "ix_security_scan_initiative", ["initiative", "recorded_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("security_scan", schema=None) as batch_op:
        batch_op.drop_index("ix_security_scan_initiative")

    op.drop_table("security_scan")
    with op.batch_alter_table("eval_run", schema=None) as batch_op:
        batch_op.drop_index("ix_eval_run_initiative")

    op.drop_table("eval_run")
