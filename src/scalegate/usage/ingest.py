"""Storing `usage` events as hourly aggregates, daily distinct users and seen ids."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from scalegate.core.usage import LatencyHistogram, event_cost
from scalegate.errors import Problem
from scalegate.evidence.schemas import BaseEvent
from scalegate.evidence.service import CHUNK, IngestResult, existing_ids, stores
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
    keys = list(hours)
    found: dict[HourKey, UsageHour] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        clause = or_(
            *(
                and_(UsageHour.initiative == k[0], UsageHour.hour == k[1])
                for k in {(k[0], k[1]) for k in chunk}
            )
        )
        for stored in session.scalars(select(UsageHour).where(clause)):
            found[
                (stored.initiative, stored.hour, stored.model, stored.outcome, stored.assisted)
            ] = stored
    fresh: list[dict[str, Any]] = []
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
        row.events += hour.events
        row.human_reviewed += hour.human_reviewed
        row.guardrail_triggered += hour.guardrail_triggered
        row.input_tokens += hour.input_tokens
        row.output_tokens += hour.output_tokens
        row.cost += hour.cost
        row.duration_s += hour.duration_s
        merged = LatencyHistogram.from_json(row.latency)
        merged.merge(hour.latency)
        row.latency = merged.to_json()
    for start in range(0, len(fresh), CHUNK):
        session.execute(insert(UsageHour), fresh[start : start + CHUNK])


def _add_users(session: Session, users: set[tuple[str, date, str]]) -> None:
    by_day: dict[tuple[str, date], set[str]] = defaultdict(set)
    for initiative, day, user in users:
        by_day[(initiative, day)].add(user)
    rows = []
    for (initiative, day), names in by_day.items():
        known = set(
            session.scalars(
                select(UsageUser.user).where(
                    UsageUser.initiative == initiative, UsageUser.day == day
                )
            )
        )
        rows += [{"initiative": initiative, "day": day, "user": u} for u in names - known]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(UsageUser), rows[start : start + CHUNK])


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
    ids = [{"id": e.id} for e in fresh]
    for start in range(0, len(ids), CHUNK):
        session.execute(insert(UsageSeen), ids[start : start + CHUNK])
    result.record("usage", len(fresh), len(typed) - len(fresh))
    return []
