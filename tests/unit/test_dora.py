"""DORA four keys and rework rate, checked against hand arithmetic (docs/metrics.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from scalegate.core.dora import (
    Commit,
    Deployment,
    DoraFigures,
    Incident,
    band_change_failure_rate,
    band_deployment_frequency,
    band_lead_time,
    band_recovery_time,
    dora_metrics,
    percentile,
)

# January 2024: the 1st is a Monday, so day n of the month is weekday (n - 1) % 7.
JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)


def day(n: int) -> date:
    """The date of January n, 2024 (n may run past 31 or below 1)."""
    return date(2024, 1, 1) + timedelta(days=n - 1)


def at(n: int, hour: float = 0.0) -> datetime:
    """January n, 2024 at the given UTC hour."""
    return JAN_1 + timedelta(days=n - 1, hours=hour)


def commit(sha: str, n: int, hour: float = 0.0) -> Commit:
    return Commit(sha, at(n, hour))


def deploy(
    id: str,
    n: int,
    hour: float = 12.0,
    *,
    service: str = "svc",
    environment: str = "production",
    status: str = "success",
    commits: tuple[Commit, ...] = (),
    rollback_of: str | None = None,
    remediates: tuple[str, ...] = (),
) -> Deployment:
    return Deployment(
        id, service, environment, status, at(n, hour), commits, rollback_of, remediates
    )


def incident(
    id: str,
    n: int,
    hour: float = 0.0,
    *,
    service: str = "svc",
    resolved_after: float | None = None,
    caused_by: str | None = None,
) -> Incident:
    opened = at(n, hour)
    resolved = None if resolved_after is None else opened + timedelta(hours=resolved_after)
    return Incident(id, service, opened, resolved, caused_by)


def week(deployments: list[Deployment], incidents: list[Incident] | None = None) -> DoraFigures:
    """The figures for Mon Jan 1 .. Sun Jan 7, 2024 (7 days)."""
    return dora_metrics(deployments, incidents or [], day(1), day(7))


# Window and counting


def test_end_before_start_raises() -> None:
    """Jan 2 .. Jan 1 is an empty, backwards window."""
    with pytest.raises(ValueError, match="before start"):
        dora_metrics([], [], day(2), day(1))


def test_no_deployments_gives_zero_counts_no_rates_and_low_frequency() -> None:
    """0 deployments / 7 days = 0.0 a day < 1/30: low; every rate and percentile is None."""
    figures = week([])
    assert figures.deployments == 0
    assert figures.deployments_per_day == 0.0
    assert figures.failed_deployments == 0
    assert figures.lead_time_hours_p50 is None and figures.lead_time_hours_p90 is None
    assert figures.change_failure_rate is None
    assert figures.recovery_time_hours_p50 is None and figures.recovery_time_hours_p90 is None
    assert figures.rework_rate is None
    assert figures.bands.as_dict() == {
        "deployment_frequency": "low",
        "lead_time": None,
        "change_failure_rate": None,
        "recovery_time": None,
    }
    assert [w.as_dict() for w in figures.weekly] == [
        {
            "week_start": "2024-01-01",
            "deployments": 0,
            "change_failure_rate": None,
            "lead_time_hours_p50": None,
        }
    ]


def test_window_runs_from_start_midnight_to_the_midnight_after_end() -> None:
    """[Jan 1 00:00, Jan 8 00:00): Dec 31 23:59 and Jan 8 00:00 are out, Jan 1 00:00 and
    Jan 7 23:59 are in: 2 deployments; 2 / 7 days = 0.2857 a day."""
    figures = week(
        [
            deploy("before", 0, 23 + 59 / 60),
            deploy("first", 1, 0.0),
            deploy("last", 7, 23 + 59 / 60),
            deploy("after", 8, 0.0),
        ]
    )
    assert figures.deployments == 2
    assert figures.deployments_per_day == pytest.approx(2 / 7)


def test_deployments_per_day_divides_by_whole_days_in_window() -> None:
    """Jan 1 .. Jan 10 is (10 - 1) + 1 = 10 days; 5 deployments / 10 = 0.5 a day."""
    figures = dora_metrics([deploy(f"d{n}", n) for n in (1, 3, 5, 7, 9)], [], day(1), day(10))
    assert figures.deployments == 5
    assert figures.deployments_per_day == pytest.approx(0.5)


def test_non_production_and_failed_deployments_are_not_counted() -> None:
    """Only the production success counts: 1 deployment. Commit c shipped by the staging
    success (Jan 2) and the production failure (Jan 3) first ships with the production success
    on Jan 4 12:00: lead time from Jan 1 00:00 = 3 * 24 + 12 = 84 h."""
    c = commit("c", 1)
    figures = week(
        [
            deploy("staging", 2, environment="staging", commits=(c,)),
            deploy("broken", 3, status="failure", commits=(c,)),
            deploy("prod", 4, commits=(c,)),
        ]
    )
    assert figures.deployments == 1
    assert figures.lead_time_hours_p50 == pytest.approx(84.0)


def test_environment_names_compare_case_insensitively() -> None:
    """ "PROD" and "Production" match the default set; with {"Live"}, only "live" counts."""
    deployments = [
        deploy("a", 2, environment="PROD"),
        deploy("b", 3, environment="Production"),
        deploy("c", 4, environment="live"),
    ]
    assert week(deployments).deployments == 2
    live = dora_metrics(deployments, [], day(1), day(7), frozenset({"Live"}))
    assert live.deployments == 1


# Lead time for changes


def test_lead_time_of_a_commit_first_shipped_in_the_window() -> None:
    """Committed Jan 1 00:00, deployed Jan 2 06:00: 24 + 6 = 30 h; one value, so p50 = p90."""
    figures = week([deploy("d1", 2, 6.0, commits=(commit("c1", 1),))])
    assert figures.lead_time_hours_p50 == pytest.approx(30.0)
    assert figures.lead_time_hours_p90 == pytest.approx(30.0)


def test_commit_already_shipped_before_the_window_is_excluded() -> None:
    """c1 first shipped Dec 31 (before the window), so the Jan 3 12:00 deployment contributes
    only c2 (committed Jan 3 02:00): 10 h."""
    figures = week(
        [
            deploy("old", 0, commits=(commit("c1", -1),)),
            deploy("new", 3, commits=(commit("c1", -1), commit("c2", 3, 2.0))),
        ]
    )
    assert figures.deployments == 1
    assert figures.lead_time_hours_p50 == pytest.approx(10.0)
    assert figures.lead_time_hours_p90 == pytest.approx(10.0)


def test_commit_in_several_deployments_counts_once_at_its_first() -> None:
    """c1 (Jan 1 00:00) first ships Jan 1 10:00: 10 h; its re-ship on Jan 3 is ignored.
    c2 (Jan 3 08:00) ships Jan 3 12:00: 4 h. Values [4, 10]: p50 = 7, p90 = 4 + 0.9 * 6 = 9.4."""
    figures = week(
        [
            deploy("d2", 3, commits=(commit("c1", 1), commit("c2", 3, 8.0))),
            deploy("d1", 1, 10.0, commits=(commit("c1", 1),)),
        ]
    )
    assert figures.lead_time_hours_p50 == pytest.approx(7.0)
    assert figures.lead_time_hours_p90 == pytest.approx(9.4)


def test_first_deployment_is_per_service() -> None:
    """The same sha counts once per service: service a ships it Jan 1 12:00 (12 h), service b
    Jan 2 12:00 (36 h). Values [12, 36]: p50 = 24."""
    c = commit("shared", 1)
    figures = week(
        [
            deploy("a1", 1, service="a", commits=(c,)),
            deploy("b1", 2, service="b", commits=(c,)),
        ]
    )
    assert figures.lead_time_hours_p50 == pytest.approx(24.0)


def test_lead_times_at_or_below_zero_are_dropped() -> None:
    """Deployed Jan 3 12:00: "late" (Jan 3 14:00, -2 h) and "same" (Jan 3 12:00, 0 h) are
    dropped; "ok" (Jan 3 07:00) gives 5 h, the only value."""
    figures = week(
        [
            deploy(
                "d1",
                3,
                commits=(commit("late", 3, 14.0), commit("same", 3, 12.0), commit("ok", 3, 7.0)),
            )
        ]
    )
    assert figures.lead_time_hours_p50 == pytest.approx(5.0)
    assert figures.lead_time_hours_p90 == pytest.approx(5.0)


# Percentiles


def test_percentile_of_nothing_is_none() -> None:
    """n = 0: no value."""
    assert percentile([], 0.5) is None


def test_percentile_of_one_value_is_that_value() -> None:
    """n = 1: h = 0 for every p, so x[0]."""
    assert percentile([42.0], 0.5) == 42.0
    assert percentile([42.0], 0.9) == 42.0


def test_median_of_an_odd_count_is_the_middle_value() -> None:
    """Sorted [1, 3, 5]: h = 2 * 0.5 = 1, so x[1] = 3."""
    assert percentile([5.0, 1.0, 3.0], 0.5) == pytest.approx(3.0)


def test_median_of_an_even_count_is_the_mean_of_the_middle_pair() -> None:
    """Sorted [1, 2, 3, 4]: h = 3 * 0.5 = 1.5, so 2 + 0.5 * (3 - 2) = 2.5."""
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == pytest.approx(2.5)


def test_p90_interpolates_between_closest_ranks() -> None:
    """1..10: h = 9 * 0.9 = 8.1, so x[8] + 0.1 * (x[9] - x[8]) = 9 + 0.1 * 1 = 9.1."""
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 0.9) == pytest.approx(9.1)
    assert percentile(values, 1.0) == pytest.approx(10.0)
    assert percentile(values, 0.0) == pytest.approx(1.0)


def test_percentile_rejects_p_outside_zero_to_one() -> None:
    """p is a fraction: 90 is not 0.9."""
    with pytest.raises(ValueError):
        percentile([1.0], 90)


# Change failure rate and recovery


def test_incident_naming_a_deployment_fails_it() -> None:
    """INC names d2 although d3 and d4 finished before it opened: 1 failed of 4 = 0.25;
    recovery 2 h."""
    figures = week(
        [deploy(f"d{n}", n) for n in (1, 2, 3, 4)],
        [incident("INC", 5, resolved_after=2.0, caused_by="d2")],
    )
    assert figures.failed_deployments == 1
    assert figures.change_failure_rate == pytest.approx(0.25)
    assert figures.recovery_time_hours_p50 == pytest.approx(2.0)


def test_incident_without_cause_blames_its_own_services_latest_deployment() -> None:
    """a1 (Jan 3) is in the window; b1 (Jan 8) is not. An incident of a opened Jan 9 goes to
    a1 (b1 is later but another service): 1 of 1 failed. An incident of b opened Jan 9 goes
    to b1, outside the window, so it fails nothing: 0 of 1."""
    deployments = [deploy("a1", 3, service="a"), deploy("b1", 8, service="b")]
    of_a = week(deployments, [incident("INC-a", 9, service="a", resolved_after=1.0)])
    assert of_a.deployments == 1
    assert of_a.change_failure_rate == pytest.approx(1.0)
    of_b = week(deployments, [incident("INC-b", 9, service="b", resolved_after=1.0)])
    assert of_b.change_failure_rate == pytest.approx(0.0)
    assert of_b.recovery_time_hours_p50 is None


def test_incident_without_cause_blames_the_latest_prior_deployment_not_an_earlier_one() -> None:
    """d2 (Jan 2) and d4 (Jan 4) precede an incident opened Jan 5: d4 is blamed. Window
    Jan 1..3 holds only d2: 0 of 1 failed. Window Jan 1..7 holds both: 1 of 2 = 0.5."""
    deployments = [deploy("d2", 2), deploy("d4", 4)]
    incidents = [incident("INC", 5, resolved_after=1.0)]
    assert dora_metrics(deployments, incidents, day(1), day(3)).change_failure_rate == 0.0
    assert dora_metrics(deployments, incidents, day(1), day(7)).change_failure_rate == 0.5


def test_incident_before_any_deployment_attributes_to_nothing() -> None:
    """Opened Jan 1 06:00, before the only deployment (Jan 2 12:00): 0 of 1 failed, no
    recovery sample."""
    figures = week([deploy("d1", 2)], [incident("INC", 1, 6.0, resolved_after=3.0)])
    assert figures.failed_deployments == 0
    assert figures.change_failure_rate == pytest.approx(0.0)
    assert figures.recovery_time_hours_p50 is None


def test_incident_opened_at_a_shared_finish_time_blames_the_largest_id() -> None:
    """d-a and d-b both finish Jan 3 12:00 (after d0, Jan 2); an incident opened at that very
    instant blames d-b (finished at or before it; largest id). A staging rollback of d-b also
    fails d-b, so failed = {d-b}: 1 of 3. Blaming d-a, or d0 (strictly before), gives 2 of 3."""
    figures = week(
        [
            deploy("d0", 2),
            deploy("d-b", 3),
            deploy("d-a", 3),
            deploy("undo", 4, environment="staging", rollback_of="d-b"),
        ],
        [incident("INC", 3, 12.0, resolved_after=1.0)],
    )
    assert figures.deployments == 3
    assert figures.change_failure_rate == pytest.approx(1 / 3)


def test_incident_opened_after_the_window_blames_the_last_counted_deployment() -> None:
    """Deployments Jan 2 and Jan 6, none later; an incident opened Jan 10 (after the window)
    goes to the Jan 6 one: 1 of 2 = 0.5; recovery 3 h."""
    figures = week(
        [deploy("d1", 2), deploy("d2", 6)],
        [incident("INC", 10, resolved_after=3.0)],
    )
    assert figures.change_failure_rate == pytest.approx(0.5)
    assert figures.recovery_time_hours_p50 == pytest.approx(3.0)


def test_unresolved_incident_fails_the_deployment_without_a_recovery_sample() -> None:
    """INC-1 (unresolved) names d1, INC-2 (5 h) names d2: 2 of 2 failed; recovery samples
    [5] only, so p50 = p90 = 5."""
    figures = week(
        [deploy("d1", 2), deploy("d2", 3)],
        [
            incident("INC-1", 2, 13.0, caused_by="d1"),
            incident("INC-2", 3, 13.0, resolved_after=5.0, caused_by="d2"),
        ],
    )
    assert figures.failed_deployments == 2
    assert figures.change_failure_rate == pytest.approx(1.0)
    assert figures.recovery_time_hours_p50 == pytest.approx(5.0)
    assert figures.recovery_time_hours_p90 == pytest.approx(5.0)


def test_recovery_time_percentiles_over_attributed_incidents_only() -> None:
    """Samples 1, 2, 3, 4 h (two named, two blamed). Left out: 100 h naming a staging
    deployment (not counted, and no fallback to blame) and 50 h opened before any deployment.
    p50: h = 3 * 0.5 = 1.5, 2 + 0.5 * 1 = 2.5. p90: h = 2.7, 3 + 0.7 * 1 = 3.7."""
    figures = week(
        [
            deploy("d1", 2),
            deploy("d2", 3),
            deploy("d3", 4),
            deploy("stage", 5, environment="staging"),
        ],
        [
            incident("early", 1, resolved_after=50.0),
            incident("r1", 2, 13.0, resolved_after=1.0, caused_by="d1"),
            incident("r2", 3, 13.0, resolved_after=2.0),
            incident("r3", 4, 13.0, resolved_after=3.0),
            incident("r4", 6, resolved_after=4.0, caused_by="d2"),
            incident("staged", 5, 13.0, resolved_after=100.0, caused_by="stage"),
        ],
    )
    assert figures.failed_deployments == 3
    assert figures.recovery_time_hours_p50 == pytest.approx(2.5)
    assert figures.recovery_time_hours_p90 == pytest.approx(3.7)


def test_several_incidents_on_one_deployment_fail_it_once_and_each_recovery_counts() -> None:
    """Two incidents name d1 (1 h and 3 h): failed = 1 of 2 = 0.5; recovery [1, 3], p50 = 2."""
    figures = week(
        [deploy("d1", 2), deploy("d2", 4)],
        [
            incident("INC-1", 2, 13.0, resolved_after=1.0, caused_by="d1"),
            incident("INC-2", 2, 14.0, resolved_after=3.0, caused_by="d1"),
        ],
    )
    assert figures.failed_deployments == 1
    assert figures.change_failure_rate == pytest.approx(0.5)
    assert figures.recovery_time_hours_p50 == pytest.approx(2.0)


# Rollbacks and rework


def test_rollback_fails_the_rolled_back_deployment_and_is_rework() -> None:
    """d2 rolls back d1: failed = {d1}, 1 of 2 = 0.5; rework = {d2}, 1 of 2 = 0.5; a rollback
    gives no recovery sample."""
    figures = week([deploy("d1", 2), deploy("d2", 3, rollback_of="d1")])
    assert figures.failed_deployments == 1
    assert figures.change_failure_rate == pytest.approx(0.5)
    assert figures.rework_rate == pytest.approx(0.5)
    assert figures.recovery_time_hours_p50 is None


def test_rollback_by_an_uncounted_deployment_still_fails_its_target() -> None:
    """A failed staging deployment rolls back d1: d1 failed, 1 of 1; the rollback itself is
    not counted, so rework 0 of 1."""
    figures = week(
        [
            deploy("d1", 2),
            deploy("undo", 3, environment="staging", status="failure", rollback_of="d1"),
        ]
    )
    assert figures.deployments == 1
    assert figures.change_failure_rate == pytest.approx(1.0)
    assert figures.rework_rate == pytest.approx(0.0)


def test_remediating_deployment_is_rework_but_not_a_failure() -> None:
    """d2 remediates INC-9: rework 1 of 4 = 0.25; nothing failed: 0.0."""
    figures = week(
        [deploy("d1", 1), deploy("d2", 2, remediates=("INC-9",)), deploy("d3", 3), deploy("d4", 4)]
    )
    assert figures.rework_rate == pytest.approx(0.25)
    assert figures.change_failure_rate == pytest.approx(0.0)


# Bands


@pytest.mark.parametrize(
    ("per_day", "band"),
    [
        (2.0, "elite"),
        (1.0, "elite"),
        (0.99, "high"),
        (1 / 7, "high"),
        (0.14, "medium"),
        (1 / 30, "medium"),
        (0.033, "low"),
        (0.0, "low"),
    ],
)
def test_deployment_frequency_bands(per_day: float, band: str) -> None:
    """Elite >= 1/day, high >= 1/7, medium >= 1/30, else low; each bound belongs to the better."""
    assert band_deployment_frequency(per_day) == band


@pytest.mark.parametrize(
    ("hours", "band"),
    [
        (23.99, "elite"),
        (24.0, "high"),
        (167.99, "high"),
        (168.0, "medium"),
        (719.99, "medium"),
        (720.0, "low"),
        (None, None),
    ],
)
def test_lead_time_bands(hours: float | None, band: str | None) -> None:
    """Elite < 24 h, high < 168 h, medium < 720 h, else low; each bound belongs to the worse."""
    assert band_lead_time(hours) == band


@pytest.mark.parametrize(
    ("rate", "band"),
    [
        (0.0, "elite"),
        (0.05, "elite"),
        (0.0501, "high"),
        (0.10, "high"),
        (0.1001, "medium"),
        (0.15, "medium"),
        (0.1501, "low"),
        (None, None),
    ],
)
def test_change_failure_rate_bands(rate: float | None, band: str | None) -> None:
    """Elite <= 5 %, high <= 10 %, medium <= 15 %, else low; each bound belongs to the better."""
    assert band_change_failure_rate(rate) == band


@pytest.mark.parametrize(
    ("hours", "band"),
    [
        (0.99, "elite"),
        (1.0, "high"),
        (23.99, "high"),
        (24.0, "medium"),
        (167.99, "medium"),
        (168.0, "low"),
        (None, None),
    ],
)
def test_recovery_time_bands(hours: float | None, band: str | None) -> None:
    """Elite < 1 h, high < 24 h, medium < 168 h, else low; each bound belongs to the worse."""
    assert band_recovery_time(hours) == band


@pytest.mark.parametrize(
    ("days", "band"), [(7, "high"), (8, "medium"), (30, "medium"), (31, "low")]
)
def test_frequency_band_from_counts_at_the_boundaries(days: int, band: str) -> None:
    """One deployment over 7 days = 1/7 a day: high; over 8: medium; 30: 1/30, medium; 31: low."""
    figures = dora_metrics([deploy("d1", 1)], [], day(1), day(days))
    assert figures.bands.deployment_frequency == band


def test_bands_from_figures_on_exact_boundaries() -> None:
    """20 deployments over Jan 1..20 (20 days) = 1/day: elite. Each ships one commit exactly
    24 h old: p50 = 24 h, high. INC names d1: 1 of 20 = 0.05, elite. It took exactly 1 h: high."""
    deployments = [
        deploy(f"d{n}", n, commits=(commit(f"c{n}", n - 1, 12.0),)) for n in range(1, 21)
    ]
    figures = dora_metrics(
        deployments, [incident("INC", 2, resolved_after=1.0, caused_by="d1")], day(1), day(20)
    )
    assert figures.deployments_per_day == 1.0
    assert figures.lead_time_hours_p50 == pytest.approx(24.0)
    assert figures.change_failure_rate == 0.05
    assert figures.recovery_time_hours_p50 == pytest.approx(1.0)
    assert figures.bands.as_dict() == {
        "deployment_frequency": "elite",
        "lead_time": "high",
        "change_failure_rate": "elite",
        "recovery_time": "high",
    }


# Weekly series and output shape


def test_weekly_series_for_a_window_starting_mid_week() -> None:
    """Window Wed Jan 3 .. Tue Jan 16 overlaps the weeks of Mon Jan 1, 8 and 15.
    Week of Jan 1 (cut to Jan 3..7): Jan 2 is before the window; Jan 4 (2 h) and Jan 6 (4 h)
    count; an incident opened Mon Jan 8 blames Jan 6: CFR 1/2, p50 (2 + 4) / 2 = 3.
    Week of Jan 8: Jan 9 (10 h), blamed by an incident on Jan 10: CFR 1/1, p50 10.
    Week of Jan 15 (cut to Jan 15..16): Jan 17 is after the window: 0, None, None.
    Whole window: 3 deployments over 14 days, 2 failed = 2/3, lead [2, 4, 10] p50 = 4."""
    figures = dora_metrics(
        [
            deploy("tue", 2, commits=(commit("c0", 2, 10.0),)),
            deploy("thu", 4, commits=(commit("c1", 4, 10.0),)),
            deploy("sat", 6, commits=(commit("c2", 6, 8.0),)),
            deploy("tue2", 9, commits=(commit("c3", 9, 2.0),)),
            deploy("wed3", 17, commits=(commit("c4", 17, 1.0),)),
        ],
        [
            incident("INC-1", 8, 9.0, resolved_after=1.0),
            incident("INC-2", 10, 9.0, resolved_after=1.0),
        ],
        day(3),
        day(16),
    )
    assert [w.as_dict() for w in figures.weekly] == [
        {
            "week_start": "2024-01-01",
            "deployments": 2,
            "change_failure_rate": pytest.approx(0.5),
            "lead_time_hours_p50": pytest.approx(3.0),
        },
        {
            "week_start": "2024-01-08",
            "deployments": 1,
            "change_failure_rate": pytest.approx(1.0),
            "lead_time_hours_p50": pytest.approx(10.0),
        },
        {
            "week_start": "2024-01-15",
            "deployments": 0,
            "change_failure_rate": None,
            "lead_time_hours_p50": None,
        },
    ]
    assert figures.deployments == 3
    assert figures.deployments_per_day == pytest.approx(3 / 14)
    assert figures.change_failure_rate == pytest.approx(2 / 3)
    assert figures.lead_time_hours_p50 == pytest.approx(4.0)


def test_worked_example_from_the_docs() -> None:
    """docs/metrics.md, window Mon 2024-03-04 .. Sun 2024-03-10 (7 days), service billing.
    Counted: d1, d3, d5 (d2 is staging, d4 failed): 3 / 7 = 0.4286 a day, high.
    Lead times: a 12 h, b 2 h (d1); c 24 h (d3; b already shipped); d 48 h (d5).
    Sorted [2, 12, 24, 48]: p50 = (12 + 24) / 2 = 18, elite; p90: h = 2.7, 24 + 0.7 * 24 = 40.8.
    Failed: d3 (rolled back by d5), d5 (INC-7 blames it): 2 / 3 = 0.667, low.
    Recovery: INC-7 09:00 -> 11:30 = 2.5 h, high. Rework: d5 is a rollback: 1 / 3."""
    billing = "billing"

    def t(month_day: int, hour: float) -> datetime:
        return datetime(2024, 3, month_day, tzinfo=UTC) + timedelta(hours=hour)

    deployments = [
        Deployment(
            "d1",
            billing,
            "production",
            "success",
            t(4, 10),
            (Commit("a", t(3, 22)), Commit("b", t(4, 8))),
        ),
        Deployment("d2", billing, "staging", "success", t(5, 18), (Commit("c", t(5, 15)),)),
        Deployment(
            "d3",
            billing,
            "production",
            "success",
            t(6, 15),
            (Commit("b", t(4, 8)), Commit("c", t(5, 15))),
        ),
        Deployment("d4", billing, "production", "failure", t(7, 11), (Commit("d", t(6, 12)),)),
        Deployment(
            "d5",
            billing,
            "production",
            "success",
            t(8, 12),
            (Commit("d", t(6, 12)),),
            rollback_of="d3",
        ),
    ]
    incidents = [Incident("INC-7", billing, t(9, 9), t(9, 11.5))]
    figures = dora_metrics(deployments, incidents, date(2024, 3, 4), date(2024, 3, 10))
    assert figures.as_dict() == {
        "from": "2024-03-04",
        "to": "2024-03-10",
        "deployments": 3,
        "deployments_per_day": pytest.approx(3 / 7),
        "lead_time_hours": {"p50": pytest.approx(18.0), "p90": pytest.approx(40.8)},
        "change_failure_rate": pytest.approx(2 / 3),
        "failed_deployments": 2,
        "recovery_time_hours": {"p50": pytest.approx(2.5), "p90": pytest.approx(2.5)},
        "rework_rate": pytest.approx(1 / 3),
        "bands": {
            "deployment_frequency": "high",
            "lead_time": "elite",
            "change_failure_rate": "low",
            "recovery_time": "high",
        },
        "weekly": [
            {
                "week_start": "2024-03-04",
                "deployments": 3,
                "change_failure_rate": pytest.approx(2 / 3),
                "lead_time_hours_p50": pytest.approx(18.0),
            }
        ],
    }
    assert list(figures.as_dict()) == [
        "from",
        "to",
        "deployments",
        "deployments_per_day",
        "lead_time_hours",
        "change_failure_rate",
        "failed_deployments",
        "recovery_time_hours",
        "rework_rate",
        "bands",
        "weekly",
    ]
