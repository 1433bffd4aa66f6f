"""Benchmark: ingest two years of delivery events, then compute DORA figures over them.

Run with `uv run python -m bench.dora [--deployments N --commits N --incidents N --services N]`
or `--scale 0.01` for a quick run. Prints one JSON object on stdout; progress goes to stderr.
See bench/README.md (section `dora`) for what the figures mean.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import yaml
from sqlalchemy import func, select

from bench.harness import (
    BenchmarkError,
    Skipped,
    add_seed_and_databases,
    emit,
    fresh_database,
    machine,
    positive_int,
    progress,
    timed,
    upgraded_workspace,
)
from scalegate.access.actor import Actor
from scalegate.evidence.metrics import Scope, dora_for
from scalegate.evidence.models import DeploymentCommit, DeploymentRecord, IncidentRecord
from scalegate.evidence.service import ingest
from scalegate.manifests.service import apply_sources
from scalegate.workspace import Workspace

API_VERSION = "scalegate.dev/v1"
PORTFOLIO_SOURCE = "bench-dora-portfolio.yaml"
EVENTS_SOURCE = "bench-dora-events.jsonl"
ACTOR = Actor("bench:admin", frozenset({"admin"}))
THEME = "delivery-platform"
SERVICES_PER_INITIATIVE = 5

END = date(2026, 11, 22)  # the last day of the generated data, and of every window
DAYS = 730  # the generated data covers END - 729 days .. END, whole UTC days
WINDOW_90D = (END - timedelta(days=89), END)
WINDOW_2Y = (END - timedelta(days=DAYS - 1), END)

DEFAULT_DEPLOYMENTS = 100_000
DEFAULT_COMMITS = 1_000_000
DEFAULT_INCIDENTS = 10_000
DEFAULT_SERVICES = 200
LINEARITY_FRACTIONS = (0.25, 0.5)
INITIATIVE_AIM_MS = 200.0
RELATIVE_TOLERANCE = 1e-6

# Shares used by the generator (of deployments, commit slots or incidents).
STAGING_SHARE = 0.17
CAPITALISED_PRODUCTION_SHARE = 0.01  # "Production": production compares case-insensitively
FAILURE_SHARE = 0.08
TIE_SHARE = 0.02  # same finished_at as the service's previous deployment
REPEAT_SHARE = 0.10  # commit slots filled with a commit of one of the last few deployments
RELISTED_TIME_SHARE = 0.25  # repeated commits listed with an earlier committed_at
SHARED_SHA_SHARE = 0.02  # new commits of a service that another service shipped (monorepo)
SHARED_SHA_POOL = 1000  # the latest new commits, across services, that can be shared
RECENT_DEPLOYMENTS = 5
NOT_POSITIVE_LEAD_SHARE = 0.01  # commits dated at or after their deployment
ROLLBACK_SHARE = 0.012
CAUSED_BY_SHARE = 0.35
EXACT_OPENING_SHARE = 0.10  # unnamed incidents opened exactly when a deployment finished
TIED_OPENING_SHARE = 0.5  # ... of which at the time of two tied deployments, when any
UNRESOLVED_SHARE = 0.07
REMEDIATED_SHARE = 0.15  # incidents listed in `remediates` of the service's next deployment

# The DORA figures compared between scalegate and DuckDB (nested keys joined with a dot).
COMPARED = (
    "deployments",
    "deployments_per_day",
    "lead_time_hours.p50",
    "lead_time_hours.p90",
    "change_failure_rate",
    "failed_deployments",
    "recovery_time_hours.p50",
    "recovery_time_hours.p90",
    "rework_rate",
)


# --- generated data ---------------------------------------------------------------------------


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _epoch(day: date) -> int:
    return int(_midnight(day).timestamp())


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


@dataclass
class _Deployment:
    id: str
    service: int
    environment: str
    status: str
    finished: int
    commits: list[tuple[str, int]]
    rollback_of: str | None = None
    remediates: list[str] | None = None

    @property
    def ships(self) -> bool:
        return self.status == "success" and self.environment.lower() == "production"


@dataclass
class Dataset:
    """A generated batch of events: the JSONL text ingest reads, and what it contains."""

    text: str
    sizes: dict[str, int]

    @property
    def events(self) -> int:
        return self.sizes["events"]

    @property
    def rows(self) -> int:
        return self.sizes["rows"]


def _lognormal_seconds(rng: random.Random, median_hours: float, sigma: float) -> int:
    return int(rng.lognormvariate(math.log(median_hours * 3600), sigma))


def _deployments(rng: random.Random, count: int, services: int) -> list[list[_Deployment]]:
    """Every service's deployments sorted by (finished, id); no commits yet."""
    start, stop = _epoch(WINDOW_2Y[0]), _epoch(END + timedelta(days=1))
    width = len(str(count))
    numbers = list(range(1, count + 1))
    rng.shuffle(numbers)  # id order is independent of time order, so ties test the id rule
    by_service: list[list[_Deployment]] = [[] for _ in range(services)]
    for number in numbers:
        draw = rng.random()
        if draw < STAGING_SHARE:
            environment = "staging"
        elif draw < STAGING_SHARE + CAPITALISED_PRODUCTION_SHARE:
            environment = "Production"
        else:
            environment = "production"
        status = "failure" if rng.random() < FAILURE_SHARE else "success"
        service = rng.randrange(services)
        by_service[service].append(
            _Deployment(
                f"dep-{number:0{width}d}",
                service,
                environment,
                status,
                rng.randrange(start, stop),
                [],
            )
        )
    for deployments in by_service:
        deployments.sort(key=lambda d: (d.finished, d.id))
        for earlier, later in itertools.pairwise(deployments):
            if rng.random() < TIE_SHARE:
                later.finished = earlier.finished
        deployments.sort(key=lambda d: (d.finished, d.id))
    return by_service


