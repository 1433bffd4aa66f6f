"""`scalegate metrics evaluations`, and the results-file side of `scalegate ingest`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.errors import InvalidInput, Problem
from scalegate.evaluations import service

RESULT_FORMATS = service.FORMATS


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def ingest_results_file(
    ctx: typer.Context,
    file: str,
    format: str,
    initiative: str | None,
    model: str | None,
    assets: list[str],
) -> dict[str, Any]:
    """Send one results file (`scalegate ingest FILE --format promptfoo|junit|sarif|inspect`)."""
    if initiative is None:
        raise InvalidInput(
            f"--format {format} needs --initiative: results count toward one initiative",
            [Problem("initiative", "required for evaluation and scan results", file=file)],
        )
    try:
        data = Path(file).read_bytes()
    except OSError as error:
        raise InvalidInput(
            f"cannot read {file}", [Problem("", error.strerror or str(error), file=file)]
        ) from error
    sg = state(ctx)
    return service.ingest_results(
        sg.workspace().sessions,
        sg.actor(),
        data,
        format=format,
        initiative=initiative,
        model=model,
        assets=assets,
        source=file,
    )


def print_ingested(result: dict[str, Any]) -> None:
    """One line: what a results file stored."""
    what = f"{result['runs']} run(s)" if result["runs"] else f"{result['scans']} scan(s)"
    state_ = "stored" if result["stored"] else "already stored (same file, same subject)"
    console.print(f"{result['format']}: {what} {state_}")


def evaluations(
    ctx: typer.Context,
    initiative: str = typer.Option(..., help="The initiative."),
    as_of: datetime | None = typer.Option(None, "--as-of", help="Moment (default: now)."),
    as_json: bool = JsonOption,
) -> None:
    """Evaluation pass rates with Wilson bounds, and security scan findings."""
    figures = service.evaluation_figures(state(ctx).workspace().sessions, initiative, as_of)
    if as_json:
        print_json(figures)
        return
    ev, sec = figures["evaluations"], figures["security"]
    summary = (
        f"evaluations ({ev['freshDays']} days fresh): {ev['total']} cases, pass rate "
        f"{_pct(ev['passRate'])}, Wilson lower 95 % {_pct(ev['passRateLower95'])}, "
        f"{ev['errored']} errored"
    )
    # One line whatever the terminal width, so scripts and editors can read it.
    console.print(summary if ev["fresh"] else "evaluations: no fresh run", soft_wrap=True)
    runs = Table("source", "suite", "when", "cases", "passed", "failed", "errored", "pass rate")
    for run in ev["runs"]:
        t = run["totals"]
        runs.add_row(
            run["source"],
            run["suite"],
            (run["startedAt"] or run["recordedAt"])[:16],
            str(t["total"] - t["skipped"]),
            str(t["passed"]),
            str(t["failed"]),
            str(t["errored"]),
            f"{_pct(run['passRate'])} (≥ {_pct(run['passRateLower95'])})",
        )
    if ev["runs"]:
        console.print(runs)
    scans = Table("tool", "ran", "critical", "high", "medium", "low", "suppressed")
    for scan in sec["scans"]:
        s = scan["security"]
        scans.add_row(
            scan["tool"],
            "yes" if scan["executionSuccessful"] else "NO",
            *(str(s.get(k, 0)) for k in ("critical", "high", "medium", "low")),
            str(scan["suppressed"]),
        )
    console.print(scans if sec["scans"] else "security: no fresh scan")
