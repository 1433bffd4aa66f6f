"""Delivery metrics and evidence ingest over HTTP."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from scalegate.access.actor import Actor
from scalegate.deps import CurrentActor, Sessions, bearer, current_actor
from scalegate.errors import Unauthenticated
from scalegate.evidence import metrics, service
from scalegate.evidence.adapters import verify_github_signature
from scalegate.outcomes import service as outcome_service
from scalegate.usage import service as usage_service

router = APIRouter(tags=["evidence"])
# A verified webhook signature stands for the pipeline that sent it; it may only add evidence.
GITHUB_ACTOR = Actor("webhook:github", frozenset({"platform"}))


@router.get("/api/v1/metrics/dora")
def dora(
    _: CurrentActor,
    factory: Sessions,
    start: date = Query(alias="from"),
    end: date = Query(alias="to"),
    initiative: str | None = None,
    service: str | None = None,
    portfolio: bool = False,
) -> dict[str, Any]:
    """The same figures as `scalegate metrics dora --json`."""
    scope = metrics.scope_of(initiative, service, portfolio)
    return metrics.dora_for(factory, scope, start, end)


@router.get("/api/v1/metrics/usage")
def usage(
    _: CurrentActor, factory: Sessions, initiative: str, as_of: datetime | None = None
) -> dict[str, Any]:
    """The same figures as `scalegate metrics usage --json`."""
    return usage_service.usage_for(factory, initiative, as_of)


@router.get("/api/v1/metrics/outcomes")
def outcomes(
    _: CurrentActor,
    factory: Sessions,
    initiative: str,
    as_of: datetime | None = None,
    difference: str = "relative",
    baseline_from: date | None = None,
    baseline_to: date | None = None,
) -> dict[str, Any]:
    """The same figures as `scalegate metrics outcomes --json`."""
    return outcome_service.outcomes_for(
        factory, initiative, as_of, difference, baseline_from, baseline_to
    )


async def _ingest(
    request: Request, factory: sessionmaker[Session], actor: Actor, format: str, source: str
) -> dict[str, Any]:
    text = (await request.body()).decode("utf-8", errors="replace")
    # Storing is blocking database work: keep it off the event loop.
    result = await run_in_threadpool(service.ingest, factory, actor, text, format, source)
    return result.as_dict()


EVENTS_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
        },
    }
}


@router.post("/api/v1/events", openapi_extra=EVENTS_BODY)
async def events(request: Request, actor: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """Evidence events as JSON lines or a JSON array; atomic per request, idempotent by id."""
    return await _ingest(request, factory, actor, "auto", "api")


@router.post("/webhooks/cdevents", openapi_extra=EVENTS_BODY)
async def cdevents(request: Request, actor: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """CDEvents (one event, an array, or JSON lines)."""
    return await _ingest(request, factory, actor, "cdevents", "cdevents")


@router.post("/webhooks/github")
async def github(
    request: Request,
    factory: Sessions,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256")] = None,
) -> dict[str, Any]:
    """GitHub `deployment_status` webhooks, signed with the configured secret (or a token)."""
    secret = request.app.state.settings.github_webhook_secret
    body = await request.body()
    if secret:
        if not verify_github_signature(secret, body, signature):
            raise Unauthenticated("X-Hub-Signature-256 does not match the configured secret")
        actor = GITHUB_ACTOR
    else:
        actor = current_actor(factory, credentials)
    return await _ingest(request, factory, actor, "github", "github")
