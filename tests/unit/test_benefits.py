"""Benefit statistics, checked against hand arithmetic and reference implementations."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pandas as pd  # type: ignore[import-untyped]
import pytest
import statsmodels.formula.api as smf  # type: ignore[import-untyped]
from scipy import stats  # type: ignore[import-untyped]

from scalegate.core.benefits import (
    Comparison,
    DidResult,
    GroupSummary,
    Observation,
    before_after,
    did,
    experiment,
    hypothesis_progress,
    srm_p_value,
    time_returned_hours,
)

AS_OF = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)


def summary(values: list[float]) -> GroupSummary:
    """The sufficient statistics of a sample of a mean metric."""
    return GroupSummary(len(values), sum(values), sum(v * v for v in values))


def days_ago(days: float) -> datetime:
    return AS_OF - timedelta(days=days)


# --- experiments from summaries -------------------------------------------------------------


def test_welch_relative_lift_unequal_variances_and_sizes() -> None:
    """Hand arithmetic of GrowthBook's frequentist TwoSidedTTest (delta method, Welch dof).

    Control: n = 10, sum = 500, sum_squares = 25,900
      mean = 500 / 10 = 50; variance = (25,900 - 500² / 10) / 9 = (25,900 - 25,000) / 9 = 100.
    Treatment: n = 15, sum = 840, sum_squares = 50,190
      mean = 840 / 15 = 56; variance = (50,190 - 840² / 15) / 14 = (50,190 - 47,040) / 14 = 225.
    Relative lift = (56 - 50) / 50 = 0.12.
    Delta-method variance = 225 / (15 · 50²) + 100 · 56² / (10 · 50⁴)
                          = 0.006 + 313,600 / 62,500,000 = 0.006 + 0.0050176 = 0.0110176;
      se = √0.0110176 = 0.1049648.
    dof = (225/15 + 100/10)² / ((225/15)² / 14 + (100/10)² / 9) = 625 / (16.071429 + 11.111111)
        = 625 / 27.182540 = 22.992701.
    t = 0.12 / 0.1049648 = 1.143241; p = 2 · (1 - T₂₂.₉₉₂₇(1.143241)) via scipy.stats.t;
    CI = 0.12 ± t₀.₉₇₅(22.9927) · 0.1049648.
    Sizes 10 vs 15 against a 50/50 split: χ² = 2.5²/12.5 · 2 = 1.0, p = 0.3173 (not flagged).
    """
    result = experiment(GroupSummary(10, 500.0, 25_900.0), GroupSummary(15, 840.0, 50_190.0), "up")
    assert result.control_mean == pytest.approx(50.0)
    assert result.treatment_mean == pytest.approx(56.0)
    assert result.lift == pytest.approx(0.12)
    assert result.se == pytest.approx(math.sqrt(0.0110176))
    assert result.dof == pytest.approx(625 / (225 / 14 + 100 / 9))
    assert result.dof == pytest.approx(22.992701, abs=1e-6)
    t_stat = 0.12 / math.sqrt(0.0110176)
    assert t_stat == pytest.approx(1.143241, abs=1e-6)
    assert result.p_value == pytest.approx(2 * (1 - stats.t.cdf(t_stat, 22.992700729927)))
    half = stats.t.ppf(0.975, 22.992700729927) * math.sqrt(0.0110176)
    assert result.ci_low == pytest.approx(0.12 - half)
    assert result.ci_high == pytest.approx(0.12 + half)
    assert result.srm_p_value == pytest.approx(0.3173105, abs=1e-7)
    assert result.verdict == "inconclusive"


def test_welch_absolute_difference_matches_scipy_reference() -> None:
    """Same groups, absolute difference, against scipy.stats.ttest_ind_from_stats(equal_var=False).

    By hand: Δ = 56 - 50 = 6; variance = 225/15 + 100/10 = 25, se = 5; t = 1.2; dof = 22.9927.
    Reference: SciPy's published Welch test from summary statistics (standard deviations 15, 10).
    """
    result = experiment(
        GroupSummary(10, 500.0, 25_900.0),
        GroupSummary(15, 840.0, 50_190.0),
        "up",
        difference="absolute",
    )
    reference = stats.ttest_ind_from_stats(56.0, 15.0, 15, 50.0, 10.0, 10, equal_var=False)
    assert result.lift == pytest.approx(6.0)
    assert result.se == pytest.approx(5.0)
    assert result.lift / result.se == pytest.approx(float(reference.statistic))
    assert result.p_value == pytest.approx(float(reference.pvalue), rel=1e-9)
    assert result.p_value == pytest.approx(0.242358, abs=1e-6)


def test_small_proportions() -> None:
    """12/40 vs 20/42 by hand, variance p(1 - p) as in GrowthBook's ProportionStatistic.

    Control p = 12/40 = 0.3, variance 0.3 · 0.7 = 0.21.
    Treatment p = 20/42 = 0.476190, variance (20/42)(22/42) = 440/1764 = 0.249433.
    Absolute: Δ = 0.476190 - 0.3 = 0.176190; variance = 0.249433/42 + 0.21/40
      = 0.0059389 + 0.00525 = 0.0111889, se = 0.105778.
    dof = 0.0111889² / (0.0059389²/41 + 0.00525²/39) = 79.893.
    Relative: Δ = 0.176190 / 0.3 = 0.587302; variance = 0.249433 / (42 · 0.09)
      + 0.21 · 0.476190² / (40 · 0.3⁴) = 0.065988 + 0.146972 = 0.212960, se = 0.461476.
    """
    control, treatment = GroupSummary(40, 12.0), GroupSummary(42, 20.0)
    absolute = experiment(control, treatment, "up", difference="absolute")
    var_c, var_t = 0.21, 440 / 1764
    assert absolute.control_mean == pytest.approx(0.3)
    assert absolute.lift == pytest.approx(20 / 42 - 0.3)
    assert absolute.se == pytest.approx(math.sqrt(var_t / 42 + var_c / 40))
    assert absolute.se == pytest.approx(0.105778, abs=1e-6)
    dof = (var_t / 42 + var_c / 40) ** 2 / ((var_t / 42) ** 2 / 41 + (var_c / 40) ** 2 / 39)
    assert absolute.dof == pytest.approx(dof)
    assert absolute.dof == pytest.approx(79.893, abs=1e-3)
    relative = experiment(control, treatment, "up")
    assert relative.lift == pytest.approx(0.587302, abs=1e-6)
    rel_var = var_t / (42 * 0.09) + var_c * (20 / 42) ** 2 / (40 * 0.3**4)
    assert rel_var == pytest.approx(0.212960, abs=1e-6)
    assert relative.se == pytest.approx(math.sqrt(rel_var))
    assert relative.verdict == "inconclusive"


def test_srm_not_flagged_at_5000_vs_5300() -> None:
    """Pearson χ², 1 dof, expected 10,300 / 2 = 5,150 each.

    χ² = (5,000 - 5,150)² / 5,150 + (5,300 - 5,150)² / 5,150 = 2 · 22,500 / 5,150 = 8.737864;
    p = P(χ²₁ > 8.737864) = 0.003117 — not below 0.001, so the verdict stands.
    """
    assert srm_p_value(5000, 5300) == pytest.approx(stats.chi2.sf(45_000 / 5_150, 1))
    assert srm_p_value(5000, 5300) == pytest.approx(0.003117, abs=1e-6)
    assert stats.chisquare([5000, 5300]).pvalue == pytest.approx(srm_p_value(5000, 5300))
    result = experiment(GroupSummary(5000, 1000.0), GroupSummary(5300, 1300.0), "up")
    assert result.srm_p_value == pytest.approx(0.003117, abs=1e-6)
    assert result.verdict == "validated"


def test_srm_flagged_at_5000_vs_5500_makes_the_verdict_invalid() -> None:
    """Expected 5,250 each: χ² = 2 · 250² / 5,250 = 23.809524, p = 1.06e-6 < 0.001 → invalid.

    The lift (0.2 → 0.236) would otherwise be validated: the CI of the difference excludes 0.
    """
    assert srm_p_value(5000, 5500) == pytest.approx(stats.chi2.sf(125_000 / 5_250, 1))
    assert srm_p_value(5000, 5500) == pytest.approx(1.0635e-6, rel=1e-3)
    result = experiment(GroupSummary(5000, 1000.0), GroupSummary(5500, 1300.0), "up")
    assert result.ci_low > 0
    assert result.verdict == "invalid"


def test_srm_against_an_unequal_expected_split() -> None:
    """Expected share 0.6 for control: 6,000 vs 4,000 of 10,000 is exactly as planned, χ² = 0."""
    assert srm_p_value(6000, 4000, expected_share=0.6) == pytest.approx(1.0)
    result = experiment(
        GroupSummary(6000, 1200.0), GroupSummary(4000, 800.0), "up", expected_share=0.6
    )
    assert result.srm_p_value == pytest.approx(1.0)


def test_as_dict_shape() -> None:
    """The JSON form names both groups and every statistic."""
    result = experiment(GroupSummary(40, 12.0), GroupSummary(42, 20.0), "up")
    payload = result.as_dict()
    assert list(payload) == [
        "difference_type",
        "control",
        "treatment",
        "lift",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "dof",
        "srm_p_value",
        "verdict",
    ]
    assert payload["control"] == {"n": 40, "mean": pytest.approx(0.3)}
    assert payload["treatment"] == {"n": 42, "mean": pytest.approx(20 / 42)}
    assert payload["difference_type"] == "relative"


# --- verdicts ---------------------------------------------------------------------------------


def test_verdicts_for_up_and_down_kpis() -> None:
    """[10..13] → [14..17]: Δ = 4, variances 5/3 each, se = √(5/12 + 5/12) = 0.912871, dof = 6.

    CI = 4 ± t₀.₉₇₅(6) · 0.912871 = 4 ± 2.446912 · 0.912871 = [1.766, 6.234]: above 0, so a
    rise validates an "up" KPI and refutes a "down" one; the reverse change flips both.
    """
    low, high = [10.0, 11.0, 12.0, 13.0], [14.0, 15.0, 16.0, 17.0]
    rise = before_after(low, high, "up", difference="absolute")
    assert rise.lift == pytest.approx(4.0)
    assert rise.se == pytest.approx(math.sqrt(5 / 6))
    assert rise.dof == pytest.approx(6.0)
    assert rise.ci_low == pytest.approx(4 - 2.446912 * 0.912871, abs=1e-5)
    assert rise.verdict == "validated"
    assert before_after(low, high, "down", difference="absolute").verdict == "refuted"
    assert before_after(high, low, "up", difference="absolute").verdict == "refuted"
    assert before_after(high, low, "down", difference="absolute").verdict == "validated"
    overlap = before_after([10.0, 14.0, 12.0, 13.0], [11.0, 15.0, 12.0, 14.0], "up")
    assert overlap.ci_low < 0 < overlap.ci_high
    assert overlap.verdict == "inconclusive"


def test_down_kpi_handle_time_experiment() -> None:
    """Average handle time 11.5 → 9.2 minutes is a good change for a "down" KPI.

    Relative lift = (9.2 - 11.5) / 11.5 = -0.2; the CI lies below 0 → validated.
    """
    control = summary([11.0, 12.0, 11.5, 11.0, 12.0] * 4)
    treatment = summary([9.0, 9.5, 9.2, 8.9, 9.4] * 4)
    result = experiment(control, treatment, "down")
    assert result.control_mean == pytest.approx(11.5)
    assert result.treatment_mean == pytest.approx(9.2)
    assert result.lift == pytest.approx(-0.2)
    assert result.ci_high < 0
    assert result.verdict == "validated"
    assert experiment(control, treatment, "up").verdict == "refuted"


def test_relative_lift_uses_the_magnitude_of_a_negative_control_mean() -> None:
    """Control mean -10, treatment -8: Δ = (-8 - (-10)) / |-10| = +0.2 (the KPI went up)."""
    result = before_after([-11.0, -9.0, -10.0], [-9.0, -7.0, -8.0], "up")
    assert result.lift == pytest.approx(0.2)


# --- before/after -------------------------------------------------------------------------------


def test_before_after_is_the_welch_test_of_the_samples() -> None:
    """Same numbers as experiment() on the samples' summaries; no SRM check for before/after."""
    before = [4.1, 5.0, 3.8, 4.6, 4.4, 5.2]
    after = [5.1, 5.6, 4.9, 6.0, 5.3, 5.8, 6.2, 5.5]
    result = before_after(before, after, "up")
    reference = experiment(summary(before), summary(after), "up")
    assert result.srm_p_value is None
    assert result.as_dict()["srm_p_value"] is None
    for field in ("lift", "se", "ci_low", "ci_high", "p_value", "dof"):
        assert getattr(result, field) == pytest.approx(getattr(reference, field))
    welch = stats.ttest_ind(after, before, equal_var=False)
    absolute = before_after(before, after, "up", difference="absolute")
    assert absolute.p_value == pytest.approx(float(welch.pvalue))
    assert result.verdict == "validated"


