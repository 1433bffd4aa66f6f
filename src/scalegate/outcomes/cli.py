"""`scalegate metrics outcomes`."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.outcomes import service

DateOption = typer.Option(None, formats=["%Y-%m-%d"], help="YYYY-MM-DD.")


def _num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def outcomes(
    ctx: typer.Context,
    initiative: str = typer.Option(..., help="The initiative."),
    as_of: datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"], help="Default: now."
    ),
    difference: str = typer.Option("relative", help="relative | absolute"),
    baseline_from: datetime | None = DateOption,
    baseline_to: datetime | None = DateOption,
    as_json: bool = JsonOption,
) -> None:
    """Hypothesis progress and benefit verdicts (A/B, before/after, difference-in-differences)."""
    when = None if as_of is None else (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    result = service.outcomes_for(
        state(ctx).workspace().sessions,
        initiative,
        when,
        difference,
        baseline_from.date() if baseline_from else None,
        baseline_to.date() if baseline_to else None,
    )
    if as_json:
        print_json(result)
        return
    table = Table(
        "kpi",
        "baseline",
        "target",
        "current",
        "progress",
        "status",
        "verdict",
        title=f"Outcomes · {initiative}",
    )
    for h in result["hypotheses"]:
        comparison = h["experiment"] or h["did"] or h["before_after"]
        verdict = (
            "—"
            if comparison is None
            else (f"{comparison['verdict']} (p={comparison['p_value']:.3g})")
        )
        progress = "—" if h["progress"] is None else f"{h['progress']:.0%}"
        table.add_row(
            h["kpi"],
            _num(h["baseline"]),
            _num(h["target"]),
            _num(h["current"]),
            progress,
            h["status"],
            verdict,
        )
    console.print(table)
