"""/login and /logout: a user's email and one of their API tokens open a session."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scalegate.deps import Sessions
from scalegate.web.auth import (
    WebSession,
    csrf_protected,
    read_session,
    safe_next,
    session_actor,
    start_session,
)
from scalegate.web.render import render

router = APIRouter(include_in_schema=False)
forms = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protected)])


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, factory: Sessions, next: str | None = None) -> HTMLResponse:
    """The sign-in form (it also says who is signed in already)."""
    actor = session_actor(factory, read_session(request))
    return render(request, actor, "login.html", {"next": safe_next(next), "error": None})


@forms.post("/login", response_model=None)
async def login(request: Request, factory: Sessions) -> Response:
    """Check the email and token; on success a new session and a redirect to `next`."""
    form = await request.form()
    email, token = str(form.get("email", "")), str(form.get("token", ""))
    target = safe_next(str(form.get("next", "/")))
    session = start_session(request, factory, email, token)
    if session is None:
        context = {"next": target, "error": "That email and token do not match a live token."}
        return render(request, None, "login.html", context, status_code=401)
    return RedirectResponse(target, status_code=303)


@forms.post("/logout")
async def logout(request: Request) -> RedirectResponse:
    """End the session (a fresh anonymous one replaces it) and go to the sign-in form."""
    request.state.web_session = WebSession(changed=True)
    return RedirectResponse("/login", status_code=303)


router.include_router(forms)
