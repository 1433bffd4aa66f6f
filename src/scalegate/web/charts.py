"""Charts for the pages: Vega-Lite specs built with Altair, each with a title, a one-sentence
summary and its data as a table, so that what the picture shows can also be read."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt

Cell = Callable[[Any], str]
# Altair's chart classes are loosely typed; builders hand back whatever Altair made.
AltairChart = Any
STAGE_COLOURS = ["#9aa5b8", "#6c8ed8", "#2f5bd3", "#2f9a5b", "#1f7a45", "#145c33", "#b8b8b8"]
STATUS_COLOURS = {
    "achieved": "#1f7a45",
    "on-track": "#2f9a5b",
    "at-risk": "#c7762b",
    "unproven": "#9aa5b8",
}


@dataclass(frozen=True)
class ChartView:
    """What a page needs to show one chart: the spec, and the same facts in words and a table."""

    id: str
    title: str
    summary: str
    spec: dict[str, Any]
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def chart_view(
    name: str,
    title: str,
    summary: str,
    chart: AltairChart,
    data: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    cells: dict[str, Cell] | None = None,
    height: int = 220,
) -> ChartView:
    """A titled chart with its summary and data table; the spec stretches to its container."""
    formats = cells or {}
    # The figure's heading carries the title; the spec describes itself for screen readers.
    sized = chart.properties(description=f"{title}. {summary}", width="container", height=height)
    spec: dict[str, Any] = sized.to_dict(validate=False)
    spec["config"] = {
        "font": "system-ui, sans-serif",
        "view": {"stroke": None},
        "axis": {"labelLimit": 160},
        "legend": {"orient": "bottom", "columns": 3},
    }
    rows = tuple(
        tuple(formats.get(key, _plain)(row.get(key)) for key, _ in columns) for row in data
    )
    return ChartView(
        re.sub(r"[^a-z0-9-]", "-", name.lower()),
        title,
        summary,
        spec,
        tuple(label for _, label in columns),
        rows,
    )


def _data(rows: Sequence[dict[str, Any]]) -> alt.Data:
    return alt.Data(values=[dict(r) for r in rows])  # type: ignore[no-untyped-call]


def percent(value: Any) -> str:
    """A share as a whole percentage."""
    return "—" if value is None else f"{float(value) * 100:.0f}%"


def funnel(rows: Sequence[dict[str, Any]], stages: Sequence[str]) -> AltairChart:
    """Initiatives per stage (stages top to bottom), centred and stacked by theme: a funnel."""
    return (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            y=alt.Y("stage:N", sort=list(stages), title=None),
            x=alt.X("initiatives:Q", stack="center", axis=None),
            color=alt.Color("theme:N", title="Theme", scale=alt.Scale(scheme="tableau10")),
            tooltip=["stage:N", "theme:N", "initiatives:Q"],
        )
    )


def conversion(rows: Sequence[dict[str, Any]]) -> AltairChart:
    """Share of each cohort quarter that reached adopt, labelled `converted/entered`."""
    base = alt.Chart(_data(rows)).encode(
        x=alt.X("quarter:O", title="Quarter the cohort entered prove"),
        y=alt.Y("rate:Q", title="Reached adopt or beyond", axis=alt.Axis(format="%")),
        tooltip=["quarter:O", "entered:Q", "converted:Q", alt.Tooltip("rate:Q", format=".0%")],
    )
    bars = base.mark_bar(color="#2f9a5b").encode(
        y=alt.Y("rate:Q", title="Reached adopt or beyond", scale=alt.Scale(domain=[0, 1]))
    )
    labels = base.mark_text(dy=-8).encode(text="label:N")
    return alt.layer(bars, labels)


def stacked_bars(
    rows: Sequence[dict[str, Any]], x: str, y: str, colour: str, x_title: str, y_title: str
) -> AltairChart:
    """Bars of y per x, stacked by colour."""
    return (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            x=alt.X(f"{x}:N", title=x_title, sort=None),
            y=alt.Y(f"{y}:Q", title=y_title),
            color=alt.Color(f"{colour}:N", title=colour.capitalize()),
            tooltip=[f"{x}:N", f"{colour}:N", f"{y}:Q"],
        )
    )


def status_bars(rows: Sequence[dict[str, Any]]) -> AltairChart:
    """Hypotheses per status, in the colours of the status."""
    return (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            x=alt.X("hypotheses:Q", title="Hypotheses"),
            y=alt.Y("status:N", sort=list(STATUS_COLOURS), title=None),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
                legend=None,
            ),
            tooltip=["status:N", "hypotheses:Q"],
        )
    )


def lift_intervals(rows: Sequence[dict[str, Any]]) -> AltairChart:
    """Each validated benefit's lift with its confidence interval."""
    base = alt.Chart(_data(rows)).encode(y=alt.Y("claim:N", title=None, sort=None))
    # Lifts past +/-100% are pinned to the edge (the table has the true value).
    rule = base.mark_rule(strokeWidth=2, color="#5b6478").encode(
        x=alt.X(
            "ci_low:Q",
            title="Lift (relative change, 95% CI)",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[-1, 1], clamp=True),
        ),
        x2="ci_high:Q",
    )
    point = base.mark_point(filled=True, size=70, color="#1f7a45").encode(
        x="lift:Q",
        tooltip=[
            "claim:N",
            alt.Tooltip("lift:Q", format=".1%"),
            alt.Tooltip("ci_low:Q", format=".1%"),
            alt.Tooltip("ci_high:Q", format=".1%"),
        ],
    )
    zero = alt.Chart(_data([{"x": 0}])).mark_rule(strokeDash=[3, 3]).encode(x="x:Q")
    return alt.layer(rule, point, zero)


