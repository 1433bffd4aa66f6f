"""Gates over HTTP and the CLI: exit codes, role refusals, the JSON shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scalegate.access import service as access
from scalegate.app import create_app
from scalegate.cli import app
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.gates_support import POLICIES
from tests.integration.test_gates import PORTFOLIO

runner = CliRunner()


@pytest.fixture
def gated(workspace: Workspace) -> Workspace:
    apply_sources(workspace.sessions, read_sources([str(POLICIES)]), ADMIN)
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    for email, role in [
        ("vo@northwind.example", "value-office"),
        ("risk@northwind.example", "controls"),
        ("viewer@northwind.example", "viewer"),
    ]:
        access.add_user(workspace.sessions, ADMIN, email, [role])
    return workspace


@pytest.fixture
def client(settings: Settings, gated: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def bearer(ws: Workspace, email: str) -> dict[str, str]:
    token = access.create_token(ws.sessions, ADMIN, email).token
    return {"Authorization": f"Bearer {token}"}


def test_api_gate_check_advance_and_refusals(client: TestClient, gated: Workspace) -> None:
    viewer, office = (
        bearer(gated, "viewer@northwind.example"),
        bearer(gated, "vo@northwind.example"),
    )
    check = client.get("/api/v1/initiatives/disputes/gate", headers=viewer).json()
    assert (check["from"], check["to"], check["passed"]) == ("define", "prove", True)
    assert [r["name"] for r in check["rules"]] == [
        "outcome-statement-complete",
        "hypothesis-stated",
        "sponsor-and-outcome-owner",
        "risk-tier-and-data-classes",
    ]
    assert set(check) == {
        "initiative",
        "from",
        "to",
        "policies",
        "passed",
        "rules",
        "readiness",
        "input_hash",
        "assetUses",
    }
    refused = client.post(
        "/api/v1/initiatives/disputes/advance", json={"to": "prove"}, headers=viewer
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "viewer@northwind.example (viewer) may not advance:prove"
    )
    moved = client.post(
        "/api/v1/initiatives/disputes/advance", json={"to": "prove"}, headers=office
    )
    assert moved.status_code == 200
    blocked = client.post(
        "/api/v1/initiatives/disputes/advance", json={"to": "industrialize"}, headers=office
    )
    assert blocked.status_code == 409
    body = blocked.json()["error"]
    assert body["code"] == "gate_blocked"
    assert {d["path"] for d in body["details"]} == {
        "prove-to-industrialize/pilot-evidence",
        "prove-to-industrialize/risk-and-data-review-signed",
        "prove-to-industrialize/platform-and-risk-owners",
    }


def test_api_signoffs_waivers_readiness_sweep(client: TestClient, gated: Workspace) -> None:
    office, risk = bearer(gated, "vo@northwind.example"), bearer(gated, "risk@northwind.example")
    signed = client.post(
        "/api/v1/initiatives/disputes/signoffs",
        json={"item": "risk-review", "artifact": "https://grc/r/1"},
        headers=risk,
    )
    assert signed.status_code == 201
    not_theirs = client.post(
        "/api/v1/initiatives/disputes/signoffs",
        json={"item": "risk-review", "artifact": "https://grc/r/1"},
        headers=office,
    )
    assert not_theirs.status_code == 403
    waiver = {"rules": ["slos-met"], "until": "2099-01-01", "rationale": "sandbox"}
    too_long = client.post("/api/v1/initiatives/disputes/waivers", json=waiver, headers=risk)
    assert too_long.status_code == 422
    assert too_long.json()["error"]["details"][0]["path"] == "until"
    assert (
        client.post("/api/v1/initiatives/disputes/waivers", json=waiver, headers=office).status_code
        == 403
    )
    profile = client.get("/api/v1/initiatives/disputes/readiness", headers=office).json()
    assert profile["readiness"]["problem"] == 1.0
    swept = client.post("/api/v1/gates/sweep", headers=risk).json()
    assert swept["drifted"] == []
    assert (
        client.post(
            "/api/v1/gates/sweep", headers=bearer(gated, "viewer@northwind.example")
        ).status_code
        == 403
    )


def test_cli_gate_check_exit_codes(cli_env: str, gated: Workspace) -> None:
    passed = runner.invoke(app, ["gate", "check", "disputes", "--json"])
    assert passed.exit_code == 0
    assert json.loads(passed.output)["passed"] is True
    blocked = runner.invoke(app, ["gate", "check", "disputes", "--to", "industrialize"])
    assert blocked.exit_code == 3
    assert "gate blocked" in blocked.output
    bad = runner.invoke(app, ["gate", "check", "nobody"])
    assert bad.exit_code == 1
    backwards = runner.invoke(app, ["gate", "check", "disputes", "--to", "define"])
    assert backwards.exit_code == 2


def test_cli_advance_waive_and_role_refusal(cli_env: str, gated: Workspace) -> None:
    refused = runner.invoke(
        app, ["--as", "viewer@northwind.example", "advance", "disputes", "--to", "prove"]
    )
    assert refused.exit_code == 3
    assert "may not advance:prove" in refused.stderr
    assert runner.invoke(app, ["advance", "disputes", "--to", "prove"]).exit_code == 0
    blocked = runner.invoke(
        app, ["--as", "vo@northwind.example", "advance", "disputes", "--to", "industrialize"]
    )
    assert blocked.exit_code == 3
    assert "3 blocking rule(s) fail" in blocked.stderr
    waived = runner.invoke(
        app,
        [
            "--as",
            "risk@northwind.example",
            "waive",
            "disputes",
            "--rules",
            "pilot-evidence,risk-and-data-review-signed,platform-and-risk-owners",
            "--until",
            in_days(20),
            "--rationale",
            "Sandbox",
        ],
    )
    assert waived.exit_code == 0, waived.stderr
    moved = runner.invoke(
        app, ["--as", "vo@northwind.example", "advance", "disputes", "--to", "industrialize"]
    )
    assert moved.exit_code == 0, moved.stderr
    shown = json.loads(runner.invoke(app, ["show", "disputes", "--json"]).output)
    assert shown["spec"]["stage"] == "industrialize"
    assert shown["status"]["waivers"][0]["active"] is True
    assert [d["action"] for d in shown["status"]["decisions"]] == ["advance", "hold", "advance"]
    too_long = runner.invoke(
        app,
        [
            "--as",
            "risk@northwind.example",
            "waive",
            "disputes",
            "--rules",
            "slos-met",
            "--until",
            in_days(91),
            "--rationale",
            "x",
        ],
    )
    assert too_long.exit_code == 2
    assert "until: waivers last at most 90 days" in too_long.stderr


def in_days(days: int) -> str:
    """A date relative to the real today: the CLI works on the real clock."""
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def test_cli_signoff_readiness_sweep(cli_env: str, gated: Workspace) -> None:
    ok = runner.invoke(
        app,
        [
            "--as",
            "risk@northwind.example",
            "signoff",
            "disputes",
            "risk-review",
            "--artifact",
            "https://grc/r/9",
        ],
    )
    assert ok.exit_code == 0, ok.stderr
    readiness = json.loads(runner.invoke(app, ["readiness", "disputes", "--json"]).output)
    assert readiness["rules"] == 4
    swept = json.loads(runner.invoke(app, ["gate", "sweep", "--json"]).output)
    assert swept["initiatives"]["disputes"]["evaluated"] == 0  # still in define: no gate passed


def test_init_applies_defaults_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCALEGATE_DATABASE_URL", str(tmp_path / "w.db"))
    first = runner.invoke(app, ["init"])
    assert "applied 8 default policy objects" in first.output
    again = runner.invoke(app, ["init"])
    assert "up to date" in again.output
    exported = runner.invoke(app, ["export"]).output
    assert exported.count("kind: GatePolicy") == 5
    monkeypatch.setenv("SCALEGATE_DATABASE_URL", str(tmp_path / "bare.db"))
    bare = runner.invoke(app, ["init", "--no-default-policies"])
    assert "default policy" not in bare.output
    assert "GatePolicy" not in runner.invoke(app, ["export"]).output
