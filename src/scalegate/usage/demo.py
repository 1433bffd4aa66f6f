"""Months of AI usage for the demo's AI initiatives: adoption grows, overrides fall."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

DAYS = 75
MAX_USERS = 24
# initiative -> (main model, share of tasks on a second model, second model)
TEAMS = {
    "billing-dispute-assistant": ("gpt-4o-mini", 0.0, None),
    "support-ticket-triage": ("gpt-4o-mini", 0.0, None),
    "it-incident-summarisation": ("claude-3.5-sonnet", 0.0, None),
    "alt-text-metadata-generation": ("gpt-4o-mini", 0.0, None),
    "proposal-drafting-assistant": ("claude-3.5-sonnet", 0.0, None),
    # Shadow AI: part of the clause review runs on a self-hosted model not approved for it.
    "contract-clause-review": ("claude-3.5-sonnet", 0.3, "llama-3.1-70b"),
}


def _outcome(rng: random.Random, progress: float) -> str:
    """Overrides fall from about 30 % to 8 % as the team learns the tool."""
    override = 0.30 - 0.22 * progress
    draw = rng.random()
    if draw < 0.03:
        return "failed"
    if draw < 0.03 + override:
        return "overridden"
    if draw < 0.06 + override:
        return "escalated"
    return "edited" if rng.random() < 0.35 else "accepted"


def initiative_usage(name: str, today: date) -> list[dict[str, Any]]:
    """One initiative's usage events over the last DAYS days."""
    model, share, other = TEAMS[name]
    rng = random.Random(f"usage/{name}")
    events: list[dict[str, Any]] = []
    start = today - timedelta(days=DAYS)
    for offset in range(1, DAYS + 1):
        day = start + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        progress = offset / DAYS
        for user in range(max(2, round(MAX_USERS * progress))):
            for task in range(rng.randint(1, 2)):
                assisted = rng.random() < 0.55 + 0.4 * progress
                used = other if other and rng.random() < share else model
                at = datetime.combine(day, time(9), tzinfo=UTC) + timedelta(
                    minutes=rng.randint(0, 480)
                )
                event: dict[str, Any] = {
                    "type": "usage",
                    "id": f"{name}-{day.isoformat()}-{user}-{task}",
                    "initiative": name,
                    "user": f"{name}-user-{user:02d}",
                    "at": at.isoformat(),
                    "task": "case",
                    "assisted": assisted,
                    "outcome": _outcome(rng, progress) if assisted else "accepted",
                    "duration_s": round(rng.uniform(120, 600) * (0.7 if assisted else 1), 1),
                    "human_reviewed": assisted and rng.random() < 0.4,
                }
                if assisted:
                    event |= {
                        "model": used,
                        "input_tokens": rng.randint(800, 2400),
                        "output_tokens": rng.randint(150, 600),
                        "latency_ms": round(rng.lognormvariate(6.7, 0.4), 1),
                        "guardrail_triggered": rng.random() < 0.02,
                    }
                events.append(event)
    return events


def demo_usage(today: date) -> list[dict[str, Any]]:
    """Usage events for every demo AI initiative."""
    return [e for name in TEAMS for e in initiative_usage(name, today)]
