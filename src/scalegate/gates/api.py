"""Gate endpoints: check, advance, sign-offs, waivers, readiness and the sweep."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from scalegate.core.lifecycle import Stage
from scalegate.deps import CurrentActor, Sessions
from scalegate.gates import service

router = APIRouter(prefix="/api/v1", tags=["gates"])


class AdvanceRequest(BaseModel):
    """Move to a stage; a rationale is required to step back or retire."""

    to: Stage
    rationale: str | None = None


class SignOffRequest(BaseModel):
    """Sign a launch-checklist item."""

    item: str
    artifact: str
    expires: date | None = None
    note: str | None = None


class WaiverRequest(BaseModel):
    """Waive named rules until a date."""

    rules: list[str] = Field(min_length=1)
    until: date
    rationale: str


@router.get("/initiatives/{name}/gate")
def check(name: str, _: CurrentActor, factory: Sessions, to: Stage | None = None) -> dict[str, Any]:
    """Evaluate the gates to the next (or given) stage."""
    return service.check(factory, name, to.value if to else None).as_dict()


@router.post("/initiatives/{name}/advance")
def advance(
    name: str, body: AdvanceRequest, actor: CurrentActor, factory: Sessions
) -> dict[str, Any]:
    """Move the initiative; 409 `gate_blocked` when a blocking rule fails without a waiver."""
    return service.advance(factory, actor, name, body.to.value, body.rationale)


@router.post("/initiatives/{name}/signoffs", status_code=201)
def sign_off(
    name: str, body: SignOffRequest, actor: CurrentActor, factory: Sessions
) -> dict[str, Any]:
    """Sign a checklist item."""
    return service.sign_off(factory, actor, name, body.item, body.artifact, body.expires, body.note)


@router.post("/initiatives/{name}/waivers", status_code=201)
def waive(name: str, body: WaiverRequest, actor: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """Grant a time-boxed waiver."""
    return service.waive(factory, actor, name, body.rules, body.until, body.rationale)


@router.get("/initiatives/{name}/readiness")
def readiness(name: str, _: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """The readiness profile over the six capabilities."""
    return service.readiness(factory, name)


@router.get("/initiatives/{name}/gate-status")
def gate_status(name: str, _: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """Sign-offs in force, waivers and decisions."""
    return service.status(factory, name)


@router.post("/gates/sweep")
def sweep(actor: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """Re-evaluate passed gates for every initiative and record the drift."""
    return service.sweep(factory, actor)
