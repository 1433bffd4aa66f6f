"""AI usage figures from aggregated telemetry: hourly counts, latency histograms, daily users."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

RELATIVE_ACCURACY = 0.01
GAMMA = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
ZERO_KEY = 0

ACCEPTED, EDITED, OVERRIDDEN, ESCALATED, FAILED = (
    "accepted",
    "edited",
    "overridden",
    "escalated",
    "failed",
)
OUTCOMES: frozenset[str] = frozenset({ACCEPTED, EDITED, OVERRIDDEN, ESCALATED, FAILED})
APPROVED, RESTRICTED, RETIRED = "approved", "restricted", "retired"
UNKNOWN, NOT_ALLOWED_FOR_DATA = "unknown", "not-allowed-for-data"
UNASSIGNED = "unassigned"
TOKENS_PER_MILLION = 1_000_000
ONE_WEEK = timedelta(days=7)


# --- latency histogram ----------------------------------------------------------------------


def bucket_key(value: float) -> int:
    """The histogram key of a value: 0 for value <= 0, else from i = ceil(log_gamma(value))."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"a latency must be a finite number, got {value}")
    if value <= 0.0:
        return ZERO_KEY
    index = math.ceil(math.log(value) / _LOG_GAMMA)
    # Index 0 (values in (1/gamma, 1]) and below shift down by one so key 0 stays the zero bucket.
    return index if index > 0 else index - 1


def bucket_value(key: int) -> float:
    """The representative value of a key: 0.0 for the zero key, else 2 gamma^i / (gamma + 1)."""
    if key == ZERO_KEY:
        return 0.0
    index = key if key > 0 else key + 1
    return 2.0 * GAMMA**index / (GAMMA + 1.0)


def nearest_rank(q: float, n: int) -> int:
    """The 1-based nearest rank ceil(q * n) of quantile q among n values, at least 1."""
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile q must be between 0 and 1, got {q}")
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    # The factor keeps float noise (0.07 * 100 = 7.000000000000001) from adding a rank.
    return min(n, max(1, math.ceil(q * n * (1.0 - 1e-12))))


def _order(key: int) -> tuple[bool, int]:
    """Sort key placing buckets in value order: zero, then negative keys, then positive keys."""
    return (key != ZERO_KEY, key)


def _checked_count(key: object, count: object) -> tuple[int, int]:
    if not isinstance(key, int) or isinstance(key, bool):
        raise ValueError(f"a histogram key must be an integer, got {key!r}")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"a histogram count must be a non-negative integer, got {count!r}")
    return key, count


class LatencyHistogram:
    """Mergeable log-bucket histogram (DDSketch-style) with relative accuracy alpha = 0.01.

    gamma = (1 + alpha) / (1 - alpha). A value x > 0 has index i = ceil(log(x) / log(gamma)),
    so gamma^(i-1) < x <= gamma^i, and is reported as 2 gamma^i / (gamma + 1), which gives
    |estimate - x| <= alpha * x (up to float rounding). Keys: 0 counts values <= 0 (reported
    as 0.0); a positive value is stored under key i when i >= 1 and under key i - 1 when i <= 0.
    quantile(q) returns the representative of the bucket holding the rank-ceil(q * n) value
    (nearest rank), so it is within alpha * true of that value; values <= 0 count as 0.
    """

    __slots__ = ("_counts",)

    def __init__(self, buckets: Mapping[int, int] | None = None) -> None:
        """A histogram holding the given key -> count buckets (empty by default)."""
        self._counts: dict[int, int] = {}
        for key, count in (buckets or {}).items():
            checked_key, checked_count = _checked_count(key, count)
            if checked_count:
                self._counts[checked_key] = self._counts.get(checked_key, 0) + checked_count

    @property
    def count(self) -> int:
        """How many values the histogram holds."""
        return sum(self._counts.values())

    @property
    def buckets(self) -> dict[int, int]:
        """A copy of the key -> count buckets, in value order."""
        return {key: self._counts[key] for key in sorted(self._counts, key=_order)}

    def add(self, value: float, count: int = 1) -> None:
        """Count a value (count times)."""
        if count < 0:
            raise ValueError(f"count must be non-negative, got {count}")
        if count:
            key = bucket_key(value)
            self._counts[key] = self._counts.get(key, 0) + count

    def merge(self, other: LatencyHistogram) -> None:
        """Add every value of other into this histogram (bucket counts summed)."""
        for key, count in other._counts.items():
            self._counts[key] = self._counts.get(key, 0) + count

    def to_json(self) -> dict[str, int]:
        """Buckets with string keys, for JSON storage."""
        return {str(key): count for key, count in self.buckets.items()}

    @classmethod
    def from_json(cls, data: Mapping[str, int]) -> LatencyHistogram:
        """The histogram of a to_json() mapping."""
        try:
            buckets = {int(key): count for key, count in data.items()}
        except ValueError as error:
            raise ValueError(f"a histogram key must be an integer string: {error}") from None
        return cls(buckets)

    def quantile(self, q: float) -> float | None:
        """Estimate of the nearest-rank q-quantile, within alpha of it; None when empty."""
        n = self.count
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile q must be between 0 and 1, got {q}")
        if n == 0:
            return None
        rank = nearest_rank(q, n)
        keys = sorted(self._counts, key=_order)
        seen = 0
        for key in keys[:-1]:
            seen += self._counts[key]
            if seen >= rank:
                return bucket_value(key)
        return bucket_value(keys[-1])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        return self._counts == other._counts

    def __repr__(self) -> str:
        return f"LatencyHistogram({self.buckets!r})"


