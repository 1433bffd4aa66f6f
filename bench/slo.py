"""Benchmark: 1-minute SLI records of many SLOs through ingest, then a full SLO sweep.

Run with `uv run python -m bench.slo [--slos N] [--days D] [--databases sqlite postgresql]`.
Prints one JSON object on stdout; progress goes to stderr. The floor is the same figures
computed with NumPy over in-memory arrays in the same run, and the benchmark stops with an
error unless the database figures equal the floor's. See bench/README.md (section `slo`).
"""

from __future__ import annotations

import argparse
import functools
import gc
import math
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import yaml
from sqlalchemy import create_engine, delete, func, select, text

from bench.harness import (
    BenchmarkError,
    Skipped,
    add_seed_and_databases,
    emit,
    fresh_database,
    machine,
    positive_int,
    postgres_base_url,
    progress,
    require_agreement,
    timed,
    upgraded_workspace,
)
from scalegate.access.actor import Actor
from scalegate.core.slo import SloStatus
from scalegate.evidence.service import CHUNK, ingest, insert_rows
from scalegate.manifests.service import apply_sources
from scalegate.outcomes.schemas import derived_id
from scalegate.settings import Settings
from scalegate.slo.ingest import add_to_hours, hour_of, retally_slo
from scalegate.slo.models import AlertChange, OpensloObject, SliCount, SliHour
from scalegate.slo.service import statuses, tracked_objectives
from scalegate.slo.sweep import sweep
from scalegate.workspace import Workspace, open_workspace

API_VERSION = "scalegate.dev/v1"
ACTOR = Actor("bench:admin", frozenset({"admin"}))
PORTFOLIO_SOURCE = "bench-slo-portfolio.yaml"
OPENSLO_SOURCE = "bench-slo-openslo.yaml"
EVENTS_SOURCE = "bench-slo-sli.jsonl"
THEME = "platform"

# The moment of the sweep, and the end of the last 1-minute interval sent. Not on a whole hour,
# so every window has partial hours at its edges (read from the raw records).
AS_OF = datetime(2026, 11, 22, 12, 34, tzinfo=UTC)
MINUTE = 60
DEFAULT_SLOS = 200
DEFAULT_DAYS = 30
SLOS_PER_SERVICE = 5  # 200 SLOs on 40 services, each service one initiative's
BATCH = 50_000
BULK_CHUNK = 200_000
WARM_RUNS = 3
TOLERANCE = 1e-9

BURN_WINDOWS = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600}
BURN_WINDOWS |= {"1d": 86400, "3d": 3 * 86400}
# name: (long window, short window, share of the window's budget the long window may use)
ALERTS = {
    "page-fast": ("1h", "5m", 0.02),
    "page-slow": ("6h", "30m", 0.05),
    "ticket-fast": ("1d", "2h", 0.10),
    "ticket-slow": ("3d", "6h", 0.10),
}
TARGETS = (0.99, 0.995, 0.999, 0.9995)
# Burn patterns of some SLOs as of AS_OF: (minutes before AS_OF the burn starts, minutes before
# AS_OF it stops, error rate as a multiple of the error budget).
PATTERNS: dict[str, tuple[int, int, float]] = {
    "fast": (75, 0, 25.0),  # pages fast (1h and 5m over 14.4)
    "slow": (7 * 60, 0, 9.0),  # pages slow (6h and 30m over 6); 1h under 14.4
    "ticket": (30 * 60, 0, 4.5),  # tickets fast (1d and 2h over 3)
    "simmer": (4 * 1440, 0, 1.6),  # tickets slow (3d and 6h over 1)
    "recovered": (8 * 60, 45, 30.0),  # long windows high, 5m and 30m clean: no page
}
PATTERN_EVERY = {"fast": 17, "slow": 23, "ticket": 29, "simmer": 31, "recovered": 37}


