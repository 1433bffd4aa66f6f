"""`scalegate audit log` and `scalegate audit verify`."""

from __future__ import annotations

import typer
from rich.table import Table

from scalegate.audit import service
from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.errors import ScalegateError

audit = typer.Typer(help="Read and verify the tamper-evident audit trail.", no_args_is_help=True)


@audit.command("log")
def log(
    ctx: typer.Context,
    limit: int = typer.Option(50, help="How many records, newest first."),
    obj: str | None = typer.Option(
        None, "--object", help="Only records about this object, e.g. Initiative/x."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Show the latest audit records."""
    records = service.recent(state(ctx).workspace().sessions, limit, obj)
    if as_json:
        print_json(
            [
                {
                    "seq": r.seq,
                    "at": r.at.isoformat(),
                    "actor": r.actor,
                    "action": r.action,
                    "object": r.object,
                    "payload": r.payload,
                    "hash": r.hash,
                }
                for r in records
            ]
        )
        return
    table = Table("seq", "at", "actor", "action", "object")
    for r in records:
        table.add_row(str(r.seq), r.at.strftime("%Y-%m-%d %H:%M:%S"), r.actor, r.action, r.object)
    console.print(table)


@audit.command("verify")
def verify(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Check every hash link; exit 0 when intact, 4 naming the first bad record otherwise."""
    result = service.verify(state(ctx).workspace().sessions)
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "count": result.count,
                "firstBadSeq": result.first_bad_seq,
                "reason": result.reason,
            }
        )
    if not result.ok:
        raise ScalegateError(
            f"audit chain broken at seq {result.first_bad_seq}: {result.reason}",
            code="audit_broken",
            exit_code=4,
        )
    if not as_json:
        console.print(f"audit chain intact: {result.count} records")
