"""OTLP/HTTP traces into usage: the real OpenTelemetry SDK and exporter against a real server."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import httpx2 as httpx
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode
from sqlalchemy import select

from scalegate.access import service as access
from scalegate.audit import service as audit
from scalegate.db import transaction
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.usage.models import UsageHour, UsageSeen, UsageUser
from scalegate.usage.otlp import convert, spans_to_usage
from scalegate.usage.service import usage_for
from scalegate.workspace import Workspace, open_workspace
from tests.conftest import ADMIN

PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: service}
spec: {title: Customer service}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: support-assistant}
spec: {title: Support assistant, theme: service, stage: prove, services: [support-bot]}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: docs-assistant}
spec: {title: Docs assistant, theme: service, stage: prove}
---
apiVersion: scalegate.dev/v1
kind: Model
metadata: {name: gpt-4o-mini}
spec: {provider: openai, inputPricePerMillion: 0.15, outputPricePerMillion: 0.6, status: approved}
"""
CHAT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 300,
    "enduser.id": "agent-17",
}
STARTUP_S = 60
SPAN_COST = 1200 * 0.15 / 1e6 + 300 * 0.6 / 1e6  # 0.00036


@dataclass
class Server:
    url: str
    token: str
    viewer: str
    workspace: Workspace

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`scalegate serve` in its own process over a SQLite workspace with a platform token."""
    database = tmp_path_factory.mktemp("otlp") / "workspace.db"
    workspace = open_workspace(Settings(database_url=str(database)))
    workspace.upgrade()
    apply_sources(workspace.sessions, [("portfolio.yaml", PORTFOLIO)], ADMIN)
    access.add_user(workspace.sessions, ADMIN, "otel@northwind.example", ["platform"])
    token = access.create_token(workspace.sessions, ADMIN, "otel@northwind.example").token
    access.add_user(workspace.sessions, ADMIN, "viewer@northwind.example", ["viewer"])
    viewer = access.create_token(workspace.sessions, ADMIN, "viewer@northwind.example").token
    port = _free_port()
    env = {
        **os.environ,
        "SCALEGATE_DATABASE_URL": str(database),
        "SCALEGATE_HASH_USER_IDS": "true",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "scalegate.cli", "serve", "--port", str(port)], env=env
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S  # importing the app alone takes seconds
        while True:
            if process.poll() is not None:
                pytest.fail(f"scalegate serve exited with {process.returncode}")
            try:
                if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail(f"scalegate serve did not answer within {STARTUP_S} s")
                time.sleep(0.1)
        yield Server(url, token, viewer, workspace)
    finally:
        process.terminate()
        process.wait(timeout=10)
        workspace.engine.dispose()


def _seen(ws: Workspace, prefix: str) -> set[str]:
    with transaction(ws.sessions) as session:
        return set(session.scalars(select(UsageSeen.id).where(UsageSeen.id.like(prefix + "%"))))


def test_sdk_spans_become_usage_once(server: Server) -> None:
    exporter = OTLPSpanExporter(
        endpoint=f"{server.url}/v1/traces", headers=server.auth, compression=Compression.Gzip
    )
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "support-bot"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("test_otlp")
    for _ in range(2):
        with tracer.start_as_current_span("chat gpt-4o-mini", attributes=CHAT):
            time.sleep(0.002)
    older = {k: v for k, v in CHAT.items() if not k.startswith("gen_ai.operation")}
    older["gen_ai.system"] = older.pop("gen_ai.provider.name")
    with tracer.start_as_current_span("complete", attributes=older):
        pass
    with tracer.start_as_current_span("chat gpt-4o-mini", attributes=CHAT) as failing:
        failing.set_status(Status(StatusCode.ERROR, "upstream 500"))
    with tracer.start_as_current_span("GET /health", attributes={"http.route": "/health"}):
        pass
    provider.force_flush()
    spans = memory.get_finished_spans()
    assert len(spans) == 5

    figures = usage_for(server.workspace.sessions, "support-assistant")
    assert figures["operational"]["events"] == 4
    assert figures["operational"]["assisted_events"] == 4
    assert figures["operational"]["failure_rate"] == 0.25
    assert figures["operational"]["latency_ms"]["p50"] > 0
    assert figures["economics"]["total_cost"] == pytest.approx(4 * SPAN_COST)
    assert figures["economics"]["spend_by_model"] == {"gpt-4o-mini": pytest.approx(4 * SPAN_COST)}
    assert figures["adoption"]["active_users_1d"] == 1
    with transaction(server.workspace.sessions) as session:
        hours = session.scalars(
            select(UsageHour).where(UsageHour.initiative == "support-assistant")
        ).all()
        users = set(
            session.scalars(
                select(UsageUser.user).where(UsageUser.initiative == "support-assistant")
            )
        )
    assert sum(h.input_tokens for h in hours) == 4 * 1200
    assert sum(h.output_tokens for h in hours) == 4 * 300
    assert {h.model for h in hours} == {"gpt-4o-mini"}
    # Users are hashed at storage; the name sent never reaches the database.
    assert users == {"sha256:" + hashlib.sha256(b"agent-17").hexdigest()[:40]}
    expected = {
        f"otel:{s.context.trace_id:032x}:{s.context.span_id:016x}"
        for s in spans
        if s.name != "GET /health"
    }
    assert _seen(server.workspace, "otel:") >= expected

    # The same spans exported again are duplicates, not double counts.
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    [record] = audit.recent(server.workspace.sessions, limit=1)
    assert record.object == "Evidence/otlp"
    assert (record.payload["stored"], record.payload["duplicates"]) == (0, 4)
    again = usage_for(server.workspace.sessions, "support-assistant")
    assert again["operational"]["events"] == 4
    assert again["economics"]["total_cost"] == pytest.approx(4 * SPAN_COST)
    provider.shutdown()


def _attrs(**values: object) -> list[dict[str, object]]:
    def value(v: object) -> dict[str, object]:
        if isinstance(v, bool):
            return {"boolValue": v}
        if isinstance(v, int):
            return {"intValue": str(v)}  # int64 as a string, as proto3 JSON allows
        return {"stringValue": v}

    return [{"key": k.replace("__", "."), "value": value(v)} for k, v in values.items()]


def _json_span(trace_id: str, span_id: str, end_ns: int, **attributes: object) -> dict[str, object]:
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "chat",
        "kind": 3,
        "startTimeUnixNano": str(end_ns - 850_000_000),
        "endTimeUnixNano": str(end_ns),
        "attributes": _attrs(**attributes),
        "status": {},
        "unknownField": "receivers ignore it",
    }


def test_otlp_json_with_hex_ids(server: Server) -> None:
    end = time.time_ns()
    trace_id, span_id = "5B8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B174"
    body = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": _attrs(
                        service__name="docs-bot", scalegate__initiative="docs-assistant"
                    )
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "manual"},
                        "spans": [
                            _json_span(
                                trace_id,
                                span_id,
                                end,
                                gen_ai__operation__name="chat",
                                gen_ai__provider__name="anthropic",
                                gen_ai__request__model="claude-x",
                                gen_ai__response__model="claude-x-2026",
                                gen_ai__usage__input_tokens=50,
                                enduser__id="writer-1",
                                scalegate__outcome="edited",
                                scalegate__human_reviewed=True,
                            ),
                            _json_span(
                                trace_id,
                                "00f067aa0ba902b7",
                                end,
                                gen_ai__operation__name="embeddings",
                                gen_ai__provider__name="openai",
                                scalegate__guardrail_triggered=True,
                            ),
                            _json_span(trace_id, "1111111111111111", end, db__system="sqlite"),
                        ],
                    }
                ],
            },
            {
                "resource": {"attributes": _attrs(service__name="unlisted-bot")},
                "scopeSpans": [
                    {
                        "spans": [
                            _json_span(
                                trace_id, "2222222222222222", end, gen_ai__operation__name="chat"
                            )
                        ]
                    }
                ],
            },
        ]
    }
    headers = {**server.auth, "Content-Type": "application/json"}
    response = httpx.post(server.url + "/v1/traces", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    partial = response.json()["partialSuccess"]
    assert int(partial["rejectedSpans"]) == 1
    assert "'unlisted-bot' is in no initiative's services" in partial["errorMessage"]
    assert _seen(server.workspace, "otel:5b8efff798038103d269b633813fc60c:") == {
        "otel:5b8efff798038103d269b633813fc60c:eee19b7ec3c1b174",
        "otel:5b8efff798038103d269b633813fc60c:00f067aa0ba902b7",
    }
    # Sent twice: the same two spans, counted once.
    assert httpx.post(server.url + "/v1/traces", json=body, headers=headers).status_code == 200
    figures = usage_for(server.workspace.sessions, "docs-assistant")
    operational = figures["operational"]
    assert (operational["events"], operational["failure_rate"]) == (2, 0.0)
    assert (operational["human_review_rate"], operational["guardrail_trigger_rate"]) == (0.5, 0.5)
    assert operational["latency_ms"]["p50"] == pytest.approx(850, rel=0.02)
    assert [m["name"] for m in figures["models"]] == ["claude-x-2026"]
    assert figures["adoption"]["active_users_1d"] == 2  # writer-1 and "anonymous"


def test_gzip_no_genai_spans_and_malformed_bodies(server: Server) -> None:
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = bytes(range(16)), bytes(range(8)), "GET /"
    span.start_time_unix_nano, span.end_time_unix_nano = 1, 2
    url = server.url + "/v1/traces"
    protobuf = {**server.auth, "Content-Type": "application/x-protobuf"}
    gzipped = {**protobuf, "Content-Encoding": "gzip"}

    ok = httpx.post(url, content=gzip.compress(request.SerializeToString()), headers=gzipped)
    assert ok.status_code == 200, ok.text
    assert ok.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(ok.content)
    assert answer.partial_success.rejected_spans == 0
    deflated = httpx.post(
        url,
        content=zlib.compress(request.SerializeToString()),
        headers={**protobuf, "Content-Encoding": "deflate"},
    )
    assert deflated.status_code == 200, deflated.text

    def refused(content: bytes, headers: dict[str, str]) -> dict[str, object]:
        response = httpx.post(url, content=content, headers=headers)
        assert response.status_code == 400, response.text
        error: dict[str, object] = response.json()["error"]
        assert error["code"] == "invalid_input"
        return error

    refused(b"not gzip at all", gzipped)
    refused(gzip.compress(request.SerializeToString())[:-12], gzipped)  # truncated
    refused(b"\xff\xff\xff\xff", protobuf)
    json_headers = {**server.auth, "Content-Type": "application/json"}
    refused(b'{"resourceSpans": [', json_headers)
    bad_id = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "xyz"}]}]}]}
    error = refused(json.dumps(bad_id).encode(), json_headers)
    assert error["details"] == [
        {
            "path": "resourceSpans[0].scopeSpans[0].spans[0].traceId",
            "message": "is not a hex string: 'xyz'",
        }
    ]
    text = httpx.post(url, content=b"x", headers={**server.auth, "Content-Type": "text/plain"})
    assert text.status_code == 415
    no_token = httpx.post(
        url,
        content=request.SerializeToString(),
        headers={"Content-Type": "application/x-protobuf"},
    )
    assert no_token.status_code == 401
    assert no_token.json()["error"]["code"] == "unauthenticated"
    viewer = httpx.post(
        url,
        content=request.SerializeToString(),
        headers={**protobuf, "Authorization": f"Bearer {server.viewer}"},
    )
    assert viewer.status_code == 403


def test_conversion_rules() -> None:
    """The pure mapping: what is skipped, what is rejected and why, what is read leniently."""
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    service = resource.resource.attributes.add()
    service.key, service.value.string_value = "service.name", "support-bot"
    spans = resource.scope_spans.add().spans

    def span(n: int, start: int = 1_000, **attributes: object) -> None:
        added = spans.add()
        added.trace_id, added.span_id = bytes([n]) * 16, bytes([n]) * 8
        added.name, added.start_time_unix_nano = f"span {n}", start
        added.end_time_unix_nano = 1_767_225_600_250_000_000  # 2026-01-01T00:00:00.25Z
        for key, value in attributes.items():
            kv = added.attributes.add()
            kv.key = key.replace("__", ".")
            if isinstance(value, bool):
                kv.value.bool_value = value
            elif isinstance(value, float):
                kv.value.double_value = value
            else:
                kv.value.string_value = str(value)

    span(1, gen_ai__system="openai", gen_ai__usage__input_tokens=12.0, scalegate__outcome="odd")
    span(2, gen_ai__operation__name="chat", gen_ai__usage__output_tokens="7")
    span(3, start=1_767_225_601_000_000_000, gen_ai__operation__name="chat")  # ends first
    span(4, gen_ai__operation__name="chat", scalegate__initiative="nowhere")
    span(5, http__route="/")
    span(6, gen_ai__operation__name="chat", scalegate__initiative="docs-assistant")

    events, skipped = spans_to_usage(request, {"support-bot": "support-assistant"})
    assert skipped == 2  # the HTTP span, and span 3 whose end precedes its start
    first = events[0]
    assert first["id"] == "otel:" + "01" * 16 + ":" + "01" * 8
    assert (first["task"], first["outcome"], first["input_tokens"]) == ("span 1", "accepted", 12)
    assert first["at"] == "2026-01-01T00:00:00.250000+00:00"
    assert (events[1]["task"], events[1]["output_tokens"]) == ("chat", 7)
    assert [e["initiative"] for e in events] == [
        "support-assistant",
        "support-assistant",
        "nowhere",
        "docs-assistant",
    ]
    result = convert(request, {"support-bot": "support-assistant"}, {"support-assistant"})
    assert (len(result.events), result.not_genai, result.rejected_spans) == (2, 1, 3)
    assert "span ends before it starts (1)" in result.message()
    assert "no initiative named nowhere (1)" in result.message()


def test_the_receiver_is_documented(server: Server) -> None:
    spec = httpx.get(server.url + "/openapi.json").json()
    operation = spec["paths"]["/v1/traces"]["post"]
    assert operation["tags"] == ["telemetry"]
    assert set(operation["requestBody"]["content"]) == {
        "application/x-protobuf",
        "application/json",
    }