def weekly(
    rows: Sequence[dict[str, Any]], field: str, title: str, mark: str = "bar", fmt: str = "d"
) -> AltairChart:
    """One weekly figure over time, as bars (counts) or a line (rates, times)."""
    chart = alt.Chart(_data(rows))
    marked = chart.mark_bar() if mark == "bar" else chart.mark_line(point=True)
    return marked.encode(
        x=alt.X("week_start:O", title="Week starting", axis=alt.Axis(labelAngle=-45)),
        y=alt.Y(f"{field}:Q", title=title, axis=alt.Axis(format=fmt)),
        tooltip=[alt.Tooltip("week_start:O", title="week"), alt.Tooltip(f"{field}:Q", format=fmt)],
    )


def observations(
    rows: Sequence[dict[str, Any]], baseline: float | None, target: float | None, unit: str
) -> AltairChart:
    """A KPI's observations over time, with its baseline and its target as horizontal lines."""
    line = (
        alt.Chart(_data(rows))
        .mark_line(point=alt.OverlayMarkDef(size=12))
        .encode(
            x=alt.X("at:T", title=None),
            y=alt.Y("value:Q", title=unit or "value", scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("at:T"), "value:Q"],
        )
    )
    marks = [
        {"line": "baseline", "value": baseline},
        {"line": "target", "value": target},
    ]
    refs = [m for m in marks if m["value"] is not None]
    rules = (
        alt.Chart(_data(refs))
        .mark_rule(strokeDash=[6, 4], strokeWidth=2)
        .encode(
            y="value:Q",
            color=alt.Color(
                "line:N",
                title=None,
                scale=alt.Scale(domain=["baseline", "target"], range=["#9aa5b8", "#c7762b"]),
            ),
        )
    )
    return alt.layer(line, rules)