# --- difference-in-differences --------------------------------------------------------------

PANEL = [
    (False, False, 10.0),
    (False, False, 12.0),
    (False, True, 13.0),
    (False, True, 15.0),
    (True, False, 20.0),
    (True, False, 24.0),
    (True, True, 30.0),
    (True, True, 34.0),
    (True, True, 38.0),
]


def test_did_matches_cell_means_and_statsmodels_hc1() -> None:
    """Cell means: control 11 → 14, treated 22 → 34; DiD = (34 - 22) - (14 - 11) = 9.

    The model is saturated, so residuals are deviations from cell means and the HC0 variance of
    a cell mean is Σe² / n_c²: (1+1)/4 + (1+1)/4 + (4+4)/4 + (16+0+16)/9 = 6.555556; HC1 scales
    by n / (n - k) = 9 / 5: 11.8, se = √11.8 = 3.435113. Normal CI: 9 ± 1.959964 · 3.435113.
    Reference: statsmodels.formula.api.ols("value ~ treated * post").fit(cov_type="HC1").
    """
    result = did(PANEL, "up")
    assert isinstance(result, DidResult)
    assert result.estimate == pytest.approx(9.0)
    assert result.se == pytest.approx(math.sqrt(11.8))
    z = stats.norm.ppf(0.975)
    assert result.ci_low == pytest.approx(9 - z * math.sqrt(11.8))
    assert result.ci_high == pytest.approx(9 + z * math.sqrt(11.8))
    assert result.p_value == pytest.approx(2 * stats.norm.sf(9 / math.sqrt(11.8)))
    assert result.n == 9
    assert result.verdict == "validated"

    frame = pd.DataFrame(PANEL, columns=["treated", "post", "value"]).astype(
        {"treated": int, "post": int}
    )
    fit = smf.ols("value ~ treated * post", frame).fit(cov_type="HC1")
    assert result.estimate == pytest.approx(fit.params["treated:post"])
    assert result.se == pytest.approx(fit.bse["treated:post"])
    assert result.p_value == pytest.approx(fit.pvalues["treated:post"])
    ci = fit.conf_int(alpha=0.05).loc["treated:post"]
    assert result.ci_low == pytest.approx(ci[0])
    assert result.ci_high == pytest.approx(ci[1])
    assert set(result.as_dict()) == {
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "p_value",
        "n",
        "verdict",
    }


