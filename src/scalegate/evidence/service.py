"""Evidence ingest: one path for every event kind, idempotent by id, atomic per batch."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.access.rights import current_rights
from scalegate.audit.service import AuditLog
from scalegate.db import transaction
from scalegate.errors import InvalidInput, Problem
from scalegate.evidence.adapters import parse_batch
from scalegate.evidence.models import (
    ChangeRecord,
    DeploymentCommit,
    DeploymentRecord,
    IncidentRecord,
)
from scalegate.evidence.schemas import (
    BaseEvent,
    ChangeEvent,
    DeploymentEvent,
    IncidentEvent,
    IncidentResolvedEvent,
)
from scalegate.portfolio.models import Initiative
from scalegate.settings import get_settings

CHUNK = 500
Progress = Callable[[int], None]
T = TypeVar("T")
DELIVERY_TYPES = frozenset({"deployment", "incident", "incident_resolved", "change"})


@dataclass
class IngestResult:
    """What a batch did: events stored, updated, already known, or skipped by the adapter."""

    received: int = 0
    stored: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def record(self, kind: str, stored: int, duplicates: int) -> None:
        """Count what a store did with one event type."""
        self.stored += stored
        self.duplicates += duplicates
        self.tally(kind, stored)

    def tally(self, kind: str, n: int) -> None:
        """Count n events of a type in `byType` (types with none are left out)."""
        if n:
            self.by_type[kind] = self.by_type.get(kind, 0) + n

    def as_dict(self) -> dict[str, Any]:
        """Plain form for --json and the API."""
        return {
            "received": self.received,
            "stored": self.stored,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "byType": dict(sorted(self.by_type.items())),
        }


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_rows(
    session: Session, table: Any, rows: Sequence[dict[str, Any]], size: int = CHUNK
) -> None:
    """Insert rows in chunks, each one executemany."""
    for chunk in _chunks(rows, size):
        session.execute(insert(table), list(chunk))


def existing_ids(session: Session, column: Any, ids: Sequence[str]) -> set[str]:
    """Which of these ids the column already holds."""
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(session.scalars(select(column).where(column.in_(chunk))))
    return found


def production_environments() -> frozenset[str]:
    """Environment names that count as production (SCALEGATE_PRODUCTION_ENVIRONMENTS)."""
    return frozenset(e.lower() for e in get_settings().production_environments)


class _Batch:
    """Stores one validated batch inside the caller's transaction."""

    def __init__(self, session: Session, result: IngestResult, progress: Progress | None) -> None:
        self.session = session
        self.result = result
        self.progress = progress or (lambda _n: None)

    def changes(self, events: list[ChangeEvent]) -> None:
        known = existing_ids(self.session, ChangeRecord.id, [e.id for e in events])
        rows = [
            {
                "id": e.id,
                "service": e.service,
                "sha": e.sha,
                "merged_at": e.merged_at,
                "deployment_id": None,
                "initiative": e.initiative,
            }
            for e in events
            if e.id not in known
        ]
        insert_rows(self.session, ChangeRecord, rows)
        self._stored("change", len(rows), len(events) - len(rows))

    def _stored(self, kind: str, stored: int, duplicates: int) -> None:
        self.result.record(kind, stored, duplicates)
        self.progress(stored + duplicates)

    def deployments(self, events: list[DeploymentEvent]) -> None:
        known = existing_ids(self.session, DeploymentRecord.id, [e.id for e in events])
        fresh = sorted((e for e in events if e.id not in known), key=lambda e: e.finished_at)
        for chunk in _chunks(fresh):
            self.session.execute(
                insert(DeploymentRecord),
                [
                    {
                        "id": e.id,
                        "service": e.service,
                        "environment": e.environment,
                        "status": e.status,
                        "finished_at": e.finished_at,
                        "rollback_of": e.rollback_of,
                        "remediates": list(e.remediates),
                        "initiative": e.initiative,
                    }
                    for e in chunk
                ],
            )
            commits = [
                {"deployment_id": e.id, "sha": c.sha, "committed_at": c.committed_at}
                for e in chunk
                for c in e.commits
            ]
            insert_rows(self.session, DeploymentCommit, commits, 5 * CHUNK)
            self.progress(len(chunk))
        self._attach_changes(fresh)
        self.result.record("deployment", len(fresh), len(events) - len(fresh))
        self.progress(len(events) - len(fresh))

    def _attach_changes(self, deployments: list[DeploymentEvent]) -> None:
        """Merged changes of a service ship with its next successful production deployment."""
        production = production_environments()
        shipping = [
            d for d in deployments if d.status == "success" and d.environment.lower() in production
        ]
        services = sorted({d.service for d in shipping})
        if not services:
            return
        pending: dict[str, list[ChangeRecord]] = defaultdict(list)
        for chunk in _chunks(services):
            rows = self.session.scalars(
                select(ChangeRecord)
                .where(ChangeRecord.service.in_(chunk), ChangeRecord.deployment_id.is_(None))
                .order_by(ChangeRecord.merged_at)
            )
            for row in rows:
                pending[row.service].append(row)
        for deployment in shipping:
            waiting = pending.get(deployment.service, [])
            ready = [c for c in waiting if c.merged_at <= deployment.finished_at]
            if not ready:
                continue
            pending[deployment.service] = [
                c for c in waiting if c.merged_at > deployment.finished_at
            ]
            for change in ready:
                change.deployment_id = deployment.id
            # A change the pipeline already listed as a commit is not shipped twice.
            listed = {c.sha for c in deployment.commits}
            extra = [
                {"deployment_id": deployment.id, "sha": c.sha, "committed_at": c.merged_at}
                for c in ready
                if c.sha not in listed
            ]
            if extra:
                self.session.execute(insert(DeploymentCommit), extra)

    def incidents(self, events: list[IncidentEvent]) -> None:
        known = {
            row.id: row
            for chunk in _chunks([e.id for e in events])
            for row in self.session.scalars(
                select(IncidentRecord).where(IncidentRecord.id.in_(chunk))
            )
        }
        stored = duplicates = updated = 0
        rows = []
        for e in events:
            row = known.get(e.id)
            if row is None:
                rows.append(
                    {
                        "id": e.id,
                        "service": e.service,
                        "opened_at": e.opened_at,
                        "resolved_at": e.resolved_at,
                        "caused_by": e.caused_by,
                        "initiative": e.initiative,
                    }
                )
                stored += 1
            elif row.resolved_at is None and e.resolved_at is not None:
                row.resolved_at = e.resolved_at  # the same incident, now resolved
                updated += 1
            else:
                duplicates += 1
        insert_rows(self.session, IncidentRecord, rows)
        self.result.updated += updated
        self._stored("incident", stored, duplicates)

    def resolutions(self, events: list[tuple[int, IncidentResolvedEvent]]) -> list[Problem]:
        problems = []
        for line, e in events:
            row = self.session.get(IncidentRecord, e.id)
            if row is None:
                problems.append(Problem("id", f"no incident {e.id} to resolve", line=line))
            elif row.resolved_at is None:
                if e.resolved_at < row.opened_at:
                    problems.append(
                        Problem("resolved_at", "is before the incident opened", line=line)
                    )
                    continue
                self.session.execute(
                    update(IncidentRecord)
                    .where(IncidentRecord.id == e.id)
                    .values(resolved_at=e.resolved_at)
                )
                self.result.updated += 1
            else:
                self.result.duplicates += 1
        self.result.tally("incident_resolved", len(events) - len(problems))
        return problems


