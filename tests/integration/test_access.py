"""Users, roles and tokens: secrets are shown once and stored only as hashes."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from scalegate.access import service as access
from scalegate.access.actor import Actor
from scalegate.access.models import ApiToken
from scalegate.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from scalegate.workspace import Workspace
from tests.conftest import ADMIN


def test_token_is_stored_only_as_its_sha256(workspace: Workspace) -> None:
    access.add_user(workspace.sessions, ADMIN, "Ana@Northwind.example", ["product-owner", "viewer"])
    issued = access.create_token(workspace.sessions, ADMIN, "ana@northwind.example")
    with workspace.sessions() as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.digest == hashlib.sha256(issued.token.encode()).hexdigest()
        assert issued.token not in (row.digest, row.prefix, row.name)
    actor = access.authenticate(workspace.sessions, issued.token)
    assert actor == Actor("ana@northwind.example", frozenset({"product-owner", "viewer"}))


def test_revoked_and_unknown_tokens_are_refused(workspace: Workspace) -> None:
    access.add_user(workspace.sessions, ADMIN, "ana@northwind.example", ["viewer"])
    issued = access.create_token(workspace.sessions, ADMIN, "ana@northwind.example")
    access.revoke_token(workspace.sessions, ADMIN, issued.prefix)
    with pytest.raises(Unauthenticated):
        access.authenticate(workspace.sessions, issued.token)
    with pytest.raises(Unauthenticated):
        access.authenticate(workspace.sessions, "sg_made-up")


def test_bad_input_and_duplicates(workspace: Workspace) -> None:
    with pytest.raises(InvalidInput, match="unknown role"):
        access.add_user(workspace.sessions, ADMIN, "ana@northwind.example", ["wizard"])
    with pytest.raises(InvalidInput, match="invalid email"):
        access.add_user(workspace.sessions, ADMIN, "not-an-email", ["viewer"])
    access.add_user(workspace.sessions, ADMIN, "ana@northwind.example", ["viewer"])
    with pytest.raises(Conflict):
        access.add_user(workspace.sessions, ADMIN, "ANA@northwind.example", ["viewer"])


def test_only_admins_manage_users(workspace: Workspace) -> None:
    office = Actor("vo@northwind.example", frozenset({"value-office"}))
    with pytest.raises(Forbidden):
        access.add_user(workspace.sessions, office, "ana@northwind.example", ["viewer"])


def test_removing_a_user_removes_their_tokens(workspace: Workspace) -> None:
    access.add_user(workspace.sessions, ADMIN, "ana@northwind.example", ["viewer"])
    issued = access.create_token(workspace.sessions, ADMIN, "ana@northwind.example")
    access.remove_user(workspace.sessions, ADMIN, "ana@northwind.example")
    with pytest.raises(Unauthenticated):
        access.authenticate(workspace.sessions, issued.token)
    assert access.list_users(workspace.sessions) == []
