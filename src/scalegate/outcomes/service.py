"""Outcome figures for an initiative: hypothesis progress and statistical benefit verdicts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.core import benefits
from scalegate.db import transaction
from scalegate.errors import InvalidInput, NotFound, Problem
from scalegate.gates.models import GateDecision
from scalegate.outcomes.models import KpiObservation, KpiSummary
from scalegate.portfolio.models import Hypothesis, Initiative, initiative_named
from scalegate.usage.models import UsageHour

CURRENT_DAYS = 28
MONTHS = 6  # time returned is reported for the last six calendar months
DIFFERENCES = ("relative", "absolute")


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _entered_prove(session: Session, row: Initiative) -> datetime | None:
    return session.scalar(
        select(GateDecision.decided_at)
        .where(
            GateDecision.initiative_id == row.id,
            GateDecision.action == "advance",
            GateDecision.to_stage == "prove",
        )
        .order_by(GateDecision.decided_at)
        .limit(1)
    )


def _safely(compute: Any, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
    """A comparison's JSON, or None when the data cannot support one (too few values)."""
    try:
        return compute(*args, **kwargs).as_dict()  # type: ignore[no-any-return]
    except ValueError:
        return None


def _experiment(
    summaries: list[KpiSummary], direction: str, difference: str
) -> dict[str, Any] | None:
    periods: dict[tuple[datetime, datetime], dict[str, KpiSummary]] = defaultdict(dict)
    for s in summaries:
        periods[(s.period_start, s.period_end)][s.group] = s
    complete = [k for k, groups in periods.items() if {"control", "treatment"} <= set(groups)]
    if not complete:
        return None
    latest = periods[max(complete, key=lambda k: k[1])]
    control, treatment = (
        benefits.GroupSummary(g.n, g.sum, g.sum_squares)
        for g in (latest["control"], latest["treatment"])
    )
    return _safely(benefits.experiment, control, treatment, direction, difference)


def _hypothesis(
    session: Session,
    row: Initiative,
    h: Hypothesis,
    as_of: datetime,
    difference: str,
    change_at: datetime | None,
    baseline_from: datetime | None,
) -> dict[str, Any]:
    observations = session.execute(
        select(KpiObservation.at, KpiObservation.value, KpiObservation.group)
        .where(
            KpiObservation.initiative == row.name,
            KpiObservation.kpi == h.kpi.name,
            KpiObservation.at <= as_of,
        )
        .order_by(KpiObservation.at)
    ).all()
    summaries = list(
        session.scalars(
            select(KpiSummary).where(
                KpiSummary.initiative == row.name,
                KpiSummary.kpi == h.kpi.name,
                KpiSummary.period_end <= as_of,
            )
        )
    )
    return _hypothesis_figures(
        h, observations, summaries, as_of, difference, change_at, baseline_from
    )


def _hypothesis_figures(
    h: Hypothesis,
    observations: Sequence[tuple[datetime, float, str | None]],
    summaries: list[KpiSummary],
    as_of: datetime,
    difference: str,
    change_at: datetime | None,
    baseline_from: datetime | None,
) -> dict[str, Any]:
    """A hypothesis's figures from its observations (by time) and experiment summaries."""
    direction = h.kpi.direction
    # Tracking follows the initiative's own series: ungrouped values, or its treatment group.
    tracked = [
        benefits.Observation(at, value)
        for at, value, group in observations
        if group in (None, "treatment")
    ]
    progress = benefits.hypothesis_progress(
        tracked, h.baseline_value, h.target_value, h.target_by, direction, as_of
    )
    change = change_at or (_end_of(h.baseline_at) if h.baseline_at else None)
    recent_from = as_of - timedelta(days=CURRENT_DAYS)
    before_after = None
    if change is not None:
        before = [
            o.value
            for o in tracked
            if o.at < change and (baseline_from is None or o.at >= baseline_from)
        ]
        after = [o.value for o in tracked if o.at > recent_from]
        before_after = _safely(benefits.before_after, before, after, direction, difference)
    did = None
    grouped = [
        (group == "treatment", at >= change, value)
        for at, value, group in observations
        if group is not None and change is not None
    ]
    if grouped and change is not None:
        did = _safely(benefits.did, grouped, direction)
    return {
        "kpi": h.kpi.name,
        "direction": direction,
        "tier": h.kpi.tier,
        "layer": h.kpi.layer,
        "baseline": h.baseline_value,
        "target": h.target_value,
        "target_date": h.target_by.isoformat() if h.target_by else None,
        **{k: v for k, v in progress.as_dict().items() if k != "trend_per_day"},
        "trend_per_day": progress.trend_per_day,
        "observations": len(tracked),
        "experiment": _experiment(summaries, direction, difference),
        "before_after": before_after,
        "did": did,
    }


def _outcomes(
    session: Session,
    row: Initiative,
    as_of: datetime,
    difference: str,
    baseline_from: datetime | None = None,
    baseline_to: datetime | None = None,
) -> list[dict[str, Any]]:
    change_at = baseline_to or _entered_prove(session, row)
    return [
        _hypothesis(session, row, h, as_of, difference, change_at, baseline_from)
        for h in row.hypotheses
    ]


