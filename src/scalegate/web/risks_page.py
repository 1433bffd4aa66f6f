"""The risk register page: every risk the portfolio's data shows, and a count by rule."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from scalegate.deps import Sessions
from scalegate.risks import service
from scalegate.web import charts
from scalegate.web.auth import PageActor
from scalegate.web.page_cache import Page, cached_render

router = APIRouter(include_in_schema=False)
SEVERITIES = ("high", "medium", "low")


def _by_rule(risks: list[dict[str, Any]]) -> charts.ChartView:
    # The register's order: most severe first, then the rules' own order.
    counts = Counter((r["rule"], r["title"], r["severity"]) for r in risks)
    data = [
        {"rule": rule, "title": title, "severity": severity, "risks": n}
        for (rule, title, severity), n in counts.items()
    ]
    per_rule = Counter(r["title"] for r in risks)
    top = max(per_rule, key=lambda t: per_rule[t], default=None)
    summary = (
        f"{len(risks)} risks from {len(per_rule)} rules; "
        + ", ".join(f"{sum(r['severity'] == s for r in risks)} {s}" for s in SEVERITIES)
        + f" severity; the most come from {top} ({per_rule[top]})."
        if top
        else "No rule finds a risk."
    )
    return charts.chart_view(
        "risks-by-rule",
        "Risks by rule",
        summary,
        charts.severity_bars(data),
        data,
        [("title", "Rule"), ("rule", "Name"), ("severity", "Severity"), ("risks", "Risks")],
        height=max(120, 30 * len(per_rule)),
    )


@router.get("/risks", response_class=HTMLResponse)
def risk_register(request: Request, actor: PageActor, factory: Sessions) -> HTMLResponse:
    """The risk register as `scalegate risks` gives it, with the server's thresholds."""
    return cached_render(request, actor, factory, lambda _: _register(request, factory))


def _register(request: Request, factory: Any) -> Page:
    as_of = datetime.now(UTC)
    thresholds = service.thresholds_from(request.app.state.settings)
    risks = service.risk_register(factory, as_of, thresholds)
    context = {
        "as_of": as_of,
        "risks": risks,
        "by_rule": _by_rule(risks),
        "thresholds": thresholds,
        "severities": {s: sum(r["severity"] == s for r in risks) for s in SEVERITIES},
    }
    return Page("risks.html", context)
