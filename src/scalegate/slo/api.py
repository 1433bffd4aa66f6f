"""SLO figures and sweeps over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter

from scalegate.deps import CurrentActor, Sessions
from scalegate.errors import InvalidInput
from scalegate.settings import get_settings
from scalegate.slo import service
from scalegate.slo.sweep import sweep as run_sweep

router = APIRouter(tags=["slo"])


@router.get("/api/v1/metrics/slo")
def slo(
    _: CurrentActor,
    factory: Sessions,
    initiative: str | None = None,
    slo: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """The same figures as `scalegate metrics slo --json`."""
    if (initiative is None) == (slo is None):
        raise InvalidInput("give exactly one of initiative and slo")
    return service.slo_for(factory, initiative, slo, as_of)


@router.post("/api/v1/slo/sweep")
def sweep(actor: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """The same as `scalegate slo sweep --json`, as of now, notifying the configured webhook."""
    return run_sweep(factory, actor, datetime.now(UTC), get_settings().slo_webhook_url).as_dict()
