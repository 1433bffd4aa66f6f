"""REST endpoints for themes, KPIs and initiatives."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Response, status
from pydantic import BaseModel, ConfigDict

from scalegate.core.lifecycle import RiskTier, Stage
from scalegate.deps import CurrentActor, Sessions
from scalegate.manifests.service import delete_object, put_object
from scalegate.portfolio import service

router = APIRouter(prefix="/api/v1", tags=["portfolio"])

SpecBody = Body(description="The object's spec, as in a YAML document's `spec`")


class Metadata(BaseModel):
    """Metadata of a created object."""

    name: str


class NewObject(BaseModel):
    """A document as in YAML; apiVersion and kind may be given but the path decides the kind."""

    model_config = ConfigDict(extra="allow")
    metadata: Metadata
    spec: dict[str, Any]


def _crud(kind: str, path: str) -> None:
    """Create, update and delete endpoints for one kind, all through the apply path."""

    @router.post(f"/{path}", status_code=status.HTTP_201_CREATED, name=f"create {kind}")
    def create(actor: CurrentActor, factory: Sessions, document: NewObject) -> Any:
        name = document.metadata.name
        put_object(factory, actor, kind, name, document.spec, must_exist=False)
        return service.get_object(factory, kind, name)

    @router.put(f"/{path}/{{name}}", name=f"update {kind}")
    def update(name: str, actor: CurrentActor, factory: Sessions, spec: Any = SpecBody) -> Any:
        put_object(factory, actor, kind, name, spec, must_exist=True)
        return service.get_object(factory, kind, name)

    @router.delete(f"/{path}/{{name}}", status_code=204, name=f"delete {kind}")
    def remove(name: str, actor: CurrentActor, factory: Sessions) -> Response:
        delete_object(factory, actor, kind, name)
        return Response(status_code=204)


@router.get("/themes")
def list_themes(_: CurrentActor, factory: Sessions) -> list[dict[str, Any]]:
    """Every theme with its initiative count."""
    return service.list_themes(factory)


@router.get("/themes/{name}")
def get_theme(name: str, _: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """One theme as a document."""
    return service.get_object(factory, "Theme", name)


@router.get("/kpis")
def list_kpis(_: CurrentActor, factory: Sessions) -> list[dict[str, Any]]:
    """Every KPI definition."""
    return service.list_kpis(factory)


@router.get("/kpis/{name}")
def get_kpi(name: str, _: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """One KPI as a document."""
    return service.get_object(factory, "KPI", name)


@router.get("/initiatives")
def list_initiatives(
    _: CurrentActor,
    factory: Sessions,
    theme: str | None = None,
    stage: Stage | None = None,
    owner: str | None = Query(
        None, description="initiatives where this person holds any owner role"
    ),
    risk_tier: RiskTier | None = Query(None, alias="riskTier"),
) -> list[dict[str, Any]]:
    """Initiatives matching every given filter, with priority and rank."""
    rows = service.list_initiatives(
        factory, theme=theme, stage=stage, owner=owner, risk_tier=risk_tier
    )
    return [row.as_dict() for row in rows]


@router.get("/initiatives/{name}")
def get_initiative(name: str, _: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """One initiative as a document with its computed status."""
    return service.show_initiative(factory, name)


@router.get("/rank")
def rank(_: CurrentActor, factory: Sessions) -> list[dict[str, Any]]:
    """The priority order from the rubric."""
    return [r.as_dict() for r in service.ranking(factory)]


_crud("Theme", "themes")
_crud("KPI", "kpis")
_crud("Initiative", "initiatives")
