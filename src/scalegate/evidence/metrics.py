"""DORA figures for a scope: load the delivery evidence, hand it to core.dora."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session, sessionmaker

from scalegate.core.dora import Commit, Deployment, Incident, dora_metrics
from scalegate.db import transaction
from scalegate.errors import InvalidInput, NotFound, Problem
from scalegate.evidence.models import DeploymentCommit, DeploymentRecord, IncidentRecord
from scalegate.portfolio.models import Initiative

EVIDENCE_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Scope:
    """Whose delivery is measured: one initiative, one service, or the whole portfolio."""

    kind: str  # initiative | service | portfolio
    name: str | None = None

    def label(self) -> str:
        """How the scope is shown in output."""
        return self.kind if self.name is None else f"{self.kind}/{self.name}"


def scope_of(initiative: str | None, service: str | None, portfolio: bool) -> Scope:
    """The one scope the caller chose, or an error naming the options."""
    chosen = [
        s
        for s in (
            Scope("initiative", initiative) if initiative else None,
            Scope("service", service) if service else None,
            Scope("portfolio") if portfolio else None,
        )
        if s is not None
    ]
    if len(chosen) != 1:
        raise InvalidInput(
            "choose exactly one of --initiative, --service or --portfolio",
            [Problem("scope", "exactly one scope is required")],
        )
    return chosen[0]


def _filters(session: Session, scope: Scope, table: Any) -> ColumnElement[bool]:
    if scope.kind == "portfolio":
        return true()
    if scope.kind == "service":
        return table.service == scope.name  # type: ignore[no-any-return]
    services = session.scalar(select(Initiative.services).where(Initiative.name == scope.name))
    if (
        services is None
        and session.scalar(select(Initiative.id).where(Initiative.name == scope.name)) is None
    ):
        raise NotFound(f"no initiative named {scope.name}")
    # An explicit initiative on an event wins over the service mapping.
    mapped = and_(table.initiative.is_(None), table.service.in_(services)) if services else false()
    return or_(table.initiative == scope.name, mapped)


def load_delivery(session: Session, scope: Scope) -> tuple[list[Deployment], list[Incident]]:
    """Every deployment (with commits) and incident of the scope, over all time."""
    deployment_filter = _filters(session, scope, DeploymentRecord)
    rows = session.execute(
        select(
            DeploymentRecord.id,
            DeploymentRecord.service,
            DeploymentRecord.environment,
            DeploymentRecord.status,
            DeploymentRecord.finished_at,
            DeploymentRecord.rollback_of,
            DeploymentRecord.remediates,
        ).where(deployment_filter)
    ).all()
    commits: dict[str, list[Commit]] = defaultdict(list)
    commit_rows = session.execute(
        select(DeploymentCommit.deployment_id, DeploymentCommit.sha, DeploymentCommit.committed_at)
        .join(DeploymentRecord, DeploymentRecord.id == DeploymentCommit.deployment_id)
        .where(deployment_filter)
    )
    for deployment_id, sha, committed_at in commit_rows:
        commits[deployment_id].append(Commit(sha, committed_at))
    deployments = [
        Deployment(
            d_id,
            service,
            environment,
            status,
            finished_at,
            tuple(commits[d_id]),
            rollback_of,
            tuple(remediates or ()),
        )
        for d_id, service, environment, status, finished_at, rollback_of, remediates in rows
    ]
    incidents = [
        Incident(i_id, service, opened_at, resolved_at, caused_by)
        for i_id, service, opened_at, resolved_at, caused_by in session.execute(
            select(
                IncidentRecord.id,
                IncidentRecord.service,
                IncidentRecord.opened_at,
                IncidentRecord.resolved_at,
                IncidentRecord.caused_by,
            ).where(_filters(session, scope, IncidentRecord))
        )
    ]
    return deployments, incidents


def dora_for(
    factory: sessionmaker[Session], scope: Scope, start: date, end: date
) -> dict[str, Any]:
    """The DORA figures of a scope over [start, end] (whole days, UTC)."""
    if end < start:
        raise InvalidInput("--to is before --from", [Problem("to", "before from")])
    with transaction(factory) as session:
        deployments, incidents = load_delivery(session, scope)
    figures = dora_metrics(deployments, incidents, start, end)
    return {"scope": scope.label(), **figures.as_dict()}


def dora_evidence(session: Session, initiative: str, as_of: datetime) -> dict[str, Any] | None:
    """`evidence.dora`: the last 90 days' figures, or None when no deployment was ever seen."""
    deployments, incidents = load_delivery(session, Scope("initiative", initiative))
    if not deployments:
        return None
    end = as_of.date()
    start = end - timedelta(days=EVIDENCE_WINDOW_DAYS - 1)
    return dora_metrics(deployments, incidents, start, end).as_dict()
