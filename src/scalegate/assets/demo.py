"""The demo's asset library as its teams built it: earlier versions first, then today's content,
with the label moves they made in between (each by `promote`, with its rationale).

Only assets the workspace does not hold yet get this history, so a second build changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.assets import service
from scalegate.assets.kinds import CHANGE_ANNOTATION
from scalegate.assets.models import Asset
from scalegate.db import transaction
from scalegate.errors import GateBlocked
from scalegate.manifests.service import ApplyResult, apply_sources

Sources = list[tuple[str, str]]
CONTENT_KEYS = ("content", "contentFrom", "artifact")


@dataclass(frozen=True)
class Earlier:
    """An earlier version of a demo asset: a file under examples/portfolio or an artifact."""

    change: str
    file: str | None = None
    artifact: Mapping[str, str] | None = None


def _history(name: str, version: int, suffix: str = "md") -> str:
    return f"assets/history/{name}.v{version}.{suffix}"


# Each asset's versions before the one in assets.yaml, oldest first.
EARLIER: dict[str, tuple[Earlier, ...]] = {
    "billing-dispute-reply-prompt": (
        Earlier("Lifted from the 40-agent pilot", _history("billing-dispute-reply-prompt", 1)),
        Earlier(
            "Tariff clause citations, JSON output, never promise an amount",
            _history("billing-dispute-reply-prompt", 2),
        ),
    ),
    "billing-dispute-eval-set": (
        Earlier(
            "138 pilot disputes labelled by two senior agents",
            artifact={
                "url": "https://artifacts.northwind.example/evals/billing-dispute/v1/cases.jsonl",
                "sha256": "06fcf03fd731981fd926c5bfdd9303bdd50a005f24a9b3fb6783796ea3522a46",
            },
        ),
    ),
    "dispute-assistant-api": (
        Earlier(
            "Pilot contract: one draft endpoint",
            _history("dispute-assistant-api", 1, "openapi"),
        ),
    ),
    "model-routing-by-data-class": (
        Earlier(
            "First rule set enforced by the AI gateway",
            _history("model-routing-by-data-class", 1, "txt"),
        ),
    ),
    "ticket-triage-classification": (
        Earlier("Written up from the triage pilot", _history("ticket-triage-classification", 1)),
    ),
    "pii-redaction-policy": (
        Earlier("Cards, IBANs, emails and phones", _history("pii-redaction-policy", 1)),
        Earlier(
            "National IDs and dates of birth; stable placeholders; recall thresholds",
            _history("pii-redaction-policy", 2),
        ),
    ),
    "launch-checklist-playbook": (
        Earlier(
            "Checklist of the first incident-bot roll-out", _history("launch-checklist-playbook", 1)
        ),
    ),
    "incident-summary-prompt": (
        Earlier("Incident-specific summary prompt", _history("incident-summary-prompt", 1)),
    ),
}
# A deprecated asset was in production before it was deprecated.
EARLIER_LIFECYCLE = {"generic-summary-prompt": "production"}


@dataclass(frozen=True)
class LabelMove:
    """A promote the demo's teams made once the asset had reached `version`."""

    asset: str
    version: int
    label: str
    rationale: str


def _production(asset: str, version: int, rationale: str) -> LabelMove:
    return LabelMove(asset, version, "production", rationale)


def _staging(asset: str, version: int, rationale: str) -> LabelMove:
    return LabelMove(asset, version, "staging", rationale)


