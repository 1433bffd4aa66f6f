"""The audit log page: the latest records and whether the hash chain is intact."""

from __future__ import annotations

import json

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from scalegate.audit import service as audit
from scalegate.deps import Sessions
from scalegate.web.auth import PageActor
from scalegate.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    actor: PageActor,
    factory: Sessions,
    object: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> HTMLResponse:
    """Newest records first (optionally for one object), with the chain's verification."""
    records = [
        {
            "seq": r.seq,
            "at": r.at,
            "actor": r.actor,
            "action": r.action,
            "object": r.object,
            "payload": json.dumps(r.payload, indent=1, sort_keys=True, default=str),
            "hash": r.hash,
        }
        for r in audit.recent(factory, limit, object or None)
    ]
    context = {
        "records": records,
        "verification": audit.verify(factory),
        "object": object or "",
        "limit": limit,
    }
    return render(request, actor, "audit.html", context)
