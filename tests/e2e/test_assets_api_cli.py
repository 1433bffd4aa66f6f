"""The asset library over the CLI and HTTP: search, versions, content, diff, promote, reuse.

Every expected figure is counted by hand from LIBRARY below (definitions: docs/metrics.md,
"Reuse"). After the `library` fixture:
- billing-prompt (origin disputes) has v1 and v2, production → v2 (moved from v1);
  refunds pins v1 (stale), triage follows production (v2), disputes called v2 three times;
- redaction-policy (origin refunds) has v1, no production label; triage pins v1;
- billing-prompt v1 and v2 each have a passing evaluation run (JUnit, 40 of 40) bound to
  them before their promote, as the default policy evaluated-before-production asks of prompts;
- draft-prompt has no owner, no description and no evaluation run, so the default policies
  refuse production on three rules;
- api-spec is a deprecated interface held as an artifact, v2 with another digest.
Past prove: disputes, refunds, triage; refunds and triage reuse a production asset they did not
originate (billing-prompt) → reuse rate 2/3. Model calls with a known prompt: 3 naming
billing-prompt, 1 naming a prompt outside the library → prompt reuse share 3/4.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from scalegate.access import service as access
from scalegate.app import create_app
from scalegate.assets import service as assets
from scalegate.audit import service as audit
from scalegate.cli import app
from scalegate.evidence.service import ingest
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.settings import Settings
from scalegate.workspace import Workspace
from tests.assets_support import evaluate, junit
from tests.conftest import ADMIN
from tests.gates_support import POLICIES

runner = CliRunner()
WIDE = {"COLUMNS": "220"}
PLATFORM, CONTROLS, VIEWER = (
    "platform@northwind.example",
    "controls@northwind.example",
    "viewer@northwind.example",
)
V1 = "You are a billing agent.\nBe brief.\n"
V2 = "You are a billing agent.\nBe brief and cite the invoice.\n"
ARTIFACT = "https://specs.example/disputes-api.yaml"

LIBRARY = """\
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: ops}
spec: {title: Operations}
---
apiVersion: scalegate.dev/v1
kind: Theme
metadata: {name: cx}
spec: {title: Customer experience}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: disputes}
spec: {title: Billing disputes, theme: ops, stage: industrialize}
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: refunds}
spec:
  title: Refunds
  theme: ops
  stage: industrialize
  uses: [{asset: billing-prompt, version: 1}]
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: triage}
spec:
  title: Ticket triage
  theme: cx
  stage: adopt
  uses: [{asset: billing-prompt, label: production}, {asset: redaction-policy, version: 1}]
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata:
  name: billing-prompt
  annotations: {scalegate.dev/change: CHANGE}
spec:
  type: prompt
  title: Billing dispute prompt
  description: Answers a billing dispute from the invoice
  owner: ana@northwind.example
  tags: [billing, disputes]
  origin: disputes
  content: CONTENT
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata: {name: redaction-policy}
spec:
  type: policy
  title: PII redaction
  description: Which fields are redacted before a model call
  owner: controls@northwind.example
  tags: [pii]
  origin: refunds
  content: "redact: [email, iban]\\n"
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata: {name: draft-prompt}
spec:
  type: prompt
  title: "[wip] Greeting prompt"
  tags: [billing]
  content: "Say hello.\\n"
---
apiVersion: scalegate.dev/v1
kind: Asset
metadata: {name: api-spec}
spec:
  type: interface
  title: Disputes API
  description: OpenAPI of the disputes service
  owner: platform@northwind.example
  lifecycle: deprecated
  artifact: {url: ARTIFACT, sha256: DIGEST}
