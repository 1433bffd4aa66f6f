"""Results-file parsers: the bytes a tool wrote, as normalized runs and scans.

Pure: no database, no clock, no file I/O; every unreadable input raises
core.evaluations.FormatError naming the field or position. Per-format rules live in each
module's docstring: promptfoo, junit, sarif, inspect_log.
"""

from __future__ import annotations

import json

from scalegate.core.evaluations import EvalRun, FormatError, SecurityScan
from scalegate.evaluations.formats.inspect_log import ZIP_MAGIC, parse_inspect
from scalegate.evaluations.formats.junit import parse_junit
from scalegate.evaluations.formats.promptfoo import parse_promptfoo
from scalegate.evaluations.formats.sarif import parse_sarif

FORMATS: tuple[str, ...] = ("promptfoo", "junit", "sarif", "inspect")
_LEADING = b"\xef\xbb\xbf \t\r\n"


def parse(format: str, data: bytes, name: str) -> tuple[list[EvalRun], list[SecurityScan]]:
    """The evaluation runs and security scans in one results file read as `format`."""
    if format == "promptfoo":
        return [parse_promptfoo(data, name)], []
    if format == "junit":
        return parse_junit(data, name), []
    if format == "sarif":
        return [], parse_sarif(data)
    if format == "inspect":
        return [parse_inspect(data)], []
    raise FormatError(f"unknown format {format!r}: expected one of {', '.join(FORMATS)}", "format")


def _json_format(data: bytes) -> str | None:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    if "runs" in document and "version" in document:
        return "sarif"
    if "eval" in document and "status" in document:
        return "inspect"
    results = document.get("results")
    if isinstance(results, dict) or (isinstance(results, list) and "stats" in document):
        return "promptfoo"
    return None


def detect(name: str, data: bytes) -> str | None:
    """The format a file's name or content points to, or None when neither says."""
    lowered = name.lower()
    if lowered.endswith(".eval") or data.startswith(ZIP_MAGIC):
        return "inspect"
    if lowered.endswith((".sarif", ".sarif.json")):
        return "sarif"
    head = data[:1024].lstrip(_LEADING)
    if lowered.endswith(".xml") or head.startswith(b"<"):
        return "junit" if b"<testsuite" in data else None
    if head.startswith(b"{"):
        return _json_format(data)
    return None
