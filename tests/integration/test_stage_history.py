"""The pages' stage history and conversion, from applied initiatives and decided moves."""

from __future__ import annotations

from datetime import UTC, datetime

from scalegate.core.conversion import conversion_by_cohort
from scalegate.gates import service as gates
from scalegate.manifests.service import apply_sources
from scalegate.web.queries import stage_history
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.integration.test_apply import BASE


def test_history_starts_at_creation_and_follows_moves(workspace: Workspace) -> None:
    """BASE creates `disputes` at prove; with no gate policies applied, advancing passes.

    Moves on 10 Jan (prove -> industrialize), 20 Apr (-> adopt) and a step back on 5 May
    (-> industrialize). Created in the present, so it enters the current quarter's cohort
    at creation and converts once it stands at adopt; the later step back does not undo that.
    """
    apply_sources(workspace.sessions, [("base.yaml", BASE)], ADMIN)
    created = stage_history(workspace.sessions)
    assert [(c.initiative, c.stage) for c in created] == [("disputes", "prove")]
    moves = [
        ("industrialize", datetime(2030, 1, 10, tzinfo=UTC), None),
        ("adopt", datetime(2030, 4, 20, tzinfo=UTC), None),
        ("industrialize", datetime(2030, 5, 5, tzinfo=UTC), "rollout paused"),
    ]
    for to, when, why in moves:
        gates.advance(workspace.sessions, ADMIN, "disputes", to, why, as_of=when)
    history = stage_history(workspace.sessions)
    assert [(c.stage, c.at) for c in history[1:]] == [(to, when) for to, when, _ in moves]
    assert history[0].stage == "prove" and history[0].at == created[0].at
    cohorts = conversion_by_cohort(history, datetime(2030, 6, 1, tzinfo=UTC))
    assert [(c.entered, c.converted, c.scaled) for c in cohorts] == [(1, 1, ("disputes",))]
    before_adopt = conversion_by_cohort(history, datetime(2030, 4, 1, tzinfo=UTC))
    assert [(c.entered, c.converted) for c in before_adopt] == [(1, 0)]
