"""`scalegate slo pull`: SLI counts from Prometheus for SLOs whose indicator queries it."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.db import transaction
from scalegate.errors import InvalidInput
from scalegate.evidence.service import IngestResult, ingest
from scalegate.slo.models import OpensloObject, SliCount

MAX_POINTS = 10_000  # Prometheus refuses query_range answers of more than 11,000 points
TIMEOUT_S = 30
DEFAULT_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class PromSource:
    """The PromQL queries of one SLO and the server that answers them."""

    slo: str
    url: str
    total: str
    good: str | None
    bad: str | None
    counter: bool


@dataclass
class PullResult:
    """What a pull read and stored."""

    pulled: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    ingest: IngestResult = field(default_factory=IngestResult)

    def as_dict(self) -> dict[str, Any]:
        """Plain form for --json."""
        return {"pulled": self.pulled, "skipped": self.skipped, "ingest": self.ingest.as_dict()}


def _query(metric: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(DataSource name, PromQL) of one good/bad/total metric."""
    if metric is None:
        return None, None
    source = metric["metricSource"]
    return source.get("metricSourceRef"), source.get("spec", {}).get("query")


def prometheus_sources(session: Session) -> tuple[list[PromSource], dict[str, str]]:
    """Which SLOs can be pulled from Prometheus, and why the others cannot."""
    objects: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in session.scalars(select(OpensloObject)):
        objects[row.kind][row.name] = row.spec
    sources, skipped = [], {}
    for name, spec in sorted(objects["SLO"].items()):
        indicator = (
            spec["indicator"].get("spec", {})
            if "indicator" in spec
            else objects["SLI"].get(spec.get("indicatorRef", ""), {})
        )
        ratio = indicator.get("ratioMetric")
        if ratio is None or "total" not in ratio:
            skipped[name] = "its indicator is not a good/total or bad/total ratioMetric"
            continue
        refs_queries = [_query(ratio.get(k)) for k in ("good", "bad", "total")]
        refs = {ref for ref, query in refs_queries if query is not None and ref is not None}
        source = objects["DataSource"].get(refs.pop()) if len(refs) == 1 else None
        if source is None or source["type"].lower() != "prometheus":
            skipped[name] = "its queries do not name one DataSource of type Prometheus"
            continue
        (_, good), (_, bad), (_, total) = refs_queries
        if total is None or (good is None and bad is None):
            skipped[name] = "a query is missing from metricSource.spec.query"
            continue
        url = source["connectionDetails"]["url"].rstrip("/")
        sources.append(PromSource(name, url, total, good, bad, bool(ratio.get("counter", True))))
    return sources, skipped


def query_range(
    url: str, query: str, start: datetime, end: datetime, step: timedelta
) -> dict[datetime, float]:
    """Σ over the series of a PromQL range query, by timestamp."""
    values: dict[datetime, float] = defaultdict(float)
    seconds = int(step.total_seconds())
    chunk_start = start
    while chunk_start <= end:
        chunk_end = min(end, chunk_start + step * (MAX_POINTS - 1))
        params = urllib.parse.urlencode(
            {
                "query": query,
                "start": chunk_start.timestamp(),
                "end": chunk_end.timestamp(),
                "step": f"{seconds}s",
            }
        )
        try:
            with urllib.request.urlopen(
                f"{url}/api/v1/query_range?{params}", timeout=TIMEOUT_S
            ) as response:
                answer = json.loads(response.read())
        except OSError as error:
            raise InvalidInput(f"Prometheus at {url} did not answer {query!r}: {error}") from error
        if answer.get("status") != "success":
            raise InvalidInput(f"Prometheus refused {query!r}: {answer.get('error')}")
        for series in answer["data"]["result"]:
            for stamp, value in series["values"]:
                values[datetime.fromtimestamp(float(stamp), UTC)] += float(value)
        chunk_start = chunk_end + step
    return values


def interval_counts(
    values: dict[datetime, float], counter: bool, step: timedelta
) -> dict[datetime, float]:
    """Counts per interval ending at each timestamp: differences of a counter (a drop is a
    reset, so the new value is the count), or the values themselves for a gauge."""
    if not counter:
        return dict(values)
    counts = {}
    for at in sorted(values):
        previous = values.get(at - step)
        if previous is not None:
            now = values[at]
            counts[at] = now - previous if now >= previous else now
    return counts


def _floor(moment: datetime, step: timedelta) -> datetime:
    seconds = int(step.total_seconds())
    return datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, UTC)


def sli_events(
    source: PromSource, since: datetime, until: datetime, step: timedelta
) -> list[dict[str, Any]]:
    """The `sli` events of one SLO for the intervals ending in (since, until]."""
    start = _floor(since, step) + step
    end = _floor(until, step)
    # A counter needs the value one step before the first interval as its base.
    first = start - step if source.counter else start
    total = interval_counts(
        query_range(source.url, source.total, first, end, step), source.counter, step
    )
    numerator = source.good or source.bad or ""
    part = interval_counts(
        query_range(source.url, numerator, first, end, step), source.counter, step
    )
    events = []
    for at in sorted(total):
        if at < start or total[at] <= 0:
            continue
        counted = part.get(at, 0.0)
        good = counted if source.good else total[at] - counted
        events.append(
            {
                "type": "sli",
                "id": f"prometheus:{source.slo}:{at.strftime('%Y-%m-%dT%H:%M:%SZ')}",
                "slo": source.slo,
                "at": at.isoformat(),
                "good": min(max(good, 0.0), total[at]),
                "total": total[at],
            }
        )
    return events


def pull(
    factory: sessionmaker[Session],
    actor: Actor,
    since: datetime | None,
    until: datetime,
    step: timedelta,
) -> PullResult:
    """Read every Prometheus-backed SLO's counts since a moment (default: its last record)."""
    with transaction(factory) as session:
        sources, skipped = prometheus_sources(session)
        query = select(SliCount.slo, func.max(SliCount.at)).group_by(SliCount.slo)
        latest = dict(session.execute(query).all())
    result = PullResult(skipped=skipped)
    events: list[dict[str, Any]] = []
    for source in sources:
        start = since or latest.get(source.slo) or until - DEFAULT_LOOKBACK
        found = sli_events(source, start, until, step)
        result.pulled[source.slo] = len(found)
        events += found
    if events:
        text = "\n".join(json.dumps(e) for e in events)
        result.ingest = ingest(factory, actor, text, "jsonl", source="prometheus")
    return result
