"""SLO figures: objectives from the applied OpenSLO documents, counts from SLI evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.core.slo import (
    Counts,
    Objective,
    SliRecord,
    SloStatus,
    TimeWindow,
    attainment,
    burn_window_starts,
    evaluation_window,
    slice_counts,
    slo_status,
)
from scalegate.db import transaction
from scalegate.errors import NotFound
from scalegate.portfolio.models import Initiative
from scalegate.slo.ingest import HOUR
from scalegate.slo.kinds import (
    linked_initiatives,
    objective_name,
    slice_window,
)
from scalegate.slo.models import OpensloObject, SliCount, SliHour


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


def tracked_objectives(session: Session, names: Iterable[str] | None = None) -> list[Tracked]:
    """Every objective of the applied SLOs (or of the named ones), linked to initiatives."""
    query = select(OpensloObject).filter_by(kind="SLO").order_by(OpensloObject.name)
    if names is not None:
        query = query.where(OpensloObject.name.in_(list(names)))
    by_service: dict[str, list[str]] = defaultdict(list)
    for name, services in session.execute(select(Initiative.name, Initiative.services)):
        for service in services or []:
            by_service[service].append(name)
    tracked = []
    for row in session.scalars(query):
        spec = row.spec
        linked = sorted(set(by_service.get(spec["service"], [])) | set(linked_initiatives(spec)))
        objectives = spec["objectives"]
        for i, o in enumerate(objectives):
            objective = Objective(
                name=objective_name(row.name, o, i, len(objectives)),
                target=_target(o),
                window=_window(spec),
                budgeting_method=spec["budgetingMethod"],
                service=spec["service"],
                time_slice_target=o.get("timeSliceTarget"),
                time_slice_window=slice_window(o.get("timeSliceWindow")),
            )
            tracked.append(Tracked(row.name, objective, tuple(linked)))
    return tracked


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + HOUR


def _add(into: dict[str, Counts], rows: Iterable[Any]) -> None:
    for slo, good, total in rows:
        into[slo] = into.get(slo, Counts()) + Counts(float(good or 0), float(total or 0))


def window_counts(
    session: Session, slos: Sequence[str], start: datetime, end: datetime
) -> dict[str, Counts]:
    """Σgood and Σtotal per SLO of the records with `at` in (start, end].

    Whole hours come from the hourly roll-up; the partial hours at either edge from the raw
    records, so the sums are exact for any start and end.
    """
    counts: dict[str, Counts] = {}
    if not slos or end <= start:
        return counts
    first_hour, last_hour = _ceil_hour(start) + HOUR, end.replace(minute=0, second=0, microsecond=0)
    raw_ranges = [(start, end)]
    if first_hour <= last_hour:
        raw_ranges = [(start, first_hour - HOUR), (last_hour, end)]
        _add(
            counts,
            session.execute(
                select(SliHour.slo, func.sum(SliHour.good), func.sum(SliHour.total))
                .where(SliHour.slo.in_(slos), SliHour.hour >= first_hour, SliHour.hour <= last_hour)
                .group_by(SliHour.slo)
            ),
        )
    for low, high in raw_ranges:
        if high <= low:
            continue
        _add(
            counts,
            session.execute(
                select(SliCount.slo, func.sum(SliCount.good), func.sum(SliCount.total))
                .where(SliCount.slo.in_(slos), SliCount.at > low, SliCount.at <= high)
                .group_by(SliCount.slo)
            ),
        )
    return counts


def _records(session: Session, slo: str, start: datetime, end: datetime) -> list[SliRecord]:
    rows = session.execute(
        select(SliCount.at, SliCount.good, SliCount.total).where(
            SliCount.slo == slo, SliCount.at > start, SliCount.at <= end
        )
    )
    return [SliRecord(at, good, total) for at, good, total in rows]


def statuses(session: Session, tracked: Sequence[Tracked], as_of: datetime) -> list[SloStatus]:
    """The status of each tracked objective as of a moment."""
    slos = sorted({t.slo for t in tracked})
    burn = {w: window_counts(session, slos, s, as_of) for w, s in burn_window_starts(as_of).items()}
    by_start: dict[datetime, list[Tracked]] = defaultdict(list)
    for t in tracked:
        by_start[evaluation_window(t.objective.window, as_of)[0]].append(t)
    found = []
    for start, group in by_start.items():
        totals = window_counts(session, sorted({t.slo for t in group}), start, as_of)
        for t in group:
            objective = t.objective
            slices = []
            if objective.budgeting_method != "Occurrences":
                records = _records(session, t.slo, start, as_of)
                slices = slice_counts(records, objective.time_slice_window or "1m")
            attained = attainment(
                objective.budgeting_method,
                totals.get(t.slo, Counts()),
                slices,
                objective.time_slice_target,
            )
            windows = {w: counts.get(t.slo, Counts()) for w, counts in burn.items()}
            found.append(slo_status(objective, as_of, attained, windows))
    order = {t.objective.name: i for i, t in enumerate(tracked)}
    return sorted(found, key=lambda s: order[s.objective.name])


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
            if session.scalar(select(Initiative.id).filter_by(name=initiative)) is None:
                raise NotFound(f"no initiative named {initiative}")
            tracked = [t for t in tracked_objectives(session) if initiative in t.initiatives]
        return {
            "as_of": when.isoformat(),
            "slos": [s.as_dict() for s in statuses(session, tracked, when)],
        }


def slo_evidence(session: Session, initiative: str, as_of: datetime) -> list[dict[str, Any]]:
    """`evidence.slos`: the initiative's SLOs as `scalegate metrics slo` reports them."""
    tracked = [t for t in tracked_objectives(session) if initiative in t.initiatives]
    return [s.as_dict() for s in statuses(session, tracked, as_of)]
