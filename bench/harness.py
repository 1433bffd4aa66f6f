"""Small helpers shared by the benchmarks: timing, throw-away databases and JSON output.

Benchmarks print exactly one JSON object on stdout (via `emit`); progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from scalegate.db import scratch_schema
from scalegate.settings import Settings, database_url_from
from scalegate.workspace import Workspace, open_workspace

T = TypeVar("T")

KINDS = ("sqlite", "postgresql")
POSTGRES_ENVS = ("SCALEGATE_BENCH_POSTGRES_URL", "SCALEGATE_TEST_POSTGRES_URL")


class BenchmarkError(RuntimeError):
    """The benchmark's own checks failed: its figures would mean nothing."""


class Skipped(Exception):
    """A database kind cannot be benchmarked here; the message says why."""

    @property
    def reason(self) -> str:
        return str(self)


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Run fn once; return (wall-clock seconds, its result)."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def latency_stats(milliseconds: list[float]) -> dict[str, float]:
    """p50, p95 (nearest rank: the value at rank ceil(q n)), max and mean of repeated timings."""
    ordered = sorted(milliseconds)

    def rank(q: float) -> float:
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {
        "p50": round(rank(0.5), 1),
        "p95": round(rank(0.95), 1),
        "max": round(ordered[-1], 1),
        "mean": round(statistics.fmean(ordered), 1),
    }


def progress(message: str) -> None:
    """A progress line on stderr (stdout is reserved for the JSON result)."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def postgres_base_url() -> str | None:
    """The PostgreSQL server to benchmark on, from the environment (None when not set)."""
    for name in POSTGRES_ENVS:
        raw = os.environ.get(name)
        if raw:
            return database_url_from(raw)
    return None


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A workspace URL to an empty database of the given kind, removed afterwards.

    sqlite: a file in a new temporary directory. postgresql: a new schema `bench_<random>` on
    the server named by SCALEGATE_BENCH_POSTGRES_URL (or SCALEGATE_TEST_POSTGRES_URL), dropped
    on exit. Raises Skipped when PostgreSQL is not configured.
    """
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="scalegate-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'workspace.db'}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r} (known: {', '.join(KINDS)})")
    base = postgres_base_url()
    if base is None:
        raise Skipped(f"set {' or '.join(POSTGRES_ENVS)} to benchmark PostgreSQL")
    with scratch_schema(base, "bench") as url:
        yield url


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def emit(figures: dict[str, Any]) -> None:
    """Print the benchmark's figures as one JSON object on stdout."""
    json.dump(figures, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()


def positive_int(value: str) -> int:
    """An argparse type for sizes: a whole number of at least 1."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def upgraded_workspace(url: str) -> Workspace:
    """A workspace at the database URL, migrated to the current schema, without SQL echo."""
    ws = open_workspace(Settings(database_url=url, echo_sql=False))
    ws.upgrade()
    return ws


def add_seed_and_databases(parser: argparse.ArgumentParser, seeded: str) -> None:
    """The options every benchmark has: --seed (of what `seeded` names) and --databases."""
    parser.add_argument("--seed", type=int, default=1, help=f"seed of the generated {seeded}")
    parser.add_argument(
        "--databases",
        nargs="+",
        choices=KINDS,
        default=list(KINDS),
        help="database kinds to measure (default: all)",
    )


def require_agreement(label: str, floor: str, wrong: list[str]) -> None:
    """Stop the benchmark when scalegate's figures differ from the floor's."""
    if wrong:
        raise BenchmarkError(
            f"{label}: scalegate and {floor} disagree on {len(wrong)} figure(s): "
            + "; ".join(wrong[:20])
        )
