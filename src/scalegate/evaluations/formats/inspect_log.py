"""Inspect AI eval logs: `.eval` (a zip; only its header.json is read) or `.json`: one EvalRun.

Shape: `EvalLog` in inspect_ai's src/inspect_ai/log/_log.py (`status`, `eval` {`task`, `model`,
`created`, `eval_id`/`run_id`, `packages`}, `results` {`total_samples`, `completed_samples`,
`scores[]` {`name`, `metrics` {name: {`value`}}}}, `stats.started_at`); the `.eval` layout in
log/_recorders/eval.py: header.json is that log without samples, written when the eval ends
(while it runs the archive holds only `_journal/start.json`). The archive is read in memory,
never extracted, and header.json is refused past HEADER_LIMIT bytes.

Counting, from the header's results:
- total = `total_samples` (dataset samples × epochs);
- completed = `completed_samples` (samples that finished without error), 0 ≤ completed ≤ total;
- errored = total − completed: samples that errored (the eval went on under `fail_on_error`)
  or never finished because the run errored or was cancelled;
- passed = ⌊accuracy × completed + ½⌋ (rounded half up), accuracy being the `accuracy` metric
  of the first scorer that reports one — Inspect's mean score over the completed samples,
  partial credit included; failed = completed − passed; skipped = 0.
A log whose scorers report no accuracy, or that has no results (status "started", or an eval
that stopped before scoring), is a FormatError: it does not say how many samples passed.
suite = `eval.task`; providers = (`eval.model`,); status = `status`; started_at =
`stats.started_at`, else `eval.created`; run_id = `eval.eval_id`, else `eval.run_id`;
tool_version = `eval.packages.inspect_ai`. metrics: every scorer's metrics as
`scorer/metric` → value, leaving out values that are not finite (Inspect writes NaN for the
stderr of a single sample).
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from typing import Any

from scalegate.core.evaluations import EvalRun, EvalTotals, FormatError
from scalegate.evaluations.formats._values import (
    TOP,
    arr,
    integer,
    load_json,
    number,
    obj,
    optional_text,
    shown,
    text,
    timestamp,
)

HEADER = "header.json"
HEADER_LIMIT = 16 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
STATUSES = ("started", "success", "cancelled", "error")


def _header(data: bytes) -> bytes:
    """header.json's bytes, read from the archive in memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            try:
                info = archive.getinfo(HEADER)
            except KeyError:
                raise FormatError(
                    "missing from the .eval archive: the eval has not finished "
                    "(a running eval has only _journal/start.json)",
                    HEADER,
                ) from None
            if info.file_size > HEADER_LIMIT:
                raise FormatError(f"larger than {HEADER_LIMIT} bytes: refused", HEADER)
            with archive.open(info) as member:
                raw = member.read(HEADER_LIMIT + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as error:
        raise FormatError(f"not a readable .eval archive: {error}") from None
    if len(raw) > HEADER_LIMIT:
        raise FormatError(f"larger than {HEADER_LIMIT} bytes: refused", HEADER)
    return raw


def _metrics(scores: list[Any]) -> tuple[dict[str, float], float | None, str]:
    """Every metric as `scorer/metric`, and the first accuracy with its path."""
    metrics: dict[str, float] = {}
    accuracy: float | None = None
    accuracy_at = "results.scores"
    for index, raw in enumerate(scores):
        where = f"results.scores[{index}]"
        score = obj(raw, where)
        scorer = text(score.get("name"), f"{where}.name")
        for key, metric in obj(score.get("metrics") or {}, f"{where}.metrics").items():
            value_at = f"{where}.metrics.{key}.value"
            value = obj(metric, f"{where}.metrics.{key}").get("value")
            if isinstance(value, float) and not math.isfinite(value):
                continue
            metrics[f"{scorer}/{key}"] = number(value, value_at)
            if key == "accuracy" and accuracy is None:
                accuracy, accuracy_at = metrics[f"{scorer}/{key}"], value_at
    return metrics, accuracy, accuracy_at


def _totals(results: dict[str, Any], accuracy: float | None, accuracy_at: str) -> EvalTotals:
    total = integer(results.get("total_samples"), "results.total_samples")
    completed = integer(results.get("completed_samples"), "results.completed_samples")
    if not 0 <= completed <= total:
        raise FormatError(
            f"{completed} completed samples out of {total}: expected 0 to {total}",
            "results.completed_samples",
        )
    if accuracy is None:
        raise FormatError(
            "no scorer reports an accuracy metric, so the log does not say how many passed",
            accuracy_at,
        )
    if not 0.0 <= accuracy <= 1.0:
        raise FormatError(f"expected an accuracy from 0 to 1, got {shown(accuracy)}", accuracy_at)
    passed = math.floor(accuracy * completed + 0.5)
    return EvalTotals(total, passed, completed - passed, total - completed, 0)


def parse_inspect(data: bytes) -> EvalRun:
    """The evaluation run of one Inspect AI log, `.eval` archive or `.json`."""
    raw = _header(data) if data.startswith(ZIP_MAGIC) else data
    log = obj(load_json(raw), TOP)
    status = log.get("status")
    if status not in STATUSES:
        raise FormatError(f"expected one of {', '.join(STATUSES)}, got {shown(status)}", "status")
    spec = obj(log.get("eval"), "eval")
    if log.get("results") is None:
        if status == "started":
            raise FormatError('missing: the eval has not finished (status "started")', "results")
        error = obj(log.get("error") or {}, "error").get("message")
        why = f": {error}" if isinstance(error, str) else ""
        raise FormatError(
            f'missing: the eval stopped (status "{status}"{why}) before its samples were scored',
            "results",
        )
    results = obj(log["results"], "results")
    metrics, accuracy, accuracy_at = _metrics(arr(results.get("scores") or [], "results.scores"))
    stats = obj(log.get("stats") or {}, "stats")
    started, started_at = stats.get("started_at"), "stats.started_at"
    if not started:
        started, started_at = spec.get("created"), "eval.created"
    packages = obj(spec.get("packages") or {}, "eval.packages")
    return EvalRun(
        source="inspect",
        suite=text(spec.get("task"), "eval.task"),
        totals=_totals(results, accuracy, accuracy_at),
        run_id=optional_text(spec.get("eval_id"), "eval.eval_id")
        or optional_text(spec.get("run_id"), "eval.run_id"),
        started_at=timestamp(started, started_at) if started else None,
        tool_version=optional_text(packages.get("inspect_ai"), "eval.packages.inspect_ai"),
        providers=(text(spec.get("model"), "eval.model"),),
        metrics=metrics,
        status=str(status),
    )
