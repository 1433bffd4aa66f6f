"""Benchmark: evaluate the default gate bundle's CEL rules, compiled once vs compiled every time.

Run with `uv run python -m bench.gate_rules [--initiatives N]`. Pure: no database. Prints one
JSON object on stdout; progress goes to stderr. See bench/README.md for what the figures mean.
"""

from __future__ import annotations

import argparse
import contextlib
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import cel
import yaml

import scalegate
from bench.harness import (
    BenchmarkError,
    emit,
    machine,
    positive_int,
    progress,
    timed,
)
from scalegate.core.decision_rights import DEFAULT_SIGNOFF_ITEMS
from scalegate.core.policy import (
    OUTCOME_FIELDS,
    Policy,
    Prepared,
    compile_policy,
    evaluate_policies,
    initiative_context,
    prepare,
)
from scalegate.core.policy import (
    OWNER_FIELDS as OWNER_ROLES,
)

T = TypeVar("T")

BUNDLE = Path(scalegate.__file__).parent / "policies" / "default-gates.yaml"
DEFAULT_INITIATIVES = 1000
DEFAULT_MIN_SECONDS = 2.0
AIM_PER_SECOND = 20_000
NOW = datetime(2026, 11, 22, tzinfo=UTC)
# What evaluate_rule counts as "the rule could not be evaluated" (a failure, not a crash).
RULE_ERRORS = (KeyError, RuntimeError, TypeError, ValueError)

STAGES = ("define", "prove", "industrialize", "adopt", "govern", "expand")
RISK_TIERS = ("low", "medium", "high", "critical")
DATA_CLASSES = ("public", "internal", "confidential", "restricted")
KPIS = (
    ("average-handle-time", "operational", "business"),
    ("first-contact-resolution", "outcome", "business"),
    ("weekly-active-share", "adoption", "business"),
    ("suggestion-acceptance-rate", "trust", "business"),
    ("cost-per-transaction", "economics", "business"),
    ("deployment-frequency", "operational", "delivery"),
    ("service-availability", "operational", "reliability"),
)
SIGNOFF_ITEMS = DEFAULT_SIGNOFF_ITEMS
STATUSES = ("not-started", "off-track", "on-track", "achieved")
VERDICTS = ("validated", "inconclusive", "refuted", None)
MODELS = ("gpt-4o", "claude-sonnet", "llama-3-70b", "mistral-large")
BLOCKING_RULES = ("slos-met", "reuse-review-done", "risk-and-data-review-signed")
PEOPLE = tuple(
    f"{name}@northwind.example"
    for name in ("maria.santos", "tom.becker", "priya.nair", "aisha.khan", "daniel.okafor")
)


def load_bundle(path: Path = BUNDLE) -> list[tuple[str, dict[str, Any]]]:
    """The bundle's GatePolicy documents as (name, spec), in file order."""
    with path.open(encoding="utf-8") as handle:
        documents = [d for d in yaml.safe_load_all(handle) if d]
    return [(d["metadata"]["name"], d["spec"]) for d in documents if d.get("kind") == "GatePolicy"]


# --- generated initiatives -------------------------------------------------------------------


def _iso(day: date) -> str:
    return day.isoformat()


def _initiative_spec(rng: random.Random, index: int) -> dict[str, Any]:
    """A spec from empty to complete, so rules see both filled and '' / [] / null fields."""
    if rng.random() < 0.15:
        return {}
    spec: dict[str, Any] = {"title": f"Benchmark initiative {index}", "stage": rng.choice(STAGES)}
    if rng.random() < 0.8:
        fields = OUTCOME_FIELDS if rng.random() < 0.7 else rng.sample(OUTCOME_FIELDS, 2)
        spec["outcome"] = {f: f"{f} of initiative {index}" for f in fields}
    if rng.random() < 0.8:
        roles = rng.sample(OWNER_ROLES, rng.randint(1, len(OWNER_ROLES)))
        spec["owners"] = {role: rng.choice(PEOPLE) for role in roles}
    if rng.random() < 0.75:
        hypotheses = []
        for kpi, _, _ in rng.sample(KPIS, rng.randint(1, 2)):
            at = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
            hypothesis: dict[str, Any] = {"kpi": kpi}
            if rng.random() < 0.85:
                hypothesis["baseline"] = {"value": round(rng.uniform(1, 100), 2), "at": _iso(at)}
            if rng.random() < 0.85:
                by = at + timedelta(days=rng.randrange(90, 540))
                hypothesis["target"] = {"value": round(rng.uniform(1, 100), 2), "by": _iso(by)}
            hypotheses.append(hypothesis)
        spec["hypotheses"] = hypotheses
    if rng.random() < 0.8:
        spec["riskTier"] = rng.choice(RISK_TIERS)
    if rng.random() < 0.8:
        spec["dataClasses"] = sorted(rng.sample(DATA_CLASSES, rng.randint(1, 2)))
    if rng.random() < 0.5:
        spec["services"] = [f"service-{index}-api"]
        spec["targetCohortSize"] = rng.randint(5, 2000)
        spec["capacity"] = round(rng.uniform(0.5, 40), 1)
    return spec


