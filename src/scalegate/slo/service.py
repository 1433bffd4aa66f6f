"""SLO figures: objectives from the applied OpenSLO documents, counts from SLI evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, case, cast, extract, func, select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.core import slo as core_slo
from scalegate.core.slo import (
    Counts,
    Objective,
    SliceTally,
    SloStatus,
    TimeWindow,
    add_tallies,
    attainment,
    burn_window_starts,
    evaluation_window,
    fixed_duration,
    slice_attainment,
    slice_good_target,
    slice_window,
    slo_status,
)
from scalegate.db import transaction
from scalegate.errors import NotFound
from scalegate.portfolio.models import Initiative, initiative_named
from scalegate.slo.ingest import HOUR, hour_of
from scalegate.slo.kinds import linked_initiatives, objective_name
from scalegate.slo.models import OpensloObject, SliCount, SliHour, SliSliceHour


@dataclass(frozen=True)
class Tracked:
    """One objective of an applied SLO: what is evaluated and reported as one entry."""

    slo: str  # the SLO document, whose SLI records it reads
    objective: Objective
    initiatives: tuple[str, ...]


def _window(spec: dict[str, Any]) -> TimeWindow:
    window = (spec.get("timeWindow") or [{"duration": "30d", "isRolling": True}])[0]
    calendar = window.get("calendar")
    if calendar is None:
        return TimeWindow(window["duration"])
    return TimeWindow(
        window["duration"],
        rolling=False,
        calendar_start=calendar["startTime"],
        time_zone=calendar["timeZone"],
    )


def _target(objective: dict[str, Any]) -> float:
    if "target" in objective:
        return float(objective["target"])
    return round(float(objective["targetPercent"]) / 100, 12)


def _tracked(row: OpensloObject, linked: Iterable[str]) -> list[Tracked]:
    """The objectives of one applied SLO document."""
    spec = row.spec
    objectives = spec["objectives"]
    return [
        Tracked(
            row.name,
            Objective(
                name=objective_name(row.name, o, i, len(objectives)),
                target=_target(o),
                window=_window(spec),
                budgeting_method=spec["budgetingMethod"],
                service=spec["service"],
                time_slice_target=o.get("timeSliceTarget"),
                time_slice_window=slice_window(o.get("timeSliceWindow")),
            ),
            tuple(sorted(set(linked))),
        )
        for i, o in enumerate(objectives)
    ]


def _slo_rows(session: Session, names: Iterable[str] | None = None) -> list[OpensloObject]:
    query = select(OpensloObject).filter_by(kind="SLO").order_by(OpensloObject.name)
    if names is not None:
        query = query.where(OpensloObject.name.in_(list(names)))
    return list(session.scalars(query))


def tracked_objectives(session: Session, names: Iterable[str] | None = None) -> list[Tracked]:
    """Every objective of the applied SLOs (or of the named ones), linked to initiatives."""
    by_service: dict[str, list[str]] = defaultdict(list)
    for name, services in session.execute(select(Initiative.name, Initiative.services)):
        for service in services or []:
            by_service[service].append(name)
    tracked = []
    for row in _slo_rows(session, names):
        linked = [*by_service.get(row.spec["service"], []), *linked_initiatives(row.spec)]
        tracked += _tracked(row, linked)
    return tracked


def initiative_objectives(session: Session, initiative: str) -> list[Tracked]:
    """The objectives linked to one initiative, by its services or the SLO's label."""
    services = set(session.scalar(select(Initiative.services).filter_by(name=initiative)) or [])
    tracked = []
    for row in _slo_rows(session):
        if row.spec["service"] in services or initiative in linked_initiatives(row.spec):
            tracked += _tracked(row, [initiative])
    return tracked


Range = tuple[datetime, datetime]


