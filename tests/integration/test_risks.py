"""The risk register on a real workspace, built through apply, advance, ingest and sweep.

Apply stamps its audit records and `created_at` with the wall clock, so the portfolio is built
around `start` (the moment the fixture began) and read as of one minute after it was built.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scalegate.core.risks import RiskThresholds
from scalegate.evidence.service import ingest
from scalegate.gates import service as gates
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources, delete_object
from scalegate.risks.service import risk_register
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.gates_support import POLICIES

FULL = """\
  riskTier: high
  dataClasses: [confidential]
  outcome: {user: Agents, task: Resolve cases, result: -20% AHT, constraints: EU only}
"""
OWNERS = "  owners: {sponsor: s@x.example, outcome: o@x.example, platform: p@x.example, " + (
    "risk: r@x.example, service: v@x.example}\n"
)


def portfolio(target_by: str, churn: int, calm: int, recreated: int | None) -> str:
    """The workspace's YAML; capacities vary between applies to leave an audit trail."""

    def initiative(name: str, stage: str, body: str = "") -> str:
        return (
            f"---\napiVersion: scalegate.dev/v1\nkind: Initiative\nmetadata: {{name: {name}}}\n"
            f"spec:\n  title: {name}\n  theme: ops\n  stage: {stage}\n{body}"
        )

    hypothesis = (
        f"  hypotheses: [{{kpi: aht, baseline: {{value: 10, at: 2026-01-01}}, "
        f"target: {{value: 8, by: {target_by}}}}}]\n"
    )
    pilot = FULL + OWNERS + hypothesis
    docs = [
        "apiVersion: scalegate.dev/v1\nkind: Theme\nmetadata: {name: ops}\nspec: {title: Ops}\n",
        "---\napiVersion: scalegate.dev/v1\nkind: KPI\nmetadata: {name: aht}\n"
        "spec: {title: Average handle time, direction: down, tier: business}\n",
        "---\napiVersion: scalegate.dev/v1\nkind: Model\nmetadata: {name: gpt-4o-mini}\n"
        "spec: {provider: openai, allowedDataClasses: [internal, confidential],\n"
        "       status: approved}\n",
        "---\napiVersion: scalegate.dev/v1\nkind: Model\nmetadata: {name: llama-3.1-70b}\n"
        "spec: {provider: meta, allowedDataClasses: [public], status: restricted}\n",
        initiative("stuck-pilot", "define", pilot),
        initiative("moving-pilot", "define", pilot),
        initiative("fresh-pilot", "prove", pilot + "  services: [fresh-pilot-app]\n"),
        initiative(
            "unowned",
            "adopt",
            "  owners: {platform: p@x.example}\n  services: [unowned-api]\n",
        ),
        initiative("sprawling", "industrialize", OWNERS + "  services: [stale-api, fresh-api]\n"),
        initiative(
            "shadow",
            "adopt",
            OWNERS + "  dataClasses: [confidential]\n  services: [shadow-api]\n",
        ),
        initiative("churn", "define", f"  capacity: {churn}\n"),
        initiative("calm", "define", f"  capacity: {calm}\n"),
    ]
    if recreated is not None:
        docs.append(initiative("recreated", "define", f"  capacity: {recreated}\n"))
    return "".join(docs)


def lines(events: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(e) for e in events)


def deployment(service: str, at: datetime) -> dict[str, Any]:
    return {
        "type": "deployment",
        "id": f"{service}-{at.timestamp():.0f}",
        "service": service,
        "environment": "production",
        "status": "success",
        "finished_at": at.isoformat(),
    }


def kpi(initiative: str, at: datetime, value: float) -> dict[str, Any]:
    return {
        "type": "kpi",
        "kpi": "aht",
        "initiative": initiative,
        "at": at.isoformat(),
        "value": value,
    }


def usage(n: int, model: str, at: datetime) -> dict[str, Any]:
    return {
        "type": "usage",
        "id": f"use-{n}",
        "initiative": "shadow",
        "user": "ana",
        "at": at.isoformat(),
        "task": "review",
        "assisted": True,
        "outcome": "accepted",
        "model": model,
        "input_tokens": 1000,
        "output_tokens": 200,
        "latency_ms": 900.0,
    }


