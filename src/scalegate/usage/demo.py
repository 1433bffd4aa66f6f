"""Months of AI usage for the demo's AI initiatives: adoption grows, overrides fall, and calls
name the prompt or library asset they used."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

DAYS = 75


@dataclass(frozen=True)
class PromptUse:
    """Calls naming a prompt or asset (NAME@VERSION) between two days, with a relative weight."""

    reference: str
    # `asset` as the `scalegate.asset` span attribute names it, `prompt` as Langfuse's do.
    field: Literal["asset", "prompt"]
    since: int = DAYS  # days before today
    until: int = 0
    weight: float = 1.0


@dataclass(frozen=True)
class Team:
    """How one demo team uses AI: models, people at the peak, tasks a day, prompts named."""

    model: str
    users: int
    tasks: tuple[int, int]
    prompts: tuple[PromptUse, ...]
    second_share: float = 0.0
    second_model: str | None = None


TEAMS = {
    # Prompt v2 replaced v1 six weeks ago; v3 runs on staging for about 10 % of the calls.
    "billing-dispute-assistant": Team(
        "gpt-4o-mini",
        38,
        (2, 4),
        (
            PromptUse("billing-dispute-reply-prompt@1", "asset", since=DAYS, until=46),
            PromptUse("billing-dispute-reply-prompt@2", "asset", since=45, until=13),
            PromptUse("billing-dispute-reply-prompt@2", "asset", since=12, weight=0.9),
            PromptUse("billing-dispute-reply-prompt@3", "asset", since=12, weight=0.1),
        ),
    ),
    # The classifier names the library's workflow pattern, not a prompt.
    "support-ticket-triage": Team(
        "gpt-4o-mini",
        16,
        (4, 8),
        (
            PromptUse("ticket-triage-classification@1", "asset", since=DAYS, until=61),
            PromptUse("ticket-triage-classification@2", "asset", since=60),
        ),
    ),
    # Langfuse-managed prompt, linked to the library asset of the same name.
    "it-incident-summarisation": Team(
        "claude-3.5-sonnet",
        9,
        (1, 1),
        (
            PromptUse("incident-summary-prompt@1", "prompt", since=DAYS, until=41),
            PromptUse("incident-summary-prompt@2", "prompt", since=40),
        ),
    ),
    # The editors keep their prompt in their own Langfuse project; it is not in the library.
    "alt-text-metadata-generation": Team(
        "gpt-4o-mini", 7, (2, 4), (PromptUse("alt-text-wcag@3", "prompt"),)
    ),
    # Section drafting on the team's own prompt; the executive summary still on the
    # deprecated library prompt.
    "proposal-drafting-assistant": Team(
        "claude-3.5-sonnet",
        15,
        (1, 2),
        (
            PromptUse("proposal-section-drafter@5", "prompt", weight=0.75),
            PromptUse("generic-summary-prompt@1", "asset", weight=0.25),
        ),
    ),
    # Shadow AI: part of the clause review runs on a self-hosted model not approved for it,
    # on a prompt of the legal team's own.
    "contract-clause-review": Team(
        "claude-3.5-sonnet",
        10,
        (1, 2),
        (PromptUse("clause-deviation-check@2", "prompt"),),
        second_share=0.3,
        second_model="llama-3.1-70b",
    ),
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


def _prompt(rng: random.Random, team: Team, days_ago: int) -> dict[str, str]:
    """The prompt field of one call: one of the team's prompts in use that day, by weight."""
    live = [p for p in team.prompts if p.until <= days_ago <= p.since]
    if not live:
        return {}
    chosen = rng.choices(live, weights=[p.weight for p in live])[0]
    return {chosen.field: chosen.reference}


def initiative_usage(name: str, today: date) -> list[dict[str, Any]]:
    """One initiative's usage events over the last DAYS days."""
    team = TEAMS[name]
    rng = random.Random(f"usage/{name}")
    events: list[dict[str, Any]] = []
    start = today - timedelta(days=DAYS)
    for offset in range(1, DAYS + 1):
        day = start + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        progress = offset / DAYS
        for user in range(max(2, round(team.users * progress))):
            for task in range(rng.randint(*team.tasks)):
                assisted = rng.random() < 0.55 + 0.4 * progress
                second = team.second_model is not None and rng.random() < team.second_share
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
                        "model": team.second_model if second else team.model,
                        "input_tokens": rng.randint(800, 2400),
                        "output_tokens": rng.randint(150, 600),
                        "latency_ms": round(rng.lognormvariate(6.7, 0.4), 1),
                        "guardrail_triggered": rng.random() < 0.02,
                        **_prompt(rng, team, (today - day).days),
                    }
                events.append(event)
    return events


def demo_usage(today: date) -> list[dict[str, Any]]:
    """Usage events for every demo AI initiative."""
    return [e for name in TEAMS for e in initiative_usage(name, today)]
