"""The initiative page's "Evaluations and security scans" section: the latest run per suite
and the latest scan per tool (stale ones marked), and a pass-rate trend over the run history.

Everything is read through scalegate.evaluations.service, so the page shows what the gates
see: a run or scan is fresh when `evidence.evaluations` / `evidence.security` hold it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

import altair as alt
from sqlalchemy.orm import Session, sessionmaker

from scalegate.db import transaction
from scalegate.evaluations import service as evaluations
from scalegate.web import charts

# The lower bound the shipped `evaluation-pass-rate` rule asks of the latest fresh runs
# (src/scalegate/policies/default-gates.yaml); drawn as the chart's reference line.
GATE_LOWER_BOUND = 0.85
SEVERITIES = ("critical", "high", "medium", "low")
LEVELS = ("error", "warning", "note")


def lower_bound(value: float | None) -> str:
    """A lower bound as a percentage rounded down to 0.1 %, so that a bound just under the
    gate's threshold never reads as meeting it (0.8496 is 84.9 %, not 85.0 %)."""
    return "—" if value is None else f"{math.floor(value * 1000) / 10:.1f}%"


def _moment(record: dict[str, Any]) -> datetime:
    """When a run or scan happened: it started, else it was recorded (as the evidence reads it)."""
    return datetime.fromisoformat(record["startedAt"] or record["recordedAt"])


def _latest(
    records: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any]
) -> list[dict[str, Any]]:
    """The latest record per key; records come oldest first, so a later one wins a tie."""
    latest: dict[Any, dict[str, Any]] = {}
    for record in records:
        found = latest.get(key(record))
        if found is None or _moment(record) >= _moment(found):
            latest[key(record)] = record
    return list(latest.values())


def _suite(record: dict[str, Any]) -> tuple[str, str]:
    return (record["source"], record["suite"])


def _run_row(run: dict[str, Any], stale: bool) -> dict[str, Any]:
    assets = []
    for ref in run["assets"]:
        name, _, version = ref.rpartition("@")
        assets.append({"name": name, "version": version})
    totals = run["totals"]
    return {
        **run,
        "id": re.sub(r"[^a-z0-9-]+", "-", f"{run['source']}-{run['suite']}".lower()),
        "at": _moment(run),
        "evaluated": totals["total"] - totals["skipped"],
        "asset_refs": assets,
        "lower_bound": lower_bound(run["passRateLower95"]),
        "stale": stale,
    }


def _scan_row(scan: dict[str, Any], stale: bool) -> dict[str, Any]:
    return {**scan, "at": _moment(scan), "findings": sum(scan["security"].values()), "stale": stale}


def evaluations_section(
    factory: sessionmaker[Session], name: str, as_of: datetime
) -> dict[str, Any]:
    """The section's runs, scans, gate-view sums and trend chart for one initiative."""
    with transaction(factory) as session:
        evidence = evaluations.evidence_of(session, name, as_of)
        history = [r.as_dict() for r in evaluations.runs_of(session, name, as_of)]
        scans = [s.as_dict() for s in evaluations.scans_of(session, name, as_of)]
    fresh_suites = {_suite(r) for r in evidence["evaluations"]["runs"]}
    fresh_tools = {s["tool"] for s in evidence["security"]["scans"]}
    runs = [_run_row(r, _suite(r) not in fresh_suites) for r in _latest(history, _suite)]
    latest_scans = [
        _scan_row(s, s["tool"] not in fresh_tools) for s in _latest(scans, lambda s: s["tool"])
    ]
    return {
        "evidence": evidence["evaluations"],
        "evidence_lower_bound": lower_bound(evidence["evaluations"]["passRateLower95"]),
        "security": evidence["security"],
        "fresh_days": evidence["evaluations"]["freshDays"],
        "runs": sorted(runs, key=lambda r: (r["stale"], r["source"], r["suite"])),
        "scans": sorted(latest_scans, key=lambda s: (s["stale"], s["tool"])),
        "chart": trend_chart(name, history) if history else None,
        "severities": SEVERITIES,
        "levels": LEVELS,
    }


