"""asset library: assets, versions, labels, asset policies, declared and observed uses

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:04:26.526301
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import scalegate.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "asset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=320), nullable=True),
        sa.Column("tags", scalegate.db.JSONType, nullable=False),
        sa.Column("origin", sa.String(length=63), nullable=True),
        sa.Column("lifecycle", sa.String(length=16), nullable=False),
        sa.Column("described", scalegate.db.JSONType, nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("latest", sa.Integer(), nullable=False),
        sa.Column("created_at", scalegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", scalegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset")),
        sa.UniqueConstraint("name", name=op.f("uq_asset_name")),
    )
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_origin"), ["origin"], unique=False)
        batch_op.create_index(batch_op.f("ix_asset_type"), ["type"], unique=False)

    op.create_table(
        "asset_policy_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("spec", scalegate.db.JSONType, nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", scalegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_policy_version")),
        sa.UniqueConstraint("name", "version", name="uq_asset_policy_version_name"),
    )
    with op.batch_alter_table("asset_policy_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_asset_policy_version_current"), ["current"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_asset_policy_version_name"), ["name"], unique=False)

    op.create_table(
        "usage_asset_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("initiative", sa.String(length=63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("via_prompt", sa.Boolean(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("model_calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_asset_day")),
        sa.UniqueConstraint(
            "asset", "day", "initiative", "version", "via_prompt", name="uq_usage_asset_day_key"
        ),
    )
    with op.batch_alter_table("usage_asset_day", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_asset_day_day",
            ["day", "asset", "initiative", "version", "via_prompt", "calls", "model_calls"],
            unique=False,
        )

    op.create_table(
        "asset_label",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
            name=op.f("fk_asset_label_asset_id_asset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_label")),
        sa.UniqueConstraint("asset_id", "label", name="uq_asset_label_name"),
    )
    op.create_table(
        "asset_label_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("moved_by", sa.String(length=320), nullable=False),
        sa.Column("moved_at", scalegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("evaluation", scalegate.db.JSONType, nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
            name=op.f("fk_asset_label_move_asset_id_asset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_label_move")),
    )
    with op.batch_alter_table("asset_label_move", schema=None) as batch_op:
        batch_op.create_index("ix_asset_label_move_asset", ["asset_id", "moved_at"], unique=False)

    op.create_table(
        "asset_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("artifact_url", sa.String(length=2000), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", scalegate.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("change", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["asset.id"],
            name=op.f("fk_asset_version_asset_id_asset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_version")),
        sa.UniqueConstraint("asset_id", "version", name="uq_asset_version_number"),
    )
    op.create_table(
        "initiative_asset_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("asset", sa.String(length=63), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["initiative_id"],
            ["initiative.id"],
            name=op.f("fk_initiative_asset_use_initiative_id_initiative"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initiative_asset_use")),
    )
    with op.batch_alter_table("initiative_asset_use", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_initiative_asset_use_asset"), ["asset"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_initiative_asset_use_initiative_id"), ["initiative_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("initiative_asset_use", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_initiative_asset_use_initiative_id"))
        batch_op.drop_index(batch_op.f("ix_initiative_asset_use_asset"))

    op.drop_table("initiative_asset_use")
    op.drop_table("asset_version")
    with op.batch_alter_table("asset_label_move", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_label_move_asset")

    op.drop_table("asset_label_move")
    op.drop_table("asset_label")
    with op.batch_alter_table("usage_asset_day", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_asset_day_day")

    op.drop_table("usage_asset_day")
    with op.batch_alter_table("asset_policy_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_policy_version_name"))
        batch_op.drop_index(batch_op.f("ix_asset_policy_version_current"))

    op.drop_table("asset_policy_version")
    with op.batch_alter_table("asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_type"))
        batch_op.drop_index(batch_op.f("ix_asset_origin"))

    op.drop_table("asset")
