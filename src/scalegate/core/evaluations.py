"""Evaluation runs and security scans: normalized records, pass rates, Wilson bounds, evidence.

Pure: parsers (scalegate.evaluations.formats) produce these records from tool output; the
service stores them; these functions decide the figures. Definitions: docs/metrics.md
("Evaluations and security scans").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

EVAL_SOURCES: tuple[str, ...] = ("promptfoo", "junit", "inspect")
SCAN_SOURCES: tuple[str, ...] = ("sarif",)
# z for a two-sided 95 % interval (the 0.975 quantile of the standard normal).
Z95 = 1.959963984540054
DEFAULT_FRESH_DAYS = 30


class FormatError(ValueError):
    """A results file that cannot be read as its format says; `where` locates the problem."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.where = where


@dataclass(frozen=True)
class EvalTotals:
    """Cases of one run: passed + failed + errored + skipped = total."""

    total: int
    passed: int
    failed: int
    errored: int
    skipped: int

    def __post_init__(self) -> None:
        parts = (self.passed, self.failed, self.errored, self.skipped)
        if min(parts) < 0 or sum(parts) != self.total:
            raise FormatError(
                f"case counts do not add up: {self.passed} passed + {self.failed} failed + "
                f"{self.errored} errored + {self.skipped} skipped != {self.total} total"
            )

    @property
    def evaluated(self) -> int:
        """Cases that ran to a verdict or an error: total minus skipped."""
        return self.total - self.skipped

    def as_dict(self) -> dict[str, int]:
        """Plain form."""
        return {
            "total": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "errored": self.errored,
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class EvalRun:
    """One evaluation run, as read from a tool's results file."""

    source: str  # promptfoo | junit | inspect
    suite: str  # what was evaluated: promptfoo description, JUnit suite, Inspect task
    totals: EvalTotals
    run_id: str | None = None
    started_at: datetime | None = None
    tool_version: str | None = None
    providers: tuple[str, ...] = ()  # model/provider ids the tool names
    metrics: Mapping[str, float] = field(default_factory=dict)
    status: str | None = None  # Inspect: success | error | cancelled ...


@dataclass(frozen=True)
class SecurityScan:
    """One SARIF run: the tool, whether it ran, findings by level and by security severity."""

    tool: str
    execution_successful: bool
    counts: Mapping[str, int]  # error, warning, note
    security: Mapping[str, int]  # critical, high, medium, low
    suppressed: int
    tool_version: str | None = None
    started_at: datetime | None = None


def pass_rate(totals: EvalTotals) -> float | None:
    """Passed over evaluated cases (errors count as failures); None with nothing evaluated."""
    return totals.passed / totals.evaluated if totals.evaluated else None


def wilson_lower(passed: int, n: int, z: float = Z95) -> float | None:
    """Lower end of the Wilson score interval for passed/n (None when n is 0)."""
    if n <= 0:
        return None
    p = passed / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / (1 + z * z / n))


def security_bucket(score: float) -> str | None:
    """GitHub's reading of `security-severity`: critical ≥ 9, high ≥ 7, medium ≥ 4, low > 0."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    if score > 0.0:
        return "low"
    return None


@dataclass(frozen=True)
class StoredRun:
    """A stored run as the evidence reads it: when it was recorded and what it was about."""

    run: EvalRun
    recorded_at: datetime
    model: str | None = None
    assets: tuple[str, ...] = ()  # NAME@VERSION the run evaluated

    def as_dict(self) -> dict[str, Any]:
        """Plain form for the evidence, --json and the API."""
        rate = pass_rate(self.run.totals)
        return {
            "source": self.run.source,
            "suite": self.run.suite,
            "runId": self.run.run_id,
            "recordedAt": self.recorded_at.isoformat(),
            "startedAt": self.run.started_at.isoformat() if self.run.started_at else None,
            "model": self.model,
            "assets": list(self.assets),
            "totals": self.run.totals.as_dict(),
            "passRate": rate,
            "passRateLower95": wilson_lower(self.run.totals.passed, self.run.totals.evaluated),
            "metrics": dict(self.run.metrics),
            "status": self.run.status,
        }


def _moment(stored: StoredRun) -> datetime:
    return stored.run.started_at or stored.recorded_at


def latest_fresh_runs(
    runs: Iterable[StoredRun], as_of: datetime, fresh_days: int = DEFAULT_FRESH_DAYS
) -> list[StoredRun]:
    """The latest run per (source, suite) recorded by as_of, if it is within the window."""
    latest: dict[tuple[str, str], StoredRun] = {}
    for stored in runs:
        if stored.recorded_at > as_of:
            continue
        key = (stored.run.source, stored.run.suite)
        if key not in latest or _moment(stored) >= _moment(latest[key]):
            latest[key] = stored
    since = as_of - timedelta(days=fresh_days)
    return sorted(
        (s for s in latest.values() if _moment(s) > since),
        key=lambda s: (s.run.source, s.run.suite),
    )


def evaluations_evidence(
    runs: Iterable[StoredRun], as_of: datetime, fresh_days: int = DEFAULT_FRESH_DAYS
) -> dict[str, Any]:
    """`evidence.evaluations`: the latest fresh run per (source, suite) and their sums."""
    fresh = latest_fresh_runs(runs, as_of, fresh_days)
    evaluated = sum(s.run.totals.evaluated for s in fresh)
    passed = sum(s.run.totals.passed for s in fresh)
    return {
        "runs": [s.as_dict() for s in fresh],
        "total": evaluated,
        "passed": passed,
        "failed": sum(s.run.totals.failed for s in fresh),
        "errored": sum(s.run.totals.errored for s in fresh),
        "passRate": passed / evaluated if evaluated else None,
        "passRateLower95": wilson_lower(passed, evaluated),
        "fresh": bool(fresh),
        "freshDays": fresh_days,
    }


@dataclass(frozen=True)
class StoredScan:
    """A stored security scan and when it was recorded."""

    scan: SecurityScan
    recorded_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """Plain form for the evidence, --json and the API."""
        return {
            "tool": self.scan.tool,
            "toolVersion": self.scan.tool_version,
            "recordedAt": self.recorded_at.isoformat(),
            "startedAt": self.scan.started_at.isoformat() if self.scan.started_at else None,
            "executionSuccessful": self.scan.execution_successful,
            "counts": dict(self.scan.counts),
            "security": dict(self.scan.security),
            "suppressed": self.scan.suppressed,
        }


def security_evidence(
    scans: Iterable[StoredScan], as_of: datetime, fresh_days: int = DEFAULT_FRESH_DAYS
) -> dict[str, Any]:
    """`evidence.security`: the latest fresh scan per tool, its critical and high findings,
    and whether every one of them ran successfully (False when there is none)."""
    latest: dict[str, StoredScan] = {}
    for stored in scans:
        if stored.recorded_at > as_of:
            continue
        moment = stored.scan.started_at or stored.recorded_at
        found = latest.get(stored.scan.tool)
        if found is None or moment >= (found.scan.started_at or found.recorded_at):
            latest[stored.scan.tool] = stored
    since = as_of - timedelta(days=fresh_days)
    fresh = sorted(
        (s for s in latest.values() if (s.scan.started_at or s.recorded_at) > since),
        key=lambda s: s.scan.tool,
    )
    return {
        "scans": [s.as_dict() for s in fresh],
        "critical": sum(s.scan.security.get("critical", 0) for s in fresh),
        "high": sum(s.scan.security.get("high", 0) for s in fresh),
        "executionSuccessful": bool(fresh) and all(s.scan.execution_successful for s in fresh),
        "freshDays": fresh_days,
    }
