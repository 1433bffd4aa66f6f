"""`scalegate gate check|sweep`, `advance`, `signoff`, `waive`, `readiness`."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.core.lifecycle import Stage
from scalegate.errors import GateBlocked, InvalidInput, Problem
from scalegate.gates import service

gate = typer.Typer(help="Evaluate lifecycle gates.", no_args_is_help=True)
DateOption = typer.Option(None, formats=["%Y-%m-%d"], help="A date, YYYY-MM-DD.")


def _mark(passed: bool, waived: bool) -> str:
    return "waived" if waived else ("pass" if passed else "FAIL")


@gate.command("check")
def check(
    ctx: typer.Context,
    name: str,
    to: Stage | None = typer.Option(None, help="Target stage (default: the next one)."),
    as_json: bool = JsonOption,
) -> None:
    """Evaluate the gates to the next (or given) stage; exit 0 passed, 3 blocked, 2 bad input."""
    result = service.check(state(ctx).workspace().sessions, name, to.value if to else None)
    if as_json:
        print_json(result.as_dict())
    else:
        table = Table(
            "policy",
            "rule",
            "capability",
            "severity",
            "result",
            "message",
            title=f"{name}: {result.from_stage} → {result.to_stage}",
        )
        for r in result.rules:
            table.add_row(
                r.policy, r.name, r.capability, r.severity, _mark(r.passed, r.waived), r.message
            )
        console.print(table)
        console.print(
            f"gate {'passed' if result.passed else 'blocked'}; input {result.input_hash[:12]}"
        )
    if not result.passed:
        raise typer.Exit(GateBlocked("").exit_code)


@gate.command("sweep")
def sweep(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Re-evaluate the gates each initiative has passed and report compliance drift."""
    sg = state(ctx)
    result = service.sweep(sg.workspace().sessions, sg.actor())
    if as_json:
        print_json(result)
        return
    table = Table("initiative", "stage", "rules passing", "drift")
    for name, r in result["initiatives"].items():
        drift = ", ".join(d["rule"] for d in r["drift"]) or "—"
        table.add_row(name, r["stage"], f"{r['passed']}/{r['evaluated']}", drift)
    console.print(table)
    rate = result["passRate"]
    console.print(
        f"policy pass rate {rate:.1%}; {len(result['drifted'])} initiative(s) drifted"
        if rate is not None
        else "no rules to evaluate"
    )


def advance(
    ctx: typer.Context,
    name: str,
    to: Stage = typer.Option(..., help="The stage to move to."),
    rationale: str | None = typer.Option(None, help="Why; required to step back or retire."),
    as_json: bool = JsonOption,
) -> None:
    """Move an initiative to a stage; forward moves must pass their gates."""
    sg = state(ctx)
    result = service.advance(sg.workspace().sessions, sg.actor(), name, to.value, rationale)
    if as_json:
        print_json(result)
    else:
        console.print(f"{name}: {result['from']} → {result['to']} ({result['decision']})")


def signoff(
    ctx: typer.Context,
    name: str,
    item: str,
    artifact: str = typer.Option(..., help="URL of the evidence (review, report, test run)."),
    expires: datetime | None = DateOption,
    note: str | None = typer.Option(None, help="A remark kept with the sign-off."),
) -> None:
    """Sign a launch-checklist item for an initiative."""
    sg = state(ctx)
    service.sign_off(
        sg.workspace().sessions,
        sg.actor(),
        name,
        item,
        artifact,
        expires.date() if expires else None,
        note,
    )
    console.print(f"{item} signed for {name}")


def waive(
    ctx: typer.Context,
    name: str,
    rules: str = typer.Option(..., help="Comma-separated rule names."),
    until: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="Last day covered, YYYY-MM-DD."),
    rationale: str = typer.Option(..., help="Why the exception is acceptable."),
) -> None:
    """Grant a time-boxed waiver so the named failing rules do not block."""
    names = [r.strip() for r in rules.split(",") if r.strip()]
    if not names:
        raise InvalidInput("name at least one rule", [Problem("rules", "empty")])
    sg = state(ctx)
    result = service.waive(
        sg.workspace().sessions, sg.actor(), name, names, until.date(), rationale
    )
    console.print(f"waived {', '.join(result['rules'])} for {name} until {result['until']}")


def readiness(ctx: typer.Context, name: str, as_json: bool = JsonOption) -> None:
    """Share of passing rules per capability, over the gates up to the next one."""
    result = service.readiness(state(ctx).workspace().sessions, name)
    if as_json:
        print_json(result)
        return
    table = Table("capability", "passing", title=f"{name} readiness (at {result['stage']})")
    for capability, share in result["readiness"].items():
        table.add_row(capability, "—" if share is None else f"{share:.0%}")
    console.print(table)
