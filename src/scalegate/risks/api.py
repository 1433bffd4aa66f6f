"""GET /api/v1/risks: the risk register."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request

from scalegate.deps import CurrentActor, Sessions
from scalegate.risks import service

router = APIRouter(prefix="/api/v1", tags=["risks"])


@router.get("/risks")
def risks(
    request: Request, _: CurrentActor, factory: Sessions, as_of: datetime | None = None
) -> list[dict[str, Any]]:
    """The same list as `scalegate risks --json`, with the app's SCALEGATE_RISK_* thresholds."""
    thresholds = service.thresholds_from(request.app.state.settings)
    return service.risk_register(factory, as_of, thresholds)
