"""Benchmark: server time of the pages on a portfolio of 1,000 initiatives with a year of evidence.

Run with `uv run python -m bench.pages [--initiatives N] [--databases sqlite postgresql]
[--requests R]`. Prints one JSON object on stdout; progress goes to stderr. See bench/README.md
(section `pages`) for what is generated and measured.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import yaml
from fastapi.testclient import TestClient

from bench import apply_portfolio, dora, usage
from bench.harness import (
    KINDS,
    BenchmarkError,
    Skipped,
    emit,
    fresh_database,
    machine,
    positive_int,
    progress,
    timed,
)
from scalegate.access import service as access
from scalegate.access.actor import Actor
from scalegate.app import create_app
from scalegate.errors import ScalegateError
from scalegate.evidence.service import ingest
from scalegate.gates import service as gates
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.workspace import Workspace, open_workspace

ACTOR = Actor("bench:admin", frozenset({"admin"}))
USER = "pages-bench@northwind.example"
SECRET_KEY = "bench-pages-signing-key-not-secret"
PORTFOLIO_SOURCE = "bench-pages-portfolio.yaml"
DEFAULT_POLICIES = Path(__file__).resolve().parents[1] / "src" / "scalegate" / "policies"

DEFAULT_INITIATIVES = 1000
DEFAULT_REQUESTS = 50
DEFAULT_CLIENTS = 20
DEFAULT_LOAD_SECONDS = 20
AIM_P95_MS = 300.0

# Sizes per 1,000 initiatives (scaled with --initiatives).
DEPLOYMENTS = 20_000
COMMITS = 100_000
INCIDENTS = 2_000
USAGE_EVENTS = 200_000
USAGE_INITIATIVES = 150
SLOS = 100
SLI_DAYS = 42  # hourly SLI records: covers the 28- and 30-day windows plus two weeks
GATED_EVERY = 20  # every 20th initiative past define gets sign-offs, a waiver and a move
EXPERIMENT_EVERY = 10  # every 10th hypothesis at adopt or later gets an A/B summary
KPI_DAYS = 364  # weekly KPI observations over the year
BATCH = 50_000

LIVE_STAGES = ("prove", "industrialize", "adopt", "govern", "expand")
SCALED_STAGES = ("adopt", "govern", "expand")
SIGNOFFS = ("risk-review", "data-review", "security-review", "support-model")

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"non_2xx":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean))
end
"""


# --- the generated workspace -------------------------------------------------------------------


def _scaled(per_thousand: int, initiatives: int, floor: int = 1) -> int:
    return max(floor, round(per_thousand * initiatives / 1000))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def shift_days(text: str, days: int) -> str:
    """Move every ISO timestamp of a JSONL text by whole days (the offset, if any, stays)."""
    if days == 0:
        return text
    delta = timedelta(days=days)

    def moved(match: re.Match[str]) -> str:
        return (datetime.fromisoformat(match.group(0)) + delta).strftime("%Y-%m-%dT%H:%M:%S")

    return _TIMESTAMP.sub(moved, text)


@dataclass
class Plan:
    """What one run generates: the portfolio text and the evidence, as JSONL batches."""

    end: date
    portfolio: str
    objects: int
    initiatives: list[dict[str, Any]]  # name, stage, services, hypotheses
    featured: str  # the initiative whose page is measured
    delivery: str = ""
    kpis: list[str] = field(default_factory=list)
    usage_batches: list[str] = field(default_factory=list)
    sli_batches: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)


def _slo_documents(slos: list[tuple[str, str]]) -> list[dict[str, Any]]:
    documents = []
    for name, service in slos:
        query = f'sum(http_requests_total{{job="{service}"'
        documents.append(
            {
                "apiVersion": "openslo/v1",
                "kind": "SLO",
                "metadata": {"name": name, "displayName": f"{service} availability"},
                "spec": {
                    "service": service,
                    "indicator": {
                        "metadata": {"name": f"{service}-success"},
                        "spec": {
                            "ratioMetric": {
                                "counter": True,
                                "bad": {
                                    "metricSource": {
                                        "type": "Prometheus",
                                        "spec": {"query": query + ',code=~"5.."})'},
                                    }
                                },
                                "total": {
                                    "metricSource": {
                                        "type": "Prometheus",
                                        "spec": {"query": query + "})"},
                                    }
                                },
                            }
                        },
                    },
                    "timeWindow": [{"duration": "28d", "isRolling": True}],
                    "budgetingMethod": "Occurrences",
                    "objectives": [{"displayName": "available", "target": 0.995}],
                },
            }
        )
    return documents