def _split(start: datetime, end: datetime) -> tuple[Range | None, list[Range]]:
    """The whole hour buckets [first, last] of (start, end], and the raw (low, high] ranges at
    its edges; no buckets (and one raw range) when the window holds no whole hour."""
    first, last = hour_of(start) + HOUR, end.replace(minute=0, second=0, microsecond=0)
    if first > last:
        return None, [(start, end)]
    edges = [(start, first - HOUR), (last, end)]
    return (first, last), [(low, high) for low, high in edges if high > low]


def _clusters(ranges: Iterable[Range]) -> list[list[Range]]:
    """Ranges grouped so that each group's ranges overlap or touch one another."""
    groups: list[list[Range]] = []
    high = None
    for r in sorted(set(ranges)):
        if high is None or r[0] > high:
            groups.append([])
            high = r[1]
        groups[-1].append(r)
        high = max(high, r[1])
    return groups


def _counts(good: Any, total: Any) -> Counts:
    return Counts(float(good or 0), float(total or 0))


def windows_counts(
    session: Session, slos: Sequence[str], starts: Iterable[datetime], end: datetime
) -> dict[datetime, dict[str, Counts]]:
    """Σgood and Σtotal per SLO of the records with `at` in (start, end], for each start.

    Whole hours come from the hourly roll-up, in one query for every window; the partial hours
    at either edge from the raw records, one query per group of overlapping edges. The sums are
    exact for any start and end. An SLO without records in a window may be missing.
    """
    found: dict[datetime, dict[str, Counts]] = {start: {} for start in starts}
    live = [start for start in found if start < end]
    if not slos or not live:
        return found
    split = {start: _split(start, end) for start in live}
    hourly = [(start, hours) for start, (hours, _) in split.items() if hours is not None]
    if hourly:
        columns = []
        for _, (first, _last) in hourly:
            inside = SliHour.hour >= first
            columns.append(func.sum(case((inside, SliHour.good), else_=0.0)))
            columns.append(func.sum(case((inside, SliHour.total), else_=0.0)))
        rows = session.execute(
            select(SliHour.slo, *columns)
            .where(
                SliHour.slo.in_(slos),
                SliHour.hour >= min(first for _, (first, _) in hourly),
                SliHour.hour <= hourly[0][1][1],
            )
            .group_by(SliHour.slo)
        )
        for slo, *sums in rows:
            for i, (start, _) in enumerate(hourly):
                found[start][slo] = _counts(sums[2 * i], sums[2 * i + 1])
    raw = _raw_counts(session, slos, [r for _, ranges in split.values() for r in ranges])
    for start, (_, ranges) in split.items():
        into = found[start]
        for r in ranges:
            for slo, counts in raw[r].items():
                into[slo] = into.get(slo, Counts()) + counts
    return found


def _raw_counts(
    session: Session, slos: Sequence[str], ranges: Iterable[Range]
) -> dict[Range, dict[str, Counts]]:
    """Σgood and Σtotal per SLO of the raw records in each (low, high] range."""
    found: dict[Range, dict[str, Counts]] = {}
    for group in _clusters(ranges):
        columns = []
        for low, high in group:
            inside = and_(SliCount.at > low, SliCount.at <= high)
            columns.append(func.sum(case((inside, SliCount.good), else_=0.0)))
            columns.append(func.sum(case((inside, SliCount.total), else_=0.0)))
        rows = session.execute(
            select(SliCount.slo, *columns)
            .where(
                SliCount.slo.in_(slos),
                SliCount.at > group[0][0],
                SliCount.at <= max(high for _, high in group),
            )
            .group_by(SliCount.slo)
        )
        sums_by_slo = {slo: sums for slo, *sums in rows}
        for i, r in enumerate(group):
            found[r] = {
                slo: _counts(sums[2 * i], sums[2 * i + 1]) for slo, sums in sums_by_slo.items()
            }
    return found


