"""FastAPI dependencies: the workspace of the running app and the authenticated actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.access.service import authenticate
from scalegate.errors import Unauthenticated

bearer = HTTPBearer(auto_error=False, description="An API token from `scalegate token create`")


def sessions(request: Request) -> sessionmaker[Session]:
    """The session factory of the app's workspace."""
    factory: sessionmaker[Session] = request.app.state.workspace.sessions
    return factory


Sessions = Annotated[sessionmaker[Session], Depends(sessions)]


def current_actor(
    factory: Sessions,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The actor behind the request's bearer token; 401 without a valid one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated()
    return authenticate(factory, credentials.credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]
