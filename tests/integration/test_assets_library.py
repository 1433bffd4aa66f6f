"""The asset library on a real workspace: versions, labels by promote, references, export."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from scalegate.access.actor import Actor
from scalegate.assets import service
from scalegate.assets.models import AssetLabel, AssetLabelMove, AssetVersion
from scalegate.audit.models import AuditRecord
from scalegate.audit.service import head_seq
from scalegate.db import transaction
from scalegate.errors import Forbidden, GateBlocked, InvalidInput
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources, export_documents
from scalegate.workspace import Workspace
from tests.assets_support import evaluate
from tests.conftest import ADMIN
from tests.gates_support import POLICIES

THEME = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: disputes}
spec: {title: Billing disputes, theme: ops, stage: govern}
"""


def asset(name: str, body: str, *, kind: str = "prompt", extra: str = "") -> str:
    """An Asset document with an owner and description (so the default policy passes)."""
    return (
        "apiVersion: scalegate.dev/v1\nkind: Asset\n"
        f"metadata: {{name: {name}{extra}}}\n"
        f"spec:\n  type: {kind}\n  title: {name}\n  description: Reusable {kind}\n"
        f"  owner: ana@example.com\n  origin: disputes\n{body}"
    )


@pytest.fixture
def library(workspace: Workspace) -> Workspace:
    apply_sources(workspace.sessions, read_sources([str(POLICIES)]), ADMIN)
    apply_sources(workspace.sessions, [("theme.yaml", THEME)], ADMIN)
    return workspace


def versions(ws: Workspace, name: str) -> list[tuple[int, str | None]]:
    found = service.detail(ws.sessions, name)["versions"]
    return [(v["version"], v["change"]) for v in found]


def test_identical_content_makes_no_new_version_and_changed_content_does(
    library: Workspace, tmp_path: Path
) -> None:
    """contentFrom is read relative to the YAML file; v2 carries its change message."""
    (tmp_path / "prompts").mkdir()
    text = tmp_path / "prompts" / "dispute.txt"
    text.write_text("Summarise the dispute for {{customer}}.\n")
    doc = tmp_path / "assets.yaml"
    body = "  contentFrom: {file: prompts/dispute.txt}\n"
    doc.write_text(asset("dispute-prompt", body))
    first = apply_sources(library.sessions, read_sources([str(doc)]), ADMIN)
    again = apply_sources(library.sessions, read_sources([str(doc)]), ADMIN)
    assert [c.action for c in first.changes] == ["created"]
    assert [c.action for c in again.changes] == ["unchanged"]
    assert versions(library, "dispute-prompt") == [(1, None)]

    # A new description alone is an update but not a new version.
    doc.write_text(asset("dispute-prompt", body).replace("Reusable prompt", "The prompt"))
    assert apply_sources(library.sessions, read_sources([str(doc)]), ADMIN).changes[0].action == (
        "updated"
    )
    assert versions(library, "dispute-prompt") == [(1, None)]

    text.write_text("Summarise the dispute for {{customer}} in three bullets.\n")
    change = ", annotations: {scalegate.dev/change: three bullets}"
    doc.write_text(asset("dispute-prompt", body, extra=change))
    apply_sources(library.sessions, read_sources([str(doc)]), ADMIN)
    assert versions(library, "dispute-prompt") == [(1, None), (2, "three bullets")]
    old = service.version_content(library.sessions, "dispute-prompt", 1)
    assert old["content"] == "Summarise the dispute for {{customer}}.\n"
    assert old["createdBy"] == ADMIN.name
    diff = service.diff(library.sessions, "dispute-prompt", 1, 2)["diff"]
    assert "-Summarise the dispute for {{customer}}.\n" in diff
    assert "+Summarise the dispute for {{customer}} in three bullets.\n" in diff