def window_counts(
    session: Session, slos: Sequence[str], start: datetime, end: datetime
) -> dict[str, Counts]:
    """Σgood and Σtotal per SLO of the records with `at` in (start, end] (see windows_counts)."""
    return windows_counts(session, slos, [start], end)[start]


def _slice_index(session: Session, seconds: int) -> Any:
    """SQL for the epoch-aligned slice (k·s − s, k·s] a record's `at` falls in: its k, the
    ceiling of epoch seconds / s, in whole numbers (fractions of a second count)."""
    if session.get_bind().dialect.name == "postgresql":
        epoch = extract("epoch", SliCount.at)
        whole = cast(func.floor(epoch), BigInteger)
        fraction = epoch > func.floor(epoch)
    else:  # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff'
        whole = cast(func.strftime("%s", SliCount.at), Integer)
        fraction = cast(func.substr(SliCount.at, 21), Integer) > 0
    return case((fraction, whole // seconds + 1), else_=(whole + (seconds - 1)) // seconds)


def slice_tallies(
    session: Session,
    slos: Sequence[str],
    start: datetime,
    end: datetime,
    slice_window: str,
    good_target: float,
) -> dict[str, SliceTally]:
    """Per SLO, the tally of the time slices with traffic among the records in (start, end]:
    slices grouped and judged by the database, so only one row per SLO comes back."""
    if not slos or end <= start:
        return {}
    seconds = int(fixed_duration(slice_window).total_seconds())
    index = _slice_index(session, seconds)
    per_slice = (
        select(
            SliCount.slo.label("slo"),
            func.sum(SliCount.good).label("good"),
            func.sum(SliCount.total).label("total"),
        )
        .where(SliCount.slo.in_(slos), SliCount.at > start, SliCount.at <= end)
        .group_by(SliCount.slo, index)
        .subquery()
    )
    ratio = per_slice.c.good / per_slice.c.total
    rows = session.execute(
        select(
            per_slice.c.slo,
            func.count(),
            func.sum(case((ratio >= good_target, 1), else_=0)),
            func.sum(ratio),
        )
        .where(per_slice.c.total > 0)
        .group_by(per_slice.c.slo)
    )
    return {
        slo: SliceTally(int(measured), int(good or 0), float(ratio_sum or 0))
        for slo, measured, good, ratio_sum in rows
    }


def window_slice_tallies(
    session: Session,
    slos: Sequence[str],
    start: datetime,
    end: datetime,
    slice_window: str,
    good_target: float,
) -> dict[str, SliceTally]:
    """Per SLO, the tally of the slices of the records in (start, end].

    When the slices divide an hour, whole hours come from the hourly tallies kept at ingest
    and only the partial hours at the edges are sliced from the records; hour boundaries are
    slice boundaries, so the result is the same as slicing every record.
    """
    seconds = int(fixed_duration(slice_window).total_seconds())
    hours, edges = _split(start, end)
    if 3600 % seconds or hours is None or not slos:
        return slice_tallies(session, slos, start, end, slice_window, good_target)
    parts: dict[str, list[SliceTally]] = defaultdict(list)
    rows = session.execute(
        select(
            SliSliceHour.slo,
            func.sum(SliSliceHour.measured),
            func.sum(SliSliceHour.good),
            func.sum(SliSliceHour.ratio_sum),
        )
        .where(
            SliSliceHour.slo.in_(slos),
            SliSliceHour.slice_seconds == seconds,
            SliSliceHour.good_target == good_target,
            SliSliceHour.hour >= hours[0],
            SliSliceHour.hour <= hours[1],
        )
        .group_by(SliSliceHour.slo)
    )
    for slo, measured, good, ratio_sum in rows:
        parts[slo].append(SliceTally(int(measured or 0), int(good or 0), float(ratio_sum or 0)))
    for low, high in edges:
        for slo, tally in slice_tallies(
            session, slos, low, high, slice_window, good_target
        ).items():
            parts[slo].append(tally)
    return {slo: add_tallies(found) for slo, found in parts.items()}


def statuses(session: Session, tracked: Sequence[Tracked], as_of: datetime) -> list[SloStatus]:
    """The status of each tracked objective as of a moment."""
    slos = sorted({t.slo for t in tracked})
    burn_starts = burn_window_starts(as_of)
    starts = {t.objective.name: evaluation_window(t.objective.window, as_of)[0] for t in tracked}
    counts = windows_counts(session, slos, {*burn_starts.values(), *starts.values()}, as_of)
    # Timeslices and RatioTimeslices: one query per window start, slice length and target.
    sliced: dict[tuple[datetime, str, float], list[str]] = defaultdict(list)
    for t in tracked:
        objective = t.objective
        if objective.budgeting_method != "Occurrences":
            key = (
                starts[objective.name],
                objective.time_slice_window or "1m",
                slice_good_target(objective.time_slice_target),
            )
            sliced[key].append(t.slo)
    tallies = {
        key: window_slice_tallies(session, sorted(set(names)), key[0], as_of, key[1], key[2])
        for key, names in sliced.items()
    }
    found = []
    for t in tracked:
        objective = t.objective
        start = starts[objective.name]
        if objective.budgeting_method == "Occurrences":
            attained = attainment("Occurrences", counts[start].get(t.slo, Counts()))
        else:
            key = (
                start,
                objective.time_slice_window or "1m",
                slice_good_target(objective.time_slice_target),
            )
            tally = tallies[key].get(t.slo, SliceTally(0, 0, 0.0))
            attained = slice_attainment(objective.budgeting_method, tally)
        windows = {w: counts[s].get(t.slo, Counts()) for w, s in burn_starts.items()}
        found.append(slo_status(objective, as_of, attained, windows))
    return found


def _as_of(as_of: datetime | None) -> datetime:
    return datetime.now(UTC) if as_of is None else as_of.astimezone(UTC)


def slo_for(
    factory: sessionmaker[Session],
    initiative: str | None = None,
    slo: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """The JSON of `scalegate metrics slo` for an initiative's SLOs or one SLO."""
    when = _as_of(as_of)
    with transaction(factory) as session:
        if slo is not None:
            tracked = tracked_objectives(session, [slo])
            if not tracked:
                raise NotFound(f"no SLO named {slo}")
        else:
            if initiative is None:
                raise NotFound("no initiative named")
            initiative_named(session, initiative)
            tracked = initiative_objectives(session, initiative)
        return {
            "as_of": when.isoformat(),
            "slos": [s.as_dict() for s in statuses(session, tracked, when)],
        }


def slo_evidence(session: Session, initiative: str, as_of: datetime) -> list[dict[str, Any]]:
    """`evidence.slos`: the initiative's SLOs as `scalegate metrics slo` reports them."""
    return [
        s.as_dict() for s in statuses(session, initiative_objectives(session, initiative), as_of)
    ]


def slo_summary(session: Session, as_of: datetime) -> list[dict[str, Any]]:
    """Tier 3 of the dashboard: every applied objective as of a moment, with the initiatives
    it belongs to, its attainment, error budget remaining, 1h burn rate and firing alerts."""
    tracked = tracked_objectives(session)
    linked = {t.objective.name: list(t.initiatives) for t in tracked}
    rows = []
    for status in statuses(session, tracked, as_of):
        figures = status.as_dict()
        burn = figures["burn_rates"]
        rows.append(
            {
                "name": figures["name"],
                "service": figures["service"],
                "initiatives": linked.get(figures["name"], []),
                "target": figures["target"],
                "window": figures["window"],
                "budgeting_method": figures["budgeting_method"],
                "attainment": figures["attainment"],
                "error_budget_remaining": figures["error_budget_remaining"],
                "burn_1h": burn.get("1h"),
                "firing_alerts": [
                    {
                        **{k: a[k] for k in ("name", "severity", "long_window", "short_window")},
                        "threshold": a["threshold"],
                        "long_burn": burn.get(a["long_window"]),
                        "short_burn": burn.get(a["short_window"]),
                    }
                    for a in figures["alerts"]
                    if a["firing"]
                ],
                "met": figures["met"],
            }
        )
    return rows


# Timeslices and RatioTimeslices burn-downs read at most this many raw records per SLO.
BURNDOWN_RAW_LIMIT = 50_000


def _hourly_records(
    session: Session, slo: str, start: datetime, end: datetime
) -> list[core_slo.SliRecord]:
    """The SLO's counts in (start, end] as records: the hourly roll-up for the whole hours
    (at = the hour's end) and the raw records of the partial hours at either edge."""
    floor = start.replace(minute=0, second=0, microsecond=0)
    first = (floor if floor == start else floor + HOUR) + HOUR
    last = end.replace(minute=0, second=0, microsecond=0)
    edges = [(start, end)]
    found = []
    if first <= last:
        edges = [(start, first - HOUR), (last, end)]
        found += [
            core_slo.SliRecord(hour, good, total)
            for hour, good, total in session.execute(
                select(SliHour.hour, SliHour.good, SliHour.total).where(
                    SliHour.slo == slo, SliHour.hour >= first, SliHour.hour <= last
                )
            )
        ]
    for low, high in edges:
        if high > low:
            found += [
                core_slo.SliRecord(at, good, total)
                for at, good, total in session.execute(
                    select(SliCount.at, SliCount.good, SliCount.total).where(
                        SliCount.slo == slo, SliCount.at > low, SliCount.at <= high
                    )
                )
            ]
    return found


def slo_burndown(
    session: Session, initiative: str, as_of: datetime, step_hours: int = 24
) -> list[dict[str, Any]]:
    """The initiative's SLOs as `scalegate metrics slo` reports them, each with its error-budget
    burn-down over the window so far (`core.slo.budget_burndown`, a point every step_hours).

    Occurrences: the points come from the hourly roll-up, plus the raw records of the window's
    partial edge hours; exact at whole hours and at as_of. Timeslices and RatioTimeslices need
    the raw records: with at most BURNDOWN_RAW_LIMIT of them in the window the points are exact;
    with more, they use good / total of the hourly counts instead, an approximation of the
    slices' figure (`burndown_exact` is then false).
    """
    tracked = [t for t in tracked_objectives(session) if initiative in t.initiatives]
    found = []
    for t, status in zip(tracked, statuses(session, tracked, as_of), strict=True):
        objective, start = t.objective, status.window_start
        exact = objective.budgeting_method == "Occurrences"
        if not exact:
            raw = select(func.count()).where(
                SliCount.slo == t.slo, SliCount.at > start, SliCount.at <= as_of
            )
            exact = (session.scalar(raw) or 0) <= BURNDOWN_RAW_LIMIT
        if exact and objective.budgeting_method != "Occurrences":
            records = [
                core_slo.SliRecord(at, good, total)
                for at, good, total in session.execute(
                    select(SliCount.at, SliCount.good, SliCount.total).where(
                        SliCount.slo == t.slo, SliCount.at > start, SliCount.at <= as_of
                    )
                )
            ]
        else:
            records = _hourly_records(session, t.slo, start, as_of)
            objective = core_slo.Objective(
                objective.name, objective.target, objective.window, "Occurrences", objective.service
            )
        points = core_slo.budget_burndown(objective, as_of, records, step_hours * HOUR)
        found.append(
            {
                **status.as_dict(),
                "initiatives": list(t.initiatives),
                "window_end": (status.window_start + status.window_hours * HOUR).isoformat(),
                "burndown_exact": exact,
                "burndown": [
                    {"at": p.at.isoformat(), "attainment": p.attainment, "remaining": p.remaining}
                    for p in points
                ],
            }
        )
    return found
