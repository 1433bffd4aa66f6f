"""What every CLI command shares: the workspace, the acting user, and output helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import typer
from rich.console import Console

from scalegate.access.actor import Actor, local_actor
from scalegate.access.service import actor_for
from scalegate.settings import Settings, get_settings
from scalegate.workspace import Workspace, open_workspace

console = Console()
errors = Console(stderr=True)


@dataclass
class State:
    """Per-invocation state, created by the root callback."""

    act_as: str | None = None
    _settings: Settings | None = None
    _workspace: Workspace | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = get_settings()
        return self._settings

    def workspace(self, *, initialised: bool = True) -> Workspace:
        """The workspace named by SCALEGATE_DATABASE_URL; checked to be initialised by default."""
        if self._workspace is None:
            self._workspace = open_workspace(self.settings)
        if initialised:
            self._workspace.require_current()
        return self._workspace

    def actor(self) -> Actor:
        """`local:<os user>` with admin rights, or the user named by --as."""
        if self.act_as is None:
            return local_actor()
        return actor_for(self.workspace().sessions, self.act_as)


def state(ctx: typer.Context) -> State:
    """The State of this invocation."""
    found = ctx.find_root().obj
    assert isinstance(found, State)
    return found


def print_json(value: Any) -> None:
    """Machine-readable output for scripts (--json)."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")
