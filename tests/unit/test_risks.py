"""Risk register rules on hand-made facts; every expected number is worked out in the test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scalegate.core.risks import (
    CapacityPoint,
    DriftFinding,
    HypothesisState,
    InitiativeFacts,
    ModelUse,
    PortfolioFacts,
    RiskThresholds,
    SweepFacts,
    capacity_changes,
    compliance_drift,
    detect_risks,
    evaluations_stale,
    funding_churn,
    knowledge_silos,
    no_scale_owner,
    pilot_theater,
    platform_sprawl,
    shadow_ai,
)

AS_OF = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
T = RiskThresholds()
OWNED = {"service": "s@x.example", "platform": "p@x.example"}


def days_ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


def facts(*initiatives: InitiativeFacts, **more: object) -> PortfolioFacts:
    return PortfolioFacts(initiatives=initiatives, **more)  # type: ignore[arg-type]


def pilot(days: float, *hypotheses: HypothesisState, name: str = "pilot") -> InitiativeFacts:
    return InitiativeFacts(name, "prove", days_ago(days), hypotheses=hypotheses)


# --- pilot theater -------------------------------------------------------------------------


def test_pilot_theater_after_90_days_without_a_moving_hypothesis() -> None:
    """Entered prove 120 days and 6 hours before as_of: 120 whole days, 120.25 in figures."""
    stuck = pilot(
        120.25,
        HypothesisState("aht", "at-risk", -0.1),
        HypothesisState("csat", "unproven", None),
    )
    (risk,) = pilot_theater(facts(stuck), AS_OF, T)
    assert risk.rule == "pilot-theater"
    assert risk.severity == "medium"
    assert risk.initiatives == ("pilot",)
    assert risk.message == (
        "in prove for 120 days (since 2026-07-25), more than 90, and no hypothesis is moving "
        "toward its target (hypotheses: aht at-risk, csat unproven)"
    )
    assert risk.figures["days_in_prove"] == 120.25
    assert risk.figures["threshold_days"] == 90


def test_pilot_theater_boundary_exactly_90_days_is_not_more_than_90() -> None:
    at_risk = HypothesisState("aht", "at-risk", None)
    assert pilot_theater(facts(pilot(90, at_risk)), AS_OF, T) == []
    # One second past 90 days is more than 90.
    just_over = pilot(90 + 1 / 86400, at_risk)
    assert [r.initiatives for r in pilot_theater(facts(just_over), AS_OF, T)] == [("pilot",)]


@pytest.mark.parametrize(
    "hypothesis",
    [
        HypothesisState("aht", "on-track", None),
        HypothesisState("aht", "achieved", None),
        # at-risk but past its baseline: progress 0.2 > 0 counts as moving (pilot-evidence rule)
        HypothesisState("aht", "at-risk", 0.2),
    ],
)
def test_a_moving_hypothesis_clears_pilot_theater(hypothesis: HypothesisState) -> None:
    stuck_other = HypothesisState("csat", "at-risk", -0.5)
    assert pilot_theater(facts(pilot(200, stuck_other, hypothesis)), AS_OF, T) == []


def test_pilot_theater_progress_zero_is_not_moving_and_no_hypotheses_count_as_none() -> None:
    at_baseline = pilot(100, HypothesisState("aht", "at-risk", 0.0), name="a")
    none_stated = pilot(100, name="b")
    risks = pilot_theater(facts(at_baseline, none_stated), AS_OF, T)
    assert [r.initiatives for r in risks] == [("a",), ("b",)]
    assert risks[1].message.endswith("(hypotheses: none stated)")


def test_pilot_theater_only_in_prove_and_threshold_configurable() -> None:
    industrialize = InitiativeFacts("later", "industrialize", days_ago(400))
    unknown_entry = InitiativeFacts("unknown", "prove", None)
    assert pilot_theater(facts(industrialize, unknown_entry), AS_OF, T) == []
    # 45 days in prove: clear at the default 90, flagged with a 30-day threshold.
    assert pilot_theater(facts(pilot(45)), AS_OF, T) == []
    (risk,) = pilot_theater(facts(pilot(45)), AS_OF, RiskThresholds(pilot_theater_days=30))
    assert "in prove for 45 days (since 2026-10-08), more than 30" in risk.message


# --- no scale owner ------------------------------------------------------------------------


def test_no_scale_owner_names_the_missing_roles() -> None:
    both = InitiativeFacts("both", "adopt", owners={"sponsor": "x@x.example"})
    no_service = InitiativeFacts("no-service", "govern", owners={"platform": "p@x.example"})
    blank_platform = InitiativeFacts(
        "blank", "expand", owners={"service": "s@x.example", "platform": "  "}
    )
    owned = InitiativeFacts("owned", "expand", owners=OWNED)
    risks = no_scale_owner(facts(both, no_service, blank_platform, owned), AS_OF, T)
    assert [(r.initiatives, r.message) for r in risks] == [
        (("both",), "at adopt without a service owner and a platform owner"),
        (("no-service",), "at govern without a service owner"),
        (("blank",), "at expand without a platform owner"),
    ]
    assert risks[0].figures["missing_owners"] == ["service", "platform"]
    assert {r.severity for r in risks} == {"high"}


def test_no_scale_owner_ignores_stages_before_adopt_and_retired() -> None:
    early = [InitiativeFacts(s, s) for s in ("define", "prove", "industrialize", "retired")]
    assert no_scale_owner(facts(*early), AS_OF, T) == []


# --- compliance drift ----------------------------------------------------------------------


def test_compliance_drift_from_the_latest_sweep() -> None:
    sweep = SweepFacts(
        days_ago(2),
        {
            "drifted": (
                DriftFinding("prove-to-industrialize", "risk-and-data-review-signed", "m1"),
                DriftFinding("definition-of-done-for-scale", "slos-met", "m2"),
            ),
            "clean": (),
            "gone": (DriftFinding("p", "r", "deleted since the sweep"),),
            "retired-since": (DriftFinding("p", "r", "retired since the sweep"),),
        },
    )
    portfolio = facts(
        InitiativeFacts("drifted", "adopt"),
        InitiativeFacts("clean", "adopt"),
        InitiativeFacts("retired-since", "retired"),
        sweep=sweep,
    )
    (risk,) = compliance_drift(portfolio, AS_OF, T)
    assert risk.initiatives == ("drifted",)
    assert risk.message == (
        "the gate sweep of 2026-11-20 found 2 blocking rule(s) failing in gates already passed: "
        "prove-to-industrialize/risk-and-data-review-signed, definition-of-done-for-scale/slos-met"
    )
    assert risk.figures["messages"] == ["m1", "m2"]


def test_no_sweep_no_drift() -> None:
    assert compliance_drift(facts(InitiativeFacts("a", "adopt")), AS_OF, T) == []


# --- funding churn -------------------------------------------------------------------------


def history(*points: tuple[float, float | None]) -> tuple[CapacityPoint, ...]:
    return tuple(CapacityPoint(days_ago(d), c) for d, c in points)


def test_three_capacity_changes_in_90_days_is_churn() -> None:
    """Created at 8 (200 days ago), then 10, 10 (no change), 6, 9: three changes in 90 days."""
    churned = InitiativeFacts(
        "churned",
        "prove",
        capacity_history=history((200, 8), (80, 10), (60, 10), (30, 6), (1, 9)),
    )
    (risk,) = funding_churn(facts(churned), AS_OF, T)
    assert risk.message == (
        "capacity changed 3 times in the last 90 days (more than 2): 8 → 10 → 6 → 9"
    )
    assert risk.figures["changes"] == 3
    assert [(h["from"], h["to"]) for h in risk.figures["history"]] == [(8, 10), (10, 6), (6, 9)]


def test_two_changes_is_not_more_than_two() -> None:
    calm = InitiativeFacts("calm", "adopt", capacity_history=history((200, 8), (50, 10), (5, 8)))
    assert funding_churn(facts(calm), AS_OF, T) == []


def test_funding_churn_window_boundary() -> None:
    """A change exactly 90 days before as_of lies outside the window (as_of - 90 d, as_of]."""
    points = history((300, 1), (90, 2), (40, 3), (20, 4))
    edge = InitiativeFacts("edge", "adopt", capacity_history=points)
    assert funding_churn(facts(edge), AS_OF, T) == []
    assert len(capacity_changes(points, days_ago(90), AS_OF)) == 2
    # Just inside: the change at 89.99 days counts, making three.
    inside = InitiativeFacts(
        "inside", "adopt", capacity_history=history((300, 1), (89.99, 2), (40, 3), (20, 4))
    )
    (risk,) = funding_churn(facts(inside), AS_OF, T)
    assert risk.figures["changes"] == 3


def test_setting_or_dropping_capacity_is_a_change_and_creation_is_not() -> None:
    # Created without capacity 10 days ago, then 5, then none, then 5: three changes.
    flapping = InitiativeFacts(
        "flap", "prove", capacity_history=history((10, None), (8, 5), (6, None), (4, 5))
    )
    (risk,) = funding_churn(facts(flapping), AS_OF, T)
    assert risk.message.endswith("none → 5 → none → 5")
    # Zero allowed changes: the single change of `once` is churn.
    once = InitiativeFacts("once", "prove", capacity_history=history((10, 2), (5, 3)))
    assert funding_churn(facts(once), AS_OF, T) == []
    zero = RiskThresholds(funding_churn_changes=0)
    assert [r.initiatives for r in funding_churn(facts(once), AS_OF, zero)] == [("once",)]


# --- knowledge silos -----------------------------------------------------------------------


def test_knowledge_silos_flags_only_scaled_initiatives_without_reuse_or_publishing() -> None:
    """adopt, govern and expand count; an industrialize initiative is not yet expected to share."""
    reuses = InitiativeFacts("reuses", "adopt", assets_reused=("prompt-pack",))
    publishes = InitiativeFacts("publishes", "expand", assets_published=("eval-set",))
    silo = InitiativeFacts("silo", "govern")
    early = InitiativeFacts("early", "industrialize")
    (risk,) = knowledge_silos(facts(reuses, publishes, silo, early), AS_OF, T)
    assert risk.initiatives == ("silo",)
    assert risk.severity == "low"
    assert risk.message == (
        "at govern, reuses no other initiative's asset and has published none to the library "
        "(no production-labelled asset names it as origin)"
    )
    assert risk.figures == {"stage": "govern", "assets_reused": 0, "assets_published": 0}


# --- shadow AI -----------------------------------------------------------------------------

CATALOG = {
    "gpt-4o-mini": ("approved", frozenset({"public", "internal", "confidential"})),
    "llama": ("restricted", frozenset({"public"})),
    "old": ("retired", frozenset({"public", "internal"})),
}


def test_shadow_ai_counts_calls_on_unapproved_models() -> None:
    """300 approved + 100 restricted + 40 unknown calls: 140 of 440 = 31.8 % unapproved."""
    review = InitiativeFacts("review", "adopt", data_classes=("confidential",))
    use = (
        ModelUse("review", "gpt-4o-mini", 300),
        ModelUse("review", "llama", 100),
        ModelUse("review", "homebrew", 40),
    )
    (risk,) = shadow_ai(facts(review, model_use=use, catalog=CATALOG), AS_OF, T)
    assert risk.severity == "high"
    assert risk.message == (
        "140 of 440 model calls (31.8%) in the last 28 days went to models not approved for its "
        "data classes (confidential): homebrew (unknown, 40 calls), llama (restricted, 100 calls)"
    )
    assert risk.figures["share"] == pytest.approx(140 / 440)


def test_shadow_ai_approved_model_outside_its_data_classes() -> None:
    """gpt-4o-mini is approved, but not for restricted data."""
    clinical = InitiativeFacts("clinical", "prove", data_classes=("internal", "restricted"))
    safe = InitiativeFacts("safe", "prove", data_classes=("internal",))
    use = (ModelUse("clinical", "gpt-4o-mini", 10), ModelUse("safe", "gpt-4o-mini", 10))
    (risk,) = shadow_ai(facts(clinical, safe, model_use=use, catalog=CATALOG), AS_OF, T)
    assert risk.initiatives == ("clinical",)
    assert risk.figures["models"] == [
        {"name": "gpt-4o-mini", "status": "not-allowed-for-data", "events": 10}
    ]
    assert risk.message.startswith("10 of 10 model calls (100.0%)")


def test_retired_model_is_shadow_ai_and_no_usage_is_not() -> None:
    legacy = InitiativeFacts("legacy", "govern", data_classes=("public",))
    idle = InitiativeFacts("idle", "govern", data_classes=("public",))
    use = (ModelUse("legacy", "old", 5),)
    risks = shadow_ai(facts(legacy, idle, model_use=use, catalog=CATALOG), AS_OF, T)
    assert [(r.initiatives, r.figures["models"][0]["status"]) for r in risks] == [
        (("legacy",), "retired")
    ]


# --- platform sprawl -----------------------------------------------------------------------


def test_platform_sprawl_lists_services_without_recent_deployments() -> None:
    scaled = InitiativeFacts("scaled", "adopt", services=("api", "connector", "job"))
    last = {"api": days_ago(3), "connector": days_ago(120.5)}
    (risk,) = platform_sprawl(facts(scaled, last_deployments=last), AS_OF, T)
    assert risk.message == (
        "2 of 3 service(s) show no deployment through the pipeline in the last 90 days: "
        "connector (last 2026-07-25, 120 days ago), job (never deployed)"
    )
    assert [s["service"] for s in risk.figures["services"]] == ["connector", "job"]


def test_platform_sprawl_boundary_and_stages() -> None:
    """A deployment exactly 90 days ago is still within the last 90 days."""
    edge = InitiativeFacts("edge", "industrialize", services=("edge-api",))
    pilot_only = InitiativeFacts("pilot", "prove", services=("pilot-api",))
    serviceless = InitiativeFacts("serviceless", "govern")
    last = {"edge-api": days_ago(90)}
    assert (
        platform_sprawl(facts(edge, pilot_only, serviceless, last_deployments=last), AS_OF, T) == []
    )
    older = {"edge-api": days_ago(90 + 1 / 86400)}
    (risk,) = platform_sprawl(facts(edge, last_deployments=older), AS_OF, T)
    assert risk.initiatives == ("edge",)
    (risk,) = platform_sprawl(
        facts(edge, last_deployments=last), AS_OF, RiskThresholds(deployment_window_days=60)
    )
    assert "in the last 60 days: edge-api (last 2026-08-24, 90 days ago)" in risk.message


# --- the register --------------------------------------------------------------------------


def test_register_orders_by_severity_then_rule_then_initiative() -> None:
    portfolio = facts(
        InitiativeFacts("b-scaled", "adopt", owners=OWNED),
        InitiativeFacts("a-unowned", "adopt"),
        pilot(100),
        model_use=(ModelUse("pilot", "llama", 1),),
        catalog=CATALOG,
    )
    found = [(r.severity, r.rule, r.initiatives) for r in detect_risks(portfolio, AS_OF)]
    assert found == [
        ("high", "no-scale-owner", ("a-unowned",)),
        ("high", "shadow-ai", ("pilot",)),
        ("medium", "pilot-theater", ("pilot",)),
        ("low", "knowledge-silos", ("a-unowned",)),
        ("low", "knowledge-silos", ("b-scaled",)),
    ]


def test_risk_as_dict_shape() -> None:
    (risk,) = no_scale_owner(
        facts(InitiativeFacts("x", "adopt", owners={"service": "s"})), AS_OF, T
    )
    assert risk.as_dict() == {
        "rule": "no-scale-owner",
        "title": "No scale owner",
        "severity": "high",
        "initiatives": ["x"],
        "message": "at adopt without a platform owner",
        "figures": {"stage": "adopt", "missing_owners": ["platform"]},
    }


@pytest.mark.parametrize(
    "bad",
    [
        {"pilot_theater_days": 0},
        {"funding_churn_changes": -1},
        {"funding_churn_window_days": 0},
        {"deployment_window_days": -5},
        {"shadow_ai_window_days": 0},
        {"evaluation_fresh_days": 0},
    ],
)
def test_thresholds_reject_nonsense(bad: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        RiskThresholds(**bad)


# --- evaluations stale ---------------------------------------------------------------------

AI_USE = (ModelUse("scaled", "gpt-4o-mini", 1200), ModelUse("scaled", "llama", 34))


def scaled(stage: str = "adopt", name: str = "scaled") -> InitiativeFacts:
    return InitiativeFacts(name, stage, owners=OWNED)


def test_evaluations_stale_when_the_latest_run_is_past_the_window() -> None:
    """Last run 45 days and 12 hours before as_of (2026-10-08 00:00): 45 whole days, 45.5 in
    figures, past the default 30-day window. 1,200 + 34 = 1,234 model calls."""
    last = {"scaled": days_ago(45.5)}
    (risk,) = evaluations_stale(facts(scaled(), model_use=AI_USE, last_evaluations=last), AS_OF, T)
    assert (risk.rule, risk.title, risk.severity) == (
        "evaluations-stale",
        "Evaluations stale",
        "medium",
    )
    assert risk.initiatives == ("scaled",)
    assert risk.message == (
        "at adopt with 1,234 model calls in the last 28 days, yet its latest evaluation run is "
        "from 2026-10-08, 45 days ago, past the 30-day freshness window"
    )
    assert risk.figures == {
        "stage": "adopt",
        "model_calls": 1234,
        "last_run_at": "2026-10-08T00:00:00+00:00",
        "days_since_last_run": 45.5,
        "fresh_days": 30,
    }


def test_evaluations_stale_without_any_run() -> None:
    use = (ModelUse("scaled", "gpt-4o-mini", 1),)
    (risk,) = evaluations_stale(facts(scaled("expand"), model_use=use), AS_OF, T)
    assert risk.message == (
        "at expand with 1 model call in the last 28 days, yet no evaluation run was ever recorded"
    )
    assert (risk.figures["last_run_at"], risk.figures["days_since_last_run"]) == (None, None)


def test_evaluations_stale_boundary_is_the_gates_freshness() -> None:
    """Fresh means started after as_of - 30 days (core.evaluations.latest_fresh_runs): a run
    exactly 30 days old is stale, one second younger is fresh."""
    edge = {"scaled": days_ago(30)}
    (risk,) = evaluations_stale(facts(scaled(), model_use=AI_USE, last_evaluations=edge), AS_OF, T)
    assert risk.figures["days_since_last_run"] == 30.0
    younger = {"scaled": days_ago(30 - 1 / 86400)}
    assert (
        evaluations_stale(facts(scaled(), model_use=AI_USE, last_evaluations=younger), AS_OF, T)
        == []
    )
    # A 60-day window makes the 45.5-day-old run fresh again.
    older = {"scaled": days_ago(45.5)}
    wide = RiskThresholds(evaluation_fresh_days=60)
    assert (
        evaluations_stale(facts(scaled(), model_use=AI_USE, last_evaluations=older), AS_OF, wide)
        == []
    )


@pytest.mark.parametrize("stage", ["define", "prove", "industrialize", "retired"])
def test_evaluations_stale_only_past_industrialize(stage: str) -> None:
    assert evaluations_stale(facts(scaled(stage), model_use=AI_USE), AS_OF, T) == []


def test_evaluations_stale_only_for_initiatives_calling_models() -> None:
    """No model use in the window (ModelUse holds only the window's calls): not an AI
    initiative, so no evaluation is owed; another initiative's calls do not count."""
    portfolio = facts(scaled(), scaled("govern", name="other"), model_use=AI_USE)
    found = [r.initiatives for r in evaluations_stale(portfolio, AS_OF, T)]
    assert found == [("scaled",)]
    assert evaluations_stale(facts(scaled()), AS_OF, T) == []


def test_evaluations_stale_joins_the_register_among_the_medium_rules() -> None:
    """Medium rules in rule order: pilot theater first, evaluations stale last."""
    portfolio = facts(
        scaled(),
        pilot(100),
        model_use=(ModelUse("scaled", "gpt-4o-mini", 3),),
        catalog=CATALOG,
    )
    found = [(r.severity, r.rule, r.initiatives) for r in detect_risks(portfolio, AS_OF)]
    assert found == [
        ("medium", "pilot-theater", ("pilot",)),
        ("medium", "evaluations-stale", ("scaled",)),
        ("low", "knowledge-silos", ("scaled",)),
    ]
