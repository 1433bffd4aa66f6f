"""KPI observations and an A/B experiment for the demo portfolio's hypotheses."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

RECENT_DAYS = 120
BASELINE_DAYS = 21
STAGE_SCENARIO = {
    "prove": "on-track",
    "industrialize": "on-track",
    "adopt": "on-track",
    "govern": "achieved",
    "expand": "achieved",
}
AT_RISK = {
    ("weekly-forecast-summaries", "forecast-summary-error-rate"),
    ("clinical-documentation-assistant", "clinician-documentation-time"),
}
ACHIEVED = {("billing-dispute-assistant", "weekly-active-share")}
EXPERIMENT = ("billing-dispute-assistant", "average-handle-time")


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def _scenario(name: str, stage: str, kpi: str) -> str | None:
    if (name, kpi) in AT_RISK:
        return "at-risk"
    if (name, kpi) in ACHIEVED:
        return "achieved"
    return STAGE_SCENARIO.get(stage)


def _share(scenario: str, day: date, start: date, target_by: date | None) -> float:
    """How far from baseline (0) to target (1) the KPI has moved on a day."""
    elapsed = (day - start).days
    if scenario == "at-risk":
        return 0.05 * elapsed / RECENT_DAYS  # barely moving
    # On track only makes sense with a target date well ahead; otherwise show it reached.
    soon = start + timedelta(days=RECENT_DAYS + 30)
    if scenario == "achieved" or target_by is None or target_by <= soon:
        return 1.3 * elapsed / RECENT_DAYS  # well past the target over the last weeks
    return 1.05 * elapsed / (target_by - start).days  # the line crosses just before `by`


def hypothesis_series(
    name: str,
    kpi: str,
    baseline: float,
    target: float,
    baseline_at: date,
    target_by: date | None,
    scenario: str,
    today: date,
) -> list[dict[str, Any]]:
    """Observations around the baseline before its date, then a drift toward the target."""
    rng = random.Random(f"{name}/{kpi}")
    noise = abs(target - baseline) * 0.08 or abs(baseline) * 0.02 or 0.1
    events = [
        {
            "type": "kpi",
            "kpi": kpi,
            "initiative": name,
            "at": _noon(day).isoformat(),
            "value": round(baseline + rng.gauss(0, noise), 3),
        }
        for day in (baseline_at - timedelta(days=d) for d in range(BASELINE_DAYS, 0, -1))
    ]
    start = today - timedelta(days=RECENT_DAYS)
    for offset in range(RECENT_DAYS):
        day = start + timedelta(days=offset + 1)
        if day <= baseline_at:
            continue
        share = _share(scenario, day, start, target_by)
        value = baseline + (target - baseline) * share + rng.gauss(0, noise)
        events.append(
            {
                "type": "kpi",
                "kpi": kpi,
                "initiative": name,
                "at": _noon(day).isoformat(),
                "value": round(value, 3),
            }
        )
    return events


def experiment_summaries(name: str, kpi: str, today: date) -> list[dict[str, Any]]:
    """A four-week A/B test of handle time in minutes: about 1.4 minutes faster with help."""
    start, end = today - timedelta(days=35), today - timedelta(days=7)
    groups = {"control": (1812, 11.3, 3.2), "treatment": (1794, 9.9, 3.0)}
    events = []
    for group, (n, mean, sd) in groups.items():
        total = n * mean
        squares = (n - 1) * sd * sd + total * total / n
        events.append(
            {
                "type": "kpi_summary",
                "kpi": kpi,
                "initiative": name,
                "group": group,
                "period_start": _noon(start).isoformat(),
                "period_end": _noon(end).isoformat(),
                "n": n,
                "sum": round(total, 3),
                "sum_squares": round(squares, 3),
            }
        )
    return events


def demo_outcomes(
    initiatives: Iterable[tuple[str, str, list[Mapping[str, Any]]]], today: date
) -> list[dict[str, Any]]:
    """Events for every hypothesis with a baseline and target, past `define`."""
    events: list[dict[str, Any]] = []
    for name, stage, hypotheses in initiatives:
        for h in hypotheses:
            baseline, target = h.get("baseline"), h.get("target")
            scenario = _scenario(name, stage, h["kpi"])
            if not baseline or not target or scenario is None or "at" not in baseline:
                continue
            events += hypothesis_series(
                name,
                h["kpi"],
                baseline["value"],
                target["value"],
                date.fromisoformat(baseline["at"]),
                date.fromisoformat(target["by"]) if target.get("by") else None,
                scenario,
                today,
            )
            if (name, h["kpi"]) == EXPERIMENT:
                events += experiment_summaries(name, h["kpi"], today)
    return events
