"""Helpers for asset tests: a passing evaluation run bound to an asset version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from scalegate.evaluations.service import ingest_results
from tests.conftest import ADMIN


def junit(passed: int, failed: int = 0, suite: str = "prompt-evals") -> bytes:
    """A pytest-style JUnit file with this many passing and failing cases."""
    cases = [f'<testcase classname="evals" name="case_{i}" time="0.1"/>' for i in range(passed)]
    cases += [
        f'<testcase classname="evals" name="bad_{i}"><failure message="wrong"/></testcase>'
        for i in range(failed)
    ]
    return (
        f'<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="{suite}" '
        f'tests="{passed + failed}" failures="{failed}" errors="0" skipped="0">'
        + "".join(cases)
        + "</testsuite></testsuites>"
    ).encode()


def evaluate(
    factory: sessionmaker[Session],
    initiative: str,
    *assets: str,
    passed: int = 40,
    failed: int = 0,
    as_of: datetime | None = None,
) -> None:
    """Record a JUnit run for the initiative that evaluated these NAME@VERSION assets (40 of 40
    passing by default: Wilson lower bound 0.912, enough for evaluated-before-production)."""
    ingest_results(
        factory,
        ADMIN,
        junit(passed, failed, suite="-".join(assets) or "evals"),
        format="junit",
        initiative=initiative,
        assets=list(assets),
        source="evals.xml",
        as_of=as_of,
    )
