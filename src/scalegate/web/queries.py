"""Read-only look-ups the pages need that no domain service offers yet.

Each is a small query over existing tables; when a domain grows a service for one of these,
the page should call that instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.rights import current_rights
from scalegate.core.conversion import StageChange
from scalegate.core.decision_rights import DecisionRights
from scalegate.db import transaction
from scalegate.gates.models import GateDecision
from scalegate.outcomes.models import KpiObservation
from scalegate.portfolio.models import Initiative


def rights(factory: sessionmaker[Session]) -> DecisionRights:
    """The decision rights in force (to show only the forms an actor may use)."""
    with transaction(factory) as session:
        return current_rights(session)


def capacities(factory: sessionmaker[Session]) -> dict[str, float | None]:
    """Capacity asked (person-weeks) per initiative."""
    with transaction(factory) as session:
        rows = session.execute(select(Initiative.name, Initiative.capacity))
        return dict(rows.all())


def stage_history(factory: sessionmaker[Session]) -> list[StageChange]:
    """Every initiative's stages over time: its stage at creation, then each decided move.

    The stage at creation is the `from` of its first move (or its stage now, if it never
    moved); holds are not moves.
    """
    with transaction(factory) as session:
        initiatives = session.execute(
            select(Initiative.id, Initiative.name, Initiative.stage, Initiative.created_at)
        ).all()
        moves: dict[int, list[tuple[str, str, datetime]]] = {}
        for initiative_id, from_stage, to_stage, at in session.execute(
            select(
                GateDecision.initiative_id,
                GateDecision.from_stage,
                GateDecision.to_stage,
                GateDecision.decided_at,
            )
            .where(GateDecision.action != "hold")
            .order_by(GateDecision.decided_at, GateDecision.id)
        ):
            moves.setdefault(initiative_id, []).append((from_stage, to_stage, at))
    changes: list[StageChange] = []
    for initiative_id, name, stage, created_at in initiatives:
        steps = moves.get(initiative_id, [])
        changes.append(StageChange(name, steps[0][0] if steps else stage, created_at))
        changes.extend(StageChange(name, to_stage, at) for _, to_stage, at in steps)
    return changes


def observation_series(
    factory: sessionmaker[Session], initiative: str, as_of: datetime
) -> dict[str, list[dict[str, Any]]]:
    """Per KPI, the initiative's tracked observations (ungrouped or treatment) up to as_of."""
    series: dict[str, list[dict[str, Any]]] = {}
    with transaction(factory) as session:
        for kpi, at, value in session.execute(
            select(KpiObservation.kpi, KpiObservation.at, KpiObservation.value)
            .where(
                KpiObservation.initiative == initiative,
                KpiObservation.at <= as_of,
                (KpiObservation.group.is_(None)) | (KpiObservation.group == "treatment"),
            )
            .order_by(KpiObservation.kpi, KpiObservation.at)
        ):
            series.setdefault(kpi, []).append({"at": at.isoformat(), "value": value})
    return series
