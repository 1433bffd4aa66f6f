"""Usage figures over the CLI and HTTP."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scalegate.access import service as access
from scalegate.app import create_app
from scalegate.cli import app
from scalegate.settings import Settings
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.integration.test_usage import EVENTS, PORTFOLIO

runner = CliRunner()


@pytest.fixture
def used(workspace: Workspace) -> Workspace:
    from scalegate.evidence.service import ingest
    from scalegate.manifests.service import apply_sources

    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    ingest(workspace.sessions, ADMIN, "\n".join(json.dumps(e) for e in EVENTS), "jsonl")
    return workspace


def test_cli_usage_json_and_table(cli_env: str, used: Workspace) -> None:
    figures = json.loads(
        runner.invoke(
            app,
            [
                "metrics",
                "usage",
                "--initiative",
                "triage",
                "--as-of",
                "2026-11-22T12:00:00+0000",
                "--json",
            ],
        ).output
    )
    assert figures["operational"]["override_rate"] == pytest.approx(0.2)  # 1 of 5 assisted
    table = runner.invoke(app, ["metrics", "usage", "--initiative", "triage"])
    assert table.exit_code == 0
    assert "gpt-4o-mini (approved)" in table.output
    assert runner.invoke(app, ["metrics", "usage", "--initiative", "nope"]).exit_code == 1


def test_api_usage(settings: Settings, used: Workspace) -> None:
    access.add_user(used.sessions, ADMIN, "v@northwind.example", ["viewer"])
    token = access.create_token(used.sessions, ADMIN, "v@northwind.example").token
    with TestClient(create_app(settings)) as client:
        response = client.get(
            "/api/v1/metrics/usage?initiative=triage&as_of=2026-11-22T12:00:00Z",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200
    assert response.json()["adoption"]["workflow_penetration"] == pytest.approx(5 / 6)
