"""The risk register: gather the portfolio's facts as of a moment, let core/risks.py judge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.assets.service import reuse_by_initiative
from scalegate.audit.models import AuditRecord
from scalegate.core.lifecycle import Stage
from scalegate.core.risks import (
    PIPELINE_STAGES,
    CapacityPoint,
    DriftFinding,
    HypothesisState,
    InitiativeFacts,
    ModelUse,
    PortfolioFacts,
    Risk,
    RiskThresholds,
    SweepFacts,
    detect_risks,
)
from scalegate.db import UTCDateTime, transaction
from scalegate.evaluations.models import EvalRunRecord
from scalegate.evidence.models import DeploymentRecord
from scalegate.gates.evidence import latest_sweep
from scalegate.gates.models import GateDecision
from scalegate.manifests.service import AUDIT_ACTIONS, CREATED, DELETED, UPDATED
from scalegate.outcomes.service import outcomes_evidence
from scalegate.portfolio.models import Initiative
from scalegate.settings import Settings, get_settings
from scalegate.usage.models import ModelEntry, UsageHour

INITIATIVE_PREFIX = "Initiative/"
# Actions that write an initiative's spec into the audit trail (apply, the API's PUT/POST),
# and the two that delete it (apply --prune, the API's DELETE).
SPEC_ACTIONS = (AUDIT_ACTIONS[CREATED], AUDIT_ACTIONS[UPDATED])
DELETE_ACTIONS = (AUDIT_ACTIONS[DELETED], "delete")
IN_CHUNK = 500


def thresholds_from(settings: Settings) -> RiskThresholds:
    """The thresholds configured by SCALEGATE_RISK_* settings."""
    return RiskThresholds(
        pilot_theater_days=settings.risk_pilot_theater_days,
        funding_churn_changes=settings.risk_funding_churn_changes,
        funding_churn_window_days=settings.risk_funding_churn_window_days,
        deployment_window_days=settings.risk_deployment_window_days,
        shadow_ai_window_days=settings.risk_shadow_ai_window_days,
        evaluation_fresh_days=settings.evaluation_fresh_days,
    )


def _stage_entries(session: Session, as_of: datetime) -> dict[tuple[int, str], datetime]:
    """(initiative id, stage) -> when the latest move into that stage was decided."""
    entered: dict[tuple[int, str], datetime] = {}
    for initiative_id, stage, at in session.execute(
        select(GateDecision.initiative_id, GateDecision.to_stage, GateDecision.decided_at)
        .where(GateDecision.action != "hold", GateDecision.decided_at <= as_of)
        .order_by(GateDecision.decided_at, GateDecision.id)
    ):
        entered[(initiative_id, stage)] = at
    return entered


def _capacity_histories(session: Session, as_of: datetime) -> dict[str, list[CapacityPoint]]:
    """Each initiative's capacity after every apply since it was (last) created."""
    histories: dict[str, list[CapacityPoint]] = {}
    records = session.execute(
        select(AuditRecord.at, AuditRecord.action, AuditRecord.object, AuditRecord.payload)
        .where(
            AuditRecord.object.startswith(INITIATIVE_PREFIX),
            AuditRecord.action.in_(SPEC_ACTIONS + DELETE_ACTIONS),
            AuditRecord.at <= as_of,
        )
        .order_by(AuditRecord.seq)
    )
    for at, action, obj, payload in records:
        name = obj.removeprefix(INITIATIVE_PREFIX)
        if action in DELETE_ACTIONS:
            histories.pop(name, None)
            continue
        capacity = (payload.get("spec") or {}).get("capacity")
        point = CapacityPoint(at, None if capacity is None else float(capacity))
        if action == AUDIT_ACTIONS[CREATED]:
            histories[name] = [point]
        else:
            histories.setdefault(name, []).append(point)
    return histories


def _hypotheses(session: Session, row: Initiative, as_of: datetime) -> tuple[HypothesisState, ...]:
    """Status and progress of each hypothesis, as `scalegate metrics outcomes` reports them."""
    found = outcomes_evidence(session, row, as_of)
    if found is None:  # no KPI evidence at all: every hypothesis is unproven
        return tuple(HypothesisState(h.kpi.name, "unproven") for h in row.hypotheses)
    return tuple(HypothesisState(h["kpi"], h["status"], h["progress"]) for h in found["hypotheses"])


def _latest_sweep(session: Session, as_of: datetime) -> SweepFacts | None:
    sweep = latest_sweep(session, as_of)
    if sweep is None:
        return None
    drift = {
        name: tuple(DriftFinding(d["policy"], d["rule"], d["message"]) for d in found["drift"])
        for name, found in sweep.results.get("initiatives", {}).items()
    }
    return SweepFacts(sweep.swept_at, drift)


