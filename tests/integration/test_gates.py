"""Gates over a real workspace: policy versions, advance, waivers, sign-offs, sweep, audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from scalegate.access.actor import Actor
from scalegate.audit import service as audit
from scalegate.errors import Forbidden, GateBlocked, InvalidInput
from scalegate.gates import service as gates
from scalegate.gates.models import GatePolicyVersion
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.gates_support import NOW, POLICIES

CONTROLS = Actor("risk@northwind.example", frozenset({"controls"}))
OFFICE = Actor("vo@northwind.example", frozenset({"value-office"}))
OWNER = Actor("po@northwind.example", frozenset({"product-owner"}))

PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: KPI
metadata: {name: aht}
spec: {title: Average handle time, direction: down, tier: business}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: disputes}
spec:
  title: Billing disputes
  theme: ops
  stage: define
  riskTier: high
  dataClasses: [confidential]
  outcome: {user: Agents, task: Resolve disputes, result: -20% AHT, constraints: EU only}
  owners: {sponsor: s@northwind.example, outcome: o@northwind.example}
  hypotheses:
    - kpi: aht
      baseline: {value: 11.5, at: 2026-03-01}
      target: {value: 9.2, by: 2026-12-31}
"""


@pytest.fixture
def gated(workspace: Workspace) -> Workspace:
    """The default bundle and one initiative in define that meets define → prove."""
    apply_sources(workspace.sessions, read_sources([str(POLICIES)]), ADMIN)
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    return workspace


def apply(ws: Workspace, text: str) -> None:
    apply_sources(ws.sessions, [("p.yaml", text)], ADMIN)


def test_policies_are_versioned_by_content(gated: Workspace) -> None:
    text = (POLICIES / "default-gates.yaml").read_text()
    apply(gated, text)  # unchanged: no new version
    apply(
        gated, text.replace("size(initiative.dataClasses) > 0", "size(initiative.dataClasses) > 1")
    )
    with gated.sessions() as session:
        rows = session.scalars(
            select(GatePolicyVersion)
            .where(GatePolicyVersion.name == "define-to-prove")
            .order_by(GatePolicyVersion.version)
        ).all()
    assert [(r.version, r.current) for r in rows] == [(1, False), (2, True)]
    assert rows[0].content_hash != rows[1].content_hash
    check = gates.check(gated.sessions, "disputes", as_of=NOW)
    assert check.policies == [{"name": "define-to-prove", "version": 2}]
    assert not check.passed  # one data class is no longer enough


def test_bad_cel_is_rejected_at_apply_with_file_line_and_column(gated: Workspace) -> None:
    bad = """\
apiVersion: scalegate.dev/v1
kind: GatePolicy
metadata: {name: broken}
spec:
  transition: {from: define, to: prove}
  rules:
    - name: fine
      capability: problem
      expression: "true"
    - name: typo
      capability: governance
      expression: "initiative.riskTier == 'high' &&"
    - name: wrong-type
      capability: governance
      expression: "initiative.title"
"""
    with pytest.raises(InvalidInput) as caught:
        apply_sources(gated.sessions, [("gates.yaml", bad)], ADMIN)
    messages = [str(p) for p in caught.value.details]
    assert messages[0].startswith(
        "gates.yaml:12: GatePolicy/broken: rules[1] typo: expression line 1 column 33: "
        "Syntax error: mismatched input '<EOF>'"
    )
    assert messages[1] == (
        "gates.yaml:15: GatePolicy/broken: rules[2] wrong-type: "
        "expression must return bool, got str"
    )


def test_a_gate_guards_one_forward_step(gated: Workspace) -> None:
    skip = """\
apiVersion: scalegate.dev/v1
kind: GatePolicy
metadata: {name: skip}
spec:
  transition: {from: define, to: adopt}
  rules: [{name: r, capability: problem, expression: "true"}]
"""
    with pytest.raises(InvalidInput) as caught:
        apply_sources(gated.sessions, [("g.yaml", skip)], ADMIN)
    assert [str(p) for p in caught.value.details] == [
        "g.yaml:5: GatePolicy/skip: spec.transition: a gate guards one forward step: "
        "after define comes prove"
    ]


