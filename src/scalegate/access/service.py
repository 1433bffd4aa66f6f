"""Use cases for users and tokens; every change is audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.access.models import ApiToken, User
from scalegate.audit.service import AuditLog
from scalegate.core.decision_rights import ROLES
from scalegate.db import transaction
from scalegate.errors import Conflict, InvalidInput, NotFound, Problem, Unauthenticated

TOKEN_PREFIX = "sg_"


@dataclass(frozen=True)
class UserView:
    """A user as shown to callers."""

    email: str
    roles: list[str]
    tokens: int


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token: the secret is shown once, then only its digest exists."""

    email: str
    name: str
    token: str
    prefix: str


def token_digest(token: str) -> str:
    """SHA-256 of a token; tokens carry 256 bits of randomness, so no slow hash is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    """Validate an email address's syntax and return its normal form."""
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput(f"invalid email {email!r}", [Problem("email", str(error))]) from error


def check_roles(roles: list[str]) -> list[str]:
    """Reject unknown role names, naming the valid ones."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        message = f"unknown role(s) {', '.join(unknown)}" if unknown else "at least one role"
        raise InvalidInput(
            f"{message}; valid roles: {', '.join(ROLES)}", [Problem("roles", message)]
        )
    return sorted(set(roles))


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"no user {email}")
    return user


def add_user(
    factory: sessionmaker[Session], actor: Actor, email: str, roles: list[str]
) -> UserView:
    """Create a user with roles."""
    actor.require("user.write")
    address, role_list = normalise_email(email), check_roles(roles)
    with transaction(factory) as session:
        if session.scalar(select(User.id).where(User.email == address)) is not None:
            raise Conflict(f"user {address} exists already")
        session.add(User(email=address, roles=role_list, created_at=datetime.now(UTC)))
        AuditLog(session).append(actor.name, "user.create", f"User/{address}", {"roles": role_list})
    return UserView(address, role_list, 0)


def set_roles(
    factory: sessionmaker[Session], actor: Actor, email: str, roles: list[str]
) -> UserView:
    """Replace a user's roles."""
    actor.require("user.write")
    role_list = check_roles(roles)
    with transaction(factory) as session:
        user = _user(session, email)
        user.roles = role_list
        AuditLog(session).append(
            actor.name, "user.roles", f"User/{user.email}", {"roles": role_list}
        )
        return UserView(user.email, role_list, len(user.tokens))


def remove_user(factory: sessionmaker[Session], actor: Actor, email: str) -> None:
    """Delete a user and every token of theirs."""
    actor.require("user.write")
    with transaction(factory) as session:
        user = _user(session, email)
        session.delete(user)
        AuditLog(session).append(actor.name, "user.delete", f"User/{user.email}", {})


def list_users(factory: sessionmaker[Session]) -> list[UserView]:
    """Every user with their roles and count of live tokens."""
    with transaction(factory) as session:
        users = session.scalars(select(User).order_by(User.email))
        return [
            UserView(u.email, list(u.roles), sum(t.revoked_at is None for t in u.tokens))
            for u in users
        ]


def create_token(
    factory: sessionmaker[Session], actor: Actor, email: str, name: str = "default"
) -> IssuedToken:
    """Issue a new bearer token for a user; the secret is returned once and never stored."""
    actor.require("token.write")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    prefix = secret[:10]
    with transaction(factory) as session:
        user = _user(session, email)
        session.add(
            ApiToken(
                user=user,
                name=name,
                prefix=prefix,
                digest=token_digest(secret),
                created_at=datetime.now(UTC),
            )
        )
        AuditLog(session).append(
            actor.name, "token.create", f"User/{user.email}", {"name": name, "prefix": prefix}
        )
        return IssuedToken(user.email, name, secret, prefix)


def revoke_token(factory: sessionmaker[Session], actor: Actor, prefix: str) -> None:
    """Revoke the live token whose shown prefix matches."""
    actor.require("token.write")
    with transaction(factory) as session:
        token = session.scalar(
            select(ApiToken).where(ApiToken.prefix == prefix, ApiToken.revoked_at.is_(None))
        )
        if token is None:
            raise NotFound(f"no live token with prefix {prefix}")
        token.revoked_at = datetime.now(UTC)
        AuditLog(session).append(
            actor.name, "token.revoke", f"User/{token.user.email}", {"prefix": prefix}
        )


def authenticate(factory: sessionmaker[Session], token: str) -> Actor:
    """The actor a bearer token stands for; Unauthenticated when unknown or revoked."""
    with transaction(factory) as session:
        row = session.scalar(
            select(ApiToken).where(
                ApiToken.digest == token_digest(token), ApiToken.revoked_at.is_(None)
            )
        )
        if row is None:
            raise Unauthenticated("unknown or revoked token")
        return Actor(row.user.email, frozenset(row.user.roles))


def actor_for(factory: sessionmaker[Session], email: str) -> Actor:
    """Act as a registered user (the CLI's --as)."""
    with transaction(factory) as session:
        user = _user(session, email)
        return Actor(user.email, frozenset(user.roles))
