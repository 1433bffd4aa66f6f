"""Results-file parsers on realistic fixtures (tests/fixtures/evaluations/), counted by hand.

Where each fixture's shape comes from:
- promptfoo-*.json: the `-o results.json` output file, `OutputFile` / `EvaluateSummaryV3` /
  `EvaluateResult` / `ResultFailureReason` in promptfoo's src/types/index.ts, and the output
  formats page, https://www.promptfoo.dev/docs/configuration/outputs;
- junit-*.xml: pytest's --junitxml writer, src/_pytest/junitxml.py (suite names set with
  `junit_suite_name`, two runs merged into one `<testsuites>`; pretty-printed for reading);
- bandit.sarif: Bandit's formatter, bandit/formatters/sarif.py in PyCQA/bandit (omits `level`
  when it is "warning"; rules carry `defaultConfiguration.level`; only `endTimeUtc`);
- semgrep.sarif: `semgrep --sarif` (tool "Semgrep OSS", `{"kind": "inSource"}` suppressions for
  nosemgrep, semgrep/semgrep#3606), rules with `properties.security-severity` as GitHub reads
  it (docs.github.com "SARIF support for code scanning"), `baselineState` on every result as
  OASIS SARIF 2.1.0 §3.27.24 requires once a baseline comparison added it;
- inspect-*.json: `EvalLog` in inspect_ai's src/inspect_ai/log/_log.py; the `.eval` archive is
  built here from the JSON the way log/_recorders/eval.py writes it (header.json,
  _journal/start.json, samples/).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scalegate.core.evaluations import EvalRun, FormatError, SecurityScan
from scalegate.evaluations.formats import FORMATS, detect, inspect_log, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evaluations"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def only_run(format: str, data: bytes, name: str = "results.json") -> EvalRun:
    runs, scans = parse(format, data, name)
    assert scans == [] and len(runs) == 1
    return runs[0]


def scans_of(document: dict[str, Any]) -> list[SecurityScan]:
    runs, scans = parse("sarif", json.dumps(document).encode(), "scan.sarif")
    assert runs == []
    return scans


def refused(format: str, data: bytes, name: str = "results") -> FormatError:
    with pytest.raises(FormatError) as caught:
        parse(format, data, name)
    return caught.value


# --- promptfoo ------------------------------------------------------------------------------


def test_promptfoo_run_counts_rows_as_promptfoo_does() -> None:
    """20 rows (10 cases × 2 providers): 16 success, 3 failureReason ASSERT (1), 1 ERROR (2,
    Anthropic 529), matching the file's stats 16 / 3 / 1.

    mean_score: 16 × 1 + 0.75 + 0.5 + 0.75 + 0 = 18 over 20 rows = 0.9; mean latency and cost
    from the file's own per-prompt metrics: (16,789 + 19,889) ms / 20 = 1,833.9 ms and
    0.0012755 + 0.0074376 = 0.0087131 USD.
    """
    run = only_run("promptfoo", fixture("promptfoo-billing-dispute.json"))
    assert run.source == "promptfoo"
    assert run.totals.as_dict() == {
        "total": 20,
        "passed": 16,
        "failed": 3,
        "errored": 1,
        "skipped": 0,
    }
    assert run.suite == "Billing dispute reply (prompt v2)"
    assert run.run_id == "eval-Xq3-2025-05-12T08:14:03"
    assert run.started_at == datetime(2025, 5, 12, 8, 14, 3, 512000, tzinfo=UTC)
    assert run.tool_version == "0.112.7"
    assert run.providers == ("openai:gpt-4o-mini", "anthropic:messages:claude-3-5-haiku-20241022")
    assert run.metrics["mean_score"] == pytest.approx(0.9)
    assert run.metrics["mean_latency_ms"] == pytest.approx(1833.9)
    assert run.metrics["cost_usd"] == pytest.approx(0.0087131)


def test_promptfoo_error_text_on_an_assert_row_is_a_failure() -> None:
    """promptfoo copies an assertion's reason into `error` (failureReason 1); only
    failureReason ERROR (2 or "ERROR") makes a row errored. Rows: pass, assert+error text,
    ERROR by name, NONE without output → 1 passed, 2 failed, 1 errored."""
    rows = [
        {"success": True, "failureReason": 0, "provider": {"id": "openai:gpt-4o-mini"}},
        {"success": False, "failureReason": 1, "error": "Expected output to contain DSP-1"},
        {"success": False, "failureReason": "ERROR", "error": "API error: 429"},
        {"success": False, "error": "No output"},
    ]
    stats = {"successes": 1, "failures": 2, "errors": 1}
    document = {"evalId": None, "results": {"version": 3, "results": rows, "stats": stats}}
    run = only_run("promptfoo", json.dumps(document).encode(), "evals/billing-v1.json")
    assert (run.totals.passed, run.totals.failed, run.totals.errored) == (1, 2, 1)
    assert run.suite == "billing-v1"  # no config.description: the file's stem
    assert run.run_id is None and run.started_at is None and run.tool_version is None
    assert run.providers == ("openai:gpt-4o-mini",)


def test_promptfoo_bare_summary_shape() -> None:
    """The bare summary (`results[]` and `stats` beside `version`, EvaluateSummaryV2): the
    fixture's summary object alone gives the same 16 / 3 / 1."""
    summary = json.loads(fixture("promptfoo-billing-dispute.json"))["results"]
    summary["version"] = 2
    run = only_run("promptfoo", json.dumps(summary).encode(), "latest.json")
    assert (run.totals.passed, run.totals.failed, run.totals.errored) == (16, 3, 1)
    assert run.suite == "latest"
    assert run.started_at == datetime(2025, 5, 12, 8, 14, 3, 512000, tzinfo=UTC)


