"""Roles and decision rights: which role may take which action."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

Role = Literal[
    "admin",
    "executive",
    "value-office",
    "product-owner",
    "platform",
    "controls",
    "enablement",
    "viewer",
]
ROLES: tuple[str, ...] = get_args(Role)

DEFAULT_SIGNOFF_ITEMS: tuple[str, ...] = (
    "sponsor-approval",
    "risk-review",
    "data-review",
    "security-review",
    "change-plan",
    "training-artifacts",
    "support-model",
    "reuse-review",
)
DEFAULT_WAIVER_MAX_DAYS = 90

# Every role can read; these are the mutations and who may make them. admin may do anything.
# A DecisionRights document overlays this map action by action.
DECISION_RIGHTS: dict[str, frozenset[str]] = {
    "theme.write": frozenset({"value-office"}),
    "rubric.write": frozenset({"value-office"}),
    "kpi.write": frozenset({"value-office", "product-owner", "platform"}),
    "initiative.write": frozenset({"value-office", "product-owner"}),
    "policy.write": frozenset({"controls"}),
    "model.write": frozenset({"platform"}),
    "slo.write": frozenset({"platform", "product-owner"}),
    "evidence.write": frozenset({"platform", "product-owner", "value-office"}),
    "asset.write": frozenset({"platform", "enablement"}),
    "asset.promote": frozenset({"platform", "enablement"}),
    "asset.promote:policy": frozenset({"platform", "enablement", "controls"}),
    "rights.write": frozenset(),
    "user.write": frozenset(),
    "token.write": frozenset(),
    "advance:prove": frozenset({"value-office", "product-owner"}),
    "advance:industrialize": frozenset({"value-office"}),
    "advance:adopt": frozenset({"value-office", "executive"}),
    "advance:govern": frozenset({"value-office", "executive"}),
    "advance:expand": frozenset({"executive"}),
    "step-back": frozenset({"value-office", "controls"}),
    "retire": frozenset({"value-office", "executive"}),
    "waive": frozenset({"controls"}),
    "sweep": frozenset({"controls", "value-office"}),
    "signoff:sponsor-approval": frozenset({"executive", "value-office"}),
    "signoff:risk-review": frozenset({"controls"}),
    "signoff:data-review": frozenset({"controls", "platform"}),
    "signoff:security-review": frozenset({"controls", "platform"}),
    "signoff:change-plan": frozenset({"enablement", "product-owner"}),
    "signoff:training-artifacts": frozenset({"enablement"}),
    "signoff:support-model": frozenset({"platform", "enablement"}),
    "signoff:reuse-review": frozenset({"platform", "value-office"}),
}
ACTION_PATTERN = re.compile(
    r"^(?:[a-z]+\.write|asset\.promote(?::policy)?|advance:(?:prove|industrialize|adopt|govern|expand)"
    r"|step-back|retire|waive|sweep|signoff:[a-z0-9-]+)$"
)


@dataclass(frozen=True)
class DecisionRights:
    """The rights in force: who may do what, which items can be signed, how long waivers last."""

    rights: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(DECISION_RIGHTS))
    signoff_items: tuple[str, ...] = DEFAULT_SIGNOFF_ITEMS
    waiver_max_days: int = DEFAULT_WAIVER_MAX_DAYS

    def may(self, roles: Iterable[str], action: str) -> bool:
        """Whether an actor holding these roles may take the action."""
        return may(roles, action, self.rights)


DEFAULT_RIGHTS = DecisionRights()


def overlay(
    rights: Mapping[str, Iterable[str]],
    signoff_items: Iterable[str] | None = None,
    waiver_max_days: int | None = None,
) -> DecisionRights:
    """The built-in rights with a DecisionRights document's entries laid over them."""
    merged = dict(DECISION_RIGHTS)
    merged.update({action: frozenset(roles) for action, roles in rights.items()})
    return DecisionRights(
        merged,
        tuple(signoff_items) if signoff_items is not None else DEFAULT_SIGNOFF_ITEMS,
        waiver_max_days if waiver_max_days is not None else DEFAULT_WAIVER_MAX_DAYS,
    )


def may(
    roles: Iterable[str], action: str, rights: Mapping[str, frozenset[str]] = DECISION_RIGHTS
) -> bool:
    """Whether an actor holding these roles may take the action (admin may do anything)."""
    held = set(roles)
    if "admin" in held:
        return True
    return bool(held & rights.get(action, frozenset()))
