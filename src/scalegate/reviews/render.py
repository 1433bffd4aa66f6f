"""Review packs as documents: one self-contained HTML file, or a PDF made from it.

The HTML carries its CSS in a <style> element and each chart as inline SVG drawn by vl-convert,
so it needs no script, font or network. The PDF is the same HTML laid out by WeasyPrint, with
each chart as a PNG from vl-convert; WeasyPrint may fetch nothing but `data:` URLs.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
from markupsafe import Markup

from scalegate.reviews.document import Figure, Section, Table, day, names, num, pct, when
from scalegate.reviews.reuse import reuse_section
from scalegate.reviews.service import SEVERITIES
from scalegate.web import charts

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORMATS = ("html", "pdf")
CHART_WIDTH = 520  # px of the plot area: fits an A4 page and the HTML column
PNG_SCALE = 2
SEVERITY_COLOURS = {"high": "#a4461b", "medium": "#c7762b", "low": "#9aa5b8"}

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# ---------------------------------------------------------------------------------------------
# Charts: the spec from web/charts.py, drawn by vl-convert at a fixed width


def _svg(spec: dict[str, Any], key: str) -> str:
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    # Several SVGs share one document: keep any ids (clip paths, gradients) apart.
    svg = re.sub(r'id="([^"]+)"', rf'id="{key}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{key}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{key}-\1"', svg)


def _png(spec: dict[str, Any]) -> bytes:
    import vl_convert

    png: bytes = vl_convert.vegalite_to_png(spec, scale=PNG_SCALE, allowed_base_urls=[])
    return png


def _image(view: charts.ChartView, fmt: str) -> Markup:
    config = {**view.spec.get("config", {})}
    config["axis"] = {**config.get("axis", {}), "labelLimit": 230}
    spec = {**view.spec, "width": CHART_WIDTH, "config": config}
    label = html.escape(f"{view.title}: {view.summary}", quote=True)
    if fmt == "pdf":
        data = base64.b64encode(_png(spec)).decode("ascii")
        return Markup(f'<img src="data:image/png;base64,{data}" alt="{label}">')
    svg = _svg(spec, f"c-{view.id}")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


def _figure(view: charts.ChartView, fmt: str) -> Figure:
    table = Table(view.title + " (data)", view.columns, [tuple(r) for r in view.rows], "No data.")
    return Figure(view, _image(view, fmt), table)


def _values(rows: Sequence[dict[str, Any]]) -> alt.Data:
    return alt.Data(values=[dict(r) for r in rows])  # type: ignore[no-untyped-call]


def budget_bars(rows: Sequence[dict[str, Any]]) -> Any:
    """Error budget remaining per SLO: green while met, red once overspent (axis from −100%)."""
    lowest = min((r["budget"] for r in rows if r["budget"] is not None), default=0.0)
    return (
        alt.Chart(_values(rows))
        .mark_bar()
        .encode(
            y=alt.Y("objective:N", title=None, sort=None),
            x=alt.X(
                "budget:Q",
                title="Error budget remaining",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[max(min(lowest, 0.0), -1.0), 1], clamp=True),
            ),
            color=alt.Color(
                "state:N",
                title=None,
                scale=alt.Scale(
                    domain=["met", "alert firing", "not met"],
                    range=["#2f9a5b", "#c7762b", "#a4461b"],
                ),
            ),
        )
    )


def risk_bars(rows: Sequence[dict[str, Any]]) -> Any:
    """Risks per rule, coloured by severity."""
    return (
        alt.Chart(_values(rows))
        .mark_bar()
        .encode(
            y=alt.Y("rule:N", title=None, sort=None),
            x=alt.X("risks:Q", title="Risks", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "severity:N",
                title="Severity",
                scale=alt.Scale(domain=list(SEVERITIES), range=list(SEVERITY_COLOURS.values())),
            ),
        )
    )


# ---------------------------------------------------------------------------------------------
# Pieces more than one pack shows


def _slo_figure(slo: dict[str, Any], fmt: str, name: str) -> Figure:
    rows = [
        {
            "objective": o["objective"],
            "service": o["service"],
            "target": o["target"],
            "attainment": o["attainment"],
            "budget": o["error_budget_remaining"],
            "state": "not met" if not o["met"] else ("alert firing" if o["firing"] else "met"),
            "firing": names(o["firing"]),
        }
        for o in slo["objectives"]
    ]
    met = sum(o["met"] for o in slo["objectives"])
    lowest = min(
        (o for o in slo["objectives"] if o["error_budget_remaining"] is not None),
        key=lambda o: o["error_budget_remaining"],
        default=None,
    )
    summary = (
        f"{met} of {len(rows)} SLOs meet their target; the least budget is left on "
        f"{lowest['objective']} ({pct(lowest['error_budget_remaining'])})."
        if lowest
        else "No SLO has data yet."
    )
    view = charts.chart_view(
        name,
        "Error budget remaining by SLO",
        summary,
        budget_bars(rows),
        rows,
        [
            ("objective", "SLO"),
            ("service", "Service"),
            ("target", "Target"),
            ("attainment", "Attainment"),
            ("budget", "Budget left"),
            ("firing", "Alerts firing"),
        ],
        {
            "target": lambda v: pct(v, 2),
            "attainment": lambda v: pct(v, 3),
            "budget": pct,
        },
        height=max(120, 24 * len(rows)),
    )
    return _figure(view, fmt)


def _firing_table(firing: list[dict[str, Any]]) -> Table:
    return Table(
        "Burn-rate alerts firing",
        ("SLO", "Alert", "Severity", "Long window burn", "Short window burn", "Threshold", "For"),
        [
            (
                f["objective"],
                f["alert"],
                f["severity"],
                f"{f['long_window']}: {num(f['long_burn'])}",
                f"{f['short_window']}: {num(f['short_burn'])}",
                num(f["threshold"]),
                names(f["initiatives"]),
            )
            for f in firing
        ],
        "No burn-rate alert is firing.",
    )


def _dora_table(dora: dict[str, Any]) -> Table:
    bands = dora["bands"]
    return Table(
        f"Delivery performance, {dora['from']} to {dora['to']}",
        ("Figure", "Value", "Band"),
        [
            ("Production deployments", num(dora["deployments"]), "—"),
            (
                "Deployment frequency",
                f"{num(dora['deployments_per_day'])}/day",
                bands["deployment_frequency"] or "—",
            ),
            (
                "Lead time for changes (p50)",
                f"{num(dora['lead_time_hours']['p50'], 1)} h",
                bands["lead_time"] or "—",
            ),
            (
                "Change failure rate",
                f"{pct(dora['change_failure_rate'], 1)} ({dora['failed_deployments']} failed)",
                bands["change_failure_rate"] or "—",
            ),
            (
                "Failed-deployment recovery (p50)",
                f"{num(dora['recovery_time_hours']['p50'], 1)} h",
                bands["recovery_time"] or "—",
            ),
            ("Rework rate", pct(dora["rework_rate"], 1), "—"),
        ],
    )


def _outcome_figures(outcomes: dict[str, Any], fmt: str) -> list[Figure]:
    by_status = charts.hypotheses_by_status(outcomes["by_status"], 110)
    validated = outcomes["validated"]
    benefit = charts.validated_benefit(validated, max(100, 18 * len(validated)))
    hours = outcomes["time_returned"]
    months = sorted({h["month"] for h in hours})
    returned = charts.chart_view(
        "time-returned",
        "Time returned to the business",
        f"{outcomes['time_returned_hours']:,.1f} hours returned over {len(months)} month(s) "
        f"({months[0]} to {months[-1]})."
        if months
        else "No initiative reports time returned in the period.",
        charts.stacked_bars(hours, "month", "hours", "initiative", "Month", "Hours"),
        hours,
        [("month", "Month"), ("initiative", "Initiative"), ("hours", "Hours")],
        {"hours": lambda v: f"{v:,.1f}"},
        height=160,
    )
    return [_figure(v, fmt) for v in (by_status, benefit, returned)]


def _risk_figure(risks: dict[str, Any], fmt: str) -> Figure:
    rows = risks["by_rule"]
    sev = risks["by_severity"]
    view = charts.chart_view(
        "risks-by-rule",
        "Risks by rule",
        f"{risks['count']} risks: {sev['high']} high, {sev['medium']} medium, {sev['low']} low."
        if risks["count"]
        else "The register finds no risk.",
        risk_bars(rows),
        rows,
        [("rule", "Rule"), ("severity", "Severity"), ("risks", "Risks")],
        height=max(80, 24 * len(rows)),
    )
    return _figure(view, fmt)


def _risk_table(caption: str, risks: list[dict[str, Any]], empty: str = "No risk.") -> Table:
    return Table(
        caption,
        ("Severity", "Risk", "Initiatives", "Why"),
        [(r["severity"], r["title"], names(r["initiatives"]), r["message"]) for r in risks],
        empty,
    )


def _decisions_table(caption: str, taken: list[dict[str, Any]]) -> Table:
    return Table(
        caption,
        ("When", "Initiative", "Decision", "Move", "By", "Rationale or failing rules"),
        [
            (
                when(d["at"]),
                d["initiative"],
                d["action"],
                f"{d['from']} → {d['to']}",
                d["by"],
                d["rationale"] or names(d["failing"]),
            )
            for d in taken
        ],
        "No gate decision in the period.",
    )


def _hypothesis_rows(hypotheses: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for h in hypotheses:
        v = h["verdict"]
        verdict = "—" if v is None else f"{v['verdict']} ({v['method']}"
        if v is not None:
            verdict += f", {v['lift'] * 100:+.1f}%)" if v["lift"] is not None else ")"
        note = "overdue" if h["overdue"] else ("due" if h["due"] else "")
        rows.append(
            (
                h["initiative"],
                h["kpi"],
                num(h["baseline"]),
                num(h["current"]),
                num(h["target"]),
                h["target_date"] or "—",
                pct(h["progress"]),
                h["status"] + (f" · {note}" if note else ""),
                verdict,
            )
        )
    return rows


HYPOTHESIS_COLUMNS = (
    "Initiative",
    "KPI",
    "Baseline",
    "Current",
    "Target",
    "By",
    "Progress",
    "Status",
    "Verdict",
)


# ---------------------------------------------------------------------------------------------
# The packs


def weekly_sections(pack: dict[str, Any], fmt: str) -> list[Section]:
    """Platform issues, SLO alerts, incidents, gate failures, delivery."""
    slo, gates = pack["slo"], pack["gates"]
    issues = Section(
        "platform-issues",
        "Platform issues",
        "SLOs below target over their window, failed production changes, and services of "
        "initiatives on the golden path with no recent deployment.",
        tables=[
            Table(
                "Platform issues",
                ("Issue", "Subject", "Initiatives", "Detail"),
                [
                    (i["kind"], i["subject"], names(i["initiatives"]), i["detail"])
                    for i in pack["platform_issues"]
                ],
                "No platform issue.",
            )
        ],
    )
    alerts = Section(
        "slo-alerts",
        "SLO alerts",
        f"Multi-window burn-rate alerts as of {when(pack['as_of'])} UTC: "
        f"{len(slo['firing'])} firing. Changes are those recorded by scalegate slo sweep "
        "in the week.",
        figures=[_slo_figure(slo, fmt, "weekly-budgets")],
        tables=[
            _firing_table(slo["firing"]),
            Table(
                "Alert changes recorded in the week",
                ("When", "SLO", "Alert", "Severity", "Change"),
                [
                    (when(c["at"]), c["objective"], c["alert"], c["severity"], c["change"])
                    for c in slo["changes"]
                ],
                "No sweep recorded an alert change in the week.",
            ),
        ],
    )
    opened = sum(i["new"] for i in pack["incidents"])
    still = sum(i["open"] for i in pack["incidents"])
    incidents = Section(
        "incidents",
        "Incidents",
        f"{opened} incident(s) opened in the week and {still} still open at its end "
        "(older incidents are listed while open during the week).",
        tables=[
            Table(
                "Incidents",
                ("Incident", "Service", "Initiatives", "Opened", "Resolved", "Hours", "Caused by"),
                [
                    (
                        i["id"],
                        i["service"],
                        names(i["initiatives"]),
                        when(i["opened_at"]),
                        "open" if i["open"] else when(i["resolved_at"]),
                        num(i["hours"], 1),
                        i["caused_by"] or "—",
                    )
                    for i in pack["incidents"]
                ],
                "No incident in the week.",
            )
        ],
    )
    sweep = gates["sweep"]
    sweep_table = (
        Table(
            f"Drift found by the gate sweep of {when(sweep['swept_at'])} "
            f"(pass rate {pct(sweep['pass_rate'])})",
            ("Initiative", "Stage", "Rule", "Message"),
            [
                (d["initiative"], d["stage"] or "—", f"{d['policy']}/{d['rule']}", d["message"])
                for d in sweep["drift"]
            ],
            "The sweep found no drift.",
        )
        if sweep
        else Table(
            "Drift from gates already passed",
            ("Initiative", "Stage", "Rule", "Message"),
            [],
            "No gate sweep was recorded by the end of the week (run scalegate gate sweep).",
        )
    )
    gate_failures = Section(
        "gate-failures",
        "Gate failures",
        f"{len(gates['blocked'])} of {gates['checked']} initiatives fail a blocking rule of "
        "their next gate; drift is from the latest gate sweep; holds are advances the gates "
        "refused in the week.",
        tables=[
            Table(
                "Blocking rules failing at the next gate",
                ("Initiative", "Move", "Rules failing", "First message"),
                [
                    (
                        c["initiative"],
                        f"{c['stage']} → {c['to']}",
                        names([b["rule"] for b in c["blocking"]]),
                        c["blocking"][0]["message"] if c["blocking"] else "—",
                    )
                    for c in gates["blocked"]
                ],
                "Every initiative passes its next gate.",
            ),
            sweep_table,
            _decisions_table("Holds in the week", gates["holds"]),
        ],
    )
    delivery = Section(
        "delivery",
        "Delivery this week",
        "The portfolio's production deployments over the week's whole days (DORA).",
        tables=[_dora_table(pack["delivery"])],
    )
    return [issues, alerts, incidents, gate_failures, delivery]


def monthly_sections(pack: dict[str, Any], fmt: str) -> list[Section]:
    """Outcomes, hypotheses, risks, decisions due, decisions taken."""
    outcomes, risks, due = pack["outcomes"], pack["risks"], pack["decisions_due"]
    return [
        Section(
            "outcomes",
            "Outcomes",
            "Hypothesis status and benefit verdicts as of the end of the period, and time "
            "returned to the business per month.",
            figures=_outcome_figures(outcomes, fmt),
        ),
        Section(
            "hypotheses",
            "Hypotheses",
            "Every hypothesis of a live initiative; due means its target date falls in the "
            "next 30 days, overdue that it has passed without being achieved.",
            tables=[
                Table(
                    "Hypotheses",
                    HYPOTHESIS_COLUMNS,
                    _hypothesis_rows(outcomes["hypotheses"]),
                    "No hypotheses.",
                    wide=True,
                )
            ],
        ),
        Section(
            "risks",
            "Risks",
            f"The risk register as of the end of the period: {risks['count']} risk(s).",
            figures=[_risk_figure(risks, fmt)],
            tables=[_risk_table("Risk register", risks["risks"])],
        ),
        Section(
            "decisions-due",
            "Decisions due",
            "Initiatives that pass their next gate and wait for a stage decision; waivers, "
            "sign-offs and hypothesis target dates that run out in the next 30 days.",
            tables=[
                Table(
                    "Ready to advance",
                    ("Initiative", "Move", "Rules passing"),
                    [
                        (
                            c["initiative"],
                            f"{c['stage']} → {c['to']}",
                            f"{c['passing']}/{c['rules']}",
                        )
                        for c in due["ready"]
                    ],
                    "No initiative passes its next gate.",
                ),
                Table(
                    "Waivers running out",
                    ("Initiative", "Rules", "Until", "Granted by", "Rationale"),
                    [
                        (
                            w["initiative"],
                            names(w["rules"]),
                            day(w["until"]),
                            w["granted_by"],
                            w["rationale"],
                        )
                        for w in due["waivers"]
                    ],
                    "No waiver runs out in the next 30 days.",
                ),
                Table(
                    "Sign-offs expiring",
                    ("Initiative", "Item", "Expires", "Signed by"),
                    [
                        (s["initiative"], s["item"], day(s["expires_at"]), s["signed_by"])
                        for s in due["signoffs"]
                    ],
                    "No sign-off expires in the next 30 days.",
                ),
                Table(
                    "Hypotheses due or overdue",
                    HYPOTHESIS_COLUMNS,
                    _hypothesis_rows(due["hypotheses_overdue"] + due["hypotheses_due"]),
                    "No hypothesis is due in the next 30 days or overdue.",
                    wide=True,
                ),
            ],
        ),
        Section(
            "decisions",
            "Decisions taken",
            "Gate decisions recorded in the period.",
            tables=[_decisions_table("Gate decisions", pack["decisions"])],
        ),
    ]


def _weekly_dora_figures(dora: dict[str, Any], fmt: str) -> list[Figure]:
    return [_figure(view, fmt) for view in charts.dora_weekly(dora, "pack", "period", 140)]


def _conversion_figure(conversion: dict[str, Any], fmt: str) -> Figure:
    rows = [{**c, "label": f"{c['converted']}/{c['entered']}"} for c in conversion["cohorts"]]
    view = charts.chart_view(
        "conversion",
        "Pilot-to-scale conversion by cohort",
        f"{conversion['converted']} of {conversion['entered']} initiatives that entered prove "
        f"have reached adopt or beyond ({pct(conversion['rate'])}), over "
        f"{len(rows)} cohort quarter(s)."
        if rows
        else "No initiative has entered prove yet.",
        charts.conversion(rows),
        rows,
        [
            ("quarter", "Cohort (entered prove)"),
            ("entered", "Entered"),
            ("converted", "Reached adopt+"),
            ("rate", "Conversion"),
        ],
        {"rate": pct},
        height=160,
    )
    return _figure(view, fmt)


def _investment_figure(money: dict[str, Any], fmt: str) -> Figure:
    top = money["by_theme"][0] if money["by_theme"] else None
    view = charts.chart_view(
        "investment",
        "Capacity asked by theme",
        f"{num(money['capacity'])} person-weeks asked by live initiatives; {top['theme']} asks "
        f"the most ({num(top['capacity'])}, {pct(top['share'])})."
        if top and money["capacity"]
        else "No capacity asked.",
        charts.stacked_bars(
            money["by_theme_stage"], "theme", "capacity", "stage", "Theme", "Person-weeks"
        ),
        money["by_theme_stage"],
        [("theme", "Theme"), ("stage", "Stage"), ("capacity", "Person-weeks")],
        {"capacity": num},
        height=180,
    )
    return _figure(view, fmt)


def quarterly_sections(pack: dict[str, Any], fmt: str) -> list[Section]:
    """The three tiers, conversion, investment by theme, risk posture, decisions."""
    tiers, posture, money = pack["tiers"], pack["risk_posture"], pack["investment"]
    reliability = tiers["reliability"]
    conversion = pack["conversion"]
    return [
        Section(
            "tier-1",
            "Tier 1 · Business outcomes",
            "Hypotheses by status, statistically validated benefit, and time returned to the "
            "business in the quarter.",
            figures=_outcome_figures(tiers["outcomes"], fmt),
        ),
        Section(
            "tier-2",
            "Tier 2 · Delivery performance",
            "The portfolio's DORA figures over the quarter's whole days, with performance bands.",
            figures=_weekly_dora_figures(tiers["delivery"], fmt),
            tables=[_dora_table(tiers["delivery"])],
        ),
        Section(
            "tier-3",
            "Tier 3 · Platform reliability",
            f"{reliability['met']} of {len(reliability['objectives'])} SLOs meet their target "
            f"over their window; {len(reliability['firing'])} burn-rate alert(s) firing.",
            figures=[_slo_figure(reliability, fmt, "quarterly-budgets")],
            tables=[_firing_table(reliability["firing"])],
        ),
        Section(
            "conversion",
            "Pilot-to-scale conversion",
            f"Of the initiatives that entered prove, {conversion['converted']} of "
            f"{conversion['entered']} ({pct(conversion['rate'])}) have reached adopt or beyond.",
            figures=[_conversion_figure(conversion, fmt)],
        ),
        Section(
            "investment",
            "Investment by theme",
            "Capacity asked (person-weeks) by the live initiatives of each theme, by stage."
            + (
                f" Capacity is not stated for: {names(money['unstated'])}."
                if money["unstated"]
                else ""
            ),
            figures=[_investment_figure(money, fmt)],
            tables=[
                Table(
                    "Investment by theme",
                    ("Theme", "Initiatives", "At adopt or later", "Person-weeks", "Share"),
                    [
                        (
                            t["theme"],
                            num(t["initiatives"]),
                            num(t["scaled"]),
                            num(t["capacity"]),
                            pct(t["share"]),
                        )
                        for t in money["by_theme"]
                    ],
                    "No live initiative.",
                )
            ],
        ),
        Section(
            "risk-posture",
            "Risk posture",
            f"{posture['count']} risk(s) now against {posture['count_at_start']} at the start of "
            f"the quarter; {len(posture['new'])} new, {len(posture['resolved'])} resolved.",
            figures=[_risk_figure(posture, fmt)],
            tables=[
                Table(
                    "Risks by severity",
                    ("Severity", "At the start", "Now"),
                    [
                        (s, num(posture["at_start"][s]), num(posture["by_severity"][s]))
                        for s in SEVERITIES
                    ],
                ),
                _risk_table("New this quarter", posture["new"], "No new risk."),
                _risk_table("Resolved this quarter", posture["resolved"], "No risk resolved."),
                _risk_table("Risk register", posture["risks"]),
            ],
        ),
        Section(
            "decisions",
            "Decisions in the quarter",
            "Gate decisions recorded in the quarter.",
            tables=[_decisions_table("Gate decisions", pack["decisions"])],
        ),
    ]


SECTIONS: dict[str, Callable[[dict[str, Any], str], list[Section]]] = {
    "weekly": weekly_sections,
    "monthly": monthly_sections,
    "quarterly": quarterly_sections,
}


def render_html(pack: dict[str, Any], fmt: str = "html") -> str:
    """The pack as one HTML document; `fmt` says whether charts are inline SVG or PNG (pdf)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}")
    sections = [*SECTIONS[pack["cadence"]](pack, fmt), reuse_section(pack["reuse"])]
    template = _ENV.get_template("reviews/pack.html")
    return template.render(pack=pack, sections=sections, fmt=fmt, period=pack["period"])


def render_pdf(pack: dict[str, Any]) -> bytes:
    """The pack as a PDF (WeasyPrint), charts as PNG images from vl-convert."""
    from weasyprint import HTML  # type: ignore[import-untyped]
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    # Only the `data:` URLs of the charts: never the network or the file system.
    fetcher = URLFetcher(allowed_protocols=("data",))
    document = HTML(string=render_html(pack, "pdf"), url_fetcher=fetcher)
    pdf: bytes | None = document.write_pdf()
    assert pdf is not None
    return pdf


def render(pack: dict[str, Any], fmt: str) -> bytes:
    """The pack's bytes in a format: `html` (UTF-8) or `pdf`."""
    if fmt == "pdf":
        return render_pdf(pack)
    return render_html(pack, fmt).encode("utf-8")