def test_promptfoo_stats_that_disagree_with_the_rows_are_refused() -> None:
    """The malformed fixture keeps the full run's stats (16 / 3 / 1) over 6 passing rows."""
    error = refused("promptfoo", fixture("promptfoo-malformed.json"))
    assert error.where == "results.stats"
    assert "successes 16, failures 3, errors 1" in error.message
    assert "6 passed, 0 failed, 0 errored" in error.message


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (
            lambda d: d["results"]["stats"].update(successes="x"),
            "results.stats.successes",
            'got "x"',
        ),
        (
            lambda d: d["results"]["results"][4].update(success="yes"),
            "results.results[4].success",
            'got "yes"',
        ),
        (
            lambda d: d["results"]["results"][2].update(failureReason=7),
            "results.results[2].failureReason",
            "got 7",
        ),
        (
            lambda d: d["results"]["results"][0].update(score="high"),
            "results.results[0].score",
            "number",
        ),
        (lambda d: d["results"].update(timestamp="yesterday"), "results.timestamp", "ISO 8601"),
        (lambda d: d.pop("results"), "results", "got nothing"),
        (lambda d: d["results"].pop("stats"), "results.stats", "expected an object"),
    ],
)
def test_promptfoo_malformed_fields_name_their_path(edit: Any, where: str, message: str) -> None:
    """Each broken field is reported at its path."""
    document = json.loads(fixture("promptfoo-billing-dispute.json"))
    edit(document)
    error = refused("promptfoo", json.dumps(document).encode())
    assert error.where == where
    assert message in error.message
    assert str(error).startswith(f"{where}: ")


def test_promptfoo_not_json() -> None:
    """A file cut after 33 bytes: the JSON stops at column 34, just past its end."""
    error = refused("promptfoo", b'{"evalId": "eval-1", "results": {')
    assert error.where == "line 1 column 34"
    assert error.message.startswith("not JSON")


# --- JUnit ----------------------------------------------------------------------------------


