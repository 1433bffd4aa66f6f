"""Rendering pages: one Jinja2 environment, and the context every page shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from scalegate.access.actor import Actor
from scalegate.core.decision_rights import DecisionRights
from scalegate.web.auth import CSRF_FIELD, read_session

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
NAV = (
    ("/", "Portfolio"),
    ("/dashboard", "Dashboard"),
    ("/assets", "Assets"),
    ("/audit", "Audit log"),
)


def _percent(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _when(value: str | datetime | None) -> str:
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _day(value: str | datetime | None) -> str:
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.strftime("%Y-%m-%d")


TEMPLATES.env.filters.update(percent=_percent, number=_number, when=_when, day=_day)


def may(actor: Actor, rights: DecisionRights) -> Callable[[str], bool]:
    """`may('waive')` in templates: whether the signed-in actor holds that decision right."""
    return lambda action: rights.may(actor.roles, action)


def shared_context(
    request: Request, actor: Actor | None, csrf_token: str, flash: dict[str, str] | None
) -> dict[str, Any]:
    """What the layout needs besides the page's own context."""
    return {
        "actor": actor,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token,
        "flash": flash,
        "nav": NAV,
        "path": request.url.path,
    }


def render(
    request: Request,
    actor: Actor | None,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """A page in the shared layout, with the actor, the CSRF field and any flash message."""
    session = read_session(request)
    shared = shared_context(request, actor, session.csrf, session.pop_flash())
    return TEMPLATES.TemplateResponse(
        request, template, {**shared, **context}, status_code=status_code
    )
