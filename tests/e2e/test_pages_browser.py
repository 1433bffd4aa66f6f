"""The portfolio page in a real browser (Debian chromium driven by Playwright) on a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

from scalegate.cli import app

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`scalegate serve` over a demo workspace, in its own process."""
    if not CHROMIUM.exists():
        if os.environ.get("SCALEGATE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (SCALEGATE_REQUIRE_BROWSER is set)")
        pytest.skip(f"page tests need Debian's chromium at {CHROMIUM} (.ci/run installs it)")
    database = tmp_path_factory.mktemp("browser") / "demo.db"
    env = {**os.environ, "SCALEGATE_DATABASE_URL": str(database)}
    result = CliRunner().invoke(app, ["demo", "--no-serve"], env=env)
    assert result.exit_code == 0, result.output
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scalegate.cli", "serve", "--port", str(port)], env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("scalegate serve did not answer within 10 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_portfolio_page_shows_themes_stages_owners_and_priority(
    server: str, browser: object, width: int, height: int, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    page.goto(server + "/")
    assert page.title() == "Portfolio · scalegate"
    assert page.locator("section.theme h2").all_inner_texts() == [
        "Content and knowledge",
        "Customer operations",
        "Employee productivity",
        "Healthcare operations",
        "Risk and underwriting",
    ]
    row = page.locator("#initiative-billing-dispute-assistant")
    assert row.is_visible()
    text = row.inner_text()
    assert "Billing dispute assistant" in text
    assert "adopt" in text
    assert "sponsor: maria.santos@northwind.example" in text
    assert "4.18" in text  # (2*5 + 4 + (6-3) + 1.5*4) / 5.5 with the demo rubric
    # The stage summary counts every demo initiative once.
    counts = [int(n) for n in page.locator("table.stages td").all_inner_texts()]
    assert sum(counts) == page.locator("tr[id^=initiative-]").count() >= 12
    # Nothing overflows sideways: the page fits the viewport at desktop and phone widths.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width
    page.screenshot(path=str(tmp_path / f"portfolio-{width}.png"), full_page=True)
    page.close()
