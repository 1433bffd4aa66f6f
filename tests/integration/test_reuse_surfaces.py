"""The Reuse section of the review packs on a small hand-computed portfolio, on SQLite and
PostgreSQL; `reuse_portfolio` is the portfolio the page tests (tests/e2e/test_reuse_pages.py)
read too.

The portfolio, and its figures by hand from the definitions in core/assets.py:

- initiatives: triage (govern, ops), claims (adopt, risk), clauses (industrialize, risk),
  intake (prove, ops);
- assets: triage-pattern (workflow-pattern, origin triage, production → v1); pii-redaction
  (policy, no origin, v1 and v2, production → v2); dispute-prompt (prompt, origin claims,
  deprecated, no production label);
- declared uses: triage → pii-redaction@production; claims → triage-pattern@production and
  pii-redaction version 1; clauses → dispute-prompt@latest; intake → triage-pattern@production;
- calls in the last 28 days: claims calls dispute-prompt@1 six times with a model and once
  without; clauses calls a prompt `adhoc-summary` (not in the library) twice with a model.

Reuse rate: past prove are triage, claims, clauses (3; intake is at prove). triage uses
pii-redaction (production, not its own) and claims uses triage-pattern (production, originated
by triage): 2 reuse. clauses uses only dispute-prompt, which has no production label. 2 of 3.
Prompt reuse share: model calls naming a prompt: 6 library (dispute-prompt) + 2 not → 6 of 8.
Production assets: 2 of 3. Stale pins: claims → pii-redaction v1 while production is v2.
Most reused: pii-redaction by {triage, claims} (2, no origin), triage-pattern by {claims,
intake} (2; triage is its origin and declares nothing of it), dispute-prompt by {clauses}
(1; consumers are clauses declared and claims observed, and claims is its origin).
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from scalegate.assets import service as assets
from scalegate.evidence.service import ingest
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.reviews.render import render
from scalegate.reviews.service import review_pack
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.gates_support import POLICIES
from tests.integration.test_reviews import html_of

ASSET = """\
apiVersion: scalegate.dev/v1
kind: Asset
metadata: {{name: {name}}}
spec:
  type: {type}
  title: {title}
  description: {title}, lifted from a pilot that worked.
  owner: platform@example.com
  lifecycle: {lifecycle}
  content: "{content}"
"""
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
metadata: {name: triage}
spec:
  title: Ticket triage
  theme: ops
  stage: govern
  uses: [{asset: pii-redaction, label: production}]
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: claims}
spec:
  title: Claims assistant
  theme: risk
  stage: adopt
  uses: [{asset: triage-pattern, label: production}, {asset: pii-redaction, version: 1}]
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: clauses}
spec:
  title: Clause review
  theme: risk
  stage: industrialize
  uses: [{asset: dispute-prompt, label: latest}]
---
apiVersion: scalegate.dev/v1
kind: Initiative
metadata: {name: intake}
spec:
  title: Intake routing
  theme: ops
  stage: prove
  uses: [{asset: triage-pattern, label: production}]
"""


def asset(name: str, type_: str, title: str, content: str, lifecycle: str = "production") -> str:
    """A `kind: Asset` document with an owner and a description (what production asks)."""
    return ASSET.format(name=name, type=type_, title=title, content=content, lifecycle=lifecycle)


def _assets(redaction: str, origins: bool = True) -> str:
    documents = [
        asset("triage-pattern", "workflow-pattern", "Ticket triage pattern", "classify, route"),
        asset("pii-redaction", "policy", "PII redaction policy", redaction),
        asset("dispute-prompt", "prompt", "Dispute prompt", "Summarise the dispute", "deprecated"),
    ]
    if origins:
        documents[0] += "  origin: triage\n"
        documents[2] += "  origin: claims\n"
    return "---\n".join(documents)


def _call(n: int, initiative: str, at: datetime, **names: str | None) -> dict[str, object]:
    return {
        "type": "usage",
        "id": f"reuse-{n}",
        "initiative": initiative,
        "user": f"user-{n % 3}",
        "at": at.isoformat(),
        "task": "answer",
        "assisted": True,
        "outcome": "accepted",
        **names,
    }


def reuse_portfolio(factory: sessionmaker[Session], now: datetime) -> None:
    """The portfolio of the module docstring: applied, v2 of pii-redaction, two promotes, and
    the calls (two hours before `now`)."""
    apply_sources(factory, read_sources([str(POLICIES)]), ADMIN)
    apply_sources(factory, [("reuse.yaml", PORTFOLIO + "---\n" + _assets("mask names"))], ADMIN)
    apply_sources(factory, [("assets.yaml", _assets("mask names and account numbers"))], ADMIN)
    assets.promote(factory, ADMIN, "triage-pattern", 1, "production", "triage proved it")
    assets.promote(factory, ADMIN, "pii-redaction", 2, "production", "covers account numbers")
    at = now - timedelta(hours=2)
    calls = [
        _call(n, "claims", at, model="gpt-4o-mini", asset="dispute-prompt@1") for n in range(6)
    ]
    calls.append(_call(6, "claims", at, model=None, asset="dispute-prompt@1"))
    calls += [_call(n, "clauses", at, model="gpt-4o-mini", prompt="adhoc-summary") for n in (7, 8)]
    ingest(factory, ADMIN, "\n".join(json.dumps(c) for c in calls), "jsonl")


