"""What each review pack says, as plain dicts gathered from the other services.

Every pack covers a trailing period that ends at `as_of`: weekly the last 7 days, monthly the
last 30, quarterly the last 90 (docs/reviews.md says why trailing windows). Figures that have
their own window (an SLO's, the risk rules') keep it and are read as of `as_of`. Stages, owners
and services are the workspace's current ones.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.core.conversion import conversion_by_cohort, overall_conversion
from scalegate.core.lifecycle import STAGE_ORDER, Stage, next_stage
from scalegate.core.risks import RiskThresholds
from scalegate.db import transaction
from scalegate.errors import InvalidInput, Problem
from scalegate.evidence.metrics import Scope, dora_for
from scalegate.evidence.models import IncidentRecord
from scalegate.gates import service as gates
from scalegate.gates.evidence import latest_sweep as last_sweep_row
from scalegate.gates.models import GateDecision, SignOff, Waiver
from scalegate.outcomes.service import outcomes_for
from scalegate.portfolio import service as portfolio
from scalegate.portfolio.models import Initiative
from scalegate.portfolio.service import InitiativeSummary
from scalegate.reviews.reuse import reuse_facts
from scalegate.risks.service import risk_register
from scalegate.slo.models import AlertChange
from scalegate.slo.service import statuses, tracked_objectives
from scalegate.web.queries import stage_history

CADENCES = ("weekly", "monthly", "quarterly")
PERIOD_DAYS = {"weekly": 7, "monthly": 30, "quarterly": 90}
TITLES = {
    "weekly": "Weekly operational review",
    "monthly": "Monthly portfolio review",
    "quarterly": "Quarterly executive review",
}
# How far ahead the monthly pack looks for waivers, sign-offs and target dates running out.
LOOKAHEAD_DAYS = 30
SCALED = ("adopt", "govern", "expand")
STAGES = [*(s.value for s in STAGE_ORDER), Stage.RETIRED.value]
SEVERITIES = ("high", "medium", "low")
STATUSES = ("achieved", "on-track", "at-risk", "unproven")
VERDICT_METHODS = (("experiment", "experiment"), ("did", "DiD"), ("before_after", "before/after"))


@dataclass(frozen=True)
class Period:
    """The trailing window a pack covers: (start, end], end being as_of."""

    cadence: str
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return PERIOD_DAYS[self.cadence]

    def day_range(self) -> tuple[date, date]:
        """The whole UTC days of the window (for DORA): the last is the day of as_of, or the
        day before when as_of is midnight."""
        last = (self.end - timedelta(microseconds=1)).date()
        return last - timedelta(days=self.days - 1), last

    def as_dict(self) -> dict[str, Any]:
        first, last = self.day_range()
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
        }


def period_for(cadence: str, as_of: datetime) -> Period:
    """The window of a cadence ending at as_of; an unknown cadence is a clear error."""
    if cadence not in CADENCES:
        raise InvalidInput(
            f"no review called {cadence!r}; choose weekly, monthly or quarterly",
            [Problem("cadence", "weekly | monthly | quarterly")],
        )
    return Period(cadence, as_of - timedelta(days=PERIOD_DAYS[cadence]), as_of)


def _utc(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(UTC)
    return as_of.replace(tzinfo=UTC) if as_of.tzinfo is None else as_of.astimezone(UTC)


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# ---------------------------------------------------------------------------------------------
# Facts shared by the packs


def _live(factory: sessionmaker[Session]) -> list[InitiativeSummary]:
    return [r for r in portfolio.list_initiatives(factory) if r.stage != Stage.RETIRED]


def _by_service(rows: Iterable[InitiativeSummary]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        for service in r.services:
            found[service].append(r.name)
    return found


def slo_facts(factory: sessionmaker[Session], as_of: datetime) -> dict[str, Any]:
    """Every SLO objective as of a moment, and the burn-rate alerts firing then."""
    with transaction(factory) as session:
        tracked = tracked_objectives(session)
        found = statuses(session, tracked, as_of)
    linked = {t.objective.name: list(t.initiatives) for t in tracked}
    objectives, firing = [], []
    for status in found:
        name = status.objective.name
        alerts = [a for a in status.alerts if a["firing"]]
        objectives.append(
            {
                "objective": name,
                "service": status.objective.service,
                "initiatives": linked.get(name, []),
                "target": status.objective.target,
                "window": status.objective.window.duration,
                "attainment": status.attainment,
                "error_budget_remaining": status.error_budget_remaining,
                "met": status.met,
                "burn_1h": status.burn_rates.get("1h"),
                "firing": [a["name"] for a in alerts],
            }
        )
        firing += [
            {
                "objective": name,
                "service": status.objective.service,
                "initiatives": linked.get(name, []),
                "alert": a["name"],
                "severity": a["severity"],
                "long_window": a["long_window"],
                "long_burn": status.burn_rates.get(a["long_window"]),
                "short_window": a["short_window"],
                "short_burn": status.burn_rates.get(a["short_window"]),
                "threshold": a["threshold"],
            }
            for a in alerts
        ]
    # Pages before tickets, then by objective.
    firing.sort(key=lambda f: (f["severity"] != "page", f["objective"], f["alert"]))
    return {"objectives": objectives, "firing": firing}


def alert_changes(factory: sessionmaker[Session], period: Period) -> list[dict[str, Any]]:
    """Alerts that `scalegate slo sweep` saw start or stop firing within the period."""
    with transaction(factory) as session:
        rows = session.scalars(
            select(AlertChange)
            .where(AlertChange.at > period.start, AlertChange.at <= period.end)
            .order_by(AlertChange.at, AlertChange.id)
        )
        return [
            {
                "at": r.at.isoformat(),
                "objective": r.objective,
                "alert": r.alert,
                "severity": r.severity,
                "change": "started" if r.firing else "stopped",
            }
            for r in rows
        ]


def incidents(
    factory: sessionmaker[Session], period: Period, by_service: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Incidents opened in the period, and older ones still open at its start; newest first."""
    with transaction(factory) as session:
        rows = session.scalars(
            select(IncidentRecord)
            .where(
                IncidentRecord.opened_at <= period.end,
                or_(
                    IncidentRecord.opened_at > period.start,
                    IncidentRecord.resolved_at.is_(None),
                    IncidentRecord.resolved_at > period.start,
                ),
            )
            .order_by(IncidentRecord.opened_at.desc(), IncidentRecord.id)
        ).all()
        found = []
        for r in rows:
            resolved = r.resolved_at if r.resolved_at and r.resolved_at <= period.end else None
            until = resolved or period.end
            found.append(
                {
                    "id": r.id,
                    "service": r.service,
                    "initiatives": [r.initiative]
                    if r.initiative
                    else by_service.get(r.service, []),
                    "opened_at": r.opened_at.isoformat(),
                    "new": r.opened_at > period.start,
                    "resolved_at": _iso(resolved),
                    "open": resolved is None,
                    "hours": round((until - r.opened_at).total_seconds() / 3600, 1),
                    "caused_by": r.caused_by,
                }
            )
    return found


