"""Evidence over HTTP and the CLI: events, webhooks (signed), metrics, exit codes."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scalegate.access import service as access
from scalegate.app import create_app
from scalegate.cli import app
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.integration.test_ingest import EVENTS, PORTFOLIO

SECRET = "It's a Secret to Everybody"
runner = CliRunner()


@pytest.fixture
def shop(workspace: Workspace) -> Workspace:
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    for email, role in [("ci@northwind.example", "platform"), ("v@northwind.example", "viewer")]:
        access.add_user(workspace.sessions, ADMIN, email, [role])
    return workspace


@pytest.fixture
def client(settings: Settings, shop: Workspace) -> Iterator[TestClient]:
    signed = settings.model_copy(update={"github_webhook_secret": SECRET})
    with TestClient(create_app(signed)) as test_client:
        yield test_client


def bearer(ws: Workspace, email: str) -> dict[str, str]:
    token = access.create_token(ws.sessions, ADMIN, email).token
    return {"Authorization": f"Bearer {token}"}


def test_events_endpoint_json_lines_and_array(client: TestClient, shop: Workspace) -> None:
    ci = bearer(shop, "ci@northwind.example")
    text = (EVENTS / "scalegate_events.jsonl").read_text()
    stored = client.post("/api/v1/events", content=text, headers=ci)
    assert stored.status_code == 200, stored.text
    assert stored.json()["stored"] == 4
    array = json.dumps([json.loads(line) for line in text.splitlines() if line.strip()])
    again = client.post("/api/v1/events", content=array, headers=ci)
    assert (again.json()["stored"], again.json()["duplicates"]) == (0, 4)
    figures = client.get(
        "/api/v1/metrics/dora?initiative=checkout-assistant&from=2026-03-10&to=2026-03-10",
        headers=ci,
    ).json()
    assert (figures["deployments"], figures["change_failure_rate"]) == (2, 0.5)


def test_events_endpoint_rejects_the_whole_batch(client: TestClient, shop: Workspace) -> None:
    ci = bearer(shop, "ci@northwind.example")
    bad = '{"type": "deployment", "id": "d1"}\n{"type": "warp"}\n'
    response = client.post("/api/v1/events", content=bad, headers=ci)
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert {d["line"] for d in details} == {1, 2}
    assert client.post("/api/v1/events", content=bad).status_code == 401
    viewer = client.post("/api/v1/events", content="", headers=bearer(shop, "v@northwind.example"))
    assert viewer.status_code == 403


def test_github_webhook_checks_the_signature(client: TestClient) -> None:
    body = (EVENTS / "github_deployment_status_success.json").read_bytes()
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    ok = client.post("/webhooks/github", content=body, headers={"X-Hub-Signature-256": good})
    assert ok.status_code == 200, ok.text
    assert ok.json()["stored"] == 1
    forged = client.post(
        "/webhooks/github", content=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
    )
    assert forged.status_code == 401
    assert client.post("/webhooks/github", content=body).status_code == 401


def test_cdevents_webhook(client: TestClient, shop: Workspace) -> None:
    body = (EVENTS / "cdevents_service_deployed.json").read_text()
    response = client.post(
        "/webhooks/cdevents", content=body, headers=bearer(shop, "ci@northwind.example")
    )
    assert response.status_code == 200, response.text
    assert response.json()["byType"] == {"deployment": 1}


def test_cli_ingest_and_metrics(cli_env: str, shop: Workspace, tmp_path) -> None:
    result = runner.invoke(app, ["ingest", str(EVENTS / "scalegate_events.jsonl")])
    assert result.exit_code == 0, result.stderr
    assert "4 stored, 0 updated, 0 duplicate(s), 0 skipped" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "incident", "id": "i", "service": "s", "opened_at": "yesterday"}\n')
    refused = runner.invoke(app, ["ingest", str(bad)])
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[1].startswith("1: opened_at: ")
    figures = json.loads(
        runner.invoke(
            app,
            [
                "metrics",
                "dora",
                "--service",
                "checkout",
                "--from",
                "2026-03-10",
                "--to",
                "2026-03-16",
                "--json",
            ],
        ).output
    )
    assert figures["scope"] == "service/checkout"
    assert figures["deployments_per_day"] == pytest.approx(2 / 7)
    assert [w["week_start"] for w in figures["weekly"]] == ["2026-03-09", "2026-03-16"]
    both = runner.invoke(app, ["metrics", "dora", "--service", "x", "--portfolio"])
    assert both.exit_code == 2
    viewer = runner.invoke(
        app, ["--as", "v@northwind.example", "ingest", str(EVENTS / "scalegate_events.jsonl")]
    )
    assert viewer.exit_code == 3
