"""Pilot-to-scale conversion by cohort quarter (core/conversion.py), checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from scalegate.core.conversion import (
    Cohort,
    StageChange,
    conversion_by_cohort,
    overall_conversion,
    quarter_of,
)


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


# Eight initiatives, every path through the rule:
#   a: define (Jan) -> prove (Feb 10) -> industrialize (Apr) -> adopt (Jun)   Q1 cohort, converted
#   b: prove (Mar 31)  -> retired (May)                                       Q1 cohort, not
#   c: define (Jan) -> prove (Apr 1) -> industrialize (Jul)                   Q2 cohort, not yet
#   d: created at adopt (May 5)                                               Q2 cohort, converted
#   e: define only                                                            not in any cohort
#   f: prove (Jun 30) -> adopt after as_of (Oct)                              Q2, not by as_of
#   g: define -> retired (Feb)                                                not in any cohort
#   h: prove (Jan 15) -> retired (Feb) -> (resurrected) govern (Mar)          Q1 cohort, converted
CHANGES = [
    StageChange("a", "define", at(1, 5)),
    StageChange("a", "prove", at(2, 10)),
    StageChange("a", "industrialize", at(4, 20)),
    StageChange("a", "adopt", at(6, 1)),
    StageChange("b", "prove", at(3, 31)),
    StageChange("b", "retired", at(5, 2)),
    StageChange("c", "define", at(1, 7)),
    StageChange("c", "prove", at(4, 1)),
    StageChange("c", "industrialize", at(7, 15)),
    StageChange("d", "adopt", at(5, 5)),
    StageChange("e", "define", at(2, 2)),
    StageChange("f", "prove", at(6, 30)),
    StageChange("f", "adopt", at(10, 1)),
    StageChange("g", "define", at(1, 1)),
    StageChange("g", "retired", at(2, 1)),
    StageChange("h", "prove", at(1, 15)),
    StageChange("h", "retired", at(2, 14)),
    StageChange("h", "govern", at(3, 3)),
]
AS_OF = at(9, 30)


def test_quarters_are_calendar_quarters() -> None:
    assert [quarter_of(at(m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2026-Q1",
        "2026-Q1",
        "2026-Q2",
        "2026-Q2",
        "2026-Q3",
        "2026-Q3",
        "2026-Q4",
        "2026-Q4",
    ]


def test_cohorts_by_quarter_of_entering_prove() -> None:
    """Q1: a, b, h entered, a and h scaled -> 2/3. Q2: c, d, f entered, d scaled -> 1/3."""
    cohorts = conversion_by_cohort(CHANGES, AS_OF)
    assert cohorts == [
        Cohort("2026-Q1", 3, 2, ("a", "b", "h"), ("a", "h")),
        Cohort("2026-Q2", 3, 1, ("c", "d", "f"), ("d",)),
    ]
    assert cohorts[0].rate == pytest.approx(2 / 3)
    assert cohorts[1].rate == pytest.approx(1 / 3)
    assert overall_conversion(cohorts) == pytest.approx(3 / 6)


def test_as_of_cuts_history() -> None:
    """By Oct 2, f's move to adopt on Oct 1 counts; by Feb 28 only a and h had entered."""
    later = conversion_by_cohort(CHANGES, at(10, 2))
    assert [(c.quarter, c.entered, c.converted) for c in later] == [
        ("2026-Q1", 3, 2),
        ("2026-Q2", 3, 2),
    ]
    early = conversion_by_cohort(CHANGES, at(2, 28))
    assert early == [Cohort("2026-Q1", 2, 0, ("a", "h"), ())]


def test_order_of_input_does_not_matter_and_no_cohort_means_no_rate() -> None:
    assert conversion_by_cohort(reversed(CHANGES), AS_OF) == conversion_by_cohort(CHANGES, AS_OF)
    assert conversion_by_cohort([StageChange("e", "define", at(2, 2))], AS_OF) == []
    assert overall_conversion([]) is None


def test_cohort_year_boundary() -> None:
    """Entering prove on 31 Dec 2025 puts an initiative in 2025-Q4, not 2026-Q1."""
    changes = [
        StageChange("x", "prove", datetime(2025, 12, 31, 23, 59, tzinfo=UTC)),
        StageChange("x", "expand", at(2, 1)),
    ]
    assert conversion_by_cohort(changes, AS_OF) == [Cohort("2025-Q4", 1, 1, ("x",), ("x",))]
