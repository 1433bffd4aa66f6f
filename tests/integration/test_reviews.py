"""Review packs on the demo workspace, on SQLite and PostgreSQL: content, HTML and PDF."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy.orm import Session, sessionmaker

from scalegate.demo import build_demo
from scalegate.errors import GateBlocked
from scalegate.gates import service as gates
from scalegate.manifests.loader import read_sources
from scalegate.manifests.service import apply_sources
from scalegate.reviews.render import render
from scalegate.reviews.service import review_pack
from scalegate.workspace import Workspace
from tests.conftest import ADMIN
from tests.gates_support import POLICIES

FIRING = {
    ("dispute-assistant-availability", "page-fast"),
    ("dispute-assistant-availability", "page-slow"),
    ("clause-review-availability", "ticket-fast"),
    ("clause-review-availability", "ticket-slow"),
}
EXTERNAL = re.compile(r"""\b(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


Demo = tuple[sessionmaker[Session], datetime]


@pytest.fixture
def demo(workspace: Workspace) -> Demo:
    """The demo workspace as `scalegate demo` makes it (default gates, then the demo data),
    with SLI counts up to `now`, the moment the packs are taken at.

    `now` is a few minutes after the build (initiatives are created at the real time, and
    conversion only counts what exists by as_of), on a 5-minute mark plus 4 minutes so that
    the last SLI record sits inside the 5-minute burn window.
    """
    real = datetime.now(UTC).replace(second=0, microsecond=0)
    now = real - timedelta(minutes=real.minute % 5) + timedelta(minutes=9)
    apply_sources(workspace.sessions, read_sources([str(POLICIES)]), ADMIN)
    build_demo(workspace.sessions, ADMIN, now.date(), now)
    return workspace.sessions, now


def assert_self_contained(html: str) -> None:
    """No script, no stylesheet link, no @import, no src/href leaving the file."""
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "@import" not in html.lower()
    assert EXTERNAL.search(html) is None, EXTERNAL.search(html)
    for attribute in re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", html):
        assert attribute.startswith(("#", "data:")), attribute


def html_of(pack: dict[str, Any]) -> str:
    html = render(pack, "html").decode("utf-8")
    assert_self_contained(html)
    return html


def test_weekly_pack_shows_the_firing_alerts_incidents_and_gate_failures(demo: Demo) -> None:
    factory, now = demo
    pack = review_pack(factory, "weekly", now)

    assert pack["period"]["days"] == 7
    assert pack["period"]["start"] == (now - timedelta(days=7)).isoformat()
    firing = {(f["objective"], f["alert"]) for f in pack["slo"]["firing"]}
    assert firing == FIRING
    assert pack["slo"]["firing"][0]["severity"] == "page"  # pages come first
    assert len(pack["slo"]["objectives"]) == 8
    assert pack["summary"].startswith(f"In the 7 days to {now:%Y-%m-%d %H:%M} UTC: ")
    assert "4 SLO alerts firing (2 page, 2 ticket) on 2 objectives" in pack["summary"]
    assert "respond to the paging alerts on dispute-assistant-availability" in pack["summary"]
    # Every incident listed was opened in the week or was still open during it.
    start = now - timedelta(days=7)
    for incident in pack["incidents"]:
        opened = datetime.fromisoformat(incident["opened_at"])
        assert opened <= now
        assert incident["new"] == (opened > start)
        resolved = incident["resolved_at"]
        assert incident["new"] or resolved is None or datetime.fromisoformat(resolved) > start
    opened = sum(i["new"] for i in pack["incidents"])
    assert f"{opened} incident" in pack["summary"]
    # Failed changes are a platform issue exactly when DORA counts failed deployments.
    failed = pack["delivery"]["failed_deployments"]
    assert any(i["kind"] == "Failed changes" for i in pack["platform_issues"]) == bool(failed)
    assert pack["gates"]["sweep"] is None  # the demo never swept

    html = html_of(pack)
    assert "<h1>Weekly operational review</h1>" in html
    for title in ("Platform issues", "SLO alerts", "Incidents", "Gate failures"):
        assert f">{title}</h2>" in html
    assert html.count("<svg ") == 1  # the error-budget chart, inline
    assert "dispute-assistant-availability" in html and "ticket-slow" in html
    assert "No gate sweep was recorded by the end of the week" in html

    # After a sweep, the pack reports the sweep's drift instead.
    gates.sweep(factory, ADMIN, now - timedelta(minutes=1))
    swept = review_pack(factory, "weekly", now)["gates"]["sweep"]
    assert swept is not None and swept["swept_at"] == (now - timedelta(minutes=1)).isoformat()


def test_monthly_pack_lists_outcomes_risks_and_decisions(demo: Demo) -> None:
    factory, now = demo
    decided = now - timedelta(minutes=2)
    # One advance that passes, one that the gate holds; a waiver that runs out in 10 days.
    gates.advance(factory, ADMIN, "call-wrap-up-summaries", "prove", as_of=decided)
    with pytest.raises(GateBlocked):
        gates.advance(factory, ADMIN, "developer-code-review-assistant", "adopt", as_of=decided)
    rule = gates.check(factory, "weekly-forecast-summaries", as_of=decided).rules[0].name
    gates.waive(
        factory,
        ADMIN,
        "weekly-forecast-summaries",
        [rule],
        (now + timedelta(days=10)).date(),
        "pilot extension",
        as_of=decided,
    )
    pack = review_pack(factory, "monthly", now)

    risks = pack["risks"]
    # shadow AI, and contract-clause-review as the demo's one knowledge silo
    assert risks["count"] == 2
    assert risks["by_severity"] == {"high": 1, "medium": 0, "low": 1}
    assert [r["initiatives"] for r in risks["risks"] if r["rule"] == "shadow-ai"] == [
        ["contract-clause-review"]
    ]
    assert "2 risks in the register (1 high)" in pack["summary"]

    hypotheses = pack["outcomes"]["hypotheses"]
    assert sum(pack["outcomes"]["by_status"].values()) == len(hypotheses) > 20
    assert {h["initiative"] for h in hypotheses} >= {"billing-dispute-assistant"}
    assert all(v["verdict"] == "validated" for v in pack["outcomes"]["validated"])

    taken = [(d["initiative"], d["action"]) for d in pack["decisions"]]
    assert taken == [
        ("call-wrap-up-summaries", "advance"),
        ("developer-code-review-assistant", "hold"),
    ]
    assert pack["decisions"][1]["failing"]  # the hold names the rules that failed
    assert "2 gate decisions (1 advance, 1 hold)" in pack["summary"]
    waivers = pack["decisions_due"]["waivers"]
    assert [(w["initiative"], w["rules"]) for w in waivers] == [
        ("weekly-forecast-summaries", [rule])
    ]
    assert "1 waiver running out" in pack["summary"]
    # The decisions fall outside a pack taken before they were made.
    earlier = review_pack(factory, "monthly", decided - timedelta(seconds=1))
    assert earlier["decisions"] == [] and earlier["decisions_due"]["waivers"] == []

    html = html_of(pack)
    for title in ("Outcomes", "Hypotheses", "Risks", "Decisions due", "Decisions taken"):
        assert f">{title}</h2>" in html
    assert html.count("<svg ") == 4  # status, benefit, time returned, risks by rule
    assert "Shadow AI" in html and "pilot extension" in html


def test_quarterly_pack_gives_tiers_conversion_investment_and_risk_posture(demo: Demo) -> None:
    factory, now = demo
    pack = review_pack(factory, "quarterly", now)

    conversion = pack["conversion"]
    # docs/dashboard.md: the demo's one cohort, 11 entered prove and 5 reached adopt or later.
    assert (conversion["entered"], conversion["converted"]) == (11, 5)
    assert conversion["rate"] == pytest.approx(5 / 11)
    assert "pilot-to-scale conversion 5 of 11 (45%)" in pack["summary"]

    money = pack["investment"]
    # Capacity of the 14 live demo initiatives (hr-policy-qa is retired); two state none.
    assert money["capacity"] == 113.0
    assert money["unstated"] == ["claims-fraud-triage", "discharge-summary-drafting"]
    assert sum(t["initiatives"] for t in money["by_theme"]) == 14
    assert money["by_theme"][0] == {
        "theme": "Customer operations",
        "initiatives": 3,
        "capacity": 30.0,
        "scaled": 2,
        "share": pytest.approx(30 / 113),
    }

    reliability = pack["tiers"]["reliability"]
    assert reliability["met"] == 8
    assert {(f["objective"], f["alert"]) for f in reliability["firing"]} == FIRING
    assert pack["tiers"]["delivery"]["deployments"] > 0
    assert pack["tiers"]["delivery"]["to"] == now.date().isoformat()

    posture = pack["risk_posture"]
    assert posture["count"] == 2
    # Knowledge silos follow today's stages; the shadow AI usage is recent.
    assert [r["rule"] for r in posture["new"]] == ["shadow-ai"]
    assert posture["count_at_start"] == 1 and posture["resolved"] == []

    html = html_of(pack)
    for title in (
        "Tier 1 · Business outcomes",
        "Tier 2 · Delivery performance",
        "Tier 3 · Platform reliability",
        "Pilot-to-scale conversion",
        "Investment by theme",
        "Risk posture",
    ):
        assert f">{title}</h2>" in html
    assert html.count("<svg ") == 9
    assert "<td>45%</td>" in html  # the conversion chart's data table
    assert "113 person-weeks asked by live initiatives" in html


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_pdf_packs_open_with_their_sections_and_figures(demo: Demo) -> None:
    factory, now = demo
    expected = {
        "weekly": (2, 8, ["Weekly operational review", "SLO alerts", "Gate failures",
                          "dispute-assistant-availability", "page-fast", "ticket-slow"]),
        "monthly": (3, 14, ["Monthly portfolio review", "Hypotheses", "Decisions due",
                            "Shadow AI", "contract-clause-review"]),
        "quarterly": (5, 20, ["Quarterly executive review", "Pilot-to-scale conversion",
                              "Investment by theme", "Risk posture", "5 of 11", "45%"]),
    }  # fmt: skip
    for cadence, (fewest, most, phrases) in expected.items():
        data = render(review_pack(factory, cadence, now), "pdf")
        assert data.startswith(b"%PDF-")
        pages, text = _pdf_text(data)
        assert fewest <= pages <= most, (cadence, pages)
        # One line of words; names that wrap at a hyphen in a table cell are joined again.
        flat = re.sub(r"-\s+", "-", " ".join(text.split()))
        for phrase in phrases:
            assert phrase in flat, (cadence, phrase)
        assert f"page 1 of {pages}" in flat
