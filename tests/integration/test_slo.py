"""SLOs on a real workspace: OpenSLO apply, SLI ingest, figures, gate evidence, sweeps."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import pytest
import yaml
from sqlalchemy import func, select

from scalegate.core.slo import SliRecord, status_from_records
from scalegate.errors import InvalidInput
from scalegate.evidence.service import ingest
from scalegate.gates.evidence import gather
from scalegate.manifests.service import apply_sources, export_documents
from scalegate.portfolio.models import Initiative
from scalegate.slo.models import AlertChange, SliCount, SliHour, SliSliceHour
from scalegate.slo.service import slo_for, statuses, tracked_objectives
from scalegate.slo.sweep import sweep
from scalegate.workspace import Workspace
from tests.conftest import ADMIN

AS_OF = datetime(2026, 11, 22, 12, 34, tzinfo=UTC)
PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: commerce}
spec: {title: Commerce}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: checkout}
spec: {title: Checkout, theme: commerce, stage: industrialize, services: [checkout-api]}
"""
OPENSLO = """\
apiVersion: openslo/v1
kind: DataSource
metadata: {name: prom}
spec: {type: Prometheus, connectionDetails: {url: "http://127.0.0.1:9090"}}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: http-availability, displayName: HTTP availability}
spec:
  ratioMetric:
    counter: true
    good: {metricSource: {metricSourceRef: prom, type: Prometheus,
                          spec: {query: 'sum(http_requests_total{code!~"5.."})'}}}
    total: {metricSource: {metricSourceRef: prom, type: Prometheus,
                           spec: {query: sum(http_requests_total)}}}
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: checkout-availability, displayName: Checkout availability}
spec:
  service: checkout-api
  indicatorRef: http-availability
  timeWindow: [{duration: 30d, isRolling: true}]
  budgetingMethod: Occurrences
  objectives: [{displayName: available, target: 0.999}]
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: search-latency
  labels: {scalegate.dev/initiative: checkout, team: [search]}
spec:
  service: search
  indicator:
    metadata: {name: fast-searches}
    spec:
      thresholdMetric: {metricSource: {type: Any, spec: {query: latency}}}
  timeWindow:
    - duration: 1M
      calendar: {startTime: "2026-01-01 00:00:00", timeZone: UTC}
  budgetingMethod: Timeslices
  objectives: [{op: lte, value: 300, targetPercent: 99, timeSliceTarget: 0.95,
                timeSliceWindow: 5}]
"""


@pytest.fixture
def slos(workspace: Workspace) -> Workspace:
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO), ("slo.yaml", OPENSLO)], ADMIN)
    return workspace


def sli(slo: str, at: datetime, good: float, total: float, **extra: Any) -> dict[str, Any]:
    return {"type": "sli", "slo": slo, "at": at.isoformat(), "good": good, "total": total} | extra


def send(workspace: Workspace, events: list[dict[str, Any]]) -> Any:
    return ingest(workspace.sessions, ADMIN, "\n".join(json.dumps(e) for e in events), "jsonl")


def test_openslo_documents_round_trip_with_their_metadata(slos: Workspace) -> None:
    documents = export_documents(slos.sessions, ["SLO", "SLI", "DataSource"])
    by_name = {d["metadata"]["name"]: d for d in documents}
    assert by_name["search-latency"]["apiVersion"] == "openslo/v1"
    assert by_name["search-latency"]["metadata"]["labels"] == {
        "scalegate.dev/initiative": "checkout",
        "team": ["search"],
    }
    assert by_name["http-availability"]["metadata"]["displayName"] == "HTTP availability"
    assert by_name["checkout-availability"]["spec"]["objectives"] == [
        {"displayName": "available", "target": 0.999}
    ]
    again = apply_sources(slos.sessions, [("x.yaml", yaml.safe_dump_all(documents))], ADMIN)
    assert again.totals() == {"created": 0, "updated": 0, "unchanged": 4, "deleted": 0}


def test_slos_link_by_service_and_by_label(slos: Workspace) -> None:
    with slos.sessions() as session:
        tracked = {t.objective.name: t for t in tracked_objectives(session)}
    assert tracked["checkout-availability"].initiatives == ("checkout",)
    assert tracked["search-latency"].initiatives == ("checkout",)
    latency = tracked["search-latency"].objective
    assert (latency.target, latency.time_slice_window, latency.window.rolling) == (
        0.99,
        "5m",
        False,
    )


