"""The Reuse section of every review pack: reuse rate, prompt reuse, most reused, stale pins.

The figures are assets.service.portfolio_reuse's (definitions in core/assets.py and
docs/metrics.md): observed calls are those of the 28 days to the pack's as_of; labels, versions,
declared uses and stages are the workspace's current ones, like the rest of the pack.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from scalegate.assets.service import portfolio_figures
from scalegate.reviews.document import Section, Table, names, pct, when


def reuse_facts(factory: sessionmaker[Session], as_of: datetime) -> dict[str, Any]:
    """portfolio_reuse as of a moment, stale pins in initiative order."""
    figures = portfolio_figures(factory, as_of)
    figures["stalePins"].sort(key=lambda p: (p["initiative"], p["asset"]))
    return figures


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def rate_text(rate: dict[str, Any]) -> str:
    """`2 of 3 initiatives past prove reuse a production asset …`, or why there is no rate."""
    if not rate["pastProve"]:
        return "no initiative is past prove yet, so there is no reuse rate"
    return (
        f"{rate['reusing']} of {rate['pastProve']} initiatives past prove reuse a production "
        f"asset they did not originate ({pct(rate['rate'])})"
    )


def prompt_text(prompts: dict[str, Any]) -> str:
    """`6 of 8 model calls with a known prompt used a library prompt (75%)`, or that none did."""
    if not prompts["knownPromptCalls"]:
        return "no model call named its prompt in the last 28 days"
    return (
        f"{prompts['libraryCalls']} of {prompts['knownPromptCalls']} model calls with a known "
        f"prompt used a library prompt ({pct(prompts['share'])})"
    )


def stale_text(pin: dict[str, Any]) -> str:
    """`claims → pii-redaction v1 while production is v2`."""
    return (
        f"{pin['initiative']} → {pin['asset']} v{pin['resolvedVersion']} "
        f"while production is v{pin['productionVersion']}"
    )


def reuse_section(reuse: dict[str, Any]) -> Section:
    """The figures with their numerators and denominators, the most reused assets, stale pins."""
    rate, prompts, stale = reuse["reuseRate"], reuse["promptReuse"], reuse["stalePins"]
    figures = Table(
        "Reuse figures",
        ("Figure", "Value", "What it counts"),
        [
            (
                "Portfolio reuse rate",
                f"{rate['reusing']} of {rate['pastProve']} ({pct(rate['rate'])})"
                if rate["pastProve"]
                else "— (no initiative past prove)",
                "Initiatives past prove that use a production asset they did not originate, "
                f"over initiatives past prove. Reusing: {names(rate['initiatives'])}.",
            ),
            (
                "Prompt reuse share (28 days)",
                f"{prompts['libraryCalls']} of {prompts['knownPromptCalls']} model calls "
                f"({pct(prompts['share'])})"
                if prompts["knownPromptCalls"]
                else "— (no model call named its prompt)",
                "Model calls whose prompt is a library prompt asset, over model calls with a "
                "known prompt.",
            ),
            (
                "Production assets",
                f"{reuse['production']} of {reuse['assets']}",
                "Library assets whose production label points at a version.",
            ),
            (
                "Stale pins",
                str(len(stale)),
                "Declared uses that resolve to a version older than production's.",
            ),
        ],
    )
    most = Table(
        "Most reused assets",
        ("Asset", "Type", "Reused by", "Consumers", "Declared", "Observed (28 days)"),
        [
            (
                a["name"],
                a["type"],
                _plural(a["reusedBy"], "initiative"),
                str(a["consumers"]),
                str(a["declared"]),
                str(a["observed"]),
            )
            for a in reuse["mostReused"]
        ],
        "No asset is used beyond the initiative it came from."
        if reuse["assets"]
        else "The asset library is empty.",
    )
    pins = Table(
        "Stale pins",
        ("Stale pin", "Pinned by"),
        [
            (stale_text(p), f"label {p['label']}" if p["label"] else f"version {p['version']}")
            for p in stale
        ],
        "No initiative is pinned to a version older than production.",
    )
    intro = (
        f"The asset library as of {when(reuse['asOf'])} UTC: {rate_text(rate)}; "
        f"{prompt_text(prompts)}; {reuse['production']} of {_plural(reuse['assets'], 'asset')} "
        f"carry the production label; {_plural(len(stale), 'stale pin')}."
    )
    return Section("reuse", "Reuse", intro, tables=[figures, most, pins])