def _signoffs(rng: random.Random) -> dict[str, Any]:
    items = rng.sample(SIGNOFF_ITEMS, rng.randint(0, len(SIGNOFF_ITEMS)))
    signoffs = {}
    for item in sorted(items):
        at = NOW - timedelta(days=rng.randrange(1, 300))
        expires = at + timedelta(days=365) if rng.random() < 0.5 else None
        signoffs[item] = {
            "by": rng.choice(PEOPLE),
            "at": at.isoformat(),
            "artifact": f"https://docs.northwind.example/{item}/{rng.randrange(10_000)}",
            "expiresAt": expires.isoformat() if expires else None,
        }
    return signoffs


def _outcomes(rng: random.Random) -> dict[str, Any]:
    hypotheses = []
    for kpi, layer, tier in rng.sample(KPIS, rng.randint(0, 3)):
        progress_ = round(rng.uniform(-0.5, 1.5), 3) if rng.random() < 0.7 else None
        hypotheses.append(
            {
                "kpi": kpi,
                "status": rng.choice(STATUSES),
                "progress": progress_,
                "layer": layer,
                "tier": tier,
                "verdict": rng.choice(VERDICTS),
            }
        )
    experiments = [
        {"kpi": kpi, "verdict": rng.choice(VERDICTS[:3])}
        for kpi, _, _ in rng.sample(KPIS, rng.randint(0, 2))
    ]
    return {"hypotheses": hypotheses, "experiments": experiments}


def _evidence(rng: random.Random) -> dict[str, Any]:
    """Each evidence key present with some probability, so 'no X evidence' is exercised too."""
    evidence: dict[str, Any] = {}
    if rng.random() < 0.9:
        evidence["signoffs"] = _signoffs(rng)
    if rng.random() < 0.6:
        p50 = round(rng.uniform(1, 72), 1)
        evidence["dora"] = {
            "deployments": rng.randint(0, 60),
            "lead_time_hours": {
                "p50": p50 if rng.random() < 0.85 else None,
                "p90": round(p50 * rng.uniform(1.2, 4), 1),
            },
        }
    if rng.random() < 0.6:
        evidence["slos"] = [
            {"name": f"slo-{i}", "met": rng.random() < 0.85} for i in range(rng.randint(0, 4))
        ]
    if rng.random() < 0.7:
        evidence["outcomes"] = _outcomes(rng)
    if rng.random() < 0.7:
        models = rng.sample(MODELS, rng.randint(0, 2))
        cost = round(rng.uniform(0.001, 0.5), 4) if rng.random() < 0.7 else None
        evidence["usage"] = {"models": models, "costPerTransaction": cost}
    if rng.random() < 0.6:
        evidence["evaluations"] = {"passRate": round(rng.uniform(0.6, 1.0), 3)}
    if rng.random() < 0.6:
        kinds = ("interface", "prompt")
        evidence["assets"] = {
            "published": [{"kind": rng.choice(kinds)} for _ in range(rng.randint(0, 3))]
        }
    if rng.random() < 0.7:
        swept = rng.random() < 0.8
        evidence["gates"] = {
            "lastSweepAt": (NOW - timedelta(days=rng.randrange(1, 30))).isoformat()
            if swept
            else None,
            "blockingFailures": rng.sample(BLOCKING_RULES, rng.randint(0, 2))
            if swept and rng.random() < 0.4
            else [],
        }
    return evidence


def generate_contexts(initiatives: int, seed: int) -> list[dict[str, Any]]:
    """One CEL context per generated initiative: {initiative, evidence, now}."""
    rng = random.Random(seed)
    width = len(str(initiatives))
    contexts = []
    for i in range(1, initiatives + 1):
        name = f"initiative-{i:0{width}d}"
        contexts.append(
            {
                "initiative": initiative_context(name, _initiative_spec(rng, i)),
                "evidence": _evidence(rng),
                "now": NOW,
            }
        )
    return contexts


# --- the two ways to evaluate ----------------------------------------------------------------


def cached_pass(policies: list[Policy], contexts: list[dict[str, Any]]) -> list[list[bool]]:
    """evaluate_policies with the compiled policies: pass/fail per rule, per initiative."""
    return [[r.passed for r in evaluate_policies(policies, context)] for context in contexts]


def _execute(source: str, context: Prepared) -> Any:
    return cel.compile(source).execute(context)


