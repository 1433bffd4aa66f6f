"""The pages in a real browser (Debian chromium driven by Playwright) on a real server.

The server runs `scalegate serve` over the demo workspace. Screenshots of every page at
1280 px and 390 px go to artifacts/screenshots/ (git-ignored); their paths are printed.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

from scalegate.access import service as access
from scalegate.cli import app
from scalegate.core.conversion import quarter_of
from scalegate.settings import Settings
from scalegate.workspace import open_workspace
from tests.conftest import ADMIN

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
WIDTHS = [(1280, 900), (390, 844)]
INITIATIVE = "billing-dispute-assistant"
PAGES = {
    "portfolio": "/",
    "dashboard": "/dashboard",
    "initiative": f"/initiatives/{INITIATIVE}",
    "audit": "/audit",
    "risks": "/risks",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`scalegate serve` over a demo workspace, in its own process, with three users."""
    if not CHROMIUM.exists():
        if os.environ.get("SCALEGATE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (SCALEGATE_REQUIRE_BROWSER is set)")
        pytest.skip(f"page tests need Debian's chromium at {CHROMIUM} (.ci/run installs it)")
    database = tmp_path_factory.mktemp("browser") / "demo.db"
    env = {**os.environ, "SCALEGATE_DATABASE_URL": str(database)}
    env.pop("SCALEGATE_SECRET_KEY", None)  # the server generates and keeps its own key
    result = CliRunner().invoke(app, ["demo", "--no-serve"], env=env)
    assert result.exit_code == 0, result.output
    workspace = open_workspace(Settings(database_url=str(database)))
    users = {}
    for role in ("controls", "viewer"):
        email = f"{role}@northwind.example"
        access.add_user(workspace.sessions, ADMIN, email, [role])
        users[role] = (email, access.create_token(workspace.sessions, ADMIN, email).token)
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
        yield {"url": url, "users": users, "database": database}
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