def _new_commit(rng: random.Random, finished: int) -> tuple[str, int]:
    sha = f"{rng.getrandbits(160):040x}"
    if rng.random() < NOT_POSITIVE_LEAD_SHARE:
        # Dated at (a third of them exactly) or after its deployment: no lead time.
        return sha, finished + (0 if rng.random() < 1 / 3 else rng.randrange(1, 7200))
    return sha, finished - _lognormal_seconds(rng, 20.0, 1.3)


def _relisted(rng: random.Random, commit: tuple[str, int]) -> tuple[str, int]:
    """A commit shipped again; sometimes listed with another committed_at (e.g. rebased)."""
    if rng.random() < RELISTED_TIME_SHARE:
        return commit[0], commit[1] - rng.randrange(1, 3600)
    return commit


def _fill_commits(
    rng: random.Random, by_service: list[list[_Deployment]], commits: int, total: int
) -> int:
    """Spread `commits` commit slots over the deployments; returns how many are repeats.

    Most slots get a new commit; REPEAT_SHARE of them one listed by one of the service's last
    RECENT_DEPLOYMENTS deployments, SHARED_SHA_SHARE a recent one of any service (lead time is
    per (service, sha), so another service's deploy does not ship it), and a deployment tied
    with its predecessor (same finished_at) first repeats up to 3 of its commits, so the
    (finished_at, id) order decides which of the two ships them first.
    """
    slots = [0] * total
    for _ in range(commits):
        slots[rng.randrange(total)] += 1
    shared: list[tuple[str, int]] = []
    repeats = 0
    position = 0
    for deployments in by_service:
        recent: list[list[tuple[str, int]]] = []
        previous: _Deployment | None = None
        for deployment in deployments:
            wanted = slots[position]
            position += 1
            pool = [c for listed in recent for c in listed]
            listed = deployment.commits
            if previous is not None and previous.finished == deployment.finished:
                for commit in previous.commits[: min(3, wanted)]:
                    listed.append(_relisted(rng, commit))
                    repeats += 1
            shas = {sha for sha, _ in listed}
            while len(listed) < wanted:
                if pool and rng.random() < REPEAT_SHARE:
                    commit = rng.choice(pool)
                    if commit[0] in shas:
                        continue
                    commit = _relisted(rng, commit)
                    repeats += 1
                elif shared and rng.random() < SHARED_SHA_SHARE:
                    commit = rng.choice(shared)
                    if commit[0] in shas:
                        continue
                else:
                    commit = _new_commit(rng, deployment.finished)
                    shared.append(commit)
                    if len(shared) > 2 * SHARED_SHA_POOL:
                        del shared[:SHARED_SHA_POOL]
                shas.add(commit[0])
                listed.append(commit)
            recent.append(listed)
            if len(recent) > RECENT_DEPLOYMENTS:
                recent.pop(0)
            previous = deployment
    if position != total:
        raise BenchmarkError("generator: commit slots and deployments are out of step")
    return repeats


