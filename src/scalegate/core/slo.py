"""SLOs: windows, attainment per budgeting method, error budgets, burn rates and burn alerts.

Formulas are in docs/metrics.md ("Reliability"); alerts follow the multi-window, multi-burn-rate
alerts of the Google SRE Workbook (chapter 5) with the windows Sloth ships.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

BudgetingMethod = Literal["Occurrences", "Timeslices", "RatioTimeslices"]
BUDGETING_METHODS: tuple[str, ...] = ("Occurrences", "Timeslices", "RatioTimeslices")
DURATION = re.compile(r"^([1-9][0-9]*)([mhdwMQY])$")
FIXED_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
CALENDAR_MONTHS = {"M": 1, "Q": 3, "Y": 12}
# The windows burn rates are reported over, shortest first.
BURN_WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")


@dataclass(frozen=True)
class BurnAlert:
    """A multi-window burn-rate alert: both windows must burn faster than the threshold."""

    name: str
    severity: Literal["page", "ticket"]
    long_window: str
    short_window: str
    # Share of the whole window's error budget the long window may consume before it fires.
    budget_share: float


BURN_ALERTS: tuple[BurnAlert, ...] = (
    BurnAlert("page-fast", "page", "1h", "5m", 0.02),
    BurnAlert("page-slow", "page", "6h", "30m", 0.05),
    BurnAlert("ticket-fast", "ticket", "1d", "2h", 0.10),
    BurnAlert("ticket-slow", "ticket", "3d", "6h", 0.10),
)


def parse_duration(text: str) -> tuple[int, str]:
    """An OpenSLO duration shorthand ("5m", "4w", "1Q") as (count, unit); ValueError otherwise."""
    found = DURATION.match(text) if isinstance(text, str) else None
    if not found:
        raise ValueError(
            f"{text!r} is not a duration: a positive whole number and one of m h d w M Q Y"
        )
    return int(found.group(1)), found.group(2)


def fixed_duration(text: str) -> timedelta:
    """A duration of fixed length (m, h, d, w); months, quarters and years have none."""
    count, unit = parse_duration(text)
    if unit not in FIXED_UNITS:
        raise ValueError(f"{text!r} has no fixed length: use m, h, d or w")
    return timedelta(seconds=count * FIXED_UNITS[unit])


@dataclass(frozen=True)
class TimeWindow:
    """A rolling window, or a calendar-aligned one anchored at a local start time and zone."""

    duration: str
    rolling: bool = True
    calendar_start: str = "2000-01-01 00:00:00"  # local wall time in time_zone, no offset
    time_zone: str = "UTC"


@dataclass(frozen=True)
class Objective:
    """What an SLO promises: the target over a window under a budgeting method."""

    name: str
    target: float
    window: TimeWindow
    budgeting_method: str = "Occurrences"
    service: str = ""
    time_slice_target: float | None = None
    time_slice_window: str | None = None


@dataclass(frozen=True)
class Counts:
    """Good and total events of an interval."""

    good: float = 0.0
    total: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.good + other.good, self.total + other.total)

    @property
    def error_ratio(self) -> float | None:
        """Σbad / Σtotal, or None without traffic."""
        return None if self.total <= 0 else (self.total - self.good) / self.total


@dataclass(frozen=True)
class SliRecord:
    """SLI counts of the interval that ends at `at`."""

    at: datetime
    good: float
    total: float


def _add_months(moment: datetime, months: int) -> datetime:
    """The same local wall time `months` later, clamped to the month's last day."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    days = [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return moment.replace(year=year, month=month, day=min(moment.day, days))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _period_start(anchor: datetime, count: int, unit: str, k: int) -> datetime:
    """The local start of the k-th period after the anchor."""
    if unit in CALENDAR_MONTHS:
        return _add_months(anchor, k * count * CALENDAR_MONTHS[unit])
    return anchor + k * timedelta(seconds=count * FIXED_UNITS[unit])