Portfolio = tuple[sessionmaker[Session], datetime]


@pytest.fixture
def portfolio(workspace: Workspace) -> Portfolio:
    """The reuse portfolio, and the moment to read it at."""
    now = datetime.now(UTC).replace(microsecond=0)
    reuse_portfolio(workspace.sessions, now)
    return workspace.sessions, now


def test_each_pack_has_the_reuse_figures_of_the_hand_computation(portfolio: Portfolio) -> None:
    factory, now = portfolio
    for cadence in ("weekly", "monthly", "quarterly"):
        reuse = review_pack(factory, cadence, now)["reuse"]
        assert reuse["reuseRate"] == {
            "reusing": 2,
            "pastProve": 3,
            "rate": pytest.approx(2 / 3),
            "initiatives": ["claims", "triage"],
        }
        assert reuse["promptReuse"] == {
            "libraryCalls": 6,
            "knownPromptCalls": 8,
            "share": pytest.approx(0.75),
        }
        assert (reuse["assets"], reuse["production"]) == (3, 2)
        assert [(a["name"], a["reusedBy"], a["consumers"]) for a in reuse["mostReused"]] == [
            ("pii-redaction", 2, 2),
            ("triage-pattern", 2, 2),
            ("dispute-prompt", 1, 2),
        ]
        assert reuse["stalePins"] == [
            {
                "initiative": "claims",
                "asset": "pii-redaction",
                "version": 1,
                "label": None,
                "resolvedVersion": 1,
                "productionVersion": 2,
            }
        ]


def test_the_html_pack_shows_reuse_with_numerators_and_stays_self_contained(
    portfolio: Portfolio,
) -> None:
    factory, now = portfolio
    html = html_of(review_pack(factory, "quarterly", now))
    section = re.search(r'<section id="reuse".*?</section>', html, re.S)
    assert section is not None
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section.group(0)))
    assert '<a href="#reuse">Reuse</a>' in html  # listed in the contents
    assert (
        "2 of 3 initiatives past prove reuse a production asset they did not originate (67%)"
        in text
    )
    assert "6 of 8 model calls with a known prompt used a library prompt (75%)" in text
    assert "2 of 3 assets carry the production label; 1 stale pin." in text
    assert "Portfolio reuse rate 2 of 3 (67%)" in text and "Reusing: claims, triage." in text
    assert "Prompt reuse share (28 days) 6 of 8 model calls (75%)" in text
    rows = re.findall(r"<tr><td>([a-z-]+)</td><td>([a-z-]+)</td><td>(\d) initiatives?</td>", html)
    assert rows == [
        ("pii-redaction", "policy", "2"),
        ("triage-pattern", "workflow-pattern", "2"),
        ("dispute-prompt", "prompt", "1"),
    ]
    assert "claims → pii-redaction v1 while production is v2" in text
    assert "version 1" in text


def test_the_pdf_pack_builds_with_the_reuse_section(portfolio: Portfolio) -> None:
    factory, now = portfolio
    data = render(review_pack(factory, "weekly", now), "pdf")
    reader = PdfReader(io.BytesIO(data))
    text = re.sub(r"-\s+", "-", " ".join(" ".join(p.extract_text() for p in reader.pages).split()))
    assert "2 of 3 initiatives past prove reuse a production asset" in text
    assert "claims → pii-redaction v1 while production is v2" in text


def test_without_initiatives_past_prove_the_pack_says_so_instead_of_zero(
    workspace: Workspace,
) -> None:
    """Only intake (prove) and no calls: no rate and no prompt share, rather than 0%."""
    only_intake = PORTFOLIO.split("---\n")
    kept = [d for d in only_intake if "kind: Theme" in d or "name: intake" in d]
    apply_sources(
        workspace.sessions,
        [("p.yaml", "---\n".join([*kept, _assets("mask names", origins=False)]))],
        ADMIN,
    )
    pack = review_pack(workspace.sessions, "weekly", datetime.now(UTC))
    assert pack["reuse"]["reuseRate"] == {
        "reusing": 0,
        "pastProve": 0,
        "rate": None,
        "initiatives": [],
    }
    html = html_of(pack)
    assert "no initiative is past prove yet, so there is no reuse rate" in html
    assert "no model call named its prompt in the last 28 days" in html
    assert "0%" not in re.search(r'<section id="reuse".*?</section>', html, re.S).group(0)