"""


def _library(content: str, change: str, digest: str) -> str:
    return (
        LIBRARY.replace("CONTENT", json.dumps(content))
        .replace("CHANGE", change)
        .replace("ARTIFACT", ARTIFACT)
        .replace("DIGEST", digest)
    )


def _usage(n: int, initiative: str, at: datetime, **named: str) -> dict[str, object]:
    return {
        "type": "usage",
        "id": f"u{n}",
        "initiative": initiative,
        "user": "ana",
        "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "task": "answer-dispute",
        "assisted": True,
        "outcome": "accepted",
        "model": "gpt-4o-mini",
        **named,
    }


@pytest.fixture
def library(workspace: Workspace) -> Workspace:
    """The portfolio of the module docstring, with two production moves and yesterday's calls."""
    factory = workspace.sessions
    apply_sources(factory, read_sources([str(POLICIES)]), ADMIN)
    apply_sources(factory, [("a.yaml", _library(V1, "first cut", "ab" * 32))], ADMIN)
    evaluate(factory, "disputes", "billing-prompt@1")
    assets.promote(factory, ADMIN, "billing-prompt", 1, "production", "pilot proved it")
    apply_sources(factory, [("a.yaml", _library(V2, "cite the invoice", "cd" * 32))], ADMIN)
    evaluate(factory, "disputes", "billing-prompt@2")
    assets.promote(factory, ADMIN, "billing-prompt", 2, "production", "fewer reopened disputes")
    yesterday = datetime.now(UTC) - timedelta(days=1)
    events = [_usage(n, "disputes", yesterday, asset="billing-prompt@2") for n in range(3)]
    events.append(_usage(3, "triage", yesterday, prompt="adhoc-greeting"))
    ingest(factory, ADMIN, "\n".join(json.dumps(e) for e in events), "jsonl")
    for email, role in [(PLATFORM, "platform"), (CONTROLS, "controls"), (VIEWER, "viewer")]:
        access.add_user(factory, ADMIN, email, [role])
    return workspace


