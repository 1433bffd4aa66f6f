"""Evaluation and scan results on a real workspace: ingest, idempotency, freshness, the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scalegate.access.actor import Actor
from scalegate.audit.service import head_seq
from scalegate.core.evaluations import wilson_lower
from scalegate.db import transaction
from scalegate.errors import Forbidden, InvalidInput
from scalegate.evaluations.models import EvalRunRecord, SecurityScanRecord
from scalegate.evaluations.service import evaluation_figures, ingest_results
from scalegate.evidence.service import ingest
from scalegate.gates import service as gates
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.workspace import Workspace
from tests.assets_support import junit
from tests.conftest import ADMIN
from tests.gates_support import POLICIES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evaluations"
# The fixtures were written on 2025-05-12 (their own timestamps); a week later they are fresh.
AS_OF = datetime(2025, 5, 19, 12, tzinfo=UTC)
PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: Model
metadata: {name: gpt-4o-mini}
spec: {provider: openai, status: approved, allowedDataClasses: [internal]}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: disputes}
spec: {title: Billing disputes, theme: ops, stage: prove, dataClasses: [internal]}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: triage}
spec: {title: Ticket triage, theme: ops, stage: industrialize, dataClasses: [internal]}
"""


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    apply_sources(workspace.sessions, read_sources([str(POLICIES)]), ADMIN)
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    return workspace


def send(ws: Workspace, name: str, format: str, initiative: str = "disputes", **kw: object) -> dict:
    data = (FIXTURES / name).read_bytes()
    return ingest_results(
        ws.sessions, ADMIN, data, format=format, initiative=initiative, source=name, **kw
    )  # type: ignore[arg-type]


def counts(ws: Workspace) -> tuple[int, int]:
    with transaction(ws.sessions) as session:
        runs = session.scalar(select(func.count()).select_from(EvalRunRecord))
        scans = session.scalar(select(func.count()).select_from(SecurityScanRecord))
    return int(runs or 0), int(scans or 0)


def test_each_format_is_stored_per_run_and_resending_stores_nothing(ws: Workspace) -> None:
    """promptfoo: 1 run; JUnit: 2 suites; Inspect: 1 run; Bandit + Semgrep SARIF: 1 scan each.
    Sending the promptfoo file again for the same subject stores nothing; for another model it
    is another subject and is stored."""
    assert send(ws, "promptfoo-billing-dispute.json", "promptfoo", as_of=AS_OF)["stored"] == 1
    assert send(ws, "junit-pytest.xml", "junit", as_of=AS_OF)["stored"] == 2
    assert send(ws, "inspect-billing-dispute.json", "inspect", as_of=AS_OF)["stored"] == 1
    assert send(ws, "bandit.sarif", "sarif", as_of=AS_OF)["scans"] == 1
    assert send(ws, "semgrep.sarif", "sarif", as_of=AS_OF)["stored"] == 1
    assert counts(ws) == (4, 2)
    before = head_seq(ws.sessions)
    again = send(ws, "promptfoo-billing-dispute.json", "promptfoo", as_of=AS_OF)
    assert (again["stored"], again["duplicates"]) == (0, 1)
    assert head_seq(ws.sessions) == before  # a duplicate writes nothing, not even audit
    other = send(ws, "promptfoo-billing-dispute.json", "promptfoo", model="gpt-4o", as_of=AS_OF)
    assert other["stored"] == 1
    assert counts(ws) == (5, 2)


@pytest.mark.parametrize(
    ("name", "format", "where"),
    [
        ("promptfoo-malformed.json", "promptfoo", "results.stats"),
        ("junit-malformed.xml", "junit", ""),
        ("junit-billion-laughs.xml", "junit", ""),
        ("sarif-malformed.sarif", "sarif", ""),
        ("inspect-malformed.json", "inspect", ""),
    ],
)
def test_a_malformed_file_is_reported_and_nothing_is_stored(
    ws: Workspace, name: str, format: str, where: str
) -> None:
    before = head_seq(ws.sessions)
    with pytest.raises(InvalidInput) as refused:
        send(ws, name, format)
    assert refused.value.message == f"{name} is not a readable {format} file; nothing was stored"
    (problem,) = refused.value.details
    assert problem.file == name and problem.message
    assert problem.path.startswith(where)
    assert counts(ws) == (0, 0)
    assert head_seq(ws.sessions) == before


def test_subject_problems_and_rights(ws: Workspace) -> None:
    data = junit(5)
    with pytest.raises(InvalidInput) as refused:
        ingest_results(
            ws.sessions, ADMIN, data, format="junit", initiative="disputes", assets=["nope@1", "x"]
        )
    assert [(p.path, p.message) for p in refused.value.details] == [
        ("assets[0]", "the library has no nope v1"),
        ("assets[1]", "'x': name the version, NAME@N"),
    ]
    viewer = Actor("vic@example.com", frozenset({"viewer"}))
    with pytest.raises(Forbidden):
        ingest_results(ws.sessions, viewer, data, format="junit", initiative="disputes")
    with pytest.raises(InvalidInput):
        ingest_results(ws.sessions, ADMIN, data, format="xunit", initiative="disputes")
    assert counts(ws) == (0, 0)


