"""The risk register over the CLI and HTTP, and what it finds in the demo workspace."""

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
from tests.integration.test_risks import Built, build_portfolio

runner = CliRunner()
EXPECTED = [
    ("high", "no-scale-owner", ["unowned"]),
    ("high", "compliance-drift", ["shadow"]),
    ("high", "compliance-drift", ["sprawling"]),
    ("high", "compliance-drift", ["unowned"]),
    ("high", "shadow-ai", ["shadow"]),
    ("medium", "pilot-theater", ["stuck-pilot"]),
    ("medium", "funding-churn", ["churn"]),
    ("medium", "platform-sprawl", ["sprawling"]),
    ("medium", "evaluations-stale", ["shadow"]),
    ("low", "knowledge-silos", ["shadow"]),
    ("low", "knowledge-silos", ["unowned"]),
]


@pytest.fixture
def built(workspace: Workspace) -> Built:
    return build_portfolio(workspace)


def _as_of(b: Built) -> str:
    return b.as_of.strftime("%Y-%m-%dT%H:%M:%S%z")


def test_cli_risks_json_table_and_threshold_options(cli_env: str, built: Built) -> None:
    result = runner.invoke(app, ["risks", "--as-of", _as_of(built), "--json"])
    assert result.exit_code == 0, result.output
    risks = json.loads(result.output)
    assert [(r["severity"], r["rule"], r["initiatives"]) for r in risks] == EXPECTED
    churn = next(r for r in risks if r["rule"] == "funding-churn")
    assert churn["figures"]["changes"] == 3
    assert churn["title"] == "Funding churn"

    # 150 days in prove and 3 allowed capacity changes: pilot theater and funding churn go.
    relaxed = runner.invoke(
        app,
        [
            "risks",
            "--as-of",
            _as_of(built),
            "--pilot-theater-days",
            "150",
            "--funding-churn-changes",
            "3",
            "--json",
        ],
    )
    rules = [r["rule"] for r in json.loads(relaxed.output)]
    assert len(rules) == 9
    assert "pilot-theater" not in rules and "funding-churn" not in rules

    table = runner.invoke(app, ["risks", "--as-of", _as_of(built)])
    assert table.exit_code == 0
    assert "Shadow AI" in table.output
    assert "11 risk(s)" in table.output
    refused = runner.invoke(app, ["risks", "--pilot-theater-days", "0"])
    assert refused.exit_code == 2


def test_api_risks_needs_a_token_and_uses_the_app_settings(
    settings: Settings, built: Built
) -> None:
    access.add_user(built.workspace.sessions, ADMIN, "v@northwind.example", ["viewer"])
    token = access.create_token(built.workspace.sessions, ADMIN, "v@northwind.example").token
    query = {"as_of": built.as_of.isoformat()}
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/risks", params=query).status_code == 401
        response = client.get(
            "/api/v1/risks", params=query, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200
    risks = response.json()
    assert [(r["severity"], r["rule"], r["initiatives"]) for r in risks] == EXPECTED
    shadow = next(r for r in risks if r["rule"] == "shadow-ai")
    assert shadow["figures"]["share"] == pytest.approx(0.25)  # 1 of 4 calls

    # SCALEGATE_RISK_DEPLOYMENT_WINDOW_DAYS=120: stale-api's deployment 100 days ago is recent.
    relaxed = settings.model_copy(update={"risk_deployment_window_days": 120})
    with TestClient(create_app(relaxed)) as client:
        response = client.get(
            "/api/v1/risks", params=query, headers={"Authorization": f"Bearer {token}"}
        )
    assert "platform-sprawl" not in {r["rule"] for r in response.json()}
    assert len(response.json()) == 10


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCALEGATE_DATABASE_URL", str(tmp_path / "demo.db"))
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output


def test_demo_register_finds_shadow_ai_and_knowledge_silos(demo: None) -> None:
    risks = json.loads(runner.invoke(app, ["risks", "--json"]).output)
    shadow = [r for r in risks if r["rule"] == "shadow-ai"]
    # contract-clause-review (confidential data) sends about 30% of its calls to
    # llama-3.1-70b, which the demo catalog marks restricted (src/scalegate/usage/demo.py).
    assert [r["initiatives"] for r in shadow] == [["contract-clause-review"]]
    (model,) = shadow[0]["figures"]["models"]
    assert (model["name"], model["status"]) == ("llama-3.1-70b", "restricted")
    assert 0.2 < shadow[0]["figures"]["share"] < 0.4
    # Of the five demo initiatives at adopt or later, only contract-clause-review neither
    # reuses another initiative's asset nor publishes one (examples/portfolio/assets.yaml).
    silos = sorted(r["initiatives"][0] for r in risks if r["rule"] == "knowledge-silos")
    assert silos == ["contract-clause-review"]
    # Every scaled demo initiative names a service and a platform owner.
    assert not [r for r in risks if r["rule"] == "no-scale-owner"]