# --- aggregates and figures -----------------------------------------------------------------


@dataclass(frozen=True)
class UsageBucket:
    """One aggregated row: the events of an hour, model, outcome and assisted flag."""

    hour: datetime
    model: str | None
    outcome: str
    assisted: bool
    events: int
    human_reviewed: int
    guardrail_triggered: int
    input_tokens: int
    output_tokens: int
    cost: float
    duration_s: float
    latency: dict[int, int]
    theme: str | None = None


@dataclass(frozen=True)
class DailyUsers:
    """The distinct (hashed) users active on one day."""

    day: date
    users: frozenset[str]


@dataclass(frozen=True)
class WeeklyUsage:
    """The figures of one ISO week, cut to the window."""

    week_start: date
    active_users: int
    assisted: int
    override_rate: float | None
    cost: float

    def as_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {
            "week_start": self.week_start.isoformat(),
            "active_users": self.active_users,
            "assisted": self.assisted,
            "override_rate": self.override_rate,
            "cost": self.cost,
        }


@dataclass(frozen=True)
class UsageFigures:
    """AI usage over the window (start, end]; every ratio is None when its denominator is 0.

    Events are the buckets whose hour is in (start, end]; user days are the window_days dates
    ending at end's date. "Assisted" is the sum of events of assisted buckets; rates count
    only assisted buckets in both numerator and denominator.

    Adoption:
      active_users_1d / 7d / 28d = distinct users over the last 1 / 7 / 28 dates ending at
        end's date (fixed spans, independent of window_days).
      weekly_active_cohort_share = active_users_7d / target_cohort_size (None without a size).
      repeat_users = users active in >= 2 distinct ISO weeks among the window's user days.
      workflow_penetration = assisted / events.
    Operational:
      completion_rate = 1 - failed / assisted; failure_rate = failed / assisted;
      human_review_rate = human_reviewed / assisted; override_rate = overridden / assisted;
      escalation_rate = escalated / assisted;
      guardrail_trigger_rate = guardrail_triggered / assisted;
      latency_p50/p95/p99_ms = nearest-rank quantiles of the merged assisted histograms, each
        within relative error RELATIVE_ACCURACY (0.01) of the true value.
    Economics:
      total_cost = sum of cost over all events; cost_per_transaction = total_cost / assisted;
      cost_per_1000_inferences = total_cost / (events with a model) * 1000;
      spend_by_model = cost per model (events without a model are left out);
      spend_by_theme = cost per theme, "unassigned" for no theme.
    Trust:
      quality_acceptance = (accepted + edited) / assisted;
      policy_adherence = events on approved models / events with a model;
      evaluation_pass_rate (and its Wilson 95 % lower bound) = passed / evaluated cases of the
        latest fresh evaluation runs, as given (core.evaluations.evaluations_evidence).
    Weekly: one row per ISO week (Monday) overlapping the window: active users on the week's
      window days, assisted events, overridden / assisted, and cost.
    """

    start: datetime
    end: datetime
    active_users_1d: int
    active_users_7d: int
    active_users_28d: int
    target_cohort_size: int | None
    weekly_active_cohort_share: float | None
    repeat_users: int
    events: int
    assisted_events: int
    workflow_penetration: float | None
    completion_rate: float | None
    human_review_rate: float | None
    override_rate: float | None
    escalation_rate: float | None
    failure_rate: float | None
    guardrail_trigger_rate: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None
    total_cost: float
    cost_per_transaction: float | None
    cost_per_1000_inferences: float | None
    spend_by_model: dict[str, float]
    spend_by_theme: dict[str, float]
    quality_acceptance: float | None
    policy_adherence: float | None
    weekly: tuple[WeeklyUsage, ...]
    evaluation_pass_rate: float | None = None
    evaluation_pass_rate_lower95: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {
            "window": {"from": self.start.isoformat(), "to": self.end.isoformat()},
            "adoption": {
                "active_users_1d": self.active_users_1d,
                "active_users_7d": self.active_users_7d,
                "active_users_28d": self.active_users_28d,
                "target_cohort_size": self.target_cohort_size,
                "weekly_active_cohort_share": self.weekly_active_cohort_share,
                "repeat_users": self.repeat_users,
                "workflow_penetration": self.workflow_penetration,
            },
            "operational": {
                "events": self.events,
                "assisted_events": self.assisted_events,
                "completion_rate": self.completion_rate,
                "human_review_rate": self.human_review_rate,
                "override_rate": self.override_rate,
                "escalation_rate": self.escalation_rate,
                "failure_rate": self.failure_rate,
                "guardrail_trigger_rate": self.guardrail_trigger_rate,
                "latency_ms": {
                    "p50": self.latency_p50_ms,
                    "p95": self.latency_p95_ms,
                    "p99": self.latency_p99_ms,
                    "relative_error": RELATIVE_ACCURACY,
                },
            },
            "economics": {
                "total_cost": self.total_cost,
                "cost_per_transaction": self.cost_per_transaction,
                "cost_per_1000_inferences": self.cost_per_1000_inferences,
                "spend_by_model": dict(self.spend_by_model),
                "spend_by_theme": dict(self.spend_by_theme),
            },
            "trust": {
                "quality_acceptance": self.quality_acceptance,
                "policy_adherence": self.policy_adherence,
                "evaluation_pass_rate": self.evaluation_pass_rate,
                "evaluation_pass_rate_lower95": self.evaluation_pass_rate_lower95,
            },
            "weekly": [week.as_dict() for week in self.weekly],
        }


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def _local_date(moment: datetime, as_of: datetime) -> date:
    """The date of a moment in as_of's time zone (as is, when either is naive)."""
    if moment.tzinfo is not None and as_of.tzinfo is not None:
        return moment.astimezone(as_of.tzinfo).date()
    return moment.date()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _distinct(users_by_day: Mapping[date, set[str]], first: date, last: date) -> set[str]:
    seen: set[str] = set()
    for day, users in users_by_day.items():
        if first <= day <= last:
            seen |= users
    return seen


