"""Weeks of SLI counts for the demo's SLOs: most healthy, one paging, one raising tickets."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DAYS = 35
FINE_DAYS = 3  # the last days in 5-minute records (burn windows); hourly before
FINE, COARSE = timedelta(minutes=5), timedelta(hours=1)
# The counts run two hours past the build, as if traffic kept coming, so that the paging and
# ticketing alerts are still firing while someone looks at a freshly built demo.
AHEAD = timedelta(hours=2)


@dataclass(frozen=True)
class Traffic:
    """Requests per 5 minutes, the usual error ratio, and a recent incident."""

    per_5m: int
    error_ratio: float
    incident_ratio: float = 0.0
    incident_hours: float = 0.0


TRAFFIC = {
    "ticket-triage-availability": Traffic(900, 0.0003),
    # 10 % errors for 2 hours against a 0.5 % budget: burn 20, both page rules fire.
    "dispute-assistant-availability": Traffic(600, 0.001, 0.10, 2),
    "dispute-assistant-latency": Traffic(600, 0.004),
    # 0.4 % errors for 30 hours against a 0.1 % budget: burn 4, both ticket rules, no page.
    "clause-review-availability": Traffic(3000, 0.0003, 0.004, 30),
    "incident-summary-delivery": Traffic(40, 0.001),
    "media-enrichment-freshness": Traffic(120, 0.01),
    "proposal-drafting-availability": Traffic(200, 0.002),
    "git-platform-webhooks": Traffic(2000, 0.0002),
}


def _records(name: str, traffic: Traffic, now: datetime) -> list[dict[str, Any]]:
    rng = random.Random(f"sli/{name}")
    end = now.replace(second=0, microsecond=0, minute=now.minute - now.minute % 5)
    fine_start = end - timedelta(days=FINE_DAYS)
    moments = [
        end - FINE * k for k in range(-int(AHEAD / FINE), int(timedelta(days=FINE_DAYS) / FINE))
    ]
    hour = fine_start.replace(minute=0)
    while hour > end - timedelta(days=DAYS):
        moments.append(hour)
        hour -= COARSE
    incident_start = end - timedelta(hours=traffic.incident_hours)
    events = []
    for at in sorted(moments):
        span = FINE if at > fine_start else COARSE
        total = round(traffic.per_5m * (span / FINE) * rng.uniform(0.8, 1.2))
        ratio = traffic.incident_ratio if at > incident_start else traffic.error_ratio
        bad = min(total, round(total * ratio * rng.uniform(0.5, 1.5)))
        events.append(
            {"type": "sli", "slo": name, "at": at.isoformat(), "good": total - bad, "total": total}
        )
    return events


def demo_sli(now: datetime) -> list[dict[str, Any]]:
    """SLI events of every demo SLO up to two hours after `now`."""
    return [e for name, traffic in TRAFFIC.items() for e in _records(name, traffic, now)]
