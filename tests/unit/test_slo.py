"""SLO figures against hand-computed cases.

Alert windows and thresholds are those of the Google SRE Workbook, "Alerting on SLOs",
table 5-8 (14.4 / 6 / 3 / 1 for a 30-day window), as Sloth generates them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scalegate.core.slo import (
    BURN_ALERTS,
    Counts,
    Objective,
    SliceTally,
    SliRecord,
    TimeWindow,
    add_tallies,
    alert_threshold,
    attainment,
    calendar_period,
    evaluation_window,
    fixed_duration,
    hourly_slice_tallies,
    parse_duration,
    slice_counts,
    status_from_records,
)

AS_OF = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
THIRTY_DAYS = Objective("checkout", 0.999, TimeWindow("30d"), service="checkout-api")
MINUTES_30D = 30 * 24 * 60


def traffic(bad_in_minute: dict[int, int], per_minute: int = 1000) -> list[SliRecord]:
    """30 days of 1-minute records; minute 0 ends at AS_OF, minute k ends k minutes earlier."""
    return [
        SliRecord(AS_OF - timedelta(minutes=k), per_minute - bad_in_minute.get(k, 0), per_minute)
        for k in range(MINUTES_30D)
    ]


def firing(status: object) -> list[str]:
    return [a["name"] for a in status.alerts if a["firing"]]  # type: ignore[attr-defined]


def test_thresholds_for_thirty_days_are_the_workbooks() -> None:
    """720 hours: 2 % in 1h → 14.4, 5 % in 6h → 6, 10 % in 1d → 3, 10 % in 3d → 1."""
    assert [alert_threshold(a, 720) for a in BURN_ALERTS] == [14.4, 6.0, 3.0, 1.0]


def test_fast_burn_pages() -> None:
    """2 % errors (burn 20) in the last hour only.

    Bad events: 60 min × 20 = 1,200. 2h: 1,200 / 120,000 = 1 % → burn 10; 6h: 1,200 / 360,000
    → 3.333…; 1d: 0.8333…; 3d: 0.2777…. Only page-fast (1h 20 > 14.4 and 5m 20 > 14.4) fires.
    Attainment 1 − 1,200 / 43,200,000; budget consumed 0.02777… so remaining 0.97222…;
    time to exhaustion 0.97222… × 720 h / 20 = 35 h.
    """
    status = status_from_records(THIRTY_DAYS, traffic(dict.fromkeys(range(60), 20)), AS_OF)
    assert status.burn_rates == {
        "5m": 20.0,
        "30m": 20.0,
        "1h": 20.0,
        "2h": 10.0,
        "6h": pytest.approx(3.333333333),
        "1d": pytest.approx(0.833333333),
        "3d": pytest.approx(0.277777778),
    }
    assert firing(status) == ["page-fast"]
    assert status.attainment == pytest.approx(1 - 1200 / 43_200_000)
    assert status.error_budget_remaining == pytest.approx(0.972222222)
    assert status.time_to_exhaustion_hours == pytest.approx(35.0)
    assert status.met  # 0.99997 ≥ 0.999: the window as a whole is still fine


def test_slow_burn_pages_only_on_the_slow_rule() -> None:
    """0.8 % errors (burn 8) for the last 6 hours.

    1h and 5m: 8 < 14.4, no page-fast. 6h and 30m: 8 > 6, page-slow fires. 1d: 8 × 6/24 = 2
    < 3, no ticket-fast. 3d: 8 × 6/72 = 0.667 < 1, no ticket-slow.
    """
    status = status_from_records(THIRTY_DAYS, traffic(dict.fromkeys(range(360), 8)), AS_OF)
    assert status.burn_rates["1h"] == 8.0
    assert status.burn_rates["1d"] == 2.0
    assert status.burn_rates["3d"] == pytest.approx(0.666666667)
    assert firing(status) == ["page-slow"]


def test_low_sustained_burn_only_tickets() -> None:
    """0.15 % errors (burn 1.5) for the last 3 days: only ticket-slow (3d and 6h 1.5 > 1)."""
    status = status_from_records(THIRTY_DAYS, traffic(dict.fromkeys(range(3 * 1440), 1.5)), AS_OF)
    assert status.burn_rates["3d"] == 1.5
    assert status.burn_rates["5m"] == 1.5
    assert firing(status) == ["ticket-slow"]
    alert = next(a for a in status.alerts if a["name"] == "ticket-slow")
    assert alert == {
        "name": "ticket-slow",
        "severity": "ticket",
        "long_window": "3d",
        "short_window": "6h",
        "threshold": 1.0,
        "firing": True,
    }


def test_a_day_at_burn_four_tickets_on_both_ticket_rules() -> None:
    """Burn 4 for 1 day: 1d and 2h 4 > 3 (ticket-fast); 3d 4/3 > 1 and 6h 4 > 1 (ticket-slow);
    6h 4 < 6, so no page."""
    status = status_from_records(THIRTY_DAYS, traffic(dict.fromkeys(range(1440), 4)), AS_OF)
    assert status.burn_rates["3d"] == pytest.approx(1.333333333)
    assert firing(status) == ["ticket-fast", "ticket-slow"]


def test_recovered_burn_fires_nothing() -> None:
    """Burn 20 from 60 to 10 minutes ago, clean since.

    1h: 20 × 50/60 = 16.67 > 14.4 but 5m = 0, so page-fast stays quiet; 6h 20 × 50/360 = 2.78
    and 30m 20 × 20/30 = 13.3: no page-slow; 1d 0.69 and 3d 0.23: no tickets.
    """
    status = status_from_records(THIRTY_DAYS, traffic(dict.fromkeys(range(10, 60), 20)), AS_OF)
    assert status.burn_rates["1h"] == pytest.approx(16.666666667)
    assert status.burn_rates["5m"] == 0.0
    assert status.burn_rates["30m"] == pytest.approx(13.333333333)
    assert firing(status) == []


def test_a_burn_exactly_at_the_threshold_does_not_fire() -> None:
    """Comparisons are strict: 1.44 % errors is burn 14.4 exactly, which is not > 14.4."""
    status = status_from_records(THIRTY_DAYS, traffic(dict.fromkeys(range(60), 14.4)), AS_OF)
    assert status.burn_rates["1h"] == 14.4
    assert firing(status) == []


UNEVEN = [  # (minute after 12:00 the interval ends, good, total)
    (1, 990, 1000),
    (2, 1, 2),
    (3, 100, 100),
    (4, 9, 10),
]


def uneven(slice_window: str, method: str, slice_target: float | None) -> float | None:
    records = [SliRecord(datetime(2026, 11, 1, 12, m, tzinfo=UTC), g, t) for m, g, t in UNEVEN]
    events = Counts(sum(r.good for r in records), sum(r.total for r in records))
    return attainment(method, events, slice_counts(records, slice_window), slice_target)


def test_budgeting_methods_differ_on_uneven_traffic() -> None:
    """Occurrences: 1,100 / 1,112 = 0.98921. Timeslices (1m, slice target 0.95): slices
    0.99 ✓, 0.5 ✗, 1.0 ✓, 0.9 ✗ → 2/4 = 0.5. RatioTimeslices: (0.99 + 0.5 + 1 + 0.9) / 4
    = 0.8475."""
    assert uneven("1m", "Occurrences", None) == pytest.approx(1100 / 1112)
    assert uneven("1m", "Timeslices", 0.95) == 0.5
    assert uneven("1m", "RatioTimeslices", None) == pytest.approx(0.8475)


def test_two_minute_slices_group_by_interval_end() -> None:
    """Slices (12:00, 12:02] and (12:02, 12:04]: 991/1,002 = 0.989022 and 109/110 = 0.990909.
    Slice target 0.99 → 1 of 2 good; their mean is 0.989966."""
    assert uneven("2m", "Timeslices", 0.99) == 0.5
    assert uneven("2m", "RatioTimeslices", None) == pytest.approx((991 / 1002 + 109 / 110) / 2)


def test_no_traffic_means_no_attainment_and_not_met() -> None:
    status = status_from_records(THIRTY_DAYS, [], AS_OF)
    assert status.attainment is None
    assert status.error_budget_remaining is None
    assert not status.met
    assert status.burn_rates["1h"] is None
    assert firing(status) == []


def test_overspent_budget_goes_negative() -> None:
    """Attainment 0.997 against 0.999: consumed (0.003 / 0.001) = 3, remaining −2."""
    records = [SliRecord(AS_OF - timedelta(hours=1), 997, 1000)]
    status = status_from_records(THIRTY_DAYS, records, AS_OF)
    assert status.attainment == 0.997
    assert status.error_budget_remaining == pytest.approx(-2.0)
    assert status.time_to_exhaustion_hours == 0.0
    assert not status.met


BERLIN_MONTH = TimeWindow(
    "1M", rolling=False, calendar_start="2026-01-01 00:00:00", time_zone="Europe/Berlin"
)


def test_calendar_month_across_the_boundary() -> None:
    """At 00:30 Berlin time on 1 March (23:30 UTC on 28 February) the March period has begun:
    it starts at 23:00 UTC on 28 February and ends at 22:00 UTC on 31 March (summer time from
    29 March), 31 × 24 − 1 = 743 hours; page-fast's threshold is 0.02 × 743 = 14.86."""
    as_of = datetime(2026, 2, 28, 23, 30, tzinfo=UTC)
    start, end = calendar_period(BERLIN_MONTH, as_of)
    assert start == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert evaluation_window(BERLIN_MONTH, as_of) == (start, 743.0)
    objective = Objective("m", 0.99, BERLIN_MONTH)
    records = [
        SliRecord(datetime(2026, 2, 28, 22, 59, tzinfo=UTC), 0, 100),  # February
        SliRecord(datetime(2026, 2, 28, 23, 0, tzinfo=UTC), 0, 100),  # ends February's period
        SliRecord(datetime(2026, 2, 28, 23, 15, tzinfo=UTC), 99, 100),  # March
    ]
    status = status_from_records(objective, records, as_of)
    assert status.attainment == 0.99
    assert status.alerts[0]["threshold"] == 14.86


