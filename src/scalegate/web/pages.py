"""The portfolio page: funnel by theme and stage, conversion by cohort, capacity, ranking."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from scalegate.core.conversion import conversion_by_cohort, overall_conversion
from scalegate.core.lifecycle import OWNER_ROLES, STAGE_ORDER, RiskTier, Stage
from scalegate.deps import Sessions
from scalegate.portfolio import service
from scalegate.portfolio.service import InitiativeSummary
from scalegate.web import charts, queries
from scalegate.web.auth import PageActor
from scalegate.web.page_cache import Page, cached_render

STAGES = [*(s.value for s in STAGE_ORDER), Stage.RETIRED.value]
RISK_TIERS = [t.value for t in RiskTier]
FILTERS = ("theme", "stage", "owner", "risk_tier")

router = APIRouter(include_in_schema=False)


def _filters(request: Request) -> dict[str, str | None]:
    return {key: request.query_params.get(key) or None for key in FILTERS}


def _matches(row: InitiativeSummary, chosen: dict[str, str | None]) -> bool:
    """Whether a row passes the filters, as `list_initiatives(**chosen)` would select it."""
    return (
        (chosen["theme"] is None or row.theme == chosen["theme"])
        and (chosen["stage"] is None or row.stage == chosen["stage"])
        and (chosen["risk_tier"] is None or row.risk_tier == chosen["risk_tier"])
        and (chosen["owner"] is None or chosen["owner"] in row.owners.values())
    )


def _funnel(rows: list[InitiativeSummary]) -> charts.ChartView:
    counts = Counter((r.stage, r.theme_title) for r in rows)
    data = [
        {"stage": stage, "theme": theme, "initiatives": n}
        for (stage, theme), n in sorted(counts.items(), key=lambda i: STAGES.index(i[0][0]))
    ]
    per_stage = Counter(r.stage for r in rows)
    busiest = max(per_stage, key=lambda s: (per_stage[s], -STAGES.index(s)), default=None)
    scaled = sum(per_stage[s] for s in ("adopt", "govern", "expand"))
    summary = (
        f"{len(rows)} initiatives; the most ({per_stage[busiest]}) are at {busiest}, "
        f"and {scaled} have reached adopt or beyond."
        if busiest
        else "No initiatives match."
    )
    return charts.chart_view(
        "funnel",
        "Initiatives by stage and theme",
        summary,
        charts.funnel(data, STAGES),
        data,
        [("stage", "Stage"), ("theme", "Theme"), ("initiatives", "Initiatives")],
    )


def _conversion(factory: Any, names: set[str], as_of: datetime) -> charts.ChartView:
    history = [c for c in queries.stage_history(factory) if c.initiative in names]
    cohorts = conversion_by_cohort(history, as_of)
    data = [
        {
            "quarter": c.quarter,
            "entered": c.entered,
            "converted": c.converted,
            "rate": c.rate,
            "label": f"{c.converted}/{c.entered}",
        }
        for c in cohorts
    ]
    rate = overall_conversion(cohorts)
    summary = (
        f"{sum(c.converted for c in cohorts)} of {sum(c.entered for c in cohorts)} initiatives "
        f"that entered prove have reached adopt or beyond ({charts.percent(rate)}), "
        f"over {len(cohorts)} cohort quarter(s)."
        if cohorts
        else "No initiative has entered prove yet."
    )
    return charts.chart_view(
        "conversion",
        "Pilot-to-scale conversion by cohort",
        summary,
        charts.conversion(data),
        data,
        [
            ("quarter", "Cohort (entered prove)"),
            ("entered", "Entered"),
            ("converted", "Reached adopt+"),
            ("rate", "Conversion"),
        ],
        {"rate": charts.percent},
    )


def _capacity(rows: list[InitiativeSummary], capacity: dict[str, float | None]) -> charts.ChartView:
    per: dict[tuple[str, str], float] = defaultdict(float)
    for r in rows:
        per[(r.theme_title, r.stage)] += capacity.get(r.name) or 0.0
    data = [
        {"theme": theme, "stage": stage, "capacity": weeks}
        for (theme, stage), weeks in sorted(
            per.items(), key=lambda i: (i[0][0], STAGES.index(i[0][1]))
        )
        if weeks
    ]
    totals: dict[str, float] = defaultdict(float)
    for (theme, _), weeks in per.items():
        totals[theme] += weeks
    top = max(totals, key=lambda t: totals[t], default=None)
    summary = (
        f"{sum(totals.values()):g} person-weeks asked in all; {top} asks the most "
        f"({totals[top]:g})."
        if top
        else "No capacity asked."
    )
    return charts.chart_view(
        "capacity",
        "Capacity asked by theme",
        summary,
        charts.stacked_bars(data, "theme", "capacity", "stage", "Theme", "Person-weeks"),
        data,
        [("theme", "Theme"), ("stage", "Stage"), ("capacity", "Person-weeks")],
        {"capacity": lambda v: f"{v:g}"},
        height=240,
    )


@router.get("/", response_class=HTMLResponse)
def portfolio(request: Request, actor: PageActor, factory: Sessions) -> HTMLResponse:
    """The portfolio, filtered by theme, stage, owner and risk tier (query parameters)."""
    return cached_render(request, actor, factory, lambda _: _portfolio(request, factory))


def _portfolio(request: Request, factory: Any) -> Page:
    chosen = _filters(request)
    # One read of the portfolio, filtered here as list_initiatives filters (same order).
    everyone = service.list_initiatives(factory)
    rows = [r for r in everyone if _matches(r, chosen)]
    names = {r.name for r in everyone if _matches(r, {**chosen, "stage": None})}
    capacity = queries.capacities(factory)
    ranked = sorted((r for r in rows if r.rank is not None), key=lambda r: r.rank or 0)
    context = {
        "rows": rows,
        "ranked": ranked,
        "unscored": [r for r in rows if r.rank is None],
        "filters": chosen,
        "themes": service.list_themes(factory),
        "stages": STAGES,
        "risk_tiers": RISK_TIERS,
        "owners": sorted({p for r in everyone for p in r.owners.values()}),
        "owner_roles": OWNER_ROLES,
        "total": len(everyone),
        "charts": [
            _funnel(rows),
            _conversion(factory, names, datetime.now(UTC)),
            _capacity(rows, capacity),
        ],
        "capacity": capacity,
    }
    return Page("portfolio.html", context)
