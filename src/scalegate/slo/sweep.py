"""`scalegate slo sweep`: evaluate every SLO, record alert changes, notify a webhook."""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.error import URLError

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.access.rights import current_rights
from scalegate.audit.service import AuditLog
from scalegate.core.slo import SloStatus
from scalegate.db import transaction
from scalegate.slo.models import AlertChange
from scalegate.slo.service import statuses, tracked_objectives

WEBHOOK_TIMEOUT_S = 10


@dataclass
class SweepResult:
    """What a sweep saw and did."""

    as_of: datetime
    objectives: int = 0
    firing: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    notified: int = 0
    notify_errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain form for --json and the API."""
        return {
            "as_of": self.as_of.isoformat(),
            "objectives": self.objectives,
            "firing": self.firing,
            "changes": self.changes,
            "notified": self.notified,
            "notify_errors": self.notify_errors,
        }


def _last_state(session: Session) -> dict[tuple[str, str], bool]:
    """Whether each (objective, alert) was firing at its last recorded change."""
    rows = session.execute(
        select(AlertChange.objective, AlertChange.alert, AlertChange.firing).order_by(
            AlertChange.at, AlertChange.id
        )
    )
    return {(objective, alert): firing for objective, alert, firing in rows}


def message(change: dict[str, Any]) -> dict[str, Any]:
    """The webhook body: Slack's `text`, plus the change's fields for other receivers."""
    verb = "started firing" if change["firing"] else "stopped firing"
    text = (
        f"[{change['severity']}] SLO {change['objective']}: {change['alert']} {verb}"
        f" (burn {change['long_window']} {_rate(change['long_burn'])},"
        f" {change['short_window']} {_rate(change['short_burn'])},"
        f" threshold {change['threshold']:g})"
    )
    return {"text": text, **change}


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _changes(status: SloStatus, before: dict[tuple[str, str], bool]) -> list[dict[str, Any]]:
    name = status.objective.name
    found = []
    for alert in status.alerts:
        if before.get((name, alert["name"]), False) == alert["firing"]:
            continue
        found.append(
            {
                "objective": name,
                "service": status.objective.service,
                "alert": alert["name"],
                "severity": alert["severity"],
                "firing": alert["firing"],
                "long_window": alert["long_window"],
                "short_window": alert["short_window"],
                "long_burn": status.burn_rates[alert["long_window"]],
                "short_burn": status.burn_rates[alert["short_window"]],
                "threshold": alert["threshold"],
            }
        )
    return found


def post_json(url: str, body: dict[str, Any]) -> None:
    """POST a JSON body; raises OSError (URLError, HTTPError) when it is not accepted."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_S) as response:
        response.read()


def sweep(
    factory: sessionmaker[Session], actor: Actor, as_of: datetime, webhook_url: str | None
) -> SweepResult:
    """Evaluate every objective as of a moment; record and announce alerts that changed."""
    result = SweepResult(as_of)
    with transaction(factory) as session:
        actor.require("evidence.write", current_rights(session))
        before = _last_state(session)
        found = statuses(session, tracked_objectives(session), as_of)
        result.objectives = len(found)
        for status in found:
            result.firing += [
                {"objective": status.objective.name, "alert": a["name"], "severity": a["severity"]}
                for a in status.alerts
                if a["firing"]
            ]
            result.changes += _changes(status, before)
        rows = [
            AlertChange(
                objective=c["objective"],
                alert=c["alert"],
                severity=c["severity"],
                firing=c["firing"],
                at=as_of,
                long_burn=c["long_burn"],
                short_burn=c["short_burn"],
                threshold=c["threshold"],
                notified=False,
            )
            for c in result.changes
        ]
        session.add_all(rows)
        AuditLog(session).append(
            actor.name,
            "slo.sweep",
            "SLO/*",
            {"asOf": as_of.isoformat(), "objectives": len(found), "changes": result.changes},
        )
        session.flush()
        ids = [row.id for row in rows]
    if webhook_url:
        _notify(factory, webhook_url, list(zip(ids, result.changes, strict=True)), result)
    return result


def _notify(
    factory: sessionmaker[Session],
    url: str,
    changes: list[tuple[int, dict[str, Any]]],
    result: SweepResult,
) -> None:
    """Announce each change after the sweep is committed; a failed POST fails nothing else."""
    sent = []
    for row_id, change in changes:
        try:
            post_json(url, message(change))
        except (OSError, URLError) as error:
            result.notify_errors.append(f"{change['objective']} {change['alert']}: {error}")
            continue
        sent.append(row_id)
    result.notified = len(sent)
    if sent:
        with transaction(factory) as session:
            for row in session.scalars(select(AlertChange).where(AlertChange.id.in_(sent))):
                row.notified = True
