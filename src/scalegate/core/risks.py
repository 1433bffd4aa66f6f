"""The risk register's detection rules: plain facts about the portfolio in, risks out.

Every rule reads `PortfolioFacts` (gathered by `scalegate.risks.service`), an explicit `as_of`
and `RiskThresholds`, and returns one `Risk` per initiative it flags, with a message that says
why in numbers. docs/risks.md defines each rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from scalegate.core.evaluations import DEFAULT_FRESH_DAYS
from scalegate.core.lifecycle import Stage
from scalegate.core.usage import APPROVED, model_status

HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITIES = (HIGH, MEDIUM, LOW)
# Adopt or later: the initiative runs at scale and must be owned and reusable.
SCALED_STAGES = frozenset({Stage.ADOPT.value, Stage.GOVERN.value, Stage.EXPAND.value})
# Industrialize moves an initiative onto the golden path, so its services deploy through it.
PIPELINE_STAGES = frozenset({Stage.INDUSTRIALIZE.value, *SCALED_STAGES})
# The same reading of "moving toward target" as the prove-to-industrialize pilot-evidence rule.
MOVING_STATUSES = frozenset({"on-track", "achieved"})
SCALE_OWNER_ROLES = ("service", "platform")
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class RiskThresholds:
    """The numbers the rules compare against (SCALEGATE_RISK_* settings, CLI options)."""

    pilot_theater_days: int = 90
    funding_churn_changes: int = 2
    funding_churn_window_days: int = 90
    deployment_window_days: int = 90
    shadow_ai_window_days: int = 28
    # How long an evaluation run stays fresh: the gates' window (SCALEGATE_EVALUATION_FRESH_DAYS).
    evaluation_fresh_days: int = DEFAULT_FRESH_DAYS

    def __post_init__(self) -> None:
        for name in (
            "pilot_theater_days",
            "funding_churn_window_days",
            "deployment_window_days",
            "shadow_ai_window_days",
            "evaluation_fresh_days",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.funding_churn_changes < 0:
            raise ValueError(
                f"funding_churn_changes must not be negative, got {self.funding_churn_changes}"
            )


@dataclass(frozen=True)
class HypothesisState:
    """Where one hypothesis stands (status and progress as in `scalegate metrics outcomes`)."""

    kpi: str
    status: str
    progress: float | None = None

    @property
    def moving(self) -> bool:
        """On track, achieved, or past its baseline in the good direction."""
        return self.status in MOVING_STATUSES or (self.progress is not None and self.progress > 0)


@dataclass(frozen=True)
class CapacityPoint:
    """The capacity an initiative asked for from a moment on (None: not stated)."""

    at: datetime
    capacity: float | None


@dataclass(frozen=True)
class InitiativeFacts:
    """What the rules need to know about one initiative."""

    name: str
    stage: str
    # When it entered its current stage; None when that cannot be told.
    stage_entered_at: datetime | None = None
    owners: Mapping[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = ()
    data_classes: tuple[str, ...] = ()
    hypotheses: tuple[HypothesisState, ...] = ()
    # Every capacity it had since it was created, oldest first (the first is its creation).
    capacity_history: tuple[CapacityPoint, ...] = ()
    # Assets it uses that another initiative originated, and production assets it originated.
    assets_reused: tuple[str, ...] = ()
    assets_published: tuple[str, ...] = ()


@dataclass(frozen=True)
class DriftFinding:
    """A blocking rule of an already-passed gate that failed in a sweep."""

    policy: str
    rule: str
    message: str


@dataclass(frozen=True)
class SweepFacts:
    """The latest gate sweep: when it ran and the drift it found, by initiative."""

    swept_at: datetime
    drift: Mapping[str, tuple[DriftFinding, ...]]


@dataclass(frozen=True)
class ModelUse:
    """How many usage events of an initiative went to one model within the shadow-AI window."""

    initiative: str
    model: str
    events: int


@dataclass(frozen=True)
class PortfolioFacts:
    """Everything the rules read, gathered as of one moment."""

    initiatives: tuple[InitiativeFacts, ...]
    sweep: SweepFacts | None = None
    model_use: tuple[ModelUse, ...] = ()
    # model -> (status, data classes it is allowed for), as core.usage.model_status reads it.
    catalog: Mapping[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    # service -> its latest deployment at or before as_of (services never deployed are absent).
    last_deployments: Mapping[str, datetime] = field(default_factory=dict)
    # initiative -> when its latest evaluation run started (else was recorded), by as_of;
    # initiatives without any run are absent.
    last_evaluations: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Risk:
    """One detected risk: which rule found it, how bad, who is involved, and why."""

    rule: str
    title: str
    severity: str
    initiatives: tuple[str, ...]
    message: str
    figures: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain form for --json, the API and pages."""
        return {
            "rule": self.rule,
            "title": self.title,
            "severity": self.severity,
            "initiatives": list(self.initiatives),
            "message": self.message,
            "figures": dict(self.figures),
        }


