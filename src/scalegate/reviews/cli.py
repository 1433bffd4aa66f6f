"""`scalegate review weekly|monthly|quarterly --out FILE.html|FILE.pdf`."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import typer

from scalegate.cli_support import JsonOption, console, print_json, state
from scalegate.errors import InvalidInput, Problem
from scalegate.reviews import render, service


def output_format(path: Path) -> str:
    """The format a file name asks for: `.html` or `.pdf` (any case); anything else is an error."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in render.FORMATS:
        raise InvalidInput(
            f"--out {path}: the file name must end in .html or .pdf",
            [Problem("out", "choose FILE.html or FILE.pdf")],
        )
    return suffix


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over: never a half-written pack."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def review(
    ctx: typer.Context,
    cadence: str = typer.Argument(..., help="weekly | monthly | quarterly", metavar="CADENCE"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="FILE.html (self-contained) or FILE.pdf; the suffix decides."
    ),
    as_of: datetime | None = typer.Option(
        None,
        "--as-of",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"],
        help="End of the period (default: now; a bare date is midnight UTC).",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Generate a review pack: weekly operations, monthly portfolio, quarterly executive."""
    fmt = output_format(out) if out is not None else None
    if out is None and not as_json:
        raise InvalidInput(
            "give --out FILE.html or FILE.pdf (or --json for the pack's data)",
            [Problem("out", "required without --json")],
        )
    sg = state(ctx)
    when = None if as_of is None else (as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC))
    pack = service.review_pack(sg.workspace().sessions, cadence, when)
    if out is not None and fmt is not None:
        write_atomically(out, render.render(pack, fmt))
    if as_json:
        print_json({**pack, "out": str(out) if out else None})
        return
    console.print(pack["summary"], markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"wrote {pack['title'].lower()} to {out}", markup=False, highlight=False, soft_wrap=True
    )
