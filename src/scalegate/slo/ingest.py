"""Storing `sli` events: raw counts per interval plus an hourly roll-up for long windows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from scalegate.errors import Problem
from scalegate.evidence.schemas import BaseEvent
from scalegate.evidence.service import CHUNK, IngestResult, existing_ids, insert_rows, stores
from scalegate.slo.models import OpensloObject, SliCount, SliHour
from scalegate.slo.schemas import SliEvent

HOUR = timedelta(hours=1)


def hour_of(at: datetime) -> datetime:
    """The end of the hour (hour − 1h, hour] that holds an interval ending at `at`."""
    floor = at.replace(minute=0, second=0, microsecond=0)
    return floor if floor == at else floor + HOUR


def add_to_hours(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add counts to the hourly roll-up: insert new hours, add to existing ones."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), CHUNK):
        statement = insert(SliHour).values(rows[start : start + CHUNK])
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["slo", "hour"],
                set_={
                    "good": SliHour.good + statement.excluded.good,
                    "total": SliHour.total + statement.excluded.total,
                },
            )
        )


@stores("sli")
def store_sli(
    session: Session, events: list[tuple[int, BaseEvent]], result: IngestResult
) -> list[Problem]:
    """Store SLI counts of known SLOs; a known id is a duplicate."""
    typed = [(line, e) for line, e in events if isinstance(e, SliEvent)]
    named = {e.slo for _, e in typed}
    known_slos = set(
        session.scalars(
            select(OpensloObject.name).where(
                OpensloObject.kind == "SLO", OpensloObject.name.in_(named)
            )
        )
    )
    problems = [
        Problem("slo", f"no SLO named {e.slo}", line=line)
        for line, e in typed
        if e.slo not in known_slos
    ]
    if problems:
        return problems
    known = existing_ids(session, SliCount.id, [e.key() for _, e in typed])
    fresh = [e for _, e in typed if e.key() not in known]
    insert_rows(
        session,
        SliCount,
        [
            {"id": e.key(), "slo": e.slo, "at": e.at, "good": e.good, "total": e.total}
            for e in fresh
        ],
        2 * CHUNK,
    )
    hours: dict[tuple[str, datetime], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for e in fresh:
        counts = hours[(e.slo, hour_of(e.at))]
        counts[0] += e.good
        counts[1] += e.total
    add_to_hours(
        session,
        [{"slo": s, "hour": h, "good": g, "total": t} for (s, h), (g, t) in sorted(hours.items())],
    )
    result.record("sli", len(fresh), len(typed) - len(fresh))
    return []
