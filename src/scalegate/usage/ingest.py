"""Storing `usage` events as hourly and daily aggregates, daily distinct users and seen ids.

Every statement here is SQLAlchemy Core on the tables, no ORM objects. On SQLite many rows
go as one executemany. On PostgreSQL they go as one array per column through `unnest`: one
short statement per batch, where psycopg's executemany sends a message per row and a
multi-row VALUES is a long new statement for psycopg to parse every time.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from scalegate.core.usage import bucket_key, event_cost
from scalegate.db import upsert
from scalegate.errors import Problem
from scalegate.evidence.schemas import BaseEvent
from scalegate.evidence.service import IngestResult, stores
from scalegate.portfolio.models import Initiative
from scalegate.settings import get_settings
from scalegate.usage.models import (
    SUMS,
    ModelEntry,
    UsageAssetDay,
    UsageDay,
    UsageHour,
    UsageSeen,
    UsageUser,
)
from scalegate.usage.schemas import UsageEvent

HourKey = tuple[str, datetime, str, str, bool]
DayKey = tuple[str, date, str, str, bool]
Prices = dict[str, tuple[float | None, float | None]]
CHUNK = 1000  # ids per INSERT ... RETURNING on SQLite (one insertmanyvalues page)
PG_CHUNK = 20_000  # rows per PostgreSQL statement from arrays

HOURS: Table = UsageHour.__table__  # type: ignore[assignment]
DAYS: Table = UsageDay.__table__  # type: ignore[assignment]
USERS: Table = UsageUser.__table__  # type: ignore[assignment]
SEEN: Table = UsageSeen.__table__  # type: ignore[assignment]
ASSET_DAYS: Table = UsageAssetDay.__table__  # type: ignore[assignment]
AssetDayKey = tuple[str, date, str, int, bool]


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


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _unnest(
    session: Session, table: Table, rows: Sequence[dict[str, Any]]
) -> tuple[str, str, dict[str, list[Any]]]:
    """PostgreSQL: the rows as one array per column, for `unnest` (column names, the unnest
    call, parameters). One small statement whatever the number of rows, where an executemany
    is a pipeline message per row and a multi-row VALUES a new statement to parse each time."""
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    columns = list(rows[0])
    casts = []
    for name in columns:
        column = table.c[name.lstrip("_")]
        casts.append(f"CAST(:{name} AS {column.type.compile(dialect=dialect)}[])")
    values: dict[str, list[Any]] = {}
    for name in columns:
        found = [row[name] for row in rows]
        if name == "latency":
            found = [json.dumps(value, separators=(",", ":")) for value in found]
        values[name] = found
    names = ", ".join(quote(name) for name in columns)
    return names, f"unnest({', '.join(casts)})", values


def _insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert new rows: on PostgreSQL from arrays, on SQLite as one executemany."""
    if not rows:
        return
    if not _on_postgresql(session):
        session.connection().execute(table.insert(), list(rows))
        return
    for chunk in _chunks(rows, PG_CHUNK):
        names, unnest, values = _unnest(session, table, chunk)
        session.execute(text(f"INSERT INTO {table.name} ({names}) SELECT * FROM {unnest}"), values)


