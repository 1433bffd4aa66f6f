"""The initiative page's "Evaluations and security scans" section, through TestClient on SQLite
and PostgreSQL, then in Chromium.

The portfolio: `assistant` (adopt) with a library prompt `dispute-prompt` v1, and `quiet`
(prove) with nothing sent. Runs are JUnit files (tests/assets_support.py `junit`, no
timestamps, so each run's moment is when it was recorded), relative to now:

- prompt-evals 40 days ago: 30 passed, 10 failed (history only: a later run replaces it);
- prompt-evals 2 days ago, evaluating dispute-prompt@1: 48 passed, 2 failed. Pass rate
  48 / 50 = 96.0 %. Wilson 95 % lower bound, z = 1.96, z² = 3.8415:
  centre = 0.96 + 3.8415 / 100 = 0.998415;
  margin = 1.96 · √(0.96 · 0.04 / 50 + 3.8415 / 10,000) = 1.96 · √0.00115215 = 0.066528;
  lower = (0.998415 − 0.066528) / (1 + 3.8415 / 50) = 0.931887 / 1.076830 = 0.8654 → 86.5 %;
- regression 45 days ago: 20 passed of 20. Stale (older than the 30-day window). Lower bound
  (1 + 3.8415 / 40 − 3.8415 / 40) / (1 + 3.8415 / 20) = 1 / 1.192075 = 0.83887 → 83.8 %: the
  page rounds lower bounds down, so that one just under the gate's 0.85 never reads 85.0 %.

Scans: Semgrep (tests/fixtures/evaluations/semgrep.sarif, no times, recorded a day ago): high
1, medium 2, suppressed 1, levels error 1 · warning 2 · note 1 (hand-counted in
tests/unit/test_evaluation_formats.py); Bandit (bandit.sarif) started 2025-05-12, so stale
although sent a day ago: no security-severity, levels error 1 · warning 3 · note 2.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access import service as access
from scalegate.evaluations.service import ingest_results
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.web.initiative_evaluations import lower_bound
from scalegate.workspace import Workspace, open_workspace
from tests.assets_support import junit
from tests.conftest import ADMIN
from tests.e2e.test_pages_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    _free_port,
    signed_in,
)
from tests.e2e.test_reuse_pages import VIEWER, _client, text_of
from tests.gates_support import POLICIES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evaluations"
PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: assistant}
spec: {title: Dispute assistant, theme: ops, stage: adopt, dataClasses: [internal]}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: quiet}
spec: {title: Quiet pilot, theme: ops, stage: prove}
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata: {name: dispute-prompt}
spec:
  type: prompt
  title: Dispute prompt
  description: The billing-dispute reply prompt.
  owner: platform@example.com
  lifecycle: experimental
  content: "Acknowledge the dispute and give its reference."
"""


def evaluated_portfolio(factory: sessionmaker[Session], now: datetime) -> None:
    """The portfolio and runs of the module docstring."""
    apply_sources(factory, read_sources([str(POLICIES)]), ADMIN)
    apply_sources(factory, [("p.yaml", PORTFOLIO)], ADMIN)
    runs = [
        (junit(30, 10, "prompt-evals"), 40, []),
        (junit(48, 2, "prompt-evals"), 2, ["dispute-prompt@1"]),
        (junit(20, 0, "regression"), 45, []),
    ]
    for data, days, assets in runs:
        ingest_results(
            factory,
            ADMIN,
            data,
            format="junit",
            initiative="assistant",
            assets=assets,
            source="evals.xml",
            as_of=now - timedelta(days=days),
        )
    for name in ("semgrep.sarif", "bandit.sarif"):
        ingest_results(
            factory,
            ADMIN,
            (FIXTURES / name).read_bytes(),
            format="sarif",
            initiative="assistant",
            source=name,
            as_of=now - timedelta(days=1),
        )


@pytest.fixture
def viewer(settings: Settings, workspace: Workspace) -> Iterator[TestClient]:
    """The evaluated portfolio, read by a signed-in viewer."""
    evaluated_portfolio(workspace.sessions, datetime.now(UTC))
    with _client(settings, workspace) as client:
        yield client


