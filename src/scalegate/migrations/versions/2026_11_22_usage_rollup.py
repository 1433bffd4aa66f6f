"""usage rollup: daily aggregates next to the hourly ones

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 21:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import scalegate.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = (
    "events",
    "human_reviewed",
    "guardrail_triggered",
    "input_tokens",
    "output_tokens",
    "cost",
    "duration_s",
)


def upgrade() -> None:
    usage_day = op.create_table(
        "usage_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("initiative", sa.String(length=63), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("assisted", sa.Boolean(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("human_reviewed", sa.Integer(), nullable=False),
        sa.Column("guardrail_triggered", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("latency", scalegate.db.JSONType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_day")),
        sa.UniqueConstraint(
            "initiative", "day", "model", "outcome", "assisted", name="uq_usage_day_key"
        ),
    )
    assert usage_day is not None
    _backfill(usage_day)


def _backfill(usage_day: sa.Table) -> None:
    """Fold the hourly rows already stored into days (UTC), a day at a time."""
    usage_hour = sa.table(
        "usage_hour",
        sa.column("initiative", sa.String()),
        sa.column("hour", scalegate.db.UTCDateTime()),
        sa.column("model", sa.String()),
        sa.column("outcome", sa.String()),
        sa.column("assisted", sa.Boolean()),
        *(
            sa.column(name, sa.Float() if name in ("cost", "duration_s") else sa.Integer())
            for name in SUMS
        ),
        sa.column("latency", scalegate.db.JSONType),
    )
    bind = op.get_bind()
    days: dict[tuple[Any, ...], dict[str, Any]] = {}
    current: tuple[str, Any] | None = None
    rows = bind.execute(sa.select(usage_hour).order_by(usage_hour.c.initiative, usage_hour.c.hour))
    for row in rows:
        day = (row.initiative, row.hour.date())
        if day != current and days:
            bind.execute(usage_day.insert(), list(_stored(days)))
            days = {}
        current = day
        key = (row.initiative, row.hour.date(), row.model, row.outcome, row.assisted)
        into = days.setdefault(key, dict.fromkeys(SUMS, 0) | {"latency": {}})
        for name in SUMS:
            into[name] += getattr(row, name)
        for bucket, count in (row.latency or {}).items():
            into["latency"][int(bucket)] = into["latency"].get(int(bucket), 0) + count
    if days:
        bind.execute(usage_day.insert(), list(_stored(days)))


def _stored(days: dict[tuple[Any, ...], dict[str, Any]]) -> Any:
    for (initiative, day, model, outcome, assisted), sums in sorted(days.items()):
        latency = sums.pop("latency")
        yield {
            "initiative": initiative,
            "day": day,
            "model": model,
            "outcome": outcome,
            "assisted": assisted,
            **sums,
            "latency": {str(key): latency[key] for key in sorted(latency)},
        }


def downgrade() -> None:
    op.drop_table("usage_day")
