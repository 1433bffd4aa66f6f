"""Results files as the tools write them, for the demo: promptfoo, JUnit XML and Inspect logs.

Pure and deterministic: the same arguments give the same bytes, so a second demo build sends
byte-identical files and stores nothing new. Shapes follow the fixtures in
tests/fixtures/evaluations/ (each from its tool's documented output).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from xml.sax.saxutils import quoteattr

DEMO_NAMESPACE = uuid.UUID("5b0f3c1e-8d2a-4c6e-9f71-2a4d6b8c0e13")


def _id(*parts: object) -> str:
    return str(uuid.uuid5(DEMO_NAMESPACE, "/".join(map(str, parts))))


def _short(*parts: object, size: int = 22) -> str:
    """An id in the style of Inspect's and promptfoo's short ids, derived from `parts`."""
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:size]


def zulu(moment: datetime, millis: bool = True) -> str:
    """A UTC moment as JavaScript and SARIF tools write it: 2026-01-05T07:40:00.000Z."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}Z" if millis else f"{text}Z"


def json_file(document: Any) -> bytes:
    """A JSON document as the tools save it: indented, UTF-8, a final newline."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Row:
    """One promptfoo test case: its vars, the model's output and, when it failed, which
    assertion (by position) rejected it and why."""

    vars: Mapping[str, str]
    output: str
    latency_ms: int
    tokens: tuple[int, int]  # prompt, completion
    failed_assert: int | None = None
    reason: str = ""
    score: float | None = None  # a graded score; else the share of assertions passed


@dataclass(frozen=True)
class PromptfooRun:
    """A `promptfoo eval -o results.json` of one prompt on one provider."""

    description: str
    prompt_label: str
    template: str  # the prompt, {{var}} placeholders unfilled
    provider: str
    asserts: tuple[Mapping[str, str], ...]
    started: datetime
    rows: tuple[Row, ...]
    price_per_million: tuple[float, float]  # input, output USD
    version: str = "0.112.7"


def _filled(template: str, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", value)
    return template


def _graded(run: PromptfooRun, row: Row, index: int) -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    for position, assertion in enumerate(run.asserts):
        ok = position != row.failed_assert
        reason = "Assertion passed" if ok else row.reason
        if ok and assertion["type"] == "llm-rubric":
            reason = "The output meets the rubric."
        graded = assertion["type"] == "llm-rubric" and row.score is not None
        components.append(
            {
                "pass": ok,
                "score": row.score if graded else int(ok),
                "reason": reason,
                "assertion": {**assertion, "value": _filled(assertion["value"], row.vars)},
            }
        )
    passed = row.failed_assert is None
    share = (len(run.asserts) - (0 if passed else 1)) / len(run.asserts)
    score = round(row.score if row.score is not None else share, 4)
    cost = (
        row.tokens[0] * run.price_per_million[0] + row.tokens[1] * run.price_per_million[1]
    ) / 1e6
    result: dict[str, Any] = {
        "id": _id(run.description, run.started.isoformat(), index),
        "promptIdx": 0,
        "testIdx": index,
        "testCase": {"vars": dict(row.vars), "assert": [dict(a) for a in run.asserts]},
        "promptId": hashlib.sha256(run.template.encode()).hexdigest(),
        "provider": {"id": run.provider, "label": run.provider.rsplit(":", 1)[-1]},
        "prompt": {"raw": _filled(run.template, row.vars), "label": run.prompt_label},
        "vars": dict(row.vars),
        "response": {
            "output": row.output,
            "tokenUsage": {
                "total": sum(row.tokens),
                "prompt": row.tokens[0],
                "completion": row.tokens[1],
                "cached": 0,
                "numRequests": 1,
            },
            "cached": False,
            "finishReason": "stop",
        },
    }
    if not passed:
        result["error"] = row.reason
    return result | {
        "failureReason": 0 if passed else 1,
        "success": passed,
        "score": score,
        "latencyMs": row.latency_ms,
        "cost": round(cost, 7),
        "gradingResult": {
            "pass": passed,
            "score": score,
            "reason": "All assertions passed" if passed else row.reason,
            "namedScores": {},
            "componentResults": components,
        },
        "namedScores": {},
        "metadata": {},
    }


def promptfoo_results(run: PromptfooRun) -> bytes:
    """The output file of one promptfoo eval (results version 3)."""
    results = [_graded(run, row, index) for index, row in enumerate(run.rows)]
    passed = sum(r["success"] for r in results)
    latency = sum(row.latency_ms for row in run.rows)
    finished = run.started + timedelta(milliseconds=latency // 4 + 1_500)
    prompt_tokens = sum(row.tokens[0] for row in run.rows)
    completion_tokens = sum(row.tokens[1] for row in run.rows)
    usage = {
        "total": prompt_tokens + completion_tokens,
        "prompt": prompt_tokens,
        "completion": completion_tokens,
        "cached": 0,
        "numRequests": len(run.rows),
    }
    document = {
        "evalId": f"eval-{_short(run.description, run.started, size=3)}-{zulu(run.started)[:19]}",
        "results": {
            "version": 3,
            "timestamp": zulu(run.started),
            "prompts": [
                {
                    "raw": run.template,
                    "label": run.prompt_label,
                    "id": hashlib.sha256(run.template.encode()).hexdigest(),
                    "provider": run.provider,
                    "metrics": {
                        "score": round(sum(r["score"] for r in results), 4),
                        "testPassCount": passed,
                        "testFailCount": len(results) - passed,
                        "testErrorCount": 0,
                        "assertPassCount": sum(
                            c["pass"]
                            for r in results
                            for c in r["gradingResult"]["componentResults"]
                        ),
                        "assertFailCount": len(results) - passed,
                        "totalLatencyMs": latency,
                        "cost": round(sum(r["cost"] for r in results), 7),
                    },
                }
            ],
            "results": results,
            "stats": {
                "successes": passed,
                "failures": len(results) - passed,
                "errors": 0,
                "tokenUsage": usage,
            },
        },
        "config": {
            "description": run.description,
            "prompts": [f"file://prompts/{run.prompt_label}.txt"],
            "providers": [run.provider],
            "tests": f"file://tests/{run.prompt_label.rsplit('_v', 1)[0]}_cases.yaml",
            "defaultTest": {"assert": [dict(a) for a in run.asserts]},
            "outputPath": ["results.json"],
        },
        "shareableUrl": None,
        "metadata": {
            "promptfooVersion": run.version,
            "nodeVersion": "v20.18.0",
            "platform": "linux",
            "arch": "x64",
            "exportedAt": zulu(finished + timedelta(seconds=2)),
            "evaluationCreatedAt": zulu(run.started),
            "author": "ci@northwind.example",
        },
    }
    return json_file(document)


@dataclass(frozen=True)
class TestCase:
    """One JUnit test case: a failure message, or a skip (pytest's xfail), or neither."""

    classname: str
    name: str
    seconds: float
    failure: str | None = None
    skipped: str | None = None


def junit_results(
    suite: str,
    started: datetime,
    host: str,
    cases: Sequence[TestCase],
    properties: Mapping[str, str],
) -> bytes:
    """A pytest `--junitxml` report with one suite (DeepEval runs under pytest)."""
    failures = sum(c.failure is not None for c in cases)
    skipped = sum(c.skipped is not None for c in cases)
    seconds = sum(c.seconds for c in cases)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<testsuites name="pytest tests">',
        f'  <testsuite name={quoteattr(suite)} errors="0" failures="{failures}" '
        f'skipped="{skipped}" tests="{len(cases)}" time="{seconds:.3f}" '
        f'timestamp="{started.isoformat()}" hostname={quoteattr(host)}>',
        "    <properties>",
        *(
            f"      <property name={quoteattr(k)} value={quoteattr(v)} />"
            for k, v in properties.items()
        ),
        "    </properties>",
    ]
    for case in cases:
        head = (
            f"    <testcase classname={quoteattr(case.classname)} name={quoteattr(case.name)} "
            f'time="{case.seconds:.3f}"'
        )
        if case.failure is not None:
            lines += [
                f"{head}>",
                f"      <failure message={quoteattr(case.failure)}>"
                f"{_escaped(case.failure)}</failure>",
                "    </testcase>",
            ]
        elif case.skipped is not None:
            lines += [
                f"{head}>",
                f'      <skipped type="pytest.xfail" message={quoteattr(case.skipped)} />',
                "    </testcase>",
            ]
        else:
            lines.append(f"{head} />")
    lines += ["  </testsuite>", "</testsuites>", ""]
    return "\n".join(lines).encode("utf-8")


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class InspectRun:
    """An Inspect AI eval logged without samples (`log_samples=False`): the header only."""

    task: str
    task_file: str
    dataset: str
    samples: int
    model: str  # provider/model, as Inspect names it
    started: datetime
    seconds: int
    scores: Mapping[str, Mapping[str, float]]  # scorer -> metric -> value
    system_message: str
    origin: str
    commit: str
    version: str = "0.3.93"