def readiness(rows: Sequence[dict[str, Any]], radius: int = 95) -> AltairChart:
    """The readiness radar: one equal slice per capability, its radius the share of rules passing.

    Drawn in polar coordinates with arc marks (a polar-area chart): angles and radii are worked
    out here, so nothing depends on how Vega-Lite stacks arcs. A pale full-radius slice behind
    each shows what 100% would be; a capability without rules stays empty.
    """
    step = 2 * math.pi / max(len(rows), 1)
    shaped = [
        {
            **row,
            "theta": i * step,
            "theta2": (i + 1) * step,
            "mid": (i + 0.5) * step,
            "r": row["share"] * radius,
            "r_full": radius,
            "r_label": radius + 18,
        }
        for i, row in enumerate(rows)
    ]
    base = alt.Chart(_data(shaped)).encode(
        theta=alt.Theta("theta:Q", scale=None),
        theta2="theta2:Q",
        tooltip=["capability:N", alt.Tooltip("share:Q", format=".0%")],
    )
    full = base.mark_arc(stroke="#fff", strokeWidth=2, color="#e8edf8").encode(
        radius=alt.Radius("r_full:Q", scale=None)
    )
    share = base.mark_arc(stroke="#fff", strokeWidth=2).encode(
        radius=alt.Radius("r:Q", scale=None),
        color=alt.Color("capability:N", legend=None, scale=alt.Scale(scheme="tableau10")),
    )
    labels = (
        alt.Chart(_data(shaped))
        .mark_text(fontSize=11)
        .encode(
            theta=alt.Theta("mid:Q", scale=None),
            radius=alt.Radius("r_label:Q", scale=None),
            text="label:N",
        )
    )
    return alt.layer(full, share, labels)


def number(value: Any) -> str:
    """A figure with up to two decimals, or a dash when absent."""
    return "—" if value is None else f"{float(value):,.2f}".rstrip("0").rstrip(".")


BUDGET_STATES = {"left": "#2f9a5b", "under 25%": "#c7762b", "overspent": "#a4461b"}
SEVERITY_COLOURS = {"high": "#a4461b", "medium": "#c7762b", "low": "#9aa5b8"}


def budget_state(remaining: float | None) -> str:
    """How much of an error budget is left, in words: left, under 25% or overspent."""
    if remaining is None or remaining >= 0.25:
        return "left"
    return "under 25%" if remaining >= 0 else "overspent"


def budget_bars(rows: Sequence[dict[str, Any]]) -> AltairChart:
    """Error budget remaining per SLO, least left on top; zero (budget spent) as a rule."""
    bars = (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=alt.EncodingSortField("remaining"), title=None),
            x=alt.X("remaining:Q", title="Error budget remaining", axis=alt.Axis(format="%")),
            color=alt.Color(
                "state:N",
                title="Budget",
                scale=alt.Scale(domain=list(BUDGET_STATES), range=list(BUDGET_STATES.values())),
            ),
            tooltip=[
                "name:N",
                "service:N",
                alt.Tooltip("remaining:Q", format=".1%"),
                alt.Tooltip("attainment:Q", format=".3%"),
                alt.Tooltip("target:Q", format=".2%"),
            ],
        )
    )
    zero = alt.Chart(_data([{"x": 0}])).mark_rule(color="#1d2433").encode(x="x:Q")
    return alt.layer(bars, zero)


def burndown(rows: Sequence[dict[str, Any]], start: str, end: str) -> AltairChart:
    """Error budget remaining over the SLO window (the whole window on the x axis)."""
    line = (
        alt.Chart(_data(rows))
        .mark_line(point=alt.OverlayMarkDef(size=20))
        .encode(
            x=alt.X("at:T", title=None, scale=alt.Scale(domain=[start, end])),
            y=alt.Y("remaining:Q", title="Budget remaining", axis=alt.Axis(format="%")),
            tooltip=[alt.Tooltip("at:T"), alt.Tooltip("remaining:Q", format=".1%")],
        )
    )
    refs = (
        alt.Chart(_data([{"y": 0.0}, {"y": 1.0}]))
        .mark_rule(strokeDash=[4, 4])
        .encode(y="y:Q", color=alt.value("#9aa5b8"))
    )
    return alt.layer(refs, line)