def test_evidence_sums_the_latest_fresh_run_per_suite(ws: Workspace) -> None:
    """Suite a: 40/50 on day 1, then 48/50 on day 5 (only the latest counts); suite b: 30/30
    but 31 days old, so stale. Evidence: 48 of 50, Wilson lower bound 0.8654 (p̂ = 0.96,
    z = 1.96: (0.96 + 0.03842 − 1.96·√(0.96·0.04/50 + 3.8415/10⁴)) / 1.07683)."""
    day = AS_OF - timedelta(days=10)
    for passed, suite, when in ((40, "a", day), (48, "a", day + timedelta(days=4))):
        ingest_results(
            ws.sessions,
            ADMIN,
            junit(passed, 50 - passed, suite=suite),
            format="junit",
            initiative="disputes",
            as_of=when,
        )
    ingest_results(
        ws.sessions,
        ADMIN,
        junit(30, suite="b"),
        format="junit",
        initiative="disputes",
        as_of=AS_OF - timedelta(days=31),
    )
    figures = evaluation_figures(ws.sessions, "disputes", AS_OF)
    ev = figures["evaluations"]
    assert [(r["suite"], r["totals"]["passed"]) for r in ev["runs"]] == [("a", 48)]
    assert (ev["total"], ev["passed"], ev["errored"], ev["fresh"]) == (50, 48, 0, True)
    assert ev["passRate"] == pytest.approx(0.96)
    assert ev["passRateLower95"] == pytest.approx(0.86540, abs=5e-5)
    assert wilson_lower(48, 50) == pytest.approx(0.86540, abs=5e-5)
    assert len(figures["history"]) == 3
    later = evaluation_figures(ws.sessions, "disputes", AS_OF + timedelta(days=30))
    assert later["evaluations"]["fresh"] is False
    assert later["evaluations"]["passRateLower95"] is None


def uses_ai(ws: Workspace, initiative: str) -> None:
    line = (
        f'{{"type": "usage", "id": "u-{initiative}", "initiative": "{initiative}", '
        '"user": "u", "at": "2025-05-18T10:00:00Z", "task": "reply", "assisted": true, '
        '"outcome": "accepted", "model": "gpt-4o-mini"}\n'
    )
    ingest(ws.sessions, ADMIN, line)


def rule(ws: Workspace, initiative: str, name: str, to: str) -> tuple[bool, str]:
    check = gates.check(ws.sessions, initiative, to, AS_OF)
    found = next(r for r in check.rules if r.name == name)
    return found.passed, found.message


def test_evaluation_pass_rate_rule_on_evidence(ws: Workspace) -> None:
    """An AI initiative: no run → fails; the promptfoo fixture (20 cases, 1 errored) → fails on
    the count first; 60/60 in a fresh JUnit run → passes (Wilson lower bound 0.940)."""
    assert rule(ws, "disputes", "evaluation-pass-rate", "industrialize")[0] is True  # no AI yet
    uses_ai(ws, "disputes")
    assert rule(ws, "disputes", "evaluation-pass-rate", "industrialize") == (
        False,
        "No fresh evaluation run (promptfoo, JUnit or Inspect) for an AI initiative",
    )
    send(ws, "promptfoo-billing-dispute.json", "promptfoo", as_of=AS_OF)
    assert rule(ws, "disputes", "evaluation-pass-rate", "industrialize") == (
        False,
        "Only 20 evaluated cases; at least 50 are needed",
    )
    ingest_results(
        ws.sessions,
        ADMIN,
        junit(60, suite="regression"),
        format="junit",
        initiative="disputes",
        as_of=AS_OF,
    )
    # 16 + 60 passed of 80, 1 errored: the promptfoo run's error still blocks
    assert rule(ws, "disputes", "evaluation-pass-rate", "industrialize") == (
        False,
        "1 evaluation case(s) errored",
    )


def test_security_tests_passing_rule_on_scans(ws: Workspace) -> None:
    """triage at industrialize → adopt: no scan fails; Semgrep's high finding fails; a later
    clean Semgrep scan (the Bandit file has no security-severity) replaces it and passes."""
    assert rule(ws, "triage", "security-tests-passing", "adopt") == (
        False,
        "No fresh security scan (SARIF) on record",
    )
    send(ws, "semgrep.sarif", "sarif", initiative="triage", as_of=AS_OF - timedelta(days=2))
    assert rule(ws, "triage", "security-tests-passing", "adopt") == (
        False,
        "0 critical and 1 high finding(s) in the latest scans",
    )
    clean = (FIXTURES / "semgrep.sarif").read_text().replace('"8.8"', '"3.1"')
    ingest_results(
        ws.sessions,
        ADMIN,
        clean.encode(),
        format="sarif",
        initiative="triage",
        source="semgrep-rescan.sarif",
        as_of=AS_OF - timedelta(days=1),
    )
    assert rule(ws, "triage", "security-tests-passing", "adopt")[0] is True
