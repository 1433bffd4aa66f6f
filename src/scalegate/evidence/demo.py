"""A believable delivery history for the demo portfolio's services."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

HISTORY_DAYS = 120


@dataclass(frozen=True)
class Profile:
    """How a team ships: deploys per week, hours from commit to production, failure odds."""

    deploys_per_week: float
    lead_hours: tuple[float, float]
    failure_rate: float
    recovery_hours: tuple[float, float]
    rollback_share: float


PROFILES = {
    "elite": Profile(9.0, (2, 20), 0.04, (0.2, 0.9), 0.3),
    "high": Profile(3.0, (12, 120), 0.09, (2, 20), 0.3),
    "medium": Profile(0.7, (72, 500), 0.14, (10, 120), 0.2),
    "low": Profile(0.2, (300, 1400), 0.3, (48, 400), 0.1),
}
# Which way each demo initiative's delivery leans; others follow their stage.
TEAM_PROFILES = {
    "it-incident-summarisation": "elite",
    "support-ticket-triage": "elite",
    "billing-dispute-assistant": "high",
    "alt-text-metadata-generation": "high",
    "developer-code-review-assistant": "high",
    "contract-clause-review": "medium",
    "proposal-drafting-assistant": "medium",
    "clinical-documentation-assistant": "low",
}
STAGE_PROFILES = {
    "prove": "low",
    "industrialize": "medium",
    "adopt": "high",
    "govern": "high",
    "expand": "elite",
}


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(8), tzinfo=UTC) + timedelta(minutes=rng.randint(0, 600))


def service_history(
    service: str, profile: Profile, today: date, rng: random.Random
) -> list[dict[str, Any]]:
    """Deployments with commits, failures, rollbacks and incidents for one service."""
    events: list[dict[str, Any]] = []
    start = today - timedelta(days=HISTORY_DAYS)
    previous: str | None = None
    per_weekday = profile.deploys_per_week / 5
    days = [start + timedelta(days=offset) for offset in range(HISTORY_DAYS)]
    # Deploy on weekdays: the whole part of the daily rate always, the fraction by chance.
    slots = [
        day
        for day in days
        if day.weekday() < 5
        for _ in range(int(per_weekday) + (rng.random() < per_weekday % 1))
    ]
    for serial, day in enumerate(slots, start=1):
        deployment_id = f"{service}-{serial:04d}"
        finished = _at(day, rng)
        commits = [
            {
                "sha": f"{rng.getrandbits(160):040x}",
                "committed_at": (
                    finished - timedelta(hours=rng.uniform(*profile.lead_hours))
                ).isoformat(),
            }
            for _ in range(rng.randint(1, 5))
        ]
        events.append(
            {
                "type": "deployment",
                "id": deployment_id,
                "service": service,
                "environment": "production",
                "status": "success",
                "finished_at": finished.isoformat(),
                "commits": commits,
                "rollback_of": None,
                "remediates": [],
            }
        )
        if rng.random() < profile.failure_rate:
            incident_id = f"INC-{service}-{serial:04d}"
            opened = finished + timedelta(minutes=rng.randint(5, 240))
            resolved = opened + timedelta(hours=rng.uniform(*profile.recovery_hours))
            events.append(
                {
                    "type": "incident",
                    "id": incident_id,
                    "service": service,
                    "opened_at": opened.isoformat(),
                    "resolved_at": resolved.isoformat() if resolved.date() < today else None,
                    "caused_by": deployment_id if rng.random() < 0.6 else None,
                }
            )
            if previous is not None and rng.random() < profile.rollback_share:
                events.append(
                    {
                        "type": "deployment",
                        "id": f"{deployment_id}-rollback",
                        "service": service,
                        "environment": "production",
                        "status": "success",
                        "finished_at": (opened + timedelta(minutes=20)).isoformat(),
                        "commits": [],
                        "rollback_of": deployment_id,
                        "remediates": [incident_id],
                    }
                )
        previous = deployment_id
    return events


def demo_delivery(
    initiatives: Iterable[tuple[str, str, list[str]]], today: date
) -> list[dict[str, Any]]:
    """Events for every service of the initiatives past `define`, seeded by name for stability."""
    events: list[dict[str, Any]] = []
    for name, stage, services in initiatives:
        profile_name = TEAM_PROFILES.get(name) or STAGE_PROFILES.get(stage)
        if profile_name is None:
            continue
        for service in services:
            rng = random.Random(f"{name}/{service}")
            events += service_history(service, PROFILES[profile_name], today, rng)
    return events
