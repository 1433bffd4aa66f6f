"""`scalegate risks`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.risks import service

SEVERITY_STYLES = {"high": "bold red", "medium": "yellow", "low": "dim"}


def _days(help_text: str) -> Any:
    return typer.Option(None, min=1, help=f"{help_text} (default: the setting).")


def risks(
    ctx: typer.Context,
    as_of: datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"], help="Default: now."
    ),
    pilot_theater_days: int | None = _days("Days in prove before pilot theater"),
    funding_churn_changes: int | None = typer.Option(
        None, min=0, help="Capacity changes allowed within the window (default: the setting)."
    ),
    funding_churn_window_days: int | None = _days("Days of the funding-churn window"),
    deployment_window_days: int | None = _days("Days a service may go without a deployment"),
    shadow_ai_window_days: int | None = _days("Days of usage the shadow-AI rule reads"),
    as_json: bool = JsonOption,
) -> None:
    """Risks detected from the data: pilot theater, missing owners, drift, shadow AI, ..."""
    sg = state(ctx)
    given = {
        "pilot_theater_days": pilot_theater_days,
        "funding_churn_changes": funding_churn_changes,
        "funding_churn_window_days": funding_churn_window_days,
        "deployment_window_days": deployment_window_days,
        "shadow_ai_window_days": shadow_ai_window_days,
    }
    thresholds = replace(
        service.thresholds_from(sg.settings), **{k: v for k, v in given.items() if v is not None}
    )
    when = None if as_of is None else (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    found = service.risk_register(sg.workspace().sessions, when, thresholds)
    if as_json:
        print_json(found)
        return
    table = Table("severity", "risk", title="Risk register")
    table.add_column("initiatives", overflow="fold")
    table.add_column("why")
    for risk in found:
        style = SEVERITY_STYLES.get(risk["severity"], "")
        table.add_row(
            f"[{style}]{risk['severity']}[/]" if style else escape(risk["severity"]),
            risk["title"],
            escape(", ".join(risk["initiatives"])),
            escape(risk["message"]),
        )
    console.print(table)
    console.print(f"{len(found)} risk(s)")