def test_advance_passes_records_and_audits(gated: Workspace) -> None:
    result = gates.advance(gated.sessions, OWNER, "disputes", "prove", as_of=NOW)
    assert (result["from"], result["to"], result["decision"]) == ("define", "prove", "advance")
    assert result["evaluation"]["passed"] is True
    [record] = audit.recent(gated.sessions, limit=1)
    assert (record.actor, record.action, record.object) == (
        "po@northwind.example",
        "gate.advance",
        "Initiative/disputes",
    )
    assert record.payload["policies"] == [{"name": "define-to-prove", "version": 1}]
    assert record.payload["inputHash"] == result["evaluation"]["input_hash"]
    assert audit.verify(gated.sessions).ok


def test_advance_refused_then_allowed_by_a_waiver_which_then_expires(gated: Workspace) -> None:
    gates.advance(gated.sessions, OWNER, "disputes", "prove", as_of=NOW)
    with pytest.raises(GateBlocked) as caught:
        gates.advance(gated.sessions, OFFICE, "disputes", "industrialize", as_of=NOW)
    assert caught.value.exit_code == 3
    failing = {p.path for p in caught.value.details}
    assert failing == {
        "prove-to-industrialize/pilot-evidence",
        "prove-to-industrialize/risk-and-data-review-signed",
        "prove-to-industrialize/platform-and-risk-owners",
    }
    # The refusal is a recorded, audited hold; the stage did not move.
    [hold] = audit.recent(gated.sessions, limit=1)
    assert (hold.action, hold.payload["passed"]) == ("gate.hold", False)
    assert gates.check(gated.sessions, "disputes", as_of=NOW).from_stage == "prove"

    until = (NOW + timedelta(days=30)).date()
    gates.waive(
        gated.sessions,
        CONTROLS,
        "disputes",
        sorted(r.split("/")[1] for r in failing),
        until,
        "Sandbox pilot under the AI regulatory sandbox",
        as_of=NOW,
    )
    check = gates.check(gated.sessions, "disputes", as_of=NOW)
    assert check.passed
    assert sorted(r.name for r in check.rules if r.waived) == [
        "pilot-evidence",
        "platform-and-risk-owners",
        "risk-and-data-review-signed",
    ]
    # After the waiver's last day it no longer covers anything.
    later = NOW + timedelta(days=32)
    assert not gates.check(gated.sessions, "disputes", as_of=later).passed
    result = gates.advance(gated.sessions, OFFICE, "disputes", "industrialize", as_of=NOW)
    assert result["decision"] == "advance"
    [record] = audit.recent(gated.sessions, limit=1)
    assert record.payload["waived"] == [
        "pilot-evidence",
        "risk-and-data-review-signed",
        "platform-and-risk-owners",
    ]


def test_waiver_limits(gated: Workspace) -> None:
    with pytest.raises(InvalidInput) as caught:
        gates.waive(
            gated.sessions,
            CONTROLS,
            "disputes",
            ["slos-met", "nope"],
            (NOW + timedelta(days=120)).date(),
            "too long",
            as_of=NOW,
        )
    assert [(p.path, p.message) for p in caught.value.details] == [
        ("until", "waivers last at most 90 days (until 2027-02-20)"),
        ("rules", "unknown rule(s): nope"),
    ]
    with pytest.raises(Forbidden):
        gates.waive(
            gated.sessions,
            OWNER,
            "disputes",
            ["slos-met"],
            (NOW + timedelta(days=10)).date(),
            "mine",
            as_of=NOW,
        )