def calendar_period(window: TimeWindow, as_of: datetime) -> tuple[datetime, datetime]:
    """The calendar period (start, end], in UTC, that holds as_of."""
    zone = ZoneInfo(window.time_zone)
    count, unit = parse_duration(window.duration)
    anchor = datetime.fromisoformat(window.calendar_start)
    local = as_of.astimezone(zone).replace(tzinfo=None)
    # A first guess from the average period length, then step to the period holding as_of.
    if unit in CALENDAR_MONTHS:
        months = count * CALENDAR_MONTHS[unit]
        k = ((local.year - anchor.year) * 12 + local.month - anchor.month) // months
    else:
        k = math.floor((local - anchor).total_seconds() / (count * FIXED_UNITS[unit]))

    def utc(k: int) -> datetime:
        return _period_start(anchor, count, unit, k).replace(tzinfo=zone).astimezone(UTC)

    while utc(k) >= as_of:
        k -= 1
    while utc(k + 1) < as_of:
        k += 1
    return utc(k), utc(k + 1)


def evaluation_window(window: TimeWindow, as_of: datetime) -> tuple[datetime, float]:
    """Where the SLO window starts as of a moment, and the window's whole length in hours.

    The window holds the records whose `at` is in (start, as_of]. A calendar window is the
    period that holds as_of, so far; its length is the whole period's.
    """
    if window.rolling:
        length = fixed_duration(window.duration)
        return as_of - length, length.total_seconds() / 3600
    start, end = calendar_period(window, as_of)
    return start, (end - start).total_seconds() / 3600


def burn_window_starts(as_of: datetime) -> dict[str, datetime]:
    """Start of each burn-rate window (start, as_of]."""
    return {w: as_of - fixed_duration(w) for w in BURN_WINDOWS}


def _slice_index(at: datetime, seconds: int) -> int:
    # Slices are (k·s − s, k·s] seconds after the epoch: a record belongs to the slice its end
    # falls in, so slices line up however the window is placed.
    return math.ceil(at.timestamp() / seconds)


def slice_window(value: str | float | None) -> str | None:
    """timeSliceWindow as a duration shorthand: a bare number means minutes."""
    if value is None or isinstance(value, str):
        return value
    return f"{int(value)}m" if float(value).is_integer() and value > 0 else str(value)


def slice_counts(records: Iterable[SliRecord], slice_window: str) -> list[Counts]:
    """The records grouped into epoch-aligned time slices, in time order."""
    seconds = int(fixed_duration(slice_window).total_seconds())
    slices: dict[int, Counts] = defaultdict(Counts)
    for record in records:
        index = _slice_index(record.at, seconds)
        slices[index] = slices[index] + Counts(record.good, record.total)
    return [slices[k] for k in sorted(slices)]


def attainment(
    method: str,
    events: Counts,
    slices: Sequence[Counts] = (),
    slice_target: float | None = None,
) -> float | None:
    """Attainment of a window; None when it saw no traffic.

    Occurrences: Σgood / Σtotal. Timeslices: good slices / slices with traffic, a slice being
    good when good / total ≥ timeSliceTarget. RatioTimeslices: the mean of the slices' good /
    total. Slices without traffic count for neither.
    """
    if method == "Occurrences":
        return None if events.total <= 0 else events.good / events.total
    measured = [s for s in slices if s.total > 0]
    target = slice_good_target(slice_target)
    return slice_attainment(
        method,
        SliceTally(
            len(measured),
            sum(1 for s in measured if s.good / s.total >= target),
            math.fsum(s.good / s.total for s in measured),
        ),
    )


@dataclass(frozen=True)
class SliceTally:
    """What Timeslices and RatioTimeslices need of a window's slices with traffic: how many,
    how many were good (good / total ≥ timeSliceTarget), and the sum of their good / total."""

    measured: int
    good: int
    ratio_sum: float


def slice_good_target(slice_target: float | None) -> float:
    """The good / total a slice needs to be good (timeSliceTarget; 1 when not given)."""
    return 1.0 if slice_target is None else slice_target


def add_tallies(tallies: Iterable[SliceTally]) -> SliceTally:
    """The tally of disjoint sets of slices together."""
    measured = good = 0
    ratio_sum = 0.0
    for t in tallies:
        measured += t.measured
        good += t.good
        ratio_sum += t.ratio_sum
    return SliceTally(measured, good, ratio_sum)


