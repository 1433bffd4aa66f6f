"""Evaluation evidence where it joins other read models, on SQLite and PostgreSQL: the usage
trust figures (`evaluation_pass_rate`, `evaluation_pass_rate_lower95`) and the risk register's
`evaluations-stale` rule, from runs stored through `ingest_results`.

Hand computation (docs/metrics.md, AI usage → Trust), z = 1.96, z² = 3.8415:
- fresh runs prompt-evals 48 / 50 (2 days old) and safety 30 / 30 (5 days old) → 78 / 80 =
  0.975; Wilson: centre 0.975 + 3.8415 / 160 = 0.999009, margin
  1.96 · √(0.975 · 0.025 / 80 + 3.8415 / 25,600) = 1.96 · √0.000454756 = 0.041797,
  lower = 0.957212 / (1 + 3.8415 / 80) = 0.957212 / 1.048019 = 0.9134;
- a 40-day-old run (regression, 10 / 20) is stale and left out; so is a run recorded after
  as_of.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scalegate.core.risks import RiskThresholds
from scalegate.evaluations.service import ingest_results
from scalegate.evidence.service import ingest
from scalegate.manifests.service import apply_sources
from scalegate.risks.service import risk_register
from scalegate.usage.service import usage_for
from scalegate.workspace import Workspace
from tests.assets_support import junit
from tests.conftest import ADMIN

AS_OF = datetime(2026, 3, 2, 12, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evaluations"
PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: Model
metadata: {name: gpt-4o-mini}
spec: {provider: openai, status: approved, allowedDataClasses: [internal]}
"""


def initiative(name: str, stage: str) -> str:
    return (
        f"---\napiVersion: scalegate.dev/v1\nkind: Initiative\nmetadata: {{name: {name}}}\n"
        f"spec: {{title: {name}, theme: ops, stage: {stage}, dataClasses: [internal],\n"
        "       owners: {service: s@x.example, platform: p@x.example}}\n"
    )


def calls(name: str, n: int, days_ago: float) -> str:
    """n model calls of one initiative, days_ago before AS_OF."""
    at = (AS_OF - timedelta(days=days_ago)).isoformat()
    return "\n".join(
        json.dumps(
            {
                "type": "usage",
                "id": f"{name}-{i}",
                "initiative": name,
                "user": f"u{i % 3}",
                "at": at,
                "task": "reply",
                "assisted": True,
                "outcome": "accepted",
                "model": "gpt-4o-mini",
            }
        )
        for i in range(n)
    )


def run(ws: Workspace, name: str, data: bytes, days_ago: float, fmt: str = "junit") -> None:
    ingest_results(
        ws.sessions,
        ADMIN,
        data,
        format=fmt,
        initiative=name,
        source=f"{name}.results",
        as_of=AS_OF - timedelta(days=days_ago),
    )


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    """scaled (adopt, evaluated), idle (govern, never evaluated), old (expand, evaluated 40
    days ago), pilot (prove, never evaluated), each with model calls in the last 28 days."""
    docs = PORTFOLIO + "".join(
        initiative(n, s)
        for n, s in (("scaled", "adopt"), ("idle", "govern"), ("old", "expand"), ("pilot", "prove"))
    )
    apply_sources(workspace.sessions, [("p.yaml", docs)], ADMIN)
    events = [calls("scaled", 3, 1), calls("idle", 2, 3), calls("old", 1, 27), calls("pilot", 4, 2)]
    ingest(workspace.sessions, ADMIN, "\n".join(events), "jsonl")
    run(workspace, "scaled", junit(48, 2, "prompt-evals"), 2)
    run(workspace, "scaled", junit(30, 0, "safety"), 5)
    run(workspace, "scaled", junit(10, 10, "regression"), 40)
    run(workspace, "scaled", junit(0, 5, "tomorrow"), -1)  # recorded after AS_OF
    run(workspace, "old", junit(50, 0, "prompt-evals"), 40)
    return workspace


def test_trust_figures_carry_the_latest_fresh_runs_pass_rate(ws: Workspace) -> None:
    trust = usage_for(ws.sessions, "scaled", AS_OF)["trust"]
    assert trust["evaluation_pass_rate"] == pytest.approx(78 / 80)
    assert trust["evaluation_pass_rate_lower95"] == pytest.approx(0.9134, abs=5e-5)
    # The usage figures beside them are unchanged: 3 accepted of 3 assisted, all approved.
    assert (trust["quality_acceptance"], trust["policy_adherence"]) == (1.0, 1.0)


def test_trust_figures_are_null_without_a_fresh_run(ws: Workspace) -> None:
    for name in ("idle", "old"):
        trust = usage_for(ws.sessions, name, AS_OF)["trust"]
        assert (trust["evaluation_pass_rate"], trust["evaluation_pass_rate_lower95"]) == (
            None,
            None,
        )
    # 31 days on, scaled's newest run (2 days before AS_OF) is 33 days old: stale too.
    later = usage_for(ws.sessions, "scaled", AS_OF + timedelta(days=31))["trust"]
    assert later["evaluation_pass_rate"] is None


def test_the_register_flags_scaled_ai_initiatives_whose_evaluations_went_stale(
    ws: Workspace,
) -> None:
    """idle has no run; old's only run is 40 days old; scaled is fresh; pilot is at prove."""
    risks = [
        r
        for r in risk_register(ws.sessions, AS_OF, RiskThresholds())
        if r["rule"] == "evaluations-stale"
    ]
    assert [r["initiatives"] for r in risks] == [["idle"], ["old"]]
    idle, old = risks
    assert idle["message"] == (
        "at govern with 2 model calls in the last 28 days, yet no evaluation run was ever recorded"
    )
    assert old["message"] == (
        "at expand with 1 model call in the last 28 days, yet its latest evaluation run is from "
        "2026-01-21, 40 days ago, past the 30-day freshness window"
    )
    assert old["figures"] == {
        "stage": "expand",
        "model_calls": 1,
        "last_run_at": "2026-01-21T12:00:00+00:00",
        "days_since_last_run": 40.0,
        "fresh_days": 30,
    }


def test_a_run_counts_from_when_it_started(ws: Workspace) -> None:
    """The promptfoo fixture started 2025-05-12T08:14:03.512Z; sent for idle the day before
    AS_OF, it is still a year-old run, so idle stays flagged, now with that date. A 400-day
    window makes it fresh: 2025-05-12 to 2026-03-02 is 294 days."""
    data = (FIXTURES / "promptfoo-billing-dispute.json").read_bytes()
    run(ws, "idle", data, 1, fmt="promptfoo")
    (idle,) = [
        r
        for r in risk_register(ws.sessions, AS_OF, RiskThresholds())
        if r["rule"] == "evaluations-stale" and r["initiatives"] == ["idle"]
    ]
    assert idle["figures"]["last_run_at"] == "2025-05-12T08:14:03.512000+00:00"
    assert "from 2025-05-12, 294 days ago" in idle["message"]
    wide = RiskThresholds(evaluation_fresh_days=400)
    flagged = [
        r["initiatives"]
        for r in risk_register(ws.sessions, AS_OF, wide)
        if r["rule"] == "evaluations-stale"
    ]
    assert flagged == []
