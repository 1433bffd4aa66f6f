"""Storing `kpi` and `kpi_summary` events through the shared ingest path."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from scalegate.errors import Problem
from scalegate.evidence.schemas import BaseEvent
from scalegate.evidence.service import CHUNK, IngestResult, existing_ids, stores
from scalegate.outcomes.models import KpiObservation, KpiSummary
from scalegate.outcomes.schemas import KpiEvent, KpiSummaryEvent
from scalegate.portfolio.models import KPI, Initiative


def _reference_problems(
    session: Session, events: list[tuple[int, KpiEvent | KpiSummaryEvent]]
) -> list[Problem]:
    kpis = set(session.scalars(select(KPI.name)))
    initiatives = set(session.scalars(select(Initiative.name)))
    problems = []
    for line, event in events:
        if event.kpi not in kpis:
            problems.append(Problem("kpi", f"no KPI named {event.kpi}", line=line))
        if event.initiative not in initiatives:
            problems.append(
                Problem("initiative", f"no initiative named {event.initiative}", line=line)
            )
    return problems


@stores("kpi")
def store_observations(
    session: Session, events: list[tuple[int, BaseEvent]], result: IngestResult
) -> list[Problem]:
    """Insert new observations; a known id (sent or derived) is a duplicate."""
    typed = [(line, e) for line, e in events if isinstance(e, KpiEvent)]
    problems = _reference_problems(session, typed)  # type: ignore[arg-type]
    if problems:
        return problems
    known = existing_ids(session, KpiObservation.id, [e.key() for _, e in typed])
    rows = [
        {
            "id": e.key(),
            "kpi": e.kpi,
            "initiative": e.initiative,
            "at": e.at,
            "value": e.value,
            "group": e.group,
        }
        for _, e in typed
        if e.key() not in known
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(KpiObservation), rows[start : start + CHUNK])
    result.record("kpi", len(rows), len(typed) - len(rows))
    return []


@stores("kpi_summary")
def store_summaries(
    session: Session, events: list[tuple[int, BaseEvent]], result: IngestResult
) -> list[Problem]:
    """Insert new experiment samples; a known id (sent or derived) is a duplicate."""
    typed = [(line, e) for line, e in events if isinstance(e, KpiSummaryEvent)]
    problems = _reference_problems(session, typed)  # type: ignore[arg-type]
    if problems:
        return problems
    known = existing_ids(session, KpiSummary.id, [e.key() for _, e in typed])
    rows = [
        {
            "id": e.key(),
            "kpi": e.kpi,
            "initiative": e.initiative,
            "group": e.group,
            "period_start": e.period_start,
            "period_end": e.period_end,
            "n": e.n,
            "sum": e.sum,
            "sum_squares": e.sum_squares,
        }
        for _, e in typed
        if e.key() not in known
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(KpiSummary), rows[start : start + CHUNK])
    result.record("kpi_summary", len(rows), len(typed) - len(rows))
    return []
