"""Evidence ingest on a real workspace: idempotent, atomic, every adapter, DORA over the result."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from scalegate.access.actor import Actor
from scalegate.audit import service as audit
from scalegate.errors import Forbidden, InvalidInput
from scalegate.evidence.metrics import Scope, dora_for
from scalegate.evidence.models import (
    ChangeRecord,
    DeploymentCommit,
    DeploymentRecord,
    IncidentRecord,
)
from scalegate.evidence.service import ingest
from scalegate.manifests.service import apply_sources
from scalegate.workspace import Workspace
from tests.conftest import ADMIN

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events"
PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: commerce}
spec: {title: Commerce}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: checkout-assistant}
spec: {title: Checkout assistant, theme: commerce, stage: industrialize, services: [checkout]}
"""


@pytest.fixture
def shop(workspace: Workspace) -> Workspace:
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    return workspace


def fixture(name: str) -> str:
    return (EVENTS / name).read_text()


def test_own_events_are_stored_once(shop: Workspace) -> None:
    first = ingest(shop.sessions, ADMIN, fixture("scalegate_events.jsonl"), "jsonl")
    assert (first.received, first.stored, first.duplicates) == (4, 4, 0)
    assert first.by_type == {"change": 1, "deployment": 2, "incident": 1}
    again = ingest(shop.sessions, ADMIN, fixture("scalegate_events.jsonl"), "jsonl")
    assert (again.stored, again.duplicates) == (0, 4)
    [record] = audit.recent(shop.sessions, limit=1)
    assert (record.action, record.payload["duplicates"]) == ("evidence.ingest", 4)


def test_dora_over_the_fixture_by_hand(shop: Workspace) -> None:
    """Deployments 0412 (14:22:31Z) and 0413 (a rollback of 0412), both on 2026-03-10.

    Lead time: commit 9f2c at 13:05:47+01:00 = 12:05:47Z → 2 h 16 min 44 s = 2.27889 h (the
    merged change with the same sha is not shipped twice). CFR: 0412 is failed (INC-4711 names
    it, and 0413 rolls it back) → 1 / 2. Recovery: 14:41:02 → 15:10:45 = 29 min 43 s =
    0.49528 h. Rework: 0413 has rollback_of and remediates → 1 / 2.
    """
    ingest(shop.sessions, ADMIN, fixture("scalegate_events.jsonl"), "jsonl")
    figures = dora_for(
        shop.sessions,
        Scope("initiative", "checkout-assistant"),
        date(2026, 3, 10),
        date(2026, 3, 10),
    )
    assert figures["deployments"] == 2
    assert figures["lead_time_hours"]["p50"] == pytest.approx(2 + 16 / 60 + 44 / 3600)
    assert (figures["change_failure_rate"], figures["failed_deployments"]) == (0.5, 1)
    assert figures["recovery_time_hours"]["p50"] == pytest.approx(29 / 60 + 43 / 3600)
    assert figures["rework_rate"] == 0.5
    assert figures["bands"] == {
        "deployment_frequency": "elite",
        "lead_time": "elite",
        "change_failure_rate": "low",
        "recovery_time": "elite",
    }
    assert figures["scope"] == "initiative/checkout-assistant"
    with shop.sessions() as session:
        assert session.scalar(select(ChangeRecord.deployment_id)) == "checkout-0412"
        shas = session.scalars(select(DeploymentCommit.sha)).all()
        assert shas == ["9f2c4e1b7a8d03c56e4f1a2b3c4d5e6f7a8b9c0d"]


def test_a_bad_line_stores_nothing_and_every_bad_line_is_named(shop: Workspace) -> None:
    lines = fixture("scalegate_events.jsonl").splitlines()
    lines[1] = lines[1].replace('"2026-03-10T14:22:31Z"', '"2026-03-10T14:22:31"')
    lines.append('{"type": "incident", "id": "INC-9", "service": "checkout"}')
    lines.append("{not json")
    with pytest.raises(InvalidInput) as caught:
        ingest(shop.sessions, ADMIN, "\n".join(lines), "jsonl")
    assert [str(p) for p in caught.value.details] == [
        "2: finished_at: timestamp needs a timezone (e.g. Z)",
        "6: opened_at: field required",
        "7: malformed JSON: expecting property name enclosed in double quotes at column 2",
    ]
    with shop.sessions() as session:
        assert session.scalars(select(DeploymentRecord)).all() == []
        assert session.scalars(select(ChangeRecord)).all() == []


def test_unknown_initiative_rejects_the_batch(shop: Workspace) -> None:
    text = fixture("scalegate_events.jsonl").replace("checkout-assistant", "no-such-thing")
    with pytest.raises(InvalidInput) as caught:
        ingest(shop.sessions, ADMIN, text, "jsonl")
    assert [str(p) for p in caught.value.details] == [
        "1: initiative: no initiative named no-such-thing"
    ]


def test_viewers_may_not_ingest(shop: Workspace) -> None:
    with pytest.raises(Forbidden):
        ingest(
            shop.sessions,
            Actor("v@x.example", frozenset({"viewer"})),
            fixture("scalegate_events.jsonl"),
        )


def test_cdevents_flow_merges_changes_and_resolves_incidents(shop: Workspace) -> None:
    for name in (
        "cdevents_change_merged.json",
        "cdevents_service_deployed.json",
        "cdevents_incident_detected.json",
        "cdevents_incident_resolved.json",
        "cdevents_service_rolledback.json",
    ):
        ingest(shop.sessions, ADMIN, fixture(name), "cdevents")
    with shop.sessions() as session:
        deployments = session.scalars(
            select(DeploymentRecord).order_by(DeploymentRecord.finished_at)
        ).all()
        assert [(d.service, d.environment, d.rollback_of is not None) for d in deployments] == [
            ("checkout", "production", False),
            ("checkout", "production", True),
        ]
        incident = session.scalars(select(IncidentRecord)).one()
        assert incident.resolved_at is not None and incident.resolved_at > incident.opened_at
    # Resolving again is a duplicate, not a change.
    again = ingest(shop.sessions, ADMIN, fixture("cdevents_incident_resolved.json"), "cdevents")
    assert (again.updated, again.duplicates) == (0, 1)


def test_resolving_an_unknown_incident_is_an_error(shop: Workspace) -> None:
    with pytest.raises(InvalidInput, match="1 problem"):
        ingest(shop.sessions, ADMIN, fixture("cdevents_incident_resolved.json"), "cdevents")


def test_github_deployment_status(shop: Workspace) -> None:
    stored = ingest(
        shop.sessions, ADMIN, fixture("github_deployment_status_success.json"), "github"
    )
    assert stored.stored == 1
    skipped = ingest(
        shop.sessions, ADMIN, fixture("github_deployment_status_in_progress.json"), "github"
    )
    assert (skipped.stored, skipped.skipped) == (0, 1)
    failed = ingest(shop.sessions, ADMIN, fixture("github_deployment_status_error.json"), "github")
    assert failed.stored == 1
    with shop.sessions() as session:
        rows = session.scalars(select(DeploymentRecord).order_by(DeploymentRecord.id)).all()
        assert {r.status for r in rows} == {"success", "failure"}
        assert all(r.id.startswith("github:") for r in rows)