def _kpi_events(
    rng: random.Random, initiatives: list[dict[str, Any]], end: date
) -> tuple[list[dict[str, Any]], int]:
    """Weekly observations of every hypothesis past define over the year; some A/B summaries."""
    events: list[dict[str, Any]] = []
    experiments = 0
    first = end - timedelta(days=KPI_DAYS)
    hypothesis_number = 0
    for spec in initiatives:
        if spec["stage"] not in LIVE_STAGES:
            continue
        progress_share = (LIVE_STAGES.index(spec["stage"]) + 1) / len(LIVE_STAGES)
        for h in spec["hypotheses"]:
            hypothesis_number += 1
            baseline, target = h["baseline"]["value"], h["target"]["value"]
            noise = abs(target - baseline) * 0.08 or 0.1
            for week in range(0, KPI_DAYS + 1, 7):
                day = first + timedelta(days=week)
                share = progress_share * 1.2 * week / KPI_DAYS
                value = baseline + (target - baseline) * share + rng.gauss(0, noise)
                at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
                events.append(
                    {
                        "type": "kpi",
                        "kpi": h["kpi"],
                        "initiative": spec["name"],
                        "at": _iso(at),
                        "value": round(value, 3),
                    }
                )
            if spec["stage"] in SCALED_STAGES and hypothesis_number % EXPERIMENT_EVERY == 0:
                experiments += 1
                start = datetime(end.year, end.month, end.day, 12, tzinfo=UTC) - timedelta(35)
                lift = rng.uniform(-0.15, 0.05)
                for group, mean in (("control", 10.0), ("treatment", 10.0 * (1 + lift))):
                    n = rng.randint(800, 2000)
                    total = n * mean
                    squares = (n - 1) * 9.0 + total * total / n
                    events.append(
                        {
                            "type": "kpi_summary",
                            "kpi": h["kpi"],
                            "initiative": spec["name"],
                            "group": group,
                            "period_start": _iso(start),
                            "period_end": _iso(start + timedelta(days=28)),
                            "n": n,
                            "sum": round(total, 3),
                            "sum_squares": round(squares, 3),
                        }
                    )
    return events, experiments


def _sli_events(slos: list[tuple[str, str]], end: date, seed: int) -> Iterator[dict[str, Any]]:
    """Hourly good/total counts; one SLO in ten burns its budget over the last day."""
    stop = datetime(end.year, end.month, end.day, tzinfo=UTC)
    for number, (name, _) in enumerate(slos):
        rng = random.Random(f"{seed}/sli/{name}")
        per_hour = rng.randint(500, 20_000)
        burning = number % 10 == 3
        for hour in range(SLI_DAYS * 24, 0, -1):
            at = stop - timedelta(hours=hour - 1)
            total = round(per_hour * rng.uniform(0.8, 1.2))
            ratio = 0.05 if burning and hour <= 24 else 0.001
            bad = min(total, round(total * ratio * rng.uniform(0.5, 1.5)))
            yield {"type": "sli", "slo": name, "at": _iso(at), "good": total - bad, "total": total}


def _batches(lines: Iterator[str], size: int = BATCH) -> list[str]:
    batches: list[str] = []
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == size:
            batches.append("\n".join(chunk))
            chunk = []
    if chunk:
        batches.append("\n".join(chunk))
    return batches


