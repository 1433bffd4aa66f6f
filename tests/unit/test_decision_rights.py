"""Decision rights: admin may do anything, viewers and executives change nothing."""

from __future__ import annotations

import pytest

from scalegate.access.actor import Actor
from scalegate.core.decision_rights import DECISION_RIGHTS, ROLES, may
from scalegate.errors import Forbidden


@pytest.mark.parametrize("action", sorted(DECISION_RIGHTS))
def test_admin_may_everything_and_viewer_nothing(action: str) -> None:
    assert may({"admin"}, action)
    assert not may({"viewer"}, action)


def test_executives_approve_big_transitions_but_edit_nothing() -> None:
    assert may({"executive"}, "advance:expand")
    assert not may({"executive"}, "advance:industrialize")
    assert not any(may({"executive"}, a) for a in DECISION_RIGHTS if a.endswith(".write"))


def test_product_owner_writes_initiatives_but_not_themes() -> None:
    assert may({"product-owner"}, "initiative.write")
    assert not may({"product-owner"}, "theme.write")
    assert may({"value-office"}, "theme.write")


def test_every_right_names_known_roles() -> None:
    assert all(role in ROLES for roles in DECISION_RIGHTS.values() for role in roles)


def test_actor_require_names_actor_roles_and_action() -> None:
    with pytest.raises(Forbidden, match=r"ana@x.example \(viewer\) may not theme.write"):
        Actor("ana@x.example", frozenset({"viewer"})).require("theme.write")
