"""The pages' one-read figures equal the per-initiative services, on SQLite and PostgreSQL.

`dora_portfolio_and_initiatives` and `outcomes_by_initiative` read the evidence once for many
initiatives, `check_and_readiness` evaluates the gates once for both; every figure must equal
`dora_for`, `outcomes_for`, `check` and `readiness` of each one.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench import dora as dora_bench
from scalegate.evidence.metrics import Scope, dora_for, dora_portfolio_and_initiatives
from scalegate.evidence.service import ingest
from scalegate.gates import service as gates
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.outcomes.service import outcomes_by_initiative, outcomes_for
from scalegate.workspace import Workspace
from tests.conftest import ADMIN

# Initiative -> services: shared services, a service no one owns (svc-009), one with none.
OWNED = {
    "alpha": ["svc-000", "svc-001"],
    "beta": ["svc-001", "svc-002", "svc-003"],
    "gamma": ["svc-004", "svc-005", "svc-006", "svc-007"],
    "delta": ["svc-008"],
    "epsilon": [],
}
PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: KPI
metadata: {name: handle-time}
spec: {title: Handle time, unit: minutes, direction: down}
---
apiVersion: scalegate.dev/v1
kind: KPI
metadata: {name: adoption}
spec: {title: Adoption, unit: "%", direction: up}
"""


def _initiative(name: str, services: list[str], stage: str) -> str:
    return f"""---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {{name: {name}}}
spec:
  title: {name.capitalize()}
  theme: ops
  stage: {stage}
  services: {json.dumps(services)}
  hypotheses:
    - kpi: handle-time
      baseline: {{value: 12, at: 2026-05-01}}
      target: {{value: 9, by: 2027-03-01}}
    - {{kpi: adoption, baseline: {{value: 10, at: 2026-06-01}}, target: {{value: 60}}}}
"""


def _workspace(workspace: Workspace) -> Workspace:
    stages = ["define", "prove", "industrialize", "adopt", "define"]
    text = PORTFOLIO + "".join(
        _initiative(name, services, stage)
        for (name, services), stage in zip(OWNED.items(), stages, strict=True)
    )
    apply_sources(workspace.sessions, [("p.yaml", text)], ADMIN)
    return workspace


def _tagged_delivery() -> str:
    """bench.dora's events over 10 services; a fifth of them name an initiative outright."""
    rng = random.Random(7)
    data = dora_bench.generate(600, 3000, 80, 10, seed=3)
    lines = []
    for line in data.text.splitlines():
        event = json.loads(line)
        if rng.random() < 0.2:
            event["initiative"] = rng.choice(list(OWNED))
        lines.append(json.dumps(event))
    return "\n".join(lines)


def test_dora_for_many_equals_dora_for_each(workspace: Workspace) -> None:
    ws = _workspace(workspace)
    result = ingest(ws.sessions, ADMIN, _tagged_delivery(), "jsonl")
    assert result.stored == 680
    end = dora_bench.END
    for days in (7, 90, 730):
        start = end - timedelta(days=days - 1)
        portfolio, each = dora_portfolio_and_initiatives(ws.sessions, OWNED, start, end)
        assert portfolio == dora_for(ws.sessions, Scope("portfolio"), start, end)
        assert set(each) == set(OWNED)
        for name in OWNED:
            assert each[name] == dora_for(ws.sessions, Scope("initiative", name), start, end)
        assert each["alpha"]["deployments"] > 0


def test_outcomes_for_many_equals_outcomes_for_each(workspace: Workspace) -> None:
    ws = _workspace(workspace)
    rng = random.Random(11)
    as_of = datetime(2026, 11, 22, 12, tzinfo=UTC)
    events = []
    for name in OWNED:
        for week in range(40):
            at = as_of - timedelta(days=7 * week, hours=rng.randint(0, 5))
            for kpi, level in (("handle-time", 12.0 - week / 20), ("adoption", 10 + week)):
                group = rng.choice([None, None, "treatment", "control"])
                event = {"type": "kpi", "kpi": kpi, "initiative": name, "at": at.isoformat()}
                event["value"] = round(level + rng.gauss(0, 1), 3)
                if group:
                    event["group"] = group
                events.append(event)
    for group, mean in (("control", 11.0), ("treatment", 9.5)):
        events.append(
            {
                "type": "kpi_summary",
                "kpi": "handle-time",
                "initiative": "beta",
                "group": group,
                "period_start": "2026-10-01T00:00:00Z",
                "period_end": "2026-10-29T00:00:00Z",
                "n": 900,
                "sum": 900 * mean,
                "sum_squares": 899 * 9.0 + 900 * mean * mean,
            }
        )
    ingest(ws.sessions, ADMIN, "\n".join(json.dumps(e) for e in events), "jsonl")
    gates.advance(ws.sessions, ADMIN, "alpha", "prove", as_of=as_of - timedelta(days=100))
    many = outcomes_by_initiative(ws.sessions, list(OWNED), as_of)
    for name in OWNED:
        assert many[name] == outcomes_for(ws.sessions, name, as_of)
    assert many["beta"]["hypotheses"][0]["experiment"] is not None


def test_check_and_readiness_equal_check_and_readiness(workspace: Workspace) -> None:
    policies = Path(gates.__file__).resolve().parents[1] / "policies"
    apply_sources(workspace.sessions, read_sources([str(policies)]), ADMIN)
    ws = _workspace(workspace)
    ingest(ws.sessions, ADMIN, _tagged_delivery(), "jsonl")
    as_of = datetime(2026, 11, 22, 12, tzinfo=UTC)
    gates.sign_off(
        ws.sessions, ADMIN, "gamma", "security-review", "https://x.example/s", as_of=as_of
    )
    gates.waive(
        ws.sessions, ADMIN, "beta", ["pilot-evidence"], date(2026, 12, 1), "soon", as_of=as_of
    )
    for name in OWNED:
        check, profile = gates.check_and_readiness(ws.sessions, name, as_of)
        assert check is not None
        assert check.as_dict() == gates.check(ws.sessions, name, as_of=as_of).as_dict()
        assert profile == gates.readiness(ws.sessions, name, as_of)
    assert any(r.waived for r in gates.check_and_readiness(ws.sessions, "beta", as_of)[0].rules)
