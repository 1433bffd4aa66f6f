"""Benchmark: the asset library's reads — library search, an asset page's consumers and the
portfolio's reuse figures — on 10,000 assets of 10 versions and 5,000 initiatives of 3 uses,
each against a hand-written SQL statement timed and compared in the same run.

Run with `uv run python -m bench.assets`. Prints one JSON object on stdout; progress goes to
stderr. See bench/README.md ("assets") for what is generated and what the figures mean.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import Date, bindparam, func, insert, select, text
from sqlalchemy.engine import Connection

from bench.apply_portfolio import ACTOR, API_VERSION, PEOPLE, STAGES
from bench.harness import (
    BenchmarkError,
    Skipped,
    add_seed_and_databases,
    emit,
    fresh_database,
    latency_stats,
    machine,
    positive_int,
    progress,
    require_agreement,
    timed,
    upgraded_workspace,
)
from scalegate.assets import service
from scalegate.assets.models import Asset, AssetLabel, AssetVersion
from scalegate.evidence.service import ingest
from scalegate.manifests.service import apply_sources
from scalegate.portfolio.models import AssetUse, Initiative, Theme
from scalegate.usage.models import UsageAssetDay
from scalegate.workspace import Workspace

DEFAULT_ASSETS = 10_000
DEFAULT_VERSIONS = 10
DEFAULT_INITIATIVES = 5_000
DEFAULT_RUNS = 30
USES_PER_INITIATIVE = 3
APPLIED_ASSETS = 50
APPLIED_INITIATIVES = 20
DAYS = 35  # observed use is generated for 35 days; the window counts the last 28
END = date(2026, 11, 22)
AS_OF = datetime(2026, 11, 22, 18, 0, tzinfo=UTC)
FIRST_DAY = END - timedelta(days=DAYS - 1)
WINDOW = (END - timedelta(days=27), END)  # docs/metrics.md: the 28 days that end on as_of's day
SOURCE = "bench-assets.yaml"
EVENTS_SOURCE = "bench-asset-usage.jsonl"
CHANGE = "scalegate.dev/change"
PROMOTION = "production-promotion"
AIM_SEARCH_MS = 100
AIM_PAGE_MS = 100
AIM_PORTFOLIO_MS = 1000
CHUNK = 2_000


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The definitions, written out here rather than imported, so the reference stays independent.
PAST_PROVE = ("industrialize", "adopt", "govern", "expand")
AT_SCALE = frozenset({"adopt", "govern", "expand"})
LIVE = frozenset({"prove", *PAST_PROVE})

THEMES = _words(
    "customer-operations employee-productivity risk-and-underwriting content "
    "finance-operations sales-enablement it-operations people supply-chain legal-and-compliance"
)
THEME_WEIGHTS = (22, 16, 12, 10, 9, 8, 8, 6, 5, 4)
STAGE_WEIGHTS = dict(zip(STAGES, (20, 20, 15, 15, 10, 10, 10), strict=True))
TYPES = {  # type: (name prefix, share in %, what titles say it does, separated by "|")
    "prompt": ("prompt", 30, "Summarise|Classify|Draft a reply to|Extract fields from|Triage"),
    "evaluation-set": ("evalset", 15, "Golden set for|Regression set for|Red-team set for"),
    "policy": ("policy", 10, "PII redaction for|Retention rules for|Guardrails for"),
    "playbook": ("playbook", 10, "Launch checklist for|Incident runbook for|Rollout of"),
    "workflow-pattern": ("pattern", 10, "Human review of|Triage and routing of|Extraction of"),
    "interface": ("interface", 10, "REST interface for|Event schema for|Tool contract for"),
    "integration-template": ("template", 8, "Connector template for|Webhook template for"),
    "routing-rule": ("routing", 7, "Model routing for|Fallback routing for|Cost routing for"),
}
# Assets whose calls are model calls (they count for the prompt reuse share when prompts).
MODEL_TYPES = frozenset({"prompt", "evaluation-set", "routing-rule"})
LIFECYCLE_WEIGHTS = {"experimental": 25, "production": 55, "deprecated": 12, "retired": 8}
DOMAINS = _words(
    "billing claims onboarding fraud support underwriting payroll procurement contracts "
    "marketing logistics compliance sales recruiting helpdesk treasury kyc returns warranty tax"
)
SUBJECTS = _words(
    "dispute invoice ticket email call-transcript contract-clause policy-document chat "
    "complaint application receipt purchase-order incident-report knowledge-article "
    "meeting-note"
)
EXTRA_TAGS = _words(
    "pii eu-only gpt-4o-mini claude-sonnet-4 multilingual customer-facing internal regulated"
)
CLAIMS = (
    "Tested against 240 labelled cases from last quarter.",
    "Works with gpt-4o-mini and claude-sonnet-4.",
    "Redacts account numbers and IBANs before the model call.",
    "Escalates to a human below 0.7 confidence.",
    "Keeps EU customer data in the EU region.",
    "Cuts handle time by about a fifth in the pilot.",
    "Answers in the customer's language.",
    "Logs every decision with its inputs for the audit trail.",
    "Maintained by the platform team; changes go through review.",
    "Replaces three team-specific variants.",
)
SENTENCES = (
    "Read the {subject} in full before deciding anything about it.",
    "Quote the {domain} policy section that applies, with its number.",
    "If the {subject} mentions a deadline, put it first in the answer.",
    "Never include account numbers, card numbers or national ids in the output.",
    "When the {subject} is ambiguous, ask one clarifying question instead of guessing.",
    "Use the customer's own words for the problem; do not rephrase complaints.",
    "Route anything about legal action to the {domain} lead within one hour.",
    "Answer in at most five sentences unless the agent asks for detail.",
    "Mark every figure taken from the {subject} with where it came from.",
    "Flag duplicates of an open {subject} instead of opening a new case.",
    "Refuse requests to change payment details through this channel.",
    "Prefer the knowledge base article over the model's own recollection.",
    "Record the confidence of the classification between 0 and 1.",
    "If two rules conflict, the stricter {domain} rule wins.",
    "Keep the tone factual and friendly; no apologies for policy.",
    "Summaries list the decision, the reason and the next step, in that order.",
    "Dates are written as YYYY-MM-DD and amounts with their currency.",
    "A reviewer checks every tenth answer; their corrections feed the evaluation set.",
    "The {subject} owner is told when the case changes hands.",
    "Escalations carry the full history so nobody asks the customer twice.",
    "Only the fields listed in the schema are extracted; everything else is ignored.",
    "Test cases cover the five most common {subject} types and two rare ones.",
    "Latency budget: the first token within two seconds at p95.",
    "Fallback: when the primary model fails twice, use the smaller model and say so.",
)


# --- what is generated ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetPlan:
    """One asset as generated: its spec, its labels and the seed of its content."""

    name: str
    type: str
    title: str
    description: str
    owner: str
    tags: list[str]
    origin: str | None
    lifecycle: str
    production: int | None
    staging: int | None
    domain: str
    subject: str
    size: int  # about how many bytes its content has


@dataclass(frozen=True)
class InitiativePlan:
    """One initiative as generated: theme, stage and declared uses (asset, version, label)."""

    name: str
    title: str
    theme: str
    stage: str
    uses: list[tuple[str, int | None, str | None]]


# (asset, day, initiative, version, via_prompt, calls, model_calls): one usage_asset_day row.
ObservedRow = tuple[str, date, str, int, bool, int, int]


@dataclass
class Plan:
    """Everything the benchmark writes, deterministic for its sizes and seed."""

    versions: int
    seed: int
    assets: list[AssetPlan]
    initiatives: list[InitiativePlan]
    observed: list[ObservedRow]
    applied_assets: int
    applied_initiatives: int
    sizes: dict[str, Any] = field(default_factory=dict)


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, items: list[Any], cumulative: list[float]) -> Any:
    return items[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def _picker(weights: dict[str, float]) -> Callable[[random.Random], str]:
    items = list(weights)
    cumulative = _cumulative([weights[i] for i in items])
    return lambda rng: _pick(rng, items, cumulative)


def _asset_plan(
    rng: random.Random, index: int, origins: list[str], versions: int, applied: bool
) -> AssetPlan:
    type_ = _picker({t: s for t, (_, s, _) in TYPES.items()})(rng)
    prefix, _, tasks = TYPES[type_]
    domain, subject = rng.choice(DOMAINS), rng.choice(SUBJECTS)
    words = subject.replace("-", " ")
    task = rng.choice(tasks.split("|"))
    origin = rng.choice(origins) if rng.random() < 0.7 else None
    # Promote refuses retired and (for production) deprecated assets, so the applied part has
    # none; the bulk part has assets promoted before they were deprecated or retired.
    lifecycles = {"experimental": 30, "production": 70} if applied else LIFECYCLE_WEIGHTS
    production = staging = None
    if rng.random() < 0.6:
        production = rng.randint(max(1, versions - 6), versions)
    if rng.random() < 0.2:
        staging = rng.randint(production or 1, versions)
        if staging == production:
            staging = min(versions, staging + 1) if staging < versions else None
    lifted = f"Lifted from {origin}." if origin else "Written by the platform team."
    return AssetPlan(
        name=f"{prefix}-{domain}-{subject}-{index:05d}",
        type=type_,
        title=f"{task} {domain} {words}s",
        description=f"{task} {words}s for the {domain} team. {lifted} {rng.choice(CLAIMS)}",
        owner=rng.choice(PEOPLE),
        tags=[domain, subject, prefix, *rng.sample(EXTRA_TAGS, rng.randint(0, 2))],
        origin=origin,
        lifecycle=_picker(lifecycles)(rng),
        production=production,
        staging=staging,
        domain=domain,
        subject=subject,
        size=int(1000 * 4 ** rng.random()),  # 1-4 kB, log-uniform
    )


def contents(asset: AssetPlan, versions: int, seed: int) -> list[str]:
    """The text of every version of an asset, oldest first: each edits a few sentences of the
    one before and notes the change."""
    rng = random.Random(f"{seed}:content:{asset.name}")
    fill = {"domain": asset.domain, "subject": asset.subject.replace("-", " ")}
    pool = [s.format(**fill) for s in SENTENCES]
    header = f"# {asset.title}\n\n{asset.description}\n\n"
    body: list[str] = []
    while len(header) + sum(len(s) + 1 for s in body) < asset.size:
        body.append(rng.choice(pool))
    texts = []
    notes: list[str] = []
    for version in range(1, versions + 1):
        if version > 1:
            for _ in range(rng.randint(1, 3)):
                body[rng.randrange(len(body))] = rng.choice(pool)
        notes.append(f"- v{version}: {change_message(asset, version)}")
        texts.append(header + "\n".join(body) + "\n\nChanges:\n" + "\n".join(notes) + "\n")
    return texts


def change_message(asset: AssetPlan, version: int) -> str:
    """The `scalegate.dev/change` annotation of a version."""
    return f"revision {version} of {asset.title.lower()}"


def _initiative_names(count: int) -> list[str]:
    return [f"init-{k:05d}" for k in range(1, count + 1)]


def _uses(
    rng: random.Random,
    assets: list[AssetPlan],
    candidates: list[int],
    cumulative: list[float],
    versions: int,
) -> list[tuple[str, int | None, str | None]]:
    chosen: list[int] = []
    while len(chosen) < min(USES_PER_INITIATIVE, len(candidates)):
        k = _pick(rng, candidates, cumulative)
        if k not in chosen and assets[k].lifecycle != "retired":
            chosen.append(k)
    uses: list[tuple[str, int | None, str | None]] = []
    for k in chosen:
        asset, r = assets[k], rng.random()
        if asset.production and r < 0.55:
            uses.append((asset.name, None, "production"))
        elif asset.staging and r < 0.62:
            uses.append((asset.name, None, "staging"))
        elif r < 0.75:
            uses.append((asset.name, None, "latest"))
        else:
            uses.append((asset.name, rng.randint(1, versions), None))
    return uses


def resolve(asset: AssetPlan, version: int | None, label: str | None, versions: int) -> int | None:
    """The version a declared use means (docs/metrics.md), from the plan."""
    if version is not None:
        return version if 1 <= version <= versions else None
    if label in (None, "latest"):
        return versions
    return asset.production if label == "production" else asset.staging


def _observed(
    rng: random.Random,
    plan: InitiativePlan,
    assets: dict[str, AssetPlan],
    extra: list[str],
    versions: int,
    applied: bool,
) -> list[ObservedRow]:
    """Daily calls of one initiative over the 35 days: most of its declared assets, a few it
    did not declare, sometimes an ad-hoc prompt outside the library; retired ones stopped
    before the window."""
    pairs: list[tuple[str, list[int], bool]] = []  # asset, versions named over time, as prompt
    for name, version, label in plan.uses:
        if rng.random() < 0.8:
            resolved = resolve(assets[name], version, label, versions) or versions
            named = [resolved if rng.random() < 0.7 else 0]
            if rng.random() < 0.15 and resolved > 1:
                named.insert(0, resolved - 1)  # switched to this version during the period
            pairs.append((name, named, False))
    for name in extra:
        if name not in {u[0] for u in plan.uses}:
            pairs.append((name, [rng.choice((0, versions, assets[name].production or 0))], False))
    if rng.random() < 0.2:
        pairs.append((f"adhoc-{plan.name}-prompt", [0], True))
    rows: list[ObservedRow] = []
    for name, named, ad_hoc in pairs:
        asset = assets.get(name)
        via_prompt = ad_hoc or (asset is not None and asset.type == "prompt" and rng.random() < 0.4)
        model = ad_hoc or (asset is not None and asset.type in MODEL_TYPES)
        first, last = 0, DAYS - 1
        if plan.stage == "retired":
            last = rng.randint(0, 6)  # stopped before the 28-day window
        elif rng.random() < 0.1:
            last = rng.randint(0, 6)
        elif rng.random() < 0.1:
            first = rng.randint(10, DAYS - 1)
        active = rng.uniform(0.4, 1.0)
        volume = 2 if applied else rng.lognormvariate(3.0, 1.0)
        switch = rng.randint(first, last)
        for offset in range(first, last + 1):
            day = FIRST_DAY + timedelta(days=offset)
            if rng.random() > (active if day.weekday() < 5 else active / 3):
                continue
            calls = rng.randint(1, 3) if applied else max(1, int(rng.expovariate(1 / volume)))
            version = named[0] if len(named) == 1 or offset < switch else named[1]
            rows.append((name, day, plan.name, version, via_prompt, calls, calls if model else 0))
    return rows


def generate(assets: int, versions: int, initiatives: int, seed: int) -> Plan:
    """Assets, initiatives with their declared uses, and observed daily use."""
    rng = random.Random(seed)
    applied_assets = min(APPLIED_ASSETS, assets)
    applied_initiatives = min(APPLIED_INITIATIVES, initiatives)
    names = _initiative_names(initiatives)
    stage_of = _picker(dict(STAGE_WEIGHTS.items()))
    theme_of = _picker(dict(zip(THEMES, THEME_WEIGHTS, strict=True)))
    stages = [stage_of(rng) for _ in names]
    themes = [theme_of(rng) for _ in names]
    # Assets are lifted from initiatives past define; the applied ones from applied initiatives.
    lifted = [n for n, s in zip(names, stages, strict=True) if s != "define"] or names
    asset_plans = [
        _asset_plan(
            rng,
            k,
            names[:applied_initiatives] if k < applied_assets else lifted,
            versions,
            k < applied_assets,
        )
        for k in range(assets)
    ]
    # Popularity: a Zipf-like weight 1/(rank + 3) over a shuffled order, the first asset (an
    # applied one) the most used, so a few assets have hundreds of consumers and most a few.
    order = list(range(1, assets))
    rng.shuffle(order)
    rank = {k: r for r, k in enumerate([0, *order])}
    weight = [1 / (rank[k] + 3) for k in range(assets)]
    everyone = list(range(assets))
    everyone_cumulative = _cumulative(weight)
    applied = list(range(applied_assets))
    applied_cumulative = _cumulative(weight[:applied_assets])
    initiative_plans = []
    for k, name in enumerate(names):
        own = k < applied_initiatives  # applied initiatives can only use applied assets
        candidates, cumulative = (
            (applied, applied_cumulative) if own else (everyone, everyone_cumulative)
        )
        initiative_plans.append(
            InitiativePlan(
                name=name,
                title=f"Benchmark initiative {k + 1}",
                theme=themes[k],
                stage=stages[k],
                uses=_uses(rng, asset_plans, candidates, cumulative, versions),
            )
        )
    by_name = {a.name: a for a in asset_plans}
    observed: list[ObservedRow] = []
    for k, plan in enumerate(initiative_plans):
        if plan.stage not in LIVE and plan.stage != "retired":
            continue
        if plan.stage == "retired" and rng.random() > 0.3:
            continue
        own = k < applied_initiatives
        candidates, cumulative = (
            (applied, applied_cumulative) if own else (everyone, everyone_cumulative)
        )
        extra = [asset_plans[_pick(rng, candidates, cumulative)].name]
        extra = extra[: rng.choice((0, 1, 1, 1))] + (
            [asset_plans[_pick(rng, candidates, cumulative)].name] if rng.random() < 0.3 else []
        )
        observed += _observed(rng, plan, by_name, sorted(set(extra)), versions, own)
    plan = Plan(
        versions, seed, asset_plans, initiative_plans, observed, applied_assets, applied_initiatives
    )
    plan.sizes = {
        "assets": assets,
        "versions_per_asset": versions,
        "asset_versions": assets * versions,
        "production_labels": sum(a.production is not None for a in asset_plans),
        "staging_labels": sum(a.staging is not None for a in asset_plans),
        "initiatives": initiatives,
        "themes": len(THEMES),
        "declared_uses": sum(len(i.uses) for i in initiative_plans),
        "observed_rows": len(observed),
        "observed_rows_in_window": sum(WINDOW[0] <= r[1] <= WINDOW[1] for r in observed),
        "applied": {"assets": applied_assets, "initiatives": applied_initiatives},
    }
    return plan


def consumer_counts(plan: Plan) -> dict[str, int]:
    """Distinct initiatives that declare each asset or called it in the window, from the plan
    (a retired initiative is no consumer)."""
    users: dict[str, set[str]] = {a.name: set() for a in plan.assets}
    retired = {i.name for i in plan.initiatives if i.stage == "retired"}
    for initiative in plan.initiatives:
        if initiative.name in retired:
            continue
        for name, _, _ in initiative.uses:
            users[name].add(initiative.name)
    for name, day, initiative, _, _, calls, _ in plan.observed:
        live = initiative not in retired
        if name in users and live and calls > 0 and WINDOW[0] <= day <= WINDOW[1]:
            users[name].add(initiative)
    return {name: len(found) for name, found in users.items()}


# --- rows, as apply writes them -------------------------------------------------------------------


def search_text(asset: AssetPlan) -> str:
    """What library search matches: name, title, description and tags, lower-cased."""
    return " ".join([asset.name, asset.title, asset.description, *asset.tags]).lower()


def asset_row(asset: AssetPlan, versions: int, at: datetime) -> dict[str, Any]:
    """The asset table row apply writes for the asset's spec after its last version."""
    return {
        "name": asset.name,
        "type": asset.type,
        "title": asset.title,
        "description": asset.description,
        "owner": asset.owner,
        "tags": asset.tags,
        "origin": asset.origin,
        "lifecycle": asset.lifecycle,
        "described": {"annotations": {CHANGE: change_message(asset, versions)}},
        "search_text": search_text(asset),
        "latest": versions,
        "created_at": at,
        "updated_at": at,
    }


