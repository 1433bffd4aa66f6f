"""DORA figures for a scope: load the delivery evidence, hand it to core.dora."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session, sessionmaker

from scalegate.core.dora import Commit, Deployment, Incident, dora_metrics
from scalegate.db import transaction
from scalegate.errors import InvalidInput, NotFound, Problem
from scalegate.evidence.models import DeploymentCommit, DeploymentRecord, IncidentRecord
from scalegate.evidence.service import CHUNK, production_environments
from scalegate.portfolio.models import Initiative

EVIDENCE_WINDOW_DAYS = 90
SHA_LOOKUP_LIMIT = 20_000


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
    # An explicit initiative on an event wins over the service mapping. Naming every candidate
    # service up front lets the database use its (service, time) index despite the OR.
    named = set(
        session.scalars(select(table.service).where(table.initiative == scope.name).distinct())
    )
    candidates = sorted(named | set(services or []))
    if not candidates:
        return false()
    mapped = and_(table.initiative.is_(None), table.service.in_(services)) if services else false()
    return and_(table.service.in_(candidates), or_(table.initiative == scope.name, mapped))


def load_delivery(
    session: Session, scope: Scope, since: datetime
) -> tuple[list[Deployment], list[Incident]]:
    """What the DORA figures from `since` on need, and no more.

    Deployments and incidents from `since` on (later ones still fail or roll back counted
    deployments), plus, per service, one stand-in deployment just before `since` carrying the
    commits of the window that were already shipped to production earlier: those are not the
    commits' first deployments, so they must not count for lead time. Reading all history
    instead cost ~95% of the time at 100k deployments (bench/dora.py).
    """
    in_scope = _filters(session, scope, DeploymentRecord)
    recent = and_(in_scope, DeploymentRecord.finished_at >= since)
    rows = session.execute(
        select(
            DeploymentRecord.id,
            DeploymentRecord.service,
            DeploymentRecord.environment,
            DeploymentRecord.status,
            DeploymentRecord.finished_at,
            DeploymentRecord.rollback_of,
            DeploymentRecord.remediates,
        ).where(recent)
    ).all()
    commits: dict[str, list[Commit]] = defaultdict(list)
    commit_rows = session.execute(
        select(DeploymentCommit.deployment_id, DeploymentCommit.sha, DeploymentCommit.committed_at)
        .join(DeploymentRecord, DeploymentRecord.id == DeploymentCommit.deployment_id)
        .where(recent)
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
    deployments += _shipped_before(session, in_scope, since, deployments)
    incidents = [
        Incident(i_id, service, opened_at, resolved_at, caused_by)
        for i_id, service, opened_at, resolved_at, caused_by in session.execute(
            select(
                IncidentRecord.id,
                IncidentRecord.service,
                IncidentRecord.opened_at,
                IncidentRecord.resolved_at,
                IncidentRecord.caused_by,
            ).where(_filters(session, scope, IncidentRecord), IncidentRecord.opened_at >= since)
        )
    ]
    return deployments, incidents


def _shipped_before(
    session: Session, in_scope: ColumnElement[bool], since: datetime, recent: list[Deployment]
) -> list[Deployment]:
    """Stand-in deployments for the recent commits that production already had before `since`."""
    shas = sorted({c.sha for d in recent for c in d.commits})
    if not shas:
        return []
    production = sorted(production_environments())
    earlier = (
        select(DeploymentRecord.service, DeploymentCommit.sha)
        .join(DeploymentRecord, DeploymentRecord.id == DeploymentCommit.deployment_id)
        .where(
            in_scope,
            DeploymentRecord.finished_at < since,
            DeploymentRecord.status == "success",
            func.lower(DeploymentRecord.environment).in_(production),
        )
    )
    shipped: dict[str, set[str]] = defaultdict(set)
    wanted = set(shas)
    if len(shas) <= SHA_LOOKUP_LIMIT:
        # Few recent commits: look each up by the sha index.
        batches = [
            earlier.where(DeploymentCommit.sha.in_(shas[i : i + CHUNK]))
            for i in range(0, len(shas), CHUNK)
        ]
    else:
        # Many (a long window over a big scope): one pass over the earlier commits is cheaper.
        batches = [earlier]
    for query in batches:
        for service, sha in session.execute(query):
            if sha in wanted:
                shipped[service].add(sha)
    before = since - timedelta(microseconds=1)
    return [
        Deployment(
            f"(shipped before {since.date().isoformat()})",
            service,
            production[0],
            "success",
            before,
            tuple(Commit(sha, before) for sha in sorted(found_shas)),
        )
        for service, found_shas in sorted(shipped.items())
    ]


def dora_for(
    factory: sessionmaker[Session], scope: Scope, start: date, end: date
) -> dict[str, Any]:
    """The DORA figures of a scope over [start, end] (whole days, UTC)."""
    if end < start:
        raise InvalidInput("--to is before --from", [Problem("to", "before from")])
    with transaction(factory) as session:
        deployments, incidents = load_delivery(session, scope, _midnight(start))
    figures = dora_metrics(deployments, incidents, start, end, production_environments())
    return {"scope": scope.label(), **figures.as_dict()}


def dora_evidence(session: Session, initiative: str, as_of: datetime) -> dict[str, Any] | None:
    """`evidence.dora`: the last 90 days' figures, or None when no deployment was ever seen."""
    scope = Scope("initiative", initiative)
    if (
        session.scalar(
            select(DeploymentRecord.id).where(_filters(session, scope, DeploymentRecord)).limit(1)
        )
        is None
    ):
        return None
    end = as_of.date()
    start = end - timedelta(days=EVIDENCE_WINDOW_DAYS - 1)
    deployments, incidents = load_delivery(session, scope, _midnight(start))
    return dora_metrics(deployments, incidents, start, end, production_environments()).as_dict()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