# --- the SLOs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slo:
    """One generated SLO and how its traffic behaves."""

    name: str
    service: str
    method: str  # Occurrences, Timeslices or RatioTimeslices
    target: float
    calendar: str | None  # time zone of a calendar-month window; None: 30 days rolling
    slice_minutes: int  # timeSliceWindow (Timeslices, RatioTimeslices)
    slice_target: float  # timeSliceTarget (Timeslices)
    rate: float  # mean events per minute
    error_share: float  # base error rate as a share of the error budget
    pattern: str | None  # a burn as of AS_OF (see PATTERNS)
    gaps: bool  # some minutes have no record at all


def _method(k: int, count: int) -> str:
    """180 / 10 / 10 of 200: every 20th SLO uses Timeslices, the one after it RatioTimeslices."""
    if count >= 3 and k % 20 == 7:
        return "Timeslices"
    if count >= 3 and k % 20 == 13:
        return "RatioTimeslices"
    return "Occurrences"


def make_slos(count: int, seed: int) -> list[Slo]:
    rng = np.random.default_rng(seed)
    slos = []
    for k in range(count):
        pattern = next((p for p, every in PATTERN_EVERY.items() if k % every == every - 1), None)
        calendar = None
        if k % 25 == 11:
            calendar = "Europe/Berlin" if k % 50 == 11 else "UTC"
        slos.append(
            Slo(
                name=f"slo-{k + 1:03d}",
                service=f"svc-{k // SLOS_PER_SERVICE + 1:02d}",
                method=_method(k, count),
                target=TARGETS[k % len(TARGETS)],
                calendar=calendar,
                slice_minutes=5 if k % 40 >= 20 else 1,
                slice_target=0.95 if k % 3 else 0.99,
                # 0.5 to 5,000 events a minute, log-uniform: the quiet ones have empty minutes.
                rate=float(math.exp(rng.uniform(math.log(0.5), math.log(5000)))),
                error_share=float(rng.uniform(0.05, 0.8)),
                pattern=pattern,
                gaps=k % 20 == 3,
            )
        )
    return slos


def services(slos: list[Slo]) -> list[str]:
    return sorted({s.service for s in slos})


def portfolio_yaml(slos: list[Slo]) -> tuple[str, int]:
    """A theme and one initiative per service."""
    documents: list[dict[str, Any]] = [
        {
            "apiVersion": API_VERSION,
            "kind": "Theme",
            "metadata": {"name": THEME},
            "spec": {"title": "Platform", "owner": "sre@northwind.example"},
        }
    ]
    for service in services(slos):
        documents.append(
            {
                "apiVersion": API_VERSION,
                "kind": "Initiative",
                "metadata": {"name": f"initiative-{service}"},
                "spec": {
                    "title": f"Initiative running {service}",
                    "theme": THEME,
                    "stage": "industrialize",
                    "services": [service],
                },
            }
        )
    return yaml.safe_dump_all(documents, sort_keys=False), len(documents)


def openslo_yaml(slos: list[Slo]) -> tuple[str, int]:
    """One shared SLI and the SLOs referring to it."""
    documents: list[dict[str, Any]] = [
        {
            "apiVersion": "openslo/v1",
            "kind": "SLI",
            "metadata": {"name": "requests-ok"},
            "spec": {
                "ratioMetric": {
                    "counter": True,
                    "good": {"metricSource": {"type": "Prometheus", "spec": {"query": "ok"}}},
                    "total": {"metricSource": {"type": "Prometheus", "spec": {"query": "all"}}},
                }
            },
        }
    ]
    for slo in slos:
        if slo.calendar is None:
            window: dict[str, Any] = {"duration": "30d", "isRolling": True}
        else:
            start = "2026-01-01 00:00:00"
            window = {"duration": "1M", "calendar": {"startTime": start, "timeZone": slo.calendar}}
        objective: dict[str, Any] = {"displayName": "good requests", "target": slo.target}
        if slo.method != "Occurrences":
            objective["timeSliceWindow"] = f"{slo.slice_minutes}m"
        if slo.method == "Timeslices":
            objective["timeSliceTarget"] = slo.slice_target
        documents.append(
            {
                "apiVersion": "openslo/v1",
                "kind": "SLO",
                "metadata": {"name": slo.name},
                "spec": {
                    "service": slo.service,
                    "indicatorRef": "requests-ok",
                    "timeWindow": [window],
                    "budgetingMethod": slo.method,
                    "objectives": [objective],
                },
            }
        )
    return yaml.safe_dump_all(documents, sort_keys=False), len(documents)


