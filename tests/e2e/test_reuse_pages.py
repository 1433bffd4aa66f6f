"""Reuse where people look: the initiative page's Reuses and Published sections and the
dashboard's reuse tile, through TestClient on SQLite and PostgreSQL, then in Chromium.

The portfolio and its figures by hand are in tests/integration/test_reuse_surfaces.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient

from scalegate.access import service as access
from scalegate.app import create_app
from scalegate.assets import service as assets
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.web.page_cache import HEADER
from scalegate.workspace import Workspace, open_workspace
from tests.conftest import ADMIN
from tests.e2e.test_pages_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    _free_port,
    signed_in,
)
from tests.integration.test_reuse_surfaces import PORTFOLIO, reuse_portfolio

VIEWER = "viewer@example.com"
CHARTS_DRAWN = "[...document.querySelectorAll('.chart-canvas')].every(c => c.querySelector('svg'))"


def text_of(html: str, element_id: str) -> str:
    """The text of the element with that id (tags dropped, spaces collapsed)."""
    found = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', html, re.S)
    assert found is not None, element_id
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(2)).split())


def _client(settings: Settings, workspace: Workspace) -> TestClient:
    """A viewer signed in through the form, on an app with the page cache on."""
    access.add_user(workspace.sessions, ADMIN, VIEWER, ["viewer"])
    token = access.create_token(workspace.sessions, ADMIN, VIEWER).token
    client = TestClient(create_app(settings.model_copy(update={"secret_key": "test-key"})))
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert form is not None
    response = client.post(
        "/login",
        data={"csrf_token": form.group(1), "email": VIEWER, "token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


@pytest.fixture
def viewer(settings: Settings, workspace: Workspace) -> Iterator[TestClient]:
    """The reuse portfolio, read by a signed-in viewer."""
    reuse_portfolio(workspace.sessions, datetime.now(UTC))
    with _client(settings, workspace) as client:
        yield client


def _page(client: TestClient, path: str, cache: str | None = None) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    if cache is not None:
        assert response.headers[HEADER] == cache, path
    return response.text


def test_the_initiative_page_lists_what_it_reuses_and_what_it_published(
    viewer: TestClient,
) -> None:
    claims = _page(viewer, "/initiatives/claims")
    assert '<a href="/assets/pii-redaction">pii-redaction</a>' in claims
    assert text_of(claims, "use-pii-redaction") == (
        "pii-redaction PII redaction policy policy version 1 v1 stale: production is v2 production"
    )
    assert text_of(claims, "use-triage-pattern") == (
        "triage-pattern Ticket triage pattern workflow-pattern label production v1 production"
    )
    assert "1 other initiative uses them" in claims
    assert text_of(claims, "published-dispute-prompt") == (
        "dispute-prompt Dispute prompt prompt latest v1 deprecated 2 1 declared · 1 observed 1"
    )

    triage = _page(viewer, "/initiatives/triage")
    assert text_of(triage, "use-pii-redaction") == (
        "pii-redaction PII redaction policy policy label production v2 production"
    )
    assert text_of(triage, "published-triage-pattern") == (
        "triage-pattern Ticket triage pattern workflow-pattern production v1 latest v1 "
        "production 2 2 declared · 0 observed 2"
    )
    assert "2 other initiatives use them" in triage

    clauses = _page(viewer, "/initiatives/clauses")
    assert text_of(clauses, "use-dispute-prompt") == (
        "dispute-prompt Dispute prompt prompt label latest v1 deprecated "
        "deprecated: plan a move to another asset"
    )
    assert "stale:" not in clauses
    assert text_of(clauses, "published-empty") == (
        "Nothing published to the library yet — the govern → expand gate asks for it."
    )


def test_the_dashboard_tile_gives_the_hand_computed_figures(viewer: TestClient) -> None:
    page = _page(viewer, "/dashboard")
    assert text_of(page, "reuse-rate") == (
        "Portfolio reuse rate 2 of 3 initiatives past prove reuse a production asset (67%)"
    )
    assert text_of(page, "prompt-reuse") == (
        "Prompt reuse share (28 d) 75% 6 of 8 model calls with a known prompt used a library prompt"
    )
    assert text_of(page, "production-assets") == (
        "Production assets 2 of 3 assets in the library carry the production label"
    )
    assert text_of(page, "stale-pins") == (
        "Stale pins 1 uses pinned to a version older than production: "
        "claims → pii-redaction v1 (production v2)"
    )
    assert '<a href="/initiatives/claims#reuses">claims</a>' in page
    rows = re.findall(r'<tr id="reused-([a-z-]+)">', page)
    assert rows == ["pii-redaction", "triage-pattern", "dispute-prompt"]
    assert text_of(page, "reused-dispute-prompt") == "dispute-prompt prompt 1 initiative 2 (1 · 1)"
    assert '<a href="/assets/triage-pattern">triage-pattern</a>' in page


def test_a_promote_changes_the_tile_on_the_next_view(
    viewer: TestClient, settings: Settings
) -> None:
    """Rolling production of pii-redaction back to v1 leaves claims' pin to v1 current: no
    stale pin. The promote is audited, so the cached dashboard is recomputed."""
    _page(viewer, "/dashboard", "miss")
    assert text_of(_page(viewer, "/dashboard", "hit"), "stale-pins").startswith("Stale pins 1 ")
    factory = open_workspace(settings).sessions
    assets.promote(factory, ADMIN, "pii-redaction", 1, "production", "v2 over-redacts")
    after = _page(viewer, "/dashboard", "miss")
    assert text_of(after, "stale-pins").startswith("Stale pins 0 ")
    assert "stale:" not in _page(viewer, "/initiatives/claims", "miss")


def test_without_initiatives_past_prove_the_tile_says_so(
    settings: Settings, workspace: Workspace
) -> None:
    themes_and_intake = [
        d for d in PORTFOLIO.split("---\n") if "kind: Theme" in d or "name: intake" in d
    ]
    text = "---\n".join(themes_and_intake).replace(
        "  uses: [{asset: triage-pattern, label: production}]\n", ""
    )
    apply_sources(workspace.sessions, [("p.yaml", text)], ADMIN)
    with _client(settings, workspace) as client:
        page = _page(client, "/dashboard")
        intake = _page(client, "/initiatives/intake")
    assert text_of(page, "reuse-rate") == (
        "Portfolio reuse rate — No initiative is past prove yet, so there is no reuse rate."
    )
    assert text_of(page, "prompt-reuse") == (
        "Prompt reuse share (28 d) — No model call named its prompt in the last 28 days."
    )
    assert "0%" not in text_of(page, "reuse")
    assert "No assets in the library yet" in text_of(page, "most-reused")
    assert "This initiative declares no library asset" in text_of(intake, "reuses")
    assert "Nothing published to the library yet" in text_of(intake, "published")


# ---------------------------------------------------------------------------------------------
# In Chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`scalegate serve` over the reuse portfolio (SQLite), with a viewer signed up."""
    if not CHROMIUM.exists():
        if os.environ.get("SCALEGATE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (SCALEGATE_REQUIRE_BROWSER is set)")
        pytest.skip(f"page tests need Debian's chromium at {CHROMIUM}")
    database = tmp_path_factory.mktemp("reuse") / "reuse.db"
    workspace = open_workspace(Settings(database_url=str(database)))
    workspace.upgrade()
    reuse_portfolio(workspace.sessions, datetime.now(UTC))
    access.add_user(workspace.sessions, ADMIN, VIEWER, ["viewer"])
    token = access.create_token(workspace.sessions, ADMIN, VIEWER).token
    workspace.engine.dispose()
    env = {**os.environ, "SCALEGATE_DATABASE_URL": str(database)}
    env.pop("SCALEGATE_SECRET_KEY", None)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scalegate.cli", "serve", "--port", str(port)], env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("scalegate serve did not answer within 20 s")
        yield {"url": url, "users": {"viewer": (VIEWER, token)}}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_reuse_pages_render_in_chromium(server: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = signed_in(browser, server, "viewer")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for name, path, sections in (
            ("dashboard", "/dashboard", ["#reuse"]),
            ("initiative", "/initiatives/claims", ["#reuses", "#published"]),
        ):
            page.goto(server["url"] + path)
            page.wait_for_load_state("networkidle")
            page.wait_for_function(CHARTS_DRAWN, timeout=15000)
            assert page.evaluate("document.documentElement.scrollWidth") <= 1280
            # The reuse sections only, with a margin: the rest of each page has its own shots.
            boxes = [page.locator(s).bounding_box() for s in sections]
            assert all(boxes), sections
            top = min(b["y"] for b in boxes) - 16
            bottom = max(b["y"] + b["height"] for b in boxes) + 16
            shot = SCREENSHOTS / f"{name}-reuse-1280.png"
            clip = {"x": 0, "y": top, "width": 1280, "height": bottom - top}
            page.screenshot(path=str(shot), full_page=True, clip=clip)
            print(f"screenshot: {shot}")
        assert "2 of 3" in page.goto(server["url"] + "/dashboard").text()
        assert page.errors == []
        browser.close()
