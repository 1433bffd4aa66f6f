"""Evaluation and scan results over the CLI and HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scalegate.access import service as access
from scalegate.app import create_app
from scalegate.cli import app
from scalegate.settings import Settings
from scalegate.workspace import Workspace
from tests.assets_support import junit
from tests.conftest import ADMIN
from tests.integration.test_evaluations import FIXTURES, ws  # noqa: F401 (fixture)

runner = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_cli_ingests_each_format_and_reports_the_figures(
    cli_env: str,
    ws: Workspace,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A JUnit file with no timestamp (fresh from when it is sent): 57 passed, 3 failed → 60
    cases, 95.0 %, Wilson lower bound 0.863. Semgrep writes no times either, so its scan counts
    from when it is sent, and its one high finding shows."""
    junit_file = tmp_path / "junit.xml"
    junit_file.write_bytes(junit(57, 3, suite="regression"))
    junit_path = str(junit_file)
    code, out = cli("ingest", junit_path, "--format", "junit", "--initiative", "disputes")
    assert (code, out.strip()) == (0, "junit: 1 run(s) stored")
    code, out = cli("ingest", junit_path, "--format", "junit", "--initiative", "disputes")
    assert out.strip() == "junit: 1 run(s) already stored (same file, same subject)"
    sarif = str(FIXTURES / "semgrep.sarif")
    code, out = cli("ingest", sarif, "--format", "sarif", "--initiative", "disputes", "--json")
    assert json.loads(out)["scans"] == 1
    code, out = cli("ingest", junit_path, "--format", "junit")
    assert code == 2
    assert "--format junit needs --initiative" in out
    bad = str(FIXTURES / "promptfoo-malformed.json")
    code, out = cli("ingest", bad, "--format", "promptfoo", "--initiative", "disputes")
    assert code == 2
    assert f"error: {bad} is not a readable promptfoo file; nothing was stored" in out

    code, out = cli("metrics", "evaluations", "--initiative", "disputes", "--json")
    figures = json.loads(out)
    ev = figures["evaluations"]
    assert (ev["total"], ev["passed"], ev["errored"]) == (60, 57, 0)
    assert ev["passRateLower95"] == pytest.approx(0.8630, abs=5e-4)
    assert figures["security"]["high"] == 1
    code, out = cli("metrics", "evaluations", "--initiative", "disputes")
    assert "60 cases, pass rate 95.0%, Wilson lower 95 % 86.3%, 0 errored" in out
    assert "Semgrep OSS" in out


def test_api_takes_files_by_content_type_or_format(
    settings: Settings,
    ws: Workspace,  # noqa: F811
) -> None:
    access.add_user(ws.sessions, ADMIN, "ci@example.com", ["platform"])
    token = access.create_token(ws.sessions, ADMIN, "ci@example.com").token
    access.add_user(ws.sessions, ADMIN, "v@example.com", ["viewer"])
    viewer = access.create_token(ws.sessions, ADMIN, "v@example.com").token
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings)) as client:
        sarif = (FIXTURES / "bandit.sarif").read_bytes()
        sent = client.post(
            "/api/v1/evaluations",
            params={"initiative": "triage"},
            content=sarif,
            headers={**auth, "Content-Type": "application/sarif+json"},
        )
        assert sent.status_code == 200
        assert (sent.json()["format"], sent.json()["stored"]) == ("sarif", 1)
        promptfoo = (FIXTURES / "promptfoo-billing-dispute.json").read_bytes()
        sent = client.post(
            "/api/v1/evaluations",
            params={"initiative": "triage", "format": "promptfoo", "model": "gpt-4o-mini"},
            content=promptfoo,
            headers={**auth, "Content-Type": "application/json"},
        )
        assert sent.json()["runs"] == 1
        refused = client.post(
            "/api/v1/evaluations",
            params={"initiative": "triage", "format": "junit"},
            content=b"<testsuites><oops",
            headers=auth,
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "invalid_input"
        forbidden = client.post(
            "/api/v1/evaluations",
            params={"initiative": "triage", "format": "promptfoo"},
            content=promptfoo,
            headers={"Authorization": f"Bearer {viewer}"},
        )
        assert forbidden.status_code == 403
        figures = client.get(
            "/api/v1/metrics/evaluations",
            params={"initiative": "triage"},
            headers={"Authorization": f"Bearer {viewer}"},
        ).json()
        assert figures["initiative"] == "triage"
        # Both fixtures carry their own times (May 2025): stored, but long stale.
        assert figures["evaluations"]["fresh"] is False
        assert figures["security"]["scans"] == []
        (run,) = figures["history"]
        assert (run["model"], run["totals"]["passed"]) == ("gpt-4o-mini", 16)


def test_api_unknown_initiative_is_404(
    settings: Settings,
    ws: Workspace,  # noqa: F811
) -> None:
    access.add_user(ws.sessions, ADMIN, "root@example.com", ["admin"])
    token = access.create_token(ws.sessions, ADMIN, "root@example.com").token
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/v1/evaluations",
            params={"initiative": "nowhere", "format": "sarif"},
            content=(FIXTURES / "bandit.sarif").read_bytes(),
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "no initiative named nowhere"