def outcomes_for(
    factory: sessionmaker[Session],
    name: str,
    as_of: datetime | None = None,
    difference: str = "relative",
    baseline_from: date | None = None,
    baseline_to: date | None = None,
) -> dict[str, Any]:
    """`scalegate metrics outcomes`: every hypothesis of an initiative, as of a moment."""
    if difference not in DIFFERENCES:
        raise InvalidInput(
            f"--difference is relative or absolute, not {difference}",
            [Problem("difference", "relative | absolute")],
        )
    when = as_of or datetime.now(UTC)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    with transaction(factory) as session:
        row = initiative_named(session, name)
        hypotheses = _outcomes(
            session,
            row,
            when,
            difference,
            datetime.combine(baseline_from, time(0), tzinfo=UTC) if baseline_from else None,
            _end_of(baseline_to) if baseline_to else None,
        )
        returned = _time_returned(session, row, hypotheses, when)
    return {
        "initiative": name,
        "as_of": when.isoformat(),
        "hypotheses": hypotheses,
        "time_returned_hours": returned,
    }


def outcomes_by_initiative(
    factory: sessionmaker[Session], names: Iterable[str], as_of: datetime
) -> dict[str, dict[str, Any]]:
    """`outcomes_for(factory, name, as_of)` of many initiatives, from one read of the evidence.

    The figures are those of one call per initiative: the same observations, summaries and
    first moves to prove are read, for all initiatives at once, and grouped here. The
    dashboard needs every initiative's; five queries per initiative cost about 5 ms each
    (bench/pages.py).
    """
    when = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    names = list(names)
    wanted = set(names)
    observations: dict[tuple[str, str], list[tuple[datetime, float, str | None]]] = defaultdict(
        list
    )
    summaries: dict[tuple[str, str], list[KpiSummary]] = defaultdict(list)
    figures: dict[str, dict[str, Any]] = {}
    with transaction(factory) as session:
        rows = {row.name: row for row in session.scalars(select(Initiative)) if row.name in wanted}
        missing = wanted - set(rows)
        if missing:
            raise NotFound(f"no initiative named {min(missing)}")
        for initiative, kpi, at, value, group in session.execute(
            select(
                KpiObservation.initiative,
                KpiObservation.kpi,
                KpiObservation.at,
                KpiObservation.value,
                KpiObservation.group,
            )
            .where(KpiObservation.at <= when)
            .order_by(KpiObservation.at)
        ):
            observations[(initiative, kpi)].append((at, value, group))
        for summary in session.scalars(select(KpiSummary).where(KpiSummary.period_end <= when)):
            summaries[(summary.initiative, summary.kpi)].append(summary)
        first_moves = session.execute(
            select(GateDecision.initiative_id, func.min(GateDecision.decided_at))
            .where(GateDecision.action == "advance", GateDecision.to_stage == "prove")
            .group_by(GateDecision.initiative_id)
        )
        entered: dict[int, datetime] = dict(first_moves.all())
        for name in names:
            row = rows[name]
            change_at = entered.get(row.id)
            hypotheses = [
                _hypothesis_figures(
                    h,
                    observations.get((name, h.kpi.name), []),
                    summaries.get((name, h.kpi.name), []),
                    when,
                    "relative",
                    change_at,
                    None,
                )
                for h in row.hypotheses
            ]
            figures[name] = {
                "initiative": name,
                "as_of": when.isoformat(),
                "hypotheses": hypotheses,
                "time_returned_hours": _time_returned(session, row, hypotheses, when),
            }
    return figures


def _minutes_saved(spec: dict[str, Any], hypotheses: list[dict[str, Any]]) -> float | None:
    if spec.get("minutesSavedPerTask") is not None:
        return float(spec["minutesSavedPerTask"])
    h = next((h for h in hypotheses if h["kpi"] == spec.get("fromKpi")), None)
    if h is None or h["current"] is None or h["baseline"] is None:
        return None
    # The KPI is a time per task in minutes; only a move in its good direction saves time.
    moved = (
        h["baseline"] - h["current"] if h["direction"] == "down" else h["current"] - h["baseline"]
    )
    return max(float(moved), 0.0)


def _time_returned(
    session: Session, row: Initiative, hypotheses: list[dict[str, Any]], as_of: datetime
) -> list[dict[str, Any]] | None:
    """Hours returned to the business per month: minutes saved x assisted tasks x redeployed."""
    spec = row.time_returned
    if not spec:
        return None
    minutes = _minutes_saved(spec, hypotheses)
    first = as_of.year * 12 + as_of.month - MONTHS  # months since year 0 of the earliest month
    since = datetime(first // 12, first % 12 + 1, 1, tzinfo=UTC)
    tasks: dict[str, int] = defaultdict(int)
    for hour, events in session.execute(
        select(UsageHour.hour, UsageHour.events).where(
            UsageHour.initiative == row.name,
            UsageHour.assisted.is_(True),
            UsageHour.hour >= since,
            UsageHour.hour <= as_of,
        )
    ):
        tasks[hour.strftime("%Y-%m")] += events
    return [
        {
            "month": month,
            "assisted_tasks": count,
            "minutes_saved_per_task": minutes,
            "hours": None
            if minutes is None
            else benefits.time_returned_hours(minutes, count, spec["redeployedShare"]),
        }
        for month, count in sorted(tasks.items())
    ]


def outcomes_evidence(session: Session, row: Initiative, as_of: datetime) -> dict[str, Any] | None:
    """`evidence.outcomes`: hypothesis statuses and verdicts; None without any KPI evidence."""
    hypotheses = _outcomes(session, row, as_of, "relative")
    if not any(h["observations"] or h["experiment"] for h in hypotheses):
        return None
    for h in hypotheses:
        comparisons = [h["experiment"], h["did"], h["before_after"]]
        h["verdict"] = next((c["verdict"] for c in comparisons if c is not None), None)
    experiments = [
        {"kpi": h["kpi"], "verdict": h["experiment"]["verdict"]}
        for h in hypotheses
        if h["experiment"] is not None
    ]
    return {"hypotheses": hypotheses, "experiments": experiments}