# Other capabilities store their event types here: (session, events, result) -> problems.
EventStore = Callable[[Session, list[tuple[int, BaseEvent]], IngestResult], list[Problem]]
_STORES: dict[str, EventStore] = {}


def stores(event_type: str) -> Callable[[EventStore], EventStore]:
    """Register the function that stores one event type (used as a decorator)."""

    def register(store: EventStore) -> EventStore:
        _STORES[event_type] = store
        return store

    return register


def _load_event_types() -> None:
    """Import the capabilities whose event types and stores register themselves on import."""
    import scalegate.outcomes.ingest
    import scalegate.slo.ingest
    import scalegate.usage.ingest  # noqa: F401


def _first_of_each_id(
    events: list[tuple[int, BaseEvent]], result: IngestResult
) -> list[tuple[int, BaseEvent]]:
    """Within a batch, a repeated id is a duplicate of its first occurrence."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for line, event in events:
        key = ("incident" if event.type == "incident_resolved" else event.type, event.key())
        if event.type != "incident_resolved" and key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        kept.append((line, event))
    return kept


def _initiative_problems(session: Session, events: list[tuple[int, BaseEvent]]) -> list[Problem]:
    named = {e.initiative for _, e in events if e.initiative}
    if not named:
        return []
    known = set(session.scalars(select(Initiative.name).where(Initiative.name.in_(named))))
    return [
        Problem("initiative", f"no initiative named {e.initiative}", line=line)
        for line, e in events
        if e.initiative and e.initiative not in known
    ]


def _raise_if(problems: list[Problem], stored_nothing: str) -> None:
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise InvalidInput(f"{len(problems)} problem(s); {stored_nothing}", problems)


def ingest(
    factory: sessionmaker[Session],
    actor: Actor,
    text: str,
    format: str = "auto",
    source: str = "<stdin>",
    progress: Progress | None = None,
    kind: str | None = None,
) -> IngestResult:
    """Validate a whole batch, then store it in one transaction, or nothing at all."""
    _load_event_types()
    parsed = parse_batch(text, format, kind)
    result = IngestResult(received=len(parsed.events), skipped=len(parsed.skipped))
    _raise_if(parsed.problems, "nothing from this batch was stored")
    events = _first_of_each_id(parsed.events, result)
    by_type: dict[str, list[tuple[int, BaseEvent]]] = defaultdict(list)
    for line, event in events:
        by_type[event.type].append((line, event))
    with transaction(factory) as session:
        actor.require("evidence.write", current_rights(session))
        _raise_if(_initiative_problems(session, events), "nothing from this batch was stored")
        batch = _Batch(session, result, progress)
        batch.changes([e for _, e in by_type["change"] if isinstance(e, ChangeEvent)])
        batch.incidents([e for _, e in by_type["incident"] if isinstance(e, IncidentEvent)])
        batch.deployments([e for _, e in by_type["deployment"] if isinstance(e, DeploymentEvent)])
        resolutions = [
            (n, e) for n, e in by_type["incident_resolved"] if isinstance(e, IncidentResolvedEvent)
        ]
        _raise_if(batch.resolutions(resolutions), "nothing from this batch was stored")
        others: list[Problem] = []
        for event_type, store in _STORES.items():
            if by_type.get(event_type):
                others += store(session, by_type[event_type], result)
        unknown = sorted(set(by_type) - DELIVERY_TYPES - set(_STORES))
        others += [
            Problem("type", f"no store for {t} events", line=by_type[t][0][0]) for t in unknown
        ]
        _raise_if(others, "nothing from this batch was stored")
        AuditLog(session).append(
            actor.name,
            "evidence.ingest",
            f"Evidence/{source}",
            {
                "format": format,
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                **result.as_dict(),
            },
        )
    return result


def ingest_events(
    factory: sessionmaker[Session],
    actor: Actor,
    events: Sequence[BaseEvent],
    format: str,
    sha256: str,
    source: str = "<stdin>",
    received: int | None = None,
    skipped: int = 0,
) -> IngestResult:
    """Store events already validated elsewhere (such as converted OTLP spans) as `ingest`
    stores a parsed batch: one transaction, idempotent by id, audited. The audit record
    names `format` and the `sha256` of what was received, since there is no batch text."""
    _load_event_types()
    result = IngestResult(received=len(events) if received is None else received, skipped=skipped)
    kept = _first_of_each_id(list(enumerate(events, start=1)), result)
    by_type: dict[str, list[tuple[int, BaseEvent]]] = defaultdict(list)
    for line, event in kept:
        by_type[event.type].append((line, event))
    unknown = sorted(set(by_type) - set(_STORES))
    _raise_if(
        [Problem("type", f"no store for {t} events", line=by_type[t][0][0]) for t in unknown],
        "nothing from this batch was stored",
    )
    with transaction(factory) as session:
        actor.require("evidence.write", current_rights(session))
        _raise_if(_initiative_problems(session, kept), "nothing from this batch was stored")
        problems: list[Problem] = []
        for event_type, store in _STORES.items():
            if by_type.get(event_type):
                problems += store(session, by_type[event_type], result)
        _raise_if(problems, "nothing from this batch was stored")
        AuditLog(session).append(
            actor.name,
            "evidence.ingest",
            f"Evidence/{source}",
            {"format": format, "sha256": sha256, **result.as_dict()},
        )
    return result
