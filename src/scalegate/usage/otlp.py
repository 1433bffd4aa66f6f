"""OpenTelemetry GenAI spans as `usage` events: pure conversion, no I/O, no clock.

A span is a GenAI span when it carries `gen_ai.operation.name`, `gen_ai.provider.name` or the
older `gen_ai.system` (the provider attributes are read only to recognise a GenAI span: usage
events do not store a provider). Every other span is skipped without complaint, so that a
service may send all of its spans here. A GenAI span that cannot become a valid usage event
(no initiative to count it toward, no start or end time, a bad attribute value) is rejected
with a reason; `POST /v1/traces` reports those as OTLP `partial_success.rejected_spans`.

The mapping follows the OpenTelemetry semantic conventions for generative AI
(https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/); docs/events.md has the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, get_args

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from pydantic import ValidationError

from scalegate.usage.schemas import Outcome, UsageEvent

GENAI_MARKERS = ("gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.system")
OUTCOMES = frozenset(get_args(Outcome))
ANONYMOUS = "anonymous"
NANOS = 1_000_000_000
TRACE_ID_BYTES, SPAN_ID_BYTES = 16, 8

# Attributes by key, values still as OTLP AnyValue: only the few keys read are converted.
Attributes = Mapping[str, AnyValue]


@dataclass
class Conversion:
    """What became of the spans of one export request."""

    usage: list[UsageEvent] = field(default_factory=list)
    not_genai: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def events(self) -> list[dict[str, Any]]:
        """The usage events as plain dicts (JSON-ready, unset fields left out)."""
        return [event_dict(e) for e in self.usage]

    @property
    def rejected_spans(self) -> int:
        """GenAI spans that could not become usage events."""
        return sum(self.rejected.values())

    @property
    def skipped(self) -> int:
        """Spans that did not become usage events, for whatever reason."""
        return self.not_genai + self.rejected_spans

    def message(self, limit: int = 5) -> str:
        """The reasons for rejected spans, most frequent first (empty when none was rejected)."""
        if not self.rejected:
            return ""
        common = self.rejected.most_common()
        parts = [f"{reason} ({count})" for reason, count in common[:limit]]
        if len(common) > limit:
            parts.append(f"{len(common) - limit} other reason(s)")
        return f"{self.rejected_spans} GenAI span(s) rejected: " + "; ".join(parts)


def value_of(value: AnyValue) -> Any:
    """The Python value of an OTLP AnyValue (None when unset; arrays and maps as such)."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value_of(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: value_of(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind)


def attributes_of(pairs: Iterable[KeyValue]) -> dict[str, AnyValue]:
    """Key-value pairs by key; a repeated key keeps its last value."""
    return {kv.key: kv.value for kv in pairs}


def attribute(attributes: Attributes, key: str) -> Any:
    """The Python value of one attribute, None when absent."""
    found = attributes.get(key)
    return None if found is None else value_of(found)


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    return None


def _count(value: Any) -> int | None:
    """A token count: an integer, an integral double, or a decimal string; else not given."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return None


def _moment_of(nanos: int) -> datetime:
    seconds, rest = divmod(nanos, NANOS)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)


def is_genai(attributes: Attributes) -> bool:
    """Whether a span's attributes mark it as a GenAI operation."""
    return any(_text(attribute(attributes, key)) for key in GENAI_MARKERS)


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg'][:1].lower()}{first['msg'][1:]}" if where else first["msg"]


def event_dict(event: UsageEvent) -> dict[str, Any]:
    """A usage event as the dict of its JSON form (unset fields left out)."""
    found = event.model_dump(exclude_none=True)
    found["at"] = event.at.isoformat()
    return found


# The asset a call used: scalegate's own attribute (NAME or NAME@VERSION), or the prompt as
# Langfuse's SDKs record it on a generation.
ASSET_ATTRIBUTE = "scalegate.asset"
LANGFUSE_PROMPT_NAME = "langfuse.observation.prompt.name"
LANGFUSE_PROMPT_VERSION = "langfuse.observation.prompt.version"

# The attributes the conversion reads; the others are never converted.
READ = frozenset(
    {
        *GENAI_MARKERS,
        "scalegate.initiative",
        "service.name",
        "enduser.id",
        "scalegate.outcome",
        "gen_ai.response.model",
        "gen_ai.request.model",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "scalegate.human_reviewed",
        "scalegate.guardrail_triggered",
        ASSET_ATTRIBUTE,
        LANGFUSE_PROMPT_NAME,
        LANGFUSE_PROMPT_VERSION,
    }
)


SCALARS = frozenset({"string_value", "bool_value", "int_value", "double_value", "bytes_value"})


def read_attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    """The Python values of the attributes the conversion reads; a repeated key keeps its
    last value."""
    found: dict[str, Any] = {}
    for kv in pairs:
        key = kv.key
        if key in READ:
            value = kv.value
            kind = value.WhichOneof("value")
            found[key] = getattr(value, kind) if kind in SCALARS else value_of(value)
    return found