def version_rows(asset: AssetPlan, texts: list[str], asset_id: int) -> list[dict[str, Any]]:
    """The asset_version rows of every version, as apply writes them."""
    return [
        {
            "asset_id": asset_id,
            "version": number,
            "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
            "content": body,
            "artifact_url": None,
            "size": len(body.encode("utf-8")),
            "created_by": ACTOR.name,
            "created_at": datetime.combine(END, datetime.min.time(), UTC)
            - timedelta(days=7 * (len(texts) - number)),
            "change": change_message(asset, number),
        }
        for number, body in enumerate(texts, start=1)
    ]


def initiative_row(initiative: InitiativePlan, theme_id: int, at: datetime) -> dict[str, Any]:
    """The initiative table row apply writes for a spec of title, theme, stage and uses."""
    return {
        "name": initiative.name,
        "title": initiative.title,
        "theme_id": theme_id,
        "stage": initiative.stage,
        "created_at": at,
        "updated_at": at,
    }


# --- the applied part: apply, promote, ingest -----------------------------------------------------


def _document(kind: str, name: str, spec: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, **metadata},
        "spec": spec,
    }


def applied_yaml(plan: Plan, version: int) -> str:
    """Themes, the applied initiatives and the applied assets at `version` (their uses only in
    the last round, when every version they may pin exists)."""
    documents = [
        _document("Theme", t, {"title": t.replace("-", " ").capitalize(), "owner": PEOPLE[k]})
        for k, t in enumerate(THEMES)
    ]
    for i in plan.initiatives[: plan.applied_initiatives]:
        spec: dict[str, Any] = {"title": i.title, "theme": i.theme, "stage": i.stage}
        if version == plan.versions:
            spec["uses"] = [
                {"asset": a, "version": v} if v is not None else {"asset": a, "label": label}
                for a, v, label in i.uses
            ]
        documents.append(_document("Initiative", i.name, spec))
    for a in plan.assets[: plan.applied_assets]:
        spec = {
            "type": a.type,
            "title": a.title,
            "description": a.description,
            "owner": a.owner,
            "tags": a.tags,
            "lifecycle": a.lifecycle,
            "content": contents(a, plan.versions, plan.seed)[version - 1],
        }
        if a.origin:
            spec["origin"] = a.origin
        annotations = {CHANGE: change_message(a, version)}
        documents.append(_document("Asset", a.name, spec, annotations=annotations))
    return yaml.safe_dump_all(documents, sort_keys=False, width=100)


