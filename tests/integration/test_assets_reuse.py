"""Reuse on a real workspace: figures by hand, observed use from spans, evidence.assets, rules."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from sqlalchemy import select

from scalegate.assets import service
from scalegate.evidence.service import ingest, ingest_events
from scalegate.gates import service as gates
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.portfolio.models import initiative_named
from scalegate.risks.service import risk_register
from scalegate.usage.models import UsageAssetDay
from scalegate.usage.otlp import convert
from scalegate.workspace import Workspace
from tests.assets_support import evaluate
from tests.conftest import ADMIN
from tests.gates_support import POLICIES

AS_OF = datetime(2026, 11, 30, 12, tzinfo=UTC)
NOV_29 = 1_795_913_600_000_000_000  # 2026-11-29T00:53:20Z in ns

PORTFOLIO = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: risk}
spec: {title: Risk}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: disputes}
spec: {title: Billing disputes, theme: ops, stage: govern,
       uses: [{asset: dispute-prompt, label: production}]}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: triage}
spec: {title: Ticket triage, theme: ops, stage: adopt, uses: [{asset: dispute-prompt, version: 1}]}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: claims}
spec: {title: Claims intake, theme: risk, stage: industrialize, services: [claims-bot]}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: underwriting}
spec: {title: Underwriting notes, theme: risk, stage: prove}
"""


def asset(name: str, kind: str, origin: str, content: str) -> str:
    return (
        f"apiVersion: scalegate.dev/v1\nkind: Asset\nmetadata: {{name: {name}}}\n"
        f"spec: {{type: {kind}, title: {name}, description: d, owner: o@example.com, "
        f"origin: {origin}, content: '{content}'}}\n---\n"
    )


@pytest.fixture
def portfolio(workspace: Workspace) -> Workspace:
    """dispute-prompt v1, v2 (production on v2) from disputes; claims-api (interface) from
    claims, production v1; routing (routing-rule) from claims, no label."""
    sessions = workspace.sessions
    apply_sources(sessions, read_sources([str(POLICIES)]), ADMIN)
    first = asset("dispute-prompt", "prompt", "disputes", "v1")
    first += asset("claims-api", "interface", "claims", "openapi: 3.1.0")
    first += asset("routing", "routing-rule", "claims", "small -> mini")
    apply_sources(sessions, [("a.yaml", first), ("p.yaml", PORTFOLIO)], ADMIN)
    second = asset("dispute-prompt", "prompt", "disputes", "v2")
    apply_sources(sessions, [("a.yaml", second)], ADMIN)
    evaluate(sessions, "disputes", "dispute-prompt@2")
    service.promote(sessions, ADMIN, "dispute-prompt", 2, "production", "v2 is better")
    service.promote(sessions, ADMIN, "claims-api", 1, "production", "published")
    return workspace


def spans(*attributes: dict[str, object]) -> ExportTraceServiceRequest:
    """One GenAI span per attribute map, all for service claims-bot on 2026-11-29."""
    request = ExportTraceServiceRequest()
    resource = request.resource_spans.add()
    service_name = resource.resource.attributes.add()
    service_name.key, service_name.value.string_value = "service.name", "claims-bot"
    found = resource.scope_spans.add().spans
    for n, extra in enumerate(attributes, start=1):
        span = found.add()
        span.trace_id, span.span_id = bytes([n]) * 16, bytes([n]) * 8
        span.name, span.start_time_unix_nano = "chat", NOV_29
        span.end_time_unix_nano = NOV_29 + 900_000_000
        genai = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"}
        for key, value in {**genai, **extra}.items():
            kv = span.attributes.add()
            kv.key = key
            if isinstance(value, int):
                kv.value.int_value = value
            else:
                kv.value.string_value = str(value)
    return request


def send(ws: Workspace, request: ExportTraceServiceRequest) -> None:
    result = convert(request, {"claims-bot": "claims"}, {"claims"})
    digest = hashlib.sha256(request.SerializeToString()).hexdigest()
    ingest_events(ws.sessions, ADMIN, result.usage, "otlp-protobuf", digest, source="otlp")


