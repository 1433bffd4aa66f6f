"""Wiring of the pages into the app: session cookie, sign-in redirects, the chart bundle."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from functools import cache

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scalegate.settings import Settings
from scalegate.web import (
    assets_pages,
    audit_page,
    dashboard,
    initiative,
    pages,
    reviews_page,
    risks_page,
    signin,
)
from scalegate.web.auth import (
    FormRefused,
    SignInRequired,
    login_redirect,
    make_serializer,
    signing_key,
    write_session,
)
from scalegate.web.page_cache import PageCache
from scalegate.web.render import TEMPLATES

BUNDLE_PATH = "/vendor/vega-embed.js"
vendor = APIRouter(include_in_schema=False)


@cache
def vega_bundle() -> tuple[str, str]:
    """vega, vega-lite and vega-embed as one script (from vl-convert, built once per process)."""
    import vl_convert

    # The stub makes `snippet` required; the runtime default (globals on window) is what we want.
    source: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]
    return source, hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


@vendor.get(BUNDLE_PATH)
def vega_embed_script(request: Request) -> Response:
    """The chart runtime, served from this process: no CDN, works offline, cached by browsers."""
    source, etag = vega_bundle()
    headers = {"Cache-Control": "public, max-age=86400", "ETag": f'"{etag}"'}
    if request.headers.get("if-none-match") == f'"{etag}"':
        return Response(status_code=304, headers=headers)
    return Response(source, media_type="text/javascript", headers=headers)


def install_pages(app: FastAPI, settings: Settings) -> None:
    """Add the signed-in pages, their session handling and the chart bundle to the app."""
    app.state.session_serializer = make_serializer(signing_key(settings))
    app.state.page_cache = PageCache(settings.page_cache_seconds)

    @app.middleware("http")
    async def _session_cookie(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        session = getattr(request.state, "web_session", None)
        if session is not None and session.changed:
            write_session(request, response, session)
        return response

    @app.exception_handler(SignInRequired)
    async def _sign_in(_: Request, error: SignInRequired) -> RedirectResponse:
        return RedirectResponse(login_redirect(error.next_url), status_code=303)

    @app.exception_handler(FormRefused)
    async def _refused(request: Request, error: FormRefused) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            request,
            "refused.html",
            {"reason": str(error), "actor": None, "nav": (), "path": request.url.path},
            status_code=403,
        )

    for router in (
        vendor,
        signin.router,
        pages.router,
        dashboard.router,
        initiative.router,
        audit_page.router,
        risks_page.router,
        reviews_page.router,
        assets_pages.router,
    ):
        app.include_router(router)