def test_labels_move_only_by_promote_and_every_move_is_audited(library: Workspace) -> None:
    apply_sources(library.sessions, [("a.yaml", asset("p", "  content: one\n"))], ADMIN)
    apply_sources(library.sessions, [("a.yaml", asset("p", "  content: two\n"))], ADMIN)
    # apply has no way to set a label: metadata.labels is refused, not ignored
    with pytest.raises(InvalidInput) as refused:
        apply_sources(
            library.sessions,
            [("a.yaml", asset("p", "  content: two\n", extra=", labels: {production: '1'}"))],
            ADMIN,
        )
    assert str(refused.value.details[0]) == "a.yaml:3: Asset/p: metadata.labels: unknown field"

    platform = Actor("pat@example.com", frozenset({"platform"}))
    evaluate(library.sessions, "disputes", "p@1", "p@2")
    service.promote(library.sessions, platform, "p", 1, "production", "first release")
    moved = service.promote(library.sessions, platform, "p", 2, "production", "fixes tone")
    assert (moved["from"], moved["to"]) == (1, 2)
    assert service.detail(library.sessions, "p")["labels"] == {"production": 2, "latest": 2}
    history = service.history(library.sessions, "p")
    assert [(h["from"], h["to"], h["by"], h["rationale"]) for h in history] == [
        (None, 1, "pat@example.com", "first release"),
        (1, 2, "pat@example.com", "fixes tone"),
    ]
    with transaction(library.sessions) as session:
        record = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.action == "asset.promote")
            .order_by(AuditRecord.seq.desc())
        ).first()
        assert record is not None
        assert (record.actor, record.object) == ("pat@example.com", "Asset/p")
        assert (record.payload["from"], record.payload["to"]) == (1, 2)
        assert record.payload["rationale"] == "fixes tone"

    viewer = Actor("vic@example.com", frozenset({"viewer"}))
    with pytest.raises(Forbidden):
        service.promote(library.sessions, viewer, "p", 1, "staging", "try")
    with pytest.raises(InvalidInput):
        service.promote(library.sessions, platform, "p", 1, "latest", "latest moves by itself")
    with pytest.raises(InvalidInput):
        service.promote(library.sessions, platform, "p", 3, "staging", "no such version")


def test_a_promote_the_policy_refuses_changes_nothing(library: Workspace) -> None:
    """An interface without content or artifact, and no owner: two blocking rules fail."""
    bare = (
        "apiVersion: scalegate.dev/v1\nkind: Asset\nmetadata: {name: api}\n"
        "spec: {type: interface, title: Dispute API}\n"
    )
    apply_sources(library.sessions, [("a.yaml", bare)], ADMIN)
    before = head_seq(library.sessions)
    with pytest.raises(GateBlocked) as refused:
        service.promote(library.sessions, ADMIN, "api", 1, "production", "ship it")
    assert sorted(p.path for p in refused.value.details) == [
        "production-promotion/description-written",
        "production-promotion/interface-has-specification",
        "production-promotion/owner-named",
    ]
    assert head_seq(library.sessions) == before
    with transaction(library.sessions) as session:
        assert session.scalar(select(func.count()).select_from(AssetLabel)) == 0
        assert session.scalar(select(func.count()).select_from(AssetLabelMove)) == 0
    # staging is not governed by the default policy
    service.promote(library.sessions, ADMIN, "api", 1, "staging", "try it out")
    assert service.detail(library.sessions, "api")["labels"] == {"staging": 1, "latest": 1}


def test_controls_may_promote_policies_but_not_prompts(library: Workspace) -> None:
    docs = asset("pii", "  content: redact\n", kind="policy") + "---\n"
    docs += asset("p", "  content: hello\n")
    apply_sources(library.sessions, [("a.yaml", docs)], ADMIN)
    controls = Actor("cleo@example.com", frozenset({"controls"}))
    service.promote(library.sessions, controls, "pii", 1, "production", "reviewed")
    with pytest.raises(Forbidden):
        service.promote(library.sessions, controls, "p", 1, "production", "not ours")


