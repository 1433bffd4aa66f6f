"""Asset library endpoints: search, an asset and its versions, content, labels, diff, promote,
and the portfolio's reuse figures.

The JSON shapes are those of `scalegate asset ... --json` (see assets/service.py); field names
are camelCase as in the YAML.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from scalegate.assets import service
from scalegate.assets.schemas import MovableLabel
from scalegate.core.assets import AssetType, Lifecycle
from scalegate.deps import CurrentActor, Sessions
from scalegate.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["assets"])
Sort = Literal["name", "reuse", "updated"]
assert set(get_args(Sort)) == set(service.SORTS)


class PromoteRequest(BaseModel):
    """Move a label to a version; the asset policies decide moves to production."""

    version: int = Field(ge=1)
    label: MovableLabel
    rationale: str = Field(min_length=1)


@router.get("/assets")
def library(
    _: CurrentActor,
    factory: Sessions,
    type_: AssetType | None = Query(None, alias="type"),
    tag: str | None = None,
    q: str | None = Query(None, description="words matched in name, title, description, tags"),
    lifecycle: Lifecycle | None = None,
    sort: Sort = "name",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """`{total, asOf, assets: [{name, type, title, description, owner, tags, origin, lifecycle,
    latest, updatedAt, labels: {production?, staging?, latest}, reuse: {declared, observed,
    consumers, reusedBy}}]}`, one page of it."""
    return service.library(
        factory,
        type_=type_,
        tag=tag,
        q=q,
        lifecycle=lifecycle,
        sort=sort,
        limit=limit,
        offset=offset,
    )


@router.get("/assets/{name}")
def detail(name: str, _: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """The asset with `labels`, `versions` (each with its labels, consumers and retirement
    `impact`), `consumers` (stage, pinnedVersion, pinnedLabel, resolvedVersion, stale) and
    `reuse` (declared, observed, consumers, reusedBy, atScale, stalePins)."""
    return service.detail(factory, name)


@router.get("/assets/{name}/versions")
def versions(name: str, _: CurrentActor, factory: Sessions) -> list[dict[str, Any]]:
    """Every version, oldest first: number, sha256, size, artifact, createdBy, createdAt,
    change, labels, consumers and impact."""
    found: list[dict[str, Any]] = service.detail(factory, name)["versions"]
    return found


@router.get("/assets/{name}/versions/{version}")
def version(name: str, version: int, _: CurrentActor, factory: Sessions) -> dict[str, Any]:
    """One version's metadata (its content is at .../content)."""
    found = service.version_content(factory, name, version)
    return {k: v for k, v in found.items() if k != "content"}


@router.get("/assets/{name}/versions/{version}/content", response_class=PlainTextResponse)
def content(name: str, version: int, _: CurrentActor, factory: Sessions) -> PlainTextResponse:
    """The version's inline content as text/plain; 404 for an artifact, naming its address."""
    found = service.version_content(factory, name, version)
    if found["artifact"] is not None:
        raise NotFound(
            f"{name} v{version} is an artifact; fetch it from {found['artifact']['url']} "
            f"(sha256 {found['sha256']})"
        )
    # nosniff: a browser shows the text as text, never as a page or a script.
    return PlainTextResponse(found["content"] or "", headers={"X-Content-Type-Options": "nosniff"})


@router.get("/assets/{name}/labels")
def labels(name: str, _: CurrentActor, factory: Sessions) -> dict[str, int]:
    """Where each label points: `{production?, staging?, latest}` → version number."""
    found: dict[str, int] = service.detail(factory, name)["labels"]
    return found


@router.get("/assets/{name}/history")
def history(name: str, _: CurrentActor, factory: Sessions) -> list[dict[str, Any]]:
    """Every label move, oldest first: label, from, to, by, at, rationale, policies."""
    return service.history(factory, name)


@router.get("/assets/{name}/diff")
def diff(
    name: str,
    _: CurrentActor,
    factory: Sessions,
    from_: int = Query(alias="from", ge=1),
    to: int = Query(ge=1),
) -> dict[str, Any]:
    """`{name, from, to, same, artifacts, diff}`: a unified diff of two versions' content."""
    return service.diff(factory, name, from_, to)


@router.post("/assets/{name}/promote")
def promote(
    name: str, body: PromoteRequest, actor: CurrentActor, factory: Sessions
) -> dict[str, Any]:
    """`{asset, label, from, to, evaluation}`; 403 without the right, 409 `gate_blocked` when
    a blocking asset-policy rule fails (nothing changes then)."""
    return service.promote(factory, actor, name, body.version, body.label, body.rationale)


@router.get("/reuse")
def reuse(_: CurrentActor, factory: Sessions, as_of: datetime | None = None) -> dict[str, Any]:
    """`{asOf, reuseRate, promptReuse, mostReused, assets, production, stalePins}`."""
    when = None if as_of is None else (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    return service.portfolio_figures(factory, when)
