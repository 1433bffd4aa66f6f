"""Usage evidence on a real workspace: aggregates, catalog cost, figures, the model rule."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import func, select

from scalegate.core.usage import DailyUsers, LatencyHistogram, UsageBucket, usage_figures
from scalegate.evidence.service import ingest
from scalegate.gates import service as gates
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.usage.models import UsageDay, UsageHour, UsageUser
from scalegate.usage.service import usage_for
from scalegate.workspace import Workspace, alembic_config, open_workspace
from tests.conftest import ADMIN
from tests.gates_support import POLICIES

AS_OF = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PLUS_TWO = timezone(timedelta(hours=2))
PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: Model
metadata: {name: gpt-4o-mini}
spec: {provider: openai, inputPricePerMillion: 0.15, outputPricePerMillion: 0.6,
       allowedDataClasses: [internal, confidential], status: approved}
---
apiVersion: scalegate.dev/v1
kind: Model
metadata: {name: llama-3.1-70b}
spec: {provider: meta, allowedDataClasses: [public], status: approved}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: triage}
spec: {title: Ticket triage, theme: ops, stage: adopt, dataClasses: [internal],
       targetCohortSize: 4, timeReturned: {minutesSavedPerTask: 6, redeployedShare: 0.5}}
"""


def usage(
    n: int,
    user: str,
    outcome: str,
    *,
    model: str | None = "gpt-4o-mini",
    assisted: bool = True,
    day: int = 21,
    latency: float = 800.0,
) -> dict[str, object]:
    return {
        "type": "usage",
        "id": f"u{n}",
        "initiative": "triage",
        "user": user,
        "at": f"2026-11-{day:02d}T10:{n:02d}:00Z",
        "task": "triage-ticket",
        "assisted": assisted,
        "outcome": outcome,
        "model": model if assisted else None,
        "input_tokens": 1200 if assisted else None,
        "output_tokens": 300 if assisted else None,
        "latency_ms": latency if assisted else None,
    }


EVENTS = [
    usage(1, "ana", "accepted"),
    usage(2, "ana", "edited"),
    usage(3, "bo", "overridden"),
    usage(4, "bo", "accepted", day=12),
    usage(5, "cy", "failed", latency=4000.0),
    usage(6, "cy", "accepted", assisted=False),
]


@pytest.fixture
def used(workspace: Workspace) -> Workspace:
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    ingest(workspace.sessions, ADMIN, "\n".join(json.dumps(e) for e in EVENTS), "jsonl")
    return workspace


def test_events_are_aggregated_and_users_hashed(used: Workspace) -> None:
    """Six events: five assisted on gpt-4o-mini (one hour on 11-12, one on 11-21), one not."""
    with used.sessions() as session:
        assert session.scalar(select(func.sum(UsageHour.events))) == 6
        users = set(session.scalars(select(UsageUser.user)))
    assert len(users) == 3
    assert all(u.startswith("sha256:") for u in users)
    again = ingest(used.sessions, ADMIN, "\n".join(json.dumps(e) for e in EVENTS), "jsonl")
    assert (again.stored, again.duplicates) == (0, 6)


def test_figures_by_hand(used: Workspace) -> None:
    """Assisted 5 of 6 → penetration 5/6. Of the 5 assisted: overridden 1, failed 1, accepted 2,
    edited 1 → override 0.2, failure 0.2, completion 0.8, quality acceptance (2 + 1) / 5 = 0.6.
    Cost from the catalog: 1200 x 0.15/1e6 + 300 x 0.6/1e6 = 0.00036 per assisted event, so
    0.0018 in all and 0.00036 per transaction. Users active in the last 7 days (11-16..11-22):
    ana, bo, cy → 3 of a cohort of 4 = 0.75; bo was also active on 11-12, another ISO week → 1
    repeat user."""
    figures = usage_for(used.sessions, "triage", AS_OF)
    adoption, operational = figures["adoption"], figures["operational"]
    assert adoption["workflow_penetration"] == pytest.approx(5 / 6)
    assert (adoption["active_users_7d"], adoption["active_users_28d"]) == (3, 3)
    assert adoption["weekly_active_cohort_share"] == pytest.approx(0.75)
    assert adoption["repeat_users"] == 1
    assert operational["override_rate"] == pytest.approx(0.2)
    assert operational["failure_rate"] == pytest.approx(0.2)
    assert operational["completion_rate"] == pytest.approx(0.8)
    assert figures["trust"]["quality_acceptance"] == pytest.approx(0.6)
    assert figures["trust"]["policy_adherence"] == pytest.approx(1.0)
    assert figures["economics"]["cost_per_transaction"] == pytest.approx(0.00036)
    assert figures["economics"]["total_cost"] == pytest.approx(0.0018)
    # p99 of four latencies of 800 ms and one of 4000 ms is 4000 ms, within 1 %.
    assert operational["latency_ms"]["p99"] == pytest.approx(4000, rel=0.01)
    assert figures["models"] == [{"name": "gpt-4o-mini", "status": "approved"}]


