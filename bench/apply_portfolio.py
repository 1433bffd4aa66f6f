"""Benchmark: apply a generated portfolio, re-apply it, and compare with a Core bulk insert.

Run with `uv run python -m bench.apply_portfolio [--initiatives N]`. Prints one JSON object on
stdout; progress goes to stderr. See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import insert, select

from bench.harness import (
    BenchmarkError,
    Skipped,
    add_seed_and_databases,
    emit,
    fresh_database,
    machine,
    positive_int,
    progress,
    timed,
    upgraded_workspace,
)
from scalegate.access.actor import Actor
from scalegate.manifests.service import apply_sources
from scalegate.portfolio.models import KPI, Hypothesis, Initiative, Theme
from scalegate.workspace import Workspace

API_VERSION = "scalegate.dev/v1"
SOURCE = "bench-portfolio.yaml"
ACTOR = Actor("bench:admin", frozenset({"admin"}))
DEFAULT_INITIATIVES = 5000

THEMES = ("customer-operations", "employee-productivity", "risk-and-underwriting", "content")
KPIS = (
    ("average-handle-time", "minutes", "down", "business", "operational", "lagging"),
    ("first-contact-resolution", "%", "up", "business", "outcome", "lagging"),
    ("ticket-misroute-rate", "%", "down", "business", "operational", "leading"),
    ("weekly-active-share", "%", "up", "business", "adoption", "leading"),
    ("cost-per-transaction", "EUR", "down", "business", "economics", "lagging"),
    ("suggestion-acceptance-rate", "%", "up", "business", "trust", "leading"),
    ("deployment-frequency", "deploys/week", "up", "delivery", "operational", "leading"),
    ("lead-time-for-changes", "hours", "down", "delivery", "operational", "lagging"),
    ("change-failure-rate", "%", "down", "delivery", "trust", "lagging"),
    ("service-availability", "%", "up", "reliability", "operational", "lagging"),
)
STAGES = ("define", "prove", "industrialize", "adopt", "govern", "expand", "retired")
RISK_TIERS = ("low", "medium", "high", "critical")
DATA_CLASSES = ("public", "internal", "confidential", "restricted")
PEOPLE = tuple(
    f"{first}.{last}@northwind.example"
    for first, last in (
        ("maria", "santos"),
        ("tom", "becker"),
        ("priya", "nair"),
        ("aisha", "khan"),
        ("daniel", "okafor"),
        ("sofia", "rossi"),
        ("laura", "martin"),
        ("ben", "carter"),
        ("felix", "wagner"),
        ("lukas", "meyer"),
    )
)
OWNER_ROLES = ("sponsor", "outcome", "platform", "risk", "measurement", "service")


def _document(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def _theme_spec(index: int, name: str) -> dict[str, Any]:
    return {
        "title": name.replace("-", " ").capitalize(),
        "description": f"Benchmark theme {index}: work grouped under {name.replace('-', ' ')}.",
        "owner": PEOPLE[index % len(PEOPLE)],
    }


def _kpi_spec(index: int, kpi: tuple[str, ...]) -> dict[str, Any]:
    name, unit, direction, tier, layer, kind = kpi
    return {
        "title": name.replace("-", " ").capitalize(),
        "unit": unit,
        "direction": direction,
        "tier": tier,
        "layer": layer,
        "kind": kind,
        "owner": PEOPLE[index % len(PEOPLE)],
        "description": f"Benchmark KPI {index}, measured weekly from the team's extracts.",
    }


def _initiative_spec(rng: random.Random, index: int) -> dict[str, Any]:
    hypotheses = []
    for kpi in rng.sample(KPIS, rng.randint(1, 2)):
        at = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
        hypotheses.append(
            {
                "kpi": kpi[0],
                "baseline": {"value": round(rng.uniform(1, 100), 2), "at": at},
                "target": {
                    "value": round(rng.uniform(1, 100), 2),
                    "by": at + timedelta(days=rng.randrange(90, 540)),
                },
            }
        )
    return {
        "title": f"Benchmark initiative {index}",
        "theme": rng.choice(THEMES),
        "stage": rng.choice(STAGES),
        "riskTier": rng.choice(RISK_TIERS),
        "outcome": {
            "user": f"Agents of team {index % 97} handling case type {index % 13}",
            "task": f"Resolve a case of type {index % 13} in one contact",
            "result": f"{rng.randint(5, 40)}% lower handle time, higher first-contact resolution",
            "constraints": "No customer data leaves the EU; the agent stays accountable",
        },
        "owners": {role: rng.choice(PEOPLE) for role in OWNER_ROLES},
        "scores": {
            "value": rng.randint(1, 5),
            "feasibility": rng.randint(1, 5),
            "risk": rng.randint(1, 5),
            "scalePotential": rng.randint(1, 5),
        },
        "hypotheses": hypotheses,
        "services": [f"service-{index}-api", f"connector-{index % 50}"][: rng.randint(1, 2)],
        "dataClasses": sorted(rng.sample(DATA_CLASSES, rng.randint(1, 2)), key=DATA_CLASSES.index),
        "targetCohortSize": rng.randint(5, 2000),
        "capacity": round(rng.uniform(0.5, 40), 1),
    }


@dataclass
class Portfolio:
    """A generated portfolio: the YAML text apply reads and the rows a bulk insert writes."""

    text: str
    objects: int
    theme_rows: list[dict[str, Any]]
    kpi_rows: list[dict[str, Any]]
    # (theme name, row without theme_id)
    initiative_rows: list[tuple[str, dict[str, Any]]]
    # (initiative name, kpi name, row without initiative_id and kpi_id)
    hypothesis_rows: list[tuple[str, str, dict[str, Any]]]

    @property
    def hypotheses(self) -> int:
        return len(self.hypothesis_rows)


def generate(initiatives: int, seed: int) -> Portfolio:
    """4 themes, 10 KPIs and `initiatives` initiatives with every spec field filled."""
    rng = random.Random(seed)
    themes = {name: _theme_spec(i, name) for i, name in enumerate(THEMES)}
    kpis = {kpi[0]: _kpi_spec(i, kpi) for i, kpi in enumerate(KPIS)}
    width = len(str(initiatives))
    inits = {
        f"initiative-{i:0{width}d}": _initiative_spec(rng, i) for i in range(1, initiatives + 1)
    }
    documents = [
        *(_document("Theme", n, s) for n, s in themes.items()),
        *(_document("KPI", n, s) for n, s in kpis.items()),
        *(_document("Initiative", n, s) for n, s in inits.items()),
    ]
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump_all(documents, Dumper=dumper, sort_keys=False, width=120)

    # The rows apply writes (see scalegate/portfolio/kinds.py); the specs above are already
    # in canonical form, which the dry-run check after the bulk insert confirms.
    now = datetime.now(UTC)
    theme_rows = [{"name": n, **s} for n, s in themes.items()]
    kpi_rows = [{"name": n, **s} for n, s in kpis.items()]
    initiative_rows = []
    hypothesis_rows = []
    for name, spec in inits.items():
        scores = spec["scores"]
        row = {
            "name": name,
            "title": spec["title"],
            "stage": spec["stage"],
            "risk_tier": spec["riskTier"],
            "outcome": spec["outcome"],
            "owners": spec["owners"],
            "score_value": scores["value"],
            "score_feasibility": scores["feasibility"],
            "score_risk": scores["risk"],
            "score_scale_potential": scores["scalePotential"],
            "services": spec["services"],
            "data_classes": spec["dataClasses"],
            "target_cohort_size": spec["targetCohortSize"],
            "capacity": spec["capacity"],
            "created_at": now,
            "updated_at": now,
        }
        initiative_rows.append((spec["theme"], row))
        for position, h in enumerate(spec["hypotheses"]):
            hypothesis_row = {
                "position": position,
                "baseline_value": h["baseline"]["value"],
                "baseline_at": h["baseline"]["at"],
                "target_value": h["target"]["value"],
                "target_by": h["target"]["by"],
            }
            hypothesis_rows.append((name, h["kpi"], hypothesis_row))
    return Portfolio(text, len(documents), theme_rows, kpi_rows, initiative_rows, hypothesis_rows)


def bulk_insert(ws: Workspace, portfolio: Portfolio) -> None:
    """The reference: plain Core bulk inserts of the same rows, in one transaction."""
    with ws.sessions() as session, session.begin():
        session.execute(insert(Theme), portfolio.theme_rows)
        session.execute(insert(KPI), portfolio.kpi_rows)
        theme_ids = dict(session.execute(select(Theme.name, Theme.id)).all())
        kpi_ids = dict(session.execute(select(KPI.name, KPI.id)).all())
        session.execute(
            insert(Initiative),
            [{**row, "theme_id": theme_ids[theme]} for theme, row in portfolio.initiative_rows],
        )
        initiative_ids = dict(session.execute(select(Initiative.name, Initiative.id)).all())
        session.execute(
            insert(Hypothesis),
            [
                {**row, "initiative_id": initiative_ids[name], "kpi_id": kpi_ids[kpi]}
                for name, kpi, row in portfolio.hypothesis_rows
            ],
        )


def _expect(totals: dict[str, int], expected: dict[str, int], what: str) -> None:
    wanted = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0, **expected}
    if totals != wanted:
        raise BenchmarkError(f"{what}: apply reported {totals}, expected {wanted}")


def measure(kind: str, portfolio: Portfolio) -> dict[str, Any]:
    """Apply, re-apply and bulk-insert on fresh databases of one kind; seconds and ratios."""
    sources = [(SOURCE, portfolio.text)]
    with fresh_database(kind) as url:
        ws = upgraded_workspace(url)
        try:
            progress(f"{kind}: first apply of {portfolio.objects} objects")
            apply_s, result = timed(lambda: apply_sources(ws.sessions, sources, ACTOR))
            _expect(result.totals(), {"created": portfolio.objects}, f"{kind} first apply")
            progress(f"{kind}: first apply took {apply_s:.2f}s; re-apply")
            reapply_s, result = timed(lambda: apply_sources(ws.sessions, sources, ACTOR))
            _expect(result.totals(), {"unchanged": portfolio.objects}, f"{kind} re-apply")
            progress(f"{kind}: re-apply took {reapply_s:.2f}s")
        finally:
            ws.engine.dispose()
    with fresh_database(kind) as url:
        ws = upgraded_workspace(url)
        try:
            progress(f"{kind}: bulk insert (reference)")
            bulk_s, _ = timed(lambda: bulk_insert(ws, portfolio))
            progress(f"{kind}: bulk insert took {bulk_s:.2f}s; checking it matches apply")
            # Not timed: the reference must have written what apply writes, or the ratio lies.
            check = apply_sources(ws.sessions, sources, ACTOR, dry_run=True)
            _expect(check.totals(), {"unchanged": portfolio.objects}, f"{kind} bulk-insert check")
        finally:
            ws.engine.dispose()
    return {
        "apply_s": round(apply_s, 4),
        "reapply_s": round(reapply_s, 4),
        "bulk_insert_s": round(bulk_s, 4),
        "apply_ratio": round(apply_s / bulk_s, 2),
        "reapply_ratio": round(reapply_s / bulk_s, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.apply_portfolio", description=__doc__)
    parser.add_argument("--initiatives", type=positive_int, default=DEFAULT_INITIATIVES)
    add_seed_and_databases(parser, "portfolio")
    args = parser.parse_args(argv)

    progress(f"generating {args.initiatives} initiatives")
    portfolio = generate(args.initiatives, args.seed)
    figures: dict[str, Any] = {
        "benchmark": "apply_portfolio",
        "initiatives": args.initiatives,
        "hypotheses": portfolio.hypotheses,
        "objects": portfolio.objects,
        "yaml_bytes": len(portfolio.text.encode()),
    }
    for kind in args.databases:
        try:
            figures[kind] = measure(kind, portfolio)
        except Skipped as skipped:
            progress(f"{kind}: skipped ({skipped.reason})")
            figures[kind] = {"skipped": skipped.reason}
    figures["machine"] = machine()
    emit(figures)


if __name__ == "__main__":
    main()
