"""Usage figures for an initiative, read from the daily and hourly aggregates."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.core.usage import (
    DailyUsers,
    UsageBucket,
    model_status,
    usage_figures,
)
from scalegate.db import transaction
from scalegate.evaluations.service import evidence_of
from scalegate.portfolio.models import Initiative, initiative_named
from scalegate.usage.models import SUMS, ModelEntry, UsageDay, UsageHour, UsageUser

WINDOW_DAYS = 28
# User days read: the window's, and at least the 28 dates that active_users_28d counts.
USER_DAYS = max(WINDOW_DAYS, 28)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SUM_COLUMNS = ("model", "outcome", "assisted", *SUMS, "latency")


def _catalog(session: Session) -> dict[str, tuple[str, frozenset[str]]]:
    return {
        name: (status, frozenset(allowed or []))
        for name, status, allowed in session.execute(
            select(ModelEntry.name, ModelEntry.status, ModelEntry.allowed_data_classes)
        )
    }


def whole_days(start: datetime, end: datetime) -> tuple[date, date] | None:
    """The first and last UTC dates all of whose hours fall in (start, end], or None when
    there is none or when end is not in UTC (the weekly series then cut days elsewhere)."""
    offset = end.utcoffset()
    if not isinstance(end.tzinfo, timezone) or offset is None or offset:
        return None
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first = start.date() + DAY  # its midnight is after start; start's own midnight is not
    last = end.date() if end.hour == 23 else end.date() - DAY  # its 23:00 is at or before end
    return (first, last) if first <= last else None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _buckets(
    session: Session, name: str, theme: str | None, start: datetime, end: datetime
) -> list[UsageBucket]:
    """The aggregates of (start, end]: daily rows for whole UTC days, hourly ones around them.

    A daily row stands for its day's hours, so it is given the day's midnight as its hour:
    inside the window, and in the day's ISO week."""
    hours = [(start, end)]
    days = whole_days(start, end)
    if days is not None:
        hours = [(start, _midnight(days[0]) - HOUR), (_midnight(days[1]) + DAY - HOUR, end)]
    rows: list[tuple[datetime, Any]] = []
    for lo, hi in hours:
        if hi <= lo:
            continue
        columns = [UsageHour.hour, *(getattr(UsageHour, c) for c in SUM_COLUMNS)]
        found = session.connection().execute(
            select(*columns).where(
                UsageHour.initiative == name, UsageHour.hour > lo, UsageHour.hour <= hi
            )
        )
        rows += [(row[0], row) for row in found]
    if days is not None:
        columns = [UsageDay.day, *(getattr(UsageDay, c) for c in SUM_COLUMNS)]
        found = session.connection().execute(
            select(*columns).where(
                UsageDay.initiative == name, UsageDay.day >= days[0], UsageDay.day <= days[1]
            )
        )
        rows += [(_midnight(row[0]), row) for row in found]
    return [
        UsageBucket(
            moment,
            row.model or None,
            row.outcome,
            row.assisted,
            row.events,
            row.human_reviewed,
            row.guardrail_triggered,
            row.input_tokens,
            row.output_tokens,
            row.cost,
            row.duration_s,
            {int(key): count for key, count in row.latency.items()},
            theme,
        )
        for moment, row in rows
    ]


def _figures(session: Session, row: Initiative, as_of: datetime) -> dict[str, Any]:
    start = as_of - timedelta(days=WINDOW_DAYS)
    buckets = _buckets(session, row.name, row.theme.name, start, as_of)
    users: dict[date, set[str]] = defaultdict(set)
    for day, user in session.connection().execute(
        select(UsageUser.day, UsageUser.user).where(
            UsageUser.initiative == row.name,
            UsageUser.day > as_of.date() - timedelta(days=USER_DAYS),
            UsageUser.day <= as_of.date(),
        )
    ):
        users[day].add(user)
    catalog = _catalog(session)
    data_classes = row.data_classes or []
    seen = sorted({b.model for b in buckets if b.model})
    statuses = {m: model_status(m, catalog, data_classes) for m in seen}
    evaluations = evidence_of(session, row.name, as_of)["evaluations"]
    figures = usage_figures(
        buckets,
        [DailyUsers(day, frozenset(names)) for day, names in sorted(users.items())],
        as_of,
        WINDOW_DAYS,
        row.target_cohort_size,
        frozenset(m for m, status in statuses.items() if status == "approved"),
        evaluations["passRate"],
        evaluations["passRateLower95"],
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
        row = initiative_named(session, name)
        return {"initiative": name, "as_of": when.isoformat(), **_figures(session, row, when)}


def usage_evidence(session: Session, row: Initiative, as_of: datetime) -> dict[str, Any] | None:
    """`evidence.usage`: the same figures; None when the initiative never reported usage."""
    if (
        session.scalar(select(UsageHour.id).where(UsageHour.initiative == row.name).limit(1))
        is None
    ):
        return None
    return _figures(session, row, as_of)
