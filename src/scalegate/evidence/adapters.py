"""Turn ingest input (JSONL, JSON, CDEvents, GitHub webhooks) into scalegate events.

`read_batch` splits text into numbered raw objects in scalegate's own format, converting
CDEvents and GitHub `deployment_status` payloads on the way; `parse_batch` also validates them.
Nothing here raises on bad input: every problem is collected with its line (or array position).
Pure: no database, no clock, no file I/O. The mappings are documented in docs/events.md.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from scalegate.errors import InvalidInput, Problem
from scalegate.evidence.schemas import BaseEvent, EventError, event_problems, parse_event

FORMATS = ("auto", "jsonl", "json", "cdevents", "github")
CDEVENTS_PREFIX = "dev.cdevents."
SIGNATURE_PREFIX = "sha256="
GITHUB_ID_PREFIX = "github:"
GITHUB_FINAL_STATES = {"success": "success", "failure": "failure", "error": "failure"}

RawEvent = dict[str, Any]


@dataclass(frozen=True)
class Skip:
    """An input that is understood but carries no event (a GitHub ping, a pending status)."""

    reason: str


@dataclass(frozen=True)
class Skipped:
    """An input left out of a batch on purpose, and why."""

    line: int
    reason: str


@dataclass
class BatchRead:
    """Raw events in scalegate's format, numbered, plus what could not be read or was skipped."""

    items: list[tuple[int, object]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class ParsedBatch:
    """Validated events, numbered, plus every problem and skipped input of the batch."""

    events: list[tuple[int, BaseEvent]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong: a batch is stored only whole."""
        return not self.problems


def read_batch(text: str, format: str = "auto") -> BatchRead:
    """Split `text` into numbered raw scalegate events, converting CDEvents and GitHub payloads."""
    if format not in FORMATS:
        raise InvalidInput(f"unknown format '{format}' (known: {', '.join(FORMATS)})")
    text = text.removeprefix("\ufeff")
    batch = BatchRead()
    if format == "jsonl":
        documents = _json_lines(text, batch.problems)
    elif format == "json":
        documents = _json_document(text, batch.problems)
    else:
        documents = _array_or_lines(text, batch.problems)
    convert = _CONVERTERS[format]
    for number, obj in documents:
        try:
            converted = convert(obj)
        except EventError as error:
            batch.problems.append(Problem(path=error.path, message=error.message, line=number))
            continue
        if isinstance(converted, Skip):
            batch.skipped.append(Skipped(number, converted.reason))
        else:
            batch.items.append((number, converted))
    return batch


def read_csv(text: str, kind: str | None) -> BatchRead:
    """Rows of a CSV file with a header, each an event of `kind`; numbers are CSV line numbers."""
    batch = BatchRead()
    if not kind:
        batch.problems.append(Problem("kind", "CSV needs --kind (for example kpi or kpi_summary)"))
        return batch
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    for row in reader:
        if None in row:
            batch.problems.append(
                Problem("", "more values than columns in the header", line=reader.line_num)
            )
            continue
        # Empty cells mean "not given", so optional columns can be left blank.
        fields = {column: value for column, value in row.items() if value not in ("", None)}
        batch.items.append((reader.line_num, {"type": kind, **fields}))
    return batch


def parse_batch(text: str, format: str = "auto", kind: str | None = None) -> ParsedBatch:
    """Read and validate a batch: the events, and every problem as `LINE: field: message`."""
    batch = read_csv(text, kind) if format == "csv" else read_batch(text, format)
    parsed = ParsedBatch(problems=list(batch.problems), skipped=list(batch.skipped))
    for number, obj in batch.items:
        try:
            parsed.events.append((number, parse_event(obj)))
        except (ValidationError, EventError) as error:
            parsed.problems.extend(event_problems(number, error))
    parsed.problems.sort(key=lambda p: p.line or 0)
    return parsed


def detect(obj: object) -> str:
    """The format of one object: 'cdevents', 'github' or 'scalegate' (the own format)."""
    if isinstance(obj, dict):
        context = obj.get("context")
        if isinstance(context, dict):
            kind = context.get("type")
            if isinstance(kind, str) and kind.startswith(CDEVENTS_PREFIX):
                return "cdevents"
        if "deployment_status" in obj and "deployment" in obj:
            return "github"
    return "scalegate"


def verify_github_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` (X-Hub-Signature-256) is the HMAC-SHA256 of `body` under `secret`."""
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    expected = SIGNATURE_PREFIX + digest
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8"))


# --- reading JSON ---------------------------------------------------------------------------


class _Malformed(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _load(text: str, line: int | None = None) -> object:
    """Parse JSON; raise _Malformed located at `line`, or where the text breaks."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        detail = error.msg[:1].lower() + error.msg[1:]
        message = f"malformed JSON: {detail} at column {error.colno}"
        raise _Malformed(Problem("", message, line=line or error.lineno)) from None
    except RecursionError:
        problem = Problem("", "malformed JSON: nested too deeply", line=line or 1)
        raise _Malformed(problem) from None


def _json_lines(text: str, problems: list[Problem]) -> list[tuple[int, object]]:
    documents: list[tuple[int, object]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            documents.append((number, _load(line, number)))
        except _Malformed as error:
            problems.append(error.problem)
    return documents


def _numbered(text: str, value: object) -> list[tuple[int, object]]:
    """An array's items by position, or a single value at its first line."""
    if isinstance(value, list):
        return list(enumerate(value, start=1))
    first = next((n for n, line in enumerate(text.split("\n"), start=1) if line.strip()), 1)
    return [(first, value)]


def _json_document(text: str, problems: list[Problem]) -> list[tuple[int, object]]:
    if not text.strip():
        return []
    try:
        return _numbered(text, _load(text))
    except _Malformed as error:
        problems.append(error.problem)
        return []


def _array_or_lines(text: str, problems: list[Problem]) -> list[tuple[int, object]]:
    """A JSON array, a single (possibly pretty-printed) object, or JSON lines."""
    if not text.strip():
        return []
    try:
        return _numbered(text, _load(text))
    except _Malformed as error:
        if text.lstrip().startswith("["):
            problems.append(error.problem)
            return []
        line_problems: list[Problem] = []
        documents = _json_lines(text, line_problems)
        # When not one line parses, this is a single malformed document, not JSON lines.
        problems.extend(line_problems if documents else [error.problem])
        return documents


# --- converting -----------------------------------------------------------------------------


def _own_format(obj: object) -> object:
    return obj


def _auto(obj: object) -> object:
    kind = detect(obj)
    if kind == "cdevents":
        return cdevent_to_event(obj)
    if kind == "github":
        return github_to_event(obj)
    return obj


def _only_cdevents(obj: object) -> object:
    if detect(obj) != "cdevents":
        raise EventError(
            f"not a CDEvent: context.type must start with '{CDEVENTS_PREFIX}'", "context.type"
        )
    return cdevent_to_event(obj)


def _mapping(parent: dict[str, Any], key: str, path: str, required: bool = True) -> dict[str, Any]:
    value = parent.get(key)
    if isinstance(value, dict):
        return value
    if value is None and not required:
        return {}
    raise EventError("required: a JSON object" if value is None else "must be a JSON object", path)


def _text(parent: dict[str, Any], key: str, path: str) -> str:
    value = _optional_text(parent, key, path)
    if value is None:
        raise EventError("required: a non-empty string", path)
    return value


def _optional_text(parent: dict[str, Any], key: str, path: str) -> str | None:
    value = parent.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EventError("must be a string", path)
    return str(value)


def _copy_optional(target: RawEvent, source: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if source.get(key) is not None:
            target[key] = source[key]


# --- CDEvents -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CDEvent:
    context: dict[str, Any]
    subject: dict[str, Any]
    content: dict[str, Any]
    custom: dict[str, Any]


def cdevent_to_event(obj: object) -> RawEvent:
    """Convert one CDEvent (v0.4 field names) to a raw scalegate event; raise EventError."""
    if not isinstance(obj, dict):
        raise EventError("a CDEvent must be a JSON object")
    context = _mapping(obj, "context", "context")
    kind = _text(context, "type", "context.type")
    parts = kind.removeprefix(CDEVENTS_PREFIX).split(".")
    short = ".".join(parts[:2])
    convert = _CDEVENT_TYPES.get(short) if kind.startswith(CDEVENTS_PREFIX) else None
    if convert is None:
        supported = ", ".join(sorted(_CDEVENT_TYPES))
        raise EventError(
            f"unsupported CDEvent type '{kind}' (supported: {supported})", "context.type"
        )
    subject = _mapping(obj, "subject", "subject")
    content = _mapping(subject, "content", "subject.content", required=False)
    custom = obj.get("customData")
    # customData may also be a base64 string (customDataContentType); only objects carry hints.
    event = _CDEvent(context, subject, content, custom if isinstance(custom, dict) else {})
    return convert(event)


def _cd_deployment(event: _CDEvent) -> RawEvent:
    environment = _mapping(event.content, "environment", "subject.content.environment")
    raw: RawEvent = {
        "type": "deployment",
        "id": _text(event.context, "id", "context.id"),
        "service": _optional_text(event.custom, "service", "customData.service")
        or _text(event.subject, "id", "subject.id"),
        "environment": _text(environment, "id", "subject.content.environment.id"),
        "status": "success",
        "finished_at": _text(event.context, "timestamp", "context.timestamp"),
        "commits": event.custom.get("commits") or [],
        "remediates": event.custom.get("remediates") or [],
    }
    _copy_optional(raw, event.custom, ("initiative",))
    return raw


def _cd_rollback(event: _CDEvent) -> RawEvent:
    raw = _cd_deployment(event)
    raw["rollback_of"] = _text(event.custom, "rollback_of", "customData.rollback_of")
    return raw


def _cd_change(event: _CDEvent) -> RawEvent:
    service = _optional_text(event.custom, "service", "customData.service")
    if service is None:
        repository = _mapping(event.content, "repository", "subject.content.repository")
        repository_id = _text(repository, "id", "subject.content.repository.id")
        service = repository_id.rstrip("/").rsplit("/", 1)[-1]
    raw: RawEvent = {
        "type": "change",
        "id": _text(event.context, "id", "context.id"),
        "service": service,
        "sha": _optional_text(event.custom, "sha", "customData.sha")
        or _text(event.subject, "id", "subject.id"),
        "merged_at": _text(event.context, "timestamp", "context.timestamp"),
    }
    _copy_optional(raw, event.custom, ("initiative",))
    return raw


def _incident_service(event: _CDEvent, required: bool) -> str | None:
    override = _optional_text(event.custom, "service", "customData.service")
    if override is not None:
        return override
    service = _mapping(event.content, "service", "subject.content.service", required=required)
    if required:
        return _text(service, "id", "subject.content.service.id")
    return _optional_text(service, "id", "subject.content.service.id")


def _cd_incident(event: _CDEvent) -> RawEvent:
    raw: RawEvent = {
        "type": "incident",
        "id": _text(event.subject, "id", "subject.id"),
        "service": _incident_service(event, required=True),
        "opened_at": _text(event.context, "timestamp", "context.timestamp"),
    }
    _copy_optional(raw, event.custom, ("caused_by", "initiative"))
    return raw


def _cd_incident_resolved(event: _CDEvent) -> RawEvent:
    raw: RawEvent = {
        "type": "incident_resolved",
        "id": _text(event.subject, "id", "subject.id"),
        "resolved_at": _text(event.context, "timestamp", "context.timestamp"),
    }
    service = _incident_service(event, required=False)
    if service is not None:
        raw["service"] = service
    _copy_optional(raw, event.custom, ("initiative",))
    return raw


_CDEVENT_TYPES: dict[str, Callable[[_CDEvent], RawEvent]] = {
    "service.deployed": _cd_deployment,
    "service.upgraded": _cd_deployment,
    "service.rolledback": _cd_rollback,
    "change.merged": _cd_change,
    "incident.detected": _cd_incident,
    "incident.reported": _cd_incident,
    "incident.resolved": _cd_incident_resolved,
}


# --- GitHub ---------------------------------------------------------------------------------


def github_to_event(obj: object) -> RawEvent | Skip:
    """Convert a GitHub deployment_status webhook payload; Skip a ping or a non-final state."""
    if not isinstance(obj, dict):
        raise EventError("a GitHub webhook payload must be a JSON object")
    if "zen" in obj and "hook_id" in obj:
        return Skip("GitHub ping")
    status = obj.get("deployment_status")
    deployment = obj.get("deployment")
    if not isinstance(status, dict) or not isinstance(deployment, dict):
        raise EventError(
            "not a GitHub deployment_status payload (subscribe the webhook to "
            "'Deployment statuses' only)"
        )
    state = _text(status, "state", "deployment_status.state")
    if state not in GITHUB_FINAL_STATES:
        return Skip(f"deployment status '{state}' is not final")
    payload = _deployment_payload(deployment)
    repository = _mapping(obj, "repository", "repository")
    raw: RawEvent = {
        "type": "deployment",
        "id": GITHUB_ID_PREFIX + _text(status, "id", "deployment_status.id"),
        "service": _optional_text(payload, "service", "deployment.payload.service")
        or _text(repository, "name", "repository.name"),
        "environment": _optional_text(status, "environment", "deployment_status.environment")
        or _text(deployment, "environment", "deployment.environment"),
        "status": GITHUB_FINAL_STATES[state],
        "finished_at": _optional_text(status, "created_at", "deployment_status.created_at")
        or _text(status, "updated_at", "deployment_status.updated_at"),
        "commits": [],
        "remediates": payload.get("remediates") or [],
    }
    committed_at = payload.get("committed_at")
    sha = _optional_text(deployment, "sha", "deployment.sha")
    if committed_at is not None and sha is not None:
        raw["commits"] = [{"sha": sha, "committed_at": committed_at}]
    _copy_optional(raw, payload, ("rollback_of", "initiative"))
    return raw


def _deployment_payload(deployment: dict[str, Any]) -> dict[str, Any]:
    """deployment.payload: an object, or a JSON-encoded object, or empty."""
    payload = deployment.get("payload")
    if isinstance(payload, str) and payload.strip():
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError:
            return {}
    return payload if isinstance(payload, dict) else {}


_CONVERTERS: dict[str, Callable[[object], object]] = {
    "auto": _auto,
    "jsonl": _own_format,
    "json": _own_format,
    "cdevents": _only_cdevents,
    "github": github_to_event,
}
