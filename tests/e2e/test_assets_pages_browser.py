"""The asset library pages in Chromium on a real server, and their 404 and search through
TestClient on SQLite and PostgreSQL.

The workspace: three initiatives in two themes, five assets of five types; the dispute prompt
has two versions, production on v1, and is used by all three initiatives (its origin alpha by
the production label, beta pinned to v1, gamma following latest). A prompt reaches production
only on a passing evaluation run of that exact version (the default AssetPolicy
evaluated-before-production), so v1 is evaluated before its promote and v2 before the form moves
production to it. Every expected figure below is counted by hand from WORKSPACE and CHANGED.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scalegate.access import service as access
from scalegate.app import create_app
from scalegate.assets import service as assets
from scalegate.cli import app
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.workspace import Workspace, open_workspace
from tests.assets_support import evaluate
from tests.conftest import ADMIN
from tests.e2e.test_pages_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    WIDTHS,
    _free_port,
    signed_in,
)

WORKSPACE = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: risk}
spec: {title: Risk}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: alpha}
spec:
  title: Alpha
  theme: ops
  stage: adopt
  uses: [{asset: dispute-reply-prompt, label: production}]
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: beta}
spec:
  title: Beta
  theme: risk
  stage: prove
  uses: [{asset: dispute-reply-prompt, version: 1}, {asset: triage-eval-set, label: latest}]
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: gamma}
spec:
  title: Gamma
  theme: risk
  stage: industrialize
  uses:
    - {asset: dispute-reply-prompt, label: latest}
    - {asset: triage-eval-set, version: 1}
    - {asset: pii-redaction-policy, label: latest}
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata:
  name: dispute-reply-prompt
  annotations: {scalegate.dev/change: First cut from the alpha pilot}
spec:
  type: prompt
  title: Dispute reply
  description: Replies to billing disputes
  owner: ana@example.com
  origin: alpha
  tags: [billing, reply]
  content: |
    You are a billing dispute assistant.
    Greet the customer by name.
    Explain the charge.
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata: {name: triage-eval-set}
spec:
  type: evaluation-set
  title: Triage evaluation set
  description: Labelled tickets
  owner: ana@example.com
  origin: beta
  tags: [triage]
  content: "ticket,queue\\nlogin fails,identity\\n"
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata: {name: pii-redaction-policy}
spec:
  type: policy
  title: PII redaction
  description: Masks PII in billing transcripts
  owner: ana@example.com
  origin: gamma
  content: "mask: [iban, email]\\n"
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata: {name: claims-interface}
spec:
  type: interface
  title: Claims API
  description: The claims interface
  owner: ana@example.com
  origin: gamma
  lifecycle: production
  artifact:
    url: https://specs.example/claims.yaml
    sha256: "3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f"
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata: {name: launch-playbook}
spec:
  type: playbook
  title: Launch playbook
  owner: ana@example.com
  origin: alpha
  tags: [launch]
  content: |
    Launch steps.
    <script>alert(1)</script>
    <img src=x onerror=alert(2)>
"""
SHA = "3f" * 32  # the claims interface's artifact digest, as in WORKSPACE
# The second apply: one line of the prompt changed, one added, with its change message.
CHANGED = WORKSPACE.replace("First cut from the alpha pilot", "Greets by preferred name").replace(
    "    Greet the customer by name.\n    Explain the charge.\n",
    "    Greet the customer by their preferred name.\n    Explain the charge.\n"
    "    Offer a callback if unresolved.\n",
)
ROLES = ("platform", "controls", "viewer")


