"""Sign-in for the pages: a signed session cookie, CSRF tokens on forms, the page actor.

The session is a cookie signed with the workspace's secret key (itsdangerous), not a table:
it holds the signed-in user's email, the id of the API token they signed in with, a CSRF
token and at most one flash message. Every request re-reads the user's roles and checks that
the token is still live, so a role change applies at once and revoking the token ends the
session.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.engine import make_url

from scalegate.access.actor import Actor
from scalegate.access.models import ApiToken
from scalegate.access.service import token_digest
from scalegate.db import transaction
from scalegate.deps import Sessions
from scalegate.settings import Settings

COOKIE = "scalegate_session"
SESSION_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"
SECRET_FILE_SUFFIX = ".secret-key"


class FormRefused(Exception):
    """A form POST came without the session's CSRF token; answered with 403."""


class SignInRequired(Exception):
    """A page was asked for without a live session; the handler redirects to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def secret_key_file(settings: Settings) -> Path:
    """Where a generated key is kept: beside a SQLite workspace, else in the current directory."""
    if settings.secret_key_file:
        return Path(settings.secret_key_file).expanduser()
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_suffix(SECRET_FILE_SUFFIX)
    return Path("scalegate" + SECRET_FILE_SUFFIX)


def signing_key(settings: Settings) -> str:
    """SCALEGATE_SECRET_KEY, or a key generated once and kept in the workspace's key file."""
    if settings.secret_key:
        return settings.secret_key
    path = secret_key_file(settings)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            key = path.read_text(encoding="utf-8").strip()
            if key:
                return key
            time.sleep(0.02)
        raise RuntimeError(f"the secret key file {path} is empty") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


@dataclass
class WebSession:
    """What the session cookie carries."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    email: str | None = None
    token_id: int | None = None
    flash: dict[str, str] | None = None
    changed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The signed payload."""
        return {"csrf": self.csrf, "email": self.email, "tid": self.token_id, "flash": self.flash}

    def say(self, kind: str, text: str) -> None:
        """Leave a message for the next page shown (kind: ok | error)."""
        self.flash = {"kind": kind, "text": text}
        self.changed = True

    def pop_flash(self) -> dict[str, str] | None:
        """The waiting message, once."""
        message, self.flash = self.flash, None
        if message is not None:
            self.changed = True
        return message


def _serializer(request: Request) -> URLSafeTimedSerializer:
    serializer: URLSafeTimedSerializer = request.app.state.session_serializer
    return serializer


def make_serializer(key: str) -> URLSafeTimedSerializer:
    """The signer of session cookies."""
    return URLSafeTimedSerializer(key, salt="scalegate.web.session")


def read_session(request: Request) -> WebSession:
    """The request's session (a fresh anonymous one when the cookie is absent or forged)."""
    cached: WebSession | None = getattr(request.state, "web_session", None)
    if cached is not None:
        return cached
    session = WebSession(changed=True)
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = _serializer(request).loads(raw, max_age=SESSION_SECONDS)
            session = WebSession(
                data["csrf"], data.get("email"), data.get("tid"), data.get("flash")
            )
        except (BadSignature, KeyError, TypeError):
            pass
    request.state.web_session = session
    return session


def write_session(request: Request, response: Response, session: WebSession) -> Response:
    """Set the signed cookie on a response (HttpOnly, SameSite=Lax, Secure over HTTPS)."""
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(session.as_dict()),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def clear_session(response: Response) -> Response:
    """Remove the session cookie."""
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


def start_session(request: Request, factory: Any, email: str, token: str) -> WebSession | None:
    """Sign in with a user's email and one of their live API tokens; None when they don't match.

    The new session gets a new CSRF token, so a token seen before signing in is worthless after.
    """
    with transaction(factory) as db:
        row = db.scalar(
            select(ApiToken).where(
                ApiToken.digest == token_digest(token.strip()), ApiToken.revoked_at.is_(None)
            )
        )
        if row is None or row.user.email != email.strip().lower():
            return None
        session = WebSession(email=row.user.email, token_id=row.id, changed=True)
    request.state.web_session = session
    return session


def session_actor(factory: Any, session: WebSession) -> Actor | None:
    """The signed-in actor with their current roles, or None when the token was revoked."""
    if session.email is None or session.token_id is None:
        return None
    with transaction(factory) as db:
        row = db.scalar(
            select(ApiToken).where(ApiToken.id == session.token_id, ApiToken.revoked_at.is_(None))
        )
        if row is None or row.user.email != session.email:
            return None
        return Actor(row.user.email, frozenset(row.user.roles))


def page_actor(request: Request, factory: Sessions) -> Actor:
    """The signed-in actor of a page request; redirects to /login without one."""
    actor = session_actor(factory, read_session(request))
    if actor is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


async def csrf_protected(request: Request) -> None:
    """Refuse (403) a form POST whose hidden CSRF field does not match the session's token."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = read_session(request).csrf
    if not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise FormRefused("the form's security token is missing or out of date")


def login_redirect(next_url: str) -> str:
    """The /login address that comes back to next_url after signing in."""
    return "/login?next=" + quote(next_url, safe="/")


def safe_next(next_url: str | None) -> str:
    """Only same-site paths are followed after signing in (no open redirect)."""
    if not next_url or not next_url.startswith("/") or next_url.startswith("//"):
        return "/"
    if "\\" in next_url:
        return "/"
    return next_url