def _expect(totals: dict[str, int], expected: dict[str, int], what: str) -> None:
    found = {k: v for k, v in totals.items() if v}
    if found != expected:
        raise BenchmarkError(f"{what} reported {found}, expected {expected}")


def apply_part(ws: Workspace, plan: Plan) -> dict[str, float]:
    """The applied assets through `apply_sources`, one apply per version, then their labels
    through `service.promote` and their observed use through `ingest`."""
    # The shipped production-promotion policy (owner, description, not deprecated) decides the
    # promotes; the shipped policies that need evidence the bench does not produce are left out.
    shipped = (resources.files("scalegate") / "policies" / "asset-policies.yaml").read_text()
    policies = yaml.safe_dump_all(
        d for d in yaml.safe_load_all(shipped) if d and d["metadata"]["name"] == PROMOTION
    )
    if not policies.strip():
        raise BenchmarkError(f"the shipped asset policies have no {PROMOTION}")
    n_assets, n_initiatives = plan.applied_assets, plan.applied_initiatives
    apply_s = 0.0
    for version in range(1, plan.versions + 1):
        sources = [(SOURCE, applied_yaml(plan, version))]
        if version == 1:
            sources.append(("asset-policies.yaml", policies))
        seconds, result = timed(lambda sources=sources: apply_sources(ws.sessions, sources, ACTOR))
        apply_s += seconds
        if version == 1:
            expected = {"created": len(THEMES) + n_initiatives + n_assets + 1}
        elif version == plan.versions:
            expected = {"updated": n_assets + n_initiatives, "unchanged": len(THEMES)}
        else:
            expected = {"updated": n_assets, "unchanged": len(THEMES) + n_initiatives}
        _expect(result.totals(), expected, f"apply of version {version}")
    promotes = 0

    def promote_all() -> None:
        nonlocal promotes
        for a in plan.assets[:n_assets]:
            for label, version in (("production", a.production), ("staging", a.staging)):
                if version is not None:
                    service.promote(
                        ws.sessions, ACTOR, a.name, version, label, "bench", AS_OF - timedelta(1)
                    )
                    promotes += 1

    promote_s, _ = timed(promote_all)
    mine = {i.name for i in plan.initiatives[:n_initiatives]}
    events = list(usage_events([r for r in plan.observed if r[2] in mine]))
    ingest_s, result = timed(
        lambda: ingest(ws.sessions, ACTOR, "\n".join(events), "jsonl", EVENTS_SOURCE)
    )
    if result.as_dict()["stored"] != len(events):
        raise BenchmarkError(f"ingest of the applied part's use reported {result.as_dict()}")
    return {
        "apply_s": round(apply_s, 2),
        "promotes": promotes,
        "promote_s": round(promote_s, 2),
        "events": len(events),
        "ingest_s": round(ingest_s, 2),
    }