def test_signoffs_count_until_they_expire(gated: Workspace) -> None:
    gates.advance(gated.sessions, OWNER, "disputes", "prove", as_of=NOW)
    expires = (NOW + timedelta(days=10)).date()
    gates.sign_off(
        gated.sessions,
        CONTROLS,
        "disputes",
        "risk-review",
        "https://grc.northwind.example/r/17",
        expires,
        as_of=NOW,
    )
    gates.sign_off(
        gated.sessions,
        CONTROLS,
        "disputes",
        "data-review",
        "https://grc.northwind.example/d/4",
        as_of=NOW,
    )

    def rule(as_of_days: int) -> bool:
        check = gates.check(gated.sessions, "disputes", as_of=NOW + timedelta(days=as_of_days))
        return next(r.passed for r in check.rules if r.name == "risk-and-data-review-signed")

    assert rule(1) is True
    assert rule(10) is True  # valid through its expiry date
    assert rule(11) is False


def test_signoff_rights_items_and_artifacts(gated: Workspace) -> None:
    with pytest.raises(Forbidden, match=r"may not signoff:risk-review"):
        gates.sign_off(gated.sessions, OWNER, "disputes", "risk-review", "https://x", as_of=NOW)
    with pytest.raises(InvalidInput, match="unknown sign-off item"):
        gates.sign_off(gated.sessions, CONTROLS, "disputes", "vibes-check", "https://x", as_of=NOW)
    with pytest.raises(InvalidInput, match="must be a URL"):
        gates.sign_off(gated.sessions, CONTROLS, "disputes", "risk-review", "trust me", as_of=NOW)


def test_decision_rights_document_changes_who_may_act(gated: Workspace) -> None:
    with pytest.raises(Forbidden):
        gates.advance(gated.sessions, CONTROLS, "disputes", "prove", as_of=NOW)
    rights = (
        (POLICIES / "decision-rights.yaml")
        .read_text()
        .replace("advance:prove: [value-office, product-owner]", "advance:prove: [controls]")
    )
    apply(gated, rights)
    assert gates.advance(gated.sessions, CONTROLS, "disputes", "prove", as_of=NOW)["to"] == "prove"
    with pytest.raises(Forbidden):
        gates.advance(gated.sessions, OWNER, "disputes", "industrialize", as_of=NOW)


def test_stepping_back_and_retiring_need_a_rationale(gated: Workspace) -> None:
    gates.advance(gated.sessions, OWNER, "disputes", "prove", as_of=NOW)
    with pytest.raises(InvalidInput, match="needs a rationale"):
        gates.advance(gated.sessions, OFFICE, "disputes", "define", as_of=NOW)
    back = gates.advance(
        gated.sessions, OFFICE, "disputes", "define", "Outcome was wrong", as_of=NOW
    )
    assert back["decision"] == "step-back"
    retired = gates.advance(
        gated.sessions, OFFICE, "disputes", "retired", "Vendor tool bought", as_of=NOW
    )
    assert retired["decision"] == "retire"
    actions = [r.action for r in audit.recent(gated.sessions, limit=3)]
    assert actions == ["gate.retire", "gate.step-back", "gate.advance"]


def test_readiness_profile(gated: Workspace) -> None:
    """At define, the profile covers define → prove only: 4 rules, all passing."""
    profile = gates.readiness(gated.sessions, "disputes", as_of=NOW)
    assert (profile["rules"], profile["passing"]) == (4, 4)
    assert profile["readiness"] == {
        "problem": 1.0,
        "data-integration": None,
        "governance": 1.0,
        "measurement": 1.0,
        "operating-model": 1.0,
        "enablement": None,
    }
    gates.advance(gated.sessions, OWNER, "disputes", "prove", as_of=NOW)
    # At prove: 4 + 4 rules; prove → industrialize passes only evaluation-pass-rate (no AI seen).
    profile = gates.readiness(gated.sessions, "disputes", as_of=NOW)
    assert (profile["rules"], profile["passing"]) == (8, 5)
    assert profile["readiness"]["governance"] == 0.5
    assert profile["readiness"]["data-integration"] == 1.0