def _spend(costs: Mapping[str, list[float]]) -> dict[str, float]:
    return {name: math.fsum(costs[name]) for name in sorted(costs)}


def usage_figures(
    buckets: Sequence[UsageBucket],
    daily_users: Sequence[DailyUsers],
    as_of: datetime,
    window_days: int = 28,
    target_cohort_size: int | None = None,
    approved_models: frozenset[str] = frozenset(),
    evaluation_pass_rate: float | None = None,
    evaluation_pass_rate_lower95: float | None = None,
) -> UsageFigures:
    """Adoption, operational, economic and trust figures over (as_of - window_days, as_of];
    the evaluation pass rate and its lower bound are the evaluation evidence's, passed in."""
    if window_days <= 0:
        raise ValueError(f"window_days must be positive, got {window_days}")
    if target_cohort_size is not None and target_cohort_size < 0:
        raise ValueError(f"target_cohort_size must be non-negative, got {target_cohort_size}")
    start = as_of - timedelta(days=window_days)
    last_day = as_of.date()
    first_day = last_day - timedelta(days=window_days - 1)
    first_monday = _monday(start.date())
    week_count = (_monday(last_day) - first_monday).days // 7 + 1

    users_by_day: defaultdict[date, set[str]] = defaultdict(set)
    for row in daily_users:
        users_by_day[row.day] |= row.users
    weeks_of_user: defaultdict[str, set[date]] = defaultdict(set)
    weekly_users: list[set[str]] = [set() for _ in range(week_count)]
    for day, users in users_by_day.items():
        if not first_day <= day <= last_day:
            continue
        monday = _monday(day)
        weekly_users[(monday - first_monday).days // 7] |= users
        for user in users:
            weeks_of_user[user].add(monday)

    events = assisted = with_model = on_approved = 0
    outcomes: defaultdict[str, int] = defaultdict(int)
    reviewed = guarded = 0
    costs: list[float] = []
    by_model: defaultdict[str, list[float]] = defaultdict(list)
    by_theme: defaultdict[str, list[float]] = defaultdict(list)
    latency_counts: dict[int, int] = {}  # merged plainly, checked once as a LatencyHistogram
    weekly_assisted = [0] * week_count
    weekly_overridden = [0] * week_count
    weekly_costs: list[list[float]] = [[] for _ in range(week_count)]
    for bucket in buckets:
        if not start < bucket.hour <= as_of:
            continue
        if bucket.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {bucket.outcome!r}; expected one of {OUTCOMES}")
        week = (_monday(_local_date(bucket.hour, as_of)) - first_monday).days // 7
        events += bucket.events
        costs.append(bucket.cost)
        weekly_costs[week].append(bucket.cost)
        by_theme[bucket.theme if bucket.theme is not None else UNASSIGNED].append(bucket.cost)
        if bucket.model is not None:
            with_model += bucket.events
            by_model[bucket.model].append(bucket.cost)
            if bucket.model in approved_models:
                on_approved += bucket.events
        if bucket.assisted:
            assisted += bucket.events
            outcomes[bucket.outcome] += bucket.events
            reviewed += bucket.human_reviewed
            guarded += bucket.guardrail_triggered
            for key, count in bucket.latency.items():
                latency_counts[key] = latency_counts.get(key, 0) + count
            weekly_assisted[week] += bucket.events
            if bucket.outcome == OVERRIDDEN:
                weekly_overridden[week] += bucket.events

    latency = LatencyHistogram(latency_counts)
    active_7d = len(_distinct(users_by_day, last_day - timedelta(days=6), last_day))
    failure_rate = _ratio(outcomes[FAILED], assisted)
    total_cost = math.fsum(costs)
    return UsageFigures(
        start=start,
        end=as_of,
        active_users_1d=len(_distinct(users_by_day, last_day, last_day)),
        active_users_7d=active_7d,
        active_users_28d=len(_distinct(users_by_day, last_day - timedelta(days=27), last_day)),
        target_cohort_size=target_cohort_size,
        weekly_active_cohort_share=(
            _ratio(active_7d, target_cohort_size) if target_cohort_size is not None else None
        ),
        repeat_users=sum(len(mondays) >= 2 for mondays in weeks_of_user.values()),
        events=events,
        assisted_events=assisted,
        workflow_penetration=_ratio(assisted, events),
        completion_rate=None if failure_rate is None else 1.0 - failure_rate,
        human_review_rate=_ratio(reviewed, assisted),
        override_rate=_ratio(outcomes[OVERRIDDEN], assisted),
        escalation_rate=_ratio(outcomes[ESCALATED], assisted),
        failure_rate=failure_rate,
        guardrail_trigger_rate=_ratio(guarded, assisted),
        latency_p50_ms=latency.quantile(0.5),
        latency_p95_ms=latency.quantile(0.95),
        latency_p99_ms=latency.quantile(0.99),
        total_cost=total_cost,
        cost_per_transaction=_ratio(total_cost, assisted),
        cost_per_1000_inferences=(total_cost / with_model * 1000.0 if with_model else None),
        spend_by_model=_spend(by_model),
        spend_by_theme=_spend(by_theme),
        quality_acceptance=_ratio(outcomes[ACCEPTED] + outcomes[EDITED], assisted),
        policy_adherence=_ratio(on_approved, with_model),
        evaluation_pass_rate=evaluation_pass_rate,
        evaluation_pass_rate_lower95=evaluation_pass_rate_lower95,
        weekly=tuple(
            WeeklyUsage(
                week_start=first_monday + index * ONE_WEEK,
                active_users=len(weekly_users[index]),
                assisted=weekly_assisted[index],
                override_rate=_ratio(weekly_overridden[index], weekly_assisted[index]),
                cost=math.fsum(weekly_costs[index]),
            )
            for index in range(week_count)
        ),
    )


# --- model catalog and cost -----------------------------------------------------------------


def model_status(
    model: str,
    catalog: Mapping[str, tuple[str, frozenset[str]]],
    data_classes: Iterable[str],
) -> str:
    """Catalog status of a model for an initiative's data classes (approved only if all allowed)."""
    entry = catalog.get(model)
    if entry is None:
        return UNKNOWN
    status, allowed = entry
    if status != APPROVED:
        return status
    if any(data_class not in allowed for data_class in data_classes):
        return NOT_ALLOWED_FOR_DATA
    return APPROVED


def event_cost(
    input_tokens: int,
    output_tokens: int,
    input_price_per_million: float,
    output_price_per_million: float,
) -> float:
    """(input tokens x input price + output tokens x output price) / 1,000,000."""
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts must be non-negative")
    return (
        input_tokens * input_price_per_million + output_tokens * output_price_per_million
    ) / TOKENS_PER_MILLION
