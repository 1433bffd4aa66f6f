"""The demo workspace: a realistic portfolio with delivery history and KPI evidence."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from scalegate.access import service as access
from scalegate.access.actor import Actor
from scalegate.access.service import IssuedToken
from scalegate.assets.demo import apply_with_history
from scalegate.assets.service import portfolio_figures
from scalegate.evaluations.demo import DemoIngest, demo_results
from scalegate.evidence.demo import demo_delivery
from scalegate.evidence.service import ingest
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import export_documents
from scalegate.outcomes.demo import demo_outcomes
from scalegate.slo.demo import demo_sli
from scalegate.usage.demo import demo_usage


def demo_portfolio_dir() -> Path:
    """The demo portfolio: examples/portfolio in a checkout, or the copy inside the package."""
    checkout = Path(__file__).resolve().parents[2] / "examples" / "portfolio"
    return checkout if checkout.is_dir() else Path(__file__).parent / "_examples" / "portfolio"


def _lines(events: Iterable[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(e) for e in events)


def build_demo(
    factory: sessionmaker[Session], actor: Actor, today: date, now: datetime | None = None
) -> list[str]:
    """Apply the demo portfolio and ingest its evidence; return one summary line per step.

    SLI counts run up to `now` (default: noon UTC of `today`), so burn-rate alerts fire then.
    """
    source = demo_portfolio_dir()
    evaluated = DemoIngest(factory, actor, demo_results(today))
    applied, library = apply_with_history(
        factory, actor, read_sources([str(source)]), before_moves=evaluated
    )
    totals = applied.totals()
    initiatives = [
        d["spec"] | {"name": d["metadata"]["name"]}
        for d in export_documents(factory, ["Initiative"])
    ]
    delivery = demo_delivery(
        [(i["name"], i["stage"], i.get("services", [])) for i in initiatives], today
    )
    delivered = ingest(factory, actor, _lines(delivery), "jsonl", source="demo")
    kpis = demo_outcomes(
        [(i["name"], i["stage"], i.get("hypotheses", [])) for i in initiatives], today
    )
    measured = ingest(factory, actor, _lines(kpis), "jsonl", source="demo")
    used = ingest(factory, actor, _lines(demo_usage(today)), "jsonl", source="demo")
    until = now or datetime.combine(today, time(12), UTC)
    reliability = ingest(factory, actor, _lines(demo_sli(until)), "jsonl", source="demo")
    return [
        f"demo portfolio from {source}: " + ", ".join(f"{n} {a}" for a, n in totals.items()),
        library,
        evaluated.summary(),
        f"demo delivery history: {delivered.stored} events stored, "
        f"{delivered.duplicates} already there",
        f"demo KPI observations: {measured.stored} stored, {measured.duplicates} already there",
        f"demo AI usage: {used.stored} events stored, {used.duplicates} already there",
        f"demo SLI counts: {reliability.stored} stored, {reliability.duplicates} already there",
        _reuse_line(portfolio_figures(factory, until)),
    ]


def _reuse_line(figures: dict[str, Any]) -> str:
    rate, prompts = figures["reuseRate"], figures["promptReuse"]
    share = prompts["share"]
    most = ", ".join(f"{a['name']} ({a['reusedBy']})" for a in figures["mostReused"][:3])
    return (
        f"demo reuse: {rate['reusing']} of {rate['pastProve']} initiatives past prove reuse a "
        f"production asset; {share:.0%} of {prompts['knownPromptCalls']:,} model calls with a "
        f"known prompt use a library prompt; most reused: {most or 'none'}"
        if share is not None
        else f"demo reuse: {rate['reusing']} of {rate['pastProve']} initiatives past prove reuse "
        "a production asset"
    )


# Signing in to the demo: one admin user, whose token `scalegate demo` prints once.
DEMO_USER = "demo@scalegate.example"


def demo_sign_in(factory: sessionmaker[Session], actor: Actor) -> IssuedToken | None:
    """Create the demo's admin user with a fresh API token, when the workspace has no such user
    yet; None otherwise (tokens are shown once: `scalegate token create` issues another)."""
    if any(user.email == DEMO_USER for user in access.list_users(factory)):
        return None
    access.add_user(factory, actor, DEMO_USER, ["admin"])
    return access.create_token(factory, actor, DEMO_USER, name="demo")