MOVES: tuple[LabelMove, ...] = (
    _production(
        "generic-summary-prompt", 1, "First summarisation prompt of the incident bot pilot"
    ),
    _production(
        "billing-dispute-eval-set",
        1,
        "Pilot evaluation set: 138 redacted disputes, inter-rater agreement 0.91",
    ),
    _production(
        "billing-dispute-reply-prompt",
        1,
        "Prompt of the 40-agent pilot; risk review signed; 89% of the 138 evaluation "
        "disputes assessed correctly",
    ),
    _production(
        "ticket-triage-classification",
        1,
        "The pattern behind the triage pilot that took misroutes from 18% to 9%",
    ),
    _production(
        "ticket-triage-eval-set", 1, "1,400 labelled tickets; the classifier scores macro-F1 0.87"
    ),
    _production(
        "ticket-triage-api", 1, "What the ITSM platform calls in production since the BAU hand-over"
    ),
    _production(
        "pii-redaction-policy",
        1,
        "Approved by Risk & Controls for confidential data; card and IBAN recall 99.4%",
    ),
    _production(
        "launch-checklist-playbook",
        1,
        "Used for the first incident-bot roll-out; the platform guild adopts it as the default",
    ),
    _production(
        "incident-summary-prompt",
        1,
        "Replaces the generic summary prompt for incidents; rated 4.2/5 on 60 incidents",
    ),
    _production(
        "incident-summary-webhook",
        1,
        "Schema agreed with the status page and service-desk portal teams; both consume it",
    ),
    _production(
        "media-enrichment-api",
        1,
        "Contract 1.4.0 of the enrichment pipeline; the member library and the intranet CMS use it",
    ),
    _production(
        "model-routing-by-data-class",
        1,
        "First rule set for the AI gateway; signed by the CISO office",
    ),
    _staging(
        "ehr-note-fhir-template",
        1,
        "Running in the three pilot clinics; production waits for the clinical safety case",
    ),
    _production(
        "billing-dispute-eval-set",
        2,
        "180 cases with goodwill and partial credits, so prompt v2 can be judged on them",
    ),
    _staging(
        "billing-dispute-reply-prompt",
        2,
        "Candidate: 94% correct on the 180-case set (v1: 78%); two weeks with 40 agents",
    ),
    _production(
        "billing-dispute-reply-prompt",
        2,
        "Staging run: agents edit 24% of drafts (v1: 38%); no amount promised in 2,100 replies",
    ),
    _production(
        "dispute-assistant-api",
        2,
        "v2 contract with OAuth2 scopes and the feedback endpoint; CRM and agent desktop migrated",
    ),
    _production(
        "model-routing-by-data-class",
        2,
        "Self-hosted llama limited to public data after the data-residency review",
    ),
    _production(
        "ticket-triage-classification",
        2,
        "Three-band threshold took misroutes from 9% to 6%; P1 no longer auto-routed",
    ),
    _production(
        "pii-redaction-policy",
        2,
        "National IDs and dates of birth; recall at least 97% in every category; Controls signed",
    ),
    _production(
        "launch-checklist-playbook",
        2,
        "Rewritten after roll-outs to three adjacent teams; items match the gate sign-offs",
    ),
    _production(
        "incident-summary-prompt",
        2,
        "Audience sections and record citations; rated 4.6/5, no hostname leaked in 120 summaries",
    ),
    _staging(
        "billing-dispute-reply-prompt",
        3,
        "Replies in the customer's language for the Dutch and German queues; 10% of agents on it",
    ),
    _staging(
        "pii-redaction-policy",
        3,
        "Health identifiers for the clinic pilots (recall 98.1%); awaits the Controls review",
    ),
)


def _earlier_asset(doc: dict[str, Any], round_: int) -> dict[str, Any]:
    """The Asset document as it stood in a round: its content, change message and lifecycle."""
    name = doc["metadata"]["name"]
    spec = dict(doc["spec"])
    if name in EARLIER_LIFECYCLE:
        spec["lifecycle"] = EARLIER_LIFECYCLE[name]
    earlier = EARLIER.get(name, ())
    if round_ > len(earlier):
        return {**doc, "spec": spec}  # today's content already
    then = earlier[round_ - 1]
    spec = {k: v for k, v in spec.items() if k not in CONTENT_KEYS}
    if then.artifact is not None:
        spec["artifact"] = dict(then.artifact)
    else:
        spec["contentFrom"] = {"file": then.file}
    annotations = {**doc["metadata"].get("annotations", {}), CHANGE_ANNOTATION: then.change}
    return {**doc, "metadata": {**doc["metadata"], "annotations": annotations}, "spec": spec}


