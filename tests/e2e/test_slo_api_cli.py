"""SLO figures, sweeps and Prometheus pulls over the CLI and HTTP."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

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
from tests.integration.test_slo import AS_OF, OPENSLO, PORTFOLIO, send, sli

runner = CliRunner()


@pytest.fixture
def burning(workspace: Workspace) -> Workspace:
    """checkout-availability: 3 clean days, then an hour at 2 % errors up to AS_OF (burn 20)."""
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO), ("slo.yaml", OPENSLO)], ADMIN)
    send(
        workspace,
        [
            sli(
                "checkout-availability", AS_OF - timedelta(minutes=k), 980 if k < 60 else 1000, 1000
            )
            for k in range(3 * 24 * 60 + 60)
        ],
    )
    return workspace


def test_cli_metrics_slo_json_and_table(cli_env: str, burning: Workspace) -> None:
    as_of = ["--as-of", "2026-11-22T12:34:00+0000"]
    out = runner.invoke(app, ["metrics", "slo", "--slo", "checkout-availability", *as_of, "--json"])
    figures = json.loads(out.output)
    [entry] = figures["slos"]
    assert entry["burn_rates"]["1h"] == pytest.approx(20.0)
    assert [a["name"] for a in entry["alerts"] if a["firing"]] == ["page-fast"]
    table = runner.invoke(
        app, ["metrics", "slo", "--initiative", "checkout", *as_of], env={"COLUMNS": "200"}
    )
    assert table.exit_code == 0, table.output
    assert "checkout-availability" in table.output and "page-fast" in table.output
    both = runner.invoke(app, ["metrics", "slo", "--initiative", "checkout", "--slo", "x"])
    assert both.exit_code == 2
    assert "give exactly one of --initiative and --slo" in both.output
    assert runner.invoke(app, ["metrics", "slo", "--slo", "nope"]).exit_code == 1


def test_cli_sweep_json(cli_env: str, burning: Workspace) -> None:
    out = runner.invoke(app, ["slo", "sweep", "--as-of", "2026-11-22T12:34:00+0000", "--json"])
    result = json.loads(out.output)
    assert [(c["alert"], c["firing"]) for c in result["changes"]] == [("page-fast", True)]
    assert result["objectives"] == 2
    assert result["notified"] == 0  # no webhook configured


def test_api_metrics_slo_needs_a_token_and_one_scope(
    settings: Settings, burning: Workspace
) -> None:
    access.add_user(burning.sessions, ADMIN, "v@northwind.example", ["viewer"])
    token = access.create_token(burning.sessions, ADMIN, "v@northwind.example").token
    with TestClient(create_app(settings)) as client:
        url = "/api/v1/metrics/slo?initiative=checkout&as_of=2026-11-22T12:34:00Z"
        assert client.get(url).status_code == 401
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        assert [s["name"] for s in response.json()["slos"]] == [
            "checkout-availability",
            "search-latency",
        ]
        assert response.json()["slos"][0]["burn_rates"]["1h"] == pytest.approx(20.0)
        neither = client.get("/api/v1/metrics/slo", headers={"Authorization": f"Bearer {token}"})
        assert neither.status_code == 422
        # A viewer may read but not sweep: sweeping records evidence.
        sweep = client.post("/api/v1/slo/sweep", headers={"Authorization": f"Bearer {token}"})
        assert sweep.status_code == 403


PROMETHEUS = shutil.which("prometheus")


class Exporter(BaseHTTPRequestHandler):
    """/metrics with a request counter: each scrape adds 99 good and 1 bad until frozen."""

    scrapes: ClassVar[int] = 0
    frozen: ClassVar[bool] = False

    def do_GET(self) -> None:
        if not Exporter.frozen:
            Exporter.scrapes += 1
        n = Exporter.scrapes
        body = (
            "# TYPE http_requests_total counter\n"
            f'http_requests_total{{code="200"}} {99 * n}\n'
            f'http_requests_total{{code="500"}} {n}\n'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[str]:
    """A real Prometheus (Debian's package) scraping the Exporter every second."""
    if PROMETHEUS is None:
        if os.environ.get("SCALEGATE_REQUIRE_PROMETHEUS"):
            pytest.fail("prometheus is not installed but SCALEGATE_REQUIRE_PROMETHEUS is set")
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    Exporter.scrapes, Exporter.frozen = 0, False
    exporter = HTTPServer(("127.0.0.1", 0), Exporter)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: app\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter.server_address[1]}']}}]\n"
    )
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _ready(url), "Prometheus to be ready")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        exporter.shutdown()


def pulled_slos(url: str) -> str:
    good_total = OPENSLO.replace("http://127.0.0.1:9090", url)
    bad_total = """\
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-errors}
spec:
  service: checkout-api
  indicator:
    metadata: {name: http-errors}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {metricSourceRef: prom,
                             spec: {query: 'sum(http_requests_total{code=~"5.."})'}}}
        total: {metricSource: {metricSourceRef: prom, spec: {query: sum(http_requests_total)}}}
  budgetingMethod: Occurrences
  objectives: [{target: 0.98}]
"""
    return good_total + bad_total


def test_pull_from_a_real_prometheus(cli_env: str, workspace: Workspace, prometheus: str) -> None:
    """The exporter's counters grow by 99 good of 100 per scrape. After n scrapes and a freeze,
    the counter differences Prometheus returns add up to exactly 100 × (n − 1) requests, 99 ×
    (n − 1) good (the first sample is the base), whichever query (good/total or bad/total)."""
    started = datetime.now(UTC) - timedelta(seconds=5)
    apply_sources(
        workspace.sessions, [("p.yaml", PORTFOLIO), ("slo.yaml", pulled_slos(prometheus))], ADMIN
    )
    _wait_for(lambda: Exporter.scrapes >= 6, "six scrapes")
    Exporter.frozen = True
    frozen_at = Exporter.scrapes
    time.sleep(2.5)  # Prometheus scrapes the frozen value at least twice more
    since = ["--since", started.strftime("%Y-%m-%dT%H:%M:%S+0000"), "--step", "1s"]
    out = runner.invoke(app, ["slo", "pull", *since, "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert result["skipped"] == {
        "search-latency": ("its indicator is not a good/total or bad/total ratioMetric")
    }
    assert result["ingest"]["duplicates"] == 0
    for name in ("checkout-availability", "checkout-errors"):
        figures = json.loads(
            runner.invoke(app, ["metrics", "slo", "--slo", name, "--json"]).output
        )["slos"][0]
        assert figures["attainment"] == pytest.approx(0.99)
    from sqlalchemy import func, select

    from scalegate.slo.models import SliCount

    with workspace.sessions() as session:
        sums = {
            slo: (good, total)
            for slo, good, total in session.execute(
                select(SliCount.slo, func.sum(SliCount.good), func.sum(SliCount.total)).group_by(
                    SliCount.slo
                )
            )
        }
    expected = (99.0 * (frozen_at - 1), 100.0 * (frozen_at - 1))
    assert sums == {"checkout-availability": expected, "checkout-errors": expected}
    again = json.loads(runner.invoke(app, ["slo", "pull", *since, "--json"]).output)
    assert again["ingest"]["stored"] == 0
    assert again["ingest"]["duplicates"] == result["ingest"]["stored"]