def _model_use(session: Session, as_of: datetime, window_days: int) -> tuple[ModelUse, ...]:
    since = as_of - timedelta(days=window_days)
    rows = session.execute(
        select(UsageHour.initiative, UsageHour.model, func.sum(UsageHour.events))
        .where(UsageHour.model != "", UsageHour.hour > since, UsageHour.hour <= as_of)
        .group_by(UsageHour.initiative, UsageHour.model)
        .order_by(UsageHour.initiative, UsageHour.model)
    )
    return tuple(ModelUse(initiative, model, int(events)) for initiative, model, events in rows)


def _catalog(session: Session) -> dict[str, tuple[str, frozenset[str]]]:
    """model -> (status, allowed data classes), the shape core.usage.model_status reads."""
    return {
        m.name: (m.status, frozenset(m.allowed_data_classes or []))
        for m in session.scalars(select(ModelEntry))
    }


def _last_deployments(
    session: Session, services: list[str], as_of: datetime
) -> dict[str, datetime]:
    last: dict[str, datetime] = {}
    for i in range(0, len(services), IN_CHUNK):
        chunk = services[i : i + IN_CHUNK]
        for service, at in session.execute(
            select(DeploymentRecord.service, func.max(DeploymentRecord.finished_at))
            .where(DeploymentRecord.service.in_(chunk), DeploymentRecord.finished_at <= as_of)
            .group_by(DeploymentRecord.service)
        ):
            last[service] = at  # max() keeps the column type: aware UTC on both databases
    return last


def _last_evaluations(session: Session, as_of: datetime) -> dict[str, datetime]:
    """initiative -> the moment of its latest evaluation run recorded by as_of: when it started,
    else when it was recorded (the moment core.evaluations judges freshness by)."""
    moment = func.coalesce(EvalRunRecord.started_at, EvalRunRecord.recorded_at, type_=UTCDateTime())
    rows = session.execute(
        select(EvalRunRecord.initiative, func.max(moment))
        .where(EvalRunRecord.recorded_at <= as_of)
        .group_by(EvalRunRecord.initiative)
    )
    return dict(rows.tuples().all())


def gather_facts(session: Session, as_of: datetime, thresholds: RiskThresholds) -> PortfolioFacts:
    """Everything the risk rules read, from the workspace as of a moment."""
    entries = _stage_entries(session, as_of)
    capacities = _capacity_histories(session, as_of)
    reuse = reuse_by_initiative(session, as_of)
    initiatives = []
    for row in session.scalars(select(Initiative).order_by(Initiative.name)):
        initiatives.append(
            InitiativeFacts(
                name=row.name,
                stage=row.stage,
                # Created at its stage by apply, unless a gate decision moved it there since.
                stage_entered_at=entries.get((row.id, row.stage), row.created_at),
                owners=dict(row.owners or {}),
                services=tuple(row.services or ()),
                data_classes=tuple(row.data_classes or ()),
                hypotheses=_hypotheses(session, row, as_of) if row.stage == Stage.PROVE else (),
                capacity_history=tuple(capacities.get(row.name, ())),
                assets_reused=tuple(reuse.get(row.name, {}).get("reused", ())),
                assets_published=tuple(reuse.get(row.name, {}).get("published", ())),
            )
        )
    services = sorted({s for i in initiatives if i.stage in PIPELINE_STAGES for s in i.services})
    return PortfolioFacts(
        initiatives=tuple(initiatives),
        sweep=_latest_sweep(session, as_of),
        model_use=_model_use(session, as_of, thresholds.shadow_ai_window_days),
        catalog=_catalog(session),
        last_deployments=_last_deployments(session, services, as_of),
        last_evaluations=_last_evaluations(session, as_of),
    )


def risks_in(
    session: Session, as_of: datetime, thresholds: RiskThresholds | None = None
) -> list[Risk]:
    """The risk register inside the caller's transaction (for pages and review packs)."""
    t = thresholds or thresholds_from(get_settings())
    return detect_risks(gather_facts(session, as_of, t), as_of, t)


def risk_register(
    factory: sessionmaker[Session],
    as_of: datetime | None = None,
    thresholds: RiskThresholds | None = None,
) -> list[dict[str, Any]]:
    """`scalegate risks`: every detected risk as a plain dict, most severe first."""
    when = as_of or datetime.now(UTC)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    with transaction(factory) as session:
        return [risk.as_dict() for risk in risks_in(session, when, thresholds)]
