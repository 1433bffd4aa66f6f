"""Priority: weighted mean of value, feasibility, (6 - risk), scalePotential (docs/portfolio.md)."""

from __future__ import annotations

import pytest

from scalegate.core.rubric import priority, rank

BILLING = {"value": 5, "feasibility": 4, "risk": 3, "scalePotential": 4}


def test_equal_weights_is_the_plain_mean_with_risk_inverted() -> None:
    """(5 + 4 + (6 - 3) + 4) / 4 = 16 / 4 = 4.0, by hand."""
    assert priority(BILLING) == pytest.approx(4.0)


def test_weights_change_the_mean() -> None:
    """(2*5 + 1*4 + 1*3 + 1.5*4) / (2 + 1 + 1 + 1.5) = 23 / 5.5 = 4.1818..., by hand."""
    weights = {"value": 2, "feasibility": 1, "risk": 1, "scalePotential": 1.5}
    assert priority(BILLING, weights) == pytest.approx(23 / 5.5)


def test_higher_risk_lowers_priority() -> None:
    """Risk 5 contributes 1, risk 1 contributes 5: (3+3+1+3)/4 = 2.5 vs (3+3+5+3)/4 = 3.5."""
    assert priority({"value": 3, "feasibility": 3, "risk": 5, "scalePotential": 3}) == 2.5
    assert priority({"value": 3, "feasibility": 3, "risk": 1, "scalePotential": 3}) == 3.5


def test_rank_orders_by_priority_then_name_and_puts_unscored_last() -> None:
    """b and a tie at 4.0 (a first by name); c scores 3.0; d lacks scores and is unranked."""
    ranked = rank(
        [
            ("c", {"value": 3, "feasibility": 3, "risk": 3, "scalePotential": 3}),
            ("d", {"value": 5}),
            ("b", BILLING),
            ("a", {"value": 4, "feasibility": 4, "risk": 2, "scalePotential": 4}),
        ]
    )
    assert [(r.rank, r.name, r.priority) for r in ranked] == [
        (1, "a", 4.0),
        (2, "b", 4.0),
        (3, "c", 3.0),
        (None, "d", None),
    ]
    assert ranked[3].missing == ("feasibility", "risk", "scalePotential")