def signed_in(browser: Any, server: dict[str, Any], role: str, width: int = 1280) -> Any:
    """A new page whose context has signed in through the form; console errors are collected."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    email, token = server["users"][role]
    page.goto(server["url"] + "/login")
    page.fill("#email", email)
    page.fill("#token", token)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(server["url"] + "/")
    return page


def test_unauthenticated_requests_are_sent_to_sign_in(server: dict[str, Any]) -> None:
    for path in PAGES.values():
        response = httpx.get(server["url"] + path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=" + path.split("?")[0])
    assert httpx.get(server["url"] + "/login").status_code == 200
    # The generated signing key is kept beside the workspace, so restarts keep sessions.
    key_file = server["database"].with_suffix(".secret-key")
    assert key_file.exists() and len(key_file.read_text().strip()) >= 48
    assert key_file.stat().st_mode & 0o077 == 0


def test_sign_in_refuses_a_wrong_token_then_works_and_signs_out(
    browser: Any, server: dict[str, Any]
) -> None:
    page = browser.new_page()
    page.goto(server["url"] + "/audit")
    assert page.url == server["url"] + "/login?next=/audit"
    email, token = server["users"]["viewer"]
    page.fill("#email", email)
    page.fill("#token", token[:-2] + "xx")
    page.click("form.stack button[type=submit]")
    assert "do not match a live token" in page.locator("[role=alert]").inner_text()
    page.fill("#email", email)
    page.fill("#token", token)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(server["url"] + "/audit")
    assert page.locator(".who").inner_text() == email
    cookie = next(c for c in page.context.cookies() if c["name"] == "scalegate_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    page.click(".signout button")
    page.wait_for_url(server["url"] + "/login")
    page.goto(server["url"] + "/")
    assert page.url.startswith(server["url"] + "/login")
    page.close()


def test_a_post_without_the_csrf_token_is_refused(browser: Any, server: dict[str, Any]) -> None:
    page = signed_in(browser, server, "controls")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    form = {"item": "risk-review", "artifact": "https://example.org/csrf"}
    target = f"{server['url']}/initiatives/{INITIATIVE}/signoffs"
    missing = httpx.post(target, data=form, cookies=cookies, follow_redirects=False)
    forged = httpx.post(
        target, data={**form, "csrf_token": "forged"}, cookies=cookies, follow_redirects=False
    )
    assert (missing.status_code, forged.status_code) == (403, 403)
    assert "security token" in missing.text
    page.goto(server["url"] + "/audit")
    assert "https://example.org/csrf" not in page.content()
    page.close()


def test_a_sign_off_round_trips_to_the_page_and_the_audit_log(
    browser: Any, server: dict[str, Any]
) -> None:
    page = signed_in(browser, server, "controls")
    page.goto(server["url"] + PAGES["initiative"])
    # controls may sign risk-review, data-review and security-review, waive and step back;
    # advancing to govern and retiring belong to other roles (policies/decision-rights.yaml).
    options = page.locator("#signoff-item option").all_inner_texts()
    assert options == ["risk-review", "data-review", "security-review"]
    assert page.locator("#waiver-form").count() == 1
    assert page.locator("#advance-to option").all_inner_texts() == [
        "step back to define",
        "step back to prove",
        "step back to industrialize",
    ]
    page.select_option("#signoff-item", "risk-review")
    page.fill("#signoff-artifact", "https://wiki.northwind.example/risk/bda-42")
    page.click("#signoff-form button[type=submit]")
    page.wait_for_url(re.compile(r".*#signoffs$"))
    assert page.locator(".flash").inner_text() == "Signed risk-review."
    row = page.locator("#signoff-risk-review").inner_text()
    assert "controls@northwind.example" in row
    assert "https://wiki.northwind.example/risk/bda-42" in row
    page.goto(server["url"] + f"/audit?object=Initiative/{INITIATIVE}")
    latest = page.locator("table.audit tbody tr").first.inner_text()
    assert "gate.signoff" in latest
    assert "controls@northwind.example" in latest
    assert "Chain verified" in page.locator("#verification").inner_text()
    page.close()


def test_a_viewer_sees_no_forms_and_the_service_refuses_a_forged_one(
    browser: Any, server: dict[str, Any]
) -> None:
    page = signed_in(browser, server, "viewer")
    page.goto(server["url"] + PAGES["initiative"])
    assert page.locator("#act").count() == 0
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    response = httpx.post(
        f"{server['url']}/initiatives/{INITIATIVE}/signoffs",
        data={"item": "risk-review", "artifact": "https://x.example/a", "csrf_token": csrf},
        cookies=cookies,
        follow_redirects=False,
    )
    assert response.status_code == 303  # the service said no; the page shows why
    page.context.add_cookies(
        [{"name": k, "value": v, "url": server["url"]} for k, v in response.cookies.items()]
    )
    page.goto(server["url"] + PAGES["initiative"])
    assert "may not signoff:risk-review" in page.locator(".flash-error").inner_text()
    page.close()


def test_portfolio_figures(browser: Any, server: dict[str, Any]) -> None:
    """The demo has 15 initiatives; 11 stand at prove or later (live), 5 of them at adopt+."""
    page = signed_in(browser, server, "viewer")
    funnel = page.locator("#chart-funnel tbody tr td:nth-child(3)").all_text_contents()
    assert sum(int(n) for n in funnel) == 15
    conversion = page.locator("#chart-conversion tbody tr td").all_text_contents()
    assert conversion == [quarter_of(datetime.now(UTC)), "11", "5", "45%"]
    row = page.locator(f"#initiative-{INITIATIVE}").inner_text()
    assert "#2" in row and "4.18" in row and "adopt" in row
    page.goto(server["url"] + "/?stage=prove&risk_tier=high")
    rows = page.locator("table.ranking tbody tr[id^=initiative-]")
    assert rows.count() == 1
    assert rows.first.get_attribute("id") == "initiative-underwriting-decision-assistant"
    page.close()


FIRING = {
    ("dispute-assistant-availability", "page-fast", "page"),
    ("dispute-assistant-availability", "page-slow", "page"),
    ("clause-review-availability", "ticket-fast", "ticket"),
    ("clause-review-availability", "ticket-slow", "ticket"),
}


def test_the_dashboard_shows_slos_met_budgets_and_the_demo_firing_alerts(
    browser: Any, server: dict[str, Any]
) -> None:
    page = signed_in(browser, server, "viewer")
    page.goto(server["url"] + "/dashboard")
    met, total = page.locator("#slos-met .value").inner_text().split(" / ")
    assert int(total) == 8 and 0 <= int(met) <= 8
    rows = page.locator("#firing-alerts tbody tr")
    found = set()
    for i in range(rows.count()):
        slo, alert, severity = rows.nth(i).locator("td").all_inner_texts()[:3]
        found.add((slo, alert, severity))
    assert found == FIRING
    link = page.locator("#alert-dispute-assistant-availability-page-fast a")
    assert link.get_attribute("href") == f"/initiatives/{INITIATIVE}#slos"
    assert "2 page · 2 ticket" in page.locator("#alerts-firing").inner_text()
    # One bar per SLO: the data table lists all eight, and the chart is drawn.
    assert page.locator("#chart-slo-budgets tbody tr").count() == 8
    page.wait_for_selector("#chart-slo-budgets .chart-canvas svg", timeout=15000)
    assert page.locator("#slo-placeholder").count() == 0
    link.click()
    page.wait_for_url(re.compile(rf".*/initiatives/{INITIATIVE}#slos$"))
    assert page.errors == []
    page.close()


def test_the_initiative_page_shows_its_slos_and_burn_down(
    browser: Any, server: dict[str, Any]
) -> None:
    page = signed_in(browser, server, "viewer")
    page.goto(server["url"] + PAGES["initiative"])
    row = page.locator("#slo-dispute-assistant-availability").inner_text()
    assert "page-fast (page)" in row and "page-slow (page)" in row and "99.5%" in row
    assert "no alert firing" in page.locator("#slo-dispute-assistant-latency").inner_text()
    chart = page.locator(f"#chart-{INITIATIVE}-burndown-dispute-assistant-availability")
    assert "of the error budget is left" in chart.locator(".chart-summary").inner_text()
    # A point a day over the 28-day window, the last one as of now.
    assert chart.locator("tbody tr").count() == 28
    page.wait_for_selector(
        f"#chart-{INITIATIVE}-burndown-dispute-assistant-availability .chart-canvas svg",
        timeout=15000,
    )
    assert page.locator(f"#chart-{INITIATIVE}-burndown-dispute-assistant-latency").count() == 1
    assert page.errors == []
    page.close()


def test_the_risk_register_page_lists_what_the_api_lists(
    browser: Any, server: dict[str, Any]
) -> None:
    _, token = server["users"]["viewer"]
    api = httpx.get(
        server["url"] + "/api/v1/risks", headers={"Authorization": f"Bearer {token}"}
    ).json()
    page = signed_in(browser, server, "viewer")
    page.click("header nav a[href='/risks']")
    page.wait_for_url(server["url"] + "/risks")
    assert page.locator("header nav a[aria-current=page]").inner_text() == "Risks"
    assert page.locator("#risks tbody tr.risk").count() == len(api) > 0
    shadow = page.locator("#risks tr.risk-shadow-ai")
    assert shadow.count() == 1
    assert "high" in shadow.inner_text()
    assert shadow.locator("a").get_attribute("href") == "/initiatives/contract-clause-review"
    counted = page.locator("#chart-risks-by-rule tbody tr td:nth-child(4)").all_text_contents()
    assert sum(int(n) for n in counted) == len(api)
    page.wait_for_selector("#chart-risks-by-rule .chart-canvas svg", timeout=15000)
    assert page.errors == []
    page.close()


def test_an_unknown_initiative_is_an_html_404_and_the_api_keeps_json(
    browser: Any, server: dict[str, Any]
) -> None:
    page = signed_in(browser, server, "viewer")
    response = page.goto(server["url"] + "/initiatives/no-such-initiative")
    assert response is not None and response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "No initiative named no-such-initiative" in page.locator("#not-found").inner_text()
    page.close()
    _, token = server["users"]["viewer"]
    api = httpx.get(
        server["url"] + "/api/v1/initiatives/no-such-initiative",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("width", "height"), WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_loads_renders_its_charts_and_fits(
    browser: Any, server: dict[str, Any], name: str, width: int, height: int
) -> None:
    page = signed_in(browser, server, "controls", width)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(server["url"] + PAGES[name])
    page.wait_for_load_state("networkidle")
    charts = page.locator(".chart-canvas")
    if charts.count():
        page.wait_for_function(
            "[...document.querySelectorAll('.chart-canvas')].every(c => c.querySelector('svg'))",
            timeout=15000,
        )
        assert page.locator(".chart-canvas[data-error]").count() == 0
        # Every chart carries its title, summary and data table.
        figures = page.locator("figure.chart")
        assert figures.count() == charts.count()
        for i in range(figures.count()):
            figure = figures.nth(i)
            assert figure.locator("h3").inner_text().strip()
            assert figure.locator(".chart-summary").inner_text().strip().endswith(".")
            assert figure.locator("table thead th").count() >= 2
    else:
        assert name == "audit"
    assert page.errors == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    page.close()


def test_the_chart_bundle_is_served_locally_and_cached(server: dict[str, Any]) -> None:
    response = httpx.get(server["url"] + "/vendor/vega-embed.js")
    assert response.status_code == 200
    assert "window.vegaEmbed" in response.text
    etag = response.headers["etag"]
    again = httpx.get(server["url"] + "/vendor/vega-embed.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