def test_junit_pytest_file_gives_one_run_per_suite() -> None:
    """billing_dispute_unit: 8 cases = 5 passed + 1 failure + 1 setup error + 1 skip;
    billing_dispute_deepeval: 6 cases = 4 passed + 1 failure + 1 xfail (written as skipped).
    The second suite's timestamp has no offset (older pytest) and is read as UTC."""
    runs, scans = parse("junit", fixture("junit-pytest.xml"), "junit-pytest.xml")
    assert scans == []
    by_suite = {run.suite: run for run in runs}
    assert list(by_suite) == ["billing_dispute_unit", "billing_dispute_deepeval"]
    unit, llm = by_suite["billing_dispute_unit"], by_suite["billing_dispute_deepeval"]
    assert unit.totals.as_dict() == {
        "total": 8,
        "passed": 5,
        "failed": 1,
        "errored": 1,
        "skipped": 1,
    }
    assert llm.totals.as_dict() == {
        "total": 6,
        "passed": 4,
        "failed": 1,
        "errored": 0,
        "skipped": 1,
    }
    assert unit.started_at == datetime(2025, 5, 12, 8, 2, 11, 418327, tzinfo=UTC)
    assert llm.started_at == datetime(2025, 5, 12, 8, 5, 40, 92311, tzinfo=UTC)
    assert unit.metrics == {"time": 3.482} and llm.metrics == {"time": 41.907}
    assert all(run.source == "junit" and run.providers == () for run in runs)


NESTED = b"""<?xml version="1.0"?>
<testsuites>
  <testsuite name="e2e" timestamp="2025-05-12T10:00:00+02:00">
    <testsuite name="api" time="1.5">
      <testcase classname="api" name="a1" time="1.0"/>
      <testcase classname="api" name="a2" time="0.5"><failure message="500"/></testcase>
    </testsuite>
    <testsuite name="api" timestamp="2025-05-12T07:30:00Z">
      <testcase classname="api" name="a3" time="0.25">
        <failure message="assert 1 == 2"/><error message="teardown: connection reset"/>
      </testcase>
    </testsuite>
    <testcase classname="e2e" name="smoke" time="2.0"/>
  </testsuite>
  <testsuite name="pages"><testsuite name="ui"/></testsuite>
</testsuites>"""


def test_junit_nested_suites_flatten_by_name() -> None:
    """e2e holds 1 direct case (smoke, passed, no `time` of its own → its case's 2.0 s);
    the two "api" suites add up: a1 passed, a2 failed, a3 errored (an error outranks a failure
    in the same case), 1.5 s + 0.25 s, started at the earlier timestamp (07:30 UTC);
    "pages" only holds suites, so it makes no run; the empty "ui" suite is a run of 0 cases."""
    runs = {run.suite: run for run in parse("junit", NESTED, "nested.xml")[0]}
    assert list(runs) == ["e2e", "api", "ui"]
    assert (runs["e2e"].totals.total, runs["e2e"].totals.passed) == (1, 1)
    assert runs["e2e"].metrics == {"time": 2.0}
    assert runs["e2e"].started_at == datetime(2025, 5, 12, 8, 0, tzinfo=UTC)
    api = runs["api"].totals
    assert (api.total, api.passed, api.failed, api.errored, api.skipped) == (3, 1, 1, 1, 0)
    assert runs["api"].metrics == {"time": 1.75}
    assert runs["api"].started_at == datetime(2025, 5, 12, 7, 30, tzinfo=UTC)
    assert runs["ui"].totals.total == 0


def test_junit_lone_testsuite_root_and_unnamed_suite() -> None:
    """A `<testsuite>` root is a file of one suite; without a name it takes the file's stem."""
    data = b'<testsuite><testcase name="a"/><testcase name="b"><skipped/></testcase></testsuite>'
    run = only_run("junit", data, "reports/smoke-tests.xml")
    assert run.suite == "smoke-tests"
    assert (run.totals.total, run.totals.passed, run.totals.skipped) == (2, 1, 1)
    assert run.started_at is None