def test_observed_use_from_spans_in_each_attribute_form(portfolio: Workspace) -> None:
    """scalegate.asset NAME, NAME@VERSION, and Langfuse's prompt name with and without a
    version; a span naming nothing adds no row; re-sending the same spans adds nothing."""
    request = spans(
        {"scalegate.asset": "dispute-prompt"},
        {"scalegate.asset": "dispute-prompt@2"},
        {"scalegate.asset": "dispute-prompt@2"},
        {
            "langfuse.observation.prompt.name": "dispute-prompt",
            "langfuse.observation.prompt.version": 1,
        },
        {"langfuse.observation.prompt.name": "claims-triage-prompt"},
        {},
    )
    send(portfolio, request)
    send(portfolio, request)
    with portfolio.sessions() as session:
        rows = session.execute(
            select(
                UsageAssetDay.asset,
                UsageAssetDay.version,
                UsageAssetDay.via_prompt,
                UsageAssetDay.calls,
                UsageAssetDay.model_calls,
                UsageAssetDay.initiative,
            ).order_by(UsageAssetDay.asset, UsageAssetDay.version)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("claims-triage-prompt", 0, True, 1, 1, "claims"),
        ("dispute-prompt", 0, False, 1, 1, "claims"),
        ("dispute-prompt", 1, True, 1, 1, "claims"),
        ("dispute-prompt", 2, False, 2, 2, "claims"),
    ]
    consumers = service.detail(portfolio.sessions, "dispute-prompt", AS_OF)["consumers"]
    claims = next(c for c in consumers if c["initiative"] == "claims")
    assert (claims["declared"], claims["observed"], claims["observedVersions"]) == (
        False,
        True,
        [1, 2],
    )


def test_usage_events_name_assets_too(portfolio: Workspace) -> None:
    line = (
        '{"type": "usage", "id": "u1", "initiative": "underwriting", "user": "u", '
        '"at": "2026-11-28T10:00:00Z", "task": "draft", "assisted": true, "outcome": "accepted", '
        '"model": "gpt-4o-mini", "asset": "dispute-prompt@2"}\n'
    )
    ingest(portfolio.sessions, ADMIN, line)
    figures = service.detail(portfolio.sessions, "dispute-prompt", AS_OF)["reuse"]
    assert figures["observed"] == 1
    bad = line.replace('"u1"', '"u2"').replace("dispute-prompt@2", "dispute-prompt@0")
    with pytest.raises(Exception, match="problem"):
        ingest(portfolio.sessions, ADMIN, bad)


def test_reuse_figures_on_a_hand_computed_portfolio(portfolio: Workspace) -> None:
    """Declared: disputes (production → v2), triage (v1, stale). Observed in 28 days: claims
    calls dispute-prompt (library, 3 model calls) and an unregistered Langfuse prompt (1).
    dispute-prompt: consumers 3 (disputes, triage, claims), reused by 2, at scale 2 (govern,
    adopt), stale pins 1. Past prove: disputes, triage, claims = 3; reusing a production asset
    they did not originate: triage and claims = 2 → 2/3. Prompt reuse share: 3 / 4."""
    send(
        portfolio,
        spans(
            {"scalegate.asset": "dispute-prompt@2"},
            {"scalegate.asset": "dispute-prompt@2"},
            {"langfuse.observation.prompt.name": "dispute-prompt"},
            {"langfuse.observation.prompt.name": "adhoc"},
            {"scalegate.asset": "routing"},  # a routing rule: not a prompt call
        ),
    )
    detail = service.detail(portfolio.sessions, "dispute-prompt", AS_OF)
    assert detail["reuse"] == {
        "declared": 2,
        "observed": 1,
        "consumers": 3,
        "reusedBy": 2,
        "atScale": 2,
        "stalePins": 1,
    }
    v1 = next(v for v in detail["versions"] if v["version"] == 1)
    assert v1["impact"] == "retiring v1 affects 1 initiative in 1 theme"
    v2 = next(v for v in detail["versions"] if v["version"] == 2)
    assert v2["impact"] == "retiring v2 affects 2 initiatives in 2 themes"
    figures = service.portfolio_figures(portfolio.sessions, AS_OF)
    assert figures["reuseRate"] == {
        "reusing": 2,
        "pastProve": 3,
        "rate": pytest.approx(2 / 3),
        "initiatives": ["claims", "triage"],
    }
    assert figures["promptReuse"] == {"libraryCalls": 3, "knownPromptCalls": 4, "share": 0.75}
    assert figures["stalePins"] == [
        {
            "initiative": "triage",
            "asset": "dispute-prompt",
            "version": 1,
            "label": None,
            "resolvedVersion": 1,
            "productionVersion": 2,
        }
    ]
    # routing is only called by claims, its own origin: used, but not reused
    assert [m["name"] for m in figures["mostReused"]] == ["dispute-prompt"]
    listed = service.library(portfolio.sessions, sort="reuse", as_of=AS_OF)["assets"]
    assert [a["name"] for a in listed] == ["dispute-prompt", "routing", "claims-api"]
    assert service.library(portfolio.sessions, q="openapi", as_of=AS_OF)["total"] == 0
    assert service.library(portfolio.sessions, type_="interface", as_of=AS_OF)["total"] == 1


