"""`scalegate ingest` and `scalegate metrics dora`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
from rich.progress import Progress
from rich.table import Table

from scalegate.cli_support import JsonOption, console, errors, print_json, state
from scalegate.errors import InvalidInput, Problem
from scalegate.evaluations.cli import RESULT_FORMATS, ingest_results_file, print_ingested
from scalegate.evidence import metrics, service

metrics_app = typer.Typer(help="Computed figures.", no_args_is_help=True)
DEFAULT_DAYS = 90
PROGRESS_FROM = 5_000  # lines; smaller batches finish before a bar would help


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


@metrics_app.command("dora")
def dora(
    ctx: typer.Context,
    initiative: str | None = typer.Option(None, help="One initiative (its services)."),
    service: str | None = typer.Option(None, help="One service."),
    portfolio: bool = typer.Option(False, "--portfolio", help="Every service."),
    start: datetime | None = typer.Option(
        None, "--from", formats=["%Y-%m-%d"], help="First day (default: 89 days before --to)."
    ),
    end: datetime | None = typer.Option(
        None, "--to", formats=["%Y-%m-%d"], help="Last day, inclusive (default: today, UTC)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Deployment frequency, lead time, change failure rate, recovery time and rework rate."""
    scope = metrics.scope_of(initiative, service, portfolio)
    last = end.date() if end else datetime.now(UTC).date()
    first = start.date() if start else last - timedelta(days=DEFAULT_DAYS - 1)
    figures = metrics.dora_for(state(ctx).workspace().sessions, scope, first, last)
    if as_json:
        print_json(figures)
        return
    bands = figures["bands"]
    lead, recovery = figures["lead_time_hours"], figures["recovery_time_hours"]
    table = Table(
        "figure",
        "value",
        "band",
        title=f"DORA · {figures['scope']} · {figures['from']} → {figures['to']}",
    )
    table.add_row(
        "deployments",
        f"{figures['deployments']} ({_fmt(figures['deployments_per_day'], '/day', 2)})",
        bands["deployment_frequency"],
    )
    table.add_row(
        "lead time p50 / p90",
        f"{_fmt(lead['p50'], ' h')} / {_fmt(lead['p90'], ' h')}",
        bands["lead_time"] or "—",
    )
    cfr = figures["change_failure_rate"]
    table.add_row(
        "change failure rate",
        "—" if cfr is None else f"{cfr:.1%} ({figures['failed_deployments']} failed)",
        bands["change_failure_rate"] or "—",
    )
    table.add_row(
        "recovery p50 / p90",
        f"{_fmt(recovery['p50'], ' h')} / {_fmt(recovery['p90'], ' h')}",
        bands["recovery_time"] or "—",
    )
    rework = figures["rework_rate"]
    table.add_row("rework rate", "—" if rework is None else f"{rework:.1%}", "")
    console.print(table)


def ingest(
    ctx: typer.Context,
    file: str = typer.Argument(..., help="A file of events, or - for standard input."),
    format: str = typer.Option(
        "auto",
        help="auto | jsonl | json | cdevents | github | csv (csv: from a .csv name); "
        "results files: promptfoo | junit | sarif | inspect",
    ),
    kind: str | None = typer.Option(
        None, help="The event type of every CSV row: kpi | kpi_summary."
    ),
    initiative: str | None = typer.Option(
        None, help="Results files: the initiative the runs or scans count toward."
    ),
    model: str | None = typer.Option(None, help="Results files: the model evaluated."),
    assets: list[str] = typer.Option(
        [], "--asset", help="Results files: an asset version evaluated, NAME@VERSION (repeat)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Store evidence events: all of a batch or, if any line is invalid, none of it. Results
    files (promptfoo, JUnit, SARIF, Inspect) are stored per run for --initiative."""
    if format in RESULT_FORMATS:
        stored = ingest_results_file(ctx, file, format, initiative, model, assets)
        print_json(stored) if as_json else print_ingested(stored)
        return
    text = sys.stdin.read() if file == "-" else _read(file)
    if format == "auto" and file.lower().endswith(".csv"):
        format = "csv"
    sg = state(ctx)
    total = max(1, text.count("\n"))
    with Progress(transient=True, console=errors, disable=as_json or total < PROGRESS_FROM) as bar:
        task = bar.add_task("ingesting", total=total)
        result = service.ingest(
            sg.workspace().sessions,
            sg.actor(),
            text,
            format,
            source=file,
            progress=lambda n: bar.advance(task, n),
            kind=kind,
        )
    if as_json:
        print_json(result.as_dict())
        return
    console.print(
        f"{result.stored} stored, {result.updated} updated, {result.duplicates} duplicate(s), "
        f"{result.skipped} skipped"
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInput(
            f"cannot read {path}", [Problem("", error.strerror or str(error), file=path)]
        ) from error