def severity_bars(rows: Sequence[dict[str, Any]]) -> AltairChart:
    """Risks per rule, stacked by severity."""
    return (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            y=alt.Y("title:N", sort="-x", title=None),
            x=alt.X("risks:Q", title="Risks", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "severity:N",
                title="Severity",
                scale=alt.Scale(
                    domain=list(SEVERITY_COLOURS), range=list(SEVERITY_COLOURS.values())
                ),
            ),
            tooltip=["title:N", "rule:N", "severity:N", "risks:Q"],
        )
    )


def dora_weekly(
    dora: dict[str, Any], scope: str, period: str = "window", height: int = 160
) -> list[ChartView]:
    """Deployments and change failure rate per week, for a scope's DORA figures."""
    weeks = dora["weekly"]
    busiest = max(weeks, key=lambda w: w["deployments"], default=None)
    deploys = chart_view(
        f"{scope}-deployments-weekly",
        "Deployments per week",
        f"{dora['deployments']} production deployments in {len(weeks)} weeks; the busiest week "
        f"(from {busiest['week_start']}) had {busiest['deployments']}."
        if busiest and dora["deployments"]
        else f"No production deployments in the {period}.",
        weekly(weeks, "deployments", "Deployments"),
        weeks,
        [("week_start", "Week"), ("deployments", "Deployments")],
        height=height,
    )
    rated = [w for w in weeks if w["change_failure_rate"] is not None]
    worst = max(rated, key=lambda w: w["change_failure_rate"], default=None)
    failures = chart_view(
        f"{scope}-failure-rate-weekly",
        "Change failure rate per week",
        f"Change failure rate over the {period} {percent(dora['change_failure_rate'])}; "
        f"worst week (from {worst['week_start']}) {percent(worst['change_failure_rate'])}."
        if worst
        else "No deployments to rate.",
        weekly(weeks, "change_failure_rate", "Failed changes", mark="line", fmt="%"),
        weeks,
        [
            ("week_start", "Week"),
            ("change_failure_rate", "Change failure rate"),
            ("lead_time_hours_p50", "Lead time p50 (h)"),
        ],
        {"change_failure_rate": percent, "lead_time_hours_p50": number},
        height=height,
    )
    return [deploys, failures]


def _signed_percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def validated_benefit(validated: Sequence[dict[str, Any]], height: int) -> ChartView:
    """Lifts with their 95 % intervals of the hypotheses whose benefit is validated."""
    top = max(validated, key=lambda v: abs(v["lift"] or 0), default=None)
    return chart_view(
        "validated-benefit",
        "Validated benefit",
        f"{len(validated)} hypotheses have a statistically validated benefit; the largest lift "
        f"is {top['lift'] * 100:+.1f}% ({top['claim']})."
        if top and top["lift"] is not None
        else "No benefit is statistically validated yet.",
        lift_intervals(validated),
        validated,
        [
            ("claim", "Initiative: KPI"),
            ("method", "Method"),
            ("lift", "Lift"),
            ("ci_low", "95% CI low"),
            ("ci_high", "95% CI high"),
        ],
        dict.fromkeys(("lift", "ci_low", "ci_high"), _signed_percent),
        height=height,
    )


def hypotheses_by_status(counts: dict[str, int], height: int) -> ChartView:
    """How many hypotheses are in each status, in the statuses' usual order."""
    rows: list[dict[str, Any]] = [
        {"status": s, "hypotheses": counts[s]} for s in STATUS_COLOURS if counts.get(s)
    ]
    total = sum(r["hypotheses"] for r in rows)
    return chart_view(
        "hypotheses-by-status",
        "Hypotheses by status",
        f"{total} hypotheses: " + ", ".join(f"{r['hypotheses']} {r['status']}" for r in rows) + "."
        if total
        else "No hypotheses.",
        status_bars(rows),
        rows,
        [("status", "Status"), ("hypotheses", "Hypotheses")],
        height=height,
    )
