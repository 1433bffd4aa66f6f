"""The REST API: bearer tokens, decision rights, the JSON error shape, CRUD and apply."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from scalegate.access import service as access
from scalegate.app import create_app
from scalegate.settings import Settings
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.integration.test_apply import BASE


@pytest.fixture
def client(settings: Settings, workspace: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def tokens(workspace: Workspace) -> dict[str, str]:
    """A bearer header per role used below."""
    headers = {}
    for role in ("viewer", "product-owner", "value-office"):
        email = f"{role}@northwind.example"
        access.add_user(workspace.sessions, ADMIN, email, [role])
        token = access.create_token(workspace.sessions, ADMIN, email).token
        headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


def seed(client: TestClient, tokens: dict[str, dict[str, str]]) -> None:
    response = client.post("/api/v1/apply", content=BASE, headers=tokens["value-office"])
    assert response.status_code == 200, response.text


def test_every_api_route_needs_a_token(client: TestClient) -> None:
    for path in ("/api/v1/initiatives", "/api/v1/themes", "/api/v1/kpis", "/api/v1/rank"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
        assert response.headers["www-authenticate"] == "Bearer"
    bad = client.get("/api/v1/themes", headers={"Authorization": "Bearer sg_nope"})
    assert bad.status_code == 401


def test_viewer_reads_but_may_not_write(client: TestClient, tokens: dict) -> None:
    seed(client, tokens)
    listed = client.get("/api/v1/initiatives", headers=tokens["viewer"])
    assert [row["name"] for row in listed.json()] == ["disputes"]
    assert listed.json()[0]["priority"] == 4.0  # (5 + 4 + (6-3) + 4) / 4
    refused = client.post("/api/v1/apply", content=BASE, headers=tokens["viewer"])
    assert refused.status_code == 403
    assert refused.json() == {
        "error": {
            "code": "forbidden",
            "message": "viewer@northwind.example (viewer) may not theme.write",
            "details": [],
        }
    }


def test_product_owner_may_change_initiatives_but_not_themes(
    client: TestClient, tokens: dict
) -> None:
    seed(client, tokens)
    po = tokens["product-owner"]
    created = client.post(
        "/api/v1/initiatives",
        json={
            "metadata": {"name": "triage"},
            "spec": {"title": "Triage", "theme": "ops", "stage": "define"},
        },
        headers=po,
    )
    assert created.status_code == 201, created.text
    assert created.json()["spec"] == {"title": "Triage", "theme": "ops", "stage": "define"}
    updated = client.put(
        "/api/v1/initiatives/triage",
        json={"title": "Ticket triage", "theme": "ops", "stage": "define", "riskTier": "low"},
        headers=po,
    )
    assert updated.status_code == 200
    assert updated.json()["spec"]["riskTier"] == "low"
    # Stages move through the gates, not through an edit.
    moved = client.put(
        "/api/v1/initiatives/triage",
        json={"title": "Ticket triage", "theme": "ops", "stage": "adopt"},
        headers=po,
    )
    assert moved.status_code == 422
    assert moved.json()["error"]["details"][0]["message"].startswith(
        "is define in the workspace; stage changes go through `scalegate advance`"
    )
    theme = client.post(
        "/api/v1/themes",
        json={"metadata": {"name": "people"}, "spec": {"title": "People"}},
        headers=po,
    )
    assert theme.status_code == 403


def test_invalid_input_is_422_with_details(client: TestClient, tokens: dict) -> None:
    seed(client, tokens)
    response = client.post(
        "/api/v1/initiatives",
        json={
            "metadata": {"name": "x"},
            "spec": {"title": "X", "theme": "nowhere", "stage": "prove", "scores": {"value": 9}},
        },
        headers=tokens["product-owner"],
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {
            "path": "Initiative/x: spec.scores.value",
            "message": "input should be less than or equal to 5",
        },
        {"path": "Initiative/x: spec.theme", "message": "Theme/nowhere does not exist"},
    ]
    malformed = client.post(
        "/api/v1/initiatives", json={"spec": {}}, headers=tokens["product-owner"]
    )
    assert malformed.status_code == 422
    assert malformed.json()["error"]["details"][0]["path"] == "body.metadata"
    not_json = client.post(
        "/api/v1/initiatives",
        content=b"{oops",
        headers={**tokens["product-owner"], "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422


def test_apply_endpoint_reports_file_lines(client: TestClient, tokens: dict) -> None:
    response = client.post(
        "/api/v1/apply",
        content=BASE.replace("stage: prove", "stage: piloting"),
        headers=tokens["value-office"],
    )
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid_input"
    assert body["details"][0]["line"] == 17
    assert body["details"][0]["path"] == "Initiative/disputes: spec.stage"


def test_apply_endpoint_dry_run_and_summary(client: TestClient, tokens: dict) -> None:
    vo = tokens["value-office"]
    dry = client.post("/api/v1/apply?dry_run=true", content=BASE, headers=vo).json()
    assert (dry["dryRun"], dry["totals"]["created"]) == (True, 3)
    assert client.get("/api/v1/themes", headers=vo).json() == []
    first = client.post("/api/v1/apply", content=BASE, headers=vo).json()
    assert first["totals"] == {"created": 3, "updated": 0, "unchanged": 0, "deleted": 0}


def test_get_missing_is_404_and_create_existing_is_409(client: TestClient, tokens: dict) -> None:
    seed(client, tokens)
    vo = tokens["value-office"]
    assert client.get("/api/v1/initiatives/nope", headers=vo).status_code == 404
    again = client.post(
        "/api/v1/themes", json={"metadata": {"name": "ops"}, "spec": {"title": "Ops"}}, headers=vo
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_delete_refuses_while_referenced(client: TestClient, tokens: dict) -> None:
    seed(client, tokens)
    vo = tokens["value-office"]
    blocked = client.delete("/api/v1/themes/ops", headers=vo)
    assert blocked.status_code == 409
    assert blocked.json()["error"]["message"] == "Theme/ops is still used by Initiative/disputes"
    assert client.delete("/api/v1/initiatives/disputes", headers=vo).status_code == 204
    assert client.delete("/api/v1/themes/ops", headers=vo).status_code == 204
    assert client.get("/api/v1/themes", headers=vo).json() == []


def test_filters(client: TestClient, tokens: dict) -> None:
    seed(client, tokens)
    vo = tokens["value-office"]
    assert len(client.get("/api/v1/initiatives?stage=prove", headers=vo).json()) == 1
    assert client.get("/api/v1/initiatives?stage=adopt", headers=vo).json() == []
    assert client.get("/api/v1/initiatives?theme=other", headers=vo).json() == []
    assert client.get("/api/v1/initiatives?stage=bogus", headers=vo).status_code == 422


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/apply", "/api/v1/initiatives", "/api/v1/initiatives/{name}"} <= set(
        spec["paths"]
    )
    assert client.get("/docs").status_code == 200
