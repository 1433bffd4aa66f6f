"""Storing `kpi` and `kpi_summary` events through the shared ingest path."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.errors import Problem
from scalegate.evidence.schemas import BaseEvent
from scalegate.evidence.service import IngestResult, existing_ids, insert_rows, stores
from scalegate.outcomes.models import KpiObservation, KpiSummary
from scalegate.outcomes.schemas import KpiEvent, KpiSummaryEvent
from scalegate.portfolio.models import KPI, Initiative


def _reference_problems(
    session: Session, events: Sequence[tuple[int, KpiEvent | KpiSummaryEvent]]
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


def _store(
    session: Session,
    events: list[tuple[int, BaseEvent]],
    result: IngestResult,
    event_type: type[KpiEvent] | type[KpiSummaryEvent],
    table: type[KpiObservation] | type[KpiSummary],
) -> list[Problem]:
    """Insert the events whose (sent or derived) id is new; a known id is a duplicate."""
    typed = [(line, e) for line, e in events if isinstance(e, event_type)]
    problems = _reference_problems(session, typed)
    if problems:
        return problems
    known = existing_ids(session, table.id, [e.key() for _, e in typed])
    columns = [c.key for c in table.__table__.columns]
    rows = [
        {column: e.key() if column == "id" else getattr(e, column) for column in columns}
        for _, e in typed
        if e.key() not in known
    ]
    insert_rows(session, table, rows)
    result.record(str(event_type.model_fields["type"].default), len(rows), len(typed) - len(rows))
    return []


@stores("kpi")
def store_observations(
    session: Session, events: list[tuple[int, BaseEvent]], result: IngestResult
) -> list[Problem]:
    """Store single KPI observations."""
    return _store(session, events, result, KpiEvent, KpiObservation)


@stores("kpi_summary")
def store_summaries(
    session: Session, events: list[tuple[int, BaseEvent]], result: IngestResult
) -> list[Problem]:
    """Store aggregated experiment samples."""
    return _store(session, events, result, KpiSummaryEvent, KpiSummary)
