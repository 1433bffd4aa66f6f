"""`scalegate apply` and `scalegate export`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
import yaml
from rich.table import Table

from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.errors import InvalidInput, Problem
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import ApplyResult, apply_sources, export_documents


def _print_summary(result: ApplyResult) -> None:
    table = Table(
        "object", "change", "source", title="dry run: nothing written" if result.dry_run else None
    )
    for change in result.changes:
        if change.action != "unchanged":
            table.add_row(f"{change.kind}/{change.name}", change.action, change.source or "")
    if table.row_count:
        console.print(table)
    totals = result.totals()
    console.print(", ".join(f"{n} {action}" for action, n in totals.items()))
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)


def apply(
    ctx: typer.Context,
    files: list[str] = typer.Option(
        ..., "-f", "--filename", help="A YAML file, a directory, or - for stdin."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    prune: bool = typer.Option(
        False, "--prune", help="Delete objects of the applied kinds the files no longer mention."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create or update objects from YAML, all or nothing."""
    missing = [f for f in files if f != "-" and not Path(f).exists()]
    if missing:
        raise InvalidInput(
            "no such file", [Problem("", "no such file or directory", file=f) for f in missing]
        )
    stdin_text = sys.stdin.read() if "-" in files else None
    sg = state(ctx)
    result = apply_sources(
        sg.workspace().sessions,
        read_sources(files, stdin_text),
        sg.actor(),
        prune=prune,
        dry_run=dry_run,
    )
    if as_json:
        print_json(result.as_dict())
    else:
        _print_summary(result)


def export(
    ctx: typer.Context,
    output: Path | None = typer.Option(
        None, "-o", "--output", help="A .yaml file, or a directory for one file per kind."
    ),
) -> None:
    """Write every object as YAML that re-applies to exactly the same state."""
    documents = export_documents(state(ctx).workspace().sessions)
    if output is not None and (output.is_dir() or output.suffix == ""):
        output.mkdir(parents=True, exist_ok=True)
        by_kind: dict[str, list[dict[str, object]]] = {}
        for document in documents:
            by_kind.setdefault(str(document["kind"]), []).append(document)
        for kind, items in by_kind.items():
            _write_whole(output / f"{kind.lower()}.yaml", _dump(items))
        console.print(f"wrote {len(documents)} objects to {output}/")
        return
    text = _dump(documents)
    if output is None:
        typer.echo(text, nl=False)
    else:
        _write_whole(output, text)
        console.print(f"wrote {len(documents)} objects to {output}")


def _write_whole(path: Path, text: str) -> None:
    # Write beside the target, then rename: a failed export never leaves half a file.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _dump(documents: list[dict[str, object]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True, width=100)
