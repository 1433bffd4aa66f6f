"""Storing `usage` events as hourly and daily aggregates, daily distinct users and seen ids.

Every statement here is SQLAlchemy Core on the tables (no ORM objects), and the inserts go
through "insertmanyvalues" (an INSERT ... RETURNING executed for many rows becomes one
multi-row VALUES statement per 1,000 rows), which on PostgreSQL saves a round of the
pipeline per row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scalegate.core.usage import bucket_key, event_cost
from scalegate.errors import Problem
from scalegate.evidence.schemas import BaseEvent
from scalegate.evidence.service import IngestResult, stores
from scalegate.portfolio.models import Initiative
from scalegate.settings import get_settings
from scalegate.usage.models import ModelEntry, UsageDay, UsageHour, UsageSeen, UsageUser
from scalegate.usage.schemas import UsageEvent

HourKey = tuple[str, datetime, str, str, bool]
DayKey = tuple[str, date, str, str, bool]
Prices = dict[str, tuple[float | None, float | None]]
CHUNK = 1000  # rows per statement; SQLAlchemy's insertmanyvalues page is 1,000 too

HOURS: Table = UsageHour.__table__  # type: ignore[assignment]
DAYS: Table = UsageDay.__table__  # type: ignore[assignment]
USERS: Table = UsageUser.__table__  # type: ignore[assignment]
SEEN: Table = UsageSeen.__table__  # type: ignore[assignment]
SUMS = (
    "events",
    "human_reviewed",
    "guardrail_triggered",
    "input_tokens",
    "output_tokens",
    "cost",
    "duration_s",
)


def user_key(user: str, hashed: bool = True) -> str:
    """What is stored for a user: a SHA-256 digest, unless SCALEGATE_HASH_USER_IDS is false."""
    if not hashed:
        return user
    return "sha256:" + hashlib.sha256(user.encode("utf-8")).hexdigest()[:40]


@dataclass(slots=True)
class _Sums:
    """The sums of one aggregate row; latency as histogram key -> count (core.usage keys)."""

    events: int = 0
    human_reviewed: int = 0
    guardrail_triggered: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    duration_s: float = 0.0
    latency: dict[int, int] = field(default_factory=dict)

    def add(self, e: UsageEvent, cost: float) -> None:
        self.events += 1
        if e.human_reviewed:
            self.human_reviewed += 1
        if e.guardrail_triggered:
            self.guardrail_triggered += 1
        self.input_tokens += e.input_tokens or 0
        self.output_tokens += e.output_tokens or 0
        self.cost += cost
        self.duration_s += e.duration_s or 0.0
        if e.latency_ms is not None:
            key = bucket_key(e.latency_ms)
            self.latency[key] = self.latency.get(key, 0) + 1

    def merge(self, other: _Sums) -> None:
        self.events += other.events
        self.human_reviewed += other.human_reviewed
        self.guardrail_triggered += other.guardrail_triggered
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cost += other.cost
        self.duration_s += other.duration_s
        latency = self.latency
        for key, count in other.latency.items():
            latency[key] = latency.get(key, 0) + count

    def merged_with(self, stored: Any) -> dict[str, Any]:
        """The column values of a stored row (with these columns) plus these sums."""
        latency = {int(key): count for key, count in stored.latency.items()}
        for key, count in self.latency.items():
            latency[key] = latency.get(key, 0) + count
        return {
            "_id": stored.id,
            "events": stored.events + self.events,
            "human_reviewed": stored.human_reviewed + self.human_reviewed,
            "guardrail_triggered": stored.guardrail_triggered + self.guardrail_triggered,
            "input_tokens": stored.input_tokens + self.input_tokens,
            "output_tokens": stored.output_tokens + self.output_tokens,
            "cost": stored.cost + self.cost,
            "duration_s": stored.duration_s + self.duration_s,
            "latency": latency_json(latency),
        }

    def values(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "human_reviewed": self.human_reviewed,
            "guardrail_triggered": self.guardrail_triggered,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost": self.cost,
            "duration_s": self.duration_s,
            "latency": latency_json(self.latency),
        }


def latency_json(counts: dict[int, int]) -> dict[str, int]:
    """The stored form of a latency histogram: string keys in key order (as LatencyHistogram
    .to_json writes it, up to the order of the keys, which nothing reads)."""
    return {str(key): counts[key] for key in sorted(counts)}


def _prices(session: Session) -> Prices:
    return {
        name: (inp, out)
        for name, inp, out in session.execute(
            select(ModelEntry.name, ModelEntry.input_price, ModelEntry.output_price)
        )
    }


def priced(event: UsageEvent, prices: Prices) -> float:
    """The event's cost: as sent, else from the catalog's prices per million tokens, else 0."""
    if event.cost is not None:
        return event.cost
    inp, out = prices.get(event.model or "", (None, None))
    if inp is None and out is None:
        return 0.0
    return event_cost(event.input_tokens or 0, event.output_tokens or 0, inp or 0.0, out or 0.0)


def _dialect_insert(session: Session, table: Table) -> Any:
    """INSERT for the session's database, with on_conflict_do_nothing available."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"usage ingest supports SQLite and PostgreSQL, not {name}")