USES = """\
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {{name: triage}}
spec:
  title: Ticket triage
  theme: ops
  stage: adopt
  uses:
    - {{asset: p, label: production}}
    - {uses}
"""


def test_references_are_checked_with_file_and_line(library: Workspace) -> None:
    docs = asset("p", "  content: one\n") + "---\n" + asset("old", "  content: x\n")
    apply_sources(library.sessions, [("a.yaml", docs)], ADMIN)

    def problems(use: str) -> list[str]:
        with pytest.raises(InvalidInput) as refused:
            apply_sources(library.sessions, [("i.yaml", USES.format(uses=use))], ADMIN)
        return [str(p) for p in refused.value.details]

    assert problems("{asset: nope, label: production}") == [
        "i.yaml:10: Initiative/triage: spec.uses[1].asset: Asset/nope does not exist"
    ]
    assert problems("{asset: old, version: 4}") == [
        "i.yaml:10: Initiative/triage: spec.uses[1].asset: Asset/old has no version 4 (latest is 1)"
    ]
    assert problems("{asset: old, version: 1, label: latest}") == [
        "i.yaml:10: Initiative/triage: spec.uses[1]: give exactly one of version and label"
    ]
    # a use that waits for a production label is applied with a warning
    result = apply_sources(
        library.sessions, [("i.yaml", USES.format(uses="{asset: old, version: 1}"))], ADMIN
    )
    assert [str(w) for w in result.warnings] == [
        "i.yaml:9: Initiative/triage: spec.uses[0].asset: Asset/p has no production label "
        "yet; the use resolves once a version is promoted to production"
    ]


def test_retired_assets_are_errors_and_deprecated_ones_warnings(library: Workspace) -> None:
    docs = asset("p", "  content: one\n") + "---\n"
    docs += asset("old", "  content: x\n  lifecycle: deprecated\n") + "---\n"
    docs += asset("gone", "  content: y\n  lifecycle: retired\n")
    apply_sources(library.sessions, [("a.yaml", docs)], ADMIN)
    evaluate(library.sessions, "disputes", "p@1")
    service.promote(library.sessions, ADMIN, "p", 1, "production", "ok")
    with pytest.raises(InvalidInput) as refused:
        apply_sources(
            library.sessions, [("i.yaml", USES.format(uses="{asset: gone, version: 1}"))], ADMIN
        )
    assert [str(p) for p in refused.value.details] == [
        "i.yaml:10: Initiative/triage: spec.uses[1].asset: Asset/gone is retired; "
        "choose another asset"
    ]
    result = apply_sources(
        library.sessions, [("i.yaml", USES.format(uses="{asset: old, version: 1}"))], ADMIN
    )
    assert [str(w) for w in result.warnings] == [
        "i.yaml:10: Initiative/triage: spec.uses[1].asset: Asset/old is deprecated"
    ]
    with pytest.raises(InvalidInput):
        service.promote(library.sessions, ADMIN, "gone", 1, "production", "revive")


def test_export_round_trips_content_from_files_and_artifacts(
    library: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "playbook.md").write_text("# Launch checklist\n\n- [ ] change plan signed\n")
    digest = "9f" * 32
    docs = asset("launch", "  contentFrom: {file: playbook.md}\n", kind="playbook") + "---\n"
    docs += asset(
        "api",
        f"  artifact: {{url: 'https://example.com/api.yaml', sha256: {digest}}}\n",
        kind="interface",
    )
    (tmp_path / "assets.yaml").write_text(docs)
    apply_sources(library.sessions, read_sources([str(tmp_path / "assets.yaml")]), ADMIN)
    exported = export_documents(library.sessions, ["Asset"])
    by_name = {d["metadata"]["name"]: d["spec"] for d in exported}
    assert by_name["launch"]["content"] == "# Launch checklist\n\n- [ ] change plan signed\n"
    assert by_name["api"]["artifact"] == {"url": "https://example.com/api.yaml", "sha256": digest}
    text = yaml.safe_dump_all(exported)
    again = apply_sources(library.sessions, [("export.yaml", text)], ADMIN)
    assert {c.action for c in again.changes} == {"unchanged"}
    # ... and the file form still reads as unchanged after the export was applied
    again = apply_sources(library.sessions, read_sources([str(tmp_path / "assets.yaml")]), ADMIN)
    assert {c.action for c in again.changes} == {"unchanged"}
    with transaction(library.sessions) as session:
        assert session.scalar(select(func.count()).select_from(AssetVersion)) == 2