def generate(initiatives: int, seed: int, end: date) -> Plan:
    """The portfolio and a year of evidence ending on `end`, deterministic for (N, seed, end)."""
    base = apply_portfolio.generate(initiatives, seed)
    documents = list(yaml.safe_load_all(base.text))
    specs: list[dict[str, Any]] = []
    # apply_portfolio dates baselines in 2025: move them into the year before `end`.
    shift = (end - date(2026, 1, 1)).days
    number = 0
    for document in documents:
        if document["kind"] != "Initiative":
            continue
        spec = document["spec"]
        spec["services"] = [f"svc-{number:03d}"]  # the names bench.dora gives its services
        for h in spec["hypotheses"]:
            h["baseline"]["at"] += timedelta(days=shift)
            h["target"]["by"] += timedelta(days=shift)
        specs.append({"name": document["metadata"]["name"], **spec})
        number += 1
    # The model catalog of bench.usage, and the rubric.
    catalog = [d for d in yaml.safe_load_all(usage.portfolio_yaml(0)[0]) if d["kind"] == "Model"]
    rubric = {
        "apiVersion": apply_portfolio.API_VERSION,
        "kind": "Rubric",
        "metadata": {"name": "default"},
        "spec": {"weights": {"value": 2, "feasibility": 1, "risk": 1, "scalePotential": 1.5}},
    }
    # The measured initiative page: the first initiative at adopt, with every kind of evidence.
    first_adopter = next(s for s in specs if s["stage"] == "adopt")
    scaled = [s for s in specs if s["stage"] in SCALED_STAGES and s is not first_adopter]
    users = [first_adopter, *scaled][: _scaled(USAGE_INITIATIVES, initiatives)]
    live = [s for s in specs if s["stage"] in LIVE_STAGES[1:] and s is not first_adopter]
    count = _scaled(SLOS, initiatives)
    with_slo = [first_adopter, *live[:: max(1, len(live) // count)]][:count]
    slos = [(f"{s['services'][0]}-availability", s["services"][0]) for s in with_slo]
    featured = first_adopter["name"]
    all_documents = [*documents, *catalog, rubric, *_slo_documents(slos)]
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump_all(all_documents, Dumper=dumper, sort_keys=False, width=120)
    plan = Plan(end, text, len(all_documents), specs, featured)

    # Delivery: bench.dora's two years of deployments, commits and incidents, one service per
    # initiative, moved to end on `end`.
    progress("generating delivery events (bench.dora)")
    delivery = dora.generate(
        _scaled(DEPLOYMENTS, initiatives),
        _scaled(COMMITS, initiatives),
        _scaled(INCIDENTS, initiatives),
        initiatives,
        seed,
    )
    plan.delivery = shift_days(delivery.text, (end - dora.END).days)

    progress("generating KPI observations")
    kpi_events, experiments = _kpi_events(random.Random(f"{seed}/kpi"), specs, end)
    plan.kpis = _batches(json.dumps(e, separators=(",", ":")) for e in kpi_events)

    # Usage: bench.usage's year of events, its initiatives assistant-01.. renamed to ours.
    progress("generating usage events (bench.usage)")
    names = {f"assistant-{k + 1:02d}": s["name"] for k, s in enumerate(users)}
    pattern = re.compile(r'"initiative":"(assistant-\d+)"')
    usage_lines = (
        pattern.sub(lambda m: f'"initiative":"{names[m.group(1)]}"', line)
        for line in usage.events(_scaled(USAGE_EVENTS, initiatives), len(users), seed)
    )
    plan.usage_batches = [
        shift_days(b, (end - usage.END).days) for b in _batches(iter(usage_lines))
    ]

    progress("generating SLI counts")
    sli_events = _sli_events(slos, end, seed)
    plan.sli_batches = _batches(json.dumps(e, separators=(",", ":")) for e in sli_events)

    plan.sizes = {
        "initiatives": len(specs),
        "themes": len(apply_portfolio.THEMES),
        "kpis": len(apply_portfolio.KPIS),
        "hypotheses": base.hypotheses,
        "objects": plan.objects,
        "deployments": delivery.sizes["deployments"],
        "commits": delivery.sizes["commits"],
        "incidents": delivery.sizes["incidents"],
        "kpi_observations": sum(e["type"] == "kpi" for e in kpi_events),
        "experiments": experiments,
        "usage_events": _scaled(USAGE_EVENTS, initiatives),
        "usage_initiatives": len(users),
        "slos": len(slos),
        "sli_records": len(slos) * SLI_DAYS * 24,
    }
    plan.sizes["events"] = (
        delivery.sizes["events"]
        + len(kpi_events)
        + plan.sizes["usage_events"]
        + plan.sizes["sli_records"]
    )
    plan.sizes["rows"] = plan.sizes["events"] + delivery.sizes["commits"]
    return plan


def _ingest(ws: Workspace, label: str, what: str, batches: list[str]) -> float:
    seconds = 0.0
    stored = 0
    for text in batches:
        took, result = timed(lambda text=text: ingest(ws.sessions, ACTOR, text, "jsonl"))
        seconds += took
        stored += result.stored
        if result.duplicates or result.skipped:
            raise BenchmarkError(f"{label}: {what}: {result.as_dict()}")
    progress(f"{label}: {what}: {stored} stored in {seconds:.1f}s")
    return seconds


def _gate_activity(ws: Workspace, plan: Plan, label: str) -> dict[str, int]:
    """Sign-offs, waivers and stage moves for every GATED_EVERY-th live initiative; one sweep."""
    now = datetime.now(UTC)
    counts = {"signoffs": 0, "waivers": 0, "advances": 0, "holds": 0, "sweeps": 0}
    live = [s for s in plan.initiatives if s["stage"] in ("define", *LIVE_STAGES[:-1])]
    chosen = live[::GATED_EVERY]
    if plan.featured not in {s["name"] for s in chosen}:
        chosen.append(next(s for s in plan.initiatives if s["name"] == plan.featured))
    for k, spec in enumerate(chosen):
        name = spec["name"]
        at = now - timedelta(days=60 - k % 30)
        for item in SIGNOFFS[: 1 + k % len(SIGNOFFS)]:
            gates.sign_off(
                ws.sessions, ACTOR, name, item, f"https://docs.example/{name}/{item}", as_of=at
            )
            counts["signoffs"] += 1
        check = gates.check(ws.sessions, name, as_of=at + timedelta(hours=1))
        failing = [r.name for r in check.rules if not r.passed]
        if failing and k % 2 == 0:
            gates.waive(
                ws.sessions,
                ACTOR,
                name,
                failing[:2],
                (now + timedelta(days=30)).date(),
                "bench: evidence is on its way",
                as_of=at + timedelta(hours=2),
            )
            counts["waivers"] += 1
        try:
            gates.advance(
                ws.sessions,
                ACTOR,
                name,
                check.to_stage,
                "bench: next stage",
                as_of=at + timedelta(hours=3),
            )
            counts["advances"] += 1
        except ScalegateError:
            counts["holds"] += 1  # the hold is recorded all the same
    took, _ = timed(lambda: gates.sweep(ws.sessions, ACTOR, as_of=now))
    counts["sweeps"] = 1
    progress(f"{label}: gate activity {counts}; the sweep took {took:.1f}s")
    return counts


def build(url: str, plan: Plan, label: str) -> tuple[Workspace, dict[str, Any]]:
    """A workspace with the default policies, the portfolio and all evidence; setup seconds."""
    ws = open_workspace(Settings(database_url=url, echo_sql=False))
    ws.upgrade()
    apply_sources(ws.sessions, read_sources([str(DEFAULT_POLICIES)]), ACTOR)
    took, result = timed(
        lambda: apply_sources(ws.sessions, [(PORTFOLIO_SOURCE, plan.portfolio)], ACTOR)
    )
    if result.totals()["created"] != plan.objects:
        raise BenchmarkError(f"{label}: apply reported {result.totals()}")
    progress(f"{label}: applied {plan.objects} objects in {took:.1f}s")
    setup = {"apply_s": round(took, 1)}
    setup["delivery_s"] = round(_ingest(ws, label, "delivery", [plan.delivery]), 1)
    setup["kpi_s"] = round(_ingest(ws, label, "KPI evidence", plan.kpis), 1)
    setup["usage_s"] = round(_ingest(ws, label, "usage", plan.usage_batches), 1)
    setup["sli_s"] = round(_ingest(ws, label, "SLI counts", plan.sli_batches), 1)
    took, gate_counts = timed(lambda: _gate_activity(ws, plan, label))
    setup["gates_s"] = round(took, 1)
    access.add_user(ws.sessions, ACTOR, USER, ["admin"])
    return ws, {"seconds": setup, "gates": gate_counts}


# --- measuring ---------------------------------------------------------------------------------


def pages(plan: Plan) -> dict[str, str]:
    return {
        "portfolio": "/",
        "dashboard": "/dashboard",
        "initiative": f"/initiatives/{plan.featured}",
        "api_initiatives": "/api/v1/initiatives",
    }


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _stats(milliseconds: list[float]) -> dict[str, float]:
    return {
        "p50": round(_percentile(milliseconds, 0.5), 1),
        "p95": round(_percentile(milliseconds, 0.95), 1),
        "max": round(max(milliseconds), 1),
        "mean": round(statistics.fmean(milliseconds), 1),
    }


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if found is None:
        raise BenchmarkError("the sign-in form has no CSRF token")
    return found.group(1)


def _sign_in(client: httpx.Client | TestClient, token: str) -> None:
    csrf = _csrf(client.get("/login").text)
    response = client.post(
        "/login", data={"csrf_token": csrf, "email": USER, "token": token}, follow_redirects=False
    )
    if response.status_code != 303:
        raise BenchmarkError(f"sign-in answered {response.status_code}")


def in_process(url: str, plan: Plan, token: str, requests: int, label: str) -> dict[str, Any]:
    """Each page `requests` times (after one cold request) through a signed-in TestClient."""
    settings = Settings(database_url=url, echo_sql=False, secret_key=SECRET_KEY)
    figures: dict[str, Any] = {}
    with TestClient(create_app(settings)) as client:
        _sign_in(client, token)
        bearer = {"Authorization": f"Bearer {token}"}
        for page, path in pages(plan).items():
            headers = bearer if path.startswith("/api/") else {}
            gc.collect()
            times = []
            size = 0
            cache: Counter[str] = Counter()  # X-Scalegate-Cache: hit | miss (pages only)
            for _ in range(requests + 1):
                start = time.perf_counter()
                response = client.get(path, headers=headers, follow_redirects=False)
                times.append((time.perf_counter() - start) * 1000)
                if response.status_code != 200:
                    raise BenchmarkError(f"{label}: {path} answered {response.status_code}")
                size = len(response.content)
                cache[response.headers.get("x-scalegate-cache", "none")] += 1
            figures[page] = {
                "cold_ms": round(times[0], 1),
                **_stats(times[1:]),
                "bytes": size,
                "cache": dict(cache),
            }
            progress(f"{label}: in-process {page}: {figures[page]}")
    return figures


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wrk(url: str, headers: dict[str, str], clients: int, seconds: int, script: Path) -> Any:
    command = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "120s"]
    command += ["-s", str(script)]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 300
    ).stdout
    line = [x for x in output.splitlines() if x.startswith("{")][-1]
    return json.loads(line)


def _drain(base: str) -> None:
    """Wait until the server answers a cheap page quickly: wrk leaves requests queued."""
    for _ in range(600):
        start = time.perf_counter()
        httpx.get(base + "/login", timeout=300)
        if time.perf_counter() - start < 0.05:
            return
        time.sleep(0.2)


def under_load(
    url: str,
    plan: Plan,
    token: str,
    clients: int,
    seconds: int,
    label: str,
    server_ms: dict[str, float],
) -> dict[str, Any]:
    """A real server (`scalegate serve`, one uvicorn worker) driven by wrk with N connections."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    port = _free_port()
    env = {
        **os.environ,
        "SCALEGATE_DATABASE_URL": url,
        "SCALEGATE_SECRET_KEY": SECRET_KEY,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "scalegate.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    figures: dict[str, Any] = {"clients": clients, "workers": 1}
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/login", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise BenchmarkError(f"{label}: scalegate serve did not answer within 30 s")
        with httpx.Client(base_url=base, timeout=120) as client:
            _sign_in(client, token)
            cookie = client.cookies.get("scalegate_session")
            if not cookie:
                raise BenchmarkError("no session cookie after signing in")
            for path in pages(plan).values():  # warm up every page once
                headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
                client.get(path, headers=headers).raise_for_status()
        with tempfile.TemporaryDirectory(prefix="scalegate-bench-") as directory:
            script = Path(directory) / "report.lua"
            script.write_text(WRK_SCRIPT, encoding="utf-8")
            for page, path in pages(plan).items():
                headers = (
                    {"Authorization": f"Bearer {token}"}
                    if path.startswith("/api/")
                    else {"Cookie": f"scalegate_session={cookie}"}
                )
                # Long enough for every connection to finish about three requests.
                duration = max(seconds, math.ceil(3 * clients * server_ms[page] / 1000))
                _drain(base)
                raw = _wrk(base + path, headers, clients, duration, script)
                figures[page] = {
                    "seconds": duration,
                    "requests": raw["requests"],
                    "errors": raw["non_2xx"] + raw["socket_errors"],
                    "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 2),
                    "p50_ms": round(raw["p50_us"] / 1000, 1),
                    "p95_ms": round(raw["p95_us"] / 1000, 1),
                    "p99_ms": round(raw["p99_us"] / 1000, 1),
                    "max_ms": round(raw["max_us"] / 1000, 1),
                    # One worker serves one request at a time (the GIL), so a request waits
                    # for about `clients` others: per-request server time is about this.
                    "server_ms_per_request": round(
                        raw["duration_us"] / 1000 / max(1, raw["requests"]), 1
                    ),
                }
                progress(f"{label}: {clients} clients {page}: {figures[page]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figures


def measure(
    kind: str, plan: Plan, requests: int, clients: int, seconds: int, load: bool
) -> dict[str, Any]:
    with fresh_database(kind) as url:
        took, (ws, setup) = timed(lambda: build(url, plan, kind))
        try:
            token = access.create_token(ws.sessions, ACTOR, USER).token
        finally:
            ws.engine.dispose()
        progress(f"{kind}: workspace ready in {took:.0f}s")
        figures: dict[str, Any] = {"setup_s": round(took, 1), "setup": setup}
        figures["in_process"] = in_process(url, plan, token, requests, kind)
        if load:
            server_ms = {page: f["p50"] for page, f in figures["in_process"].items()}
            figures["under_load"] = under_load(url, plan, token, clients, seconds, kind, server_ms)
    figures["aim_met"] = {
        page: figures["in_process"][page]["p95"] < AIM_P95_MS for page in pages(plan)
    }
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--initiatives", type=positive_int, default=DEFAULT_INITIATIVES)
    parser.add_argument("--requests", type=positive_int, default=DEFAULT_REQUESTS)
    parser.add_argument("--clients", type=positive_int, default=DEFAULT_CLIENTS)
    parser.add_argument("--load-seconds", type=positive_int, default=DEFAULT_LOAD_SECONDS)
    parser.add_argument("--no-load", action="store_true", help="skip the wrk measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=datetime.now(UTC).date(),
        help="last day of the generated evidence (default: today, UTC)",
    )
    parser.add_argument("--databases", nargs="+", choices=KINDS, default=list(KINDS))
    args = parser.parse_args(argv)

    took, plan = timed(lambda: generate(args.initiatives, args.seed, args.end))
    progress(f"generated in {took:.0f}s: {plan.sizes}")
    figures: dict[str, Any] = {
        "benchmark": "pages",
        "sizes": plan.sizes,
        "end": args.end.isoformat(),
        "generate_s": round(took, 1),
        "pages": pages(plan),
        "requests": args.requests,
        "aim_p95_ms": AIM_P95_MS,
    }
    for kind in args.databases:
        try:
            figures[kind] = measure(
                kind, plan, args.requests, args.clients, args.load_seconds, not args.no_load
            )
        except Skipped as skipped:
            progress(f"{kind}: skipped ({skipped.reason})")
            figures[kind] = {"skipped": skipped.reason}
    figures["machine"] = machine()
    emit(figures)


if __name__ == "__main__":
    main()
