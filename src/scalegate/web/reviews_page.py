"""Review packs from the UI: a page listing the three packs, and their HTML and PDF downloads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from scalegate.deps import Sessions
from scalegate.reviews import render as packs
from scalegate.reviews.service import CADENCES, PERIOD_DAYS, TITLES, review_pack
from scalegate.web.auth import PageActor
from scalegate.web.render import render

router = APIRouter(include_in_schema=False)
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
CONTENTS = {
    "weekly": "platform issues, SLO alerts, incidents, gate failures, delivery, reuse",
    "monthly": "outcomes, hypotheses, risks, decisions due, decisions taken, reuse",
    "quarterly": "the three tiers, pilot-to-scale conversion, investment by theme, risk posture, "
    "reuse",
}


def _as_of(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=UTC)


@router.get("/reviews", response_class=HTMLResponse)
def reviews(request: Request, actor: PageActor) -> HTMLResponse:
    """The three review packs, each as a self-contained HTML file or a PDF."""
    listed = [
        {
            "cadence": c,
            "title": TITLES[c],
            "days": PERIOD_DAYS[c],
            "contents": CONTENTS[c],
        }
        for c in CADENCES
    ]
    return render(request, actor, "reviews/index.html", {"packs": listed})


@router.get("/reviews/{cadence}.{fmt}")
def download(
    cadence: str,
    fmt: str,
    _actor: PageActor,
    factory: Sessions,
    as_of: date | None = None,
) -> Response:
    """One pack, generated now from the workspace, as an attachment."""
    if cadence not in CADENCES or fmt not in packs.FORMATS:
        raise HTTPException(404, "no such review pack")
    pack = review_pack(factory, cadence, _as_of(as_of))
    name = f"scalegate-{cadence}-review-{pack['period']['last_day']}.{fmt}"
    return Response(
        packs.render(pack, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
