"""The demo's evaluation runs and security scans, sent as the teams' CI would send them.

Every AI initiative at industrialize or later evaluates on fresh runs (the last 30 days) and
passes `evaluation-pass-rate`. The billing prompt's story: v1 passed its pilot set (123 of 138,
89 %) and went to production; evaluation set v2 added goodwill and partial-credit disputes, on
which v1 falls to 78 % (below the 0.8 bound) while v2 passes 94-95 %; v3 is a staging candidate
for the Dutch and German queues. Scans: billing's Semgrep found a tainted SQL string (high); a
re-scan a week later has no high finding. Proposal drafting's PDF export runs a shell with the
draft's file name, a current high finding that blocks `security-tests-passing` on its way to
adopt.

Files are dated from `today` and carry no wall-clock time, so a second build the same day sends
byte-identical files and stores nothing. They are demo data: named demo/..., from
northwind.example repositories and CI.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.assets.service import library
from scalegate.core.assets import parse_asset_ref
from scalegate.evaluations import demo_suites as suites
from scalegate.evaluations.demo_files import (
    InspectRun,
    TestCase,
    inspect_log,
    junit_results,
    promptfoo_results,
)
from scalegate.evaluations.demo_scans import SCANS, Scan, sarif_log
from scalegate.evaluations.service import ingest_results

BILLING, TRIAGE = "billing-dispute-assistant", "support-ticket-triage"
INCIDENTS, ALT_TEXT = "it-incident-summarisation", "alt-text-metadata-generation"
PROPOSALS, CLAUSES = "proposal-drafting-assistant", "contract-clause-review"
PROMPT, EVAL_SET = "billing-dispute-reply-prompt", "billing-dispute-eval-set"


@dataclass(frozen=True)
class ResultsFile:
    """One results file of the demo and the subject it is sent for."""

    name: str
    format: str
    initiative: str
    model: str | None
    assets: tuple[str, ...]
    data: bytes
    recorded_at: datetime


@dataclass(frozen=True)
class Eval:
    """A promptfoo run: suite, prompt, bound asset versions, when (days before today, UTC
    hour and minute) and how many of its cases passed."""

    initiative: str
    model: str
    suite: suites.Suite
    prompt: str
    assets: tuple[str, ...]
    days_ago: int
    at: tuple[int, int]
    cases: int
    passed: int
    graded: tuple[float, float] | None = None  # rubric scores of passing cases, if not the suite's


def _v(asset: str, version: int) -> str:
    return f"{asset}@{version}"


PROMPTFOO: tuple[Eval, ...] = (
    Eval(BILLING, "gpt-4o-mini", suites.BILLING, "billing_dispute_reply_v1",
         (_v(PROMPT, 1), _v(EVAL_SET, 1)), 29, (7, 40), 138, 123),
    Eval(BILLING, "gpt-4o-mini", suites.BILLING, "billing_dispute_reply_v1",
         (_v(PROMPT, 1), _v(EVAL_SET, 2)), 26, (7, 40), 180, 140),
    *(
        Eval(BILLING, "gpt-4o-mini", suites.BILLING, "billing_dispute_reply_v2",
             (_v(PROMPT, 2), _v(EVAL_SET, 2)), days, (7, 40), 180, passed)
        for days, passed in ((25, 169), (18, 170), (11, 168), (4, 171))
    ),
    *(
        Eval(BILLING, "gpt-4o-mini", suites.BILLING_LANGUAGES, "billing_dispute_reply_v3",
             (_v(PROMPT, 3),), days, (8, 5), 96, passed)
        for days, passed in ((12, 86), (5, 89))
    ),
    Eval(INCIDENTS, "claude-3.5-sonnet", suites.INCIDENT, "incident_summary_v1",
         (_v("incident-summary-prompt", 1),), 28, (5, 15), 60, 55, (0.76, 0.96)),
    *(
        Eval(INCIDENTS, "claude-3.5-sonnet", suites.INCIDENT, "incident_summary_v2",
             (_v("incident-summary-prompt", 2),), days, (5, 15), 120, passed, (0.86, 1.0))
        for days, passed in ((21, 115), (7, 116))
    ),
    *(
        Eval(PROPOSALS, "claude-3.5-sonnet", suites.EXECUTIVE_SUMMARIES, "generic_summary_v1",
             (_v("generic-summary-prompt", 1),), days, (14, 30), 64, passed)
        for days, passed in ((27, 59), (6, 60))
    ),
    Eval(PROPOSALS, "claude-3.5-sonnet", suites.PROPOSAL_SECTIONS, "proposal_section_drafter_v5",
         (), 13, (14, 50), 150, 139),
    *(
        Eval(CLAUSES, "claude-3.5-sonnet", suites.CLAUSES, "clause_deviation_check_v2",
             (), days, (17, 20), 96, passed)
        for days, passed in ((23, 87), (9, 90))
    ),
)  # fmt: skip
# Ticket triage: Inspect AI on the 1,400 labelled tickets of its evaluation set.
TRIAGE_RUNS = ((24, 1268, 0.864), (10, 1276, 0.871))  # days ago, correct, macro-F1
# Alt text: DeepEval under pytest, 100 WCAG and 60 metadata cases (4 xfail), failures by run.
ALT_TEXT_RUNS = ((16, 9), (2, 6))


def _moment(today: date, days_ago: int, hour: int, minute: int) -> datetime:
    return datetime.combine(today - timedelta(days=days_ago), time(hour, minute), UTC)


def _promptfoo(spec: Eval, today: date) -> ResultsFile:
    started = _moment(today, spec.days_ago, *spec.at)
    name = f"demo/{spec.initiative}/{started:%Y-%m-%d}-{spec.prompt}.json"
    run = spec.suite.run(spec.prompt, started, spec.cases, spec.passed, name, spec.graded)
    seconds = sum(row.latency_ms for row in run.rows) // 4000  # promptfoo runs 4 at a time
    return ResultsFile(
        name,
        "promptfoo",
        spec.initiative,
        spec.model,
        spec.assets,
        promptfoo_results(run),
        started + timedelta(seconds=seconds + 90),
    )


def _triage(today: date, days_ago: int, correct: int, macro_f1: float) -> ResultsFile:
    started = _moment(today, days_ago, 3, 30)
    samples = 1400
    accuracy = correct / samples
    run = InspectRun(
        task="ticket_triage",
        task_file="evals/ticket_triage.py",
        dataset="ticket_triage_eval_set_v1",
        samples=samples,
        model="openai/gpt-4o-mini",
        started=started,
        seconds=1_380 + days_ago * 7,
        scores={
            "match": {
                "accuracy": accuracy,
                "macro_f1": macro_f1,
                "stderr": math.sqrt(accuracy * (1 - accuracy) / (samples - 1)),
            }
        },
        system_message="Route the ticket: answer with the queue and a priority P1-P4.",
        origin="https://git.northwind.example/service-desk/ticket-triage.git",
        commit=f"{random.Random(f'triage/{days_ago}').getrandbits(28):07x}",
    )
    name = f"demo/{TRIAGE}/{started:%Y-%m-%d}-ticket_triage.json"
    return ResultsFile(
        name,
        "inspect",
        TRIAGE,
        "gpt-4o-mini",
        ("ticket-triage-eval-set@1",),
        inspect_log(run),
        started + timedelta(seconds=run.seconds + 60),
    )


def _alt_text(today: date, days_ago: int, failures: int) -> ResultsFile:
    started = _moment(today, days_ago, 13, 5)
    rng = random.Random(f"alt-text/{days_ago}")
    images = [f"IMG-{n:05d}" for n in rng.sample(range(10_000, 60_000), 160)]
    failing = set(rng.sample(range(4, 160), failures))  # the first four are the xfails
    cases = []
    for index, image in enumerate(images):
        wcag = index < 100
        test = "test_alt_text_wcag" if wcag else "test_metadata_relevancy"
        metric = "Alt-text WCAG 2.2 [GEval]" if wcag else "Answer Relevancy"
        failure = skipped = None
        if index < 4:
            skipped = "decorative image: empty alt text expected, the judge disagrees (ALT-88)"
        elif index in failing:
            failure = (
                f"AssertionError: Metrics: {metric} (score: {rng.uniform(0.41, 0.69):.2f}, "
                "threshold: 0.7, strict: False, error: None) failed."
            )
        cases.append(
            TestCase(
                f"tests.quality.{test.removeprefix('test_')}",
                f"{test}[{image}]",
                round(rng.uniform(2.1, 7.9), 3),
                failure,
                skipped,
            )
        )
    data = junit_results(
        "alt_text_quality",
        started,
        "ci-runner-3b71e",
        cases,
        {"deepeval_version": "2.8.3", "judge_model": "gpt-4o"},
    )
    name = f"demo/{ALT_TEXT}/{started:%Y-%m-%d}-pytest.xml"
    seconds = sum(case.seconds for case in cases)
    return ResultsFile(
        name, "junit", ALT_TEXT, "gpt-4o-mini", (), data, started + timedelta(seconds=seconds + 60)
    )


def _scan(scan: Scan, today: date) -> ResultsFile:
    finished = _moment(today, scan.days_ago, *scan.at)
    data = sarif_log(scan.tool, scan.version, scan.rules, scan.findings, finished)
    name = f"demo/{scan.initiative}/{finished:%Y-%m-%d}-{scan.tool.split()[0].lower()}.sarif"
    return ResultsFile(
        name, "sarif", scan.initiative, None, (), data, finished + timedelta(minutes=2)
    )


def demo_results(today: date) -> list[ResultsFile]:
    """Every results file of the demo, oldest first."""
    files = [_promptfoo(spec, today) for spec in PROMPTFOO]
    files += [_triage(today, *run) for run in TRIAGE_RUNS]
    files += [_alt_text(today, *run) for run in ALT_TEXT_RUNS]
    files += [_scan(scan, today) for scan in SCANS]
    return sorted(files, key=lambda f: (f.recorded_at, f.name))


def _held(factory: sessionmaker[Session]) -> dict[str, int]:
    return {a["name"]: a["latest"] for a in library(factory, limit=10_000)["assets"]}


@dataclass
class DemoIngest:
    """Sends each results file once the library holds every version it names (a promotion
    needs its run first); a file sent before stores nothing new."""

    factory: sessionmaker[Session]
    actor: Actor
    files: Sequence[ResultsFile]
    sent: set[str] = field(default_factory=set)
    stored: int = 0
    duplicates: int = 0

    def __call__(self) -> None:
        """Send the files whose asset versions are now in the library."""
        held = _held(self.factory)
        for file in self.files:
            versions = [parse_asset_ref(ref) for ref in file.assets]
            if file.name in self.sent or any(held.get(n, 0) < (v or 1) for n, v in versions):
                continue
            result = ingest_results(
                self.factory,
                self.actor,
                file.data,
                format=file.format,
                initiative=file.initiative,
                model=file.model,
                assets=file.assets,
                source=file.name,
                as_of=file.recorded_at,
            )
            self.sent.add(file.name)
            self.stored += result["stored"]
            self.duplicates += result["duplicates"]

    def summary(self) -> str:
        """One line for the demo's output."""
        runs = sum(f.format != "sarif" for f in self.files if f.name in self.sent)
        return (
            f"demo evaluation evidence: {len(self.sent)} results files ({runs} evaluation runs, "
            f"{len(self.sent) - runs} security scans): {self.stored} stored, "
            f"{self.duplicates} already there"
        )