def hourly_slice_tallies(
    records: Iterable[SliRecord], slice_seconds: int, good_target: float
) -> dict[datetime, SliceTally]:
    """The slices of the records tallied per hour (h − 1h, h] that holds them.

    Slices must divide an hour (3600 % slice_seconds == 0), so that each lies in one hour and
    the tallies of whole hours add up to the tally of the slices of a longer span.
    """
    if 3600 % slice_seconds:
        raise ValueError(f"a {slice_seconds} s slice does not divide an hour")
    slices: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for record in records:
        counts = slices[_slice_index(record.at, slice_seconds)]
        counts[0] += record.good
        counts[1] += record.total
    hours: dict[datetime, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for index, (good, total) in sorted(slices.items()):
        if total <= 0:
            continue
        end = index * slice_seconds
        hour = datetime.fromtimestamp(-(-end // 3600) * 3600, UTC)
        tally = hours[hour]
        tally[0] += 1
        tally[1] += int(good / total >= good_target)
        tally[2] += good / total
    return {h: SliceTally(int(m), int(g), r) for h, (m, g, r) in hours.items()}


def slice_attainment(method: str, tally: SliceTally) -> float | None:
    """Attainment from the slices' tally (see `attainment`); None without measured slices."""
    if tally.measured <= 0:
        return None
    if method == "Timeslices":
        return tally.good / tally.measured
    if method == "RatioTimeslices":
        return tally.ratio_sum / tally.measured
    raise ValueError(f"unknown budgeting method {method!r}")


def error_budget(target: float) -> float:
    """1 − target, rounded so that 1 − 0.999 is 0.001 and not 0.0010000000000000009."""
    return round(1.0 - target, 12)


def burn_rate(events: Counts, target: float) -> float | None:
    """Error ratio over a window ÷ the error budget; None without traffic."""
    ratio = events.error_ratio
    return None if ratio is None else round(ratio / error_budget(target), 9)


def alert_threshold(alert: BurnAlert, window_hours: float) -> float:
    """Budget share × window hours ÷ long-window hours (14.4, 6, 3, 1 for 30 days)."""
    long_hours = fixed_duration(alert.long_window).total_seconds() / 3600
    return round(alert.budget_share * window_hours / long_hours, 9)


@dataclass
class SloStatus:
    """One SLO as of a moment: attainment, budget, burn rates and the alerts' state."""

    objective: Objective
    attainment: float | None
    window_start: datetime
    window_hours: float
    burn_rates: dict[str, float | None]
    alerts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def error_budget_remaining(self) -> float | None:
        """1 − (1 − attainment) / (1 − target); negative once the budget is overspent."""
        if self.attainment is None:
            return None
        consumed = (1.0 - self.attainment) / error_budget(self.objective.target)
        return round(1.0 - consumed, 9)

    @property
    def met(self) -> bool:
        """Attainment at or above target; an SLO without data is not met."""
        return self.attainment is not None and self.attainment >= self.objective.target

    @property
    def time_to_exhaustion_hours(self) -> float | None:
        """Hours until the budget is gone at the current 1h burn rate (None: not burning)."""
        remaining, burn = self.error_budget_remaining, self.burn_rates.get("1h")
        if remaining is None:
            return None
        if remaining <= 0:
            return 0.0
        if not burn:
            return None
        return round(remaining * self.window_hours / burn, 6)

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `scalegate metrics slo`."""
        objective = self.objective
        return {
            "name": objective.name,
            "service": objective.service,
            "target": objective.target,
            "window": objective.window.duration,
            "window_start": self.window_start.isoformat(),
            "rolling": objective.window.rolling,
            "budgeting_method": objective.budgeting_method,
            "attainment": self.attainment,
            "error_budget_remaining": self.error_budget_remaining,
            "time_to_exhaustion_hours": self.time_to_exhaustion_hours,
            "burn_rates": self.burn_rates,
            "alerts": self.alerts,
            "met": self.met,
        }


def slo_status(
    objective: Objective,
    as_of: datetime,
    attained: float | None,
    burn_counts: Mapping[str, Counts],
) -> SloStatus:
    """Budget, burn rates and alerts from the window's attainment and each burn window's counts."""
    start, hours = evaluation_window(objective.window, as_of)
    rates = {w: burn_rate(burn_counts.get(w, Counts()), objective.target) for w in BURN_WINDOWS}
    alerts = []
    for alert in BURN_ALERTS:
        threshold = alert_threshold(alert, hours)
        long_rate, short_rate = rates[alert.long_window], rates[alert.short_window]
        firing = (
            long_rate is not None
            and short_rate is not None
            and long_rate > threshold
            and short_rate > threshold
        )
        alerts.append(
            {
                "name": alert.name,
                "severity": alert.severity,
                "long_window": alert.long_window,
                "short_window": alert.short_window,
                "threshold": threshold,
                "firing": firing,
            }
        )
    return SloStatus(objective, attained, start, hours, rates, alerts)


def _within(records: Iterable[SliRecord], start: datetime, end: datetime) -> list[SliRecord]:
    return [r for r in records if start < r.at <= end]


def _total(records: Iterable[SliRecord]) -> Counts:
    good = total = 0.0
    for r in records:
        good += r.good
        total += r.total
    return Counts(good, total)


def status_from_records(
    objective: Objective, records: Sequence[SliRecord], as_of: datetime
) -> SloStatus:
    """The whole status of one SLO from its raw SLI records (which may span more than needed)."""
    start, _hours = evaluation_window(objective.window, as_of)
    in_window = _within(records, start, as_of)
    slices = (
        slice_counts(in_window, objective.time_slice_window or "1m")
        if objective.budgeting_method != "Occurrences"
        else []
    )
    attained = attainment(
        objective.budgeting_method, _total(in_window), slices, objective.time_slice_target
    )
    burn = {w: _total(_within(records, s, as_of)) for w, s in burn_window_starts(as_of).items()}
    return slo_status(objective, as_of, attained, burn)


@dataclass(frozen=True)
class BurndownPoint:
    """The SLO window's attainment and error budget remaining from its start up to `at`."""

    at: datetime
    attainment: float | None
    remaining: float | None


def budget_burndown(
    objective: Objective,
    as_of: datetime,
    records: Iterable[SliRecord],
    step: timedelta = timedelta(days=1),
) -> list[BurndownPoint]:
    """How the error budget of the window that holds as_of was spent: a point every `step`
    after the window's start, and one at as_of.

    remaining(t) = 1 − (1 − attainment over (start, t]) / (1 − target), with attainment by the
    objective's budgeting method; None until the window has traffic. Records are counted by
    their `at`, so hourly roll-ups (at = the hour's end) serve Occurrences; Timeslices and
    RatioTimeslices need records at least as fine as their slices. A slice that a point cuts
    counts with its records up to the point, as `attainment` over (start, t] would count it.
    The last point is what `SloStatus.error_budget_remaining` reports as of as_of.
    """
    start, _hours = evaluation_window(objective.window, as_of)
    moments = []
    moment = start + step
    while moment < as_of:
        moments.append(moment)
        moment += step
    moments.append(as_of)
    ordered = sorted((r for r in records if start < r.at <= as_of), key=lambda r: r.at)
    method = objective.budgeting_method
    sliced = method != "Occurrences"
    seconds = int(fixed_duration(objective.time_slice_window or "1m").total_seconds())
    good_at = 1.0 if objective.time_slice_target is None else objective.time_slice_target
    budget = error_budget(objective.target)
    events = Counts()
    # The closed slices with traffic: how many, how many good, and the sum of good / total.
    closed = (0, 0, 0.0)
    current_index: int | None = None
    current = Counts()

    def with_slice(tally: tuple[int, int, float], counts: Counts) -> tuple[int, int, float]:
        if counts.total <= 0:
            return tally
        ratio = counts.good / counts.total
        return tally[0] + 1, tally[1] + (ratio >= good_at), tally[2] + ratio

    def slice_figure(tally: tuple[int, int, float]) -> float | None:
        measured, good, ratio_sum = tally
        if measured == 0:
            return None
        return good / measured if method == "Timeslices" else ratio_sum / measured

    points = []
    i = 0
    for moment in moments:
        while i < len(ordered) and ordered[i].at <= moment:
            record = ordered[i]
            i += 1
            counts = Counts(record.good, record.total)
            events = events + counts
            if sliced:
                index = _slice_index(record.at, seconds)
                if index != current_index:
                    closed = with_slice(closed, current)
                    current_index, current = index, Counts()
                current = current + counts
        attained = (
            slice_figure(with_slice(closed, current)) if sliced else attainment(method, events)
        )
        remaining = None if attained is None else round(1.0 - (1.0 - attained) / budget, 9)
        points.append(BurndownPoint(moment, attained, remaining))
    return points