def test_unapproved_model_fails_the_rule_then_passes(used: Workspace) -> None:
    """llama-3.1-70b is approved only for public data; triage touches internal data. The
    sweep re-evaluates industrialize -> adopt, which triage (at adopt) has passed."""
    apply_sources(used.sessions, [("g.yaml", (POLICIES / "default-gates.yaml").read_text())], ADMIN)

    def model_rule() -> list[dict[str, str]]:
        swept = gates.sweep(used.sessions, ADMIN, as_of=AS_OF)["initiatives"]["triage"]
        return [d for d in swept["drift"] if d["rule"] == "approved-models-only"]

    assert model_rule() == []
    shadow = usage(40, "dee", "accepted", model="llama-3.1-70b", day=22)
    ingest(used.sessions, ADMIN, json.dumps(shadow), "jsonl")
    assert model_rule() == [
        {
            "policy": "definition-of-done-for-scale",
            "rule": "approved-models-only",
            "message": "Models not approved for the data classes touched: 1 "
            "(llama-3.1-70b is not-allowed-for-data)",
        }
    ]


def test_time_returned_per_month(used: Workspace) -> None:
    """Five assisted tasks in November x 6 minutes saved x half redeployed / 60 = 0.25 hours."""
    from scalegate.outcomes.service import outcomes_for

    returned = outcomes_for(used.sessions, "triage", AS_OF)["time_returned_hours"]
    assert returned == [
        {"month": "2026-11", "assisted_tasks": 5, "minutes_saved_per_task": 6.0, "hours": 0.25}
    ]


def _random_events(count: int, seed: int) -> list[dict[str, object]]:
    """Events over 2026-10-10 .. 2026-11-22 at any minute, some at +02:00."""
    rng = random.Random(seed)
    start = datetime(2026, 10, 10, tzinfo=UTC)
    found: list[dict[str, object]] = []
    for n in range(count):
        at = start + timedelta(minutes=rng.randrange(44 * 24 * 60))
        assisted = rng.random() < 0.8
        event: dict[str, object] = {
            "type": "usage",
            "id": f"r{n}",
            "initiative": "triage",
            "user": f"user-{rng.randrange(12)}",
            "at": at.isoformat() if rng.random() < 0.8 else at.astimezone(PLUS_TWO).isoformat(),
            "task": "triage-ticket",
            "assisted": assisted,
            "outcome": rng.choice(["accepted", "edited", "overridden", "escalated", "failed"]),
        }
        if assisted:
            event["model"] = rng.choice(["gpt-4o-mini", "llama-3.1-70b", "unlisted"])
            event["input_tokens"] = rng.randrange(2000)
            event["output_tokens"] = rng.randrange(500)
            event["latency_ms"] = round(rng.lognormvariate(6.5, 0.8), 1)
            if rng.random() < 0.5:
                event["cost"] = round(rng.random() / 100, 6)
            event["human_reviewed"] = rng.random() < 0.3
            event["guardrail_triggered"] = rng.random() < 0.1
        found.append(event)
    return found


def _reference(events: list[dict[str, object]], as_of: datetime) -> dict[str, object]:
    """core.usage_figures over one bucket per event, as if nothing were aggregated."""
    prices = {"gpt-4o-mini": (0.15, 0.6)}
    buckets, users = [], []
    for e in events:
        at = datetime.fromisoformat(str(e["at"])).astimezone(UTC)
        model = e.get("model")
        cost = e.get("cost")
        if cost is None:
            inp, out = prices.get(str(model), (0.0, 0.0))
            cost = (
                int(e.get("input_tokens") or 0) * inp + int(e.get("output_tokens") or 0) * out
            ) / 1e6  # type: ignore[call-overload]
        histogram = LatencyHistogram()
        if e.get("latency_ms") is not None:
            histogram.add(float(e["latency_ms"]))  # type: ignore[arg-type]
        buckets.append(
            UsageBucket(
                at.replace(minute=0, second=0, microsecond=0),
                model,  # type: ignore[arg-type]
                str(e["outcome"]),
                bool(e["assisted"]),
                1,
                int(bool(e.get("human_reviewed"))),
                int(bool(e.get("guardrail_triggered"))),
                int(e.get("input_tokens") or 0),  # type: ignore[call-overload]
                int(e.get("output_tokens") or 0),  # type: ignore[call-overload]
                float(cost),  # type: ignore[arg-type]
                0.0,
                histogram.buckets,
                "ops",
            )
        )
        users.append(DailyUsers(at.date(), frozenset({str(e["user"])})))
    return usage_figures(buckets, users, as_of, 28, 4, frozenset({"gpt-4o-mini"})).as_dict()