def delivery(factory: sessionmaker[Session], period: Period) -> dict[str, Any]:
    """The portfolio's DORA figures over the period's whole days."""
    first, last = period.day_range()
    return dora_for(factory, Scope("portfolio"), first, last)


def gate_checks(
    factory: sessionmaker[Session], rows: Iterable[InitiativeSummary], as_of: datetime
) -> list[dict[str, Any]]:
    """Each live initiative's next gate as of a moment: passed, or the blocking rules failing."""
    found = []
    for r in rows:
        upcoming = next_stage(r.stage)
        if upcoming is None:
            continue
        check = gates.check(factory, r.name, upcoming, as_of)
        blocking = [
            {"policy": x.policy, "rule": x.name, "message": x.message}
            for x in check.rules
            if x.blocks
        ]
        found.append(
            {
                "initiative": r.name,
                "title": r.title,
                "stage": r.stage,
                "to": upcoming,
                "passed": check.passed,
                "rules": len(check.rules),
                "passing": sum(x.passed for x in check.rules),
                "blocking": blocking,
            }
        )
    return found


def latest_sweep(factory: sessionmaker[Session], as_of: datetime) -> dict[str, Any] | None:
    """The last `scalegate gate sweep` at or before as_of, with each initiative's drift."""
    with transaction(factory) as session:
        sweep = last_sweep_row(session, as_of)
        if sweep is None:
            return None
        drift = [
            {
                "initiative": name,
                "stage": result.get("stage"),
                "policy": d["policy"],
                "rule": d["rule"],
                "message": d["message"],
            }
            for name, result in sorted(sweep.results.get("initiatives", {}).items())
            for d in result.get("drift", [])
        ]
        return {
            "swept_at": sweep.swept_at.isoformat(),
            "pass_rate": sweep.pass_rate,
            "drift": drift,
        }


