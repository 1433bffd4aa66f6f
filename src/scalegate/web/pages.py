"""The portfolio page: initiatives by theme and stage, with owners and priority."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from scalegate.core.lifecycle import STAGE_ORDER, Stage
from scalegate.deps import Sessions
from scalegate.portfolio import service

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
STAGES = [*(s.value for s in STAGE_ORDER), Stage.RETIRED.value]

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def portfolio(request: Request, factory: Sessions) -> HTMLResponse:
    """Initiatives grouped by theme, in lifecycle order, with owners and priority."""
    rows = service.list_initiatives(factory)
    themes = {t["name"]: t for t in service.list_themes(factory)}
    by_theme = [(themes[name], list(items)) for name, items in groupby(rows, key=lambda r: r.theme)]
    stage_counts = {stage: sum(r.stage == stage for r in rows) for stage in STAGES}
    return TEMPLATES.TemplateResponse(
        request,
        "portfolio.html",
        {"by_theme": by_theme, "stage_counts": stage_counts, "total": len(rows)},
    )
