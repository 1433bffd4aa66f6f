"""`apply`: idempotent, all or nothing, problems as FILE:LINE: kind/name: path: message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from scalegate.errors import InvalidInput
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources, export_documents
from scalegate.portfolio.models import Hypothesis, Initiative, Theme
from scalegate.settings import Settings
from scalegate.workspace import Workspace, open_workspace
from tests.conftest import ADMIN, EXAMPLES

BASE = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: KPI
metadata: {name: aht}
spec: {title: Average handle time, unit: minutes, direction: down}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: disputes}
spec:
  title: Billing disputes
  theme: ops
  stage: prove
  scores: {value: 5, feasibility: 4, risk: 3, scalePotential: 4}
  hypotheses:
    - kpi: aht
      baseline: {value: 11.5, at: 2026-03-01}
      target: {value: 9.2, by: 2026-12-31}
"""


def apply(ws: Workspace, text: str, name: str = "p.yaml", **options: bool) -> dict[str, int]:
    return apply_sources(ws.sessions, [(name, text)], ADMIN, **options).totals()


def problems_of(ws: Workspace, text: str, name: str = "p.yaml", **options: bool) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        apply_sources(ws.sessions, [(name, text)], ADMIN, **options)
    return [str(p) for p in caught.value.details]


def count(ws: Workspace, model: type) -> int:
    with ws.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_create_then_reapply_is_unchanged_then_update(workspace: Workspace) -> None:
    assert apply(workspace, BASE) == {"created": 3, "updated": 0, "unchanged": 0, "deleted": 0}
    assert apply(workspace, BASE) == {"created": 0, "updated": 0, "unchanged": 3, "deleted": 0}
    changed = BASE.replace("title: Billing disputes", "title: Billing dispute assistant")
    assert apply(workspace, changed) == {"created": 0, "updated": 1, "unchanged": 2, "deleted": 0}
    with workspace.sessions() as session:
        row = session.scalars(select(Initiative)).one()
        assert (row.title, row.score_risk, row.hypotheses[0].target_value) == (
            "Billing dispute assistant",
            3,
            9.2,
        )


def test_apply_never_moves_a_stage(workspace: Workspace) -> None:
    """Line 17 of BASE holds the stage."""
    apply(workspace, BASE)
    assert problems_of(workspace, BASE.replace("stage: prove", "stage: adopt")) == [
        "p.yaml:17: Initiative/disputes: spec.stage: is prove in the workspace; stage changes go "
        "through `scalegate advance` so that the gates apply"
    ]


def test_dry_run_reports_and_writes_nothing(workspace: Workspace) -> None:
    result = apply(workspace, BASE, dry_run=True)
    assert result == {"created": 3, "updated": 0, "unchanged": 0, "deleted": 0}
    assert count(workspace, Initiative) == 0
    assert count(workspace, Theme) == 0


def test_prune_deletes_objects_of_applied_kinds_no_longer_mentioned(workspace: Workspace) -> None:
    extra = (
        BASE
        + """\
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: triage}
spec: {title: Ticket triage, theme: ops, stage: define}
"""
    )
    apply(workspace, extra)
    only_initiatives = BASE.split("---\n")[2]
    # Without --prune nothing goes away; with it, only the Initiative kind is pruned.
    assert apply(workspace, only_initiatives)["deleted"] == 0
    assert apply(workspace, only_initiatives, prune=True) == {
        "created": 0,
        "updated": 0,
        "unchanged": 1,
        "deleted": 1,
    }
    assert count(workspace, Initiative) == 1
    assert count(workspace, Theme) == 1


def test_prune_refuses_to_orphan_a_kept_object(workspace: Workspace) -> None:
    apply(workspace, BASE)
    other_theme = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: people}
spec: {title: People}
"""
    assert problems_of(workspace, other_theme, prune=True) == [
        "Initiative/disputes (in the workspace): spec.theme: "
        "Theme/ops would be deleted but is still used here"
    ]
    assert count(workspace, Theme) == 1


def test_every_kind_of_problem_is_reported_at_once_and_nothing_is_applied(
    workspace: Workspace,
) -> None:
    """Lines counted by hand in the text below."""
    bad = (
        BASE
        + """\
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: broken}
spec:
  title: Broken
  theme: nowhere
  stage: piloting
  riskTier: extreme
  scores: {value: 7}
  dataClasses: [secret]
  hypotheses:
    - kpi: nothing
  colour: red