@pytest.fixture
def client(settings: Settings, library: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def bearer(ws: Workspace, email: str) -> dict[str, str]:
    token = access.create_token(ws.sessions, ADMIN, email).token
    return {"Authorization": f"Bearer {token}"}


def cli(*args: str) -> str:
    """Run a command that must succeed; its output."""
    result = runner.invoke(app, list(args), env=WIDE)
    assert result.exit_code == 0, result.output
    return result.output


DIFF = """\
--- billing-prompt@1
+++ billing-prompt@2
@@ -1,2 +1,2 @@
 You are a billing agent.
-Be brief.
+Be brief and cite the invoice.
"""


# The CLI


def test_cli_list_filters_sorts_and_table(cli_env: str, library: Workspace) -> None:
    found = json.loads(cli("asset", "list", "--json"))
    assert found["total"] == 4
    rows = {a["name"]: a for a in found["assets"]}
    assert list(rows) == ["api-spec", "billing-prompt", "draft-prompt", "redaction-policy"]
    assert rows["billing-prompt"]["labels"] == {"production": 2, "latest": 2}
    assert rows["billing-prompt"]["reuse"] == {
        "declared": 2,
        "observed": 1,
        "consumers": 3,
        "reusedBy": 2,
    }
    assert rows["redaction-policy"]["reuse"]["reusedBy"] == 1

    def names(*options: str) -> list[str]:
        listed = json.loads(cli("asset", "list", *options, "--json"))["assets"]
        return [a["name"] for a in listed]

    assert names("--sort", "reuse") == [
        "billing-prompt",
        "redaction-policy",
        "api-spec",
        "draft-prompt",
    ]
    assert names("--type", "prompt") == ["billing-prompt", "draft-prompt"]
    assert names("--tag", "billing") == ["billing-prompt", "draft-prompt"]
    assert names("--q", "redacted before") == ["redaction-policy"]
    assert names("--lifecycle", "deprecated") == ["api-spec"]
    assert names("--sort", "reuse", "--limit", "1") == ["billing-prompt"]

    table = cli("asset", "list")
    line = next(r for r in table.splitlines() if "billing-prompt" in r)
    assert "production v2 · latest v2" in line
    assert "[wip] Greeting prompt" in table  # a title is text, not Rich markup
    assert "4 of 4 asset(s)" in table
    bad = runner.invoke(app, ["asset", "list", "--type", "poem"])
    assert bad.exit_code == 2
    assert "unknown --type 'poem'" in bad.output
    assert runner.invoke(app, ["asset", "list", "--sort", "size"]).exit_code == 2


def test_cli_show_asset_consumers_and_impact(cli_env: str, library: Workspace) -> None:
    shown = json.loads(cli("asset", "show", "billing-prompt", "--json"))
    assert [(v["version"], v["labels"], v["change"]) for v in shown["versions"]] == [
        (1, [], "first cut"),
        (2, ["latest", "production"], "cite the invoice"),
    ]
    assert [v["impact"] for v in shown["versions"]] == [
        "retiring v1 affects 1 initiative in 1 theme",
        "retiring v2 affects 2 initiatives in 2 themes",
    ]
    assert [
        (c["initiative"], c["stage"], c["pinnedVersion"], c["resolvedVersion"], c["stale"])
        for c in shown["consumers"]
    ] == [
        ("disputes", "industrialize", None, None, False),
        ("refunds", "industrialize", 1, 1, True),
        ("triage", "adopt", None, 2, False),
    ]
    assert shown["reuse"] == {
        "declared": 2,
        "observed": 1,
        "consumers": 3,
        "reusedBy": 2,
        "atScale": 1,
        "stalePins": 1,
    }
    text = cli("asset", "show", "billing-prompt")
    assert "labels: production v2 · latest v2" in text
    assert "retiring v2 affects 2 initiatives in 2 themes" in text
    refunds = next(r for r in text.splitlines() if "refunds" in r)
    assert "v1" in refunds and "stale" in refunds
    triage = next(r for r in text.splitlines() if "triage" in r)
    assert "production → v2" in triage and "stale" not in triage
    assert "called v2" in next(r for r in text.splitlines() if "disputes" in r and "ops" in r)
    assert "consumers 3 (declared 2, observed 1) · reused by 2 · at scale 1 · stale pins 1" in text
    missing = runner.invoke(app, ["asset", "show", "nothing"])
    assert missing.exit_code == 1
    assert "error: no asset named nothing" in missing.output


def test_cli_show_version_prints_content_as_is(cli_env: str, library: Workspace) -> None:
    text = cli("asset", "show", "billing-prompt", "--version", "1")
    assert text.endswith("\n" + V1)
    assert "billing-prompt v1 · sha256 " in text
    assert json.loads(cli("asset", "show", "billing-prompt", "--version", "2", "--json"))[
        "content"
    ] == (V2)
    artifact = cli("asset", "show", "api-spec", "--version", "1")
    assert f"api-spec v1 · sha256 {'ab' * 32} · by test:admin" in artifact
    assert f"artifact: {ARTIFACT}" in artifact
    gone = runner.invoke(app, ["asset", "show", "billing-prompt", "--version", "3"])
    assert gone.exit_code == 1
    assert "billing-prompt has no version 3 (latest is 2)" in gone.output


def test_cli_diff(cli_env: str, library: Workspace) -> None:
    assert cli("asset", "diff", "billing-prompt", "1", "2") == DIFF
    same = cli("asset", "diff", "billing-prompt", "2", "2")
    assert same == "billing-prompt v2 and v2: identical content\n"
    found = json.loads(cli("asset", "diff", "billing-prompt", "1", "2", "--json"))
    assert (found["same"], found["diff"]) == (False, DIFF)
    assert cli("asset", "diff", "api-spec", "1", "2") == (
        f"api-spec: different content; v1 is artifact {'ab' * 6} at {ARTIFACT}; "
        f"v2 is artifact {'cd' * 6} at {ARTIFACT}\n"
    )


def promote(name: str, version: int, label: str, rationale: str) -> list[str]:
    """The arguments of `asset promote`."""
    options = {"--version": version, "--label": label, "--rationale": rationale}
    return ["asset", "promote", name, *(f"{k}={v}" for k, v in options.items())]


def test_cli_promote_history_and_refusal(cli_env: str, library: Workspace) -> None:
    moved = cli(*promote("billing-prompt", 1, "staging", "[A/B] against v2"))
    assert "billing-prompt staging: — → v1" in moved
    assert "no asset policy decides staging" in moved
    by_controls = ["--as", CONTROLS, *promote("redaction-policy", 1, "production", "reviewed")]
    as_json = json.loads(cli(*by_controls, "--json"))
    assert (as_json["from"], as_json["to"], as_json["evaluation"]["passed"]) == (None, 1, True)
    assert as_json["evaluation"]["policies"] == ["production-promotion"]  # a policy, not a prompt
    assert {r["name"] for r in as_json["evaluation"]["rules"]} == {
        "owner-named",
        "description-written",
        "interface-has-specification",
        "not-deprecated",
    }

    refused = runner.invoke(app, promote("draft-prompt", 1, "production", "ship it"))
    assert refused.exit_code == 3
    assert "error: draft-prompt v1 cannot be labelled production: 3 blocking rule(s) fail" in (
        refused.output
    )
    assert "production-promotion/owner-named: The asset names an owner" in refused.output
    assert "production-promotion/description-written: The asset has a description" in refused.output
    assert (
        "evaluated-before-production/evaluated-version-passes: "
        "No fresh evaluation run names draft-prompt@1"
    ) in refused.output
    rollback = promote("billing-prompt", 1, "production", "roll back")
    not_theirs = runner.invoke(app, ["--as", CONTROLS, *rollback])
    assert not_theirs.exit_code == 3
    assert f"{CONTROLS} (controls) may not asset.promote" in not_theirs.output

    moves = json.loads(cli("asset", "history", "billing-prompt", "--json"))
    assert [(m["label"], m["from"], m["to"], m["rationale"]) for m in moves] == [
        ("production", None, 1, "pilot proved it"),
        ("production", 1, 2, "fewer reopened disputes"),
        ("staging", None, 1, "[A/B] against v2"),
    ]
    assert moves[0]["policies"] == ["evaluated-before-production", "production-promotion"]
    table = cli("asset", "history", "billing-prompt")
    assert "— → v1" in table and "v1 → v2" in table and "[A/B] against v2" in table
    assert "no label has moved yet" in cli("asset", "history", "draft-prompt")
    assert json.loads(cli("asset", "history", "draft-prompt", "--json")) == []


def test_cli_promote_of_a_prompt_waits_for_an_evaluation_of_that_version(
    cli_env: str, library: Workspace, tmp_path: Path
) -> None:
    """billing-prompt v3 is refused production although v1 and v2 were evaluated: a run counts
    only for the versions it names. After `scalegate ingest` of a JUnit file of 40 passing cases
    bound to billing-prompt@3 (Wilson 95 % lower bound 0.912 ≥ 0.8) the same promote moves the
    label v2 → v3."""
    v3 = "You are a billing agent.\nCite the invoice and its date.\n"
    apply_sources(library.sessions, [("a.yaml", _library(v3, "cite the date", "ef" * 32))], ADMIN)
    ship = promote("billing-prompt", 3, "production", "dates settle disputes")
    refused = runner.invoke(app, ship, env=WIDE)
    assert refused.exit_code == 3
    assert "error: billing-prompt v3 cannot be labelled production: 1 blocking rule(s) fail" in (
        refused.output
    )
    assert (
        "evaluated-before-production/evaluated-version-passes: "
        "No fresh evaluation run names billing-prompt@3"
    ) in refused.output
    assert json.loads(cli("asset", "show", "billing-prompt", "--json"))["labels"] == {
        "production": 2,
        "latest": 3,
    }

    results = tmp_path / "evals.xml"
    results.write_bytes(junit(40))
    sent = ["ingest", str(results), "--format", "junit", "--initiative", "disputes"]
    assert cli(*sent, "--asset", "billing-prompt@3") == "junit: 1 run(s) stored\n"
    moved = json.loads(cli(*ship, "--json"))
    assert (moved["from"], moved["to"], moved["evaluation"]["passed"]) == (2, 3, True)
    assert moved["evaluation"]["policies"] == [
        "evaluated-before-production",
        "production-promotion",
    ]
    last = json.loads(cli("asset", "history", "billing-prompt", "--json"))[-1]
    assert (last["label"], last["from"], last["to"], last["rationale"]) == (
        "production",
        2,
        3,
        "dates settle disputes",
    )


def test_cli_reuse_figures(cli_env: str, library: Workspace) -> None:
    figures = json.loads(cli("asset", "reuse", "--json"))
    assert figures["reuseRate"] == {
        "reusing": 2,
        "pastProve": 3,
        "rate": pytest.approx(2 / 3),
        "initiatives": ["refunds", "triage"],
    }
    assert figures["promptReuse"] == {"libraryCalls": 3, "knownPromptCalls": 4, "share": 0.75}
    assert [(m["name"], m["reusedBy"]) for m in figures["mostReused"]] == [
        ("billing-prompt", 2),
        ("redaction-policy", 1),
    ]
    assert figures["stalePins"] == [
        {
            "initiative": "refunds",
            "asset": "billing-prompt",
            "version": 1,
            "label": None,
            "resolvedVersion": 1,
            "productionVersion": 2,
        }
    ]
    assert (figures["assets"], figures["production"]) == (4, 1)
    text = cli("asset", "reuse")
    assert "portfolio reuse rate 67%: 2 of 3 initiatives past prove" in text
    assert "prompt reuse share 75%: 3 of 4 model calls" in text
    assert "4 asset(s), 1 with a production label" in text
    # Two months back the calls are outside the 28-day window; declared uses still count.
    before = (datetime.now(UTC) - timedelta(days=60)).strftime("%Y-%m-%d")
    old = json.loads(cli("asset", "reuse", "--as-of", before, "--json"))
    assert old["promptReuse"] == {"libraryCalls": 0, "knownPromptCalls": 0, "share": None}
    assert old["reuseRate"]["reusing"] == 2
    assert old["asOf"].startswith(before) and old["asOf"].endswith("+00:00")
    assert "prompt reuse share —: 0 of 0" in cli("asset", "reuse", "--as-of", before)


# The API


def test_api_reads_need_a_token(client: TestClient, library: Workspace) -> None:
    for path in ["/api/v1/assets", "/api/v1/assets/billing-prompt", "/api/v1/reuse"]:
        assert client.get(path).status_code == 401


def test_api_library_search(client: TestClient, library: Workspace) -> None:
    viewer = bearer(library, VIEWER)

    def names(**query: object) -> list[str]:
        response = client.get("/api/v1/assets", params=query, headers=viewer)
        assert response.status_code == 200, response.text
        return [a["name"] for a in response.json()["assets"]]

    assert names() == ["api-spec", "billing-prompt", "draft-prompt", "redaction-policy"]
    assert names(type="policy") == ["redaction-policy"]
    assert names(tag="pii") == ["redaction-policy"]
    assert names(q="BILLING dispute") == ["billing-prompt"]
    assert names(lifecycle="deprecated") == ["api-spec"]
    assert names(sort="reuse", limit=2, offset=1) == ["redaction-policy", "api-spec"]
    page = client.get("/api/v1/assets", params={"limit": 1}, headers=viewer).json()
    assert (page["total"], len(page["assets"])) == (4, 1)
    for bad in [{"limit": 501}, {"sort": "size"}, {"type": "poem"}, {"offset": -1}]:
        refused = client.get("/api/v1/assets", params=bad, headers=viewer)
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] == "invalid_input"