# --- the SLI records --------------------------------------------------------------------------


@dataclass
class Series:
    """One SLO's records: interval ends (epoch seconds, ascending), good and total counts."""

    at: np.ndarray  # int64
    good: np.ndarray  # float64 (whole numbers)
    total: np.ndarray  # float64


def generate(slos: list[Slo], days: int, seed: int) -> dict[str, Series]:
    """Every SLO's 1-minute records for `days` days ending at AS_OF, from a seeded generator."""
    minutes = days * 1440
    end = int(AS_OF.timestamp())
    at = end - MINUTE * np.arange(minutes - 1, -1, -1, dtype=np.int64)
    before = (end - at) // MINUTE  # minutes before AS_OF at which each interval ends
    # Daily swing of traffic: a quarter at 03:00 UTC, full at 15:00 UTC.
    hour = (at % 86400) / 3600.0
    diurnal = 0.625 - 0.375 * np.cos((hour - 3.0) / 24.0 * 2 * math.pi)
    found = {}
    for k, slo in enumerate(slos):
        rng = np.random.default_rng([seed, k])
        budget = round(1.0 - slo.target, 12)
        rate = np.full(minutes, slo.error_share * budget)
        # One to three past incidents of 10 minutes to 3 hours at 5 to 60 times the budget.
        for _ in range(int(rng.integers(1, 4))):
            length = int(rng.integers(10, 180))
            start = int(rng.integers(0, max(1, minutes - length)))
            rate[start : start + length] = float(rng.uniform(5, 60)) * budget
        if slo.pattern is not None:
            first, last, multiple = PATTERNS[slo.pattern]
            rate[(before < first) & (before >= last)] = multiple * budget
        total = rng.poisson(slo.rate * diurnal).astype(np.int64)
        bad = rng.binomial(total, np.minimum(rate, 1.0))
        keep = np.ones(minutes, dtype=bool)
        if slo.gaps:  # scrape gaps: 1 % of minutes are never reported
            keep = rng.random(minutes) >= 0.01
        found[slo.name] = Series(
            at[keep].copy(),
            (total - bad)[keep].astype(np.float64),
            total[keep].astype(np.float64),
        )
    return found


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _merged(series: dict[str, Series]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Every record in sending order: (names, SLO index, position in its series, `at`), the
    records of a minute together, by SLO."""
    names = list(series)
    # Each series is ascending; merge them minute by minute through one sorted index.
    at = np.concatenate([series[n].at for n in names])
    which = np.concatenate(
        [np.full(len(series[n].at), i, dtype=np.int32) for i, n in enumerate(names)]
    )
    position = np.concatenate([np.arange(len(series[n].at)) for n in names])
    order = np.lexsort((which, at))
    return names, which[order], position[order], at[order]


def batches(
    series: dict[str, Series], size: int = BATCH, skip: int = 0
) -> Iterator[tuple[int, str]]:
    """(events, JSON lines) in time order, all SLOs' records of a minute together, as a
    collector sending every SLO's counts each minute would; the first `skip` records left out."""
    names, which_all, position_all, at_all = _merged(series)
    goods = [series[n].good.astype(np.int64).tolist() for n in names]
    totals = [series[n].total.astype(np.int64).tolist() for n in names]
    stamps: dict[int, str] = {}
    for start in range(skip, len(at_all), size):
        chunk = slice(start, start + size)
        lines = []
        for a, i, p in zip(
            at_all[chunk].tolist(),
            which_all[chunk].tolist(),
            position_all[chunk].tolist(),
            strict=True,
        ):
            stamp = stamps.get(a)
            if stamp is None:
                stamp = stamps[a] = _iso(a)
            lines.append(
                f'{{"type":"sli","slo":"{names[i]}","at":"{stamp}",'
                f'"good":{goods[i][p]},"total":{totals[i][p]}}}'
            )
        yield len(lines), "\n".join(lines)


# --- the floor: NumPy over the in-memory arrays -----------------------------------------------


@dataclass
class Figures:
    """The compared figures of one SLO."""

    attainment: float | None
    burn_rates: dict[str, float | None]
    thresholds: dict[str, float]
    firing: tuple[str, ...]


def window_start(slo: Slo, as_of: datetime) -> tuple[int, float]:
    """The SLO window's start (epoch seconds) and its whole length in hours."""
    if slo.calendar is None:
        return int(as_of.timestamp()) - 30 * 86400, 30 * 24.0
    zone = ZoneInfo(slo.calendar)
    local = as_of.astimezone(zone)
    first = datetime(local.year, local.month, 1, tzinfo=zone)
    following = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=zone)
    if first.astimezone(UTC) >= as_of:  # as_of exactly at a month's start: the month before
        raise BenchmarkError("AS_OF must not be the first instant of a month")
    hours = (following.astimezone(UTC) - first.astimezone(UTC)).total_seconds() / 3600
    return int(first.timestamp()), hours


