"""The asset library pages: /assets to find assets and compare their reuse, /assets/{name} for
one asset's labels, versions, consumers, a diff, a content preview and the promote form."""

from __future__ import annotations

from datetime import UTC, datetime
from math import ceil
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import QueryParams

from scalegate.access.actor import Actor
from scalegate.assets import service
from scalegate.assets.pages_reads import library_tags
from scalegate.core.assets import ASSET_TYPES, LATEST, LIFECYCLES, MOVABLE_LABELS
from scalegate.deps import Sessions
from scalegate.errors import GateBlocked, NotFound, ScalegateError
from scalegate.web import queries
from scalegate.web.auth import PageActor, csrf_protected, read_session
from scalegate.web.page_cache import Page, cached_render
from scalegate.web.render import render

router = APIRouter(include_in_schema=False)
forms = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])
PAGE_SIZE = 50
FILTERS = ("q", "type", "tag", "lifecycle")
LABEL_ORDER = (*MOVABLE_LABELS, LATEST)
PROMOTE_FIELDS = ("version", "label", "rationale")
# A promote's outcome travels as a flash marked with this, and shows beside the form.
ABOUT_PROMOTE = "promote"


def _number(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


@router.get("/assets", response_class=HTMLResponse)
def library_page(request: Request, actor: PageActor, factory: Sessions) -> HTMLResponse:
    """The library: search, filter by type, tag and lifecycle, sort by name, reuse or change."""
    return cached_render(request, actor, factory, lambda _: _library(request.query_params, factory))


def _library(params: QueryParams, factory: Any) -> Page:
    chosen = {key: (params.get(key) or "").strip() or None for key in FILTERS}
    sort = params.get("sort") or "name"
    sort = sort if sort in service.SORTS else "name"
    page = max(_number(params.get("page")) or 1, 1)
    found = service.library(
        factory,
        type_=chosen["type"],
        tag=chosen["tag"],
        q=chosen["q"],
        lifecycle=chosen["lifecycle"],
        sort=sort,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    pages = max(ceil(found["total"] / PAGE_SIZE), 1)
    kept = {k: v for k, v in {**chosen, "sort": sort}.items() if v and v != "name"}

    def link(number: int) -> str | None:
        return "/assets?" + urlencode({**kept, "page": number}) if 1 <= number <= pages else None

    context = {
        "assets": found["assets"],
        "total": found["total"],
        "chosen": chosen,
        "filtered": any(chosen.values()),
        "sort": sort,
        "sorts": service.SORTS,
        "types": ASSET_TYPES,
        "lifecycles": LIFECYCLES,
        "tags": library_tags(factory),
        "label_order": LABEL_ORDER,
        "page": page,
        "pages": pages,
        "first": (page - 1) * PAGE_SIZE + 1,
        "previous": link(page - 1),
        "next": link(page + 1),
    }
    return Page("assets.html", context)


@router.get("/assets/{name}", response_class=HTMLResponse)
def asset_page(name: str, request: Request, actor: PageActor, factory: Sessions) -> HTMLResponse:
    """One asset: labels and their moves, versions, consumers, a diff, content, promote."""
    flash = read_session(request).flash
    outcome = flash if flash and flash.get("about") == ABOUT_PROMOTE else None
    return cached_render(
        request,
        actor,
        factory,
        lambda viewer: _asset(name, request.query_params, viewer, factory, outcome),
    )


def _asset(
    name: str,
    params: QueryParams,
    actor: Actor,
    factory: Any,
    outcome: dict[str, Any] | None = None,
    entered: dict[str, str] | None = None,
) -> Page:
    """The asset page as `actor` sees it; `outcome` and `entered` are a promote's result."""
    try:
        asset = service.detail(factory, name, datetime.now(UTC))
    except NotFound as error:
        return Page("not_found.html", {"reason": error.message}, 404)
    latest = asset["latest"]
    # The right needed depends on the type (the Controls role may promote policies).
    action = service.promote_action(asset["type"])
    context: dict[str, Any] = {
        "asset": asset,
        "history": service.history(factory, name)[::-1],
        "label_order": LABEL_ORDER,
        "diff": _diff(factory, name, latest, params),
        "preview": _preview(factory, name, latest, params),
        "may_promote": queries.rights(factory).may(actor.roles, action),
        "promote_labels": MOVABLE_LABELS,
        "outcome": outcome,
        "entered": entered or {"version": str(latest), "label": MOVABLE_LABELS[0]},
    }
    if outcome is not None:
        context["flash"] = None  # shown beside the form instead
    return Page("asset.html", context)


def _diff_lines(text: str) -> list[tuple[str, str]]:
    """Each line of a unified diff with its kind: file, hunk, add, del or same."""
    lines = []
    for line in text.splitlines():
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        else:
            kind = {"+": "add", "-": "del"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines


def _diff(factory: Any, name: str, latest: int, params: QueryParams) -> dict[str, Any]:
    """The diff asked for by ?from=A&to=B (default: the version before the latest → latest)."""
    a = _number(params.get("from")) or max(latest - 1, 1)
    b = _number(params.get("to")) or latest
    try:
        found = service.diff(factory, name, a, b)
    except NotFound as error:
        return {"from": a, "to": b, "lines": [], "error": error.message}
    return {**found, "lines": _diff_lines(found["diff"])}


def _preview(factory: Any, name: str, latest: int, params: QueryParams) -> dict[str, Any]:
    """The version asked for by ?version=N (default latest), or why it cannot be shown."""
    number = _number(params.get("version")) or latest
    try:
        return service.version_content(factory, name, number)
    except NotFound as error:
        return {"version": number, "error": error.message}


def _moved(result: dict[str, Any]) -> str:
    rules = result["evaluation"]["rules"]
    checked = f"; {len(rules)} policy rule(s) pass" if rules else ""
    before = f"v{result['from']}" if result["from"] is not None else "nowhere"
    return f"{result['label']} moved from {before} to v{result['to']}{checked}."


@forms.post("/assets/{name}/promote", response_model=None)
async def promote(name: str, request: Request, actor: PageActor, factory: Sessions) -> Response:
    """Move a label through the same service as the CLI and API; a refusal keeps the values."""
    form = await request.form()
    entered = {key: str(form.get(key) or "").strip() for key in PROMOTE_FIELDS}
    try:
        result = service.promote(
            factory,
            actor,
            name,
            _number(entered["version"]) or 0,
            entered["label"],
            entered["rationale"],
        )
    except ScalegateError as error:
        outcome = {
            "kind": "error",
            "text": f"Not moved: {error.message}.",
            "blocked": isinstance(error, GateBlocked),
            "problems": [{"path": p.path, "message": p.message} for p in error.details],
        }
        # The page answers the form (200, like the initiative forms' redirect to a flash);
        # only an unknown asset is a 404.
        page = _asset(name, QueryParams(), actor, factory, outcome, entered)
        return render(request, actor, page.template, page.context, page.status_code)
    session = read_session(request)
    session.flash = {"kind": "ok", "text": _moved(result), "about": ABOUT_PROMOTE}
    session.changed = True
    return RedirectResponse(f"/assets/{name}#promote", status_code=303)


router.include_router(forms)
