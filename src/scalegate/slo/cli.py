"""`scalegate metrics slo` and `scalegate slo pull|sweep`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.table import Table

from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.core.slo import fixed_duration
from scalegate.errors import InvalidInput
from scalegate.slo import prometheus, service
from scalegate.slo.sweep import sweep as run_sweep

slo_app = typer.Typer(help="SLOs: pull SLI counts from Prometheus, sweep burn-rate alerts.")
TIMESTAMP_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _pct(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}%}"


def slo(
    ctx: typer.Context,
    initiative: str | None = typer.Option(None, help="Every SLO of this initiative."),
    name: str | None = typer.Option(None, "--slo", help="One SLO by name."),
    as_of: datetime | None = typer.Option(None, "--as-of", formats=TIMESTAMP_FORMATS),
    as_json: bool = JsonOption,
) -> None:
    """Attainment, error budget, burn rates and alerts of SLOs."""
    if (initiative is None) == (name is None):
        raise InvalidInput("give exactly one of --initiative and --slo")
    figures = service.slo_for(state(ctx).workspace().sessions, initiative, name, _aware(as_of))
    if as_json:
        print_json(figures)
        return
    table = Table(
        "SLO",
        "target",
        "window",
        "attainment",
        "budget left",
        "burn 1h",
        "burn 6h",
        "firing",
        title=f"SLOs as of {figures['as_of']}",
    )
    for s in figures["slos"]:
        rates = s["burn_rates"]
        table.add_row(
            s["name"],
            _pct(s["target"]),
            f"{s['window']} {s['budgeting_method']}",
            _pct(s["attainment"]),
            _pct(s["error_budget_remaining"], 1),
            "—" if rates["1h"] is None else f"{rates['1h']:.2f}",
            "—" if rates["6h"] is None else f"{rates['6h']:.2f}",
            ", ".join(a["name"] for a in s["alerts"] if a["firing"]) or "—",
        )
    console.print(table)


def _step(text: str) -> timedelta:
    """A pull step: seconds ("15s") or an OpenSLO duration of fixed length."""
    if text.endswith("s") and text[:-1].isdigit() and int(text[:-1]) > 0:
        return timedelta(seconds=int(text[:-1]))
    try:
        return fixed_duration(text)
    except ValueError as error:
        raise InvalidInput(f"--step: {error}") from error


@slo_app.command("pull")
def pull(
    ctx: typer.Context,
    since: datetime | None = typer.Option(
        None, formats=TIMESTAMP_FORMATS, help="Default: each SLO's last record, else 1 day ago."
    ),
    step: str = typer.Option("1m", help="Interval each record counts: 15s, 1m, 5m, 1h."),
    as_json: bool = JsonOption,
) -> None:
    """Pull SLI counts from the Prometheus DataSources the SLOs' indicators query."""
    sg = state(ctx)
    result = prometheus.pull(
        sg.workspace().sessions,
        sg.actor(),
        None if since is None else _aware(since),
        datetime.now(UTC),
        _step(step),
    )
    if as_json:
        print_json(result.as_dict())
        return
    for name, points in result.pulled.items():
        console.print(f"{name}: {points} interval(s) read")
    for name, reason in result.skipped.items():
        console.print(f"{name}: not pulled, {reason}")
    ingested = result.ingest
    console.print(f"{ingested.stored} stored, {ingested.duplicates} already there")


@slo_app.command("sweep")
def sweep(
    ctx: typer.Context,
    as_of: datetime | None = typer.Option(None, "--as-of", formats=TIMESTAMP_FORMATS),
    webhook: str | None = typer.Option(
        None, help="POST alert changes here (default: SCALEGATE_SLO_WEBHOOK_URL)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Evaluate every SLO, record alerts that started or stopped firing, notify the webhook."""
    sg = state(ctx)
    result = run_sweep(
        sg.workspace().sessions,
        sg.actor(),
        _aware(as_of),
        webhook or sg.settings.slo_webhook_url,
    )
    if as_json:
        print_json(result.as_dict())
        return
    for change in result.changes:
        verb = "started" if change["firing"] else "stopped"
        console.print(f"{change['objective']}: {change['alert']} {verb} firing")
    console.print(
        f"{result.objectives} objective(s), {len(result.firing)} alert(s) firing, "
        f"{len(result.changes)} change(s), {result.notified} notified"
    )
    for error in result.notify_errors:
        console.print(f"[red]webhook failed[/red]: {error}")