def floor_figures(slos: list[Slo], series: dict[str, Series], as_of: datetime) -> dict[str, Any]:
    """Attainment, burn rates and firing alerts of every SLO from its arrays: cumulative sums
    and searchsorted for window sums, slice sums with bincount."""
    end = int(as_of.timestamp())
    burn_starts = np.array([end - s for s in BURN_WINDOWS.values()], dtype=np.int64)
    found = {}
    for slo in slos:
        s = series[slo.name]
        budget = round(1.0 - slo.target, 12)
        good_sum = np.concatenate(([0.0], np.cumsum(s.good)))
        total_sum = np.concatenate(([0.0], np.cumsum(s.total)))
        start, hours = window_start(slo, as_of)
        hi = int(np.searchsorted(s.at, end, side="right"))
        lows = np.searchsorted(s.at, np.append(burn_starts, start), side="right")
        goods, totals = good_sum[hi] - good_sum[lows], total_sum[hi] - total_sum[lows]
        rates: dict[str, float | None] = {}
        for i, window in enumerate(BURN_WINDOWS):
            t = float(totals[i])
            rates[window] = None if t <= 0 else round((t - float(goods[i])) / t / budget, 9)
        lo = int(lows[-1])
        attained: float | None
        if slo.method == "Occurrences":
            t = float(totals[-1])
            attained = None if t <= 0 else float(goods[-1]) / t
        else:
            width = slo.slice_minutes * MINUTE
            index = -(-s.at[lo:hi] // width)  # slice k holds (k·w − w, k·w]
            index -= index[0] if len(index) else 0
            slice_good = np.bincount(index, weights=s.good[lo:hi])
            slice_total = np.bincount(index, weights=s.total[lo:hi])
            measured = slice_total > 0
            ratios = slice_good[measured] / slice_total[measured]
            if not len(ratios):
                attained = None
            elif slo.method == "Timeslices":
                attained = int(np.count_nonzero(ratios >= slo.slice_target)) / len(ratios)
            else:
                attained = math.fsum(ratios.tolist()) / len(ratios)
        thresholds, firing = {}, []
        for name, (long, short, share) in ALERTS.items():
            threshold = round(share * hours * 3600 / BURN_WINDOWS[long], 9)
            thresholds[name] = threshold
            a, b = rates[long], rates[short]
            if a is not None and b is not None and a > threshold and b > threshold:
                firing.append(name)
        found[slo.name] = Figures(attained, rates, thresholds, tuple(firing))
    return found


# --- comparing --------------------------------------------------------------------------------


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-15)


def from_status(status: SloStatus) -> Figures:
    return Figures(
        status.attainment,
        dict(status.burn_rates),
        {a["name"]: a["threshold"] for a in status.alerts},
        tuple(a["name"] for a in status.alerts if a["firing"]),
    )