---
apiVersion: scalegate.dev/v1
kind: Widget
metadata: {name: w}
spec: {}
---
apiVersion: scalegate.dev/v1
kind: KPI
metadata: {name: no-title}
spec: {direction: sideways}
---
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Again}
"""
    )
    assert problems_of(workspace, bad) == [
        "p.yaml:29: Initiative/broken: spec.theme: Theme/nowhere does not exist",
        "p.yaml:30: Initiative/broken: spec.stage: input should be 'define', 'prove', "
        "'industrialize', 'adopt', 'govern', 'expand' or 'retired'",
        "p.yaml:31: Initiative/broken: spec.riskTier: input should be 'low', 'medium', 'high' "
        "or 'critical'",
        "p.yaml:32: Initiative/broken: spec.scores.value: input should be less than or equal to 5",
        "p.yaml:33: Initiative/broken: spec.dataClasses[0]: input should be 'public', "
        "'internal', 'confidential' or 'restricted'",
        "p.yaml:35: Initiative/broken: spec.hypotheses[0].kpi: KPI/nothing does not exist",
        "p.yaml:36: Initiative/broken: spec.colour: unknown field",
        "p.yaml:39: Widget/w: kind: unknown kind 'Widget' for apiVersion 'scalegate.dev/v1' "
        "(known: DecisionRights, Theme, KPI, Rubric, Model, Asset, Initiative, GatePolicy, "
        "AssetPolicy)",
        "p.yaml:46: KPI/no-title: spec.title: required field is missing",
        "p.yaml:46: KPI/no-title: spec.direction: input should be 'up' or 'down'",
        "p.yaml:50: Theme/ops: metadata.name: duplicate name: also defined at p.yaml:3",
    ]
    assert count(workspace, Initiative) == 0
    assert count(workspace, Theme) == 0


def test_malformed_yaml_in_one_file_stops_the_others(workspace: Workspace) -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_sources(workspace.sessions, [("good.yaml", BASE), ("bad.yaml", "a: [1,\n")], ADMIN)
    [problem] = [str(p) for p in caught.value.details]
    # libyaml and pure-Python PyYAML word the rest differently.
    assert problem.startswith("bad.yaml:2: malformed YAML: while parsing a flow node")
    assert count(workspace, Theme) == 0


def test_envelope_problems(workspace: Workspace) -> None:
    text = """\
kind: Theme
metadata: {name: Not A Slug}
spec: {title: X}
---
apiVersion: scalegate.dev/v1
kind: Rubric
metadata: {name: other}
spec: {weights: {value: 0}}
---
- just a list
"""
    assert problems_of(workspace, text) == [
        "p.yaml:1: Theme/Not A Slug: apiVersion: required field is missing",
        "p.yaml:2: Theme/Not A Slug: metadata.name: must be a lowercase slug: a-z, 0-9 and '-', "
        "at most 63 characters",
        "p.yaml:7: Rubric/other: metadata.name: the rubric must be named 'default'",
        "p.yaml:8: Rubric/other: spec.weights.value: input should be greater than 0",
        "p.yaml:10: a document must be a mapping",
    ]


def test_only_name_title_theme_and_stage_are_required(workspace: Workspace) -> None:
    minimal = (
        BASE.split("---\n")[0]
        + """\
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: idea}
spec: {title: An idea, theme: ops, stage: define}
"""
    )
    assert apply(workspace, minimal)["created"] == 2


def test_export_round_trips_the_demo_portfolio(workspace: Workspace, tmp_path: Path) -> None:
    """Re-applying an export changes nothing; applying it to a new SQLite file rebuilds it."""
    first = apply_sources(workspace.sessions, read_sources([str(EXAMPLES)]), ADMIN).totals()
    assert first["created"] >= 12 + 4
    exported = export_documents(workspace.sessions)
    text = yaml.safe_dump_all(exported, sort_keys=False)
    again = apply(workspace, text, "export.yaml")
    assert again == {"created": 0, "updated": 0, "unchanged": len(exported), "deleted": 0}
    # Pruning with the export as the whole truth deletes nothing either.
    assert apply(workspace, text, "export.yaml", prune=True)["deleted"] == 0

    fresh = open_workspace(Settings(database_url=str(tmp_path / "copy.db")))
    fresh.upgrade()
    assert apply(fresh, text, "export.yaml")["created"] == len(exported)
    assert export_documents(fresh.sessions) == exported


def test_hypotheses_are_replaced_not_appended(workspace: Workspace) -> None:
    apply(workspace, BASE)
    apply(workspace, BASE.replace("      target: {value: 9.2, by: 2026-12-31}\n", ""))
    with workspace.sessions() as session:
        rows = session.scalars(select(Hypothesis)).all()
        assert [(h.baseline_value, h.target_value) for h in rows] == [(11.5, None)]