@dataclass
class Built:
    workspace: Workspace
    start: datetime
    as_of: datetime
    drifted: list[str]


def build_portfolio(workspace: Workspace) -> Built:
    """Initiatives that trip each rule once (and some that come close), through the services."""
    start = datetime.now(UTC)
    target_by = (start + timedelta(days=200)).date().isoformat()
    factory = workspace.sessions
    apply_sources(factory, read_sources([str(POLICIES)]), ADMIN)
    # churn: 4 → 6 → 8 → 5 (three changes); calm: 1 → 2 (one); recreated: 1 → 2 → 3, deleted,
    # then created again at 4 (a new life: no change since).
    for churn, calm, recreated in ((4, 1, 1), (6, 2, 2), (8, 2, 3), (5, 2, None)):
        apply_sources(factory, [("p.yaml", portfolio(target_by, churn, calm, recreated))], ADMIN)
    delete_object(factory, ADMIN, "Initiative", "recreated")
    apply_sources(factory, [("p.yaml", portfolio(target_by, 5, 2, 4))], ADMIN)
    for name in ("stuck-pilot", "moving-pilot"):
        gates.advance(factory, ADMIN, name, "prove", as_of=start - timedelta(days=120))
    events = [
        deployment("unowned-api", start - timedelta(days=10)),
        deployment("stale-api", start - timedelta(days=100)),
        deployment("fresh-api", start - timedelta(days=5)),
        deployment("shadow-api", start - timedelta(days=1)),
        # stuck-pilot stays at 10.5 (worse than its baseline 10); moving-pilot holds 9.5.
        *(kpi("stuck-pilot", start - timedelta(days=d), 10.5) for d in (10, 5, 2)),
        *(kpi("moving-pilot", start - timedelta(days=d), 9.5) for d in (10, 5, 2)),
        # Three calls on the approved model and one on the restricted one in the last 28 days;
        # an older call on the restricted model (40 days ago) is outside the window.
        *(usage(n, "gpt-4o-mini", start - timedelta(days=n)) for n in (1, 2, 3)),
        usage(4, "llama-3.1-70b", start - timedelta(days=4)),
        usage(5, "llama-3.1-70b", start - timedelta(days=40)),
    ]
    ingest(factory, ADMIN, lines(events), "jsonl")
    swept = gates.sweep(factory, ADMIN, as_of=start - timedelta(hours=1))
    return Built(workspace, start, datetime.now(UTC) + timedelta(minutes=1), swept["drifted"])


@pytest.fixture
def built(workspace: Workspace) -> Built:
    return build_portfolio(workspace)


def test_register_finds_each_rule(built: Built) -> None:
    risks = risk_register(built.workspace.sessions, built.as_of, RiskThresholds())
    assert [(r["severity"], r["rule"], r["initiatives"]) for r in risks] == [
        ("high", "no-scale-owner", ["unowned"]),
        ("high", "compliance-drift", ["shadow"]),
        ("high", "compliance-drift", ["sprawling"]),
        ("high", "compliance-drift", ["unowned"]),
        ("high", "shadow-ai", ["shadow"]),
        ("medium", "pilot-theater", ["stuck-pilot"]),
        ("medium", "funding-churn", ["churn"]),
        ("medium", "platform-sprawl", ["sprawling"]),
        ("medium", "evaluations-stale", ["shadow"]),
        ("low", "knowledge-silos", ["shadow"]),
        ("low", "knowledge-silos", ["unowned"]),
    ]
    by = {(r["rule"], r["initiatives"][0]): r for r in risks}
    entered = (built.start - timedelta(days=120)).date().isoformat()
    assert by["pilot-theater", "stuck-pilot"]["message"] == (
        f"in prove for 120 days (since {entered}), more than 90, and no hypothesis is moving "
        "toward its target (hypotheses: aht at-risk)"
    )
    # progress = (current - baseline) / (target - baseline) = (10.5 - 10) / (8 - 10) = -0.25
    assert by["pilot-theater", "stuck-pilot"]["figures"]["hypotheses"] == [
        {"kpi": "aht", "status": "at-risk", "progress": pytest.approx(-0.25)}
    ]
    assert by["no-scale-owner", "unowned"]["message"] == "at adopt without a service owner"
    assert by["funding-churn", "churn"]["message"] == (
        "capacity changed 3 times in the last 90 days (more than 2): 4 → 6 → 8 → 5"
    )
    assert by["shadow-ai", "shadow"]["message"] == (
        "1 of 4 model calls (25.0%) in the last 28 days went to models not approved for its "
        "data classes (confidential): llama-3.1-70b (restricted, 1 call)"
    )
    # shadow is at adopt and calls models, yet no evaluation run was ever sent for it.
    assert by["evaluations-stale", "shadow"]["message"] == (
        "at adopt with 4 model calls in the last 28 days, yet no evaluation run was ever recorded"
    )
    stale = (built.start - timedelta(days=100)).date().isoformat()
    assert by["platform-sprawl", "sprawling"]["message"] == (
        "1 of 2 service(s) show no deployment through the pipeline in the last 90 days: "
        f"stale-api (last {stale}, 100 days ago)"
    )


