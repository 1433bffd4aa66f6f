"""The error-budget burn-down against hand-computed cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scalegate.core.slo import (
    Objective,
    SliRecord,
    TimeWindow,
    budget_burndown,
    status_from_records,
)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_occurrences_day_by_day() -> None:
    """Target 0.99 (budget 0.01) over 4 days; as_of 5 Nov, so the window is (1 Nov, 5 Nov].

    2 Nov: 100/100 → attainment 1, remaining 1.
    3 Nov: 198/200 = 0.99 → (1 − 0.99) / 0.01 = 1 consumed → remaining 0.
    4 Nov: nothing new → 0.
    5 Nov: 397/400 = 0.9925 → 0.0075 / 0.01 = 0.75 consumed → remaining 0.25.
    """
    objective = Objective("api", 0.99, TimeWindow("4d"))
    records = [
        SliRecord(at(1), 0, 100),  # at the window's start: outside (start, as_of]
        SliRecord(at(1, 12), 100, 100),
        SliRecord(at(2, 12), 98, 100),
        SliRecord(at(4, 6), 199, 200),
        SliRecord(at(5, 0, 5), 0, 100),  # after as_of
    ]
    points = budget_burndown(objective, at(5), records)
    assert [p.at for p in points] == [at(2), at(3), at(4), at(5)]
    assert [p.attainment for p in points] == [1.0, 0.99, 0.99, 0.9925]
    assert [p.remaining for p in points] == [1.0, 0.0, 0.0, 0.25]
    assert (
        points[-1].remaining
        == status_from_records(objective, records, at(5)).error_budget_remaining
    )


def test_a_record_at_a_point_counts_for_it_and_no_traffic_means_no_figure() -> None:
    """Target 0.9 (budget 0.1), 3-day window as of 4 Nov 12:00, points every 12 hours.

    Nothing until 2 Nov 12:00 (None), then 8/10 at exactly 3 Nov 00:00: attainment 0.8,
    consumed 0.2 / 0.1 = 2, remaining −1; as of 4 Nov 12:00, 17/20 → 0.15 / 0.1 → −0.5.
    """
    objective = Objective("api", 0.9, TimeWindow("3d"))
    records = [SliRecord(at(3), 8, 10), SliRecord(at(4, 1), 9, 10)]
    points = budget_burndown(objective, at(4, 12), records, step=timedelta(hours=12))
    assert [p.at for p in points] == [at(2), at(2, 12), at(3), at(3, 12), at(4), at(4, 12)]
    assert [p.remaining for p in points] == [None, None, -1.0, -1.0, -1.0, -0.5]


# Timeslices: 1-hour slices, a slice is good at good/total ≥ 0.9; target 0.75 (budget 0.25).
# Window 2 days as of 3 Nov 00:30: (1 Nov 00:30, 3 Nov 00:30], points 2 Nov 00:30 and as_of.
SLICED = [
    SliRecord(at(1, 10, 30), 10, 10),  # slice (10:00, 11:00]: 10/20 = 0.5, bad
    SliRecord(at(1, 10, 45), 0, 10),
    SliRecord(at(2, 0, 15), 10, 10),  # slice (00:00, 01:00] on 2 Nov, cut by the first point
    SliRecord(at(2, 0, 45), 0, 10),  # ... whole: 10/20 = 0.5, bad
    SliRecord(at(2, 12), 9, 10),  # slice (11:00, 12:00]: 0.9, good
]


def test_timeslices_count_a_cut_slice_with_its_records_up_to_the_point() -> None:
    """2 Nov 00:30: slices 0.5 (bad) and 10/10 so far (good) → 1/2 = 0.5;
    consumed 0.5 / 0.25 = 2, remaining −1.
    As of: 0.5, 0.5, 0.9 → 1 good of 3; consumed (2/3) / 0.25 = 8/3, remaining −5/3."""
    objective = Objective(
        "fast", 0.75, TimeWindow("2d"), "Timeslices", time_slice_target=0.9, time_slice_window="1h"
    )
    points = budget_burndown(objective, at(3, 0, 30), SLICED)
    assert [p.at for p in points] == [at(2, 0, 30), at(3, 0, 30)]
    assert points[0].attainment == 0.5
    assert points[0].remaining == -1.0
    assert points[1].attainment == pytest.approx(1 / 3)
    assert points[1].remaining == pytest.approx(-5 / 3, abs=1e-9)
    status = status_from_records(objective, SLICED, at(3, 0, 30))
    assert points[1].remaining == pytest.approx(status.error_budget_remaining, abs=1e-9)


def test_ratio_timeslices_average_the_slices() -> None:
    """2 Nov 00:30: mean(0.5, 1.0) = 0.75 → consumed 0.25 / 0.25 = 1, remaining 0.
    As of: mean(0.5, 0.5, 0.9) = 1.9/3; consumed (1.1/3) / 0.25 = 4.4/3, remaining −1.4/3."""
    objective = Objective(
        "ratio", 0.75, TimeWindow("2d"), "RatioTimeslices", time_slice_window="1h"
    )
    points = budget_burndown(objective, at(3, 0, 30), SLICED)
    assert points[0].attainment == 0.75
    assert points[0].remaining == 0.0
    assert points[1].attainment == pytest.approx(1.9 / 3)
    assert points[1].remaining == pytest.approx(-1.4 / 3, abs=1e-9)


def test_a_calendar_window_starts_at_its_period() -> None:
    """A calendar month from 1 Jan (UTC): as of 3 Nov 12:00 the period began 1 Nov 00:00."""
    window = TimeWindow("1M", rolling=False, calendar_start="2026-01-01 00:00:00")
    objective = Objective("monthly", 0.5, window)
    points = budget_burndown(objective, at(3, 12), [SliRecord(at(2, 6), 3, 4)])
    assert [(p.at, p.remaining) for p in points] == [
        (at(2), None),
        (at(3), 0.5),  # 3/4 → consumed 0.25 / 0.5 → 0.5 left
        (at(3, 12), 0.5),
    ]