INVALID = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: broken, labels: {scalegate.dev/initiative: nowhere}}
spec:
  service: x
  indicatorRef: no-such-sli
  timeWindow: [{duration: 1M, isRolling: true}]
  budgetingMethod: Timeslices
  objectives:
    - target: 0.99
      targetPercent: 99
  colour: red
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: zoned}
spec:
  service: x
  indicator: {metadata: {name: i}, spec: {ratioMetric: {good: {metricSource: {spec: {query: up}}}}}}
  timeWindow: [{duration: 1w, calendar: {startTime: "2026-01-01", timeZone: Mars/Olympus}}]
  budgetingMethod: Occurrences
  objectives: [{target: 1.5}]
"""


def test_invalid_documents_are_reported_with_file_line_and_field(slos: Workspace) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_sources(slos.sessions, [("bad.yaml", INVALID)], ADMIN)
    # Schema errors stop the semantic checks of their document; references are still checked.
    assert [str(p) for p in caught.value.details] == [
        "bad.yaml:6: SLO/broken: spec.indicatorRef: SLI/no-such-sli does not exist",
        "bad.yaml:12: SLO/broken: spec.colour: unknown field",
        "bad.yaml:22: SLO/zoned: spec.objectives[0].target: input should be less than 1",
    ]
    fixed = INVALID.replace("  colour: red\n", "").replace("target: 1.5", "target: 0.95")
    with pytest.raises(InvalidInput) as caught:
        apply_sources(slos.sessions, [("bad.yaml", fixed)], ADMIN)
    assert [str(p) for p in caught.value.details] == [
        "bad.yaml:3: SLO/broken: metadata.labels.scalegate.dev/initiative: "
        "Initiative/nowhere does not exist",
        "bad.yaml:6: SLO/broken: spec.indicatorRef: SLI/no-such-sli does not exist",
        "bad.yaml:7: SLO/broken: spec.timeWindow[0].duration: "
        "a rolling window needs m, h, d or w (M, Q, Y vary)",
        "bad.yaml:10: SLO/broken: spec.objectives[0]: give exactly one of target and targetPercent",
        "bad.yaml:10: SLO/broken: spec.objectives[0].timeSliceWindow: is required with Timeslices",
        "bad.yaml:10: SLO/broken: spec.objectives[0].timeSliceTarget: is required with Timeslices",
        "bad.yaml:18: SLO/zoned: spec.indicator.spec.ratioMetric: "
        "needs total (with good or bad) or raw",
        "bad.yaml:19: SLO/zoned: spec.timeWindow[0].calendar.startTime: "
        "must read YYYY-MM-DD HH:MM:SS (no zone)",
        "bad.yaml:19: SLO/zoned: spec.timeWindow[0].calendar.timeZone: "
        "is not an IANA time zone name",
    ]
    valid_shape = (
        fixed.split("---")[0]
        .replace("1M", "30d")
        .replace(
            "      targetPercent: 99\n", "      timeSliceTarget: 0.9\n      timeSliceWindow: 1m\n"
        )
    )
    with pytest.raises(InvalidInput) as caught:
        apply_sources(slos.sessions, [("bad.yaml", valid_shape)], ADMIN)
    assert sorted(str(p) for p in caught.value.details) == [
        "bad.yaml:3: SLO/broken: metadata.labels.scalegate.dev/initiative: "
        "Initiative/nowhere does not exist",
        "bad.yaml:6: SLO/broken: spec.indicatorRef: SLI/no-such-sli does not exist",
    ]


def test_sli_ingest_checks_counts_and_slo_and_is_idempotent(slos: Workspace) -> None:
    bad = [
        sli("checkout-availability", AS_OF, 11, 10),
        sli("checkout-availability", AS_OF, -1, 10),
        sli("no-such-slo", AS_OF, 1, 1),
    ]
    with pytest.raises(InvalidInput) as caught:
        send(slos, bad)
    assert [str(p) for p in caught.value.details] == [
        "1: good (11) is more than total (10)",
        "2: good: input should be greater than or equal to 0",
    ]
    with pytest.raises(InvalidInput) as caught:
        send(slos, bad[2:])
    assert [str(p) for p in caught.value.details] == ["1: slo: no SLO named no-such-slo"]
    events = [sli("checkout-availability", AS_OF - timedelta(minutes=m), 99, 100) for m in (0, 1)]
    first = send(slos, events)
    assert (first.stored, first.duplicates) == (2, 0)
    again = send(slos, events)
    assert (again.stored, again.duplicates) == (0, 2)
    with slos.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SliCount)) == 2
        # 12:34 and 12:33 both end inside the hour (12:00, 13:00].
        assert session.execute(select(SliHour.hour, SliHour.good, SliHour.total)).all() == [
            (datetime(2026, 11, 22, 13, 0, tzinfo=UTC), 198.0, 200.0)
        ]


def test_figures_from_roll_ups_equal_the_figures_from_raw_records(slos: Workspace) -> None:
    """Every 7 minutes for 4 days, uneven counts: the service, which reads whole hours from the
    roll-up and the edges from raw records, must agree with the core over the raw records."""
    records = [
        SliRecord(AS_OF - timedelta(minutes=7 * k), 1000 - (k % 13), 1000 + (k % 5))
        for k in range(4 * 24 * 60 // 7)
    ]
    events = [
        sli(name, r.at, r.good, r.total)
        for name in ("checkout-availability", "search-latency")
        for r in records
    ]
    send(slos, events)
    with slos.sessions() as session:
        tracked = tracked_objectives(session)
        found = {s.objective.name: s for s in statuses(session, tracked, AS_OF)}
    for t in tracked:
        expected = status_from_records(t.objective, records, AS_OF)
        got = found[t.objective.name]
        assert got.attainment == pytest.approx(expected.attainment)
        assert got.burn_rates == pytest.approx(expected.burn_rates)
        assert got.alerts == expected.alerts
    # The calendar month of search-latency began on 1 November; all 4 days are inside it.
    assert found["search-latency"].window_start == datetime(2026, 11, 1, tzinfo=UTC)


def test_metrics_slo_json_and_gate_evidence(slos: Workspace) -> None:
    """Records of 1,000 every 6 minutes for 73 hours; the last 10 (one hour) at 2 % errors.
    1h: 200 / 10,000 → burn 20 > 14.4, and 5m too: page-fast. 6h: 200 / 60,000 → 3.33 < 6;
    1d 0.83 < 3; 3d 200 / 720,000 → 0.28 < 1. Attainment 1 − 200 / 730,000 = 0.999726, met;
    budget remaining 1 − 0.273973 = 0.726027."""
    events = [
        sli(
            "checkout-availability", AS_OF - timedelta(minutes=6 * k), 980 if k < 10 else 1000, 1000
        )
        for k in range(730)
    ]
    send(slos, events)
    figures = slo_for(slos.sessions, initiative="checkout", as_of=AS_OF)
    first = figures["slos"][0]
    assert [s["name"] for s in figures["slos"]] == ["checkout-availability", "search-latency"]
    assert first["attainment"] == pytest.approx(1 - 200 / 730_000)
    assert first["error_budget_remaining"] == pytest.approx(0.726027397)
    assert first["burn_rates"]["1h"] == pytest.approx(20.0)
    assert first["burn_rates"]["6h"] == pytest.approx(3.333333333)
    assert [a["name"] for a in first["alerts"] if a["firing"]] == ["page-fast"]
    assert first["met"] is True
    assert figures["slos"][1]["attainment"] is None
    with slos.sessions() as session:
        initiative = session.scalars(select(Initiative).filter_by(name="checkout")).one()
        evidence = gather(session, initiative, AS_OF)
    assert [(s["name"], s["met"]) for s in evidence["slos"]] == [
        ("checkout-availability", True),
        ("search-latency", False),
    ]


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver that keeps what it was sent."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Receiver.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def test_sweep_records_changes_and_posts_them(slos: Workspace, webhook: str) -> None:
    """After 3 clean days, an hour at burn 20 pages at 12:34 (as in the unit tests); nothing
    changes on a second sweep at the same moment; by 14:00 the last bad minute is 86 minutes
    old, the 1h and 5m windows are clean, the page stops."""
    send(
        slos,
        [
            sli("checkout-availability", AS_OF - timedelta(minutes=k), 1000, 1000)
            for k in range(60, 60 + 3 * 24 * 60)
        ]
        + [sli("checkout-availability", AS_OF - timedelta(minutes=k), 980, 1000) for k in range(60)]
        + [
            sli("checkout-availability", AS_OF + timedelta(minutes=k), 1000, 1000)
            for k in range(1, 87)
        ],
    )
    first = sweep(slos.sessions, ADMIN, AS_OF, webhook)
    assert [(c["objective"], c["alert"], c["firing"]) for c in first.changes] == [
        ("checkout-availability", "page-fast", True)
    ]
    assert first.notified == 1
    text = Receiver.received[0]["text"]
    assert text == (
        "[page] SLO checkout-availability: page-fast started firing "
        "(burn 1h 20.00, 5m 20.00, threshold 14.4)"
    )
    assert sweep(slos.sessions, ADMIN, AS_OF, webhook).changes == []
    later = sweep(slos.sessions, ADMIN, datetime(2026, 11, 22, 14, 0, tzinfo=UTC), webhook)
    assert [(c["alert"], c["firing"]) for c in later.changes] == [("page-fast", False)]
    assert Receiver.received[1]["firing"] is False
    assert len(Receiver.received) == 2
    with slos.sessions() as session:
        rows = session.execute(
            select(AlertChange.alert, AlertChange.firing, AlertChange.notified).order_by(
                AlertChange.id
            )
        ).all()
    assert rows == [("page-fast", True, True), ("page-fast", False, True)]


def test_sweep_keeps_changes_when_the_webhook_is_down(slos: Workspace) -> None:
    send(
        slos,
        [sli("checkout-availability", AS_OF - timedelta(minutes=k), 900, 1000) for k in range(60)],
    )
    result = sweep(slos.sessions, ADMIN, AS_OF, "http://127.0.0.1:9/nothing-listens")
    assert result.notified == 0
    assert len(result.notify_errors) == len(result.changes) > 0
    with slos.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AlertChange)) == len(result.changes)


RATIO_SLO = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: search-ratio}
spec:
  service: search
  indicatorRef: http-availability
  timeWindow: [{duration: 1d, isRolling: true}]
  budgetingMethod: RatioTimeslices
  objectives: [{target: 0.98, timeSliceWindow: 2m}]
"""


