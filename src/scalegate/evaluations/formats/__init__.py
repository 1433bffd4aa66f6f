"""Results-file parsers (placeholder until the parsers land; helper-6 replaces this file)."""

from __future__ import annotations

from scalegate.core.evaluations import EvalRun, FormatError, SecurityScan


def parse(format: str, data: bytes, name: str) -> tuple[list[EvalRun], list[SecurityScan]]:
    """The runs and scans of one results file."""
    raise FormatError(f"no parser for {format} yet")


def detect(name: str, data: bytes) -> str | None:
    """The format a file's name or content suggests."""
    return None
