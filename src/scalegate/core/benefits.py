"""Business outcomes: experiment, before/after and DiD statistics, hypothesis progress."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

UP, DOWN = "up", "down"
DIRECTIONS: frozenset[str] = frozenset({UP, DOWN})
RELATIVE, ABSOLUTE = "relative", "absolute"
DIFFERENCES: frozenset[str] = frozenset({RELATIVE, ABSOLUTE})
VALIDATED, REFUTED, INCONCLUSIVE, INVALID = "validated", "refuted", "inconclusive", "invalid"
ACHIEVED, ON_TRACK, AT_RISK, UNPROVEN = "achieved", "on-track", "at-risk", "unproven"
SECONDS_PER_DAY = 86400.0
MINUTES_PER_HOUR = 60.0
ONE_DAY = timedelta(days=1)


def _stats() -> Any:
    """scipy.stats, imported on first use: it costs over a second at start-up."""
    from scipy import stats  # type: ignore[import-untyped]

    return stats


@dataclass(frozen=True)
class GroupSummary:
    """One group's sufficient statistics; sum_squares None means a proportion (sum = successes)."""

    n: int
    sum: float
    sum_squares: float | None = None


@dataclass(frozen=True)
class Comparison:
    """Treatment (or after) against control (or before): lift, Welch test and verdict."""

    difference_type: str
    control_n: int
    control_mean: float
    treatment_n: int
    treatment_mean: float
    lift: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    dof: float
    srm_p_value: float | None
    verdict: str

    def as_dict(self) -> dict[str, object]:
        """Plain form for JSON."""
        return {
            "difference_type": self.difference_type,
            "control": {"n": self.control_n, "mean": self.control_mean},
            "treatment": {"n": self.treatment_n, "mean": self.treatment_mean},
            "lift": self.lift,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "dof": self.dof,
            "srm_p_value": self.srm_p_value,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class DidResult:
    """Difference-in-differences: the treated-by-post interaction of an OLS fit, HC1 errors."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    verdict: str

    def as_dict(self) -> dict[str, object]:
        """Plain form for JSON."""
        return {
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "n": self.n,
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class Observation:
    """One measured value of a KPI at a moment."""

    at: datetime
    value: float


@dataclass(frozen=True)
class Progress:
    """Where a hypothesis's KPI stands against its baseline and target."""

    current: float | None
    progress: float | None
    status: str
    trend_per_day: float | None

    def as_dict(self) -> dict[str, object]:
        """Plain form for JSON."""
        return {
            "current": self.current,
            "progress": self.progress,
            "status": self.status,
            "trend_per_day": self.trend_per_day,
        }


@dataclass(frozen=True)
class _Moments:
    n: int
    mean: float
    variance: float


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'up' or 'down', got {direction!r}")


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1 exclusive, got {alpha}")


def _moments(summary: GroupSummary, label: str) -> _Moments:
    n = summary.n
    if n < 2:
        raise ValueError(f"the {label} group needs n >= 2 for a sample variance, got n = {n}")
    mean = summary.sum / n
    if summary.sum_squares is None:
        if not 0.0 <= summary.sum <= n:
            raise ValueError(
                f"the {label} group is a proportion, so successes must be in [0, {n}], "
                f"got {summary.sum}"
            )
        return _Moments(n, mean, mean * (1.0 - mean))
    variance = (summary.sum_squares - summary.sum * summary.sum / n) / (n - 1)
    if variance < 0.0:
        # Rounding can leave a tiny negative for a constant sample; anything larger is bad data.
        if variance < -1e-9 * max(1.0, abs(summary.sum_squares) / (n - 1)):
            raise ValueError(f"the {label} group's sum_squares is below sum**2 / n")
        variance = 0.0
    return _Moments(n, mean, variance)


def _sample_moments(values: Sequence[float], label: str) -> _Moments:
    n = len(values)
    if n < 2:
        raise ValueError(f"the {label} sample needs at least 2 values, got {n}")
    mean = math.fsum(values) / n
    # Two passes about the mean: the same n - 1 variance as the summary formula, without its
    # cancellation when values are large relative to their spread.
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return _Moments(n, mean, variance)


def _verdict(ci_low: float, ci_high: float, direction: str) -> str:
    if ci_low > 0.0:
        return VALIDATED if direction == UP else REFUTED
    if ci_high < 0.0:
        return VALIDATED if direction == DOWN else REFUTED
    return INCONCLUSIVE


def _welch(
    control: _Moments,
    treatment: _Moments,
    direction: str,
    difference: str,
    alpha: float,
    srm: float | None,
    srm_flagged: bool,
) -> Comparison:
    _check_direction(direction)
    _check_alpha(alpha)
    if difference not in DIFFERENCES:
        raise ValueError(f"difference must be 'relative' or 'absolute', got {difference!r}")
    mu_c, mu_t = control.mean, treatment.mean
    var_c, var_t = control.variance, treatment.variance
    part_c, part_t = var_c / control.n, var_t / treatment.n
    if part_c + part_t == 0.0:
        raise ValueError("both groups have zero variance, so the difference has no standard error")
    if difference == RELATIVE:
        if mu_c == 0.0:
            raise ValueError(
                "the control mean is 0, so a relative lift is undefined; use difference='absolute'"
            )
        lift = (mu_t - mu_c) / abs(mu_c)
        variance = var_t / (treatment.n * mu_c**2) + var_c * mu_t**2 / (control.n * mu_c**4)
    else:
        lift = mu_t - mu_c
        variance = part_t + part_c
    dof = (part_t + part_c) ** 2 / (part_t**2 / (treatment.n - 1) + part_c**2 / (control.n - 1))
    se = math.sqrt(variance)
    t_stat = lift / se
    # 2 * (1 - cdf(|t|)), computed through the survival function to keep precision for tiny p.
    p_value = float(2.0 * _stats().t.sf(abs(t_stat), dof))
    half_width = float(_stats().t.ppf(1.0 - alpha / 2.0, dof)) * se
    ci_low, ci_high = lift - half_width, lift + half_width
    return Comparison(
        difference_type=difference,
        control_n=control.n,
        control_mean=mu_c,
        treatment_n=treatment.n,
        treatment_mean=mu_t,
        lift=lift,
        se=se,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p_value,
        dof=dof,
        srm_p_value=srm,
        verdict=INVALID if srm_flagged else _verdict(ci_low, ci_high, direction),
    )


def srm_p_value(control_n: int, treatment_n: int, expected_share: float = 0.5) -> float:
    """Pearson chi-squared (1 dof) p-value of the split against expected_share for control."""
    if not 0.0 < expected_share < 1.0:
        raise ValueError(f"expected_share must be between 0 and 1 exclusive, got {expected_share}")
    total = control_n + treatment_n
    if control_n < 0 or treatment_n < 0 or total == 0:
        raise ValueError("group sizes must be non-negative and not both zero")
    expected_c, expected_t = total * expected_share, total * (1.0 - expected_share)
    chi2 = (control_n - expected_c) ** 2 / expected_c + (treatment_n - expected_t) ** 2 / expected_t
    return float(_stats().chi2.sf(chi2, 1))


def experiment(
    control: GroupSummary,
    treatment: GroupSummary,
    direction: str,
    difference: str = RELATIVE,
    alpha: float = 0.05,
    expected_share: float = 0.5,
    srm_threshold: float = 0.001,
) -> Comparison:
    """Welch t-test of treatment against control from summaries, with an SRM check."""
    srm = srm_p_value(control.n, treatment.n, expected_share)
    return _welch(
        _moments(control, "control"),
        _moments(treatment, "treatment"),
        direction,
        difference,
        alpha,
        srm,
        srm < srm_threshold,
    )


def before_after(
    before: Sequence[float],
    after: Sequence[float],
    direction: str,
    difference: str = RELATIVE,
    alpha: float = 0.05,
) -> Comparison:
    """Welch t-test of the after sample against the before sample; no SRM check."""
    return _welch(
        _sample_moments(before, "before"),
        _sample_moments(after, "after"),
        direction,
        difference,
        alpha,
        None,
        False,
    )


def did(rows: Sequence[tuple[bool, bool, float]], direction: str, alpha: float = 0.05) -> DidResult:
    """OLS of value ~ treated + post + treated:post, HC1 errors; the interaction is the effect."""
    # Imported here: statsmodels takes seconds to import, and only DiD needs it.
    import statsmodels.api as sm  # type: ignore[import-untyped]

    _check_direction(direction)
    _check_alpha(alpha)
    cells = {(t, p): 0 for t in (False, True) for p in (False, True)}
    for treated, post, _ in rows:
        cells[(bool(treated), bool(post))] += 1
    thin = [key for key, count in cells.items() if count < 2]
    if thin:
        names = ", ".join(f"treated={t} post={p}" for t, p in sorted(thin))
        raise ValueError(f"every treated/post cell needs at least 2 rows; too few in: {names}")
    design = [
        [1.0, float(treated), float(post), float(bool(treated) and bool(post))]
        for treated, post, _ in rows
    ]
    values = [float(value) for _, _, value in rows]
    fit = sm.OLS(values, design).fit(cov_type="HC1")
    interaction = 3
    ci = fit.conf_int(alpha=alpha)
    ci_low, ci_high = float(ci[interaction][0]), float(ci[interaction][1])
    return DidResult(
        estimate=float(fit.params[interaction]),
        se=float(fit.bse[interaction]),
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=float(fit.pvalues[interaction]),
        n=len(values),
        verdict=_verdict(ci_low, ci_high, direction),
    )


def _reached(value: float, target: float, direction: str) -> bool:
    return value >= target if direction == UP else value <= target


def _days(at: datetime, origin: datetime) -> float:
    return (at - origin).total_seconds() / SECONDS_PER_DAY


def _least_squares(points: Sequence[tuple[float, float]]) -> tuple[float, float, float] | None:
    """(slope, mean x, mean y) of the least-squares line; None without two distinct x."""
    if len(points) < 2:
        return None
    mean_x = math.fsum(x for x, _ in points) / len(points)
    mean_y = math.fsum(y for _, y in points) / len(points)
    sxx = math.fsum((x - mean_x) ** 2 for x, _ in points)
    if sxx == 0.0:
        return None
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in points)
    return sxy / sxx, mean_x, mean_y


