"""DORA figures for a scope: load the delivery evidence, hand it to core.dora."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
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


# What a DORA Deployment is built from, in its constructor's order.
DEPLOYMENT_COLUMNS = (
    DeploymentRecord.id,
    DeploymentRecord.service,
    DeploymentRecord.environment,
    DeploymentRecord.status,
    DeploymentRecord.finished_at,
    DeploymentRecord.rollback_of,
    DeploymentRecord.remediates,
)


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
    rows = session.execute(select(*DEPLOYMENT_COLUMNS).where(recent)).all()
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


def dora_by_initiative(
    factory: sessionmaker[Session], services: Mapping[str, Sequence[str]], start: date, end: date
) -> dict[str, dict[str, Any]]:
    """`dora_for(Scope("initiative", name), start, end)` of many initiatives, from one read."""
    return dora_portfolio_and_initiatives(factory, services, start, end)[1]


def dora_portfolio_and_initiatives(
    factory: sessionmaker[Session], services: Mapping[str, Sequence[str]], start: date, end: date
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The portfolio's figures and many initiatives' over [start, end], from one read.

    `services` maps each initiative to its services. The figures equal `dora_for` of the
    portfolio and of each initiative: the same rows are read (the window's deployments with
    their commits and incidents, and the earlier production shipments of the window's
    commits), once for all, then split by the initiative filter (an event naming an
    initiative belongs to it, an event naming none to the initiatives owning its service).
    The dashboard needs them all; one set of queries per initiative cost about 10 ms each
    (bench/pages.py).
    """
    if end < start:
        raise InvalidInput("--to is before --from", [Problem("to", "before from")])
    since = _midnight(start)
    production = production_environments()
    everything: list[Deployment] = []
    tagged: dict[str, list[Deployment]] = defaultdict(list)
    untagged: dict[str, list[Deployment]] = defaultdict(list)
    all_incidents: list[Incident] = []
    tagged_incidents: dict[str, list[Incident]] = defaultdict(list)
    untagged_incidents: dict[str, list[Incident]] = defaultdict(list)
    # (service, sha) shipped to production before `since`, by initiative tag or by service.
    earlier: list[tuple[str, str]] = []
    tagged_earlier: dict[str, list[tuple[str, str]]] = defaultdict(list)
    untagged_earlier: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with transaction(factory) as session:
        recent = DeploymentRecord.finished_at >= since
        commits: dict[str, list[Commit]] = defaultdict(list)
        for deployment_id, sha, committed_at in session.execute(
            select(
                DeploymentCommit.deployment_id, DeploymentCommit.sha, DeploymentCommit.committed_at
            )
            .join(DeploymentRecord, DeploymentRecord.id == DeploymentCommit.deployment_id)
            .where(recent)
        ):
            commits[deployment_id].append(Commit(sha, committed_at))
        shas: set[str] = set()
        for row in session.execute(
            select(*DEPLOYMENT_COLUMNS, DeploymentRecord.initiative).where(recent)
        ):
            d_id, service, environment, status, finished_at, rollback_of, remediates, owner = row
            listed = tuple(commits[d_id])
            shas.update(c.sha for c in listed)
            deployment = Deployment(
                d_id,
                service,
                environment,
                status,
                finished_at,
                listed,
                rollback_of,
                tuple(remediates or ()),
            )
            everything.append(deployment)
            (untagged[service] if owner is None else tagged[owner]).append(deployment)
        for i_id, service, opened_at, resolved_at, caused_by, owner in session.execute(
            select(
                IncidentRecord.id,
                IncidentRecord.service,
                IncidentRecord.opened_at,
                IncidentRecord.resolved_at,
                IncidentRecord.caused_by,
                IncidentRecord.initiative,
            ).where(IncidentRecord.opened_at >= since)
        ):
            incident = Incident(i_id, service, opened_at, resolved_at, caused_by)
            all_incidents.append(incident)
            (untagged_incidents[service] if owner is None else tagged_incidents[owner]).append(
                incident
            )
        if shas:
            shipped_earlier = (
                select(DeploymentRecord.service, DeploymentRecord.initiative, DeploymentCommit.sha)
                .join(DeploymentRecord, DeploymentRecord.id == DeploymentCommit.deployment_id)
                .where(
                    DeploymentRecord.finished_at < since,
                    DeploymentRecord.status == "success",
                    func.lower(DeploymentRecord.environment).in_(sorted(production)),
                )
            )
            ordered = sorted(shas)
            batches = (
                [
                    shipped_earlier.where(DeploymentCommit.sha.in_(ordered[i : i + CHUNK]))
                    for i in range(0, len(ordered), CHUNK)
                ]
                if len(ordered) <= SHA_LOOKUP_LIMIT
                else [shipped_earlier]
            )
            for query in batches:
                for service, owner, sha in session.execute(query):
                    if sha in shas:
                        earlier.append((service, sha))
                        (
                            untagged_earlier[service] if owner is None else tagged_earlier[owner]
                        ).append((service, sha))
    stand_in_environment = sorted(production)[0]
    before = since - timedelta(microseconds=1)

    def figures(
        scope: Scope,
        deployments: list[Deployment],
        incidents: list[Incident],
        shipped_before: list[tuple[str, str]],
    ) -> dict[str, Any]:
        window_shas = {c.sha for d in deployments for c in d.commits}
        shipped: dict[str, set[str]] = defaultdict(set)
        for service, sha in shipped_before:
            if sha in window_shas:
                shipped[service].add(sha)
        stand_ins = [
            Deployment(
                f"(shipped before {since.date().isoformat()})",
                service,
                stand_in_environment,
                "success",
                before,
                tuple(Commit(sha, before) for sha in sorted(found_shas)),
            )
            for service, found_shas in sorted(shipped.items())
        ]
        result = dora_metrics(deployments + stand_ins, incidents, start, end, production)
        return {"scope": scope.label(), **result.as_dict()}

    portfolio = figures(Scope("portfolio"), everything, all_incidents, earlier)
    per_initiative: dict[str, dict[str, Any]] = {}
    for name, owned in services.items():
        mapped = list(dict.fromkeys(owned))
        per_initiative[name] = figures(
            Scope("initiative", name),
            tagged.get(name, []) + [d for s in mapped for d in untagged.get(s, [])],
            tagged_incidents.get(name, [])
            + [i for s in mapped for i in untagged_incidents.get(s, [])],
            tagged_earlier.get(name, []) + [p for s in mapped for p in untagged_earlier.get(s, [])],
        )
    return portfolio, per_initiative