def _same(ours: object, reference: object, where: str = "") -> None:
    if isinstance(reference, dict):
        assert isinstance(ours, dict) and set(ours) == set(reference), where
        for key in reference:
            _same(ours[key], reference[key], f"{where}.{key}")
    elif isinstance(reference, list):
        assert isinstance(ours, list) and len(ours) == len(reference), where
        for n, (a, b) in enumerate(zip(ours, reference, strict=True)):
            _same(a, b, f"{where}[{n}]")
    elif isinstance(reference, float):
        assert ours == pytest.approx(reference, rel=1e-12, abs=1e-15), where
    else:
        assert ours == reference, where


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2026, 11, 22, 23, 59, 59, tzinfo=UTC),  # whole UTC days only
        datetime(2026, 11, 20, 13, 30, tzinfo=UTC),  # part days at both ends
        datetime(2026, 11, 18, 0, 0, tzinfo=UTC),  # starts and ends on a midnight
        datetime(2026, 11, 19, 9, 15, tzinfo=PLUS_TWO),  # weeks cut in +02:00: hours only
    ],
)
def test_batches_and_roll_ups_add_up(workspace: Workspace, as_of: datetime) -> None:
    """600 events in uneven batches, out of time order and some sent twice, give the figures
    of core.usage_figures over one bucket per event, whichever mix of daily and hourly rows
    the window reads. The hourly and daily tables hold the same sums."""
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    events = _random_events(600, seed=7)
    shuffled = random.Random(3).sample(events, len(events))
    start = 0
    for size in (1, 5, 50, 120, 200, 224):
        batch = shuffled[start : start + size] + shuffled[: size // 10]  # some sent again
        ingest(workspace.sessions, ADMIN, "\n".join(json.dumps(e) for e in batch), "jsonl")
        start += size
    ours = usage_for(workspace.sessions, "triage", as_of)
    reference = _reference(events, as_of)
    ours.pop("models")
    for key in ("initiative", "as_of"):
        ours.pop(key)
    _same(ours, reference)
    with workspace.sessions() as session:
        for column in ("events", "input_tokens", "human_reviewed"):
            hours = session.scalar(select(func.sum(getattr(UsageHour, column))))
            days = session.scalar(select(func.sum(getattr(UsageDay, column))))
            assert hours == days
        assert session.scalar(select(func.sum(UsageHour.events))) == 600


def test_the_migration_folds_stored_hours_into_days(settings: Settings) -> None:
    """A workspace with usage from before revision 0007 gets its days from its hours: two
    hours of one day (3 + 2 events, histograms {5: 2} and {5: 1, 9: 2}) make one daily row
    {5: 3, 9: 2}; an hour of another day makes its own."""
    ws = open_workspace(settings)
    try:
        config = alembic_config(ws.engine)
        command.upgrade(config, "0006")
        hours = [
            ("2026-11-20T09:00:00+00:00", "accepted", 3, 0.5, {"5": 2}),
            ("2026-11-20T17:00:00+00:00", "accepted", 2, 0.25, {"5": 1, "9": 2}),
            ("2026-11-21T08:00:00+00:00", "accepted", 1, 0.125, {}),
        ]
        with ws.engine.begin() as connection:
            connection.execute(
                UsageHour.__table__.insert(),
                [
                    {
                        "initiative": "triage",
                        "hour": datetime.fromisoformat(hour),
                        "model": "gpt-4o-mini",
                        "outcome": outcome,
                        "assisted": True,
                        "events": events,
                        "human_reviewed": 1,
                        "guardrail_triggered": 0,
                        "input_tokens": 100 * events,
                        "output_tokens": 10 * events,
                        "cost": cost,
                        "duration_s": 1.0,
                        "latency": latency,
                    }
                    for hour, outcome, events, cost, latency in hours
                ],
            )
        command.upgrade(config, "0007")
        with ws.engine.connect() as connection:
            days = connection.execute(
                select(UsageDay.day, UsageDay.events, UsageDay.human_reviewed)
                .add_columns(UsageDay.input_tokens, UsageDay.cost, UsageDay.latency)
                .order_by(UsageDay.day)
            ).all()
    finally:
        ws.engine.dispose()
    assert [tuple(d) for d in days] == [
        (date(2026, 11, 20), 5, 2, 500, 0.75, {"5": 3, "9": 2}),
        (date(2026, 11, 21), 1, 1, 100, 0.125, {}),
    ]