def test_api_asset_versions_labels_content(client: TestClient, library: Workspace) -> None:
    viewer = bearer(library, VIEWER)
    base = "/api/v1/assets/billing-prompt"
    detail = client.get(base, headers=viewer).json()
    assert (detail["name"], detail["latest"], detail["origin"]) == ("billing-prompt", 2, "disputes")
    assert detail["reuse"]["consumers"] == 3
    versions = client.get(f"{base}/versions", headers=viewer).json()
    assert [(v["version"], v["labels"]) for v in versions] == [
        (1, []),
        (2, ["latest", "production"]),
    ]
    assert versions[1]["consumers"] == {
        "initiatives": ["disputes", "triage"],
        "themes": ["cx", "ops"],
    }
    one = client.get(f"{base}/versions/1", headers=viewer).json()
    assert (one["version"], one["size"], one["change"], one["artifact"]) == (
        1,
        len(V1.encode()),
        "first cut",
        None,
    )
    assert "content" not in one
    text = client.get(f"{base}/versions/2/content", headers=viewer)
    assert text.status_code == 200
    assert text.text == V2
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.headers["x-content-type-options"] == "nosniff"
    artifact = client.get("/api/v1/assets/api-spec/versions/1/content", headers=viewer)
    assert artifact.status_code == 404
    assert artifact.json()["error"]["code"] == "not_found"
    assert ARTIFACT in artifact.json()["error"]["message"]
    assert client.get(f"{base}/versions/9", headers=viewer).status_code == 404
    assert client.get("/api/v1/assets/nothing", headers=viewer).status_code == 404
    assert client.get(f"{base}/labels", headers=viewer).json() == {"production": 2, "latest": 2}