def build(workspace: Workspace) -> dict[str, tuple[str, str]]:
    """Apply both versions of the workspace, evaluate v1 and label it production, add a user
    per role."""
    apply_sources(workspace.sessions, [("assets.yaml", WORKSPACE)], ADMIN)
    apply_sources(workspace.sessions, [("assets.yaml", CHANGED)], ADMIN)
    evaluate(workspace.sessions, "alpha", "dispute-reply-prompt@1")
    assets.promote(
        workspace.sessions, ADMIN, "dispute-reply-prompt", 1, "production", "Piloted in alpha"
    )
    users = {}
    for role in ROLES:
        email = f"{role}@example.com"
        access.add_user(workspace.sessions, ADMIN, email, [role])
        users[role] = (email, access.create_token(workspace.sessions, ADMIN, email).token)
    return users


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`scalegate serve` over the asset workspace (default policies applied by init)."""
    if not CHROMIUM.exists():
        if os.environ.get("SCALEGATE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (SCALEGATE_REQUIRE_BROWSER is set)")
        pytest.skip(f"page tests need Debian's chromium at {CHROMIUM}")
    database = tmp_path_factory.mktemp("assets") / "assets.db"
    env = {**os.environ, "SCALEGATE_DATABASE_URL": str(database)}
    env.pop("SCALEGATE_SECRET_KEY", None)
    result = CliRunner().invoke(app, ["init"], env=env)
    assert result.exit_code == 0, result.output
    workspace = open_workspace(Settings(database_url=str(database)))
    users = build(workspace)
    workspace.engine.dispose()
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
        yield {"url": url, "users": users, "database": str(database)}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(server: dict[str, Any]) -> Iterator[Any]:
    """Chromium as the other page tests launch it (importing their fixture would shadow it)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


def _rows(page: Any) -> list[str]:
    ids = page.locator("#assets tbody tr").evaluate_all("rows => rows.map(r => r.id)")
    return [i.removeprefix("asset-") for i in ids]


def test_library_search_filters_and_sort_by_reuse(browser: Any, server: dict[str, Any]) -> None:
    """Consumers: dispute 3 (alpha, beta, gamma), triage 2, pii 1, the others 0."""
    page = signed_in(browser, server, "viewer")
    page.click("header nav a[href='/assets']")
    page.wait_for_url(server["url"] + "/assets")
    assert page.locator("header nav a[aria-current=page]").inner_text() == "Assets"
    assert len(_rows(page)) == 5
    page.fill("#asset-q", "billing")  # a tag of the prompt, a word of the policy's description
    page.click("#asset-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*q=billing.*"))
    assert sorted(_rows(page)) == ["dispute-reply-prompt", "pii-redaction-policy"]
    page.goto(server["url"] + "/assets")
    page.select_option("#asset-type", "evaluation-set")
    page.click("#asset-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*type=evaluation-set.*"))
    assert _rows(page) == ["triage-eval-set"]
    page.goto(server["url"] + "/assets")
    page.select_option("#asset-sort", "reuse")
    page.click("#asset-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*sort=reuse.*"))
    order = _rows(page)
    assert order[:3] == ["dispute-reply-prompt", "triage-eval-set", "pii-redaction-policy"]
    first = page.locator("#asset-dispute-reply-prompt")
    assert first.locator(".consumers .count").inner_text() == "3"
    assert first.locator(".reused-by .count").inner_text() == "2"  # all but alpha, its origin
    assert first.locator(".asset-label").all_inner_texts() == ["production v1", "latest v2"]
    assert first.locator(".lifecycle").inner_text() == "experimental"
    claims = page.locator("#asset-claims-interface .lifecycle")
    assert claims.get_attribute("class") == "lifecycle lifecycle-production"
    page.goto(server["url"] + "/assets?q=nothing-like-this")
    assert "No asset matches" in page.locator("#assets-empty").inner_text()
    assert page.errors == []
    page.close()


