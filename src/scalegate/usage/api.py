"""An OTLP/HTTP traces receiver: GenAI spans become `usage` events through the evidence ingest."""

from __future__ import annotations

import base64
import binascii
import gc
import hashlib
import json
import threading
import zlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request, Response
from google.protobuf import json_format  # type: ignore[import-untyped]
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from scalegate.access.actor import Actor
from scalegate.access.rights import current_rights
from scalegate.db import transaction
from scalegate.deps import CurrentActor, Sessions
from scalegate.errors import InvalidInput, Problem, ScalegateError
from scalegate.evidence.service import ingest_events
from scalegate.portfolio.models import Initiative
from scalegate.usage.otlp import Conversion, convert

router = APIRouter(tags=["telemetry"])

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MEDIA_TYPES = {PROTOBUF: PROTOBUF, "application/protobuf": PROTOBUF, JSON: JSON}
# zlib window bits: gzip framing, zlib framing (what OTLP exporters send as "deflate").
ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
MAX_BODY = 64 * 1024 * 1024  # decompressed; the OTel exporters' own default request limit
ID_KEYS = ("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id")


def bad_data(message: str, details: list[Problem] | None = None) -> ScalegateError:
    """OTLP/HTTP answers malformed data with 400 (not the API's usual 422): do not retry."""
    return ScalegateError(message, details, code="invalid_input", http_status=400, exit_code=2)


def _media_type(header: str | None) -> str:
    media = (header or "").split(";", 1)[0].strip().lower()
    if media not in MEDIA_TYPES:
        raise ScalegateError(
            f"Content-Type must be {PROTOBUF} or {JSON}, not {media or 'missing'}",
            code="unsupported_media_type",
            http_status=415,
        )
    return MEDIA_TYPES[media]


def decompress(body: bytes, encoding: str | None) -> bytes:
    """The body as sent before Content-Encoding (gzip or deflate), at most MAX_BODY bytes."""
    name = (encoding or "identity").strip().lower()
    if name == "identity":
        if len(body) > MAX_BODY:
            raise _too_large()
        return body
    if name not in ENCODINGS:
        raise ScalegateError(
            f"Content-Encoding must be gzip, deflate or identity, not {name}",
            code="unsupported_media_type",
            http_status=415,
        )
    out, rest = bytearray(), body
    try:
        while rest:  # gzip allows several members one after another
            decoder = zlib.decompressobj(ENCODINGS[name])
            out += decoder.decompress(rest, MAX_BODY + 1 - len(out))
            if len(out) > MAX_BODY or decoder.unconsumed_tail:
                raise _too_large()
            if not decoder.eof:
                raise bad_data(f"malformed {name} body: truncated")
            rest = decoder.unused_data
    except zlib.error as error:
        raise bad_data(f"malformed {name} body: {error}") from None
    return bytes(out)


def _too_large() -> ScalegateError:
    return ScalegateError(
        f"the request body exceeds {MAX_BODY} bytes once decompressed",
        code="payload_too_large",
        http_status=413,
    )


def _hex_to_base64(holder: dict[str, Any], where: str, problems: list[Problem]) -> None:
    for key in ID_KEYS:
        value = holder.get(key)
        if not isinstance(value, str):
            continue
        try:
            holder[key] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
        except ValueError:
            problems.append(Problem(f"{where}.{key}", f"is not a hex string: {value[:40]!r}"))


def _objects(holder: object, key: str, camel: str) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(holder, dict):
        return []
    items = holder.get(camel, holder.get(key))
    if not isinstance(items, list):
        return []
    return [(n, item) for n, item in enumerate(items) if isinstance(item, dict)]


def hex_ids_to_base64(document: object) -> list[Problem]:
    """OTLP/JSON spells trace and span ids in hex, where the proto3 JSON mapping (and so
    json_format) expects base64: rewrite spans' and links' ids in place; bad hex is a problem."""
    problems: list[Problem] = []
    for r, resource in _objects(document, "resource_spans", "resourceSpans"):
        for s, scope in _objects(resource, "scope_spans", "scopeSpans"):
            for n, span in _objects(scope, "spans", "spans"):
                where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{n}]"
                _hex_to_base64(span, where, problems)
                for k, link in _objects(span, "links", "links"):
                    _hex_to_base64(link, f"{where}.links[{k}]", problems)
    return problems


