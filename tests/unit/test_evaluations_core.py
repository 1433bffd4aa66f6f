"""Evaluation figures: Wilson bounds against a published table, evidence by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scalegate.core.evaluations import (
    EvalRun,
    EvalTotals,
    FormatError,
    SecurityScan,
    StoredRun,
    StoredScan,
    evaluations_evidence,
    pass_rate,
    security_bucket,
    security_evidence,
    wilson_lower,
)

AS_OF = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("passed", "n", "lower"),
    [(81, 263, 0.2553), (15, 148, 0.0624), (1, 29, 0.0061), (0, 20, 0.0)],
)
def test_wilson_lower_bound_matches_newcombe_1998(passed: int, n: int, lower: float) -> None:
    """Newcombe RG (1998), "Two-sided confidence intervals for the single proportion",
    Statistics in Medicine 17:857-872, Table II, method 3 (score interval, no correction)."""
    assert wilson_lower(passed, n) == pytest.approx(lower, abs=5e-5)


def test_wilson_rewards_more_cases() -> None:
    """19/20 and 95/100 are both 95 %; by hand (docs/metrics.md): 0.7639 and 0.8882."""
    assert wilson_lower(19, 20) == pytest.approx(0.7639, abs=5e-5)
    assert wilson_lower(95, 100) == pytest.approx(0.8882, abs=5e-5)
    assert wilson_lower(0, 0) is None


def test_totals_must_add_up_and_errors_count_as_failures() -> None:
    with pytest.raises(FormatError):
        EvalTotals(10, 5, 3, 1, 0)
    totals = EvalTotals(12, 9, 1, 1, 1)
    assert totals.evaluated == 11
    assert pass_rate(totals) == pytest.approx(9 / 11)


def stored(suite: str, passed: int, total: int, days_ago: float, errored: int = 0) -> StoredRun:
    moment = AS_OF - timedelta(days=days_ago)
    totals = EvalTotals(total, passed, total - passed - errored, errored, 0)
    return StoredRun(EvalRun("junit", suite, totals, started_at=moment), moment)


def test_evidence_keeps_the_latest_fresh_run_per_suite() -> None:
    """a: 40/50 then 48/50 (latest counts); b: 30/30 at 31 days (stale); c: recorded after
    as_of (not yet). Sums: 48 of 50."""
    future = stored("c", 1, 1, -1)
    found = evaluations_evidence(
        [stored("a", 40, 50, 9), stored("a", 48, 50, 5), stored("b", 30, 30, 31), future], AS_OF
    )
    assert [r["suite"] for r in found["runs"]] == ["a"]
    assert (found["total"], found["passed"], found["failed"], found["errored"]) == (50, 48, 2, 0)
    assert found["passRateLower95"] == pytest.approx(0.8654, abs=5e-5)
    assert found["fresh"] is True
    empty = evaluations_evidence([stored("b", 30, 30, 31)], AS_OF)
    assert (empty["fresh"], empty["total"], empty["passRate"]) == (False, 0, None)


def test_security_evidence_takes_the_latest_scan_per_tool() -> None:
    def scan(tool: str, high: int, days_ago: float, ran: bool = True) -> StoredScan:
        moment = AS_OF - timedelta(days=days_ago)
        security = {"critical": 0, "high": high, "medium": 0, "low": 0}
        return StoredScan(SecurityScan(tool, ran, {}, security, 0, started_at=moment), moment)

    found = security_evidence(
        [scan("Semgrep", 1, 3), scan("Semgrep", 0, 1), scan("Bandit", 0, 2)], AS_OF
    )
    assert [s["tool"] for s in found["scans"]] == ["Bandit", "Semgrep"]
    assert (found["critical"], found["high"], found["executionSuccessful"]) == (0, 0, True)
    failed = security_evidence([scan("Trivy", 0, 1, ran=False)], AS_OF)
    assert failed["executionSuccessful"] is False
    assert security_evidence([scan("Trivy", 2, 40)], AS_OF)["executionSuccessful"] is False


@pytest.mark.parametrize(
    ("score", "bucket"),
    [(9.0, "critical"), (8.9, "high"), (7.0, "high"), (4.0, "medium"), (0.1, "low"), (0.0, None)],
)
def test_security_severity_buckets(score: float, bucket: str | None) -> None:
    """GitHub code scanning's thresholds for `security-severity`."""
    assert security_bucket(score) == bucket