def usage_events(rows: list[ObservedRow]) -> Iterator[str]:
    """`usage` events that add up to the rows: one per call, model calls first; an asset named
    as a Langfuse prompt (`prompt`) when the row is via_prompt, else as `asset`."""
    n = 0
    for name, day, initiative, version, via_prompt, calls, model_calls in rows:
        for k in range(calls):
            n += 1
            at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(minutes=7 * n % 1440)
            event: dict[str, Any] = {
                "type": "usage",
                "id": f"asset-use-{n:07d}",
                "initiative": initiative,
                "user": f"user-{n % 37:02d}",
                "at": at.isoformat().replace("+00:00", "Z"),
                "task": "bench-task",
                "assisted": k < model_calls,
                "outcome": "accepted",
            }
            if k < model_calls:
                event["model"] = "gpt-4o-mini"
            event["prompt" if via_prompt else "asset"] = f"{name}@{version}" if version else name
            yield json.dumps(event)


# --- the bulk part: SQLAlchemy Core inserts -------------------------------------------------------


def bulk_part(ws: Workspace, plan: Plan) -> dict[str, float]:
    """Every other initiative, asset, version, label, use and observed row, with Core inserts."""
    now = datetime.now(UTC)
    applied_initiatives = {i.name for i in plan.initiatives[: plan.applied_initiatives]}
    with ws.sessions() as session, session.begin():
        themes = dict(session.execute(select(Theme.name, Theme.id)).all())
        initiatives = [
            initiative_row(i, themes[i.theme], now)
            for i in plan.initiatives[plan.applied_initiatives :]
        ]
        for start in range(0, len(initiatives), CHUNK):
            session.execute(insert(Initiative), initiatives[start : start + CHUNK])
        ids = dict(session.execute(select(Initiative.name, Initiative.id)).all())
        uses = [
            {"initiative_id": ids[i.name], "position": p, "asset": a, "version": v, "label": label}
            for i in plan.initiatives[plan.applied_initiatives :]
            for p, (a, v, label) in enumerate(i.uses)
        ]
        for start in range(0, len(uses), CHUNK):
            session.execute(insert(AssetUse), uses[start : start + CHUNK])
        bulk = plan.assets[plan.applied_assets :]
        rows = [asset_row(a, plan.versions, now) for a in bulk]
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(Asset), rows[start : start + CHUNK])
        asset_ids = dict(session.execute(select(Asset.name, Asset.id)).all())
        per_chunk = max(1, CHUNK // plan.versions)
        for start in range(0, len(bulk), per_chunk):
            versions = [
                row
                for a in bulk[start : start + per_chunk]
                for row in version_rows(a, contents(a, plan.versions, plan.seed), asset_ids[a.name])
            ]
            session.execute(insert(AssetVersion), versions)
        labels = [
            {"asset_id": asset_ids[a.name], "label": label, "version": version}
            for a in bulk
            for label, version in (("production", a.production), ("staging", a.staging))
            if version is not None
        ]
        if labels:
            session.execute(insert(AssetLabel), labels)
        observed = [
            dict(
                zip(
                    ("asset", "day", "initiative", "version", "via_prompt", "calls", "model_calls"),
                    row,
                    strict=True,
                )
            )
            for row in plan.observed
            if row[2] not in applied_initiatives
        ]
        for start in range(0, len(observed), CHUNK * 5):
            session.execute(insert(UsageAssetDay), observed[start : start + CHUNK * 5])
    return {"initiatives": len(initiatives), "assets": len(bulk), "observed_rows": len(observed)}


# --- checks that the database holds the plan ------------------------------------------------------


def check_stored(ws: Workspace, plan: Plan, label: str) -> dict[str, int]:
    """Row counts equal the plan's, and the applied part's rows equal what the bulk part would
    have written for it (so both halves hold the same kind of rows)."""
    with ws.sessions() as session:
        counts = {
            "asset": session.scalar(select(func.count()).select_from(Asset)),
            "asset_version": session.scalar(select(func.count()).select_from(AssetVersion)),
            "asset_label": session.scalar(select(func.count()).select_from(AssetLabel)),
            "initiative": session.scalar(select(func.count()).select_from(Initiative)),
            "initiative_asset_use": session.scalar(select(func.count()).select_from(AssetUse)),
            "usage_asset_day": session.scalar(select(func.count()).select_from(UsageAssetDay)),
            "content_bytes": session.scalar(select(func.coalesce(func.sum(AssetVersion.size), 0))),
        }
        expected = {
            "asset": len(plan.assets),
            "asset_version": len(plan.assets) * plan.versions,
            "asset_label": plan.sizes["production_labels"] + plan.sizes["staging_labels"],
            "initiative": len(plan.initiatives),
            "initiative_asset_use": plan.sizes["declared_uses"],
            "usage_asset_day": len(plan.observed),
        }
        wrong = [
            f"{k}: {counts[k]} rows, planned {v}" for k, v in expected.items() if counts[k] != v
        ]
        wrong += _applied_differences(session, plan)
    if wrong:
        raise BenchmarkError(f"{label}: the database does not hold the plan: " + "; ".join(wrong))
    return counts


def _applied_differences(session: Any, plan: Plan) -> list[str]:
    wrong: list[str] = []
    applied = plan.assets[: plan.applied_assets]
    names = [a.name for a in applied]
    skip = {"created_at", "updated_at"}
    rows = {r.name: r for r in session.scalars(select(Asset).where(Asset.name.in_(names)))}
    for a in applied:
        want = {k: v for k, v in asset_row(a, plan.versions, AS_OF).items() if k not in skip}
        got = {k: getattr(rows[a.name], k) for k in want} if a.name in rows else None
        if got != want:
            wrong.append(f"asset {a.name}: apply wrote {got}, the bulk part writes {want}")
    for a in applied:
        if a.name not in rows:
            continue
        want_versions = [
            {k: v for k, v in r.items() if k not in skip}
            for r in version_rows(a, contents(a, plan.versions, plan.seed), rows[a.name].id)
        ]
        got_versions = [
            {k: getattr(v, k) for k in want_versions[0]}
            for v in session.scalars(
                select(AssetVersion)
                .where(AssetVersion.asset_id == rows[a.name].id)
                .order_by(AssetVersion.version)
            )
        ]
        if got_versions != want_versions:
            wrong.append(f"asset {a.name}: its versions differ from the plan")
        labels = dict(
            session.execute(
                select(AssetLabel.label, AssetLabel.version).where(
                    AssetLabel.asset_id == rows[a.name].id
                )
            ).all()
        )
        planned = {k: v for k, v in (("production", a.production), ("staging", a.staging)) if v}
        if labels != planned:
            wrong.append(f"asset {a.name}: labels {labels}, planned {planned}")
    for i in plan.initiatives[: plan.applied_initiatives]:
        found = session.execute(
            select(Initiative.title, Theme.name, Initiative.stage, Initiative.risk_tier)
            .join(Theme, Theme.id == Initiative.theme_id)
            .where(Initiative.name == i.name)
        ).one_or_none()
        if found is None or tuple(found) != (i.title, i.theme, i.stage, None):
            wrong.append(f"initiative {i.name}: {found}")
        uses = session.execute(
            select(AssetUse.asset, AssetUse.version, AssetUse.label)
            .join(Initiative, Initiative.id == AssetUse.initiative_id)
            .where(Initiative.name == i.name)
            .order_by(AssetUse.position)
        ).all()
        if [tuple(u) for u in uses] != i.uses:
            wrong.append(f"initiative {i.name}: uses {uses}, planned {i.uses}")
    mine = [i.name for i in plan.initiatives[: plan.applied_initiatives]]
    u = UsageAssetDay
    stored = {
        tuple(r)
        for r in session.execute(
            select(
                u.asset, u.day, u.initiative, u.version, u.via_prompt, u.calls, u.model_calls
            ).where(u.initiative.in_(mine))
        )
    }
    planned_rows = {r for r in plan.observed if r[2] in mine}
    if stored != planned_rows:
        wrong.append(
            f"usage_asset_day of the applied initiatives: {len(stored ^ planned_rows)} rows "
            "differ between ingest and the plan"
        )
    return wrong


# --- the reference: one hand-written SQL statement per answer -------------------------------------


def _dialect_sql(connection: Connection) -> dict[str, str]:
    """The two spots where SQLite and PostgreSQL need different words."""
    if connection.dialect.name == "postgresql":
        return {
            "collate": 'COLLATE "C"',  # Python's order of names, whatever the server's locale
            "versions": "string_agg(DISTINCT CAST(NULLIF(d.version, 0) AS TEXT), ',')",
        }
    return {"collate": "COLLATE BINARY", "versions": "group_concat(DISTINCT NULLIF(d.version, 0))"}


SEARCH_SQL = """
WITH hits AS (
    SELECT a.id, a.name, a.origin, a.latest FROM asset a WHERE {conditions}
), users AS (
    SELECT u.asset, i.name AS initiative, 1 AS declared, 0 AS observed
    FROM initiative_asset_use u JOIN initiative i ON i.id = u.initiative_id
    WHERE u.asset IN (SELECT name FROM hits) AND i.stage <> 'retired'
    UNION ALL
    SELECT d.asset, d.initiative, 0, 1 FROM usage_asset_day d
    WHERE d.day BETWEEN :first AND :last AND d.calls > 0 AND d.asset IN (SELECT name FROM hits)
      AND d.initiative NOT IN (SELECT name FROM initiative WHERE stage = 'retired')
), per_user AS (
    SELECT asset, initiative, max(declared) AS declared, max(observed) AS observed
    FROM users GROUP BY asset, initiative
)
SELECT h.name,
       coalesce(sum(p.declared), 0) AS declared,
       coalesce(sum(p.observed), 0) AS observed,
       count(p.initiative) AS consumers,
       count(CASE WHEN h.origin IS NULL OR p.initiative <> h.origin THEN p.initiative END)
           AS reused_by,
       (SELECT l.version FROM asset_label l WHERE l.asset_id = h.id AND l.label = 'production')
           AS production,
       (SELECT l.version FROM asset_label l WHERE l.asset_id = h.id AND l.label = 'staging')
           AS staging,
       h.latest,
       count(*) OVER () AS total
FROM hits h LEFT JOIN per_user p ON p.asset = h.name
GROUP BY h.id, h.name, h.origin, h.latest
ORDER BY consumers DESC, reused_by DESC, h.name {collate}
LIMIT :limit
"""

CONSUMERS_SQL = """
WITH a AS (
    SELECT a.id, a.latest,
           (SELECT l.version FROM asset_label l WHERE l.asset_id = a.id AND l.label = 'production')
               AS production,
           (SELECT l.version FROM asset_label l WHERE l.asset_id = a.id AND l.label = 'staging')
               AS staging
    FROM asset a WHERE a.name = :name
), seen AS (
    SELECT d.initiative, {versions} AS versions
    FROM usage_asset_day d
    WHERE d.asset = :name AND d.day BETWEEN :first AND :last AND d.calls > 0
    GROUP BY d.initiative
), named AS (
    SELECT initiative_id AS id FROM initiative_asset_use WHERE asset = :name
    UNION
    SELECT i.id FROM seen JOIN initiative i ON i.name = seen.initiative
), consumer AS (
    SELECT i.name, i.stage, i.theme_id, u.id AS use_id, u.version AS pinned_version,
           u.label AS pinned_label, s.initiative AS seen, s.versions
    FROM named JOIN initiative i ON i.id = named.id
    LEFT JOIN initiative_asset_use u ON u.initiative_id = i.id AND u.asset = :name
    LEFT JOIN seen s ON s.initiative = i.name
    WHERE i.stage <> 'retired'
), resolved AS (
    SELECT c.*, a.production,
           CASE WHEN c.use_id IS NULL THEN NULL
                WHEN c.pinned_version IS NOT NULL THEN
                    CASE WHEN c.pinned_version BETWEEN 1 AND a.latest THEN c.pinned_version END
                WHEN c.pinned_label IS NULL OR c.pinned_label = 'latest' THEN a.latest
                WHEN c.pinned_label = 'production' THEN a.production
                WHEN c.pinned_label = 'staging' THEN a.staging
           END AS resolved_version
    FROM consumer c CROSS JOIN a
)
SELECT r.name, t.name AS theme, r.stage,
       CASE WHEN r.use_id IS NULL THEN 0 ELSE 1 END AS declared,
       CASE WHEN r.seen IS NULL THEN 0 ELSE 1 END AS observed,
       r.pinned_version, r.pinned_label, r.resolved_version, r.versions AS observed_versions,
       CASE WHEN r.resolved_version < r.production THEN 1 ELSE 0 END AS stale
FROM resolved r JOIN theme t ON t.id = r.theme_id
"""

PAST = ", ".join(f"'{s}'" for s in PAST_PROVE)
PORTFOLIO_SQL = f"""
WITH labelled AS (
    SELECT a.name, a.type, a.origin, a.lifecycle, a.latest,
           p.version AS production, s.version AS staging
    FROM asset a
    LEFT JOIN asset_label p ON p.asset_id = a.id AND p.label = 'production'
    LEFT JOIN asset_label s ON s.asset_id = a.id AND s.label = 'staging'
), used AS (
    SELECT i.name AS initiative, u.asset
    FROM initiative_asset_use u JOIN initiative i ON i.id = u.initiative_id
    UNION
    SELECT d.initiative, d.asset FROM usage_asset_day d
    WHERE d.day BETWEEN :first AND :last AND d.calls > 0
), reusing AS (
    SELECT DISTINCT i.name
    FROM initiative i
    JOIN used ON used.initiative = i.name
    JOIN labelled l ON l.name = used.asset
    WHERE i.stage IN ({PAST}) AND l.production IS NOT NULL AND l.lifecycle <> 'retired'
      AND (l.origin IS NULL OR l.origin <> i.name)
), pins AS (
    SELECT l.production,
           CASE WHEN u.version IS NOT NULL THEN
                    CASE WHEN u.version BETWEEN 1 AND l.latest THEN u.version END
                WHEN u.label IS NULL OR u.label = 'latest' THEN l.latest
                WHEN u.label = 'production' THEN l.production
                WHEN u.label = 'staging' THEN l.staging
           END AS resolved
    FROM initiative_asset_use u
    JOIN initiative i ON i.id = u.initiative_id
    JOIN labelled l ON l.name = u.asset
    WHERE i.stage <> 'retired'
), calls AS (
    SELECT d.via_prompt, d.model_calls, l.type
    FROM usage_asset_day d LEFT JOIN labelled l ON l.name = d.asset
    WHERE d.day BETWEEN :first AND :last
)
SELECT (SELECT count(*) FROM reusing) AS reusing,
       (SELECT count(*) FROM initiative WHERE stage IN ({PAST})) AS past_prove,
       (SELECT count(*) FROM labelled WHERE production IS NOT NULL) AS production_assets,
       (SELECT count(*) FROM pins WHERE resolved < production) AS stale_pins,
       (SELECT coalesce(sum(model_calls), 0) FROM calls WHERE type = 'prompt') AS library_calls,
       (SELECT coalesce(sum(model_calls), 0) FROM calls WHERE type = 'prompt' OR via_prompt)
           AS known_calls
"""


def _window_params(statement: Any) -> Any:
    return statement.bindparams(bindparam("first", type_=Date()), bindparam("last", type_=Date()))


@dataclass(frozen=True)
class Query:
    """One library search, as a user would type it."""

    q: str | None
    type_: str | None

    def as_dict(self) -> dict[str, Any]:
        """Plain form for the JSON output."""
        return {"q": self.q, "type": self.type_}


QUERIES = {
    "browse": Query(None, None),  # the library's landing page: everything, most reused first
    "billing-dispute": Query("billing dispute", None),
    "redact-policies": Query("redact", "policy"),
    "triage-prompts": Query("triage", "prompt"),
    "contract-clause-extract": Query("contract clause extract", None),
    "evaluation-sets": Query(None, "evaluation-set"),
    "email": Query("email", None),
    "warranty-webhook": Query("warranty webhook", None),
}
LIMIT = 50  # the library page's default


def reference_search(connection: Connection, query: Query) -> dict[str, Any]:
    """Hits, total and the first page sorted by reuse, in one statement."""
    conditions, params = [], {"first": WINDOW[0], "last": WINDOW[1], "limit": LIMIT}
    if query.type_:
        conditions.append("a.type = :type")
        params["type"] = query.type_
    for k, word in enumerate((query.q or "").lower().split()):
        conditions.append(f"a.search_text LIKE :w{k}")
        params[f"w{k}"] = f"%{word}%"
    sql = SEARCH_SQL.format(
        conditions=" AND ".join(conditions) or "1 = 1", **_dialect_sql(connection)
    )
    rows = connection.execute(_window_params(text(sql)), params).all()
    return {
        "total": rows[0].total if rows else 0,
        # name, declared, observed, consumers, reused by, production, staging, latest
        "page": [tuple(r[:8]) for r in rows],
    }


def service_search(answer: dict[str, Any]) -> dict[str, Any]:
    """The same figures from `service.library`'s answer."""
    return {
        "total": answer["total"],
        "page": [
            (
                a["name"],
                a["reuse"]["declared"],
                a["reuse"]["observed"],
                a["reuse"]["consumers"],
                a["reuse"]["reusedBy"],
                a["labels"].get("production"),
                a["labels"].get("staging"),
                a["labels"]["latest"],
            )
            for a in answer["assets"]
        ],
    }


def reference_consumers(connection: Connection, name: str) -> list[tuple[Any, ...]]:
    """Every consumer of an asset with its theme, stage, pin, resolved version, observed
    versions and staleness, in one statement."""
    sql = CONSUMERS_SQL.format(**_dialect_sql(connection))
    params = {"name": name, "first": WINDOW[0], "last": WINDOW[1]}
    rows = connection.execute(_window_params(text(sql)), params).all()
    return sorted(
        (
            r.name,
            r.theme,
            r.stage,
            bool(r.declared),
            bool(r.observed),
            r.pinned_version,
            r.pinned_label,
            r.resolved_version,
            tuple(sorted(int(v) for v in str(r.observed_versions).split(",")))
            if r.observed_versions is not None
            else (),
            bool(r.stale),
        )
        for r in rows
    )


def service_consumers(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The same from `service.detail`'s answer."""
    return [
        (
            c["initiative"],
            c["theme"],
            c["stage"],
            c["declared"],
            c["observed"],
            c["pinnedVersion"],
            c["pinnedLabel"],
            c["resolvedVersion"],
            tuple(c["observedVersions"]),
            c["stale"],
        )
        for c in answer["consumers"]
    ]


def reuse_of(consumers: list[tuple[Any, ...]], origin: str | None) -> dict[str, int]:
    """An asset page's reuse figures from the reference's consumers (docs/metrics.md)."""
    return {
        "declared": sum(c[3] for c in consumers),
        "observed": sum(c[4] for c in consumers),
        "consumers": len(consumers),
        "reusedBy": sum(c[0] != origin for c in consumers),
        "atScale": sum(c[2] in AT_SCALE for c in consumers),
        "stalePins": sum(c[9] for c in consumers),
    }


def reference_portfolio(connection: Connection) -> dict[str, int]:
    """The portfolio reuse rate's numerator and denominator, production assets, stale pins and
    the prompt reuse share's two sums, in one statement."""
    row = connection.execute(
        _window_params(text(PORTFOLIO_SQL)), {"first": WINDOW[0], "last": WINDOW[1]}
    ).one()
    return {k: int(v) for k, v in row._mapping.items()}


def service_portfolio(answer: dict[str, Any]) -> dict[str, int]:
    """The same from `service.portfolio_figures`'s answer."""
    return {
        "reusing": answer["reuseRate"]["reusing"],
        "past_prove": answer["reuseRate"]["pastProve"],
        "production_assets": answer["production"],
        "stale_pins": len(answer["stalePins"]),
        "library_calls": answer["promptReuse"]["libraryCalls"],
        "known_calls": answer["promptReuse"]["knownPromptCalls"],
    }


# --- measuring ------------------------------------------------------------------------------------


def repeated(fn: Callable[[], Any], runs: int) -> tuple[dict[str, float], Any]:
    """One cold call, then `runs` timed calls: their milliseconds and the last answer."""
    gc.collect()
    cold, first = timed(fn)
    milliseconds = []
    answer = first
    for _ in range(runs):
        seconds, answer = timed(fn)
        milliseconds.append(seconds * 1000)
    if answer != first:
        raise BenchmarkError("the same call gave two different answers")
    return {"cold_ms": round(cold * 1000, 1), **latency_stats(milliseconds)}, answer


def _compare(label: str, ours: Any, reference: Any) -> None:
    if ours != reference:
        wrong = [f"scalegate {ours!r:.600} != reference {reference!r:.600}"]
        require_agreement(label, "the SQL reference", wrong)


def _on(ws: Workspace, fn: Callable[[Connection], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with ws.engine.connect() as connection:
            return fn(connection)

    return run


def measure_search(ws: Workspace, runs: int, label: str) -> dict[str, Any]:
    """Every query through `service.library` (sort by reuse) and through the reference."""
    figures: dict[str, Any] = {}
    for key, query in QUERIES.items():
        ours, answer = repeated(
            lambda query=query: service.library(
                ws.sessions, q=query.q, type_=query.type_, sort="reuse", as_of=AS_OF
            ),
            runs,
        )
        reference, expected = repeated(
            _on(ws, lambda c, query=query: reference_search(c, query)), runs
        )
        _compare(f"{label}: search {key}", service_search(answer), expected)
        figures[key] = {
            "hits": expected["total"],
            "scalegate": ours,
            "reference": reference,
            "ratio_p50": round(ours["p50"] / reference["p50"], 2),
        }
        progress(f"{label}: search {key} ({expected['total']} hits): {ours} / ref {reference}")
    return figures


def measure_page(ws: Workspace, name: str, runs: int, label: str) -> dict[str, Any]:
    """One asset page (`service.detail`) and the reference's consumers of the asset."""
    ours, answer = repeated(lambda: service.detail(ws.sessions, name, AS_OF), runs)
    reference, expected = repeated(_on(ws, lambda c: reference_consumers(c, name)), runs)
    _compare(f"{label}: consumers of {name}", service_consumers(answer), expected)
    _compare(f"{label}: reuse of {name}", answer["reuse"], reuse_of(expected, answer["origin"]))
    figures = {
        "asset": name,
        "consumers": len(expected),
        "versions": len(answer["versions"]),
        "scalegate": ours,
        "reference": reference,
        "ratio_p50": round(ours["p50"] / reference["p50"], 2),
    }
    progress(f"{label}: asset page {name} ({len(expected)} consumers): {ours} / ref {reference}")
    return figures


def measure_portfolio(ws: Workspace, runs: int, label: str) -> dict[str, Any]:
    """`service.portfolio_figures` and the reference's reuse rate and sums."""
    ours, answer = repeated(lambda: service.portfolio_figures(ws.sessions, AS_OF), runs)
    reference, expected = repeated(_on(ws, reference_portfolio), runs)
    _compare(f"{label}: portfolio reuse", service_portfolio(answer), expected)
    progress(f"{label}: portfolio figures: {ours} / ref {reference}")
    return {
        "scalegate": ours,
        "reference": reference,
        "ratio_p50": round(ours["p50"] / reference["p50"], 2),
        "figures": {
            **expected,
            "rate": answer["reuseRate"]["rate"],
            "prompt_share": answer["promptReuse"]["share"],
        },
    }


def check_pages(ws: Workspace, names: list[str], label: str) -> int:
    """Untimed: the asset page's consumers equal the reference's for each named asset."""
    with ws.engine.connect() as connection:
        for name in names:
            answer = service.detail(ws.sessions, name, AS_OF)
            expected = reference_consumers(connection, name)
            _compare(f"{label}: consumers of {name}", service_consumers(answer), expected)
            _compare(
                f"{label}: reuse of {name}", answer["reuse"], reuse_of(expected, answer["origin"])
            )
    return len(names)


def featured(plan: Plan) -> tuple[str, str, dict[str, int]]:
    """The most used asset, and a typical one: the median, by consumers, of those with any."""
    counts = consumer_counts(plan)
    heavy = max(counts, key=lambda n: (counts[n], n))
    used = sorted((c, n) for n, c in counts.items() if c > 0)
    typical = used[len(used) // 2][1]
    return heavy, typical, counts


STATISTICS = (
    "theme",
    "initiative",
    "initiative_asset_use",
    "asset",
    "asset_label",
    "asset_version",
)


def build(ws: Workspace, plan: Plan, kind: str) -> dict[str, Any]:
    """The applied part, then the bulk part; then checks that the database holds the plan and
    that asset pages (the applied assets and 50 others) equal the reference's."""
    progress(f"{kind}: applying {plan.applied_assets} assets × {plan.versions} versions")
    applied = apply_part(ws, plan)
    progress(f"{kind}: applied part {applied}")
    bulk_s, bulk = timed(lambda: bulk_part(ws, plan))
    progress(f"{kind}: bulk insert {bulk} in {bulk_s:.1f}s")
    if kind == "postgresql":
        # What autovacuum would do within a minute or so of the load; done at once here so
        # that every timed call sees the plans a live database has.
        with ws.engine.begin() as connection:
            for table in (*STATISTICS, "usage_asset_day"):
                connection.execute(text(f"ANALYZE {table}"))
    stored = check_stored(ws, plan, kind)
    progress(f"{kind}: stored {stored}")
    bulk_names = [a.name for a in plan.assets[plan.applied_assets :]]
    sample = random.Random(plan.seed).sample(bulk_names, k=min(50, len(bulk_names)))
    applied_names = [a.name for a in plan.assets[: plan.applied_assets]]
    checked = check_pages(ws, applied_names + sample, kind)
    progress(f"{kind}: {checked} asset pages equal the reference's")
    return {**applied, "bulk_insert_s": round(bulk_s, 1), "stored": stored, "pages": checked}


def measure(kind: str, sizes: tuple[int, int, int, int], runs: int) -> dict[str, Any]:
    """Build the workspace from the plan, drop the plan, then time and compare every read."""
    plan = generate(*sizes)
    heavy, typical, counts = featured(plan)
    with fresh_database(kind) as url:
        ws = upgraded_workspace(url)
        try:
            setup = build(ws, plan, kind)
            # The plan is a few hundred thousand objects that a server process would not hold;
            # left alive, each full garbage collection during a timed call would walk them.
            del plan
            gc.collect()
            search = measure_search(ws, runs, kind)
            pages = {
                "heavy": measure_page(ws, heavy, runs, kind),
                "typical": measure_page(ws, typical, runs, kind),
            }
            for which, entry in pages.items():
                if entry["consumers"] != counts[entry["asset"]]:
                    raise BenchmarkError(
                        f"{kind}: the {which} asset has {entry['consumers']} consumers, "
                        f"planned {counts[entry['asset']]}"
                    )
            portfolio = measure_portfolio(ws, runs, kind)
        finally:
            ws.engine.dispose()
    search_p95 = max(f["scalegate"]["p95"] for f in search.values())
    return {
        "setup": setup,
        "search": search,
        "asset_page": pages,
        "portfolio": portfolio,
        "aims_met": {
            "search": search_p95 < AIM_SEARCH_MS,
            "search_with_words": max(
                f["scalegate"]["p95"] for k, f in search.items() if QUERIES[k].q
            )
            < AIM_SEARCH_MS,
            "asset_page": max(p["scalegate"]["p95"] for p in pages.values()) < AIM_PAGE_MS,
            "portfolio": portfolio["scalegate"]["p95"] < AIM_PORTFOLIO_MS,
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.assets", description=__doc__)
    parser.add_argument("--assets", type=positive_int, default=DEFAULT_ASSETS)
    parser.add_argument("--versions", type=positive_int, default=DEFAULT_VERSIONS)
    parser.add_argument("--initiatives", type=positive_int, default=DEFAULT_INITIATIVES)
    parser.add_argument("--runs", type=positive_int, default=DEFAULT_RUNS)
    add_seed_and_databases(parser, "library")
    args = parser.parse_args(argv)
    generate_s, plan = timed(
        lambda: generate(args.assets, args.versions, args.initiatives, args.seed)
    )
    progress(f"generated in {generate_s:.1f}s: {plan.sizes}")
    heavy, typical, counts = featured(plan)
    sizes = plan.sizes
    del plan  # each database regenerates it (deterministic) and drops it before timing
    figures: dict[str, Any] = {
        "benchmark": "assets",
        "sizes": sizes,
        "as_of": AS_OF.isoformat(),
        "window": {"from": WINDOW[0].isoformat(), "to": WINDOW[1].isoformat()},
        "runs": args.runs,
        "queries": {k: q.as_dict() for k, q in QUERIES.items()},
        "featured": {"heavy": [heavy, counts[heavy]], "typical": [typical, counts[typical]]},
        "generate_s": round(generate_s, 1),
        "aims_ms": {
            "search_p95": AIM_SEARCH_MS,
            "asset_page_p95": AIM_PAGE_MS,
            "portfolio_p95": AIM_PORTFOLIO_MS,
        },
    }
    for kind in args.databases:
        try:
            figures[kind] = measure(
                kind, (args.assets, args.versions, args.initiatives, args.seed), args.runs
            )
        except Skipped as skipped:
            progress(f"{kind}: skipped ({skipped.reason})")
            figures[kind] = {"skipped": skipped.reason}
    figures["machine"] = machine()
    emit(figures)


if __name__ == "__main__":
    main()
