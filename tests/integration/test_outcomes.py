"""KPI evidence and outcome figures on a real workspace, numbers checked by hand."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from scipy import stats

from scalegate.errors import InvalidInput
from scalegate.evidence.service import ingest
from scalegate.gates import service as gates
from scalegate.manifests.service import apply_sources
from scalegate.outcomes.service import outcomes_for
from scalegate.workspace import Workspace
from tests.conftest import ADMIN

AS_OF = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: KPI
metadata: {name: aht}
spec: {title: Average handle time, unit: minutes, direction: down, tier: business}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: disputes}
spec:
  title: Billing disputes
  theme: ops
  stage: prove
  hypotheses:
    - kpi: aht
      baseline: {value: 11.5, at: 2026-03-01}
      target: {value: 9.2, by: 2026-12-31}
"""
SERIES = [
    ("2026-02-27", 11.4),
    ("2026-02-28", 11.6),
    ("2026-11-01", 10.0),
    ("2026-11-10", 9.8),
    ("2026-11-20", 9.6),
]


def kpi_lines(rows: list[tuple[str, float]], group: str | None = None) -> str:
    events = [
        {
            "type": "kpi",
            "kpi": "aht",
            "initiative": "disputes",
            "at": f"{day}T12:00:00Z",
            "value": value,
            **({"group": group} if group else {}),
        }
        for day, value in rows
    ]
    return "\n".join(json.dumps(e) for e in events)


def seed(workspace: Workspace) -> Workspace:
    """The portfolio above with its five handle-time observations."""
    apply_sources(workspace.sessions, [("p.yaml", PORTFOLIO)], ADMIN)
    ingest(workspace.sessions, ADMIN, kpi_lines(SERIES), "jsonl")
    return workspace


@pytest.fixture
def measured(workspace: Workspace) -> Workspace:
    return seed(workspace)


def test_current_progress_and_status(measured: Workspace) -> None:
    """Current = mean(10.0, 9.8, 9.6) = 9.8 over the 28 days to as_of; progress =
    (9.8 - 11.5) / (9.2 - 11.5) = 1.7 / 2.3 = 0.73913; the least-squares line falls
    0.021 min/day and reaches 9.2 before 2026-12-31, so on-track."""
    [h] = outcomes_for(measured.sessions, "disputes", AS_OF)["hypotheses"]
    assert h["current"] == pytest.approx(9.8)
    assert h["progress"] == pytest.approx(1.7 / 2.3)
    assert h["status"] == "on-track"
    assert h["trend_per_day"] == pytest.approx(-3.8 / (180 + 2 / 3), rel=1e-3)
    assert (h["direction"], h["target_date"], h["experiment"]) == ("down", "2026-12-31", None)


def test_before_after_is_a_welch_test(measured: Workspace) -> None:
    """Before (to the end of the baseline day 2026-03-01): 11.4, 11.6 → mean 11.5, s² 0.02.
    After (last 28 days): 10.0, 9.8, 9.6 → mean 9.8, s² 0.04. Δ = -1.7, se = √(0.04/3 +
    0.02/2) = 0.15275, Welch dof = 0.023333² / (0.013333²/2 + 0.01²/1) = 2.8824; p from
    scipy.stats.ttest_ind_from_stats (the published reference implementation)."""
    result = outcomes_for(measured.sessions, "disputes", AS_OF, "absolute")
    comparison = result["hypotheses"][0]["before_after"]
    assert comparison["lift"] == pytest.approx(-1.7)
    assert comparison["se"] == pytest.approx(math.sqrt(0.04 / 3 + 0.02 / 2))
    assert comparison["dof"] == pytest.approx(2.8824, rel=1e-4)
    reference = stats.ttest_ind_from_stats(
        9.8, math.sqrt(0.04), 3, 11.5, math.sqrt(0.02), 2, equal_var=False
    )
    assert comparison["p_value"] == pytest.approx(reference.pvalue)
    assert comparison["verdict"] == "validated"  # handle time went down: the good side


