"""Evaluation and scan results over HTTP: send a results file, read the figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from scalegate.deps import CurrentActor, Sessions
from scalegate.evaluations import service

router = APIRouter(tags=["evaluations"])
# The content types each tool's file travels as; `format` in the query wins over them.
MEDIA_FORMATS = {"application/sarif+json": "sarif", "application/xml": "junit", "text/xml": "junit"}
MAX_BODY = 64 * 1024 * 1024
RESULTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/sarif+json": {"schema": {"type": "object"}},
            "application/xml": {"schema": {"type": "string"}},
            "application/zip": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post("/api/v1/evaluations", openapi_extra=RESULTS_BODY)
async def send_results(
    request: Request,
    actor: CurrentActor,
    factory: Sessions,
    initiative: str,
    format: str | None = None,
    model: str | None = None,
    asset: list[str] = Query(default=[]),
    name: str = "api",
) -> dict[str, Any]:
    """A promptfoo, JUnit, SARIF or Inspect results file for an initiative; atomic, and the
    same file for the same subject stores nothing new."""
    body = await request.body()
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    chosen = format or MEDIA_FORMATS.get(media, "auto")
    return await run_in_threadpool(
        lambda: service.ingest_results(
            factory,
            actor,
            body[: MAX_BODY + 1],
            format=chosen,
            initiative=initiative,
            model=model,
            assets=asset,
            source=name,
        )
    )


@router.get("/api/v1/metrics/evaluations")
def evaluation_metrics(
    _: CurrentActor, factory: Sessions, initiative: str, as_of: datetime | None = None
) -> dict[str, Any]:
    """The same figures as `scalegate metrics evaluations --json`."""
    return service.evaluation_figures(factory, initiative, as_of)
