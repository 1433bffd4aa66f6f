"""Roles and decision rights: which role may take which action."""

from __future__ import annotations

from collections.abc import Iterable

ROLES: tuple[str, ...] = (
    "admin",
    "executive",
    "value-office",
    "product-owner",
    "platform",
    "controls",
    "enablement",
    "viewer",
)

# Every role can read; these are the mutations and who may make them. admin may do anything.
DECISION_RIGHTS: dict[str, frozenset[str]] = {
    "theme.write": frozenset({"value-office"}),
    "rubric.write": frozenset({"value-office"}),
    "kpi.write": frozenset({"value-office", "product-owner", "platform"}),
    "initiative.write": frozenset({"value-office", "product-owner"}),
    "user.write": frozenset(),
    "token.write": frozenset(),
}


def may(roles: Iterable[str], action: str) -> bool:
    """Whether an actor holding these roles may take the action."""
    held = set(roles)
    if "admin" in held:
        return True
    return bool(held & DECISION_RIGHTS.get(action, frozenset()))
