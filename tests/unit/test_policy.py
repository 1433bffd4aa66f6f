"""CEL policies: compile-time checks, evaluation, waivers, readiness, input hash."""

from __future__ import annotations

import pytest

from scalegate.core.policy import (
    RuleError,
    RuleResult,
    compile_policy,
    compile_rule,
    evaluate_policies,
    gate_passed,
    input_hash,
    readiness,
)
from tests.gates_support import context


def rule(expression: str, **extra: str) -> dict[str, str]:
    return {"name": "r", "capability": "problem", "expression": expression, **extra}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "initiative.stage ==",
            "rules[0] r: expression line 1 column 20: Syntax error: mismatched input '<EOF>'",
        ),
        ("initiative.title", "rules[0] r: expression must return bool, got str"),
        ("owner == 'x'", "rules[0] r: expression reads undeclared variable(s) owner;"),
        ("1 + 'a' == 2", "rules[0] r: expression: No such overload"),
        (
            "['a'].join(',') == 'a'",
            "rules[0] r: expression: Undefined variable or function: 'join'",
        ),
    ],
)
def test_bad_rules_are_rejected_with_their_location(expression: str, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(0, rule(expression))
    assert str(caught.value).startswith(message)


def test_comprehension_variables_are_not_undeclared() -> None:
    compile_rule(0, rule("initiative.hypotheses.all(h, h.kpi != '')"))


def test_missing_evidence_fails_with_a_clear_message_not_an_exception() -> None:
    policy = compile_policy(
        "p",
        1,
        {
            "transition": {"from": "industrialize", "to": "adopt"},
            "rules": [rule("evidence.slos.all(s, s.met)", message="Every SLO is met")],
        },
    )
    [result] = evaluate_policies([policy], context())
    assert (result.passed, result.message) == (False, "Every SLO is met (no slos evidence)")


def test_message_expression_explains_failures_only() -> None:
    spec = {
        "transition": {"from": "define", "to": "prove"},
        "rules": [
            rule(
                "initiative.capacity != null && initiative.capacity <= 10.0",
                message="At most 10 person-weeks",
                messageExpression="'asks ' + string(initiative.capacity) + ' person-weeks'",
            )
        ],
    }
    policy = compile_policy("p", 1, spec)
    [failed] = evaluate_policies([policy], context({"capacity": 12.5}))
    [passed] = evaluate_policies([policy], context({"capacity": 4.0}))
    assert (failed.passed, failed.message) == (False, "asks 12.5 person-weeks")
    assert (passed.passed, passed.message) == (True, "At most 10 person-weeks")


def test_match_filters_initiatives() -> None:
    policy = compile_policy(
        "p",
        1,
        {
            "transition": {"from": "define", "to": "prove"},
            "match": "initiative.riskTier != 'low'",
            "rules": [rule("false")],
        },
    )
    assert evaluate_policies([policy], context({"riskTier": "low"})) == []
    assert len(evaluate_policies([policy], context({"riskTier": "high"}))) == 1


def test_waivers_cover_failing_blocking_rules_only() -> None:
    policy = compile_policy(
        "p",
        1,
        {
            "transition": {"from": "define", "to": "prove"},
            "rules": [
                rule("false") | {"name": "a"},
                rule("false") | {"name": "b"},
                rule("true") | {"name": "c"},
            ],
        },
    )
    results = evaluate_policies([policy], context(), waived={"a", "c"})
    assert [(r.name, r.passed, r.waived, r.blocks) for r in results] == [
        ("a", False, True, False),
        ("b", False, False, True),
        ("c", True, False, False),
    ]
    assert not gate_passed(results)
    assert gate_passed(evaluate_policies([policy], context(), waived={"a", "b"}))


def test_advisory_failures_do_not_block() -> None:
    results = [RuleResult("p", "a", "problem", "advisory", False, False, "m")]
    assert gate_passed(results)


def test_readiness_is_the_passing_share_per_capability() -> None:
    """governance 1 of 2, measurement 2 of 3 (hand count); unexercised capabilities are None."""
    results = [
        RuleResult("p", "g1", "governance", "blocking", True, False, ""),
        RuleResult("p", "g2", "governance", "blocking", False, True, ""),
        RuleResult("p", "m1", "measurement", "blocking", True, False, ""),
        RuleResult("p", "m2", "measurement", "advisory", True, False, ""),
        RuleResult("p", "m3", "measurement", "blocking", False, False, ""),
    ]
    assert readiness(results) == {
        "problem": None,
        "data-integration": None,
        "governance": 0.5,
        "measurement": pytest.approx(2 / 3),
        "operating-model": None,
        "enablement": None,
    }


def test_input_hash_ignores_key_order_and_sees_changes() -> None:
    a = context({"title": "A", "riskTier": "low"})
    b = context({"riskTier": "low", "title": "A"})
    assert input_hash(a) == input_hash(b)
    assert input_hash(a) != input_hash(context({"title": "A", "riskTier": "high"}))


def test_compiled_policies_are_cached_per_version() -> None:
    spec = {"transition": {"from": "define", "to": "prove"}, "rules": [rule("true")]}
    assert compile_policy("cached", 1, spec) is compile_policy("cached", 1, spec)
    assert compile_policy("cached", 2, spec) is not compile_policy("cached", 1, spec)