def test_api_history_and_diff(client: TestClient, library: Workspace) -> None:
    viewer = bearer(library, VIEWER)
    base = "/api/v1/assets/billing-prompt"
    moves = client.get(f"{base}/history", headers=viewer).json()
    assert [(m["from"], m["to"], m["by"]) for m in moves] == [
        (None, 1, ADMIN.name),
        (1, 2, ADMIN.name),
    ]
    found = client.get(f"{base}/diff", params={"from": 1, "to": 2}, headers=viewer).json()
    assert (found["from"], found["to"], found["same"], found["diff"]) == (1, 2, False, DIFF)
    same = client.get(f"{base}/diff", params={"from": 1, "to": 1}, headers=viewer).json()
    assert (same["same"], same["diff"]) == (True, "")
    assert client.get(f"{base}/diff", params={"from": 1}, headers=viewer).status_code == 422


def test_api_promote_rights_refusal_and_audit(client: TestClient, library: Workspace) -> None:
    viewer, platform, controls = (bearer(library, e) for e in (VIEWER, PLATFORM, CONTROLS))
    body = {"version": 1, "label": "production", "rationale": "roll back: v2 cites old invoices"}
    url = "/api/v1/assets/billing-prompt/promote"
    forbidden = client.post(url, json=body, headers=viewer)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["message"] == f"{VIEWER} (viewer) may not asset.promote"
    assert client.post(url, json=body, headers=controls).status_code == 403

    moved = client.post(url, json=body, headers=platform)
    assert moved.status_code == 200, moved.text
    assert {k: moved.json()[k] for k in ("asset", "label", "from", "to")} == {
        "asset": "billing-prompt",
        "label": "production",
        "from": 2,
        "to": 1,
    }
    labels = client.get("/api/v1/assets/billing-prompt/labels", headers=viewer).json()
    assert labels == {"production": 1, "latest": 2}
    [record] = audit.recent(library.sessions, 1, "Asset/billing-prompt")
    assert (record.action, record.actor) == ("asset.promote", PLATFORM)
    assert {k: record.payload[k] for k in ("label", "from", "to", "rationale", "passed")} == {
        "label": "production",
        "from": 2,
        "to": 1,
        "rationale": body["rationale"],
        "passed": True,
    }
    # With production back on v1 no pin is stale any more.
    assert client.get("/api/v1/reuse", headers=viewer).json()["stalePins"] == []

    # Controls may promote policy assets.
    policy = client.post(
        "/api/v1/assets/redaction-policy/promote",
        json={"version": 1, "label": "production", "rationale": "reviewed"},
        headers=controls,
    )
    assert (policy.status_code, policy.json()["to"]) == (200, 1)