def check(label: str, ours: dict[str, Figures], floor: dict[str, Figures]) -> None:
    """Attainment and burn rates to 1e-9 relative; thresholds and firing alerts identical."""
    if set(ours) != set(floor):
        raise BenchmarkError(
            f"{label}: scalegate reports {len(ours)} SLOs, NumPy {len(floor)}: "
            f"{sorted(set(ours) ^ set(floor))[:5]}"
        )
    wrong = []
    for name in sorted(ours):
        a, b = ours[name], floor[name]
        if not _close(a.attainment, b.attainment):
            wrong.append(f"{name} attainment: scalegate {a.attainment!r}, NumPy {b.attainment!r}")
        for window in BURN_WINDOWS:
            x, y = a.burn_rates.get(window), b.burn_rates[window]
            if not _close(x, y):
                wrong.append(f"{name} burn {window}: scalegate {x!r}, NumPy {y!r}")
        if a.thresholds != b.thresholds:
            wrong.append(f"{name} thresholds: scalegate {a.thresholds}, NumPy {b.thresholds}")
        if a.firing != b.firing:
            wrong.append(f"{name} firing: scalegate {a.firing}, NumPy {b.firing}")
    require_agreement(label, "NumPy", wrong)


# --- scalegate --------------------------------------------------------------------------------


