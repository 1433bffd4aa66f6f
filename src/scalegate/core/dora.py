"""DORA delivery performance: the four keys plus rework rate, over plain deployment records."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

PRODUCTION_ENVIRONMENTS: frozenset[str] = frozenset({"production", "prod"})
SUCCESS = "success"
SECONDS_PER_HOUR = 3600.0
ONE_DAY = timedelta(days=1)
ONE_WEEK = timedelta(days=7)

ELITE, HIGH, MEDIUM, LOW = "elite", "high", "medium", "low"
# (band, lower bound in deployments per day), best first: a rate at or above the bound earns it.
FREQUENCY_BANDS: tuple[tuple[str, float], ...] = ((ELITE, 1.0), (HIGH, 1 / 7), (MEDIUM, 1 / 30))
# (band, exclusive upper bound in hours), best first.
LEAD_TIME_BANDS: tuple[tuple[str, float], ...] = ((ELITE, 24.0), (HIGH, 168.0), (MEDIUM, 720.0))
# (band, inclusive upper bound as a fraction), best first.
FAILURE_RATE_BANDS: tuple[tuple[str, float], ...] = ((ELITE, 0.05), (HIGH, 0.10), (MEDIUM, 0.15))
# (band, exclusive upper bound in hours), best first.
RECOVERY_BANDS: tuple[tuple[str, float], ...] = ((ELITE, 1.0), (HIGH, 24.0), (MEDIUM, 168.0))


@dataclass(frozen=True)
class Commit:
    """One commit as shipped by a deployment."""

    sha: str
    committed_at: datetime


@dataclass(frozen=True)
class Deployment:
    """One deployment of a service to an environment; status is "success" or "failure"."""

    id: str
    service: str
    environment: str
    status: str
    finished_at: datetime
    commits: tuple[Commit, ...] = ()
    rollback_of: str | None = None
    remediates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Incident:
    """One production incident of a service, optionally naming the deployment that caused it."""

    id: str
    service: str
    opened_at: datetime
    resolved_at: datetime | None = None
    caused_by: str | None = None


@dataclass(frozen=True)
class Bands:
    """The DORA performance band of each key."""

    deployment_frequency: str
    lead_time: str | None
    change_failure_rate: str | None
    recovery_time: str | None

    def as_dict(self) -> dict[str, str | None]:
        """Plain form for JSON."""
        return {
            "deployment_frequency": self.deployment_frequency,
            "lead_time": self.lead_time,
            "change_failure_rate": self.change_failure_rate,
            "recovery_time": self.recovery_time,
        }


@dataclass(frozen=True)
class WeeklyFigures:
    """The figures of one ISO week, cut to the window."""

    week_start: date
    deployments: int
    change_failure_rate: float | None
    lead_time_hours_p50: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {
            "week_start": self.week_start.isoformat(),
            "deployments": self.deployments,
            "change_failure_rate": self.change_failure_rate,
            "lead_time_hours_p50": self.lead_time_hours_p50,
        }


@dataclass(frozen=True)
class DoraFigures:
    """Delivery performance over a window of whole UTC days (docs/metrics.md)."""

    start: date
    end: date
    deployments: int
    deployments_per_day: float
    lead_time_hours_p50: float | None
    lead_time_hours_p90: float | None
    change_failure_rate: float | None
    failed_deployments: int
    recovery_time_hours_p50: float | None
    recovery_time_hours_p90: float | None
    rework_rate: float | None
    bands: Bands
    weekly: tuple[WeeklyFigures, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain form for JSON; the caller adds "scope"."""
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "deployments": self.deployments,
            "deployments_per_day": self.deployments_per_day,
            "lead_time_hours": {"p50": self.lead_time_hours_p50, "p90": self.lead_time_hours_p90},
            "change_failure_rate": self.change_failure_rate,
            "failed_deployments": self.failed_deployments,
            "recovery_time_hours": {
                "p50": self.recovery_time_hours_p50,
                "p90": self.recovery_time_hours_p90,
            },
            "rework_rate": self.rework_rate,
            "bands": self.bands.as_dict(),
            "weekly": [week.as_dict() for week in self.weekly],
        }