def test_compliance_drift_repeats_the_latest_sweep(built: Built) -> None:
    """The prove initiatives meet define → prove, so only the three past prove drift."""
    assert sorted(built.drifted) == ["shadow", "sprawling", "unowned"]
    risks = risk_register(built.workspace.sessions, built.as_of, RiskThresholds())
    unowned = next(
        r for r in risks if r["rule"] == "compliance-drift" and r["initiatives"] == ["unowned"]
    )
    # unowned names a platform owner but no risk owner, and no service owner.
    assert "prove-to-industrialize/platform-and-risk-owners" in unowned["figures"]["failing_rules"]
    assert (
        "definition-of-done-for-scale/service-owner-and-support-model"
        in unowned["figures"]["failing_rules"]
    )
    count = len(unowned["figures"]["failing_rules"])
    assert f"found {count} blocking rule(s) failing" in unowned["message"]
    # Before the sweep ran there was no drift to report.
    earlier = risk_register(
        built.workspace.sessions, built.start - timedelta(hours=2), RiskThresholds()
    )
    assert not [r for r in earlier if r["rule"] == "compliance-drift"]


def test_thresholds_change_what_is_found(built: Built) -> None:
    """150 days in prove, 3 changes allowed, a 120-day deployment window: three risks fewer."""
    relaxed = RiskThresholds(
        pilot_theater_days=150, funding_churn_changes=3, deployment_window_days=120
    )
    rules = {r["rule"] for r in risk_register(built.workspace.sessions, built.as_of, relaxed)}
    assert rules == {
        "no-scale-owner",
        "compliance-drift",
        "shadow-ai",
        "knowledge-silos",
        "evaluations-stale",
    }
    # A one-day funding window still holds all four applies, so calm's one change is churn too
    # once no change is allowed.
    strict = RiskThresholds(funding_churn_changes=0, funding_churn_window_days=1)
    churned = [
        r["initiatives"][0]
        for r in risk_register(built.workspace.sessions, built.as_of, strict)
        if r["rule"] == "funding-churn"
    ]
    assert churned == ["calm", "churn"]


def test_a_pilot_created_in_prove_counts_from_its_creation(built: Built) -> None:
    """91 days on, fresh-pilot (created at prove, never advanced) has been there > 90 days."""
    later = built.as_of + timedelta(days=91)
    risks = risk_register(built.workspace.sessions, later, RiskThresholds())
    theater = sorted(r["initiatives"][0] for r in risks if r["rule"] == "pilot-theater")
    # By then moving-pilot's observations are older than the 28-day current window: unproven.
    assert theater == ["fresh-pilot", "moving-pilot", "stuck-pilot"]
    fresh = next(r for r in risks if r["initiatives"] == ["fresh-pilot"])
    assert fresh["message"].startswith("in prove for 91 days")
    sprawl = [r["initiatives"][0] for r in risks if r["rule"] == "platform-sprawl"]
    # Every service's last deployment is now more than 90 days old (the newest, shadow-api's,
    # 92 days); fresh-pilot-app is not checked because fresh-pilot is only at prove.
    assert sprawl == ["shadow", "sprawling", "unowned"]