def _ingest_all(
    ws: Workspace, label: str, series: dict[str, Series], rows: int, skip: int = 0
) -> float:
    """Ingest every batch (after the first `skip` records) as JSON lines; the seconds spent
    inside ingest, summed."""
    total = 0.0
    done = skip
    started = time.perf_counter()
    next_report = 0
    for size, lines in batches(series, skip=skip):
        seconds, result = timed(
            functools.partial(ingest, ws.sessions, ACTOR, lines, "jsonl", EVENTS_SOURCE)
        )
        total += seconds
        expected = {
            "received": size,
            "stored": size,
            "updated": 0,
            "duplicates": 0,
            "skipped": 0,
            "byType": {"sli": size},
        }
        if result.as_dict() != expected:
            raise BenchmarkError(f"{label}: ingest reported {result.as_dict()}, not {expected}")
        done += size
        if done >= next_report or done == rows:
            elapsed = time.perf_counter() - started
            left = (rows - done) * elapsed / (done - skip)
            progress(
                f"{label}: ingest {_bar(done / rows)} {done:,}/{rows:,} in {total:.0f}s "
                f"({(done - skip) / total:,.0f}/s; last batch {size / seconds:,.0f}/s; "
                f"~{left / 60:.0f} min left)"
            )
            next_report = done + max(rows // 20, 1)
    return total


def bulk_load(ws: Workspace, label: str, series: dict[str, Series], skip: int) -> float:
    """Write the records after the first `skip` (in sending order) as ingest stores them (the
    ids it derives, the hourly roll-up), with Core bulk inserts and no validation; seconds."""
    names, which_all, position_all, at_all = _merged(series)
    stamps: dict[int, datetime] = {}
    started = time.perf_counter()
    for start in range(skip, len(at_all), BULK_CHUNK):
        rows = []
        hours: dict[tuple[str, datetime], list[float]] = {}
        for a, i, p in zip(
            at_all[start : start + BULK_CHUNK].tolist(),
            which_all[start : start + BULK_CHUNK].tolist(),
            position_all[start : start + BULK_CHUNK].tolist(),
            strict=True,
        ):
            at = stamps.get(a)
            if at is None:
                at = stamps[a] = datetime.fromtimestamp(a, UTC)
            slo, s = names[i], series[names[i]]
            good, total = float(s.good[p]), float(s.total[p])
            rows.append(
                {
                    "id": derived_id("sli", slo, at.isoformat()),
                    "slo": slo,
                    "at": at,
                    "good": good,
                    "total": total,
                }
            )
            counts = hours.setdefault((slo, hour_of(at)), [0.0, 0.0])
            counts[0] += good
            counts[1] += total
        rows.sort(key=lambda row: row["id"])
        with ws.sessions() as session, session.begin():
            if session.get_bind().dialect.name == "sqlite":  # room for the id index: 1 GB
                session.execute(text("PRAGMA cache_size = -1000000"))
            insert_rows(session, SliCount, rows, 2 * CHUNK)
            add_to_hours(
                session,
                [
                    {"slo": slo, "hour": hour, "good": g, "total": t}
                    for (slo, hour), (g, t) in sorted(hours.items())
                ],
            )
        done = min(start + BULK_CHUNK, len(at_all))
        progress(f"{label}: bulk {_bar(done / len(at_all))} {done:,}/{len(at_all):,}")
    return time.perf_counter() - started


def _bar(share: float, width: int = 20) -> str:
    filled = round(share * width)
    return "[" + "#" * filled + "." * (width - filled) + f"] {share:4.0%}"


def _stored(ws: Workspace, label: str, series: dict[str, Series]) -> dict[str, Any]:
    rows = sum(len(s.at) for s in series.values())
    total = float(sum(s.total.sum() for s in series.values()))
    with ws.sessions() as session:
        counts = {
            "sli_record_rows": session.scalar(select(func.count()).select_from(SliCount)),
            "sli_hour_rows": session.scalar(select(func.count()).select_from(SliHour)),
            "hour_total": session.scalar(select(func.coalesce(func.sum(SliHour.total), 0.0))),
        }
    if counts["sli_record_rows"] != rows or counts["hour_total"] != total:
        raise BenchmarkError(
            f"{label}: the database holds {counts}, expected {rows} rows and {total} events in all"
        )
    return counts


def _full_statuses(ws: Workspace) -> list[SloStatus]:
    with ws.sessions() as session:
        return statuses(session, tracked_objectives(session), AS_OF)


def _sweeps(ws: Workspace, label: str, floor: dict[str, Figures]) -> dict[str, Any]:
    """Time the statuses of every SLO and the real sweep, cold (the first call on a new engine)
    and warm (the median of the next WARM_RUNS); check every answer against the floor."""
    figures: dict[str, Any] = {}
    cold, found = timed(lambda: _full_statuses(ws))
    check(f"{label} statuses", {s.objective.name: from_status(s) for s in found}, floor)
    warm = []
    for _ in range(WARM_RUNS):
        seconds, again = timed(lambda: _full_statuses(ws))
        warm.append(seconds)
        check(f"{label} statuses", {s.objective.name: from_status(s) for s in again}, floor)
    figures["statuses_cold_s"] = round(cold, 4)
    figures["statuses_warm_s"] = round(statistics.median(warm), 4)
    progress(f"{label}: statuses of {len(found)} SLOs cold {cold:.3f}s, warm {warm}")

    expected = sorted((name, alert) for name, f in floor.items() for alert in f.firing)
    sweep_cold, first = timed(lambda: sweep(ws.sessions, ACTOR, AS_OF, None))
    results = [first]
    warm = []
    for _ in range(WARM_RUNS):
        seconds, result = timed(lambda: sweep(ws.sessions, ACTOR, AS_OF, None))
        warm.append(seconds)
        results.append(result)
        if result.changes:
            raise BenchmarkError(f"{label}: a second sweep at the same moment saw changes")
    for result in results:
        firing = sorted((f["objective"], f["alert"]) for f in result.firing)
        if firing != expected or result.objectives != len(floor):
            raise BenchmarkError(f"{label}: sweep firing {firing[:10]}, NumPy {expected[:10]}")
    if sorted((c["objective"], c["alert"]) for c in first.changes) != expected:
        raise BenchmarkError(f"{label}: the first sweep's changes are not the firing alerts")
    with ws.sessions() as session:
        recorded = session.scalar(select(func.count()).select_from(AlertChange))
    if recorded != len(expected):
        raise BenchmarkError(f"{label}: {recorded} alert changes recorded, not {len(expected)}")
    figures["sweep_cold_s"] = round(sweep_cold, 4)
    figures["sweep_warm_s"] = round(statistics.median(warm), 4)
    figures["alert_changes_recorded"] = recorded
    progress(f"{label}: sweep cold {sweep_cold:.3f}s (recording {recorded} changes), warm {warm}")
    return figures


@contextmanager
def kept_database(kind: str, slos: int, days: int, seed: int) -> Iterator[str]:
    """A workspace that outlives the run, named after the sizes and seed: a SQLite file in the
    temporary directory, or a PostgreSQL schema `bench_slo_<slos>x<days>_s<seed>`."""
    label = f"{slos}x{days}_s{seed}"
    if kind == "sqlite":
        yield f"sqlite:///{Path(tempfile.gettempdir()) / f'scalegate-bench-slo-{label}.db'}"
        return
    base = postgres_base_url()
    if base is None:
        raise Skipped("set SCALEGATE_BENCH_POSTGRES_URL or SCALEGATE_TEST_POSTGRES_URL")
    schema = f"bench_slo_{label}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        admin.dispose()
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"


def _held(ws: Workspace) -> int:
    with ws.sessions() as session:
        return session.scalar(select(func.count()).select_from(SliCount)) or 0


def measure(
    kind: str,
    slos: list[Slo],
    series: dict[str, Series],
    floor: dict[str, Figures],
    rows: int,
    keep: tuple[int, int, int] | None,
    bulk_rest: bool = False,
) -> dict[str, Any]:
    """Apply the SLOs, ingest every record, then time statuses and sweeps (checked).

    With `keep` (slos, days, seed) the workspace is kept after the run, and a kept workspace
    that already holds the records is measured again without ingesting them; one that holds
    some (an interrupted run) gets the rest, through ingest or, with `bulk_rest`, bulk inserts.
    """
    portfolio, portfolio_objects = portfolio_yaml(slos)
    openslo, openslo_objects = openslo_yaml(slos)
    database = fresh_database(kind) if keep is None else kept_database(kind, *keep)
    figures: dict[str, Any] = {}
    with database as url:
        ws = upgraded_workspace(url)
        try:
            held = _held(ws) if keep is not None else 0
            if held == rows:
                progress(f"{kind}: reusing the records already in {url}")
                figures["ingest"] = "reused"
                with ws.sessions() as session, session.begin():
                    session.execute(delete(AlertChange))  # so the first sweep records them again
                    # Records kept from a run before the slice tallies existed get them now.
                    started = time.perf_counter()
                    for row in session.scalars(select(OpensloObject).filter_by(kind="SLO")):
                        retally_slo(session, row.name, row.spec)
                    figures["retally_s"] = round(time.perf_counter() - started, 2)
            elif held:  # an interrupted run: whole batches were stored
                if held % BATCH:
                    raise BenchmarkError(f"{kind}: {held} records kept, not whole batches")
                figures["resumed_after"] = held
                if bulk_rest:
                    progress(f"{kind}: {held:,} records kept; bulk-loading the rest")
                    figures["bulk_load_s"] = round(bulk_load(ws, kind, series, held), 2)
                else:
                    progress(f"{kind}: {held:,} records kept; ingesting the rest")
                    ingest_s = _ingest_all(ws, kind, series, rows, held)
                    figures["ingest_s"] = round(ingest_s, 2)
                    figures["events_per_s"] = round((rows - held) / ingest_s, 1)
            else:
                applied = apply_sources(
                    ws.sessions, [(PORTFOLIO_SOURCE, portfolio), (OPENSLO_SOURCE, openslo)], ACTOR
                ).totals()
                if applied.get("created") != portfolio_objects + openslo_objects:
                    raise BenchmarkError(f"{kind}: apply reported {applied}")
                progress(f"{kind}: ingesting {rows:,} SLI records in batches of {BATCH:,}")
                ingest_s = _ingest_all(ws, kind, series, rows)
                figures["ingest_s"] = round(ingest_s, 2)
                figures["events_per_s"] = round(rows / ingest_s, 1)
                progress(f"{kind}: ingest took {ingest_s:.1f}s")
            figures["stored"] = _stored(ws, kind, series)
        finally:
            ws.engine.dispose()
        # A new engine for the sweeps: cold is the first call on fresh connections.
        gc.collect()
        ws = open_workspace(Settings(database_url=url, echo_sql=False))
        try:
            figures |= _sweeps(ws, kind, floor)
        finally:
            ws.engine.dispose()
    return figures


# --- command line -----------------------------------------------------------------------------


def _floor_timings(
    slos: list[Slo], series: dict[str, Series]
) -> tuple[dict[str, Figures], dict[str, float]]:
    floor = floor_figures(slos, series, AS_OF)  # untimed: warms NumPy up
    runs = []
    for _ in range(WARM_RUNS):
        seconds, again = timed(lambda: floor_figures(slos, series, AS_OF))
        runs.append(seconds)
        check("NumPy", again, floor)
    return floor, {"median_s": round(statistics.median(runs), 4), "min_s": round(min(runs), 4)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.slo", description=__doc__)
    parser.add_argument("--slos", type=positive_int, default=DEFAULT_SLOS)
    parser.add_argument("--days", type=positive_int, default=DEFAULT_DAYS)
    add_seed_and_databases(parser, "records")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the workspaces after the run (named after the sizes and seed), and measure "
        "kept ones that already hold the records again without ingesting",
    )
    parser.add_argument(
        "--bulk-rest",
        action="store_true",
        help="with --keep: write the records an interrupted run did not store with Core bulk "
        "inserts instead of ingest (no ingest figures for them)",
    )
    args = parser.parse_args(argv)
    keep = (args.slos, args.days, args.seed) if args.keep else None
    slos = make_slos(args.slos, args.seed)
    progress(f"generating {args.days} days of 1-minute records for {len(slos)} SLOs")
    generate_s, series = timed(lambda: generate(slos, args.days, args.seed))
    rows = sum(len(s.at) for s in series.values())
    progress(f"generated {rows:,} records in {generate_s:.1f}s")
    floor, numpy_figures = _floor_timings(slos, series)
    firing = Counter(alert for f in floor.values() for alert in f.firing)
    progress(f"NumPy floor: {numpy_figures}; firing {dict(firing)}")
    if not firing:
        raise BenchmarkError("no alert fires in the generated data")

    results: dict[str, Any] = {}
    for kind in args.databases:
        try:
            results[kind] = measure(kind, slos, series, floor, rows, keep, args.bulk_rest)
        except Skipped as skipped:
            progress(f"{kind}: skipped ({skipped.reason})")
            results[kind] = {"skipped": skipped.reason}
            continue
        figures = results[kind]
        for key in ("statuses_cold", "statuses_warm", "sweep_cold", "sweep_warm"):
            figures[f"{key}_ratio"] = round(figures[f"{key}_s"] / numpy_figures["median_s"], 1)
        figures["meets_aim"] = figures["sweep_warm_s"] < 2.0 and figures["sweep_cold_s"] < 2.0
        progress(f"{kind}: figures equal NumPy's for all {len(slos)} SLOs")

    mix = Counter(s.method for s in slos)
    emit(
        {
            "slos": len(slos),
            "days": args.days,
            "records": rows,
            "services": len(services(slos)),
            "initiatives": len(services(slos)),
            "mix": {
                "budgeting_methods": dict(sorted(mix.items())),
                "windows": {
                    "rolling_30d": sum(1 for s in slos if s.calendar is None),
                    "calendar_month": sum(1 for s in slos if s.calendar is not None),
                },
                "burning": dict(Counter(s.pattern for s in slos if s.pattern)),
                "with_gaps": sum(1 for s in slos if s.gaps),
            },
            "as_of": AS_OF.isoformat(),
            "batch": BATCH,
            "generate_s": round(generate_s, 2),
            "firing": dict(sorted(firing.items())),
            "numpy": numpy_figures,
            **results,
            "aim_sweep_s": 2.0,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
