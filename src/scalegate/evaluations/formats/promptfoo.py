"""promptfoo results (`promptfoo eval -o results.json`): one EvalRun per file.

Shapes read (promptfoo's src/types/index.ts): the output file, `OutputFile` = {`evalId`,
`results`: {`version` 3, `timestamp`, `results[]`, `prompts`, `stats`}, `config`,
`metadata.promptfooVersion`}; and the bare summary (`EvaluateSummaryV2`/`V3`: `results[]` and
`stats` at the top), for files saved from that object rather than with `-o`. `version` there
is the file layout, so the tool version comes from `metadata.promptfooVersion` when present.

Each result row counts once, the way promptfoo counts its own `stats`:
- passed: `success` is true;
- errored: not passed, and `failureReason` is ResultFailureReason.ERROR (2, or the name
  "ERROR") — the provider or the grader failed, so the case has no verdict;
- failed: every other row (ASSERT = 1: an assertion rejected the output; NONE = 0, which
  promptfoo writes for "No output").
A row's `error` text alone does not make it errored: promptfoo copies a failed assertion's
reason into `error` as well, with `failureReason` ASSERT.
The three counts must equal `stats.successes`, `stats.failures` and `stats.errors` (absent
`errors` reads as 0); a disagreement means the rows or the stats were edited, a FormatError.

suite = `config.description`, else the file's stem; run_id = `evalId`; started_at =
`results.timestamp`; providers = the distinct `provider.id`s in order of first appearance.
metrics: `mean_score` (mean row `score`), `mean_latency_ms`, `cost_usd` (sum of row `cost`),
each over the rows that carry the field.
"""

from __future__ import annotations

import math
from pathlib import PurePath
from typing import Any

from scalegate.core.evaluations import EvalRun, EvalTotals, FormatError
from scalegate.evaluations.formats._values import (
    TOP,
    arr,
    at,
    boolean,
    integer,
    load_json,
    number,
    obj,
    optional_text,
    shown,
    timestamp,
)

# ResultFailureReason in promptfoo's src/types/index.ts.
NONE, ASSERT, ERROR = 0, 1, 2
_REASON_NAMES = {"NONE": NONE, "ASSERT": ASSERT, "ERROR": ERROR}


def _failure_reason(value: object, where: str) -> int:
    if value is None:
        return NONE
    if isinstance(value, str) and value.upper() in _REASON_NAMES:
        return _REASON_NAMES[value.upper()]
    if isinstance(value, int) and not isinstance(value, bool) and value in (NONE, ASSERT, ERROR):
        return value
    raise FormatError(f"expected 0, 1 or 2 (NONE, ASSERT, ERROR), got {shown(value)}", where)


def _provider(value: object, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    return optional_text(obj(value, where).get("id"), f"{where}.id")


def _summary(doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The summary object and its path: `results` in the output file, the top in the bare shape."""
    nested = doc.get("results")
    if isinstance(nested, dict):
        return nested, "results"
    if isinstance(nested, list):
        return doc, ""
    raise FormatError(
        f"expected the results summary (an object) or the result rows (an array), "
        f"got {shown(nested) if nested is not None else 'nothing'}",
        "results",
    )


def _suite(doc: dict[str, Any], name: str) -> str:
    config = doc.get("config")
    if config is not None:
        described = optional_text(obj(config, "config").get("description"), "config.description")
        if described:
            return described
    stem = PurePath(name).stem
    return stem if stem and not stem.startswith("<") else "promptfoo"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def parse_promptfoo(data: bytes, name: str) -> EvalRun:
    """The evaluation run of one promptfoo results file."""
    doc = obj(load_json(data), TOP)
    summary, base = _summary(doc)
    rows_at = at(base, "results")
    counts = {"passed": 0, "failed": 0, "errored": 0}
    providers: dict[str, None] = {}
    scores: list[float] = []
    latencies: list[float] = []
    costs: list[float] = []
    for index, raw in enumerate(arr(summary.get("results"), rows_at)):
        where = f"{rows_at}[{index}]"
        row = obj(raw, where)
        reason = _failure_reason(row.get("failureReason"), f"{where}.failureReason")
        if boolean(row.get("success"), f"{where}.success"):
            counts["passed"] += 1
        elif reason == ERROR:
            counts["errored"] += 1
        else:
            counts["failed"] += 1
        provider = _provider(row.get("provider"), f"{where}.provider")
        if provider:
            providers.setdefault(provider)
        for key, values in (("score", scores), ("latencyMs", latencies), ("cost", costs)):
            if row.get(key) is not None:
                values.append(number(row[key], f"{where}.{key}"))

    stats_at = at(base, "stats")
    stats = obj(summary.get("stats"), stats_at)
    declared = {
        "passed": integer(stats.get("successes"), f"{stats_at}.successes"),
        "failed": integer(stats.get("failures"), f"{stats_at}.failures"),
        "errored": integer(stats.get("errors", 0), f"{stats_at}.errors"),
    }
    if declared != counts:
        raise FormatError(
            f"the stats say successes {declared['passed']}, failures {declared['failed']}, "
            f"errors {declared['errored']}, but the result rows hold {counts['passed']} passed, "
            f"{counts['failed']} failed, {counts['errored']} errored",
            stats_at,
        )

    when = summary.get("timestamp")
    when_at = at(base, "timestamp")
    metadata = obj(doc.get("metadata") or {}, "metadata")
    if when is None:
        when, when_at = metadata.get("evaluationCreatedAt"), "metadata.evaluationCreatedAt"
    metrics = {
        "mean_score": _mean(scores),
        "mean_latency_ms": _mean(latencies),
        "cost_usd": math.fsum(costs) if costs else None,
    }
    return EvalRun(
        source="promptfoo",
        suite=_suite(doc, name),
        totals=EvalTotals(total=sum(counts.values()), skipped=0, **counts),
        run_id=optional_text(doc.get("evalId"), "evalId"),
        started_at=timestamp(when, when_at) if when is not None else None,
        tool_version=optional_text(metadata.get("promptfooVersion"), "metadata.promptfooVersion"),
        providers=tuple(providers),
        metrics={key: value for key, value in metrics.items() if value is not None},
    )
