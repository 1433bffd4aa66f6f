"""Benchmark: ingest a 10,000-case promptfoo file and a 5,000-result SARIF file.

Run with `uv run python -m bench.evaluations [--cases N --findings N --repeat N]`. The files are
built from the test fixtures' own rows (tests/fixtures/evaluations), so every row has the size
and shape the tools write. Each repeat sends the file for a new subject (another --model), so
every repeat stores a run; the reference in the same run is `json.loads` of the same bytes plus
counting the rows in plain Python, and scalegate's totals must equal that count. Aim: under 2 s
per file on both databases. See bench/README.md (section `evaluations`).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import statistics
from pathlib import Path
from typing import Any

from bench.harness import (
    BenchmarkError,
    Skipped,
    add_seed_and_databases,
    emit,
    fresh_database,
    machine,
    positive_int,
    progress,
    timed,
    upgraded_workspace,
)
from scalegate.access.actor import Actor
from scalegate.evaluations.service import ingest_results
from scalegate.manifests.service import apply_sources

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "evaluations"
ACTOR = Actor("bench:admin", frozenset({"admin"}))
PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: disputes}
spec: {title: Billing disputes, theme: ops, stage: prove}
"""


def promptfoo_file(cases: int, rng: random.Random) -> tuple[bytes, dict[str, int]]:
    """A promptfoo -o file of `cases` rows (88 % pass, 10 % assert failures, 2 % errors)."""
    document = json.loads((FIXTURES / "promptfoo-billing-dispute.json").read_text())
    rows = document["results"]["results"]
    passing = next(r for r in rows if r["success"])
    failing = next(r for r in rows if not r["success"] and r.get("failureReason") == 1)
    erroring = next(r for r in rows if r.get("failureReason") == 2)
    out, stats = [], {"successes": 0, "failures": 0, "errors": 0}
    for index in range(cases):
        draw = rng.random()
        template, key = (
            (passing, "successes")
            if draw < 0.88
            else (failing, "failures")
            if draw < 0.98
            else (erroring, "errors")
        )
        row = copy.deepcopy(template)
        row["id"], row["testIdx"] = f"row-{index}", index
        out.append(row)
        stats[key] += 1
    document["results"]["results"] = out
    document["results"]["stats"].update(stats)
    return json.dumps(document).encode(), stats


def sarif_file(findings: int, rng: random.Random) -> tuple[bytes, int]:
    """A Semgrep SARIF run with `findings` results drawn from the fixture's results."""
    document = json.loads((FIXTURES / "semgrep.sarif").read_text())
    run = document["runs"][0]
    kept = [r for r in run["results"] if r.get("baselineState") != "absent"]
    results = []
    for index in range(findings):
        row = copy.deepcopy(rng.choice(kept))
        row["locations"][0]["physicalLocation"]["region"]["startLine"] = index + 1
        results.append(row)
    run["results"] = results
    return json.dumps(document).encode(), findings


def _reference_promptfoo(data: bytes) -> tuple[int, int]:
    rows = json.loads(data)["results"]["results"]
    return len(rows), sum(1 for r in rows if r["success"])


def _reference_sarif(data: bytes) -> int:
    return sum(len(run["results"]) for run in json.loads(data)["runs"])


def measure(kind: str, promptfoo: bytes, sarif: bytes, repeat: int) -> dict[str, Any]:
    """Ingest each file `repeat` times for new subjects; times and the reference's."""
    with fresh_database(kind) as url:
        ws = upgraded_workspace(url)
        apply_sources(ws.sessions, [("p.yaml", PORTFOLIO)], ACTOR)
        figures: dict[str, Any] = {}
        for label, data, format in (
            ("promptfoo", promptfoo, "promptfoo"),
            ("sarif", sarif, "sarif"),
        ):
            seconds = []
            for n in range(repeat):
                spent, stored = timed(
                    lambda data=data, format=format, n=n, label=label: ingest_results(
                        ws.sessions,
                        ACTOR,
                        data,
                        format=format,
                        initiative="disputes",
                        model=f"model-{n}",
                        source=f"{label}.json",
                    )
                )
                if stored["stored"] != 1:
                    raise BenchmarkError(f"{label}: repeat {n} stored {stored['stored']}, not 1")
                seconds.append(spent)
            reference = [
                timed(
                    lambda data=data, format=format: (
                        _reference_promptfoo(data)
                        if format == "promptfoo"
                        else _reference_sarif(data)
                    )
                )[0]
                for _ in range(repeat)
            ]
            figures[label] = {
                "bytes": len(data),
                "ingest_s": {
                    "median": round(statistics.median(seconds), 3),
                    "max": round(max(seconds), 3),
                },
                "reference_parse_s": round(statistics.median(reference), 3),
                "ratio": round(statistics.median(seconds) / statistics.median(reference), 1),
                "aim_met": max(seconds) < 2.0,
            }
        ws.engine.dispose()
    return figures


def main() -> None:
    """Build the files, check scalegate's counts against the reference, time both databases."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=positive_int, default=10_000)
    parser.add_argument("--findings", type=positive_int, default=5_000)
    parser.add_argument("--repeat", type=positive_int, default=5)
    add_seed_and_databases(parser, "result rows")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    promptfoo, stats = promptfoo_file(args.cases, rng)
    sarif, findings = sarif_file(args.findings, rng)
    total, passed = _reference_promptfoo(promptfoo)
    if (total, passed) != (args.cases, stats["successes"]) or _reference_sarif(sarif) != findings:
        raise BenchmarkError("the generated files do not hold what was generated")
    from scalegate.evaluations.formats import parse

    (run,), _ = parse("promptfoo", promptfoo, "bench.json")
    _, scans = parse("sarif", sarif, "bench.sarif")
    counted = sum(scans[0].counts.values()) + scans[0].suppressed
    if (run.totals.total, run.totals.passed) != (total, passed) or counted != findings:
        raise BenchmarkError(
            f"scalegate counts {run.totals.total}/{run.totals.passed} and {counted} findings; "
            f"the reference {total}/{passed} and {findings}"
        )
    figures: dict[str, Any] = {"machine": machine(), "cases": args.cases, "findings": findings}
    for kind in args.databases:
        progress(f"{kind}: ingesting {args.repeat} × each file")
        try:
            figures[kind] = measure(kind, promptfoo, sarif, args.repeat)
        except Skipped as skipped:
            figures[kind] = {"skipped": skipped.reason}
    emit(figures)


if __name__ == "__main__":
    main()
