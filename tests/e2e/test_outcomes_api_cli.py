"""Outcomes over HTTP and the CLI."""

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
from tests.conftest import ADMIN
from tests.integration.test_outcomes import seed

runner = CliRunner()


@pytest.fixture
def measured(workspace: Workspace) -> Workspace:
    return seed(workspace)


def test_api_outcomes(settings: Settings, measured: Workspace) -> None:
    access.add_user(measured.sessions, ADMIN, "v@northwind.example", ["viewer"])
    token = access.create_token(measured.sessions, ADMIN, "v@northwind.example").token
    with TestClient(create_app(settings)) as client:
        response = client.get(
            "/api/v1/metrics/outcomes?initiative=disputes&as_of=2026-11-22T12:00:00Z"
            "&difference=absolute",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        [h] = response.json()["hypotheses"]
        assert (h["status"], h["before_after"]["difference_type"]) == ("on-track", "absolute")
        bad = client.get(
            "/api/v1/metrics/outcomes?initiative=disputes&difference=odd",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert bad.status_code == 422


def test_cli_outcomes_and_csv_ingest(
    cli_env: str,
    measured: Workspace,
    tmp_path: Path,
) -> None:
    csv = tmp_path / "aht.csv"
    csv.write_text("kpi,initiative,at,value\naht,disputes,2026-11-21T12:00:00Z,9.7\n")
    stored = runner.invoke(app, ["ingest", str(csv), "--kind", "kpi"])
    assert stored.exit_code == 0, stored.stderr
    assert "1 stored" in stored.output
    result = json.loads(
        runner.invoke(
            app,
            [
                "metrics",
                "outcomes",
                "--initiative",
                "disputes",
                "--as-of",
                "2026-11-22",
                "--json",
            ],
        ).output
    )
    # As of midnight: 10.0 (11-01), 9.8 (11-10), 9.6 (11-20), 9.7 (11-21) → mean 9.775.
    assert result["hypotheses"][0]["current"] == 9.775
    table = runner.invoke(app, ["metrics", "outcomes", "--initiative", "disputes"])
    assert "aht" in table.output
    missing = runner.invoke(app, ["ingest", str(csv)])
    assert missing.exit_code == 2
    assert "CSV needs --kind" in missing.stderr