def _day(at: datetime) -> str:
    return at.date().isoformat()


def _days(span: timedelta) -> int:
    """Whole days in a span (rounded down), for messages."""
    return span // ONE_DAY


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _number(value: float | None) -> str:
    if value is None:
        return "none"
    return f"{value:g}"


def _live(facts: PortfolioFacts) -> list[InitiativeFacts]:
    return [i for i in facts.initiatives if i.stage != Stage.RETIRED]


def pilot_theater(facts: PortfolioFacts, as_of: datetime, t: RiskThresholds) -> list[Risk]:
    """In prove longer than the threshold with no hypothesis moving toward its target."""
    risks = []
    limit = timedelta(days=t.pilot_theater_days)
    for i in _live(facts):
        if i.stage != Stage.PROVE or i.stage_entered_at is None:
            continue
        in_prove = as_of - i.stage_entered_at
        if in_prove <= limit or any(h.moving for h in i.hypotheses):
            continue
        statuses = ", ".join(f"{h.kpi} {h.status}" for h in i.hypotheses) or "none stated"
        risks.append(
            Risk(
                "pilot-theater",
                "Pilot theater",
                MEDIUM,
                (i.name,),
                f"in prove for {_days(in_prove)} days (since {_day(i.stage_entered_at)}), "
                f"more than {t.pilot_theater_days}, and no hypothesis is moving toward its "
                f"target (hypotheses: {statuses})",
                {
                    "days_in_prove": round(in_prove / ONE_DAY, 2),
                    "entered_prove_at": i.stage_entered_at.isoformat(),
                    "threshold_days": t.pilot_theater_days,
                    "hypotheses": [
                        {"kpi": h.kpi, "status": h.status, "progress": h.progress}
                        for h in i.hypotheses
                    ],
                },
            )
        )
    return risks


def no_scale_owner(facts: PortfolioFacts, as_of: datetime, t: RiskThresholds) -> list[Risk]:
    """At adopt or later without a service owner or a platform owner."""
    risks = []
    for i in _live(facts):
        if i.stage not in SCALED_STAGES:
            continue
        missing = [r for r in SCALE_OWNER_ROLES if not (i.owners.get(r) or "").strip()]
        if not missing:
            continue
        names = " and ".join(f"a {r} owner" for r in missing)
        risks.append(
            Risk(
                "no-scale-owner",
                "No scale owner",
                HIGH,
                (i.name,),
                f"at {i.stage} without {names}",
                {"stage": i.stage, "missing_owners": missing},
            )
        )
    return risks


def compliance_drift(facts: PortfolioFacts, as_of: datetime, t: RiskThresholds) -> list[Risk]:
    """Blocking rules of gates already passed that failed in the latest gate sweep."""
    sweep = facts.sweep
    if sweep is None:
        return []
    live = {i.name for i in _live(facts)}
    risks = []
    for name in sorted(sweep.drift):
        findings = sweep.drift[name]
        if name not in live or not findings:
            continue
        rules = [f"{f.policy}/{f.rule}" for f in findings]
        risks.append(
            Risk(
                "compliance-drift",
                "Compliance drift",
                HIGH,
                (name,),
                f"the gate sweep of {_day(sweep.swept_at)} found {len(findings)} blocking "
                f"rule(s) failing in gates already passed: {', '.join(rules)}",
                {
                    "swept_at": sweep.swept_at.isoformat(),
                    "failing_rules": rules,
                    "messages": [f.message for f in findings],
                },
            )
        )
    return risks