def earlier_rounds(sources: Sources, fresh: set[str]) -> list[Sources]:
    """The sources to apply before today's: round n holds each fresh asset at version n."""
    # Round 1 is the whole portfolio (origins and uses need the initiatives); later rounds
    # hold only the fresh assets.
    if not fresh:
        return []
    rounds = max(len(EARLIER.get(name, ())) for name in fresh)
    if fresh & EARLIER_LIFECYCLE.keys():
        rounds = max(rounds, 1)  # its production label is moved before it is deprecated
    found: list[Sources] = []
    for round_ in range(1, rounds + 1):
        texts: Sources = []
        for name, text in sources:
            docs = list(yaml.safe_load_all(text)) if "Asset" in text else []
            if not any(_is_fresh_asset(d, fresh) for d in docs):
                if round_ == 1:
                    texts.append((name, text))
                continue
            kept = [
                _earlier_asset(d, round_) if _is_fresh_asset(d, fresh) else d
                for d in docs
                if round_ == 1 or _is_fresh_asset(d, fresh)
            ]
            texts.append((name, yaml.safe_dump_all(kept, sort_keys=False, allow_unicode=True)))
        found.append(texts)
    return found


def _is_fresh_asset(doc: Any, fresh: set[str]) -> bool:
    return (
        isinstance(doc, dict)
        and doc.get("kind") == "Asset"
        and doc.get("metadata", {}).get("name") in fresh
    )


def asset_names(sources: Sources) -> set[str]:
    """Names of the Asset documents in the sources."""
    return {
        d["metadata"]["name"]
        for _, text in sources
        if "Asset" in text  # parsing every KPI and SLO file would take most of the time
        for d in yaml.safe_load_all(text)
        if isinstance(d, dict) and d.get("kind") == "Asset"
    }


def missing_assets(factory: sessionmaker[Session], sources: Sources) -> set[str]:
    """The demo's assets the workspace does not hold yet: only these get a history."""
    with transaction(factory) as session:
        held = set(session.scalars(select(Asset.name)))
    return asset_names(sources) - held


def move_labels(factory: sessionmaker[Session], actor: Actor, fresh: set[str], version: int) -> int:
    """Make the demo's label moves onto `version` of the fresh assets; return how many."""
    # A workspace's own asset policies may refuse a move: the demo then goes without it.
    moved = 0
    for move in (m for m in MOVES if m.asset in fresh and m.version == version):
        try:
            service.promote(factory, actor, move.asset, move.version, move.label, move.rationale)
        except GateBlocked:
            continue
        moved += 1
    return moved


def apply_with_history(
    factory: sessionmaker[Session],
    actor: Actor,
    sources: Sources,
    before_moves: Callable[[], object] = lambda: None,
) -> tuple[ApplyResult, str]:
    """Apply the portfolio, fresh assets through their history; the first apply and a summary.

    `before_moves` runs after each apply, before its label moves: where the demo sends the
    evaluation runs that a promotion to production needs."""
    fresh = missing_assets(factory, sources)
    first: ApplyResult | None = None
    moved = 0
    rounds = earlier_rounds(sources, fresh)
    for number, texts in enumerate(rounds, start=1):
        result = apply_sources(factory, texts, actor)
        if first is None:
            first = result  # the apply that created the portfolio
        before_moves()
        moved += move_labels(factory, actor, fresh, number)
    last = apply_sources(factory, sources, actor)
    before_moves()
    moved += move_labels(factory, actor, fresh, len(rounds) + 1)
    return first or last, _library_line(factory, moved)


def _library_line(factory: sessionmaker[Session], moved: int) -> str:
    shelf = service.library(factory, limit=10_000)["assets"]
    versions = sum(a["latest"] for a in shelf)
    labelled = {
        label: sum(label in a["labels"] for a in shelf) for label in ("production", "staging")
    }
    return (
        f"demo asset library: {len(shelf)} assets, {versions} versions, "
        f"{labelled['production']} in production, {labelled['staging']} on staging; "
        f"{moved} label moves by promote"
    )