def test_did_direction_and_alpha() -> None:
    """A rise of 9 refutes a "down" KPI; at alpha 0.001 (z = 3.2905) the CI spans 0."""
    assert did(PANEL, "down").verdict == "refuted"
    strict = did(PANEL, "up", alpha=0.001)
    assert strict.ci_low == pytest.approx(9 - stats.norm.ppf(0.9995) * math.sqrt(11.8))
    assert strict.verdict == "inconclusive"


def test_did_needs_two_rows_in_every_cell() -> None:
    with pytest.raises(ValueError, match="treated=True post=True"):
        did([row for row in PANEL if row[:2] != (True, True)] + [(True, True, 1.0)], "up")


# --- errors -------------------------------------------------------------------------------------


def test_experiment_value_errors() -> None:
    """n < 2, relative lift over a zero control mean, bad inputs."""
    ok = GroupSummary(10, 5.0)
    with pytest.raises(ValueError, match="n >= 2"):
        experiment(GroupSummary(1, 1.0, 1.0), ok, "up")
    with pytest.raises(ValueError, match="n >= 2"):
        experiment(ok, GroupSummary(1, 1.0), "up")
    with pytest.raises(ValueError, match="control mean is 0"):
        experiment(GroupSummary(10, 0.0, 4.0), GroupSummary(10, 2.0, 4.0), "up")
    # The same data is fine as an absolute difference.
    absolute = experiment(
        GroupSummary(10, 0.0, 4.0), GroupSummary(10, 2.0, 4.0), "up", difference="absolute"
    )
    assert absolute.lift == pytest.approx(0.2)
    with pytest.raises(ValueError, match="direction"):
        experiment(ok, ok, "sideways")
    with pytest.raises(ValueError, match="difference"):
        experiment(ok, ok, "up", difference="ratio")
    with pytest.raises(ValueError, match="successes"):
        experiment(GroupSummary(10, 11.0), ok, "up")
    with pytest.raises(ValueError, match="zero variance"):
        experiment(GroupSummary(10, 20.0, 40.0), GroupSummary(10, 30.0, 90.0), "up")
    with pytest.raises(ValueError, match="sum_squares"):
        experiment(GroupSummary(10, 20.0, 10.0), ok, "up")
    with pytest.raises(ValueError, match="at least 2"):
        before_after([1.0], [1.0, 2.0], "up")