def test_api_refused_promote_changes_nothing(client: TestClient, library: Workspace) -> None:
    platform = bearer(library, PLATFORM)
    before = len(audit.recent(library.sessions, 100))
    refused = client.post(
        "/api/v1/assets/draft-prompt/promote",
        json={"version": 1, "label": "production", "rationale": "ship it"},
        headers=platform,
    )
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "gate_blocked"
    assert {d["path"] for d in error["details"]} == {
        "production-promotion/owner-named",
        "production-promotion/description-written",
        "evaluated-before-production/evaluated-version-passes",
    }
    base = "/api/v1/assets/draft-prompt"
    assert client.get(f"{base}/labels", headers=platform).json() == {"latest": 1}
    assert client.get(f"{base}/history", headers=platform).json() == []
    assert len(audit.recent(library.sessions, 100)) == before
    for bad in [
        {"version": 1, "label": "latest", "rationale": "x"},
        {"version": 0, "label": "staging", "rationale": "x"},
        {"version": 1, "label": "staging", "rationale": ""},
    ]:
        assert client.post(f"{base}/promote", json=bad, headers=platform).status_code == 422
    no_such = {"version": 5, "label": "staging", "rationale": "x"}
    missing = client.post(f"{base}/promote", json=no_such, headers=platform)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"] == [{"path": "version", "message": "between 1 and 1"}]


def test_api_reuse_figures(client: TestClient, library: Workspace) -> None:
    viewer = bearer(library, VIEWER)
    figures = client.get("/api/v1/reuse", headers=viewer).json()
    assert (figures["reuseRate"]["reusing"], figures["reuseRate"]["pastProve"]) == (2, 3)
    assert figures["promptReuse"]["share"] == 0.75
    assert figures["stalePins"] == [
        {
            "initiative": "refunds",
            "asset": "billing-prompt",
            "version": 1,
            "label": None,
            "resolvedVersion": 1,
            "productionVersion": 2,
        }
    ]
    before = (datetime.now(UTC) - timedelta(days=60)).strftime("%Y-%m-%dT00:00:00")
    old = client.get("/api/v1/reuse", params={"as_of": before}, headers=viewer).json()
    assert old["asOf"] == f"{before}+00:00"
    assert old["promptReuse"]["share"] is None
