"""The three-tier dashboard: business outcomes, delivery (DORA), reliability (SLOs)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session, sessionmaker

from scalegate.assets.service import portfolio_figures
from scalegate.core.lifecycle import Stage
from scalegate.db import transaction
from scalegate.deps import Sessions
from scalegate.evidence.metrics import (
    EVIDENCE_WINDOW_DAYS,
    Scope,
    dora_for,
    dora_portfolio_and_initiatives,
)
from scalegate.outcomes.service import outcomes_by_initiative
from scalegate.portfolio import service as portfolio
from scalegate.slo.service import slo_summary
from scalegate.web import charts
from scalegate.web.auth import PageActor
from scalegate.web.page_cache import Page, cached_render

router = APIRouter(include_in_schema=False)


def verdict_of(h: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The strongest comparison of a hypothesis: experiment, then DiD, then before/after."""
    for method in ("experiment", "did", "before_after"):
        if h.get(method) is not None:
            return method, h[method]
    return None


def slo_tier(factory: sessionmaker[Session], as_of: datetime) -> dict[str, Any]:
    """Tier 3: SLOs met, error budget remaining per SLO (a chart) and the firing alerts."""
    with transaction(factory) as session:
        rows = slo_summary(session, as_of)
    met = sum(r["met"] for r in rows)
    alerts = [
        {**alert, "slo": r["name"], "service": r["service"], "initiatives": r["initiatives"]}
        for r in rows
        for alert in r["firing_alerts"]
    ]
    alerts.sort(key=lambda a: (a["severity"] != "page", a["slo"], a["name"]))
    budgets = [
        {
            **r,
            "remaining": r["error_budget_remaining"],
            "state": charts.budget_state(r["error_budget_remaining"]),
            "linked": ", ".join(r["initiatives"]) or "—",
        }
        for r in rows
        if r["error_budget_remaining"] is not None
    ]
    least = min(budgets, key=lambda r: r["remaining"], default=None)
    summary = (
        f"{len(budgets)} SLOs with traffic; {sum(b['state'] != 'left' for b in budgets)} have "
        f"less than 25% of their error budget left; the least is {least['name']} with "
        f"{least['remaining'] * 100:.1f}%."
        if least
        else "No SLO has traffic in its window yet."
    )
    chart = charts.chart_view(
        "slo-budgets",
        "Error budget remaining by SLO",
        summary,
        charts.budget_bars(budgets),
        sorted(budgets, key=lambda r: r["remaining"]),
        [
            ("name", "SLO"),
            ("linked", "Initiatives"),
            ("target", "Target"),
            ("attainment", "Attainment"),
            ("remaining", "Budget remaining"),
            ("burn_1h", "Burn rate (1h)"),
        ],
        {
            "target": lambda v: f"{v * 100:g}%",
            "attainment": lambda v: "—" if v is None else f"{v * 100:.3f}%",
            "remaining": lambda v: f"{v * 100:.1f}%",
            "burn_1h": lambda v: "—" if v is None else f"{v:.2f}",
        },
        height=max(120, 26 * len(budgets)),
    )
    return {"rows": rows, "met": met, "alerts": alerts, "chart": chart}


def _outcome_charts(
    per_initiative: dict[str, dict[str, Any]], titles: dict[str, str]
) -> tuple[list[charts.ChartView], list[dict[str, Any]]]:
    statuses: Counter[str] = Counter()
    validated: list[dict[str, Any]] = []
    hours: dict[tuple[str, str], float] = defaultdict(float)
    for name, outcome in per_initiative.items():
        for h in outcome["hypotheses"]:
            statuses[h["status"]] += 1
            found = verdict_of(h)
            if found and found[1]["verdict"] == "validated":
                method, comparison = found
                validated.append(
                    {
                        "claim": f"{titles[name]}: {h['kpi']}",
                        "initiative": name,
                        "method": method.replace("_", "/"),
                        "lift": comparison["lift"],
                        "ci_low": comparison["ci_low"],
                        "ci_high": comparison["ci_high"],
                    }
                )
        for month in outcome.get("time_returned_hours") or []:
            if month["hours"] is not None:
                hours[(month["month"], titles[name])] += month["hours"]
    by_status = charts.hypotheses_by_status(statuses, 150)
    validated.sort(key=lambda v: -abs(v["lift"]))
    benefit = charts.validated_benefit(validated, max(120, 28 * len(validated)))
    hour_rows = [
        {"month": month, "initiative": who, "hours": round(h, 1)}
        for (month, who), h in sorted(hours.items())
    ]
    months: dict[str, float] = defaultdict(float)
    for (month, _), h in hours.items():
        months[month] += h
    last = max(months) if months else None
    returned = charts.chart_view(
        "time-returned",
        "Time returned to the business",
        f"{sum(months.values()):,.0f} hours returned over {len(months)} months; "
        f"{months[last]:,.0f} in {last}."
        if last
        else "No initiative reports time returned yet.",
        charts.stacked_bars(hour_rows, "month", "hours", "initiative", "Month", "Hours"),
        hour_rows,
        [("month", "Month"), ("initiative", "Initiative"), ("hours", "Hours")],
        {"hours": lambda v: f"{v:,.1f}"},
    )
    return [by_status, benefit, returned], validated


def dora_window(factory: sessionmaker[Session], scope: Scope, as_of: datetime) -> dict[str, Any]:
    """The DORA figures of the last 90 days (the window the gates use)."""
    end = as_of.date()
    return dora_for(factory, scope, end - timedelta(days=EVIDENCE_WINDOW_DAYS - 1), end)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, actor: PageActor, factory: Sessions) -> HTMLResponse:
    """Tier 1 business outcomes, tier 2 delivery, tier 3 reliability, asset reuse, drill-down."""
    return cached_render(request, actor, factory, lambda _: _dashboard(factory))


def _dashboard(factory: sessionmaker[Session]) -> Page:
    as_of = datetime.now(UTC)
    rows = [r for r in portfolio.list_initiatives(factory) if r.stage != Stage.RETIRED]
    titles = {r.name: r.title for r in rows}
    outcomes = outcomes_by_initiative(factory, [r.name for r in rows], as_of)
    tier1, validated = _outcome_charts(outcomes, titles)
    end = as_of.date()
    # The portfolio's and every initiative's 90-day figures (what dora_window gives each of
    # them) from one read of the evidence.
    dora, per_initiative = dora_portfolio_and_initiatives(
        factory,
        {r.name: r.services for r in rows},
        end - timedelta(days=EVIDENCE_WINDOW_DAYS - 1),
        end,
    )
    drill = []
    for r in rows:
        hypotheses = outcomes[r.name]["hypotheses"]
        initiative_dora = per_initiative[r.name]
        drill.append(
            {
                "row": r,
                "statuses": Counter(h["status"] for h in hypotheses),
                "validated": sum(v["initiative"] == r.name for v in validated),
                "deployments": initiative_dora["deployments"],
                "bands": initiative_dora["bands"],
            }
        )
    context = {
        "as_of": as_of,
        "tier1": tier1,
        "dora": dora,
        "tier2": charts.dora_weekly(dora, "portfolio"),
        "slo": slo_tier(factory, as_of),
        "reuse": portfolio_figures(factory, as_of),
        "drill": drill,
        "statuses": list(charts.STATUS_COLOURS),
    }
    return Page("dashboard.html", context)