def _trend_rows(history: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One point per run that evaluated a case, oldest first."""
    rows = [
        {
            "series": f"{r['source']}: {r['suite']}",
            "at": _moment(r).isoformat(),
            "rate": r["passRate"],
            "lower": r["passRateLower95"],
            "passed": r["totals"]["passed"],
            "evaluated": r["totals"]["total"] - r["totals"]["skipped"],
        }
        for r in history
        if r["passRate"] is not None
    ]
    return sorted(rows, key=lambda row: (row["at"], row["series"]))


def pass_rate_trend(rows: Sequence[dict[str, Any]], threshold: float) -> charts.AltairChart:
    """Pass rate per run over time, one line per (source, suite), each run's Wilson 95 % lower
    bound as a whisker below its point, and the gate's lower-bound threshold as a rule."""
    data = alt.Data(values=[dict(r) for r in rows])  # type: ignore[no-untyped-call]
    # Suite names are long and often share a prefix: one legend entry per line, in full.
    colour = alt.Color(
        "series:N",
        title="Source: suite",
        scale=alt.Scale(scheme="tableau10"),
        legend=alt.Legend(columns=1, labelLimit=300),
    )
    # In UTC like the table; about six day ticks; padding keeps the end points off the edges.
    x = alt.X(
        "at:T",
        title=None,
        scale=alt.Scale(type="utc", padding=14),
        axis=alt.Axis(format="%b %d", labelAngle=0, tickCount=6, labelOverlap=True),
    )
    y = alt.Y("rate:Q", title="Pass rate", axis=alt.Axis(format="%"), scale=alt.Scale(zero=False))
    base = alt.Chart(data).encode(x=x, color=colour)
    whiskers = base.mark_rule(strokeWidth=2, opacity=0.6).encode(y=y, y2="lower:Q")
    floors = base.mark_tick(thickness=2, size=10, opacity=0.8).encode(y="lower:Q")
    lines = base.mark_line(point=alt.OverlayMarkDef(size=40, filled=True)).encode(
        y=y,
        tooltip=[
            "series:N",
            alt.Tooltip("at:T", title="run"),
            alt.Tooltip("rate:Q", title="pass rate", format=".1%"),
            alt.Tooltip("lower:Q", title="95% lower bound", format=".1%"),
            "passed:Q",
            "evaluated:Q",
        ],
    )
    gate = alt.Chart(alt.Data(values=[{"y": threshold}])).encode(  # type: ignore[no-untyped-call]
        y="y:Q"
    )
    rule = gate.mark_rule(strokeDash=[6, 4], strokeWidth=2, color="#c7762b")
    label = gate.mark_text(align="left", baseline="bottom", dx=2, dy=-2, color="#a4461b").encode(
        x=alt.value(0), text=alt.value(f"gate: lower bound ≥ {threshold:.0%}")
    )
    # Lines first, so the legend shows their full colour.
    return alt.layer(lines, whiskers, floors, rule, label)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def trend_chart(name: str, history: Sequence[dict[str, Any]]) -> charts.ChartView:
    """The pass-rate trend as a titled chart with its summary and data table."""
    rows = _trend_rows(history)
    latest = _latest(history, _suite)
    rated = [r for r in latest if r["passRateLower95"] is not None]
    clearing = sum(r["passRateLower95"] >= GATE_LOWER_BOUND for r in rated)
    suites = len({row["series"] for row in rows})
    summary = (
        f"{len(rows)} run{'' if len(rows) == 1 else 's'} of {suites} "
        f"suite{'' if suites == 1 else 's'}; the latest run of {clearing} of {len(rated)} has a "
        f"95% lower bound at or above the gate's {GATE_LOWER_BOUND:.0%}."
        if rows
        else "No run has evaluated a case yet."
    )
    return charts.chart_view(
        f"{name}-evaluation-pass-rate",
        "Evaluation pass rate over time, down to its 95% lower bound",
        summary,
        pass_rate_trend(rows, GATE_LOWER_BOUND),
        rows,
        [
            ("at", "Run at"),
            ("series", "Source: suite"),
            ("passed", "Passed"),
            ("evaluated", "Evaluated"),
            ("rate", "Pass rate"),
            ("lower", "95% lower bound"),
        ],
        {"at": lambda v: str(v)[:16].replace("T", " "), "rate": _share, "lower": lower_bound},
        height=200,
    )