def rule(ws: Workspace, initiative: str, name: str, to: str) -> bool:
    check = gates.check(ws.sessions, initiative, to, AS_OF)
    return next(r for r in check.rules if r.name == name).passed


def test_evidence_assets_and_the_three_rules(portfolio: Workspace) -> None:
    """disputes (govern) published dispute-prompt: reusable-assets-published passes. claims
    published claims-api (interface, production): standard-interface-published passes; the
    prompt's origin is not claims, so nothing else. triage published nothing: both fail."""
    with portfolio.sessions() as session:
        disputes = initiative_named(session, "disputes")
        found = gates.context_for(session, disputes, AS_OF)["evidence"]
    assert found["assets"] == {
        "published": [
            {"name": "dispute-prompt", "type": "prompt", "version": 2, "label": "production"}
        ],
        "uses": [{"name": "dispute-prompt", "version": 2, "label": "production", "stale": False}],
        "reusedBy": 1,
    }
    assert rule(portfolio, "disputes", "reusable-assets-published", "expand") is True
    assert rule(portfolio, "triage", "reusable-assets-published", "expand") is False
    assert rule(portfolio, "claims", "standard-interface-published", "adopt") is True
    assert rule(portfolio, "underwriting", "standard-interface-published", "adopt") is False
    # a gate evaluation records the exact version each use resolved to
    check = gates.check(portfolio.sessions, "triage", "govern", AS_OF).as_dict()
    assert check["assetUses"] == [
        {"name": "dispute-prompt", "version": 1, "label": None, "stale": True}
    ]


def test_knowledge_silos_reads_the_library(portfolio: Workspace) -> None:
    """At adopt or later: disputes published (not a silo), triage reuses disputes' prompt (not a
    silo). Only after triage drops its use does it become one."""
    silos = [r for r in risk_register(portfolio.sessions, AS_OF) if r["rule"] == "knowledge-silos"]
    assert silos == []
    alone = PORTFOLIO.replace(", uses: [{asset: dispute-prompt, version: 1}]", "")
    apply_sources(portfolio.sessions, [("p.yaml", alone)], ADMIN)
    silos = [r for r in risk_register(portfolio.sessions, AS_OF) if r["rule"] == "knowledge-silos"]
    assert [r["initiatives"] for r in silos] == [["triage"]]


def test_a_retired_initiative_is_no_consumer(portfolio: Workspace) -> None:
    """triage (declared, pinned to v1) retires: dispute-prompt keeps disputes only as a
    declared consumer, and the stale pin goes with triage."""
    gates.advance(portfolio.sessions, ADMIN, "triage", "retired", "merged into disputes")
    figures = service.detail(portfolio.sessions, "dispute-prompt", AS_OF)["reuse"]
    assert (figures["declared"], figures["consumers"], figures["stalePins"]) == (1, 1, 0)
    assert service.portfolio_figures(portfolio.sessions, AS_OF)["stalePins"] == []