def _chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new rows, 1,000 per multi-row statement (RETURNING makes it insertmanyvalues)."""
    statement = _dialect_insert(session, table).returning(table.c.id)
    for chunk in _chunks(rows):
        session.execute(statement, list(chunk))


def _new_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """Remember these ids; the ones not seen before (INSERT ... ON CONFLICT DO NOTHING)."""
    statement = (
        _dialect_insert(session, SEEN).on_conflict_do_nothing(index_elements=["id"])
    ).returning(SEEN.c.id)
    fresh: set[str] = set()
    for chunk in _chunks(ids):
        fresh.update(session.scalars(statement, [{"id": i} for i in chunk]))
    return fresh


def _merge(session: Session, table: Table, column: str, sums: dict[Any, _Sums]) -> None:
    """Add the batch's sums to the stored rows keyed (initiative, column, model, outcome,
    assisted): read the rows of the batch's range, update those that exist, insert the rest."""
    spans: dict[str, tuple[Any, Any]] = {}
    for initiative, moment, *_ in sums:
        lo, hi = spans.get(initiative, (moment, moment))
        spans[initiative] = (min(lo, moment), max(hi, moment))
    c = table.c
    found: dict[Hashable, Any] = {}
    for initiative, (lo, hi) in spans.items():
        # One range query per initiative, served by the unique key's index.
        rows = session.execute(
            select(c.id, c[column], c.model, c.outcome, c.assisted, *[c[s] for s in SUMS])
            .add_columns(c.latency)
            .where(c.initiative == initiative, c[column] >= lo, c[column] <= hi)
        )
        for stored in rows:
            key = (initiative, stored[1], stored.model, stored.outcome, stored.assisted)
            if key in sums:
                found[key] = stored
    fresh: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for key in sorted(sums):  # the same order in every batch: no deadlocks on PostgreSQL
        row = found.get(key)
        if row is None:
            initiative, moment, model, outcome, assisted = key
            fresh.append(
                {
                    "initiative": initiative,
                    column: moment,
                    "model": model,
                    "outcome": outcome,
                    "assisted": assisted,
                    **sums[key].values(),
                }
            )
        else:
            changed.append(sums[key].merged_with(row))
    _insert(session, table, fresh)
    if changed:
        # One executemany; the SET clause is every key of the rows but the "_id" of WHERE.
        session.connection().execute(update(table).where(c.id == bindparam("_id")), changed)


def _add_users(session: Session, users: set[tuple[str, date, str]]) -> None:
    """Record who was active on which day, once per (initiative, day, user)."""
    rows = [{"initiative": i, "day": d, "user": u} for i, d, u in sorted(users)]
    statement = (
        _dialect_insert(session, USERS)
        .on_conflict_do_nothing(index_elements=["initiative", "day", "user"])
        .returning(USERS.c.id)
    )
    for chunk in _chunks(rows):
        session.execute(statement, list(chunk))


@stores("usage")
def store_usage(
    session: Session, events: list[tuple[int, BaseEvent]], result: IngestResult
) -> list[Problem]:
    """Fold new usage events into the hourly and daily aggregates; a known id is a duplicate."""
    typed = [(line, e) for line, e in events if isinstance(e, UsageEvent)]
    initiatives = set(session.scalars(select(Initiative.name)))
    problems = [
        Problem("initiative", f"no initiative named {e.initiative}", line=line)
        for line, e in typed
        if e.initiative not in initiatives
    ]
    if problems:
        return problems
    new = _new_ids(session, [e.id for _, e in typed])
    fresh = [e for _, e in typed if e.id in new]
    prices = _prices(session)
    hours: dict[HourKey, _Sums] = {}
    users: set[tuple[str, date, str]] = set()
    hashed = get_settings().hash_user_ids  # once per batch: reading settings is slow
    keys: dict[str, str] = {}  # user -> stored key, hashed once per batch
    for e in fresh:
        at = e.at  # UTC: the Timestamp validator converts
        key = (e.initiative, at.replace(minute=0, second=0, microsecond=0))
        hour_key = (*key, e.model or "", e.outcome, e.assisted)
        sums = hours.get(hour_key)
        if sums is None:
            sums = hours[hour_key] = _Sums()
        sums.add(e, priced(e, prices))
        stored_user = keys.get(e.user)
        if stored_user is None:
            stored_user = keys[e.user] = user_key(e.user, hashed)
        users.add((e.initiative, at.date(), stored_user))
    days: dict[DayKey, _Sums] = {}
    for (initiative, hour, model, outcome, assisted), sums in hours.items():
        day_key = (initiative, hour.date(), model, outcome, assisted)
        into = days.get(day_key)
        if into is None:
            into = days[day_key] = _Sums()
        into.merge(sums)
    _merge(session, HOURS, "hour", hours)
    _merge(session, DAYS, "day", days)
    _add_users(session, users)
    result.record("usage", len(fresh), len(typed) - len(fresh))
    return []
