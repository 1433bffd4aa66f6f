"""Every mutation is audited, and `audit verify` finds tampering done in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from scalegate.access import service as access
from scalegate.audit import service as audit
from scalegate.manifests.service import apply_sources
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.integration.test_apply import BASE


@pytest.fixture
def audited(workspace: Workspace) -> Workspace:
    """Five records: three applied objects, a user, a token."""
    apply_sources(workspace.sessions, [("p.yaml", BASE)], ADMIN)
    access.add_user(workspace.sessions, ADMIN, "ana@northwind.example", ["viewer"])
    access.create_token(workspace.sessions, ADMIN, "ana@northwind.example")
    return workspace


def sql(ws: Workspace, statement: str) -> None:
    with ws.engine.begin() as connection:
        connection.execute(text(statement))


def test_every_mutation_is_recorded_in_order(audited: Workspace) -> None:
    records = list(reversed(audit.recent(audited.sessions)))
    assert [(r.seq, r.actor, r.action, r.object) for r in records] == [
        (1, "test:admin", "apply.create", "Theme/ops"),
        (2, "test:admin", "apply.create", "KPI/aht"),
        (3, "test:admin", "apply.create", "Initiative/disputes"),
        (4, "test:admin", "user.create", "User/ana@northwind.example"),
        (5, "test:admin", "token.create", "User/ana@northwind.example"),
    ]
    assert records[2].payload["spec"]["theme"] == "ops"
    assert records[1].prev_hash == records[0].hash
    # The secret never reaches the trail: only the prefix shown to the user.
    assert set(records[4].payload) == {"name", "prefix"}


def test_unchanged_reapply_adds_no_record(audited: Workspace) -> None:
    apply_sources(audited.sessions, [("p.yaml", BASE)], ADMIN)
    assert audit.verify(audited.sessions).count == 5


def test_intact_chain_verifies(audited: Workspace) -> None:
    result = audit.verify(audited.sessions)
    assert (result.ok, result.count) == (True, 5)


def test_altered_payload_names_its_seq(audited: Workspace) -> None:
    sql(audited, "UPDATE audit_record SET actor = 'mallory' WHERE seq = 2")
    result = audit.verify(audited.sessions)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_deleted_record_names_the_gap(audited: Workspace) -> None:
    sql(audited, "DELETE FROM audit_record WHERE seq = 3")
    result = audit.verify(audited.sessions)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def test_reordered_records_are_found(audited: Workspace) -> None:
    """Swap seq numbers 2 and 4 through a temporary value."""
    sql(audited, "UPDATE audit_record SET seq = 100 WHERE seq = 2")
    sql(audited, "UPDATE audit_record SET seq = 2 WHERE seq = 4")
    sql(audited, "UPDATE audit_record SET seq = 4 WHERE seq = 100")
    result = audit.verify(audited.sessions)
    assert (result.ok, result.first_bad_seq) == (False, 2)


def test_removed_tail_is_found_through_the_head(audited: Workspace) -> None:
    sql(audited, "DELETE FROM audit_record WHERE seq = 5")
    result = audit.verify(audited.sessions)
    assert (result.ok, result.first_bad_seq) == (False, 5)


def test_chain_continues_across_transactions(audited: Workspace) -> None:
    access.set_roles(audited.sessions, ADMIN, "ana@northwind.example", ["executive"])
    result = audit.verify(audited.sessions)
    assert (result.ok, result.count) == (True, 6)