def test_calendar_month_in_utc_and_a_quarter() -> None:
    """February 2026 has 672 hours; Q1 from 1 January is 90 days = 2,160 hours."""
    february = TimeWindow("1M", rolling=False, calendar_start="2026-01-01 00:00:00")
    assert evaluation_window(february, datetime(2026, 2, 10, tzinfo=UTC)) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        672.0,
    )
    quarter = TimeWindow("1Q", rolling=False, calendar_start="2025-01-01 00:00:00")
    assert evaluation_window(quarter, datetime(2026, 3, 31, 23, 59, tzinfo=UTC)) == (
        datetime(2026, 1, 1, tzinfo=UTC),
        2160.0,
    )
    week = TimeWindow("1w", rolling=False, calendar_start="2026-11-02 00:00:00")  # a Monday
    start, hours = evaluation_window(week, datetime(2026, 11, 22, 12, tzinfo=UTC))
    assert (start, hours) == (datetime(2026, 11, 16, tzinfo=UTC), 168.0)


def test_durations() -> None:
    assert parse_duration("5m") == (5, "m")
    assert parse_duration("1Q") == (1, "Q")
    assert fixed_duration("2w") == timedelta(days=14)
    with pytest.raises(ValueError, match="no fixed length"):
        fixed_duration("1M")
    for bad in ("0d", "1.5h", "5 m", "5s", ""):
        with pytest.raises(ValueError, match="not a duration"):
            parse_duration(bad)