def _page(client: TestClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.text


def test_the_latest_run_per_suite_with_its_pass_rate_and_lower_bound(viewer: TestClient) -> None:
    page = _page(viewer, "/initiatives/assistant")
    day = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%d")
    assert text_of(page, "evaluations-evidence") == (
        "The gates read 1 fresh run: 48 of 50 evaluated cases passed (96.0%, 95% lower bound "
        "86.5%), 0 errored. Runs older than 30 days are stale and no longer count."
    )
    fresh = text_of(page, "run-junit-prompt-evals")
    assert fresh.startswith(f"junit · prompt-evals {day} ")
    assert fresh.endswith(
        "UTC 50 evaluated 48 passed · 2 failed · 0 errored 96.0% lower bound 86.5% "
        "dispute-prompt v1"
    )
    assert "stale" not in fresh
    assert '<a href="/assets/dispute-prompt">dispute-prompt</a> v1' in page
    # The 40-day-old run of the same suite is history only: in the chart, not in the table.
    assert page.count('<tr id="run-') == 2


def test_a_stale_run_is_greyed_and_marked(viewer: TestClient) -> None:
    page = _page(viewer, "/initiatives/assistant")
    assert '<tr id="run-junit-regression" class="run-stale">' in page
    stale = text_of(page, "run-junit-regression")
    assert " stale " in stale
    assert stale.endswith(
        "20 evaluated 20 passed · 0 failed · 0 errored 100.0% lower bound 83.8% —"
    )
    # Fresh runs first, then stale ones.
    assert page.index('id="run-junit-prompt-evals"') < page.index('id="run-junit-regression"')


def test_the_latest_scan_per_tool_by_severity(viewer: TestClient) -> None:
    page = _page(viewer, "/initiatives/assistant")
    assert text_of(page, "security-evidence") == (
        "The gates read 1 fresh scan: 0 critical and 1 high findings; every scan ran to completion."
    )
    semgrep = text_of(page, "scan-1")
    assert semgrep.startswith("Semgrep OSS 1.119.0 ")
    assert semgrep.endswith(
        "ran successfully 0 critical · 1 high · 2 medium · 0 low 1 suppressed "
        "1 error · 2 warning · 1 note"
    )
    assert '<span class="counts fail">1 high</span>' in page
    bandit = text_of(page, "scan-2")
    assert bandit.startswith("Bandit 1.8.6 2025-05-12 08:03 UTC stale ")
    assert bandit.endswith(
        "0 critical · 0 high · 0 medium · 0 low 0 suppressed 1 error · 3 warning · 2 note"
    )
    assert '<tr id="scan-2" class="run-stale">' in page


def test_the_trend_chart_has_a_line_per_suite_and_the_gate_rule(viewer: TestClient) -> None:
    """Three runs in history (both prompt-evals runs and regression); of the two suites'
    latest runs only prompt-evals' lower bound (0.865) clears 0.85 (regression's is 0.8389).
    The old prompt-evals run, 30 / 40 = 75.0 %: centre 0.75 + 3.8415 / 80 = 0.798019, margin
    1.96 · √(0.75 · 0.25 / 40 + 3.8415 / 6,400) = 0.142525, lower bound 0.655494 / 1.096038 =
    0.5981 → 59.8 %."""
    page = _page(viewer, "/initiatives/assistant")
    chart = html.unescape(text_of(page, "chart-assistant-evaluation-pass-rate"))
    assert chart.startswith(
        "Evaluation pass rate over time, down to its 95% lower bound 3 runs of 2 suites; "
        "the latest run of 1 of 2 has a 95% lower bound at or above the gate's 85%."
    )
    # The data table, oldest run first.
    rows = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d (junit: [^%]+% [^%]+%)", chart)
    assert rows == [
        "junit: regression 20 20 100.0% 83.8%",
        "junit: prompt-evals 30 40 75.0% 59.8%",
        "junit: prompt-evals 48 50 96.0% 86.5%",
    ]
    spec = page.split('<script type="application/json" id="spec-assistant-evaluation-pass-rate">')
    assert '{"y": 0.85}' in spec[1].split("</script>")[0]


def test_without_runs_or_scans_the_section_says_what_to_send(viewer: TestClient) -> None:
    page = _page(viewer, "/initiatives/quiet")
    assert text_of(page, "evaluations-empty") == (
        "No evaluation run yet. Send the results file your CI already writes: scalegate ingest "
        "results.json --format promptfoo --initiative quiet (or --format junit , --format "
        "inspect ; add --asset NAME@VERSION for each prompt or evaluation set it evaluated)."
    )
    assert "scalegate ingest results.sarif --format sarif --initiative quiet" in text_of(
        page, "scans-empty"
    )
    section = page.split('<section id="evaluations"')[1].split("</section>")[0]
    assert 'class="chart"' not in section  # no trend chart without runs


# ---------------------------------------------------------------------------------------------
# In Chromium


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`scalegate serve` over the evaluated portfolio (SQLite), with a viewer signed up."""
    if not CHROMIUM.exists():
        if os.environ.get("SCALEGATE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (SCALEGATE_REQUIRE_BROWSER is set)")
        pytest.skip(f"page tests need Debian's chromium at {CHROMIUM}")
    database = tmp_path_factory.mktemp("evaluations") / "evaluations.db"
    workspace = open_workspace(Settings(database_url=str(database)))
    workspace.upgrade()
    evaluated_portfolio(workspace.sessions, datetime.now(UTC))
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


def test_the_evaluations_section_renders_in_chromium(server: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    chart = "#chart-assistant-evaluation-pass-rate .chart-canvas svg"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in (1280, 390):
            page = signed_in(browser, server, "viewer", width)
            page.goto(server["url"] + "/initiatives/assistant")
            page.wait_for_load_state("networkidle")
            page.wait_for_selector(chart, timeout=15000)
            assert page.locator(".chart-canvas[data-error]").count() == 0
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            # The stale row is drawn greyed: its cells take the muted colour.
            colour = page.locator("#run-junit-regression td").first.evaluate(
                "td => getComputedStyle(td).color"
            )
            assert colour == "rgb(91, 100, 120)"  # --muted, #5b6478
            section = page.locator("#evaluations")
            shot = SCREENSHOTS / f"initiative-evaluations-{width}.png"
            section.screenshot(path=str(shot))
            print(f"screenshot: {shot}")
            assert page.errors == []
            page.close()
        browser.close()


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.8496, "84.9%"), (0.85, "85.0%"), (0.865399, "86.5%"), (1.0, "100.0%"), (None, "—")],
)
def test_a_lower_bound_is_rounded_down(value: float | None, text: str) -> None:
    """0.8496 fails the gate's 0.85, so it must not read 85.0 % beside the gate's threshold."""
    assert lower_bound(value) == text