def test_time_slices_grouped_by_the_database_equal_the_core(slos: Workspace) -> None:
    """Records every 30 s, a third of them a quarter second late, so that some end exactly on
    a slice boundary and some just after one: the database must put each in the slice the core
    does, (k·s − s, k·s] seconds after the epoch."""
    apply_sources(slos.sessions, [("ratio.yaml", RATIO_SLO)], ADMIN)
    records = [
        SliRecord(
            AS_OF - timedelta(seconds=30 * k, microseconds=250_000 if k % 3 == 1 else 0),
            100 - (k % 7) * (k % 4),
            100,
        )
        for k in range(1, 3000)
    ]
    send(
        slos,
        [
            sli(name, r.at, r.good, r.total)
            for name in ("search-latency", "search-ratio")
            for r in records
        ],
    )
    with slos.sessions() as session:
        tracked = [t for t in tracked_objectives(session) if t.slo != "checkout-availability"]
        found = {s.objective.name: s for s in statuses(session, tracked, AS_OF)}
    for t in tracked:
        expected = status_from_records(t.objective, records, AS_OF)
        assert expected.attainment is not None
        assert found[t.objective.name].attainment == pytest.approx(expected.attainment, rel=1e-12)
    assert 0 < found["search-latency"].attainment < 1  # type: ignore[operator]