def hypothesis_progress(
    observations: Sequence[Observation],
    baseline: float | None,
    target: float | None,
    target_by: date | None,
    direction: str,
    as_of: datetime,
    current_days: int = 28,
    trend_days: int = 90,
) -> Progress:
    """Current value, progress from baseline to target, trend and status as of a moment."""
    _check_direction(direction)
    if current_days <= 0 or trend_days <= 0:
        raise ValueError("current_days and trend_days must be positive")
    current_start = as_of - timedelta(days=current_days)
    recent = [o.value for o in observations if current_start < o.at <= as_of]
    current = math.fsum(recent) / len(recent) if recent else None

    progress: float | None = None
    if current is not None and baseline is not None and target is not None and target != baseline:
        progress = (current - baseline) / (target - baseline)

    trend_start = as_of - timedelta(days=trend_days)
    points = [(_days(o.at, as_of), o.value) for o in observations if trend_start < o.at <= as_of]
    line = _least_squares(points)
    trend_per_day = line[0] if line is not None else None

    if current is None:
        status = UNPROVEN
    elif target is not None and _reached(current, target, direction):
        status = ACHIEVED
    else:
        status = AT_RISK
        if target is not None and target_by is not None and line is not None:
            deadline = (
                datetime(target_by.year, target_by.month, target_by.day, tzinfo=as_of.tzinfo)
                + ONE_DAY
            )
            if deadline > as_of:
                slope, mean_x, mean_y = line
                fitted = mean_y + slope * (_days(deadline, as_of) - mean_x)
                if _reached(fitted, target, direction):
                    status = ON_TRACK
    return Progress(current, progress, status, trend_per_day)


def time_returned_hours(
    minutes_saved_per_task: float, assisted_tasks: int, redeployed_share: float
) -> float:
    """Hours returned to the business: minutes saved x tasks x share redeployed / 60."""
    if assisted_tasks < 0:
        raise ValueError(f"assisted_tasks must be non-negative, got {assisted_tasks}")
    if not 0.0 <= redeployed_share <= 1.0:
        raise ValueError(f"redeployed_share must be between 0 and 1, got {redeployed_share}")
    return minutes_saved_per_task * assisted_tasks * redeployed_share / MINUTES_PER_HOUR