def decisions(factory: sessionmaker[Session], period: Period) -> list[dict[str, Any]]:
    """Gate decisions taken in the period (advances, holds, step-backs, retirements)."""
    with transaction(factory) as session:
        rows = session.execute(
            select(GateDecision, Initiative.name)
            .join(Initiative, Initiative.id == GateDecision.initiative_id)
            .where(GateDecision.decided_at > period.start, GateDecision.decided_at <= period.end)
            .order_by(GateDecision.decided_at, GateDecision.id)
        ).all()
        return [
            {
                "initiative": name,
                "action": d.action,
                "from": d.from_stage,
                "to": d.to_stage,
                "by": d.decided_by,
                "at": d.decided_at.isoformat(),
                "rationale": d.rationale,
                "failing": [
                    r["name"] for r in (d.evaluation or {}).get("rules", []) if not r["passed"]
                ],
            }
            for d, name in rows
        ]


def _verdict(h: dict[str, Any]) -> dict[str, Any] | None:
    """The strongest comparison of a hypothesis: experiment, then DiD, then before/after."""
    for key, label in VERDICT_METHODS:
        found = h.get(key)
        if found is not None:
            return {
                "method": label,
                "verdict": found["verdict"],
                "lift": found.get("lift"),
                "ci_low": found.get("ci_low"),
                "ci_high": found.get("ci_high"),
            }
    return None


def outcome_facts(
    factory: sessionmaker[Session], rows: Iterable[InitiativeSummary], period: Period
) -> dict[str, Any]:
    """Every live hypothesis as of the period's end, validated benefits, and time returned."""
    hypotheses: list[dict[str, Any]] = []
    hours: dict[tuple[str, str], float] = defaultdict(float)
    first_month = period.start.strftime("%Y-%m")
    horizon = (period.end + timedelta(days=LOOKAHEAD_DAYS)).date()
    for r in rows:
        found = outcomes_for(factory, r.name, period.end)
        for h in found["hypotheses"]:
            verdict = _verdict(h)
            target_date = date.fromisoformat(h["target_date"]) if h["target_date"] else None
            hypotheses.append(
                {
                    "initiative": r.name,
                    "title": r.title,
                    "stage": r.stage,
                    "kpi": h["kpi"],
                    "baseline": h["baseline"],
                    "current": h["current"],
                    "target": h["target"],
                    "target_date": h["target_date"],
                    "progress": h["progress"],
                    "status": h["status"],
                    "verdict": verdict,
                    "due": target_date is not None
                    and period.end.date() <= target_date <= horizon
                    and h["status"] != "achieved",
                    "overdue": target_date is not None
                    and target_date < period.end.date()
                    and h["status"] != "achieved",
                }
            )
        for month in found.get("time_returned_hours") or []:
            if month["hours"] is not None and month["month"] >= first_month:
                hours[(month["month"], r.title)] += month["hours"]
    counts = Counter(h["status"] for h in hypotheses)
    validated = [
        {
            "initiative": h["initiative"],
            "claim": f"{h['title']}: {h['kpi']}",
            **(h["verdict"] or {}),
        }
        for h in hypotheses
        if h["verdict"] and h["verdict"]["verdict"] == "validated"
    ]
    validated.sort(key=lambda v: -abs(v["lift"] or 0))
    return {
        "hypotheses": hypotheses,
        "by_status": {s: counts[s] for s in STATUSES if counts[s]},
        "validated": validated,
        "time_returned": [
            {"month": month, "initiative": who, "hours": round(h, 1)}
            for (month, who), h in sorted(hours.items())
        ],
        "time_returned_hours": round(sum(hours.values()), 1),
    }


def risk_facts(
    factory: sessionmaker[Session], as_of: datetime, thresholds: RiskThresholds | None
) -> dict[str, Any]:
    """The risk register as of a moment, with counts by severity and by rule."""
    found = risk_register(factory, as_of, thresholds)
    severity = Counter(r["severity"] for r in found)
    rules = Counter(r["title"] for r in found)
    return {
        "risks": found,
        "count": len(found),
        "by_severity": {s: severity[s] for s in SEVERITIES},
        "by_rule": [
            {"rule": rule, "severity": sev, "risks": rules[rule]}
            for rule, sev in dict.fromkeys((r["title"], r["severity"]) for r in found)
        ],
    }