def capacity_changes(
    history: Sequence[CapacityPoint], since: datetime, until: datetime
) -> list[tuple[CapacityPoint, CapacityPoint]]:
    """(before, after) for every change of capacity with since < after.at <= until."""
    return [
        (before, after)
        for before, after in pairwise(history)
        if after.capacity != before.capacity and since < after.at <= until
    ]


def funding_churn(facts: PortfolioFacts, as_of: datetime, t: RiskThresholds) -> list[Risk]:
    """Capacity changed more often than the threshold within the trailing window (a quarter)."""
    risks = []
    since = as_of - timedelta(days=t.funding_churn_window_days)
    for i in _live(facts):
        changes = capacity_changes(i.capacity_history, since, as_of)
        if len(changes) <= t.funding_churn_changes:
            continue
        path = " → ".join(
            [_number(changes[0][0].capacity), *(_number(after.capacity) for _, after in changes)]
        )
        risks.append(
            Risk(
                "funding-churn",
                "Funding churn",
                MEDIUM,
                (i.name,),
                f"capacity changed {len(changes)} times in the last "
                f"{t.funding_churn_window_days} days (more than {t.funding_churn_changes}): "
                f"{path}",
                {
                    "changes": len(changes),
                    "window_days": t.funding_churn_window_days,
                    "threshold_changes": t.funding_churn_changes,
                    "history": [
                        {"at": a.at.isoformat(), "from": b.capacity, "to": a.capacity}
                        for b, a in changes
                    ],
                },
            )
        )
    return risks


def knowledge_silos(facts: PortfolioFacts, as_of: datetime, t: RiskThresholds) -> list[Risk]:
    """At adopt or later, yet neither reusing another initiative's asset nor publishing one."""
    risks = []
    for i in _live(facts):
        if i.stage not in SCALED_STAGES or i.assets_reused or i.assets_published:
            continue
        risks.append(
            Risk(
                "knowledge-silos",
                "Knowledge silos",
                LOW,
                (i.name,),
                f"at {i.stage}, reuses no other initiative's asset and has published none "
                "to the library (no production-labelled asset names it as origin)",
                {"stage": i.stage, "assets_reused": 0, "assets_published": 0},
            )
        )
    return risks


def shadow_ai(facts: PortfolioFacts, as_of: datetime, t: RiskThresholds) -> list[Risk]:
    """Usage on models that are not approved for the initiative's data classes."""
    uses: dict[str, list[ModelUse]] = {}
    for use in facts.model_use:
        uses.setdefault(use.initiative, []).append(use)
    risks = []
    for i in facts.initiatives:
        used = uses.get(i.name, [])
        total = sum(u.events for u in used)
        unapproved = [
            (u, status)
            for u in sorted(used, key=lambda u: u.model)
            if (status := model_status(u.model, facts.catalog, i.data_classes)) != APPROVED
        ]
        if not unapproved:
            continue
        events = sum(u.events for u, _ in unapproved)
        share = events / total if total else 0.0
        models = ", ".join(
            f"{u.model} ({status}, {u.events} call{'' if u.events == 1 else 's'})"
            for u, status in unapproved
        )
        classes = ", ".join(i.data_classes) or "none declared"
        risks.append(
            Risk(
                "shadow-ai",
                "Shadow AI",
                HIGH,
                (i.name,),
                f"{events} of {total} model calls ({share:.1%}) in the last "
                f"{t.shadow_ai_window_days} days went to models not approved for its data "
                f"classes ({classes}): {models}",
                {
                    "events": events,
                    "all_events": total,
                    "share": share,
                    "window_days": t.shadow_ai_window_days,
                    "data_classes": list(i.data_classes),
                    "models": [
                        {"name": u.model, "status": status, "events": u.events}
                        for u, status in unapproved
                    ],
                },
            )
        )
    return risks


