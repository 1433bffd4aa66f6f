"""JUnit XML (pytest's --junitxml, DeepEval under pytest, most CI runners): one EvalRun per suite.

The XML is read by defusedxml with DTDs forbidden, so an entity-expansion bomb or an external
entity is refused before anything expands; junitparser then reads the suites and cases.

Shape (pytest's src/_pytest/junitxml.py): a `<testsuites>` root (or a lone `<testsuite>`),
`<testsuite name tests failures errors skipped time timestamp>` holding `<testcase>`
elements whose `<failure>`, `<error>` or `<skipped>` child says how the case ended.

Counting, from the cases themselves (a suite's own `tests`/`failures` attributes are not
trusted: pytest writes one `tests` count for two `<testcase>` elements when a test fails and
then its teardown errors):
- errored: the case has an `<error>` (an error outranks a failure in the same case);
- failed: it has a `<failure>`;
- skipped: it has a `<skipped>` (pytest writes xfail this way);
- passed: none of these.
Suites nest: every `<testsuite>` counts its own direct cases, and suites of the same name are
added together into one run (a suite with only child suites makes no run of its own).
suite = `name` (else the file's stem); started_at = the earliest `timestamp` (naive timestamps,
as older pytest writes them, are read as UTC); metrics: `time`, the suites' seconds summed
(a suite without `time` counts its cases' times).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from xml.etree.ElementTree import Element, ParseError

import defusedxml  # type: ignore[import-untyped]
import defusedxml.ElementTree  # type: ignore[import-untyped]
from junitparser import Error, Failure, Skipped, TestCase

from scalegate.core.evaluations import EvalRun, EvalTotals, FormatError
from scalegate.evaluations.formats._values import timestamp


@dataclass
class _Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    started: list[datetime] = field(default_factory=list)

    def run(self, suite: str) -> EvalRun:
        passed, failed, errored, skipped = (
            self.outcomes[outcome] for outcome in ("passed", "failed", "errored", "skipped")
        )
        return EvalRun(
            source="junit",
            suite=suite,
            totals=EvalTotals(
                passed + failed + errored + skipped, passed, failed, errored, skipped
            ),
            started_at=min(self.started) if self.started else None,
            metrics={"time": round(self.seconds, 6)},
        )


def _root(data: bytes) -> Element:
    try:
        root: Element = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as error:
        raise FormatError(
            f"refused: the XML declares a DTD or entities ({type(error).__name__}); "
            "JUnit results need neither, and entity expansion is how XML bombs work"
        ) from None
    except ParseError as error:
        line, column = error.position
        reason = str(error).rsplit(": line ", 1)[0]
        raise FormatError(f"not XML: {reason}", f"line {line} column {column}") from None
    return root


def _number(element: Element, key: str, where: str) -> float | None:
    raw = element.get(key)
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise FormatError(f'expected a number of seconds, got "{raw}"', f"{where}@{key}") from None


def _outcome(case: TestCase) -> str:
    results = case.result
    if any(isinstance(result, Error) for result in results):
        return "errored"
    if any(isinstance(result, Failure) for result in results):
        return "failed"
    if any(isinstance(result, Skipped) for result in results):
        return "skipped"
    return "passed"


def _walk(element: Element, where: str, fallback: str, tallies: dict[str, _Tally]) -> None:
    case_elements = element.findall("testcase")
    children = element.findall("testsuite")
    if case_elements or not children:
        tally = tallies.setdefault(element.get("name") or fallback, _Tally())
        for case in case_elements:
            # junitparser leaves fromelem unannotated; it wraps the element, reading nothing.
            tally.outcomes[_outcome(TestCase.fromelem(case))] += 1  # type: ignore[no-untyped-call]
        seconds = _number(element, "time", where)
        if seconds is None:
            case_times = (_number(case, "time", f"{where}/testcase") for case in case_elements)
            seconds = sum(time or 0.0 for time in case_times)
        tally.seconds += seconds
        started = element.get("timestamp")
        if started:
            tally.started.append(timestamp(started, f"{where}@timestamp"))
    for index, child in enumerate(children, start=1):
        _walk(child, f"{where}/testsuite[{index}]", fallback, tallies)


def parse_junit(data: bytes, name: str) -> list[EvalRun]:
    """One evaluation run per test suite name in a JUnit XML file."""
    root = _root(data)
    if root.tag not in ("testsuites", "testsuite"):
        raise FormatError(
            f"expected a <testsuites> or <testsuite> root element, got <{root.tag}>", "/"
        )
    fallback = PurePath(name).stem or "junit"
    tallies: dict[str, _Tally] = {}
    if root.tag == "testsuite":
        _walk(root, "/testsuite", fallback, tallies)
    else:
        for index, suite in enumerate(root.findall("testsuite"), start=1):
            _walk(suite, f"/testsuites/testsuite[{index}]", fallback, tallies)
    return [tally.run(suite) for suite, tally in tallies.items()]