def test_content_from_problems_name_the_file_and_line(library: Workspace, tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * (1024 * 1024 + 1))
    (tmp_path / "binary.bin").write_bytes(b"\xff\xfe\x00")
    docs = asset("a", "  contentFrom: {file: missing.txt}\n") + "---\n"
    docs += asset("b", "  contentFrom: {file: big.txt}\n") + "---\n"
    docs += asset("c", "  contentFrom: {file: binary.bin}\n")
    (tmp_path / "assets.yaml").write_text(docs)
    with pytest.raises(InvalidInput) as refused:
        apply_sources(library.sessions, read_sources([str(tmp_path / "assets.yaml")]), ADMIN)
    found = [str(p) for p in refused.value.details]
    source = str(tmp_path / "assets.yaml")
    assert found[0].startswith(f"{source}:10: Asset/a: spec.contentFrom.file: cannot read ")
    assert found[1] == (
        f"{source}:21: Asset/b: spec.contentFrom.file: {tmp_path / 'big.txt'} is 1,048,577 "
        "bytes; contentFrom takes text up to 1 MiB"
    )
    assert found[2] == (
        f"{source}:32: Asset/c: spec.contentFrom.file: {tmp_path / 'binary.bin'} is not UTF-8 "
        "text; use artifact: {url, sha256} for binary content"
    )
    assert service.library(library.sessions)["total"] == 0


def test_a_diff_keeps_last_lines_without_a_newline_apart(library: Workspace) -> None:
    apply_sources(
        library.sessions, [("a.yaml", asset("p", "  content: |-\n    a\n    b\n"))], ADMIN
    )
    apply_sources(
        library.sessions, [("a.yaml", asset("p", "  content: |-\n    a\n    c\n"))], ADMIN
    )
    assert service.diff(library.sessions, "p", 1, 2)["diff"] == (
        "--- p@1\n+++ p@2\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
    )


def test_a_prompt_reaches_production_only_on_a_passing_run_of_that_version(
    library: Workspace,
) -> None:
    """evaluated-before-production: no run → refused; a run of v1 does not count for v2; 30 of
    40 passing (Wilson lower bound 0.596) is refused; 40 of 40 (0.912) is allowed."""
    apply_sources(library.sessions, [("a.yaml", asset("p", "  content: one\n"))], ADMIN)
    apply_sources(library.sessions, [("a.yaml", asset("p", "  content: two\n"))], ADMIN)

    def refusal() -> str:
        with pytest.raises(GateBlocked) as refused:
            service.promote(library.sessions, ADMIN, "p", 2, "production", "ship v2")
        (problem,) = refused.value.details
        assert problem.path == "evaluated-before-production/evaluated-version-passes"
        return problem.message

    assert refusal() == "No fresh evaluation run names p@2"
    evaluate(library.sessions, "disputes", "p@1")
    assert refusal() == "No fresh evaluation run names p@2"
    evaluate(library.sessions, "disputes", "p@2", passed=30, failed=10)
    assert refusal().startswith(
        "The evaluation of p@2 does not pass: 40 cases, 0 errored, 95 % lower bound 0.59"
    )
    evaluate(library.sessions, "disputes", "p@2", passed=40)
    moved = service.promote(library.sessions, ADMIN, "p", 2, "production", "ship v2")
    assert moved["to"] == 2
    assert "evaluated-before-production" in moved["evaluation"]["policies"]