def span_event(
    span: Span,
    attributes: Mapping[str, Any],
    resource: Mapping[str, Any],
    service_initiatives: Mapping[str, str],
) -> UsageEvent | str:
    """One GenAI span as a validated usage event, or the reason it cannot be one.
    `attributes` and `resource` hold Python values (read_attributes)."""
    return _span_event(span, attributes, _Resource.of(resource), service_initiatives)


@dataclass(frozen=True, slots=True)
class _Resource:
    """What a span may take from its resource."""

    service: str | None
    initiative: str | None
    user: str | None

    @classmethod
    def of(cls, resource: Mapping[str, Any]) -> _Resource:
        return cls(
            _text(resource.get("service.name")),
            _text(resource.get("scalegate.initiative")),
            _text(resource.get("enduser.id")),
        )


def _span_event(
    span: Span,
    attributes: Mapping[str, Any],
    resource: _Resource,
    service_initiatives: Mapping[str, str],
) -> UsageEvent | str:
    if len(span.trace_id) != TRACE_ID_BYTES or len(span.span_id) != SPAN_ID_BYTES:
        return "trace_id must be 16 bytes and span_id 8 bytes"
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if not start or not end:
        return "span has no start or end time"
    if end < start:
        return "span ends before it starts"
    service = resource.service
    initiative = _text(attributes.get("scalegate.initiative")) or resource.initiative
    if initiative is None and service is not None:
        initiative = service_initiatives.get(service)
    if initiative is None:
        return (
            f"service {service!r} is in no initiative's services "
            "and the span has no scalegate.initiative attribute"
        )
    elapsed = end - start
    outcome = _text(attributes.get("scalegate.outcome"))
    event: dict[str, Any] = {
        "type": "usage",
        "id": f"otel:{span.trace_id.hex()}:{span.span_id.hex()}",
        "initiative": initiative,
        "user": _text(attributes.get("enduser.id")) or resource.user or ANONYMOUS,
        "at": _moment_of(end),
        "task": _text(attributes.get("gen_ai.operation.name")) or span.name,
        "assisted": True,
        "outcome": (
            "failed"
            if span.status.code == Status.STATUS_CODE_ERROR
            else outcome
            if outcome in OUTCOMES
            else "accepted"
        ),
        "duration_s": elapsed / NANOS,
        "latency_ms": elapsed / 1_000_000,
    }
    model = _text(attributes.get("gen_ai.response.model")) or _text(
        attributes.get("gen_ai.request.model")
    )
    if model is not None:
        event["model"] = model
    for key, name in TOKENS:
        if key in attributes:
            count = _count(attributes[key])
            if count is not None:
                event[name] = count
    for key, name in FLAGS:
        if key in attributes:
            flag = _flag(attributes[key])
            if flag is not None:
                event[name] = flag
    asset = _text(attributes.get(ASSET_ATTRIBUTE))
    if asset is not None:
        event["asset"] = asset
    prompt = _text(attributes.get(LANGFUSE_PROMPT_NAME))
    if prompt is not None:
        version = _count(attributes.get(LANGFUSE_PROMPT_VERSION))
        event["prompt"] = f"{prompt}@{version}" if version else prompt
    try:
        return UsageEvent.model_validate(event)
    except ValidationError as error:
        return _problem(error)


TOKENS = (
    ("gen_ai.usage.input_tokens", "input_tokens"),
    ("gen_ai.usage.output_tokens", "output_tokens"),
)
FLAGS = (
    ("scalegate.human_reviewed", "human_reviewed"),
    ("scalegate.guardrail_triggered", "guardrail_triggered"),
)


def span_to_usage(
    span: Span,
    attributes: Attributes,
    resource: Attributes,
    service_initiatives: Mapping[str, str],
) -> dict[str, Any] | str:
    """One GenAI span as a usage event dict, or the reason it cannot be one."""
    found = span_event(
        span,
        {key: value_of(value) for key, value in attributes.items()},
        {key: value_of(value) for key, value in resource.items()},
        service_initiatives,
    )
    return found if isinstance(found, str) else event_dict(found)


def convert(
    request: ExportTraceServiceRequest,
    service_initiatives: Mapping[str, str],
    initiatives: Container[str] | None = None,
) -> Conversion:
    """Every GenAI span of a request as a usage event; `initiatives`, when given, are the
    names that exist (a span counted toward any other initiative is rejected)."""
    result = Conversion()
    for resource_spans in request.resource_spans:
        resource = _Resource.of(read_attributes(resource_spans.resource.attributes))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                attributes = read_attributes(span.attributes)
                if not any(_text(attributes.get(key)) for key in GENAI_MARKERS):
                    result.not_genai += 1
                    continue
                event = _span_event(span, attributes, resource, service_initiatives)
                if isinstance(event, str):
                    result.rejected[event] += 1
                elif initiatives is not None and event.initiative not in initiatives:
                    result.rejected[f"no initiative named {event.initiative}"] += 1
                else:
                    result.usage.append(event)
    return result


def spans_to_usage(
    request: ExportTraceServiceRequest, service_initiatives: Mapping[str, str]
) -> tuple[list[dict[str, Any]], int]:
    """(usage event dicts, spans skipped): non-GenAI spans plus GenAI spans that could not be
    converted, such as those without an initiative. `convert` tells the two apart."""
    result = convert(request, service_initiatives)
    return result.events, result.skipped