def _rollbacks(rng: random.Random, by_service: list[list[_Deployment]]) -> int:
    """Some deployments (any environment or status) roll back the previous shipping one."""
    count = 0
    for deployments in by_service:
        previous: _Deployment | None = None
        for deployment in deployments:
            if previous is not None and rng.random() < ROLLBACK_SHARE:
                deployment.rollback_of = previous.id
                count += 1
            if deployment.ships:
                previous = deployment
    return count


def _incidents(
    rng: random.Random, count: int, by_service: list[list[_Deployment]]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Incident events (some naming their cause, some open), and `remediates` on deployments."""
    start, stop = _epoch(WINDOW_2Y[0]), _epoch(END + timedelta(days=1))
    width = len(str(count))
    shipping = [[d for d in deployments if d.ships] for deployments in by_service]
    finished = [[d.finished for d in deployments] for deployments in by_service]
    tied = []
    for service_shipping in shipping:
        times = [d.finished for d in service_shipping]
        tied.append([d for d in service_shipping if times.count(d.finished) > 1])
    events = []
    named = unresolved = remediated = 0
    for number in range(1, count + 1):
        service = rng.randrange(len(by_service))
        deployments = by_service[service]
        event: dict[str, Any] = {
            "type": "incident",
            "id": f"inc-{number:0{width}d}",
            "service": f"svc-{service:03d}",
        }
        if deployments and rng.random() < CAUSED_BY_SHARE:
            cause = rng.choice(deployments)  # sometimes staging or failed: then it fails nothing
            opened = cause.finished + _lognormal_seconds(rng, 6.0, 1.5)
            event["caused_by"] = cause.id
            named += 1
        elif shipping[service] and rng.random() < EXACT_OPENING_SHARE:
            # Ties: rule 2 blames the larger id of two deployments finished at the same time.
            candidates = tied[service] if rng.random() < TIED_OPENING_SHARE else []
            opened = rng.choice(candidates or shipping[service]).finished
        else:
            opened = rng.randrange(start, stop)
        event["opened_at"] = _iso(opened)
        if rng.random() < UNRESOLVED_SHARE:
            unresolved += 1
        else:
            event["resolved_at"] = _iso(opened + _lognormal_seconds(rng, 3.0, 1.2))
        if rng.random() < REMEDIATED_SHARE:
            index = bisect.bisect_right(finished[service], opened)
            if index < len(deployments):
                fix = deployments[index]
                fix.remediates = [*(fix.remediates or []), event["id"]]
                remediated += 1
        events.append((opened, event))
    counts = {"incidents_with_cause": named, "unresolved": unresolved, "remediated": remediated}
    events.sort(key=lambda pair: pair[0])
    return [event for _, event in events], counts


def generate(deployments: int, commits: int, incidents: int, services: int, seed: int) -> Dataset:
    """Deterministic JSONL of deployment and incident events over the two years to END."""
    rng = random.Random(seed)
    by_service = _deployments(rng, deployments, services)
    repeats = _fill_commits(rng, by_service, commits, deployments)
    rollbacks = _rollbacks(rng, by_service)
    incident_events, incident_counts = _incidents(rng, incidents, by_service)
    lines: list[tuple[int, str]] = []
    for service_deployments in by_service:
        for d in service_deployments:
            event: dict[str, Any] = {
                "type": "deployment",
                "id": d.id,
                "service": f"svc-{d.service:03d}",
                "environment": d.environment,
                "status": d.status,
                "finished_at": _iso(d.finished),
                "commits": [{"sha": sha, "committed_at": _iso(at)} for sha, at in d.commits],
            }
            if d.rollback_of:
                event["rollback_of"] = d.rollback_of
            if d.remediates:
                event["remediates"] = d.remediates
            lines.append((d.finished, json.dumps(event, separators=(",", ":"))))
    for event in incident_events:
        at = int(datetime.fromisoformat(event["opened_at"]).timestamp())
        lines.append((at, json.dumps(event, separators=(",", ":"))))
    lines.sort(key=lambda pair: pair[0])
    text = "".join(line + "\n" for _, line in lines)
    all_deployments = [d for ds in by_service for d in ds]
    sizes = {
        "services": services,
        "deployments": deployments,
        "production_successes": sum(d.ships for d in all_deployments),
        "commits": commits,
        "repeated_commits": repeats,
        "incidents": incidents,
        **incident_counts,
        "rollbacks": rollbacks,
        "remediating_deployments": sum(bool(d.remediates) for d in all_deployments),
        "events": deployments + incidents,
        "rows": deployments + commits + incidents,
        "jsonl_bytes": len(text.encode()),
    }
    return Dataset(text, sizes)


def initiative_names(services: int) -> list[str]:
    """One initiative per SERVICES_PER_INITIATIVE services."""
    count = services // SERVICES_PER_INITIATIVE
    return [f"initiative-{k:02d}" for k in range(1, count + 1)]


def portfolio_yaml(services: int) -> tuple[str, int]:
    """A theme and the initiatives, initiative k owning services 5(k-1) .. 5(k-1)+4."""
    documents = [
        {
            "apiVersion": API_VERSION,
            "kind": "Theme",
            "metadata": {"name": THEME},
            "spec": {"title": "Delivery platform", "owner": "maria.santos@northwind.example"},
        }
    ]
    for k, name in enumerate(initiative_names(services)):
        first = k * SERVICES_PER_INITIATIVE
        owned = [f"svc-{s:03d}" for s in range(first, first + SERVICES_PER_INITIATIVE)]
        spec = {"title": f"Delivery initiative {k + 1}", "theme": THEME, "stage": "adopt"}
        documents.append(
            {
                "apiVersion": API_VERSION,
                "kind": "Initiative",
                "metadata": {"name": name},
                "spec": {**spec, "services": owned},
            }
        )
    return yaml.safe_dump_all(documents, sort_keys=False), len(documents)


# --- the reference: one DuckDB query ---------------------------------------------------------

DUCKDB_LOAD = """
CREATE TABLE raw AS SELECT * FROM read_json($path, format = 'newline_delimited', columns = {
    type: 'VARCHAR', id: 'VARCHAR', service: 'VARCHAR', environment: 'VARCHAR',
    status: 'VARCHAR', finished_at: 'TIMESTAMPTZ',
    commits: 'STRUCT(sha VARCHAR, committed_at TIMESTAMPTZ)[]',
    rollback_of: 'VARCHAR', remediates: 'VARCHAR[]',
    opened_at: 'TIMESTAMPTZ', resolved_at: 'TIMESTAMPTZ', caused_by: 'VARCHAR'});
CREATE TABLE deployments AS
    SELECT id, service, environment, status, epoch(finished_at)::BIGINT AS finished_at,
           rollback_of, coalesce(len(remediates), 0) AS remediates
    FROM raw WHERE type = 'deployment';
CREATE TABLE commits AS
    SELECT id AS deployment_id, position, c.sha AS sha,
           epoch(c.committed_at)::BIGINT AS committed_at
    FROM (SELECT id, unnest(commits) AS c, generate_subscripts(commits, 1) AS position
          FROM raw WHERE type = 'deployment');
CREATE TABLE incidents AS
    SELECT id, service, epoch(opened_at)::BIGINT AS opened_at,
           epoch(resolved_at)::BIGINT AS resolved_at, caused_by
    FROM raw WHERE type = 'incident';
DROP TABLE raw;
"""

# The figures of docs/metrics.md for the window [$start, $stop) (epoch seconds), in one query.
DUCKDB_DORA = """
WITH shipped AS (  -- successful production deployments, all time
    SELECT id, service, finished_at, rollback_of, remediates FROM deployments
    WHERE lower(environment) IN ('production', 'prod') AND status = 'success'
),
counted AS (
    SELECT * FROM shipped WHERE finished_at >= $start AND finished_at < $stop
),
listed AS (  -- commits as listed by shipping deployments up to the window's end
    SELECT s.service, c.sha, s.finished_at, s.id, c.position, c.committed_at
    FROM commits c JOIN shipped s ON s.id = c.deployment_id
    WHERE s.finished_at < $stop
),
first_shipped AS (  -- each (service, sha) shipped in the window, at its first shipping
    SELECT min(finished_at) AS finished_at,
           arg_min(committed_at, (finished_at, id, position)) AS committed_at
    FROM listed
    WHERE (service, sha) IN (SELECT (service, sha) FROM listed WHERE finished_at >= $start)
    GROUP BY service, sha
),
lead_times AS (
    SELECT (finished_at - committed_at) / 3600.0 AS hours FROM first_shipped
    WHERE finished_at >= $start AND finished_at > committed_at
),
latest_before AS (  -- rule 2: the latest shipping deployment at or before the opening
    SELECT i.id, i.service, i.opened_at, i.resolved_at, s.finished_at
    FROM incidents i ASOF JOIN shipped s
      ON i.service = s.service AND i.opened_at >= s.finished_at
    WHERE coalesce(i.caused_by, '') = ''
),
attributed AS (
    SELECT id, opened_at, resolved_at, caused_by AS deployment_id FROM incidents
    WHERE coalesce(caused_by, '') <> ''
    UNION ALL
    SELECT b.id, b.opened_at, b.resolved_at, max(s.id) AS deployment_id  -- ties: largest id
    FROM latest_before b JOIN shipped s
      ON s.service = b.service AND s.finished_at = b.finished_at
    GROUP BY b.id, b.opened_at, b.resolved_at
),
counted_attributed AS (
    SELECT a.* FROM attributed a SEMI JOIN counted d ON d.id = a.deployment_id
),
failed AS (
    SELECT id FROM counted
    WHERE id IN (SELECT deployment_id FROM counted_attributed)
       OR id IN (SELECT rollback_of FROM deployments WHERE rollback_of IS NOT NULL)
),
recoveries AS (
    SELECT (resolved_at - opened_at) / 3600.0 AS hours FROM counted_attributed
    WHERE resolved_at IS NOT NULL
),
totals AS (
    SELECT count(*) AS deployments,
           count(*) FILTER (WHERE remediates > 0 OR rollback_of IS NOT NULL) AS rework,
           (SELECT count(*) FROM failed) AS failed
    FROM counted
)
SELECT deployments,
       deployments / $days AS deployments_per_day,
       (SELECT quantile_cont(hours, 0.5) FROM lead_times) AS lead_p50,
       (SELECT quantile_cont(hours, 0.9) FROM lead_times) AS lead_p90,
       failed / nullif(deployments, 0) AS change_failure_rate,
       failed,
       (SELECT quantile_cont(hours, 0.5) FROM recoveries) AS recovery_p50,
       (SELECT quantile_cont(hours, 0.9) FROM recoveries) AS recovery_p90,
       rework / nullif(deployments, 0) AS rework_rate
FROM totals
"""


class DuckReference:
    """The same events in an in-memory DuckDB, and the DORA figures as one SQL query."""

    def __init__(self, text: str) -> None:
        self.connection = duckdb.connect()
        with tempfile.TemporaryDirectory(prefix="scalegate-bench-") as directory:
            path = Path(directory) / "events.jsonl"
            path.write_text(text, encoding="utf-8")
            for statement in DUCKDB_LOAD.split(";"):
                if statement.strip():
                    self.connection.execute(
                        statement, {"path": str(path)} if "$path" in statement else None
                    )

    def figures(self, start: date, end: date) -> dict[str, Any]:
        """The compared figures over the whole UTC days start .. end."""
        parameters = {
            "start": _epoch(start),
            "stop": _epoch(end + timedelta(days=1)),
            "days": float((end - start).days + 1),
        }
        row = self.connection.execute(DUCKDB_DORA, parameters).fetchone()
        if row is None:
            raise BenchmarkError("DuckDB returned no row")
        deployments, per_day, lead50, lead90, cfr, failed, rec50, rec90, rework = row
        return {
            "deployments": deployments,
            "deployments_per_day": per_day,
            "lead_time_hours": {"p50": lead50, "p90": lead90},
            "change_failure_rate": cfr,
            "failed_deployments": failed,
            "recovery_time_hours": {"p50": rec50, "p90": rec90},
            "rework_rate": rework,
        }


def _pick(figures: dict[str, Any], key: str) -> Any:
    value: Any = figures
    for part in key.split("."):
        value = value[part]
    return value


def disagreements(ours: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """The compared figures that differ (integers exactly, floats to RELATIVE_TOLERANCE)."""
    found = []
    for key in COMPARED:
        a, b = _pick(ours, key), _pick(reference, key)
        if a is None or b is None:
            same = a is None and b is None
        elif isinstance(a, int) and isinstance(b, int):
            same = a == b
        else:
            same = math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
        if not same:
            found.append(f"{key}: scalegate {a!r}, DuckDB {b!r}")
    return found


def _compact(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures without the weekly series and bands, for the output."""
    return {key: value for key, value in figures.items() if key not in ("weekly", "bands")}


# --- scalegate --------------------------------------------------------------------------------


class _Reporter:
    """Ingest progress on stderr, about every tenth of the events."""

    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done, self.next = label, total, 0, total // 10
        self.started = time.perf_counter()

    def __call__(self, n: int) -> None:
        self.done += n
        if self.done >= self.next and self.total:
            elapsed = time.perf_counter() - self.started
            progress(f"{self.label}: {self.done}/{self.total} events stored after {elapsed:.1f}s")
            self.next = self.done + self.total // 10


def _ingest_checked(ws: Workspace, label: str, dataset: Dataset) -> float:
    """Time ingest of the whole text as one batch; fail loudly unless all of it was stored."""
    sizes = dataset.sizes
    reporter = _Reporter(label, dataset.events)
    seconds, result = timed(
        lambda: ingest(ws.sessions, ACTOR, dataset.text, "auto", EVENTS_SOURCE, reporter)
    )
    expected = {
        "received": dataset.events,
        "stored": dataset.events,
        "updated": 0,
        "duplicates": 0,
        "skipped": 0,
        "byType": {"deployment": sizes["deployments"], "incident": sizes["incidents"]},
    }
    if result.as_dict() != expected:
        raise BenchmarkError(f"{label}: ingest reported {result.as_dict()}, expected {expected}")
    with ws.sessions() as session:
        counts = {
            "deployments": session.scalar(select(func.count()).select_from(DeploymentRecord)),
            "commits": session.scalar(select(func.count()).select_from(DeploymentCommit)),
            "incidents": session.scalar(select(func.count()).select_from(IncidentRecord)),
        }
    wanted = {key: sizes[key] for key in counts}
    if counts != wanted:
        raise BenchmarkError(f"{label}: the database holds {counts}, expected {wanted}")
    return seconds


def _portfolio(ws: Workspace, window: tuple[date, date]) -> tuple[float, dict[str, Any]]:
    return timed(lambda: dora_for(ws.sessions, Scope("portfolio"), *window))


def _initiatives(
    ws: Workspace, label: str, names: list[str], portfolio: dict[str, Any]
) -> dict[str, float]:
    """Time the 90-day figures of every initiative; their counts must add up to the portfolio."""
    milliseconds = []
    deployments = failed = 0
    for name in names:
        seconds, figures = timed(
            lambda name=name: dora_for(ws.sessions, Scope("initiative", name), *WINDOW_90D)
        )
        milliseconds.append(seconds * 1000)
        deployments += figures["deployments"]
        failed += figures["failed_deployments"]
    if not names:
        return {}
    whole = (portfolio["deployments"], portfolio["failed_deployments"])
    if (deployments, failed) != whole:
        raise BenchmarkError(
            f"{label}: initiatives add up to {deployments} deployments, {failed} failed; "
            f"the portfolio has {whole[0]}, {whole[1]}"
        )
    return {
        "mean": round(statistics.fmean(milliseconds), 2),
        "p50": round(statistics.median(milliseconds), 2),
        "max": round(max(milliseconds), 2),
    }


def measure(
    kind: str, dataset: Dataset, services: int, reference: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply the portfolio, ingest, and time the DORA figures on a fresh database of one kind."""
    text, objects = portfolio_yaml(services)
    names = initiative_names(services)
    with fresh_database(kind) as url:
        ws = upgraded_workspace(url)
        try:
            applied = apply_sources(ws.sessions, [(PORTFOLIO_SOURCE, text)], ACTOR).totals()
            if applied.get("created") != objects:
                raise BenchmarkError(f"{kind}: portfolio apply reported {applied}")
            progress(f"{kind}: ingesting {dataset.events} events ({dataset.rows} rows)")
            ingest_s = _ingest_checked(ws, kind, dataset)
            progress(f"{kind}: ingest took {ingest_s:.2f}s; portfolio DORA, last 90 days")
            portfolio_90d_s, figures_90d = _portfolio(ws, WINDOW_90D)
            progress(f"{kind}: {portfolio_90d_s:.2f}s; portfolio DORA, 2 years")
            portfolio_2y_s, figures_2y = _portfolio(ws, WINDOW_2Y)
            progress(f"{kind}: {portfolio_2y_s:.2f}s; {len(names)} initiatives, last 90 days")
            initiative_ms = _initiatives(ws, kind, names, figures_90d)
            progress(f"{kind}: initiatives {initiative_ms}")
        finally:
            ws.engine.dispose()
    for window, ours in (("90d", figures_90d), ("2y", figures_2y)):
        wrong = disagreements(ours, reference[window])
        if wrong:
            raise BenchmarkError(
                f"{kind}: scalegate and DuckDB disagree on the {window} portfolio figures: "
                + "; ".join(wrong)
            )
    return (
        {
            "ingest_s": round(ingest_s, 3),
            "events_per_s": round(dataset.events / ingest_s, 1),
            "rows_per_s": round(dataset.rows / ingest_s, 1),
            "portfolio_90d_s": round(portfolio_90d_s, 4),
            "portfolio_2y_s": round(portfolio_2y_s, 4),
            "initiative_90d_ms": initiative_ms,
        },
        figures_90d,
    )


def _linearity_point(
    fraction: float, dataset: Dataset, ingest_s: float, s_90d: float, s_2y: float
) -> dict[str, Any]:
    per_1k = dataset.events / 1000
    return {
        "fraction": fraction,
        "events": dataset.events,
        "rows": dataset.rows,
        "ingest_s": round(ingest_s, 3),
        "portfolio_90d_s": round(s_90d, 4),
        "portfolio_2y_s": round(s_2y, 4),
        "ingest_s_per_1k_events": round(ingest_s / per_1k, 5),
        "portfolio_90d_s_per_1k_events": round(s_90d / per_1k, 5),
        "portfolio_2y_s_per_1k_events": round(s_2y / per_1k, 5),
    }


def linearity(fraction: float, sizes: dict[str, int], seed: int) -> dict[str, Any]:
    """The portfolio figures on SQLite for a fraction of the events."""
    dataset = generate(
        max(1, round(sizes["deployments"] * fraction)),
        round(sizes["commits"] * fraction),
        round(sizes["incidents"] * fraction),
        sizes["services"],
        seed,
    )
    label = f"sqlite x{fraction}"
    with fresh_database("sqlite") as url:
        ws = upgraded_workspace(url)
        try:
            progress(f"{label}: ingesting {dataset.events} events")
            ingest_s = _ingest_checked(ws, label, dataset)
            s_90d, _ = _portfolio(ws, WINDOW_90D)
            s_2y, _ = _portfolio(ws, WINDOW_2Y)
            progress(f"{label}: ingest {ingest_s:.2f}s, 90 days {s_90d:.2f}s, 2 years {s_2y:.2f}s")
        finally:
            ws.engine.dispose()
    return _linearity_point(fraction, dataset, ingest_s, s_90d, s_2y)


# --- command line -----------------------------------------------------------------------------


def _fraction(value: str) -> float:
    number = float(value)
    if not 0 < number <= 1:
        raise argparse.ArgumentTypeError("must be in (0, 1]")
    return number


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dora", description=__doc__)
    parser.add_argument("--deployments", type=positive_int, default=DEFAULT_DEPLOYMENTS)
    parser.add_argument("--commits", type=positive_int, default=DEFAULT_COMMITS)
    parser.add_argument("--incidents", type=positive_int, default=DEFAULT_INCIDENTS)
    parser.add_argument("--services", type=positive_int, default=DEFAULT_SERVICES)
    parser.add_argument(
        "--scale",
        type=_fraction,
        default=1.0,
        help="multiply deployments, commits and incidents (not services) by this, e.g. 0.01",
    )
    add_seed_and_databases(parser, "events")
    parser.add_argument(
        "--no-linearity", action="store_true", help="skip the 1/4 and 1/2 size runs on SQLite"
    )
    args = parser.parse_args(argv)
    if args.services < SERVICES_PER_INITIATIVE:
        parser.error(f"--services must be at least {SERVICES_PER_INITIATIVE}")
    deployments = max(1, round(args.deployments * args.scale))
    commits = round(args.commits * args.scale)
    incidents = round(args.incidents * args.scale)

    progress(
        f"generating {deployments} deployments, {commits} commits, {incidents} incidents "
        f"over {args.services} services"
    )
    generate_s, dataset = timed(
        lambda: generate(deployments, commits, incidents, args.services, args.seed)
    )
    progress(f"generated {dataset.sizes['jsonl_bytes'] / 1e6:.1f} MB in {generate_s:.1f}s")

    progress("DuckDB: loading the same events (not timed)")
    load_s, duck = timed(lambda: DuckReference(dataset.text))
    reference = {"2y": duck.figures(*WINDOW_2Y)}  # also warms DuckDB up before the timed query
    duckdb_90d_s, reference["90d"] = timed(lambda: duck.figures(*WINDOW_90D))
    progress(f"DuckDB: loaded in {load_s:.1f}s; 90-day query {duckdb_90d_s * 1000:.1f} ms")

    figures: dict[str, Any] = {
        "benchmark": "dora",
        "sizes": {**dataset.sizes, "initiatives": len(initiative_names(args.services))},
        "windows": {
            "90d": [d.isoformat() for d in WINDOW_90D],
            "2y": [d.isoformat() for d in WINDOW_2Y],
        },
    }
    portfolio_90d: dict[str, Any] | None = None
    for kind in args.databases:
        try:
            figures[kind], portfolio_90d = measure(kind, dataset, args.services, reference)
        except Skipped as skipped:
            progress(f"{kind}: skipped ({skipped.reason})")
            figures[kind] = {"skipped": skipped.reason}
            continue
        figures[kind]["ratio_portfolio_90d_vs_duckdb"] = round(
            figures[kind]["portfolio_90d_s"] / duckdb_90d_s, 1
        )
        figures[kind]["initiative_aim_met"] = (
            figures[kind]["initiative_90d_ms"].get("max", 0.0) < INITIATIVE_AIM_MS
        )
    figures["duckdb"] = {"portfolio_90d_s": round(duckdb_90d_s, 4), "load_s": round(load_s, 2)}
    figures["portfolio_90d"] = _compact(portfolio_90d or reference["90d"])
    figures["initiative_aim_ms"] = INITIATIVE_AIM_MS

    points = []
    if not args.no_linearity:
        for fraction in LINEARITY_FRACTIONS:
            points.append(linearity(fraction, dataset.sizes, args.seed))
        sqlite = figures.get("sqlite", {})
        if "ingest_s" in sqlite:
            points.append(
                _linearity_point(
                    1.0,
                    dataset,
                    sqlite["ingest_s"],
                    sqlite["portfolio_90d_s"],
                    sqlite["portfolio_2y_s"],
                )
            )
    figures["linearity"] = points
    figures["machine"] = machine()
    emit(figures)


if __name__ == "__main__":
    main()
