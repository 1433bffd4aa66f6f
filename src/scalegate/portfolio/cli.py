"""`scalegate list`, `show` and `rank`."""

from __future__ import annotations

import typer
import yaml
from rich.table import Table

from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.core.lifecycle import RiskTier, Stage
from scalegate.gates import service as gates
from scalegate.portfolio import service


def _priority(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def list_(
    ctx: typer.Context,
    theme: str | None = typer.Option(None, help="Only this theme."),
    stage: Stage | None = typer.Option(None, help="Only this stage."),
    owner: str | None = typer.Option(
        None, help="Only initiatives where this person holds an owner role."
    ),
    risk_tier: RiskTier | None = typer.Option(None, "--risk-tier", help="Only this risk tier."),
    as_json: bool = JsonOption,
) -> None:
    """List initiatives by theme and stage."""
    rows = service.list_initiatives(
        state(ctx).workspace().sessions,
        theme=theme,
        stage=stage.value if stage else None,
        owner=owner,
        risk_tier=risk_tier.value if risk_tier else None,
    )
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table("theme", "stage", "initiative", "risk", "priority", "rank")
    for r in rows:
        table.add_row(
            r.theme,
            r.stage,
            r.name,
            r.risk_tier or "—",
            _priority(r.priority),
            str(r.rank or "—"),
        )
    console.print(table)
    console.print(f"{len(rows)} initiative(s)")


def show(ctx: typer.Context, name: str, as_json: bool = JsonOption) -> None:
    """Show one initiative in full, with its priority and rank."""
    factory = state(ctx).workspace().sessions
    document = service.show_initiative(factory, name)
    document["status"].update(gates.status(factory, name))
    if as_json:
        print_json(document)
    else:
        typer.echo(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), nl=False)


def rank(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Print the priority order from the rubric (unscored initiatives last)."""
    ranked = service.ranking(state(ctx).workspace().sessions)
    if as_json:
        print_json([r.as_dict() for r in ranked])
        return
    table = Table("rank", "initiative", "priority", "missing scores")
    for r in ranked:
        table.add_row(str(r.rank or "—"), r.name, _priority(r.priority), ", ".join(r.missing))
    console.print(table)