class _Counted(NamedTuple):
    """What one counted deployment contributes, fixed once from all the data."""

    finished_at: datetime
    failed: bool
    rework: bool
    lead_times: list[float]
    recoveries: list[float]


def _interpolate(ordered: Sequence[float], p: float) -> float | None:
    n = len(ordered)
    if n == 0:
        return None
    h = (n - 1) * p
    low = math.floor(h)
    if low + 1 >= n:
        return float(ordered[-1])
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def percentile(values: Iterable[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (Hyndman-Fan type 7), p in [0, 1]."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"percentile p must be between 0 and 1, got {p}")
    return _interpolate(sorted(values), p)


def _upper_band(
    value: float | None, bands: tuple[tuple[str, float], ...], inclusive: bool
) -> str | None:
    if value is None:
        return None
    for name, bound in bands:
        if value < bound or (inclusive and value == bound):
            return name
    return LOW


def band_deployment_frequency(per_day: float) -> str:
    """Elite at >= 1 a day, high >= 1 a week, medium >= 1 a month (30 days), else low."""
    for name, bound in FREQUENCY_BANDS:
        if per_day >= bound:
            return name
    return LOW


def band_lead_time(p50_hours: float | None) -> str | None:
    """Elite under 24 h, high under 168 h, medium under 720 h, else low; None without data."""
    return _upper_band(p50_hours, LEAD_TIME_BANDS, inclusive=False)


def band_change_failure_rate(rate: float | None) -> str | None:
    """Elite at <= 5 %, high <= 10 %, medium <= 15 %, else low; None without deployments."""
    return _upper_band(rate, FAILURE_RATE_BANDS, inclusive=True)


def band_recovery_time(p50_hours: float | None) -> str | None:
    """Elite under 1 h, high under 24 h, medium under 168 h, else low; None without data."""
    return _upper_band(p50_hours, RECOVERY_BANDS, inclusive=False)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / SECONDS_PER_HOUR


def _counted_deployments(
    deployments: Iterable[Deployment],
    incidents: Iterable[Incident],
    window_start: datetime,
    window_end: datetime,
    production_environments: frozenset[str],
) -> list[_Counted]:
    """The facts of every counted deployment in [window_start, window_end), by finished_at."""
    production = frozenset(env.lower() for env in production_environments)
    is_production: dict[str, bool] = {}
    shipped: defaultdict[str, list[Deployment]] = defaultdict(list)
    rolled_back: set[str] = set()
    for deployment in deployments:
        if deployment.rollback_of is not None:
            rolled_back.add(deployment.rollback_of)
        if deployment.status != SUCCESS:
            continue
        environment = deployment.environment
        in_production = is_production.get(environment)
        if in_production is None:
            in_production = is_production[environment] = environment.lower() in production
        if in_production:
            shipped[deployment.service].append(deployment)

    named: defaultdict[str, list[Incident]] = defaultdict(list)
    unnamed: defaultdict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        if incident.caused_by:
            named[incident.caused_by].append(incident)
        else:
            unnamed[incident.service].append(incident)

    counted: list[_Counted] = []
    no_incidents: list[Incident] = []
    for service, service_deployments in shipped.items():
        service_deployments.sort(key=lambda d: (d.finished_at, d.id))
        finished = [d.finished_at for d in service_deployments]
        first = bisect_left(finished, window_start)
        stop = bisect_left(finished, window_end)
        if first == stop:
            continue
        # An incident without a cause goes to the latest deployment at or before its opening;
        # sorting by (finished_at, id) makes that the largest id among equal finish times.
        blamed: defaultdict[int, list[Incident]] = defaultdict(list)
        for incident in unnamed.get(service, no_incidents):
            index = bisect_right(finished, incident.opened_at) - 1
            if first <= index < stop:
                blamed[index].append(incident)
        seen: set[str] = set()
        for earlier in service_deployments[:first]:
            seen.update([commit.sha for commit in earlier.commits])
        for index in range(first, stop):
            deployment = service_deployments[index]
            finished_at = deployment.finished_at
            lead_times: list[float] = []
            for commit in deployment.commits:
                sha = commit.sha
                if sha not in seen:
                    seen.add(sha)
                    hours = (finished_at - commit.committed_at).total_seconds() / SECONDS_PER_HOUR
                    if hours > 0:
                        lead_times.append(hours)
            attributed = named.get(deployment.id, no_incidents) + blamed.get(index, no_incidents)
            recoveries = [
                _hours(incident.resolved_at - incident.opened_at)
                for incident in attributed
                if incident.resolved_at is not None
            ]
            counted.append(
                _Counted(
                    finished_at,
                    bool(attributed) or deployment.id in rolled_back,
                    bool(deployment.remediates) or deployment.rollback_of is not None,
                    lead_times,
                    recoveries,
                )
            )
    counted.sort(key=lambda c: c.finished_at)
    return counted


def _weeks(counted: Sequence[_Counted], start: date, end: date) -> list[list[_Counted]]:
    """The counted deployments of each ISO week that overlaps [start, end], in order."""
    monday = start - timedelta(days=start.weekday())
    weeks: list[list[_Counted]] = [[] for _ in range((end - monday).days // 7 + 1)]
    monday_midnight = _midnight(monday)
    for row in counted:
        weeks[(row.finished_at - monday_midnight) // ONE_WEEK].append(row)
    return weeks


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def dora_metrics(
    deployments: Iterable[Deployment],
    incidents: Iterable[Incident],
    start: date,
    end: date,
    production_environments: frozenset[str] = PRODUCTION_ENVIRONMENTS,
) -> DoraFigures:
    """DORA four keys and rework rate over the UTC days start..end (docs/metrics.md)."""
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    counted = _counted_deployments(
        deployments, incidents, _midnight(start), _midnight(end + ONE_DAY), production_environments
    )
    days = (end - start).days + 1
    total = len(counted)

    weekly: list[WeeklyFigures] = []
    lead_times: list[float] = []
    monday = start - timedelta(days=start.weekday())
    for offset, week in enumerate(_weeks(counted, start, end)):
        week_lead_times = sorted(hours for row in week for hours in row.lead_times)
        # Appending sorted runs lets the final sort merge them rather than sort from scratch.
        lead_times += week_lead_times
        weekly.append(
            WeeklyFigures(
                monday + offset * ONE_WEEK,
                len(week),
                _ratio(sum(row.failed for row in week), len(week)),
                _interpolate(week_lead_times, 0.5),
            )
        )
    lead_times.sort()
    recoveries = sorted(hours for row in counted for hours in row.recoveries)
    failed = sum(row.failed for row in counted)
    per_day = total / days
    lead_p50 = _interpolate(lead_times, 0.5)
    failure_rate = _ratio(failed, total)
    recovery_p50 = _interpolate(recoveries, 0.5)
    return DoraFigures(
        start=start,
        end=end,
        deployments=total,
        deployments_per_day=per_day,
        lead_time_hours_p50=lead_p50,
        lead_time_hours_p90=_interpolate(lead_times, 0.9),
        change_failure_rate=failure_rate,
        failed_deployments=failed,
        recovery_time_hours_p50=recovery_p50,
        recovery_time_hours_p90=_interpolate(recoveries, 0.9),
        rework_rate=_ratio(sum(row.rework for row in counted), total),
        bands=Bands(
            band_deployment_frequency(per_day),
            band_lead_time(lead_p50),
            band_change_failure_rate(failure_rate),
            band_recovery_time(recovery_p50),
        ),
        weekly=tuple(weekly),
    )