# --- hypothesis tracking --------------------------------------------------------------------


def test_achieved_down_kpi_handle_time() -> None:
    """AHT baseline 11.5, target 9.2 (down is good). Last 28 days: 9.1, 8.9 → current 9.0 ≤ 9.2.

    progress = (9.0 - 11.5) / (9.2 - 11.5) = -2.5 / -2.3 = 1.086957.
    """
    observations = [Observation(days_ago(20), 9.1), Observation(days_ago(5), 8.9)]
    result = hypothesis_progress(observations, 11.5, 9.2, date(2024, 12, 31), "down", AS_OF)
    assert result.current == pytest.approx(9.0)
    assert result.progress == pytest.approx(2.5 / 2.3)
    assert result.status == "achieved"
    assert result.trend_per_day == pytest.approx(-0.2 / 15)


def test_on_track_and_at_risk_down_kpi_by_least_squares() -> None:
    """Values 10.0 + 0.02·d at d = 0, 10, …, 80 days ago: an exact line, slope -0.02 a day.

    current = mean of d = 0, 10, 20 (inside 28 days) = (10.0 + 10.2 + 10.4) / 3 = 10.2;
    progress = (10.2 - 11.5) / (9.2 - 11.5) = 1.3 / 2.3 = 0.565217.
    Target by 2024-08-14: its end, 08-15 00:00, is 44.5 days after 06-30 12:00, where the line
    gives 10.0 - 0.02 · 44.5 = 9.11 ≤ 9.2 → on-track. By 2024-07-30: 30.5 days, 9.39 → at-risk.
    """
    observations = [Observation(days_ago(d), 10.0 + 0.02 * d) for d in range(0, 90, 10)]
    on_track = hypothesis_progress(observations, 11.5, 9.2, date(2024, 8, 14), "down", AS_OF)
    assert on_track.current == pytest.approx(10.2)
    assert on_track.progress == pytest.approx(1.3 / 2.3)
    assert on_track.trend_per_day == pytest.approx(-0.02)
    assert on_track.status == "on-track"
    at_risk = hypothesis_progress(observations, 11.5, 9.2, date(2024, 7, 30), "down", AS_OF)
    assert at_risk.status == "at-risk"
    # The same line read as an "up" KPI is heading the wrong way.
    wrong_way = hypothesis_progress(observations, 9.0, 12.0, date(2024, 8, 14), "up", AS_OF)
    assert wrong_way.status == "at-risk"
    assert wrong_way.progress == pytest.approx((10.2 - 9.0) / 3.0)


