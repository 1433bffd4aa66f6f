"""`scalegate metrics usage`."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.usage import service


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def usage(
    ctx: typer.Context,
    initiative: str = typer.Option(..., help="The initiative."),
    as_of: datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z"], help="Default: now."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Adoption, operational, economics and trust figures over the last 28 days."""
    when = None if as_of is None else (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    figures = service.usage_for(state(ctx).workspace().sessions, initiative, when)
    if as_json:
        print_json(figures)
        return
    adoption, operational = figures["adoption"], figures["operational"]
    economics, trust = figures["economics"], figures["trust"]
    latency = operational["latency_ms"]
    table = Table("figure", "value", title=f"AI usage · {initiative} · last 28 days")
    table.add_row(
        "active users 1d / 7d / 28d",
        f"{adoption['active_users_1d']} / "
        f"{adoption['active_users_7d']} / {adoption['active_users_28d']}",
    )
    table.add_row("weekly active share of cohort", _pct(adoption["weekly_active_cohort_share"]))
    table.add_row("workflow penetration", _pct(adoption["workflow_penetration"]))
    table.add_row(
        "override / escalation / failure",
        f"{_pct(operational['override_rate'])} / {_pct(operational['escalation_rate'])}"
        f" / {_pct(operational['failure_rate'])}",
    )
    table.add_row(
        "latency p50 / p95 / p99 (±1%)",
        " / ".join(
            "—" if latency[k] is None else f"{latency[k]:.0f} ms" for k in ("p50", "p95", "p99")
        ),
    )
    cost = economics["cost_per_transaction"]
    table.add_row("cost per transaction", "—" if cost is None else f"{cost:.4f}")
    table.add_row("quality acceptance", _pct(trust["quality_acceptance"]))
    table.add_row("policy adherence", _pct(trust["policy_adherence"]))
    table.add_row(
        "models", ", ".join(f"{m['name']} ({m['status']})" for m in figures["models"]) or "—"
    )
    console.print(table)