def uncompiled_pass(
    bundle: list[tuple[str, dict[str, Any]]], contexts: list[dict[str, Any]]
) -> list[list[bool]]:
    """The same evaluation without the cache: every expression compiled from source each time.

    Mirrors evaluate_policies: a match pre-filter (none in the default bundle) decides whether
    a policy's rules run; a rule passes only when it returns True, an error is a failure; a
    failing rule with a messageExpression compiles and runs that too.
    """
    outcomes = []
    for raw in contexts:
        # The context is converted once per initiative, as evaluate_policies does, so the
        # ratio isolates what compiling once per policy version saves.
        context = prepare(raw)
        passed_rules = []
        for _, spec in bundle:
            if spec.get("match"):
                try:
                    matched = _execute(spec["match"], context) is True
                except RULE_ERRORS:
                    matched = False
                if not matched:
                    continue
            for rule in spec.get("rules", []):
                try:
                    passed = _execute(rule["expression"], context) is True
                except RULE_ERRORS:
                    passed = False
                if not passed and rule.get("messageExpression"):
                    with contextlib.suppress(*RULE_ERRORS):
                        _execute(rule["messageExpression"], context)
                passed_rules.append(passed)
        outcomes.append(passed_rules)
    return outcomes


def repeat_for(fn: Callable[[], T], min_seconds: float) -> tuple[int, float, T]:
    """Run fn until the timed runs add up to min_seconds: (runs, seconds, first result)."""
    seconds, first = timed(fn)
    runs = 1
    while seconds < min_seconds:
        elapsed, _ = timed(fn)
        seconds += elapsed
        runs += 1
    return runs, seconds, first


def _figures(passes: int, seconds: float, evaluations_per_pass: int) -> dict[str, Any]:
    evaluations = passes * evaluations_per_pass
    return {
        "passes": passes,
        "evaluations": evaluations,
        "seconds": round(seconds, 4),
        "per_second": round(evaluations / seconds, 1),
    }


def compare(rule_names: list[str], cached: list[list[bool]], uncompiled: list[list[bool]]) -> None:
    """Both ways must agree on pass/fail for every (initiative, rule)."""
    if len(cached) != len(uncompiled):
        raise BenchmarkError(f"{len(cached)} initiatives cached vs {len(uncompiled)} uncompiled")
    mismatches = []
    for index, (a, b) in enumerate(zip(cached, uncompiled, strict=True)):
        if len(a) != len(b):
            raise BenchmarkError(f"initiative {index}: {len(a)} rules cached vs {len(b)}")
        mismatches += [
            f"initiative {index} rule {rule_names[i]}: cached {x}, uncompiled {y}"
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            if x != y
        ]
    if mismatches:
        shown = "\n  ".join(mismatches[:10])
        raise BenchmarkError(f"{len(mismatches)} pass/fail mismatches, e.g.:\n  {shown}")


def _coverage(rule_names: list[str], outcomes: list[list[bool]]) -> tuple[int, list[str]]:
    """How many evaluations passed, and the rules that never passed or never failed."""
    passed = sum(sum(row) for row in outcomes)
    one_sided = []
    for i, name in enumerate(rule_names):
        seen = {row[i] for row in outcomes}
        if len(seen) < 2:
            one_sided.append(f"{name} (always {'passes' if True in seen else 'fails'})")
    return passed, one_sided


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gate_rules", description=__doc__)
    parser.add_argument("--initiatives", type=positive_int, default=DEFAULT_INITIATIVES)
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated contexts")
    parser.add_argument(
        "--min-seconds",
        type=float,
        default=DEFAULT_MIN_SECONDS,
        help="repeat each way's pass until its timed passes add up to this (default: 2)",
    )
    args = parser.parse_args(argv)

    bundle = load_bundle()
    policies = [compile_policy(name, 1, spec) for name, spec in bundle]
    rule_names = [f"{p.name}/{r.name}" for p in policies for r in p.rules]
    progress(f"compiled {len(policies)} policies, {len(rule_names)} rules from {BUNDLE.name}")
    progress(f"generating {args.initiatives} initiative contexts")
    contexts = generate_contexts(args.initiatives, args.seed)

    progress("cached: evaluate_policies with the compiled policies")
    passes, seconds, cached = repeat_for(lambda: cached_pass(policies, contexts), args.min_seconds)
    per_pass = sum(len(row) for row in cached)
    cached_figures = _figures(passes, seconds, per_pass)
    progress(f"cached: {passes} passes in {seconds:.2f}s")

    progress("uncompiled: cel.compile + execute for every rule and initiative")
    passes, seconds, uncompiled = repeat_for(
        lambda: uncompiled_pass(bundle, contexts), args.min_seconds
    )
    uncompiled_figures = _figures(passes, seconds, sum(len(row) for row in uncompiled))
    progress(f"uncompiled: {passes} passes in {seconds:.2f}s")

    compare(rule_names, cached, uncompiled)
    passed, one_sided = _coverage(rule_names, cached)
    progress(f"pass/fail agree; {passed} of {per_pass} evaluations pass")
    if one_sided:
        progress(f"rules seen one way only: {', '.join(one_sided)}")

    per_second = cached_figures["per_second"]
    emit(
        {
            "benchmark": "gate_rules",
            "initiatives": args.initiatives,
            "rules": len(rule_names),
            "passed_share": round(passed / per_pass, 3),
            "cached": cached_figures,
            "uncompiled": uncompiled_figures,
            "speedup": round(per_second / uncompiled_figures["per_second"], 2),
            "aim_per_second": AIM_PER_SECOND,
            "meets_aim": per_second >= AIM_PER_SECOND,
            "threads": 1,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