def test_junit_entity_bomb_is_refused() -> None:
    """Billion laughs: 10 levels of 10 entity references would expand to 10⁹ "lol"s."""
    error = refused("junit", fixture("junit-billion-laughs.xml"))
    assert "DTD" in error.message and "refused" in error.message


def test_junit_external_entity_is_refused() -> None:
    """An external entity (XXE) would read a file from the server's disk."""
    data = b"""<?xml version="1.0"?>
<!DOCTYPE testsuites [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<testsuites><testsuite name="x"><testcase name="t"><system-out>&secret;</system-out>
</testcase></testsuite></testsuites>"""
    assert "refused" in refused("junit", data).message


def test_junit_malformed_file_says_where() -> None:
    """The fixture stops inside the third `<testcase>` tag (line 6)."""
    error = refused("junit", fixture("junit-malformed.xml"))
    assert error.where == "line 6 column 4"
    assert error.message == "not XML: unclosed token"


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (b"<html><body/></html>", "/", "got <html>"),
        (
            b'<testsuites><testsuite name="u" time="fast"/></testsuites>',
            "/testsuites/testsuite[1]@time",
            '"fast"',
        ),
        (
            b'<testsuite name="u" timestamp="12 May"><testcase name="t"/></testsuite>',
            "/testsuite@timestamp",
            "ISO 8601",
        ),
        (b"", "line 1 column 0", "not XML"),
    ],
)
def test_junit_wrong_shapes_name_their_place(data: bytes, where: str, message: str) -> None:
    """Not JUnit, a non-numeric time, an unreadable timestamp, an empty file."""
    error = refused("junit", data)
    assert error.where == where
    assert message in error.message


# --- SARIF ----------------------------------------------------------------------------------


def test_bandit_scan_levels_fall_back_to_the_rule_default() -> None:
    """6 results: B105 and B311 "note" (LOW), B324 "error" (HIGH), and B608 twice plus B113
    without `level` (Bandit omits "warning"), taking their rules' default "warning" → error 1,
    warning 3, note 2. Bandit writes no security-severity, so no security bucket counts. The
    invocation succeeded although it reported a file it could not parse; only endTimeUtc."""
    [scan] = parse("sarif", fixture("bandit.sarif"), "bandit.sarif")[1]
    assert scan.tool == "Bandit" and scan.tool_version == "1.8.6"
    assert dict(scan.counts) == {"error": 1, "warning": 3, "note": 2}
    assert dict(scan.security) == {"critical": 0, "high": 0, "medium": 0, "low": 0}
    assert scan.suppressed == 0
    assert scan.execution_successful is True
    assert scan.started_at == datetime(2025, 5, 12, 8, 3, 27, tzinfo=UTC)


def test_semgrep_scan_severity_suppression_and_baseline() -> None:
    """6 results: tainted-sql-string (rule error, 8.8 → high), formatted-sql-query twice
    (warning, 6.1 → medium), disabled-cert-validation with a nosemgrep suppression (no status
    → accepted: suppressed only), logger-credential-leak with baselineState "absent" (left out),
    open-never-closed (note, no score) → error 1, warning 2, note 1; high 1, medium 2;
    suppressed 1. Semgrep writes `semanticVersion` only and no times."""
    [scan] = parse("sarif", fixture("semgrep.sarif"), "semgrep.sarif")[1]
    assert scan.tool == "Semgrep OSS" and scan.tool_version == "1.119.0"
    assert dict(scan.counts) == {"error": 1, "warning": 2, "note": 1}
    assert dict(scan.security) == {"critical": 0, "high": 1, "medium": 2, "low": 0}
    assert scan.suppressed == 1
    assert scan.execution_successful is True
    assert scan.started_at is None