def test_on_track_up_kpi_and_trend_window() -> None:
    """Adoption 0.40 → 0.70, rising 0.005 a day over the last 60 days, now 0.55 → 0.70 in 30 days.

    An old outlier 120 days ago (outside the 90-day trend window) does not bend the line.
    Target by 2024-07-31: end is 31.5 days on, line gives 0.55 + 0.005 · 31.5 = 0.7075 ≥ 0.70.
    """
    observations = [Observation(days_ago(d), 0.55 - 0.005 * d) for d in range(0, 61, 5)]
    observations.append(Observation(days_ago(120), 5.0))
    result = hypothesis_progress(observations, 0.40, 0.70, date(2024, 7, 31), "up", AS_OF)
    assert result.trend_per_day == pytest.approx(0.005)
    assert result.status == "on-track"
    assert hypothesis_progress(observations, 0.40, 0.70, date(2024, 7, 29), "up", AS_OF).status == (
        "at-risk"
    )


def test_at_risk_when_the_deadline_has_passed() -> None:
    """A line that would reach the target later does not help once target_by is over."""
    observations = [Observation(days_ago(d), 10.0 + 0.02 * d) for d in range(0, 90, 10)]
    result = hypothesis_progress(observations, 11.5, 9.2, date(2024, 6, 29), "down", AS_OF)
    assert result.status == "at-risk"