def test_sweep_detects_drift_after_evidence_changes(gated: Workspace) -> None:
    gates.advance(gated.sessions, OWNER, "disputes", "prove", as_of=NOW)
    clean = gates.sweep(gated.sessions, CONTROLS, as_of=NOW)
    assert (clean["drifted"], clean["rulesEvaluated"], clean["passRate"]) == ([], 4, 1.0)
    # The outcome owner leaves: the define → prove gate this initiative passed now fails.
    apply(
        gated,
        PORTFOLIO.replace(", outcome: o@northwind.example", "").replace(
            "stage: define", "stage: prove"
        ),
    )
    drifted = gates.sweep(gated.sessions, CONTROLS, as_of=NOW + timedelta(days=1))
    assert drifted["drifted"] == ["disputes"]
    assert drifted["initiatives"]["disputes"]["drift"] == [
        {
            "policy": "define-to-prove",
            "rule": "sponsor-and-outcome-owner",
            "message": "A sponsor and an outcome owner are named",
        }
    ]
    assert drifted["passRate"] == 0.75  # 3 of 4 rules pass
    [record] = audit.recent(gated.sessions, limit=1)
    assert (record.action, record.payload["drifted"]) == ("gate.sweep", ["disputes"])
    # The sweep feeds evidence.gates for the adopt → govern rule.
    context = gates.check(
        gated.sessions, "disputes", "industrialize", as_of=NOW + timedelta(days=2)
    )
    assert context.passed is False


def test_show_lists_waivers_with_their_state(gated: Workspace) -> None:
    gates.waive(
        gated.sessions,
        CONTROLS,
        "disputes",
        ["slos-met"],
        date(2026, 12, 1),
        "Pilot SLOs still being set",
        as_of=NOW,
    )
    status = gates.status(gated.sessions, "disputes", as_of=NOW)
    assert status["waivers"][0]["rules"] == ["slos-met"]
    assert status["waivers"][0]["active"] is True
    later = gates.status(gated.sessions, "disputes", as_of=NOW + timedelta(days=20))
    assert later["waivers"][0]["active"] is False


def test_every_decision_is_audited_in_order(gated: Workspace) -> None:
    gates.sign_off(
        gated.sessions, CONTROLS, "disputes", "risk-review", "https://grc/r/1", as_of=NOW
    )
    gates.waive(
        gated.sessions, CONTROLS, "disputes", ["slos-met"], date(2026, 12, 1), "Sandbox", as_of=NOW
    )
    gates.advance(gated.sessions, OWNER, "disputes", "prove", as_of=NOW)
    with pytest.raises(GateBlocked):
        gates.advance(gated.sessions, OFFICE, "disputes", "industrialize", as_of=NOW)
    gates.sweep(gated.sessions, CONTROLS, as_of=NOW)
    records = list(reversed(audit.recent(gated.sessions, limit=5)))
    assert [(r.actor, r.action) for r in records] == [
        ("risk@northwind.example", "gate.signoff"),
        ("risk@northwind.example", "gate.waive"),
        ("po@northwind.example", "gate.advance"),
        ("vo@northwind.example", "gate.hold"),
        ("risk@northwind.example", "gate.sweep"),
    ]
    assert records[0].payload["artifact"] == "https://grc/r/1"
    assert records[1].payload == {
        "rules": ["slos-met"],
        "until": "2026-12-02T00:00:00+00:00",
        "rationale": "Sandbox",
    }
    # risk-review is signed but data-review is not, so the review rule still fails.
    assert records[3].payload["failing"] == [
        "pilot-evidence",
        "risk-and-data-review-signed",
        "platform-and-risk-owners",
    ]
    assert audit.verify(gated.sessions).ok
