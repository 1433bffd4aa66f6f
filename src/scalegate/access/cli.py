"""`scalegate user ...` and `scalegate token ...`."""

from __future__ import annotations

import typer
from rich.table import Table

from scalegate.access import service
from scalegate.cli_support import JsonOption, console, errors, print_json, state
from scalegate.core.decision_rights import ROLES

users = typer.Typer(help="Manage users and their roles.", no_args_is_help=True)
tokens = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
ROLE_HELP = f"A role (repeatable): {', '.join(ROLES)}."


@users.command("add")
def add(
    ctx: typer.Context,
    email: str,
    role: list[str] = typer.Option(..., "--role", "-r", help=ROLE_HELP),
) -> None:
    """Create a user with one or more roles."""
    sg = state(ctx)
    user = service.add_user(sg.workspace().sessions, sg.actor(), email, role)
    console.print(f"added {user.email} ({', '.join(user.roles)})")


@users.command("set-roles")
def set_roles(
    ctx: typer.Context,
    email: str,
    role: list[str] = typer.Option(..., "--role", "-r", help=ROLE_HELP),
) -> None:
    """Replace a user's roles."""
    sg = state(ctx)
    user = service.set_roles(sg.workspace().sessions, sg.actor(), email, role)
    console.print(f"{user.email} now has {', '.join(user.roles)}")


@users.command("remove")
def remove(ctx: typer.Context, email: str) -> None:
    """Delete a user and their tokens."""
    sg = state(ctx)
    service.remove_user(sg.workspace().sessions, sg.actor(), email)
    console.print(f"removed {email}")


@users.command("list")
def list_users(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List users with their roles."""
    rows = service.list_users(state(ctx).workspace().sessions)
    if as_json:
        print_json([{"email": u.email, "roles": u.roles, "tokens": u.tokens} for u in rows])
        return
    table = Table("email", "roles", "live tokens")
    for u in rows:
        table.add_row(u.email, ", ".join(u.roles), str(u.tokens))
    console.print(table)


@tokens.command("create")
def create(
    ctx: typer.Context,
    email: str,
    name: str = typer.Option("default", help="A label to tell tokens apart."),
    as_json: bool = JsonOption,
) -> None:
    """Issue an API token for a user; it is shown once and only its hash is kept."""
    sg = state(ctx)
    issued = service.create_token(sg.workspace().sessions, sg.actor(), email, name)
    if as_json:
        print_json(
            {
                "email": issued.email,
                "name": issued.name,
                "token": issued.token,
                "prefix": issued.prefix,
            }
        )
        return
    typer.echo(issued.token)
    errors.print(f"token for {issued.email} (prefix {issued.prefix}); it will not be shown again")


@tokens.command("revoke")
def revoke(ctx: typer.Context, prefix: str) -> None:
    """Revoke a token by the prefix shown when it was created."""
    sg = state(ctx)
    service.revoke_token(sg.workspace().sessions, sg.actor(), prefix)
    console.print(f"revoked {prefix}")
