"""POST /api/v1/apply: the same YAML as `scalegate apply -f`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from scalegate.deps import CurrentActor, Sessions
from scalegate.manifests.service import REQUEST_SOURCE, apply_sources

router = APIRouter(prefix="/api/v1", tags=["apply"])


@router.post(
    "/apply",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def apply(
    request: Request,
    actor: CurrentActor,
    factory: Sessions,
    dry_run: bool = False,
    prune: bool = False,
) -> dict[str, Any]:
    """Apply multi-document YAML in one transaction; 422 lists every problem at once."""
    text = (await request.body()).decode("utf-8", errors="replace")
    # The apply itself is blocking database work: keep it off the event loop.
    result = await run_in_threadpool(
        apply_sources, factory, [(REQUEST_SOURCE, text)], actor, prune=prune, dry_run=dry_run
    )
    return result.as_dict()
