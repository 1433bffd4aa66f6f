"""Gate use cases: check, advance, sign off, waive, readiness and the compliance sweep."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.access.rights import current_rights
from scalegate.audit.service import AuditLog
from scalegate.core import policy as core
from scalegate.core.lifecycle import (
    Stage,
    forward_transitions,
    is_forward,
    next_stage,
    transitions_passed,
)
from scalegate.db import transaction
from scalegate.errors import GateBlocked, InvalidInput, Problem
from scalegate.gates import evidence
from scalegate.gates.models import GateDecision, GatePolicyVersion, GateSweep, SignOff, Waiver
from scalegate.portfolio.kinds import initiative_spec
from scalegate.portfolio.models import Initiative, initiative_named

URL = re.compile(r"^[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)


@dataclass
class GateCheck:
    """The evaluation of the gates between an initiative's stage and a target stage."""

    initiative: str
    from_stage: str
    to_stage: str
    policies: list[dict[str, Any]]
    rules: list[core.RuleResult]
    input_hash: str
    # The exact asset versions the initiative's uses resolved to when the gate was evaluated.
    asset_uses: list[dict[str, Any]] = field(default_factory=list)
    passed: bool = field(init=False)

    def __post_init__(self) -> None:
        self.passed = core.gate_passed(self.rules)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `scalegate gate check --json`."""
        return {
            "initiative": self.initiative,
            "from": self.from_stage,
            "to": self.to_stage,
            "policies": self.policies,
            "passed": self.passed,
            "rules": [r.as_dict() for r in self.rules],
            "readiness": core.readiness(self.rules),
            "input_hash": self.input_hash,
            "assetUses": self.asset_uses,
        }


def _now() -> datetime:
    return datetime.now(UTC)


def _policies(session: Session, transitions: list[tuple[str, str]]) -> list[core.Policy]:
    """The current, compiled policy versions for these transitions, in transition order."""
    if not transitions:
        return []
    rows = session.scalars(
        select(GatePolicyVersion)
        .where(GatePolicyVersion.current.is_(True))
        .order_by(GatePolicyVersion.name)
    ).all()
    order = {t: i for i, t in enumerate(transitions)}
    chosen = [r for r in rows if (r.from_stage, r.to_stage) in order]
    chosen.sort(key=lambda r: (order[(r.from_stage, r.to_stage)], r.name))
    return [core.compile_policy(r.name, r.version, r.spec) for r in chosen]


def context_for(session: Session, row: Initiative, as_of: datetime) -> dict[str, Any]:
    """The CEL context: initiative, evidence and now."""
    return {
        "initiative": core.initiative_context(row.name, initiative_spec(row)),
        "evidence": evidence.gather(session, row, as_of),
        "now": as_of,
    }


def active_waivers(session: Session, initiative_id: int, as_of: datetime) -> list[Waiver]:
    """Waivers granted by as_of that have not yet run out."""
    return list(
        session.scalars(
            select(Waiver)
            .where(
                Waiver.initiative_id == initiative_id,
                Waiver.granted_at <= as_of,
                Waiver.until > as_of,
            )
            .order_by(Waiver.granted_at)
        )
    )


def _evaluate(
    session: Session, row: Initiative, transitions: list[tuple[str, str]], as_of: datetime
) -> tuple[list[core.Policy], list[core.RuleResult], str, list[dict[str, Any]]]:
    policies = _policies(session, transitions)
    context = context_for(session, row, as_of)
    waived = {rule for w in active_waivers(session, row.id, as_of) for rule in w.rules}
    results = core.evaluate_policies(policies, context, waived)
    uses = context["evidence"].get("assets", {}).get("uses", [])
    return policies, results, core.input_hash(context), uses


def _check(session: Session, row: Initiative, to: str, as_of: datetime) -> GateCheck:
    if not is_forward(row.stage, to):
        raise InvalidInput(
            f"{row.name} is at {row.stage}: gates guard forward moves, and {to} is not ahead",
            [Problem("to", f"choose a stage after {row.stage}")],
        )
    transitions = forward_transitions(row.stage, to)
    policies, results, digest, uses = _evaluate(session, row, transitions, as_of)
    named = [{"name": p.name, "version": p.version} for p in policies]
    return GateCheck(row.name, row.stage, to, named, results, digest, uses)


def _target(row: Initiative, to: str | None) -> str:
    target = to or next_stage(row.stage)
    if target is None:
        raise InvalidInput(f"{row.name} is at {row.stage}: there is no next stage")
    return target


def check(
    factory: sessionmaker[Session], name: str, to: str | None = None, as_of: datetime | None = None
) -> GateCheck:
    """Evaluate the gates from the initiative's stage to `to` (default: the next stage)."""
    with transaction(factory) as session:
        row = initiative_named(session, name)
        return _check(session, row, _target(row, to), as_of or _now())


