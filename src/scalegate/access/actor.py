"""The actor on whose behalf a service call runs."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from scalegate.core.decision_rights import DEFAULT_RIGHTS, DecisionRights
from scalegate.errors import Forbidden


@dataclass(frozen=True)
class Actor:
    """Who acts, and under which roles."""

    name: str
    roles: frozenset[str]

    def require(self, action: str, rights: DecisionRights = DEFAULT_RIGHTS) -> None:
        """Raise Forbidden unless the actor's roles allow the action under these rights."""
        if not rights.may(self.roles, action):
            held = ", ".join(sorted(self.roles)) or "no role"
            raise Forbidden(f"{self.name} ({held}) may not {action}")


def local_actor() -> Actor:
    """The operator of a local workspace: `local:<os user>` with admin rights."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(f"local:{user}", frozenset({"admin"}))