def test_hourly_slice_tallies() -> None:
    """30-minute slices, slice target 0.9. (10:00, 10:30]: 9/10 + 10/10 = 19/20 = 0.95, good.
    (10:30, 11:00]: 1/2 + 2/2 (11:00 ends this slice) = 3/4, not good. Both lie in the hour
    ending 11:00: 2 measured, 1 good, ratios 0.95 + 0.75 = 1.7. (11:00, 11:30]: 5/5, good,
    in the hour ending 12:00."""
    records = [
        SliRecord(datetime(2026, 11, 1, h, m, tzinfo=UTC), g, t)
        for h, m, g, t in [
            (10, 10, 9, 10),
            (10, 20, 10, 10),
            (10, 40, 1, 2),
            (11, 0, 2, 2),
            (11, 5, 5, 5),
        ]
    ]
    tallies = hourly_slice_tallies(records, 1800, 0.9)
    assert tallies == {
        datetime(2026, 11, 1, 11, tzinfo=UTC): SliceTally(2, 1, pytest.approx(1.7)),
        datetime(2026, 11, 1, 12, tzinfo=UTC): SliceTally(1, 1, 1.0),
    }
    assert add_tallies(tallies.values()) == SliceTally(3, 2, pytest.approx(2.7))
    with pytest.raises(ValueError, match="does not divide an hour"):
        hourly_slice_tallies(records, 7 * 60, 0.9)