def test_an_experiment_from_summaries(measured: Workspace) -> None:
    """Control n=100, mean 11.5, sd 3 (Σx² = 99·9 + 1150²/100 = 14116); treatment n=100, mean
    10, sd 3 (Σx² = 891 + 10000 = 10891). Absolute Δ = -1.5, se = √(9/100 + 9/100) = 0.42426;
    relative Δ = -1.5 / 11.5 = -0.13043."""
    summaries = [
        {
            "type": "kpi_summary",
            "kpi": "aht",
            "initiative": "disputes",
            "group": group,
            "period_start": "2026-10-01T00:00:00Z",
            "period_end": "2026-10-29T00:00:00Z",
            "n": 100,
            "sum": total,
            "sum_squares": squares,
        }
        for group, total, squares in [("control", 1150, 14116), ("treatment", 1000, 10891)]
    ]
    ingest(measured.sessions, ADMIN, json.dumps(summaries), "json")
    absolute = outcomes_for(measured.sessions, "disputes", AS_OF, "absolute")
    experiment = absolute["hypotheses"][0]["experiment"]
    assert experiment["lift"] == pytest.approx(-1.5)
    assert experiment["se"] == pytest.approx(math.sqrt(0.18))
    assert experiment["verdict"] == "validated"
    assert experiment["srm_p_value"] == pytest.approx(1.0)
    relative = outcomes_for(measured.sessions, "disputes", AS_OF)["hypotheses"][0]["experiment"]
    assert relative["lift"] == pytest.approx(-1.5 / 11.5)


def test_outcomes_feed_the_gate(measured: Workspace) -> None:
    apply_sources(
        measured.sessions,
        [
            (
                "g.yaml",
                (
                    __import__("tests.gates_support", fromlist=["POLICIES"]).POLICIES
                    / "default-gates.yaml"
                ).read_text(),
            )
        ],
        ADMIN,
    )
    check = gates.check(measured.sessions, "disputes", as_of=AS_OF)
    pilot = next(r for r in check.rules if r.name == "pilot-evidence")
    assert pilot.passed  # on-track, with progress 0.74 > 0


def test_kpi_events_are_idempotent_without_ids(measured: Workspace) -> None:
    again = ingest(measured.sessions, ADMIN, kpi_lines(SERIES), "jsonl")
    assert (again.stored, again.duplicates) == (0, 5)


def test_csv_errors_name_row_and_column(measured: Workspace) -> None:
    """Line 1 is the header; rows start at line 2."""
    csv = (
        "kpi,initiative,at,value\n"
        "aht,disputes,2026-11-21T12:00:00Z,9.5\n"
        "aht,disputes,2026-11-22T08:00:00Z,fast\n"
        "aht,disputes,yesterday,9.1\n"
    )
    with pytest.raises(InvalidInput) as caught:
        ingest(measured.sessions, ADMIN, csv, "csv", kind="kpi")
    assert [str(p) for p in caught.value.details] == [
        "3: value: input should be a valid number, unable to parse string as a number",
        "4: at: input should be a valid datetime or date, input is too short",
    ]
    stored = ingest(
        measured.sessions,
        ADMIN,
        csv.splitlines()[0] + "\n" + csv.splitlines()[1],
        "csv",
        kind="kpi",
    )
    assert stored.stored == 1


def test_unknown_kpi_or_initiative_is_refused(measured: Workspace) -> None:
    bad = json.dumps(
        {
            "type": "kpi",
            "kpi": "nps",
            "initiative": "disputes",
            "at": "2026-11-01T00:00:00Z",
            "value": 3,
        }
    )
    with pytest.raises(InvalidInput) as caught:
        ingest(measured.sessions, ADMIN, bad, "jsonl")
    assert [str(p) for p in caught.value.details] == ["1: kpi: no KPI named nps"]