def expiring(factory: sessionmaker[Session], as_of: datetime) -> dict[str, list[dict[str, Any]]]:
    """Waivers and sign-offs in force at as_of that run out within the look-ahead."""
    horizon = as_of + timedelta(days=LOOKAHEAD_DAYS)
    with transaction(factory) as session:
        waivers = session.execute(
            select(Waiver, Initiative.name)
            .join(Initiative, Initiative.id == Waiver.initiative_id)
            .where(Waiver.granted_at <= as_of, Waiver.until > as_of, Waiver.until <= horizon)
            .order_by(Waiver.until, Initiative.name)
        ).all()
        signoffs = session.execute(
            select(SignOff, Initiative.name)
            .join(Initiative, Initiative.id == SignOff.initiative_id)
            .where(
                SignOff.signed_at <= as_of,
                SignOff.expires_at > as_of,
                SignOff.expires_at <= horizon,
            )
            .order_by(SignOff.expires_at, Initiative.name)
        ).all()
        return {
            "waivers": [
                {
                    "initiative": name,
                    "rules": list(w.rules),
                    "until": w.until.isoformat(),
                    "granted_by": w.granted_by,
                    "rationale": w.rationale,
                }
                for w, name in waivers
            ],
            "signoffs": [
                {
                    "initiative": name,
                    "item": s.item,
                    "expires_at": _iso(s.expires_at),
                    "signed_by": s.signed_by,
                }
                for s, name in signoffs
            ],
        }


def conversion_facts(factory: sessionmaker[Session], as_of: datetime) -> dict[str, Any]:
    """Pilot-to-scale conversion by cohort quarter as of a moment (core/conversion.py)."""
    cohorts = conversion_by_cohort(stage_history(factory), as_of)
    return {
        "cohorts": [
            {
                "quarter": c.quarter,
                "entered": c.entered,
                "converted": c.converted,
                "rate": c.rate,
                "scaled": list(c.scaled),
            }
            for c in cohorts
        ],
        "entered": sum(c.entered for c in cohorts),
        "converted": sum(c.converted for c in cohorts),
        "rate": overall_conversion(cohorts),
    }


def investment(factory: sessionmaker[Session], rows: list[InitiativeSummary]) -> dict[str, Any]:
    """Capacity asked (person-weeks) and initiatives per theme and stage."""
    with transaction(factory) as session:
        query = select(Initiative.name, Initiative.capacity)
        capacity: dict[str, float | None] = dict(session.execute(query).all())
    per: dict[tuple[str, str], float] = defaultdict(float)
    themes: dict[str, dict[str, Any]] = {}
    for r in rows:
        weeks = float(capacity.get(r.name) or 0.0)
        per[(r.theme_title, r.stage)] += weeks
        theme = themes.setdefault(
            r.theme_title, {"theme": r.theme_title, "initiatives": 0, "capacity": 0.0, "scaled": 0}
        )
        theme["initiatives"] += 1
        theme["capacity"] += weeks
        theme["scaled"] += r.stage in SCALED
    total = sum(t["capacity"] for t in themes.values())
    for t in themes.values():
        t["share"] = t["capacity"] / total if total else None
    return {
        "by_theme": sorted(themes.values(), key=lambda t: (-t["capacity"], t["theme"])),
        "by_theme_stage": [
            {"theme": theme, "stage": stage, "capacity": weeks}
            for (theme, stage), weeks in sorted(
                per.items(), key=lambda i: (i[0][0], STAGES.index(i[0][1]))
            )
            if weeks
        ],
        "capacity": total,
        "unstated": sorted(r.name for r in rows if capacity.get(r.name) is None),
    }


# ---------------------------------------------------------------------------------------------
# The packs


