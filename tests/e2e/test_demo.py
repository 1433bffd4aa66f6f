"""`scalegate demo --no-serve` builds a realistic portfolio, and the page lists it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scalegate.app import create_app
from scalegate.cli import app
from scalegate.core.lifecycle import Stage
from scalegate.settings import Settings

runner = CliRunner()


@pytest.fixture
def demo_workspace(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("SCALEGATE_DATABASE_URL", str(tmp_path / "demo.db"))
    result = runner.invoke(app, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    return Settings()


def test_demo_portfolio_covers_every_stage_and_theme(demo_workspace: Settings) -> None:
    rows = json.loads(runner.invoke(app, ["list", "--json"]).output)
    assert len(rows) >= 12
    assert len({r["theme"] for r in rows}) >= 4
    assert {r["stage"] for r in rows} == {s.value for s in Stage}
    names = {r["name"] for r in rows}
    assert {
        "billing-dispute-assistant",
        "proposal-drafting-assistant",
        "weekly-forecast-summaries",
        "support-ticket-triage",
        "clinical-documentation-assistant",
        "underwriting-decision-assistant",
        "alt-text-metadata-generation",
    } <= names


def test_demo_is_idempotent(demo_workspace: Settings) -> None:
    again = runner.invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0
    assert "0 created, 0 updated" in again.output


def test_demo_hypotheses_target_the_good_direction(demo_workspace: Settings) -> None:
    """Every target improves on its baseline in its KPI's direction (down: target < baseline)."""
    export = runner.invoke(app, ["export"]).output
    documents = list(yaml.safe_load_all(export))
    kpis = {d["metadata"]["name"]: d["spec"]["direction"] for d in documents if d["kind"] == "KPI"}
    checked = 0
    for d in documents:
        if d["kind"] != "Initiative":
            continue
        for h in d["spec"].get("hypotheses", []):
            if "baseline" in h and "target" in h:
                delta = h["target"]["value"] - h["baseline"]["value"]
                assert (delta < 0) if kpis[h["kpi"]] == "down" else (delta > 0), (d["metadata"], h)
                checked += 1
    assert checked >= 20


def test_portfolio_page_lists_initiatives_by_theme(demo_workspace: Settings) -> None:
    from scalegate.access import service as access
    from scalegate.workspace import open_workspace
    from tests.conftest import ADMIN

    sessions = open_workspace(demo_workspace).sessions
    access.add_user(sessions, ADMIN, "v@northwind.example", ["viewer"])
    token = access.create_token(sessions, ADMIN, "v@northwind.example").token
    with TestClient(create_app(demo_workspace)) as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        signed_in = client.post(
            "/login",
            data={"csrf_token": csrf.group(1), "email": "v@northwind.example", "token": token},
        )
        assert signed_in.status_code == 200  # followed the redirect to /
        page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert "Customer operations" in html
    assert 'id="initiative-billing-dispute-assistant"' in html
    assert "maria.santos@northwind.example" in html
    # The billing assistant's priority with the demo rubric weights (2,1,1,1.5) and scores
    # (5,4,3,4): (10 + 4 + 3 + 6) / 5.5 = 4.18.
    assert "4.18" in html


def test_demo_slos_page_on_one_service_and_ticket_on_another(demo_workspace: Settings) -> None:
    """The demo's SLI counts end now: dispute-assistant burns at about 20 for 2 hours (pages),
    clause-review at about 4 for 30 hours (tickets only), every other SLO stays quiet."""
    result = json.loads(runner.invoke(app, ["slo", "sweep", "--json"]).output)
    firing = {(f["objective"], f["alert"]) for f in result["firing"]}
    assert firing == {
        ("dispute-assistant-availability", "page-fast"),
        ("dispute-assistant-availability", "page-slow"),
        ("clause-review-availability", "ticket-fast"),
        ("clause-review-availability", "ticket-slow"),
    }
    assert result["objectives"] == 8