def test_asset_page_versions_labels_history_consumers_and_diff(
    browser: Any, server: dict[str, Any]
) -> None:
    """v1 is resolved by alpha (production) and beta (pinned): 2 initiatives in 2 themes."""
    page = signed_in(browser, server, "viewer")
    page.goto(server["url"] + "/assets/dispute-reply-prompt")
    assert page.locator("h1").inner_text() == "Dispute reply"
    assert page.locator("#asset-origin").get_attribute("href") == "/initiatives/alpha"
    assert page.locator("#current-labels .asset-label").all_inner_texts() == [
        "production v1",
        "latest v2",
    ]
    history = page.locator("#label-history tbody tr").all_inner_texts()
    assert len(history) == 1
    assert "none → v1" in history[0] and "Piloted in alpha" in history[0]
    v1, v2 = page.locator("#version-1").inner_text(), page.locator("#version-2").inner_text()
    assert "retiring v1 affects 2 initiatives in 2 themes: alpha, beta" in v1
    assert "production" in v1 and "First cut from the alpha pilot" in v1
    assert "1 initiative in 1 theme: gamma" in v2 and "Greets by preferred name" in v2
    consumers = {
        c: page.locator(f"#consumer-{c} td").all_inner_texts() for c in ("alpha", "beta", "gamma")
    }
    assert consumers["alpha"][3:5] == ["label production", "v1"]
    assert consumers["beta"][3:5] == ["v1", "v1"]
    assert consumers["gamma"][3:5] == ["label latest", "v2"]
    assert page.locator("#consumer-table .stale").count() == 0
    # Default diff: v1 → v2, the changed line removed and added, the new line added.
    assert page.locator("#diff-text .diff-del").all_inner_texts() == [
        "-Greet the customer by name."
    ]
    assert page.locator("#diff-text .diff-add").all_inner_texts() == [
        "+Greet the customer by their preferred name.",
        "+Offer a callback if unresolved.",
    ]
    page.select_option("#diff-from", "2")
    page.click("#diff button[type=submit]")
    page.wait_for_url(re.compile(r".*from=2&to=2.*"))
    assert page.locator("#diff-text").count() == 0
    assert page.locator("#promote-form").count() == 0  # a viewer may not promote
    assert page.errors == []
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = httpx.post(
        f"{server['url']}/assets/dispute-reply-prompt/promote",
        data={"version": "2", "label": "production", "rationale": "x", "csrf_token": csrf},
        cookies={c["name"]: c["value"] for c in page.context.cookies()},
    )
    assert forged.status_code == 200  # the page answers, saying why nothing moved
    assert "may not asset.promote" in forged.text
    page.close()


def test_content_is_shown_as_text_never_run(browser: Any, server: dict[str, Any]) -> None:
    page = signed_in(browser, server, "viewer")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server["url"] + "/assets/launch-playbook?version=1")
    page.wait_for_load_state("networkidle")
    text = page.locator("#content-text").inner_text()
    assert "<script>alert(1)</script>" in text and "<img src=x onerror=alert(2)>" in text
    assert page.locator("#content-text script, #content-text img").count() == 0
    assert dialogs == []
    page.goto(server["url"] + "/assets/claims-interface")
    artifact = page.locator("#content-artifact").inner_text()
    assert "https://specs.example/claims.yaml" in artifact and SHA in artifact
    assert page.locator("#content-text").count() == 0
    assert page.errors == []
    page.close()


def test_promote_forms_follow_the_rights(browser: Any, server: dict[str, Any]) -> None:
    """controls holds asset.promote:policy only: the form shows on the policy asset alone."""
    page = signed_in(browser, server, "controls")
    page.goto(server["url"] + "/assets/dispute-reply-prompt")
    assert page.locator("#promote-form").count() == 0
    page.goto(server["url"] + "/assets/pii-redaction-policy")
    assert page.locator("#promote-form").count() == 1
    page.close()


