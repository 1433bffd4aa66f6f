"""Usage figures for an initiative, read from the hourly aggregates."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.core.usage import (
    DailyUsers,
    LatencyHistogram,
    UsageBucket,
    model_status,
    usage_figures,
)
from scalegate.db import transaction
from scalegate.errors import NotFound
from scalegate.portfolio.models import Initiative
from scalegate.usage.models import ModelEntry, UsageHour, UsageUser

WINDOW_DAYS = 28
# Weekly repeat users and 28-day actives look back further than the window itself.
LOOKBACK_DAYS = 35


def _catalog(session: Session) -> dict[str, tuple[str, frozenset[str]]]:
    return {
        m.name: (m.status, frozenset(m.allowed_data_classes or []))
        for m in session.scalars(select(ModelEntry))
    }


def _figures(session: Session, row: Initiative, as_of: datetime) -> dict[str, Any]:
    since = as_of - timedelta(days=LOOKBACK_DAYS)
    buckets = [
        UsageBucket(
            h.hour,
            h.model or None,
            h.outcome,
            h.assisted,
            h.events,
            h.human_reviewed,
            h.guardrail_triggered,
            h.input_tokens,
            h.output_tokens,
            h.cost,
            h.duration_s,
            LatencyHistogram.from_json(h.latency).buckets,
            row.theme.name,
        )
        for h in session.scalars(
            select(UsageHour).where(
                UsageHour.initiative == row.name, UsageHour.hour > since, UsageHour.hour <= as_of
            )
        )
    ]
    users: dict[date, set[str]] = defaultdict(set)
    for day, user in session.execute(
        select(UsageUser.day, UsageUser.user).where(
            UsageUser.initiative == row.name,
            UsageUser.day > since.date(),
            UsageUser.day <= as_of.date(),
        )
    ):
        users[day].add(user)
    catalog = _catalog(session)
    data_classes = row.data_classes or []
    seen = sorted(
        {b.model for b in buckets if b.model and b.hour > as_of - timedelta(days=WINDOW_DAYS)}
    )
    statuses = {m: model_status(m, catalog, data_classes) for m in seen}
    figures = usage_figures(
        buckets,
        [DailyUsers(day, frozenset(names)) for day, names in sorted(users.items())],
        as_of,
        WINDOW_DAYS,
        row.target_cohort_size,
        frozenset(m for m, status in statuses.items() if status == "approved"),
    ).as_dict()
    figures["models"] = [{"name": m, "status": statuses[m]} for m in seen]
    return figures


def usage_for(
    factory: sessionmaker[Session], name: str, as_of: datetime | None = None
) -> dict[str, Any]:
    """`scalegate metrics usage`: adoption, operational, economics and trust figures."""
    when = as_of or datetime.now(UTC)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    with transaction(factory) as session:
        row = session.scalar(select(Initiative).where(Initiative.name == name))
        if row is None:
            raise NotFound(f"no initiative named {name}")
        return {"initiative": name, "as_of": when.isoformat(), **_figures(session, row, when)}


def usage_evidence(session: Session, row: Initiative, as_of: datetime) -> dict[str, Any] | None:
    """`evidence.usage`: the same figures; None when the initiative never reported usage."""
    if (
        session.scalar(select(UsageHour.id).where(UsageHour.initiative == row.name).limit(1))
        is None
    ):
        return None
    return _figures(session, row, as_of)