def _platform_issues(
    slo: dict[str, Any], dora: dict[str, Any], risks: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What is wrong with the platform: SLOs below target, failed changes, stale services."""
    issues = [
        {
            "kind": "SLO below target",
            "subject": o["objective"],
            "initiatives": o["initiatives"],
            "detail": "no SLI data in its window"
            if o["attainment"] is None
            else f"attainment {o['attainment'] * 100:.2f}% against {o['target'] * 100:g}% "
            f"over {o['window']}; error budget {o['error_budget_remaining'] * 100:.0f}% left",
        }
        for o in slo["objectives"]
        if not o["met"]
    ]
    if dora["failed_deployments"]:
        issues.append(
            {
                "kind": "Failed changes",
                "subject": "production deployments",
                "initiatives": [],
                "detail": f"{dora['failed_deployments']} of {dora['deployments']} production "
                f"deployments failed (change failure rate "
                f"{(dora['change_failure_rate'] or 0) * 100:.0f}%)",
            }
        )
    issues += [
        {
            "kind": "Service without deployments",
            "subject": ", ".join(s["service"] for s in r["figures"]["services"]),
            "initiatives": r["initiatives"],
            "detail": r["message"],
        }
        for r in risks
        if r["rule"] == "platform-sprawl"
    ]
    return issues


def _weekly(
    factory: sessionmaker[Session], period: Period, thresholds: RiskThresholds | None
) -> dict[str, Any]:
    rows = _live(factory)
    services = _by_service(rows)
    slo = slo_facts(factory, period.end)
    dora = delivery(factory, period)
    risks = risk_register(factory, period.end, thresholds)
    found = incidents(factory, period, services)
    checks = gate_checks(factory, rows, period.end)
    blocked = [c for c in checks if not c["passed"]]
    sweep = latest_sweep(factory, period.end)
    holds = [d for d in decisions(factory, period) if d["action"] == "hold"]
    issues = _platform_issues(slo, dora, risks)
    pages = sum(f["severity"] == "page" for f in slo["firing"])
    opened = [i for i in found if i["new"]]
    still_open = [i for i in found if i["open"]]
    drift = sweep["drift"] if sweep else []

    changed = [
        f"{_plural(len(slo['firing']), 'SLO alert')} firing "
        f"({pages} page, {len(slo['firing']) - pages} ticket) on "
        f"{_plural(len({f['objective'] for f in slo['firing']}), 'objective')}",
        f"{_plural(len(opened), 'incident')} opened, {len(still_open)} still open",
        f"{_plural(dora['deployments'], 'production deployment')}, "
        f"{dora['failed_deployments']} failed",
        f"{_plural(len(issues), 'platform issue')}",
    ]
    decide = []
    paging = sorted({f["objective"] for f in slo["firing"] if f["severity"] == "page"})
    if paging:
        decide.append("respond to the paging alerts on " + ", ".join(paging))
    if drift:
        decide.append(
            f"act on {_plural(len({d['initiative'] for d in drift}), 'initiative')} drifting "
            "from gates already passed"
        )
    if still_open:
        decide.append(f"close or escalate {_plural(len(still_open), 'open incident')}")
    if blocked:
        decide.append(f"unblock {_plural(len(blocked), 'initiative')} failing their next gate")
    return {
        "changed": changed,
        "decide": decide,
        "platform_issues": issues,
        "slo": {**slo, "changes": alert_changes(factory, period)},
        "incidents": found,
        "delivery": dora,
        "gates": {"blocked": blocked, "sweep": sweep, "holds": holds, "checked": len(checks)},
    }


def _monthly(
    factory: sessionmaker[Session], period: Period, thresholds: RiskThresholds | None
) -> dict[str, Any]:
    rows = _live(factory)
    outcomes = outcome_facts(factory, rows, period)
    risks = risk_facts(factory, period.end, thresholds)
    checks = gate_checks(factory, rows, period.end)
    ready = [c for c in checks if c["passed"]]
    soon = expiring(factory, period.end)
    taken = decisions(factory, period)
    hypotheses = outcomes["hypotheses"]
    due = [h for h in hypotheses if h["due"]]
    overdue = [h for h in hypotheses if h["overdue"]]
    statuses_text = ", ".join(f"{n} {s}" for s, n in outcomes["by_status"].items())
    moved = Counter(d["action"] for d in taken)
    changed = [
        f"{_plural(len(hypotheses), 'hypothesis', 'hypotheses')} ({statuses_text or 'none'})",
        f"{_plural(len(outcomes['validated']), 'validated benefit')}",
        f"{_plural(risks['count'], 'risk')} in the register ({risks['by_severity']['high']} high)",
        f"{_plural(len(taken), 'gate decision')}"
        + (" (" + ", ".join(f"{n} {a}" for a, n in sorted(moved.items())) + ")" if taken else ""),
    ]
    decide = []
    if ready:
        decide.append(
            f"{_plural(len(ready), 'initiative')} passing their next gate: "
            + ", ".join(f"{c['initiative']} → {c['to']}" for c in ready)
        )
    if soon["waivers"]:
        decide.append(f"{_plural(len(soon['waivers']), 'waiver')} running out")
    if soon["signoffs"]:
        decide.append(f"{_plural(len(soon['signoffs']), 'sign-off')} expiring")
    if due:
        decide.append(f"{_plural(len(due), 'hypothesis', 'hypotheses')} due within 30 days")
    if overdue:
        decide.append(f"{_plural(len(overdue), 'hypothesis', 'hypotheses')} past target date")
    if risks["by_severity"]["high"]:
        decide.append(f"{_plural(risks['by_severity']['high'], 'high risk')} to treat")
    return {
        "changed": changed,
        "decide": decide,
        "outcomes": outcomes,
        "risks": risks,
        "decisions_due": {
            "ready": ready,
            "waivers": soon["waivers"],
            "signoffs": soon["signoffs"],
            "hypotheses_due": due,
            "hypotheses_overdue": overdue,
        },
        "decisions": taken,
    }


def _risk_key(risk: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    return risk["rule"], tuple(risk["initiatives"])


def _quarterly(
    factory: sessionmaker[Session], period: Period, thresholds: RiskThresholds | None
) -> dict[str, Any]:
    rows = _live(factory)
    outcomes = outcome_facts(factory, rows, period)
    dora = delivery(factory, period)
    slo = slo_facts(factory, period.end)
    conversion = conversion_facts(factory, period.end)
    money = investment(factory, rows)
    now = risk_facts(factory, period.end, thresholds)
    before = risk_facts(factory, period.start, thresholds)
    known = {_risk_key(r) for r in before["risks"]}
    current = {_risk_key(r) for r in now["risks"]}
    taken = decisions(factory, period)
    met = sum(o["met"] for o in slo["objectives"])
    rate = conversion["rate"]
    changed = [
        f"pilot-to-scale conversion {conversion['converted']} of {conversion['entered']}"
        + (f" ({rate * 100:.0f}%)" if rate is not None else ""),
        f"{_plural(len(outcomes['validated']), 'validated benefit')}, "
        f"{outcomes['time_returned_hours']:,.0f} hours returned",
        f"{_plural(dora['deployments'], 'production deployment')} "
        f"(deployment frequency {dora['bands']['deployment_frequency'] or 'not rated'})",
        f"{met} of {_plural(len(slo['objectives']), 'SLO')} met",
        f"{_plural(now['count'], 'risk')} ({now['by_severity']['high']} high), "
        f"{len(current - known)} new this quarter",
    ]
    decide = []
    if now["by_severity"]["high"]:
        decide.append(f"{_plural(now['by_severity']['high'], 'high risk')} to treat")
    if slo["firing"]:
        decide.append(
            f"reliability of {', '.join(sorted({f['objective'] for f in slo['firing']}))}"
        )
    if money["unstated"]:
        decide.append(f"capacity for {_plural(len(money['unstated']), 'initiative')} unstated")
    return {
        "changed": changed,
        "decide": decide,
        "tiers": {
            "outcomes": outcomes,
            "delivery": dora,
            "reliability": {**slo, "met": met},
        },
        "conversion": conversion,
        "investment": money,
        "risk_posture": {
            **now,
            "at_start": before["by_severity"],
            "count_at_start": before["count"],
            "new": [r for r in now["risks"] if _risk_key(r) not in known],
            "resolved": [r for r in before["risks"] if _risk_key(r) not in current],
        },
        "decisions": taken,
    }


BUILDERS = {"weekly": _weekly, "monthly": _monthly, "quarterly": _quarterly}


def summary_text(period: Period, changed: list[str], decide: list[str]) -> str:
    """The pack's opening paragraph: what changed, then what needs a decision."""
    lead = f"In the {period.days} days to {period.end.strftime('%Y-%m-%d %H:%M')} UTC: "
    text = lead + "; ".join(changed) + "."
    if decide:
        text += " Needs a decision: " + "; ".join(decide) + "."
    else:
        text += " Nothing needs a decision."
    return text


def review_pack(
    factory: sessionmaker[Session],
    cadence: str,
    as_of: datetime | None = None,
    thresholds: RiskThresholds | None = None,
) -> dict[str, Any]:
    """One review pack's content as plain dicts (the JSON of `scalegate review --json`)."""
    period = period_for(cadence, _utc(as_of))
    content = BUILDERS[cadence](factory, period, thresholds)
    return {
        "cadence": cadence,
        "title": TITLES[cadence],
        "as_of": period.end.isoformat(),
        "period": period.as_dict(),
        "summary": summary_text(period, content["changed"], content["decide"]),
        **content,
        "reuse": reuse_facts(factory, period.end),
    }
