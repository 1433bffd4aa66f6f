"""Scalegate's own delivery event format: what `POST /api/v1/events` and `scalegate ingest` take.

Every event is a JSON object with a `type`. The models here validate one event; the adapters
module turns CDEvents and GitHub webhooks into the same shapes first. Pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from scalegate.errors import Problem
from scalegate.manifests.registry import NAME_PATTERN, NAME_RULE, StrictModel

NAIVE_TIMESTAMP = "timestamp needs a timezone (e.g. Z)"
NOT_A_TIMESTAMP = "timestamp must be an ISO 8601 string such as 2026-01-31T09:30:00Z"


def _timestamp_text(value: object) -> object:
    if isinstance(value, str | datetime):
        return value
    raise ValueError(NOT_A_TIMESTAMP)


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(NAIVE_TIMESTAMP)
    return value.astimezone(UTC)


def _initiative_name(value: str) -> str:
    if not NAME_PATTERN.match(value):
        raise ValueError(f"initiative {NAME_RULE}")
    return value


# An id, service or other reference: non-empty once trimmed, at most 200 characters.
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Environment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
# A git object name: 40 hex for SHA-1, 64 for SHA-256 repositories; not checked beyond length.
Sha = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# An ISO 8601 string with a timezone (Z or ±hh:mm), normalised to UTC.
Timestamp = Annotated[datetime, BeforeValidator(_timestamp_text), AfterValidator(_aware_utc)]
InitiativeName = Annotated[str, AfterValidator(_initiative_name)]


class BaseEvent(StrictModel):
    """What every event has: a type, an id unique within its type, and an optional initiative."""

    type: str
    id: Id
    initiative: InitiativeName | None = None

    def key(self) -> str:
        """The id that makes the event idempotent (types with optional ids derive one)."""
        return self.id


class Commit(StrictModel):
    """A commit a deployment shipped; lead time runs from committed_at to the deployment."""

    sha: Sha
    committed_at: Timestamp


class DeploymentEvent(BaseEvent):
    """A finished deployment of a service to an environment."""

    type: Literal["deployment"] = "deployment"
    service: Id
    environment: Environment
    status: Literal["success", "failure"]
    finished_at: Timestamp
    commits: list[Commit] = Field(default_factory=list)
    rollback_of: Id | None = None
    remediates: list[Id] = Field(default_factory=list)


class IncidentEvent(BaseEvent):
    """An incident of a service, possibly already resolved, possibly caused by a deployment."""

    type: Literal["incident"] = "incident"
    service: Id
    opened_at: Timestamp
    resolved_at: Timestamp | None = None
    caused_by: Id | None = None

    @field_validator("resolved_at")
    @classmethod
    def _not_before_opened(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        opened = info.data.get("opened_at")
        if value is not None and isinstance(opened, datetime) and value < opened:
            raise ValueError(f"must not be before opened_at ({opened.isoformat()})")
        return value


class IncidentResolvedEvent(BaseEvent):
    """The resolution of an incident reported earlier (or later) under the same id."""

    type: Literal["incident_resolved"] = "incident_resolved"
    resolved_at: Timestamp
    service: Id | None = None


class ChangeEvent(BaseEvent):
    """A change merged to a service's main line, not yet tied to a deployment."""

    type: Literal["change"] = "change"
    service: Id
    sha: Sha
    merged_at: Timestamp


# The built-in event types as a discriminated union, for API schemas and type checks.
Event = Annotated[
    DeploymentEvent | IncidentEvent | IncidentResolvedEvent | ChangeEvent,
    Field(discriminator="type"),
]

_EVENT_TYPES: dict[str, type[BaseEvent]] = {
    "deployment": DeploymentEvent,
    "incident": IncidentEvent,
    "incident_resolved": IncidentResolvedEvent,
    "change": ChangeEvent,
}


class EventError(ValueError):
    """An input that is not an event at all, or cannot be converted to one; `path` locates it."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def register_event_type(name: str, model: type[BaseEvent]) -> type[BaseEvent]:
    """Make a new event type known to parse_event (its model's `type` must accept `name`)."""
    _EVENT_TYPES[name] = model
    return model


def event_types() -> list[str]:
    """Names of the known event types, sorted, for messages and documentation."""
    return sorted(_EVENT_TYPES)


def event_model(name: str) -> type[BaseEvent] | None:
    """The model of an event type, or None when the type is unknown."""
    return _EVENT_TYPES.get(name)


def parse_event(obj: object) -> BaseEvent:
    """Validate one event; raise EventError (a ValueError) or pydantic's ValidationError."""
    if not isinstance(obj, dict):
        raise EventError(f"an event must be a JSON object, not {_json_kind(obj)}")
    known = ", ".join(event_types())
    kind = obj.get("type")
    if kind is None:
        raise EventError(f"required: the event type (known: {known})", "type")
    if not isinstance(kind, str) or kind not in _EVENT_TYPES:
        raise EventError(f"unknown event type {_show(kind)} (known: {known})", "type")
    return _EVENT_TYPES[kind].model_validate(obj)


def event_problems(line: int, error: Exception) -> list[Problem]:
    """Turn an error of parse_event (or of an adapter) into problems located at `line`."""
    if isinstance(error, ValidationError):
        return [
            Problem(path=_loc_path(item["loc"]), message=_message(item), line=line)
            for item in error.errors(include_url=False)
        ]
    if isinstance(error, EventError):
        return [Problem(path=error.path, message=error.message, line=line)]
    return [Problem(path="", message=_lower_first(str(error)), line=line)]


def format_line_problem(problem: Problem) -> str:
    """`LINE: field: message` (the field left out when the problem is about the whole line)."""
    where = f"{problem.line}: " if problem.line is not None else ""
    path = f"{problem.path}: " if problem.path else ""
    return f"{where}{path}{problem.message}"


def _loc_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _message(item: Any) -> str:
    kind = item.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field"
    message = str(item.get("msg", ""))
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    return _lower_first(message)


def _lower_first(message: str) -> str:
    return message[:1].lower() + message[1:]


def _show(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__