def platform_sprawl(facts: PortfolioFacts, as_of: datetime, t: RiskThresholds) -> list[Risk]:
    """Services of initiatives at industrialize or later with no recent pipeline deployment."""
    limit = timedelta(days=t.deployment_window_days)
    risks = []
    for i in _live(facts):
        if i.stage not in PIPELINE_STAGES or not i.services:
            continue
        stale = []
        for service in i.services:
            last = facts.last_deployments.get(service)
            if last is None or as_of - last > limit:
                stale.append((service, last))
        if not stale:
            continue
        described = ", ".join(
            f"{s} (never deployed)"
            if last is None
            else f"{s} (last {_day(last)}, {_days(as_of - last)} days ago)"
            for s, last in stale
        )
        risks.append(
            Risk(
                "platform-sprawl",
                "Platform sprawl",
                MEDIUM,
                (i.name,),
                f"{len(stale)} of {len(i.services)} service(s) show no deployment through the "
                f"pipeline in the last {t.deployment_window_days} days: {described}",
                {
                    "stage": i.stage,
                    "window_days": t.deployment_window_days,
                    "services": [
                        {"service": s, "last_deployment": _iso(last)} for s, last in stale
                    ],
                },
            )
        )
    return risks


def evaluations_stale(facts: PortfolioFacts, as_of: datetime, t: RiskThresholds) -> list[Risk]:
    """Past industrialize and calling models, yet no evaluation run within the fresh window."""
    calls: dict[str, int] = {}
    for use in facts.model_use:
        calls[use.initiative] = calls.get(use.initiative, 0) + use.events
    window = timedelta(days=t.evaluation_fresh_days)
    risks = []
    for i in _live(facts):
        if i.stage not in SCALED_STAGES or not calls.get(i.name):
            continue
        last = facts.last_evaluations.get(i.name)
        # Fresh as the gates read it: started (else recorded) after as_of - window.
        if last is not None and as_of - last < window:
            continue
        n = calls[i.name]
        since = None if last is None else round((as_of - last) / ONE_DAY, 2)
        using = (
            f"at {i.stage} with {n:,} model call{'' if n == 1 else 's'} in the last "
            f"{t.shadow_ai_window_days} days"
        )
        found = (
            "no evaluation run was ever recorded"
            if last is None
            else f"its latest evaluation run is from {_day(last)}, {_days(as_of - last)} days "
            f"ago, past the {t.evaluation_fresh_days}-day freshness window"
        )
        risks.append(
            Risk(
                "evaluations-stale",
                "Evaluations stale",
                MEDIUM,
                (i.name,),
                f"{using}, yet {found}",
                {
                    "stage": i.stage,
                    "model_calls": n,
                    "last_run_at": _iso(last),
                    "days_since_last_run": since,
                    "fresh_days": t.evaluation_fresh_days,
                },
            )
        )
    return risks


Rule = Callable[[PortfolioFacts, datetime, RiskThresholds], list[Risk]]
RULES: tuple[Rule, ...] = (
    pilot_theater,
    no_scale_owner,
    compliance_drift,
    funding_churn,
    knowledge_silos,
    shadow_ai,
    platform_sprawl,
    evaluations_stale,
)


def detect_risks(
    facts: PortfolioFacts, as_of: datetime, thresholds: RiskThresholds | None = None
) -> list[Risk]:
    """Every rule's risks, most severe first, then in rule order, then by initiative."""
    t = thresholds or RiskThresholds()
    found = [
        (SEVERITIES.index(risk.severity), order, risk.initiatives, risk)
        for order, rule in enumerate(RULES)
        for risk in rule(facts, as_of, t)
    ]
    found.sort(key=lambda item: item[:3])
    return [risk for *_, risk in found]