def sarif_log(
    results: list[dict[str, Any]], rules: list[dict[str, Any]] | None = None, **run: Any
) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": "CodeQL", "semanticVersion": "2.21.3", "rules": rules or []}
    return {"version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results, **run}]}


RULES = [
    {
        "id": "py/sql-injection",
        "defaultConfiguration": {"level": "error"},
        "properties": {"security-severity": "8.8"},
    },
    {"id": "py/unused-import"},
]


def test_sarif_level_resolution() -> None:
    """Spec §3.27.10: explicit level; the rule's default (error); a rule without a default
    configuration → warning; no rule at all → warning; kind "pass" and level "none" count
    nowhere; a hierarchical ruleId finds its rule by its first component (error)."""
    results = [
        {"ruleId": "py/unused-import", "level": "note"},
        {"ruleId": "py/sql-injection", "ruleIndex": 0},
        {"ruleId": "py/unused-import", "ruleIndex": 1},
        {"ruleId": "custom/no-rule"},
        {"ruleId": "py/sql-injection", "kind": "pass"},
        {"ruleId": "py/sql-injection", "level": "none"},
        {"ruleId": "py/sql-injection/flask"},
    ]
    [scan] = scans_of(sarif_log(results, RULES))
    assert dict(scan.counts) == {"error": 2, "warning": 2, "note": 1}
    assert dict(scan.security) == {"critical": 0, "high": 2, "medium": 0, "low": 0}


@pytest.mark.parametrize(
    ("suppressions", "suppressed"),
    [
        ([], False),
        ([{"kind": "external", "status": "accepted"}], True),
        ([{"kind": "inSource"}], True),
        ([{"kind": "external", "status": "underReview"}], False),
        ([{"kind": "external", "status": "rejected"}], False),
        (
            [
                {"kind": "inSource", "status": "accepted"},
                {"kind": "external", "status": "rejected"},
            ],
            False,
        ),
    ],
)
def test_sarif_suppressions(suppressions: list[dict[str, str]], suppressed: bool) -> None:
    """A suppressed result counts in `suppressed` only; under review or rejected, it counts."""
    [scan] = scans_of(
        sarif_log([{"ruleId": "py/sql-injection", "suppressions": suppressions}], RULES)
    )
    assert scan.suppressed == int(suppressed)
    assert scan.counts["error"] == int(not suppressed)
    assert scan.security["high"] == int(not suppressed)


@pytest.mark.parametrize(
    ("score", "bucket"),
    [
        ("9.0", "critical"),
        ("8.9", "high"),
        (7.0, "high"),
        ("4.0", "medium"),
        ("0.1", "low"),
        ("0.0", None),
        ("10.5", None),
    ],
)
def test_sarif_security_severity_buckets(score: object, bucket: str | None) -> None:
    """GitHub's reading: critical ≥ 9, high ≥ 7, medium ≥ 4, low > 0; 0 and scores past 10
    have none. The result's own score wins over its rule's (8.8 here)."""
    result = {"ruleId": "py/sql-injection", "properties": {"security-severity": score}}
    [scan] = scans_of(sarif_log([result], RULES))
    expected = dict.fromkeys(("critical", "high", "medium", "low"), 0)
    if bucket:
        expected[bucket] = 1
    assert dict(scan.security) == expected


def test_sarif_rule_in_a_tool_extension() -> None:
    """CodeQL keeps rules in query packs: `rule.toolComponent.index` points into
    tool.extensions; that rule's default level (error) and score (9.8 → critical) apply."""
    pack = {
        "name": "codeql/python-queries",
        "rules": [
            {
                "id": "py/code-injection",
                "defaultConfiguration": {"level": "error"},
                "properties": {"security-severity": "9.8"},
            }
        ],
    }
    document = sarif_log(
        [
            {
                "ruleId": "py/code-injection",
                "rule": {"id": "py/code-injection", "index": 0, "toolComponent": {"index": 0}},
            }
        ]
    )
    document["runs"][0]["tool"]["extensions"] = [pack]
    [scan] = scans_of(document)
    assert scan.counts["error"] == 1 and scan.security["critical"] == 1


@pytest.mark.parametrize(
    ("invocations", "successful"),
    [
        (None, True),
        ([], True),
        ([{"executionSuccessful": True}, {"executionSuccessful": False}], False),
        ([{"executionSuccessful": True, "startTimeUtc": "2025-05-12T08:00:00Z"}], True),
    ],
)
def test_sarif_execution_successful(
    invocations: list[dict[str, Any]] | None, successful: bool
) -> None:
    """Every invocation must have succeeded; a run without invocations claims no failure."""
    extra = {} if invocations is None else {"invocations": invocations}
    [scan] = scans_of(sarif_log([], **extra))
    assert scan.execution_successful is successful


def test_sarif_one_scan_per_run() -> None:
    """Two runs (say Trivy then CodeQL) are two scans, each with its own tool and counts."""
    trivy = {
        "tool": {"driver": {"name": "Trivy", "version": "0.62.1"}},
        "results": [{"ruleId": "CVE-2024-6345", "level": "error"}],
    }
    document = sarif_log([])
    document["runs"].insert(0, trivy)
    scans = scans_of(document)
    assert [(s.tool, s.tool_version, s.counts["error"]) for s in scans] == [
        ("Trivy", "0.62.1", 1),
        ("CodeQL", "2.21.3", 0),
    ]


@pytest.mark.parametrize(
    ("document", "where", "message"),
    [
        ({"version": "2.1.0"}, "runs", "missing"),
        ({"runs": []}, "version", "missing"),
        ({"version": "2.0.0", "runs": []}, "version", '"2.0.0"'),
        (
            sarif_log([{"ruleId": "x", "level": "critical"}]),
            "runs[0].results[0].level",
            '"critical"',
        ),
        (
            sarif_log([{"ruleId": "x", "baselineState": "gone"}]),
            "runs[0].results[0].baselineState",
            '"gone"',
        ),
        (
            sarif_log([{"ruleId": "x", "properties": {"security-severity": "high"}}]),
            "runs[0].results[0].properties.security-severity",
            '"high"',
        ),
        (
            sarif_log([], invocations=[{"executionSuccessful": "yes"}]),
            "runs[0].invocations[0].executionSuccessful",
            '"yes"',
        ),
        (
            sarif_log(
                [{"ruleId": "x", "suppressions": [{"kind": "inSource", "status": "approved"}]}]
            ),
            "runs[0].results[0].suppressions[0].status",
            '"approved"',
        ),
        (
            sarif_log([{"ruleId": "x", "ruleIndex": 4}], RULES),
            "runs[0].results[0]",
            "no rule at index 4",
        ),
        (
            {"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]},
            "runs[0].tool.driver.name",
            "expected a string",
        ),
    ],
)
def test_sarif_malformed_fields_name_their_path(
    document: dict[str, Any], where: str, message: str
) -> None:
    """Each broken field is reported at its path."""
    error = refused("sarif", json.dumps(document).encode())
    assert error.where == where
    assert message in error.message


def test_semgrep_json_sent_as_sarif_is_refused() -> None:
    """The malformed fixture is `semgrep --json` output: its `version` is Semgrep's own."""
    error = refused("sarif", fixture("sarif-malformed.sarif"))
    assert (error.where, error.message) == ("version", 'expected "2.1.0", got "1.119.0"')


# --- Inspect AI -----------------------------------------------------------------------------

INSPECT_TOTALS = {"total": 50, "passed": 42, "failed": 6, "errored": 2, "skipped": 0}


def test_inspect_json_log() -> None:
    """50 samples, 48 completed (fail_on_error 0.1 let 2 error): errored 50 − 48 = 2; the
    first scorer (match) has accuracy 0.875, so passed = 0.875 × 48 = 42, failed 48 − 42 = 6."""
    run = only_run("inspect", fixture("inspect-billing-dispute.json"), "logs/run.json")
    assert run.totals.as_dict() == INSPECT_TOTALS
    assert run.source == "inspect" and run.suite == "billing_dispute_triage"
    assert run.providers == ("openai/gpt-4o-mini",)
    assert run.status == "success"
    assert run.run_id == "hL9xZ2cQwRbT4mVnJ8pKaE"
    assert run.tool_version == "0.3.93"
    assert run.started_at == datetime(2025, 5, 12, 8, 20, 45, tzinfo=UTC)
    assert run.metrics == {
        "match/accuracy": 0.875,
        "match/stderr": pytest.approx(math.sqrt(0.875 * 0.125 / 47)),
        "model_graded_qa/accuracy": pytest.approx(40 / 48),
        "model_graded_qa/stderr": pytest.approx(math.sqrt((40 / 48) * (8 / 48) / 47)),
    }


def eval_archive(header: bytes | None, extra: dict[str, bytes] | None = None) -> bytes:
    """A .eval zip laid out as inspect_ai's EvalRecorder writes it."""
    log = json.loads(fixture("inspect-billing-dispute.json"))
    start = {"version": log["version"], "eval": log["eval"], "plan": log["plan"]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_journal/start.json", json.dumps(start))
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
        if header is not None:
            archive.writestr("header.json", header)
    return buffer.getvalue()


def test_inspect_eval_archive_reads_only_its_header() -> None:
    """The same log as a .eval archive gives the same run; the samples are never read (one
    here is not even JSON)."""
    data = eval_archive(
        fixture("inspect-billing-dispute.json"),
        {"samples/17_epoch_1.json": b"{not json", "summaries.json": b"[]"},
    )
    assert detect("logs/2025-05-12T08-20-44_billing-dispute-triage.eval", data) == "inspect"
    assert only_run("inspect", data, "run.eval") == only_run(
        "inspect", fixture("inspect-billing-dispute.json")
    )


def test_inspect_eval_archive_without_header_is_unfinished() -> None:
    """While an eval runs, its archive holds only _journal/start.json."""
    error = refused("inspect", eval_archive(None))
    assert error.where == "header.json"
    assert "has not finished" in error.message


def test_inspect_header_past_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """header.json is read in memory up to HEADER_LIMIT bytes, never extracted."""
    monkeypatch.setattr(inspect_log, "HEADER_LIMIT", 1024)
    error = refused("inspect", eval_archive(fixture("inspect-billing-dispute.json")))
    assert error.where == "header.json" and "refused" in error.message


def test_inspect_broken_archive() -> None:
    """Zip magic followed by nothing readable."""
    assert "not a readable .eval archive" in refused("inspect", b"PK\x03\x04broken").message


def test_inspect_unfinished_json_log_is_refused() -> None:
    """The malformed fixture is a log still running: status "started", no results."""
    error = refused("inspect", fixture("inspect-malformed.json"))
    assert error.where == "results"
    assert 'status "started"' in error.message


def inspect_log_with(**changes: Any) -> bytes:
    """The fixture log with fields replaced; `results__scores__0__name` walks into lists."""
    log = json.loads(fixture("inspect-billing-dispute.json"))
    for path, value in changes.items():
        target: Any = log
        *parents, key = path.split("__")
        for parent in parents:
            target = target[int(parent)] if isinstance(target, list) else target[parent]
        target[key] = value
    return json.dumps(log).encode()


def test_inspect_errored_run_counts_unfinished_samples_as_errored() -> None:
    """status "error" after 20 of 50 samples, accuracy 0.5: passed round-half-up(0.5 × 20)
    = 10, failed 10, errored 30."""
    scores = [
        {
            "name": "match",
            "scorer": "match",
            "metrics": {"accuracy": {"name": "accuracy", "value": 0.5}},
        }
    ]
    data = inspect_log_with(status="error", results__completed_samples=20, results__scores=scores)
    run = only_run("inspect", data)
    assert run.status == "error"
    assert run.totals.as_dict() == {
        "total": 50,
        "passed": 10,
        "failed": 10,
        "errored": 30,
        "skipped": 0,
    }


def test_inspect_rounds_partial_credit_half_up_and_drops_nan() -> None:
    """Accuracy 0.5 over 3 completed samples (partial credit) → 1.5 → 2 passed, 1 failed;
    a NaN stderr (one-sample metrics) is left out; a first scorer without accuracy is passed
    over for the next one that has it."""
    scores = [
        {"name": "rubric", "scorer": "rubric", "metrics": {"mean": {"name": "mean", "value": 3.5}}},
        {
            "name": "includes",
            "scorer": "includes",
            "metrics": {
                "accuracy": {"name": "accuracy", "value": 0.5},
                "stderr": {"name": "stderr", "value": float("nan")},
            },
        },
    ]
    data = inspect_log_with(
        results__total_samples=3, results__completed_samples=3, results__scores=scores
    )
    run = only_run("inspect", data)
    assert (run.totals.passed, run.totals.failed, run.totals.errored) == (2, 1, 0)
    assert run.metrics == {"rubric/mean": 3.5, "includes/accuracy": 0.5}


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        ({"results__scores": []}, "results.scores", "accuracy"),
        (
            {"results__completed_samples": 51},
            "results.completed_samples",
            "51 completed samples out of 50",
        ),
        ({"results__total_samples": "50"}, "results.total_samples", 'got "50"'),
        ({"status": "done"}, "status", '"done"'),
        ({"eval__task": None}, "eval.task", "expected a string"),
        ({"stats__started_at": "12/05/2025"}, "stats.started_at", "ISO 8601"),
        (
            {"results__scores__0__metrics__accuracy__value": 1.2},
            "results.scores[0].metrics.accuracy.value",
            "from 0 to 1",
        ),
    ],
)
def test_inspect_malformed_fields_name_their_path(
    changes: dict[str, Any], where: str, message: str
) -> None:
    """Each broken field is reported at its path."""
    error = refused("inspect", inspect_log_with(**changes))
    assert error.where == where
    assert message in error.message


# --- dispatch -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fixture_name", "expected"),
    [
        ("results.json", "promptfoo-billing-dispute.json", "promptfoo"),
        ("report.xml", "junit-pytest.xml", "junit"),
        ("upload", "junit-pytest.xml", "junit"),
        ("bandit.sarif", "bandit.sarif", "sarif"),
        ("semgrep.json", "semgrep.sarif", "sarif"),
        ("log.json", "inspect-billing-dispute.json", "inspect"),
        ("<stdin>", "inspect-malformed.json", "inspect"),
        ("semgrep.json", "sarif-malformed.sarif", None),
    ],
)
def test_detect_from_name_and_content(name: str, fixture_name: str, expected: str | None) -> None:
    """The name decides where it is explicit (.eval, .sarif, .xml), the content otherwise."""
    assert detect(name, fixture(fixture_name)) == expected


def test_detect_says_none_when_unsure() -> None:
    """Text that is neither XML nor a known JSON shape is not guessed at."""
    assert detect("notes.txt", b"hello") is None
    assert detect("list.json", b"[1, 2]") is None
    assert detect("page.xml", b"<html/>") is None


def test_parse_routes_each_format() -> None:
    """Runs for promptfoo, JUnit and Inspect; scans for SARIF; anything else is refused."""
    assert FORMATS == ("promptfoo", "junit", "sarif", "inspect")
    assert len(parse("junit", fixture("junit-pytest.xml"), "j.xml")[0]) == 2
    assert len(parse("sarif", fixture("semgrep.sarif"), "s.sarif")[1]) == 1
    error = refused("csv", b"a,b")
    assert error.where == "format" and "promptfoo, junit, sarif, inspect" in error.message