def _update(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Set the columns of stored rows by id ("_id" in each row)."""
    if not rows:
        return
    if not _on_postgresql(session):
        # One executemany; the SET clause is every key of the rows but the "_id" of WHERE.
        session.connection().execute(update(table).where(table.c.id == bindparam("_id")), rows)
        return
    quote = session.get_bind().dialect.identifier_preparer.quote
    for chunk in _chunks(rows, PG_CHUNK):
        names, unnest, values = _unnest(session, table, chunk)
        sets = ", ".join(f"{quote(n)} = v.{quote(n)}" for n in chunk[0] if n != "_id")
        session.execute(
            text(
                f"UPDATE {table.name} AS t SET {sets} "
                f"FROM {unnest} AS v({names}) WHERE t.id = v._id"
            ),
            values,
        )


def _new_ids(session: Session, ids: Sequence[str]) -> set[str]:
    """Remember these ids; the ones not seen before (INSERT ... ON CONFLICT DO NOTHING)."""
    fresh: set[str] = set()
    if _on_postgresql(session):
        for chunk in _chunks(ids, PG_CHUNK):
            names, unnest, values = _unnest(session, SEEN, [{"id": i} for i in chunk])
            fresh.update(
                session.scalars(
                    text(
                        f"INSERT INTO {SEEN.name} ({names}) SELECT * FROM {unnest} "
                        "ON CONFLICT (id) DO NOTHING RETURNING id"
                    ),
                    values,
                )
            )
        return fresh
    statement = (
        sqlite.insert(SEEN).on_conflict_do_nothing(index_elements=["id"]).returning(SEEN.c.id)
    )
    for chunk in _chunks(ids):
        fresh.update(session.scalars(statement, [{"id": i} for i in chunk]))
    return fresh


@functools.cache
def _stored_rows(table: Table, column: str) -> Select[Any]:
    """The stored rows of one initiative from `lo` to `hi` (inclusive), with their sums."""
    c = table.c
    return select(
        c.id, c[column], c.model, c.outcome, c.assisted, *[c[s] for s in SUMS], c.latency
    ).where(
        c.initiative == bindparam("initiative"),
        c[column] >= bindparam("lo", type_=c[column].type),
        c[column] <= bindparam("hi", type_=c[column].type),
    )


def _merge(session: Session, table: Table, column: str, sums: dict[Any, _Sums]) -> None:
    """Add the batch's sums to the stored rows keyed (initiative, column, model, outcome,
    assisted): read the rows of the batch's range, update those that exist, insert the rest."""
    spans: dict[str, tuple[Any, Any]] = {}
    for initiative, moment, *_ in sums:
        lo, hi = spans.get(initiative, (moment, moment))
        spans[initiative] = (min(lo, moment), max(hi, moment))
    statement = _stored_rows(table, column)
    found: dict[Hashable, Any] = {}
    for initiative, (lo, hi) in spans.items():
        # One range query per initiative, served by the unique key's index.
        rows = session.execute(statement, {"initiative": initiative, "lo": lo, "hi": hi})
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
    _update(session, table, changed)


def _add_users(session: Session, users: set[tuple[str, date, str]]) -> None:
    """Record who was active on which day, once per (initiative, day, user)."""
    rows = [{"initiative": i, "day": d, "user": u} for i, d, u in sorted(users)]
    if not rows:
        return
    if _on_postgresql(session):
        for chunk in _chunks(rows, PG_CHUNK):
            names, unnest, values = _unnest(session, USERS, chunk)
            session.execute(
                text(
                    f"INSERT INTO {USERS.name} ({names}) SELECT * FROM {unnest} "
                    'ON CONFLICT (initiative, day, "user") DO NOTHING'
                ),
                values,
            )
        return
    statement = sqlite.insert(USERS).on_conflict_do_nothing(
        index_elements=["initiative", "day", "user"]
    )
    session.connection().execute(statement, rows)


def _add_asset_calls(session: Session, events: Iterable[UsageEvent]) -> None:
    """Count calls naming an asset or prompt per (asset, day, initiative, version, prompt)."""
    calls: dict[AssetDayKey, list[int]] = {}
    for e in events:
        use = e.asset_use()
        if use is None:
            continue
        name, version, via_prompt = use
        counts = calls.setdefault((name, e.at.date(), e.initiative, version, via_prompt), [0, 0])
        counts[0] += 1
        counts[1] += e.model is not None
    rows = [
        {
            "asset": name,
            "day": day,
            "initiative": initiative,
            "version": version,
            "via_prompt": via_prompt,
            "calls": n,
            "model_calls": m,
        }
        for (name, day, initiative, version, via_prompt), (n, m) in sorted(calls.items())
    ]
    upsert(
        session,
        ASSET_DAYS,
        rows,
        ["asset", "day", "initiative", "version", "via_prompt"],
        lambda new: {
            "calls": ASSET_DAYS.c.calls + new.calls,
            "model_calls": ASSET_DAYS.c.model_calls + new.model_calls,
        },
    )


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
    hashed = get_settings().hash_user_ids
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
    _add_asset_calls(session, fresh)
    _merge(session, HOURS, "hour", hours)
    _merge(session, DAYS, "day", days)
    _add_users(session, users)
    result.record("usage", len(fresh), len(typed) - len(fresh))
    return []