def advance(
    factory: sessionmaker[Session],
    actor: Actor,
    name: str,
    to: str,
    rationale: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """Move an initiative to a stage; forward moves must pass their gates (or be waived)."""
    when = as_of or _now()
    blocked: GateCheck | None = None
    with transaction(factory) as session:
        rights = current_rights(session)
        row = initiative_named(session, name)
        if to == row.stage:
            raise InvalidInput(f"{name} is already at {to}")
        forward = is_forward(row.stage, to)
        action = f"advance:{to}" if forward else ("retire" if to == Stage.RETIRED else "step-back")
        actor.require(action, rights)
        if not forward and not (rationale and rationale.strip()):
            raise InvalidInput(
                f"moving {name} from {row.stage} to {to} needs a rationale",
                [Problem("rationale", "required when stepping back or retiring")],
            )
        evaluation: dict[str, Any] = {}
        if forward:
            result = _check(session, row, to, when)
            evaluation = result.as_dict()
            if not result.passed:
                blocked = result
        decision_action = "hold" if blocked else ("advance" if forward else action)
        session.add(
            GateDecision(
                initiative_id=row.id,
                action=decision_action,
                from_stage=row.stage,
                to_stage=to,
                decided_by=actor.name,
                decided_at=when,
                rationale=rationale,
                evaluation=evaluation,
            )
        )
        payload = {
            "from": row.stage,
            "to": to,
            "rationale": rationale,
            "passed": evaluation.get("passed"),
            "policies": evaluation.get("policies", []),
            "inputHash": evaluation.get("input_hash"),
            "waived": [r["name"] for r in evaluation.get("rules", []) if r["waived"]],
            "failing": [r["name"] for r in evaluation.get("rules", []) if not r["passed"]],
        }
        AuditLog(session).append(
            actor.name, f"gate.{decision_action}", f"Initiative/{name}", payload, when
        )
        if blocked is None:
            row.stage = to
    if blocked is not None:
        # The hold is committed (and audited) before the refusal is raised.
        failing = [r for r in blocked.rules if r.blocks]
        raise GateBlocked(
            f"{name} cannot move to {to}: {len(failing)} blocking rule(s) fail",
            [Problem(f"{r.policy}/{r.name}", r.message) for r in failing],
        )
    return {
        "initiative": name,
        "from": payload["from"],
        "to": to,
        "decision": decision_action,
        "evaluation": evaluation or None,
    }


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def sign_off(
    factory: sessionmaker[Session],
    actor: Actor,
    name: str,
    item: str,
    artifact: str,
    expires: date | None = None,
    note: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """Sign a launch-checklist item; who may sign which item is a decision right."""
    when = as_of or _now()
    with transaction(factory) as session:
        rights = current_rights(session)
        if item not in rights.signoff_items:
            raise InvalidInput(
                f"unknown sign-off item {item!r}; items: {', '.join(rights.signoff_items)}",
                [Problem("item", "not a configured sign-off item")],
            )
        if not URL.match(artifact):
            raise InvalidInput(
                "the artifact must be a URL (scheme://...)", [Problem("artifact", "not a URL")]
            )
        expires_at = _end_of_day(expires) if expires else None
        if expires_at is not None and expires_at <= when:
            raise InvalidInput(
                "the expiry date is in the past", [Problem("expires", "in the past")]
            )
        actor.require(f"signoff:{item}", rights)
        row = initiative_named(session, name)
        session.add(
            SignOff(
                initiative_id=row.id,
                item=item,
                signed_by=actor.name,
                signed_at=when,
                artifact=artifact,
                expires_at=expires_at,
                note=note,
            )
        )
        record = {
            "item": item,
            "artifact": artifact,
            "expiresAt": expires_at.isoformat() if expires_at else None,
            "note": note,
        }
        AuditLog(session).append(actor.name, "gate.signoff", f"Initiative/{name}", record, when)
        return {"initiative": name, "by": actor.name, "at": when.isoformat(), **record}


def waive(
    factory: sessionmaker[Session],
    actor: Actor,
    name: str,
    rules: list[str],
    until: date,
    rationale: str,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """Grant a time-boxed waiver for named rules of the current policies."""
    when = as_of or _now()
    with transaction(factory) as session:
        rights = current_rights(session)
        actor.require("waive", rights)
        row = initiative_named(session, name)
        problems = []
        if not rationale.strip():
            problems.append(Problem("rationale", "a waiver needs a rationale"))
        ends = _end_of_day(until)
        limit = when + timedelta(days=rights.waiver_max_days)
        if ends <= when:
            problems.append(Problem("until", "the waiver would already have expired"))
        elif ends > limit + timedelta(days=1):
            problems.append(
                Problem(
                    "until",
                    f"waivers last at most {rights.waiver_max_days} days "
                    f"(until {limit.date().isoformat()})",
                )
            )
        known = {r.name for p in _policies(session, _all_transitions()) for r in p.rules}
        unknown = [r for r in rules if r not in known]
        if unknown or not rules:
            problems.append(
                Problem("rules", f"unknown rule(s): {', '.join(unknown) or 'none given'}")
            )
        if problems:
            raise InvalidInput("the waiver cannot be granted", problems)
        session.add(
            Waiver(
                initiative_id=row.id,
                rules=sorted(set(rules)),
                until=ends,
                rationale=rationale,
                granted_by=actor.name,
                granted_at=when,
            )
        )
        record = {"rules": sorted(set(rules)), "until": ends.isoformat(), "rationale": rationale}
        AuditLog(session).append(actor.name, "gate.waive", f"Initiative/{name}", record, when)
        return {
            "initiative": name,
            "grantedBy": actor.name,
            "grantedAt": when.isoformat(),
            **record,
        }


def _all_transitions() -> list[tuple[str, str]]:
    return forward_transitions(Stage.DEFINE.value, Stage.EXPAND.value)


def readiness(
    factory: sessionmaker[Session], name: str, as_of: datetime | None = None
) -> dict[str, Any]:
    """Share of passing rules per capability over the gates up to and including the next one."""
    return check_and_readiness(factory, name, as_of)[1]


def check_and_readiness(
    factory: sessionmaker[Session], name: str, as_of: datetime | None = None
) -> tuple[GateCheck | None, dict[str, Any]]:
    """`check` of the next stage (None at the last one) and `readiness`, from one evaluation.

    The readiness gates include the next one, so its rules come out of the same evaluation;
    gathering the evidence is most of the cost of either (bench/pages.py).
    """
    when = as_of or _now()
    with transaction(factory) as session:
        row = initiative_named(session, name)
        upcoming = next_stage(row.stage)
        last = upcoming or (row.stage if row.stage != Stage.RETIRED else Stage.DEFINE.value)
        transitions = forward_transitions(Stage.DEFINE.value, last)
        _, results, digest, _ = _evaluate(session, row, transitions, when)
        profile = {
            "initiative": name,
            "stage": row.stage,
            "through": upcoming,
            "readiness": core.readiness(results),
            "rules": len(results),
            "passing": sum(r.passed for r in results),
        }
        if upcoming is None:
            return None, profile
        policies = _policies(session, forward_transitions(row.stage, upcoming))
        names = {p.name for p in policies}
        named = [{"name": p.name, "version": p.version} for p in policies]
        own = [r for r in results if r.policy in names]
        return GateCheck(row.name, row.stage, upcoming, named, own, digest), profile


def status(
    factory: sessionmaker[Session], name: str, as_of: datetime | None = None
) -> dict[str, Any]:
    """Sign-offs in force and waivers (with whether each is still active), for `show`."""
    when = as_of or _now()
    with transaction(factory) as session:
        row = initiative_named(session, name)
        signed = [
            {
                "item": s.item,
                "by": s.signed_by,
                "at": s.signed_at.isoformat(),
                "artifact": s.artifact,
                "expiresAt": s.expires_at.isoformat() if s.expires_at else None,
            }
            for s in evidence.valid_signoffs(session, row.id, when)
        ]
        waivers = [
            {
                "rules": w.rules,
                "until": w.until.isoformat(),
                "rationale": w.rationale,
                "grantedBy": w.granted_by,
                "active": w.granted_at <= when < w.until,
            }
            for w in session.scalars(
                select(Waiver).where(Waiver.initiative_id == row.id).order_by(Waiver.granted_at)
            )
        ]
        decisions = [
            {
                "action": d.action,
                "from": d.from_stage,
                "to": d.to_stage,
                "by": d.decided_by,
                "at": d.decided_at.isoformat(),
                "rationale": d.rationale,
            }
            for d in session.scalars(
                select(GateDecision)
                .where(GateDecision.initiative_id == row.id)
                .order_by(GateDecision.decided_at)
            )
        ]
        return {"signoffs": signed, "waivers": waivers, "decisions": decisions}


def sweep(
    factory: sessionmaker[Session], actor: Actor, as_of: datetime | None = None
) -> dict[str, Any]:
    """Re-evaluate every live initiative against the gates it has passed; record the drift."""
    when = as_of or _now()
    with transaction(factory) as session:
        actor.require("sweep", current_rights(session))
        per_initiative: dict[str, Any] = {}
        evaluated = passed = 0
        rows = session.scalars(select(Initiative).order_by(Initiative.name))
        for row in rows:
            if row.stage == Stage.RETIRED:
                continue
            _, results, _, _ = _evaluate(session, row, transitions_passed(row.stage), when)
            drift = [
                {"policy": r.policy, "rule": r.name, "message": r.message}
                for r in results
                if r.blocks
            ]
            evaluated += len(results)
            passed += sum(r.passed for r in results)
            per_initiative[row.name] = {
                "stage": row.stage,
                "evaluated": len(results),
                "passed": sum(r.passed for r in results),
                "drift": drift,
            }
        pass_rate = passed / evaluated if evaluated else None
        results_doc = {"initiatives": per_initiative}
        session.add(
            GateSweep(swept_at=when, swept_by=actor.name, pass_rate=pass_rate, results=results_doc)
        )
        drifted = sorted(n for n, r in per_initiative.items() if r["drift"])
        AuditLog(session).append(
            actor.name,
            "gate.sweep",
            "Portfolio/sweep",
            {"initiatives": len(per_initiative), "drifted": drifted, "passRate": pass_rate},
            when,
        )
    return {
        "sweptAt": when.isoformat(),
        "passRate": pass_rate,
        "rulesEvaluated": evaluated,
        "rulesPassed": passed,
        "drifted": drifted,
        "initiatives": per_initiative,
    }