def inspect_log(run: InspectRun) -> bytes:
    """An Inspect AI `.json` eval log of a finished eval."""
    key = (run.task, run.started.isoformat())
    scorers = [
        {
            "name": name,
            "options": {},
            "metrics": [{"name": f"inspect_ai/{m}", "options": {}} for m in metrics],
            "metadata": {},
        }
        for name, metrics in run.scores.items()
    ]
    scores = [
        {
            "name": name,
            "scorer": name,
            "reducer": "mean",
            "params": {},
            "metrics": {m: {"name": m, "value": v, "params": {}} for m, v in metrics.items()},
        }
        for name, metrics in run.scores.items()
    ]
    tokens_in, tokens_out = run.samples * 412, run.samples * 9
    document = {
        "version": 2,
        "status": "success",
        "eval": {
            "eval_id": _short("eval", *key),
            "run_id": _short("run", *key),
            "created": (run.started - timedelta(seconds=1)).isoformat(),
            "task": run.task,
            "task_id": _short("task", run.task),
            "task_version": 1,
            "task_file": run.task_file,
            "task_attribs": {},
            "task_args": {},
            "solver_args": {},
            "dataset": {
                "name": run.dataset,
                "location": f"data/{run.dataset}.jsonl",
                "samples": run.samples,
                "shuffled": False,
            },
            "model": run.model,
            "model_generate_config": {},
            "model_args": {},
            "config": {"epochs": 1, "epochs_reducer": ["mean"], "log_samples": False},
            "revision": {"type": "git", "origin": run.origin, "commit": run.commit},
            "packages": {"inspect_ai": run.version},
            "scorers": scorers,
        },
        "plan": {
            "name": "plan",
            "steps": [
                {"solver": "system_message", "params": {"template": run.system_message}},
                {"solver": "generate", "params": {}},
            ],
            "config": {"temperature": 0.0, "max_tokens": 64},
        },
        "results": {
            "total_samples": run.samples,
            "completed_samples": run.samples,
            "scores": scores,
        },
        "stats": {
            "started_at": run.started.isoformat(),
            "completed_at": (run.started + timedelta(seconds=run.seconds)).isoformat(),
            "model_usage": {
                run.model: {
                    "input_tokens": tokens_in,
                    "output_tokens": tokens_out,
                    "total_tokens": tokens_in + tokens_out,
                }
            },
        },
    }
    return json_file(document)
