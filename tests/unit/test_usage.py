"""AI usage figures from aggregates, checked against hand arithmetic."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from scalegate.core.usage import (
    GAMMA,
    RELATIVE_ACCURACY,
    DailyUsers,
    LatencyHistogram,
    UsageBucket,
    WeeklyUsage,
    bucket_key,
    bucket_value,
    event_cost,
    model_status,
    nearest_rank,
    usage_figures,
)

# January 2024: the 1st is a Monday.
JAN_1 = datetime(2024, 1, 1, tzinfo=UTC)
TOLERANCE = 1e-9  # float rounding on top of the stated bound


def at(n: int, hour: int = 0) -> datetime:
    """January n, 2024 at the given UTC hour (n may run past 31 or below 1)."""
    return JAN_1 + timedelta(days=n - 1, hours=hour)


def day(n: int) -> date:
    return date(2024, 1, 1) + timedelta(days=n - 1)


def hist(*values: float) -> dict[int, int]:
    histogram = LatencyHistogram()
    for value in values:
        histogram.add(value)
    return histogram.buckets


def bucket(
    hour: datetime,
    outcome: str = "accepted",
    events: int = 1,
    *,
    model: str | None = "gpt-a",
    assisted: bool = True,
    reviewed: int = 0,
    guardrail: int = 0,
    cost: float = 0.0,
    latency: dict[int, int] | None = None,
    theme: str | None = None,
) -> UsageBucket:
    return UsageBucket(
        hour=hour,
        model=model,
        outcome=outcome,
        assisted=assisted,
        events=events,
        human_reviewed=reviewed,
        guardrail_triggered=guardrail,
        input_tokens=0,
        output_tokens=0,
        cost=cost,
        duration_s=0.0,
        latency=latency or {},
        theme=theme,
    )


def within_bound(estimate: float | None, truth: float) -> bool:
    assert estimate is not None
    return abs(estimate - truth) <= RELATIVE_ACCURACY * abs(truth) * (1 + TOLERANCE)


# --- latency histogram ----------------------------------------------------------------------


def test_quantiles_of_one_to_a_thousand_are_within_one_percent() -> None:
    """Values 1..1000, n = 1000; nearest rank ceil(q * n):
    q = 0.5 -> rank 500 -> 500; q = 0.95 -> rank 950 -> 950; q = 0.99 -> rank 990 -> 990.
    Each estimate is 2 * gamma^i / (gamma + 1) for the bucket i of the true value, so within 1 %.
    """
    histogram = LatencyHistogram()
    for value in range(1, 1001):
        histogram.add(value)
    assert histogram.count == 1000
    for q, truth in ((0.5, 500), (0.95, 950), (0.99, 990)):
        estimate = histogram.quantile(q)
        assert within_bound(estimate, truth)
        assert estimate == bucket_value(bucket_key(truth))


def test_representative_is_within_alpha_across_a_bucket() -> None:
    """g = gamma = 1.01 / 0.99; bucket i covers (g^(i-1), g^i] and reports r = 2 g^i / (g + 1).
    Top edge x = g^i: (x - r) / x = (g - 1) / (g + 1) = alpha exactly.
    Bottom edge x -> g^(i-1): (r - x) / x = 2 g / (g + 1) - 1 = alpha. Inside, the error is smaller.
    """
    assert math.isclose((GAMMA - 1) / (GAMMA + 1), RELATIVE_ACCURACY)
    for i in (-50, -1, 0, 1, 7, 300):
        top = GAMMA**i
        bottom = GAMMA ** (i - 1) * (1 + 1e-9)
        for x in (top, bottom, (top + bottom) / 2):
            assert within_bound(bucket_value(bucket_key(x)), x)


def test_key_scheme_reserves_zero_for_non_positive_values() -> None:
    """Values <= 0 -> key 0; index i = ceil(log_gamma x): i >= 1 is key i, i <= 0 is key i - 1.
    x = 1: i = 0 -> key -1 (reported 2/(gamma+1) ~ 0.99); x = 1.015: log(1.015)/log(gamma) ~ 0.74
    -> i = 1 -> key 1; x = 0.5: log(0.5)/log(gamma) ~ -34.66 -> i = -34 -> key -35.
    """
    assert bucket_key(0.0) == 0
    assert bucket_key(-3.0) == 0
    assert bucket_key(1.0) == -1
    assert bucket_key(1.015) == 1
    assert bucket_key(0.5) == -35
    assert bucket_value(0) == 0.0
    assert bucket_value(-1) == pytest.approx(2 / (GAMMA + 1))
    assert within_bound(bucket_value(bucket_key(0.5)), 0.5)
    with pytest.raises(ValueError):
        bucket_key(math.nan)
    with pytest.raises(ValueError):
        bucket_key(math.inf)


def test_merge_equals_adding_every_value_to_one_histogram() -> None:
    """Bucket counts add, so merging histograms of A and B is the histogram of A + B."""
    first, second = [0.4, 3.0, 3.0, 120.0, 5000.0], [0.0, 3.01, 77.0, 120.5]
    merged = LatencyHistogram(hist(*first))
    merged.merge(LatencyHistogram(hist(*second)))
    together = LatencyHistogram(hist(*first, *second))
    assert merged == together
    assert merged.count == 9
    for q in (0.0, 0.1, 0.5, 0.9, 1.0):
        assert merged.quantile(q) == together.quantile(q)


def test_json_round_trip() -> None:
    """to_json uses string keys; json.dumps/loads and from_json give back the same buckets."""
    histogram = LatencyHistogram(hist(-1.0, 0.2, 1.0, 42.0, 42.0, 9000.0))
    stored = histogram.to_json()
    assert all(isinstance(key, str) for key in stored)
    assert stored["0"] == 1
    assert stored[str(bucket_key(42.0))] == 2
    restored = LatencyHistogram.from_json(json.loads(json.dumps(stored)))
    assert restored == histogram
    assert restored.buckets == histogram.buckets
    with pytest.raises(ValueError):
        LatencyHistogram.from_json({"x": 1})
    with pytest.raises(ValueError):
        LatencyHistogram.from_json({"3": -1})


def test_zero_and_negative_values_count_as_zero() -> None:
    """Values -5, 0, 0, 3 -> zero bucket holds 3, n = 4. Nearest ranks:
    q = 0 -> rank 1 -> 0.0; q = 0.75 -> rank 3 -> 0.0; q = 1 -> rank 4 -> 3 (within 1 %).
    """
    histogram = LatencyHistogram(hist(-5.0, 0.0, 0.0, 3.0))
    assert histogram.buckets[0] == 3
    assert histogram.quantile(0.0) == 0.0
    assert histogram.quantile(0.75) == 0.0
    assert within_bound(histogram.quantile(1.0), 3.0)


def test_empty_histogram_has_no_quantile() -> None:
    histogram = LatencyHistogram()
    assert histogram.count == 0
    assert histogram.quantile(0.5) is None
    assert histogram.to_json() == {}
    histogram.add(10.0, count=0)
    assert histogram.quantile(0.5) is None
    with pytest.raises(ValueError):
        histogram.quantile(1.5)


def test_nearest_rank_ignores_float_noise() -> None:
    """ceil(0.07  *  100) is 7, though 0.07 * 100 is 7.000000000000001 in floats;
    ceil(0.95  *  16) = ceil(15.2) = 16; q = 0 still gives rank 1.
    """
    assert nearest_rank(0.07, 100) == 7
    assert nearest_rank(0.95, 16) == 16
    assert nearest_rank(0.0, 5) == 1
    assert nearest_rank(1.0, 5) == 5


def test_error_bound_holds_on_random_samples() -> None:
    """Property check: for seeded random lists (log-normal, uniform, with zeros and sub-1 ms
    values), every quantile estimate is within alpha * true of the sorted list's value at
    rank ceil(q * n).
    """
    rng = random.Random(20240101)
    quantiles = (0.0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0)
    for trial in range(40):
        n = rng.randint(1, 3000)
        if trial % 3 == 0:
            values = [rng.lognormvariate(5.0, 2.0) for _ in range(n)]
        elif trial % 3 == 1:
            values = [rng.uniform(0.0, 2.0) for _ in range(n)]
        else:
            values = [rng.choice([0.0, rng.expovariate(0.01)]) for _ in range(n)]
        histogram = LatencyHistogram()
        for value in values:
            histogram.add(value)
        ordered = sorted(values)
        for q in quantiles:
            assert within_bound(histogram.quantile(q), ordered[nearest_rank(q, n) - 1])


# --- figures on a hand-made case ------------------------------------------------------------

# as_of Wednesday 10 January 2024, noon; the 28-day window is (13 Dec 12:00, 10 Jan 12:00].
AS_OF = at(10, 12)
USERS = (
    DailyUsers(day(1), frozenset({"a"})),
    DailyUsers(day(3), frozenset({"a", "b"})),
    DailyUsers(day(8), frozenset({"b"})),
    DailyUsers(day(10), frozenset({"c", "a"})),
)
BUCKETS = (
    bucket(
        at(2, 9), "accepted", 6, reviewed=2, cost=0.75, latency=hist(*[100.0] * 6), theme="claims"
    ),
    bucket(
        at(3, 10),
        "edited",
        3,
        reviewed=3,
        guardrail=1,
        cost=0.25,
        latency=hist(*[200.0] * 3),
        theme="claims",
    ),
    bucket(
        at(8, 11), "overridden", 4, model="llm-b", reviewed=4, cost=1.0, latency=hist(*[300.0] * 4)
    ),
    bucket(
        at(9, 14), "failed", 2, model="llm-b", guardrail=2, cost=0.5, latency=hist(400.0, 400.0)
    ),
    bucket(at(10, 8), "escalated", 1, reviewed=1, cost=0.25, latency=hist(500.0), theme="claims"),
    bucket(at(9, 15), "accepted", 4, model=None, assisted=False, latency=hist(*[9999.0] * 4)),
)


def test_adoption_figures() -> None:
    """Users: 1 Jan {a}, 3 Jan {a, b}, 8 Jan {b}, 10 Jan {a, c}.
    1d (10 Jan) = {a, c} = 2; 7d (4-10 Jan) = {a, b, c} = 3; 28d (14 Dec-10 Jan) = 3.
    Repeat: a in weeks of 1 and 8 Jan, b in weeks of 1 and 8 Jan, c only week of 8 Jan -> 2.
    Events 6 + 3 + 4 + 2 + 1 + 4 = 20, assisted 16 -> penetration 16 / 20 = 0.8.
    Cohort of 4: 3 / 4 = 0.75.
    """
    result = usage_figures(BUCKETS, USERS, AS_OF, target_cohort_size=4)
    assert result.active_users_1d == 2
    assert result.active_users_7d == 3
    assert result.active_users_28d == 3
    assert result.repeat_users == 2
    assert result.events == 20
    assert result.assisted_events == 16
    assert result.workflow_penetration == 0.8
    assert result.weekly_active_cohort_share == 0.75


def test_operational_figures() -> None:
    """Assisted 16: failed 2, overridden 4, escalated 1; reviewed 2 + 3 + 4 + 0 + 1 = 10;
    guardrail 0 + 1 + 0 + 2 + 0 = 3.
    completion 1 - 2/16 = 0.875; failure 0.125; review 10/16 = 0.625; override 0.25;
    escalation 0.0625; guardrail 3/16 = 0.1875.
    Latency of assisted events: 100 x 6, 200 x 3, 300 x 4, 400 x 2, 500 x 1 (the 4 unassisted
    9999 ms are left out). p50 rank 8 -> 200; p95 rank ceil(15.2) = 16 -> 500; p99 rank 16 -> 500.
    """
    result = usage_figures(BUCKETS, USERS, AS_OF)
    assert result.completion_rate == 0.875
    assert result.failure_rate == 0.125
    assert result.human_review_rate == 0.625
    assert result.override_rate == 0.25
    assert result.escalation_rate == 0.0625
    assert result.guardrail_trigger_rate == 0.1875
    assert result.latency_p50_ms == bucket_value(bucket_key(200.0))
    assert result.latency_p95_ms == bucket_value(bucket_key(500.0))
    assert result.latency_p99_ms == bucket_value(bucket_key(500.0))
    assert within_bound(result.latency_p50_ms, 200.0)
    assert result.as_dict()["operational"]["latency_ms"]["relative_error"] == 0.01


def test_economics_and_trust_figures() -> None:
    """Cost 0.75 + 0.25 + 1.0 + 0.5 + 0.25 + 0 = 2.75.
    Per transaction 2.75 / 16 = 0.171875; events with a model 16 -> 2.75 / 16  x  1000 = 171.875.
    By model: gpt-a 0.75 + 0.25 + 0.25 = 1.25, llm-b 1.0 + 0.5 = 1.5 (no-model cost 0 left out).
    By theme: claims 1.25, unassigned 1.0 + 0.5 + 0 = 1.5.
    Quality (6 accepted + 3 edited) / 16 = 0.5625; approved gpt-a events 6 + 3 + 1 = 10 of 16
    with a model -> adherence 0.625.
    """
    result = usage_figures(BUCKETS, USERS, AS_OF, approved_models=frozenset({"gpt-a"}))
    assert result.total_cost == 2.75
    assert result.cost_per_transaction == 0.171875
    assert result.cost_per_1000_inferences == 171.875
    assert result.spend_by_model == {"gpt-a": 1.25, "llm-b": 1.5}
    assert result.spend_by_theme == {"claims": 1.25, "unassigned": 1.5}
    assert result.quality_acceptance == 0.5625
    assert result.policy_adherence == 0.625


def test_weekly_rows() -> None:
    """Window start 13 Dec 2023 (a Wednesday) -> Mondays 11, 18, 25 Dec, 1 and 8 Jan.
    Week of 1 Jan: users {a, b} = 2; assisted 6 + 3 = 9; override 0/9 = 0.0; cost 1.0.
    Week of 8 Jan: users {a, b, c} = 3; assisted 4 + 2 + 1 = 7; override 4/7; cost 1.75.
    December weeks: nothing, override None.
    """
    result = usage_figures(BUCKETS, USERS, AS_OF)
    empty = [WeeklyUsage(date(2023, 12, d), 0, 0, None, 0.0) for d in (11, 18, 25)]
    assert list(result.weekly) == [
        *empty,
        WeeklyUsage(day(1), 2, 9, 0.0, 1.0),
        WeeklyUsage(day(8), 3, 7, 4 / 7, 1.75),
    ]


def test_as_dict_shape() -> None:
    """The JSON form groups the figures and lists the weeks."""
    plain = usage_figures(BUCKETS, USERS, AS_OF, target_cohort_size=4).as_dict()
    assert list(plain) == ["window", "adoption", "operational", "economics", "trust", "weekly"]
    assert plain["window"] == {
        "from": "2023-12-13T12:00:00+00:00",
        "to": "2024-01-10T12:00:00+00:00",
    }
    assert plain["adoption"]["weekly_active_cohort_share"] == 0.75
    assert set(plain["operational"]["latency_ms"]) == {"p50", "p95", "p99", "relative_error"}
    assert plain["economics"]["spend_by_model"] == {"gpt-a": 1.25, "llm-b": 1.5}
    # Without evaluation evidence passed in, the evaluation figures are null.
    assert plain["trust"] == {
        "quality_acceptance": 0.5625,
        "policy_adherence": 0.0,
        "evaluation_pass_rate": None,
        "evaluation_pass_rate_lower95": None,
    }
    given = usage_figures(
        BUCKETS, USERS, AS_OF, evaluation_pass_rate=0.96, evaluation_pass_rate_lower95=0.8654
    ).as_dict()["trust"]
    assert (given["evaluation_pass_rate"], given["evaluation_pass_rate_lower95"]) == (0.96, 0.8654)
    assert plain["weekly"][-1] == {
        "week_start": "2024-01-08",
        "active_users": 3,
        "assisted": 7,
        "override_rate": 4 / 7,
        "cost": 1.75,
    }
    json.dumps(plain)


# --- window edges and denominators ----------------------------------------------------------


def test_window_edges() -> None:
    """as_of = Monday 29 Jan 00:00, 28 days -> hours in (1 Jan 00:00, 29 Jan 00:00].
    The bucket at exactly 1 Jan 00:00 is out, 1 Jan 01:00 and 29 Jan 00:00 are in; 29 Jan 01:00
    is after as_of. User days: 2-29 Jan, so the 1 Jan user is out and the 29 Jan user is in.
    Events in: 2 (01:00) + 4 (as_of) = 6. Weeks: Mondays 1, 8, 15, 22, 29 Jan.
    """
    as_of = at(29)
    buckets = [
        bucket(at(1), events=1),
        bucket(at(1, 1), events=2),
        bucket(at(29), events=4),
        bucket(at(29, 1), events=8),
    ]
    users = [DailyUsers(day(1), frozenset({"early"})), DailyUsers(day(29), frozenset({"late"}))]
    result = usage_figures(buckets, users, as_of)
    assert result.events == 6
    assert result.active_users_28d == 1
    assert result.active_users_1d == 1
    assert [w.week_start for w in result.weekly] == [day(n) for n in (1, 8, 15, 22, 29)]
    assert [w.assisted for w in result.weekly] == [2, 0, 0, 0, 4]
    assert [w.active_users for w in result.weekly] == [0, 0, 0, 0, 1]


def test_shorter_window_keeps_fixed_adoption_spans() -> None:
    """window_days = 7 with as_of 10 Jan noon: hours in (3 Jan 12:00, 10 Jan 12:00] -> buckets on
    8, 9 (two), 10 Jan: 4 + 2 + 4 + 1 = 11 events. active_users_28d still spans 28 dates (3).
    """
    result = usage_figures(BUCKETS, USERS, AS_OF, window_days=7)
    assert result.events == 11
    assert result.active_users_28d == 3
    assert [w.week_start for w in result.weekly] == [day(1), day(8)]


def test_cohort_share_with_and_without_size() -> None:
    """7-day actives = 3: size 4 -> 0.75, size 3 -> 1.0, no size -> None, size 0 -> None."""
    assert (
        usage_figures(BUCKETS, USERS, AS_OF, target_cohort_size=4).weekly_active_cohort_share
        == 0.75
    )
    assert (
        usage_figures(BUCKETS, USERS, AS_OF, target_cohort_size=3).weekly_active_cohort_share == 1.0
    )
    assert usage_figures(BUCKETS, USERS, AS_OF).weekly_active_cohort_share is None
    assert (
        usage_figures(BUCKETS, USERS, AS_OF, target_cohort_size=0).weekly_active_cohort_share
        is None
    )


def test_repeat_users_across_iso_weeks() -> None:
    """as_of 14 Jan. x: Sun 7 Jan + Mon 8 Jan -> two ISO weeks -> repeat.
    y: Mon 8 Jan + Sun 14 Jan -> one week -> not. z: 17 Dec (outside the 28 days 18 Dec-14 Jan)
    + 10 Jan -> one week in the window -> not. w: Sun 31 Dec 2023 + Mon 1 Jan 2024 -> repeat.
    """
    users = [
        DailyUsers(day(7), frozenset({"x"})),
        DailyUsers(day(8), frozenset({"x", "y"})),
        DailyUsers(day(14), frozenset({"y"})),
        DailyUsers(date(2023, 12, 17), frozenset({"z"})),
        DailyUsers(day(10), frozenset({"z"})),
        DailyUsers(date(2023, 12, 31), frozenset({"w"})),
        DailyUsers(day(1), frozenset({"w"})),
    ]
    assert usage_figures([], users, at(14, 18)).repeat_users == 2


def test_empty_data_gives_none_for_every_ratio() -> None:
    """No events, no users: every denominator is 0, so every ratio and quantile is None."""
    result = usage_figures([], [], AS_OF, target_cohort_size=10)
    assert result.active_users_1d == result.active_users_7d == result.repeat_users == 0
    assert result.weekly_active_cohort_share == 0.0
    for name in (
        "workflow_penetration",
        "completion_rate",
        "human_review_rate",
        "override_rate",
        "escalation_rate",
        "failure_rate",
        "guardrail_trigger_rate",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "cost_per_transaction",
        "cost_per_1000_inferences",
        "quality_acceptance",
        "policy_adherence",
    ):
        assert getattr(result, name) is None, name
    assert result.total_cost == 0.0
    assert result.spend_by_model == {} and result.spend_by_theme == {}
    assert all(w.override_rate is None and w.assisted == 0 for w in result.weekly)


def test_unassisted_only_events_have_no_operational_rates() -> None:
    """4 unassisted events without a model: penetration 0/4 = 0.0, assisted rates None,
    cost per 1000 inferences None (no model events), adherence None.
    """
    result = usage_figures([bucket(at(9), events=4, model=None, assisted=False)], [], AS_OF)
    assert result.workflow_penetration == 0.0
    assert result.completion_rate is None
    assert result.cost_per_transaction is None
    assert result.cost_per_1000_inferences is None
    assert result.policy_adherence is None


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        usage_figures([], [], AS_OF, window_days=0)
    with pytest.raises(ValueError):
        usage_figures([], [], AS_OF, target_cohort_size=-1)
    with pytest.raises(ValueError, match="unknown outcome"):
        usage_figures([bucket(at(9), "maybe")], [], AS_OF)


# --- model catalog and cost -----------------------------------------------------------------

CATALOG = {
    "gpt-a": ("approved", frozenset({"public", "internal"})),
    "llm-b": ("restricted", frozenset({"public"})),
    "old-c": ("retired", frozenset({"public"})),
}


def test_model_status() -> None:
    """Approved only when the status is approved and every data class is allowed."""
    assert model_status("gpt-a", CATALOG, ["public", "internal"]) == "approved"
    assert model_status("gpt-a", CATALOG, []) == "approved"
    assert model_status("gpt-a", CATALOG, ["public", "confidential"]) == "not-allowed-for-data"
    assert model_status("llm-b", CATALOG, ["public"]) == "restricted"
    assert model_status("llm-b", CATALOG, ["secret"]) == "restricted"
    assert model_status("old-c", CATALOG, ["public"]) == "retired"
    assert model_status("mystery", CATALOG, ["public"]) == "unknown"


def test_event_cost() -> None:
    """1,200 input tokens at $3/M + 300 output at $15/M = 0.0036 + 0.0045 = 0.0081."""
    assert event_cost(1200, 300, 3.0, 15.0) == 0.0081
    assert event_cost(0, 0, 3.0, 15.0) == 0.0
    assert event_cost(1_000_000, 0, 2.5, 10.0) == 2.5
    with pytest.raises(ValueError):
        event_cost(-1, 0, 3.0, 15.0)