def test_a_refused_promote_shows_the_failing_rule_and_keeps_the_values(
    browser: Any, server: dict[str, Any]
) -> None:
    """The launch playbook has no description: production-promotion's rule refuses it."""
    page = signed_in(browser, server, "platform")
    page.goto(server["url"] + "/assets/launch-playbook")
    page.select_option("#promote-label", "production")
    page.fill("#promote-rationale", "Every launch follows it")
    page.click("#promote-form button[type=submit]")
    page.wait_for_selector("#promote-outcome")
    outcome = page.locator("#promote-outcome").inner_text()
    assert "Not moved" in outcome
    assert "production-promotion/description-written" in outcome
    assert "owner-named" not in outcome
    assert page.locator("#promote-rationale").input_value() == "Every launch follows it"
    assert page.locator("#promote-label").input_value() == "production"
    assert page.locator("#label-history tbody tr").all_inner_texts()[0].startswith("No label")
    assert page.errors == []
    page.close()


def test_a_promote_through_the_form_moves_the_label_and_beta_goes_stale(
    browser: Any, server: dict[str, Any]
) -> None:
    """Production moves to v2 once a run of v2 is recorded; beta, pinned to v1, is then a
    stale pin."""
    workspace = open_workspace(Settings(database_url=server["database"]))
    evaluate(workspace.sessions, "alpha", "dispute-reply-prompt@2")
    workspace.engine.dispose()
    page = signed_in(browser, server, "platform")
    page.goto(server["url"] + "/assets/dispute-reply-prompt")
    page.select_option("#promote-version", "2")
    page.fill("#promote-rationale", "Callback offer tested in alpha")
    page.click("#promote-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/assets/dispute-reply-prompt#promote$"))
    outcome = page.locator("#promote-outcome").inner_text()
    assert "production moved from v1 to v2" in outcome
    assert page.locator("main > .flash").count() == 0  # shown beside the form, not atop
    history = page.locator("#label-history tbody tr").all_inner_texts()
    assert "v1 → v2" in history[0] and "Callback offer tested in alpha" in history[0]
    assert page.locator("#consumer-beta .stale").count() == 1
    assert page.locator("#consumer-table .stale").count() == 1
    assert page.errors == []
    page.close()


@pytest.mark.parametrize(("width", "height"), WIDTHS)
@pytest.mark.parametrize(
    ("name", "path"),
    [("assets", "/assets?sort=reuse"), ("asset", "/assets/dispute-reply-prompt")],
)
def test_the_asset_pages_fit_and_are_photographed(
    browser: Any, server: dict[str, Any], name: str, path: str, width: int, height: int
) -> None:
    page = signed_in(browser, server, "platform", width)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(server["url"] + path)
    page.wait_for_load_state("networkidle")
    assert page.errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    page.close()


@pytest.fixture
def client(settings: Settings, workspace: Workspace) -> Iterator[tuple[TestClient, Workspace]]:
    """A TestClient signed in as a viewer on an empty workspace (SQLite and PostgreSQL)."""
    access.add_user(workspace.sessions, ADMIN, "viewer@example.com", ["viewer"])
    token = access.create_token(workspace.sessions, ADMIN, "viewer@example.com").token
    app_ = create_app(settings.model_copy(update={"secret_key": "test-key"}))
    with TestClient(app_) as test_client:
        login = test_client.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert csrf is not None
        form = {"csrf_token": csrf.group(1), "email": "viewer@example.com", "token": token}
        assert test_client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield test_client, workspace


def test_an_unknown_asset_is_an_html_404_and_an_empty_library_says_what_to_do(
    client: tuple[TestClient, Workspace],
) -> None:
    test_client, workspace = client
    response = test_client.get("/assets/no-such-asset")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "No asset named no-such-asset" in response.text
    empty = test_client.get("/assets")
    assert empty.status_code == 200
    assert "Apply a <code>kind: Asset</code> document" in empty.text
    apply_sources(workspace.sessions, [("assets.yaml", WORKSPACE)], ADMIN)
    found = test_client.get("/assets?q=Billing&sort=reuse").text
    assert re.findall(r'<tr id="asset-([a-z-]+)"', found) == [
        "dispute-reply-prompt",
        "pii-redaction-policy",
    ]
