"""The web application: REST API, pages, and one mapping of errors to responses."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from scalegate import __version__
from scalegate.assets import api as assets_api
from scalegate.errors import ScalegateError
from scalegate.evaluations import api as evaluations_api
from scalegate.evidence import api as evidence_api
from scalegate.gates import api as gates_api
from scalegate.manifests import api as manifests_api
from scalegate.portfolio import api as portfolio_api
from scalegate.risks import api as risks_api
from scalegate.settings import Settings, get_settings
from scalegate.slo import api as slo_api
from scalegate.usage import api as usage_api
from scalegate.web.site import install_pages
from scalegate.workspace import open_workspace

STATIC = Path(__file__).parent / "static"


def error_body(code: str, message: str, details: list[dict[str, object]]) -> dict[str, object]:
    """The stable JSON error shape."""
    return {"error": {"code": code, "message": message, "details": details}}


def _problem_dict(problem: object) -> dict[str, object]:
    path = getattr(problem, "path", "")
    where = [str(p) for p in (getattr(problem, "object", None), path) if p]
    detail: dict[str, object] = {
        "path": ": ".join(where),
        "message": getattr(problem, "message", ""),
    }
    if getattr(problem, "line", None) is not None:
        detail["line"] = problem.line  # type: ignore[attr-defined]
    return detail


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for one workspace (settings are read from the environment if not given)."""
    settings = settings or get_settings()
    workspace = open_workspace(settings)
    workspace.require_current()
    app = FastAPI(
        title="scalegate",
        version=__version__,
        description="Control plane of a pilot-to-scale operating model.",
    )
    app.state.workspace = workspace
    app.state.settings = settings

    @app.exception_handler(ScalegateError)
    async def _domain_error(_: Request, error: ScalegateError) -> JSONResponse:
        details = [_problem_dict(p) for p in error.details]
        headers = {"WWW-Authenticate": "Bearer"} if error.http_status == 401 else None
        return JSONResponse(
            error_body(error.code, error.message, details), error.http_status, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _request_error(_: Request, error: RequestValidationError) -> JSONResponse:
        details: list[dict[str, object]] = [
            {"path": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in error.errors()
        ]
        return JSONResponse(error_body("invalid_input", "invalid request", details), 422)

    app.include_router(manifests_api.router)
    app.include_router(portfolio_api.router)
    app.include_router(gates_api.router)
    app.include_router(assets_api.router)
    app.include_router(evidence_api.router)
    app.include_router(evaluations_api.router)
    app.include_router(usage_api.router)
    app.include_router(slo_api.router)
    app.include_router(risks_api.router)
    install_pages(app, settings)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