def test_slice_tallies_follow_late_records_and_changed_objectives(slos: Workspace) -> None:
    """search-latency has 5-minute slices and a slice target of 0.95. Twelve 5-minute slices
    of 100 requests in the hour ending 12:00, 96 good each, then a late record makes the slice
    ending 11:05 worse: 96 + 0 good of 100 + 10 → 0.873 < 0.95. So 11 of 12 slices are good
    (attainment 11/12). Lowering the slice target to 0.85 by re-applying counts all 12."""
    base = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    send(
        slos,
        [sli("search-latency", base + timedelta(minutes=5 * k), 96, 100) for k in range(1, 13)],
    )
    send(slos, [sli("search-latency", base + timedelta(minutes=3), 0, 10)])
    as_of = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)

    def attained() -> float | None:
        with slos.sessions() as session:
            tracked = [t for t in tracked_objectives(session) if t.slo == "search-latency"]
            return statuses(session, tracked, as_of)[0].attainment

    assert attained() == pytest.approx(11 / 12)
    with slos.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SliSliceHour)) == 1
    lowered = OPENSLO.replace("timeSliceTarget: 0.95", "timeSliceTarget: 0.85")
    apply_sources(slos.sessions, [("p.yaml", PORTFOLIO), ("slo.yaml", lowered)], ADMIN)
    assert attained() == 1.0