def test_at_risk_without_a_line_or_a_deadline() -> None:
    """One observation gives no trend; no target_by means on-track cannot be shown."""
    single = [Observation(days_ago(1), 10.0)]
    result = hypothesis_progress(single, 11.5, 9.2, date(2024, 12, 31), "down", AS_OF)
    assert result.trend_per_day is None
    assert result.status == "at-risk"
    same_time = [Observation(days_ago(1), 10.0), Observation(days_ago(1), 9.0)]
    tied = hypothesis_progress(same_time, 11.5, 9.2, date(2024, 12, 31), "down", AS_OF)
    assert tied.trend_per_day is None
    assert tied.status == "at-risk"
    line = [Observation(days_ago(d), 10.0 + 0.02 * d) for d in range(0, 90, 10)]
    assert hypothesis_progress(line, 11.5, 9.2, None, "down", AS_OF).status == "at-risk"
    no_target = hypothesis_progress(line, 11.5, None, date(2024, 12, 31), "down", AS_OF)
    assert no_target.progress is None
    assert no_target.status == "at-risk"


def test_unproven_without_a_current_value() -> None:
    """Nothing inside the last 28 days: no current value, no progress, still a trend."""
    observations = [Observation(days_ago(40), 10.0), Observation(days_ago(30), 9.8)]
    result = hypothesis_progress(observations, 11.5, 9.2, date(2024, 12, 31), "down", AS_OF)
    assert result.current is None
    assert result.progress is None
    assert result.status == "unproven"
    assert result.trend_per_day == pytest.approx(-0.02)
    assert result.as_dict() == {
        "current": None,
        "progress": None,
        "status": "unproven",
        "trend_per_day": pytest.approx(-0.02),
    }
    assert hypothesis_progress([], None, None, None, "up", AS_OF).status == "unproven"


def test_current_window_edges() -> None:
    """(as_of - 28 days, as_of]: exactly 28 days ago is out, as_of is in, the future is out."""
    observations = [
        Observation(days_ago(28), 100.0),
        Observation(days_ago(28) + timedelta(microseconds=1), 4.0),
        Observation(AS_OF, 6.0),
        Observation(AS_OF + timedelta(seconds=1), 100.0),
    ]
    result = hypothesis_progress(observations, None, None, None, "up", AS_OF)
    assert result.current == pytest.approx(5.0)
    assert result.progress is None
    shorter = hypothesis_progress(observations, None, None, None, "up", AS_OF, current_days=7)
    assert shorter.current == pytest.approx(6.0)


def test_progress_arithmetic_and_undefined_cases() -> None:
    """progress = (current - baseline) / (target - baseline); None if target equals baseline."""
    observations = [Observation(days_ago(1), 55.0)]
    result = hypothesis_progress(observations, 40.0, 60.0, None, "up", AS_OF)
    assert result.progress == pytest.approx(0.75)
    assert hypothesis_progress(observations, 60.0, 60.0, None, "up", AS_OF).progress is None
    assert hypothesis_progress(observations, None, 60.0, None, "up", AS_OF).progress is None
    # At the target exactly counts as achieved, in either direction.
    assert hypothesis_progress(observations, 40.0, 55.0, None, "up", AS_OF).status == "achieved"
    assert hypothesis_progress(observations, 70.0, 55.0, None, "down", AS_OF).status == "achieved"


# --- time returned ------------------------------------------------------------------------------


def test_time_returned_hours() -> None:
    """12 minutes x 500 tasks x 0.5 redeployed / 60 = 50 hours."""
    assert time_returned_hours(12.0, 500, 0.5) == pytest.approx(50.0)
    assert time_returned_hours(7.5, 80, 1.0) == pytest.approx(10.0)
    assert time_returned_hours(12.0, 0, 0.5) == 0.0
    with pytest.raises(ValueError, match="redeployed_share"):
        time_returned_hours(12.0, 500, 1.5)
    with pytest.raises(ValueError, match="assisted_tasks"):
        time_returned_hours(12.0, -1, 0.5)


def test_results_are_frozen() -> None:
    result = before_after([1.0, 2.0, 3.0], [2.0, 3.0, 4.0], "up")
    assert isinstance(result, Comparison)
    with pytest.raises(AttributeError):
        result.lift = 0.0  # type: ignore[misc]