def parse(body: bytes, media: str) -> ExportTraceServiceRequest:
    """An ExportTraceServiceRequest from protobuf or OTLP/JSON bytes; bad data is a 400."""
    request = ExportTraceServiceRequest()
    if media == PROTOBUF:
        try:
            request.ParseFromString(body)
        except DecodeError as error:
            raise bad_data(f"malformed protobuf ExportTraceServiceRequest: {error}") from None
        return request
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise bad_data(f"malformed JSON: {error}") from None
    if not isinstance(document, dict):
        raise bad_data("an OTLP/JSON ExportTraceServiceRequest is a JSON object")
    problems = hex_ids_to_base64(document)
    if problems:
        raise bad_data(f"{len(problems)} malformed id(s); nothing was stored", problems)
    try:
        # Receivers ignore unknown fields (OTLP/JSON); enums may be numbers or names.
        json_format.ParseDict(document, request, ignore_unknown_fields=True)
    except (json_format.ParseError, binascii.Error, RecursionError) as error:
        raise bad_data(f"malformed OTLP/JSON ExportTraceServiceRequest: {error}") from None
    return request


def service_initiatives(session: Session) -> tuple[dict[str, str], set[str]]:
    """Each service listed by exactly one initiative → that initiative; and every name."""
    owners: dict[str, set[str]] = defaultdict(set)
    names = set()
    for name, services in session.execute(select(Initiative.name, Initiative.services)):
        names.add(name)
        for service in services or []:
            owners[service].add(name)
    # A service two initiatives list is ambiguous: its spans need scalegate.initiative.
    return {s: next(iter(o)) for s, o in owners.items() if len(o) == 1}, names


_pausing = threading.Lock()
_pauses = 0  # requests inside collector_paused()
_resume = False  # whether the first of them found the collector enabled


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold back Python's cyclic garbage collector while an export request is converted and
    stored; it resumes when the last request that paused it is done.

    A request of 1,000 spans makes tens of thousands of objects that live until it ends and
    hold no reference cycles, so collections during it free nothing. But they are frequent and
    each generation-2 pass walks every object of the process (some 150,000 once the app is
    imported): about a sixth of the time of a request (docs/decisions/0005-*.md).
    Garbage with cycles made meanwhile is collected once the collector resumes."""
    global _pauses, _resume
    with _pausing:
        _pauses += 1
        if _pauses == 1:
            _resume = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _pausing:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


def receive(
    factory: sessionmaker[Session], actor: Actor, body: bytes, media: str, encoding: str | None
) -> Conversion:
    """Decode, convert and store one export request (blocking: run it in a threadpool)."""
    with collector_paused():
        return _receive(factory, actor, body, media, encoding)


def _receive(
    factory: sessionmaker[Session], actor: Actor, body: bytes, media: str, encoding: str | None
) -> Conversion:
    raw = decompress(body, encoding)
    request = parse(raw, media)
    with transaction(factory) as session:
        actor.require("evidence.write", current_rights(session))
        services, names = service_initiatives(session)
    result = convert(request, services, names)
    if result.usage:
        # The converted events are validated already: they go to the store as they are.
        form = "otlp-protobuf" if media == PROTOBUF else "otlp-json"
        digest = hashlib.sha256(raw).hexdigest()
        try:
            ingest_events(factory, actor, result.usage, form, digest, source="otlp")
        except InvalidInput as error:  # e.g. an initiative deleted meanwhile
            raise bad_data(error.message, error.details) from None
    return result


def reply(result: Conversion, media: str) -> Response:
    """An ExportTraceServiceResponse in the request's encoding; rejected spans are partial."""
    answer = ExportTraceServiceResponse()
    if result.rejected_spans:
        answer.partial_success.rejected_spans = result.rejected_spans
        answer.partial_success.error_message = result.message()
    if media == PROTOBUF:
        return Response(answer.SerializeToString(), media_type=PROTOBUF)
    return Response(json_format.MessageToJson(answer, indent=None), media_type=JSON)


TRACES_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
            JSON: {"schema": {"type": "object"}},
        },
    },
    "responses": {
        "200": {
            "description": "An ExportTraceServiceResponse in the request's encoding",
            "content": {PROTOBUF: {}, JSON: {}},
        }
    },
}


@router.post("/v1/traces", openapi_extra=TRACES_BODY, response_class=Response)
async def traces(request: Request, actor: CurrentActor, factory: Sessions) -> Response:
    """OTLP/HTTP trace export: GenAI spans are stored as usage events, idempotent by span."""
    media = _media_type(request.headers.get("content-type"))
    body = await request.body()
    encoding = request.headers.get("content-encoding")
    result = await run_in_threadpool(receive, factory, actor, body, media, encoding)
    return reply(result, media)
