"""Storing `usage` events as hourly aggregates, daily distinct users and seen ids."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from scalegate.core.usage import LatencyHistogram, event_cost
from scalegate.errors import Problem
from scalegate.evidence.schemas import BaseEvent
from scalegate.evidence.service import IngestResult, existing_ids, insert_rows, stores
from scalegate.portfolio.models import Initiative
from scalegate.settings import get_settings
from scalegate.usage.models import ModelEntry, UsageHour, UsageSeen, UsageUser
from scalegate.usage.schemas import UsageEvent

HourKey = tuple[str, datetime, str, str, bool]


def user_key(user: str, hashed: bool = True) -> str:
    """What is stored for a user: a SHA-256 digest, unless SCALEGATE_HASH_USER_IDS is false."""
    if not hashed:
        return user
    return "sha256:" + hashlib.sha256(user.encode("utf-8")).hexdigest()[:40]


@dataclass
class _Hour:
    events: int = 0
    human_reviewed: int = 0
    guardrail_triggered: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    duration_s: float = 0.0
    latency: LatencyHistogram = field(default_factory=LatencyHistogram)

    def add(self, e: UsageEvent, cost: float) -> None:
        self.events += 1
        self.human_reviewed += int(bool(e.human_reviewed))
        self.guardrail_triggered += int(bool(e.guardrail_triggered))
        self.input_tokens += e.input_tokens or 0
        self.output_tokens += e.output_tokens or 0
        self.cost += cost
        self.duration_s += e.duration_s or 0.0
        if e.latency_ms is not None:
            self.latency.add(e.latency_ms)


def _prices(session: Session) -> dict[str, tuple[float | None, float | None]]:
    return {
        name: (inp, out)
        for name, inp, out in session.execute(
            select(ModelEntry.name, ModelEntry.input_price, ModelEntry.output_price)
        )
    }


def priced(event: UsageEvent, prices: dict[str, tuple[float | None, float | None]]) -> float:
    """The event's cost: as sent, else from the catalog's prices per million tokens, else 0."""
    if event.cost is not None:
        return event.cost
    inp, out = prices.get(event.model or "", (None, None))
    if inp is None and out is None:
        return 0.0
    return event_cost(event.input_tokens or 0, event.output_tokens or 0, inp or 0.0, out or 0.0)


def _merge_hours(session: Session, hours: dict[HourKey, _Hour]) -> None:
    """Add the batch's hours to the stored ones: update the rows that exist, insert the rest."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for initiative, moment, *_ in hours:
        lo, hi = spans.get(initiative, (moment, moment))
        spans[initiative] = (min(lo, moment), max(hi, moment))
    found: dict[HourKey, Any] = {}
    for initiative, (lo, hi) in spans.items():
        # One plain range query per initiative: cached by SQLAlchemy, served by the index.
        rows = session.execute(
            select(
                UsageHour.id,
                UsageHour.initiative,
                UsageHour.hour,
                UsageHour.model,
                UsageHour.outcome,
                UsageHour.assisted,
                UsageHour.events,
                UsageHour.human_reviewed,
                UsageHour.guardrail_triggered,
                UsageHour.input_tokens,
                UsageHour.output_tokens,
                UsageHour.cost,
                UsageHour.duration_s,
                UsageHour.latency,
            ).where(UsageHour.initiative == initiative, UsageHour.hour >= lo, UsageHour.hour <= hi)
        )
        for stored in rows:
            key = (stored.initiative, stored.hour, stored.model, stored.outcome, stored.assisted)
            if key in hours:
                found[key] = stored
    fresh: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for key, hour in hours.items():
        row = found.get(key)
        if row is None:
            initiative, moment, model, outcome, assisted = key
            fresh.append(
                {
                    "initiative": initiative,
                    "hour": moment,
                    "model": model,
                    "outcome": outcome,
                    "assisted": assisted,
                    "events": hour.events,
                    "human_reviewed": hour.human_reviewed,
                    "guardrail_triggered": hour.guardrail_triggered,
                    "input_tokens": hour.input_tokens,
                    "output_tokens": hour.output_tokens,
                    "cost": hour.cost,
                    "duration_s": hour.duration_s,
                    "latency": hour.latency.to_json(),
                }
            )
            continue
        merged = LatencyHistogram.from_json(row.latency)
        merged.merge(hour.latency)
        changed.append(
            {
                "id": row.id,
                "events": row.events + hour.events,
                "human_reviewed": row.human_reviewed + hour.human_reviewed,
                "guardrail_triggered": row.guardrail_triggered + hour.guardrail_triggered,
                "input_tokens": row.input_tokens + hour.input_tokens,
                "output_tokens": row.output_tokens + hour.output_tokens,
                "cost": row.cost + hour.cost,
                "duration_s": row.duration_s + hour.duration_s,
                "latency": merged.to_json(),
            }
        )
    insert_rows(session, UsageHour, fresh)
    if changed:
        # An ORM bulk UPDATE by primary key: one executemany, no objects loaded.
        session.execute(update(UsageHour), changed)


def _add_users(session: Session, users: set[tuple[str, date, str]]) -> None:
    """Record who was active on which day, once per (initiative, day, user)."""
    spans: dict[str, tuple[date, date]] = {}
    for initiative, day, _ in users:
        lo, hi = spans.get(initiative, (day, day))
        spans[initiative] = (min(lo, day), max(hi, day))
    known: set[tuple[str, date, str]] = set()
    for initiative, (lo, hi) in spans.items():
        known.update(
            (initiative, day, user)
            for day, user in session.execute(
                select(UsageUser.day, UsageUser.user).where(
                    UsageUser.initiative == initiative, UsageUser.day >= lo, UsageUser.day <= hi
                )
            )
        )
    rows = [{"initiative": i, "day": d, "user": u} for i, d, u in sorted(users - known)]
    insert_rows(session, UsageUser, rows)


@stores("usage")
def store_usage(
    session: Session, events: list[tuple[int, BaseEvent]], result: IngestResult
) -> list[Problem]:
    """Fold new usage events into the hourly aggregates; a known id is a duplicate."""
    typed = [(line, e) for line, e in events if isinstance(e, UsageEvent)]
    initiatives = set(session.scalars(select(Initiative.name)))
    problems = [
        Problem("initiative", f"no initiative named {e.initiative}", line=line)
        for line, e in typed
        if e.initiative not in initiatives
    ]
    if problems:
        return problems
    known = existing_ids(session, UsageSeen.id, [e.id for _, e in typed])
    fresh = [e for _, e in typed if e.id not in known]
    prices = _prices(session)
    hours: dict[HourKey, _Hour] = defaultdict(_Hour)
    users: set[tuple[str, date, str]] = set()
    hashed = get_settings().hash_user_ids  # once per batch: reading settings is slow
    for e in fresh:
        hour = e.at.replace(minute=0, second=0, microsecond=0)
        hours[(e.initiative, hour, e.model or "", e.outcome, e.assisted)].add(e, priced(e, prices))
        users.add((e.initiative, e.at.date(), user_key(e.user, hashed)))
    _merge_hours(session, hours)
    _add_users(session, users)
    insert_rows(session, UsageSeen, [{"id": e.id} for e in fresh])
    result.record("usage", len(fresh), len(typed) - len(fresh))
    return []
