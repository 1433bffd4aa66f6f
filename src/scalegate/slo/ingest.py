"""Storing `sli` events: raw counts per interval plus an hourly roll-up for long windows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from scalegate.core.slo import (
    SliRecord,
    fixed_duration,
    hourly_slice_tallies,
    slice_good_target,
    slice_window,
)
from scalegate.db import upsert
from scalegate.errors import Problem
from scalegate.evidence.schemas import BaseEvent
from scalegate.evidence.service import CHUNK, IngestResult, existing_ids, insert_rows, stores
from scalegate.slo.models import OpensloObject, SliCount, SliHour, SliSliceHour
from scalegate.slo.schemas import SliEvent

HOUR = timedelta(hours=1)


def hour_of(at: datetime) -> datetime:
    """The end of the hour (hour − 1h, hour] that holds an interval ending at `at`."""
    floor = at.replace(minute=0, second=0, microsecond=0)
    return floor if floor == at else floor + HOUR


def add_to_hours(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add counts to the hourly roll-up: insert new hours, add to existing ones."""
    upsert(
        session,
        SliHour,
        rows,
        ["slo", "hour"],
        lambda new: {"good": SliHour.good + new.good, "total": SliHour.total + new.total},
    )


SliceParams = tuple[int, float]  # slice seconds, the good / total a good slice needs


def slice_params(spec: dict[str, Any]) -> set[SliceParams]:
    """The slice lengths and targets an SLO's objectives are judged by, where the slices
    divide an hour (others are tallied from the records when figures are asked for)."""
    if spec["budgetingMethod"] == "Occurrences":
        return set()
    found = set()
    for objective in spec["objectives"]:
        seconds = int(
            fixed_duration(slice_window(objective.get("timeSliceWindow")) or "1m").total_seconds()
        )
        if 3600 % seconds == 0:
            found.add((seconds, slice_good_target(objective.get("timeSliceTarget"))))
    return found


def tally_slices(
    session: Session, slo: str, params: set[SliceParams], first: datetime, last: datetime
) -> None:
    """(Re)write the hourly slice tallies of one SLO for the hours first..last (hour ends)."""
    if not params:
        return
    rows = session.execute(
        select(SliCount.at, SliCount.good, SliCount.total).where(
            SliCount.slo == slo, SliCount.at > first - HOUR, SliCount.at <= last
        )
    )
    records = [SliRecord(at, good, total) for at, good, total in rows]
    for seconds, target in sorted(params):
        tallies = hourly_slice_tallies(records, seconds, target)
        upsert(
            session,
            SliSliceHour,
            [
                {
                    "slo": slo,
                    "slice_seconds": seconds,
                    "good_target": target,
                    "hour": hour,
                    "measured": t.measured,
                    "good": t.good,
                    "ratio_sum": t.ratio_sum,
                }
                for hour, t in sorted(tallies.items())
            ],
            ["slo", "slice_seconds", "good_target", "hour"],
            lambda new: {"measured": new.measured, "good": new.good, "ratio_sum": new.ratio_sum},
        )


def retally_slo(session: Session, slo: str, spec: dict[str, Any]) -> None:
    """Tally an SLO's slices anew from all its records (after its objectives changed)."""
    session.execute(delete(SliSliceHour).where(SliSliceHour.slo == slo))
    span = session.execute(
        select(func.min(SliCount.at), func.max(SliCount.at)).where(SliCount.slo == slo)
    ).one()
    if span[0] is not None:
        tally_slices(session, slo, slice_params(spec), hour_of(span[0]), hour_of(span[1]))


@stores("sli")
def store_sli(
    session: Session, events: list[tuple[int, BaseEvent]], result: IngestResult
) -> list[Problem]:
    """Store SLI counts of known SLOs; a known id is a duplicate."""
    typed = [(line, e) for line, e in events if isinstance(e, SliEvent)]
    named = {e.slo for _, e in typed}
    specs: dict[str, dict[str, Any]] = dict(
        session.execute(
            select(OpensloObject.name, OpensloObject.spec).where(
                OpensloObject.kind == "SLO", OpensloObject.name.in_(named)
            )
        ).all()
    )
    problems = [
        Problem("slo", f"no SLO named {e.slo}", line=line)
        for line, e in typed
        if e.slo not in specs
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
    spans: dict[str, list[datetime]] = {}
    for e in fresh:
        hour = hour_of(e.at)
        span = spans.setdefault(e.slo, [hour, hour])
        span[0], span[1] = min(span[0], hour), max(span[1], hour)
    for slo, (first, last) in sorted(spans.items()):
        tally_slices(session, slo, slice_params(specs[slo]), first, last)
    result.record("sli", len(fresh), len(typed) - len(fresh))
    return []
