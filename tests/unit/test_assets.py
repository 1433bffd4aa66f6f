"""The asset library's figures on a small portfolio computed by hand (docs/metrics.md, Reuse)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from scalegate.core.assets import (
    AssetFacts,
    DeclaredUse,
    InitiativeFacts,
    ObservedUse,
    PromptCalls,
    assets_evidence,
    consumers_of,
    content_digest,
    impact_sentence,
    parse_asset_ref,
    portfolio_reuse_rate,
    prompt_reuse_share,
    reuse_counts,
    reuse_figures,
    version_impact,
    window_start,
)

AS_OF = datetime(2026, 11, 30, 12, tzinfo=UTC)

# Five initiatives in two themes. `disputes` originated the prompt; `claims` originated the
# evaluation set. The prompt has v1..v3 with production on v2; the eval set has only v1.
INITIATIVES = {
    "disputes": InitiativeFacts("disputes", "customer-ops", "govern"),
    "triage": InitiativeFacts("triage", "customer-ops", "adopt"),
    "claims": InitiativeFacts("claims", "risk", "industrialize"),
    "underwriting": InitiativeFacts("underwriting", "risk", "prove"),
    "summaries": InitiativeFacts("summaries", "risk", "expand"),
}
PROMPT = AssetFacts("dispute-prompt", "prompt", "disputes", "production", 3, {"production": 2})
EVALS = AssetFacts("claims-evals", "evaluation-set", "claims", "experimental", 1, {})
ASSETS = {PROMPT.name: PROMPT, EVALS.name: EVALS}
DECLARED = [
    DeclaredUse("disputes", "dispute-prompt", label="production"),  # resolves to 2
    DeclaredUse("triage", "dispute-prompt", version=1),  # pinned below production: stale
    DeclaredUse("claims", "dispute-prompt", label="latest"),  # resolves to 3
    DeclaredUse("triage", "claims-evals", label="latest"),
]
OBSERVED = [
    # underwriting only calls the prompt (v3) - observed, not declared
    ObservedUse("underwriting", "dispute-prompt", 3, date(2026, 11, 20), 40),
    # triage calls v1 as pinned
    ObservedUse("triage", "dispute-prompt", 1, date(2026, 11, 29), 7),
    # summaries called it 29 days before as_of's day: outside the 28-day window
    ObservedUse("summaries", "dispute-prompt", 2, date(2026, 11, 2), 100),
    # a row with zero calls is no use
    ObservedUse("summaries", "claims-evals", 0, date(2026, 11, 29), 0),
]


def test_asset_references_parse_name_and_optional_version() -> None:
    assert parse_asset_ref("dispute-prompt") == ("dispute-prompt", None)
    assert parse_asset_ref("dispute-prompt@3") == ("dispute-prompt", 3)
    assert parse_asset_ref("dispute-prompt@v12") == ("dispute-prompt", 12)
    for bad in ("", "@3", "name@0", "two words"):
        with pytest.raises(ValueError):
            parse_asset_ref(bad)


def test_a_version_is_the_sha256_of_its_text_or_the_artifact_digest() -> None:
    """sha256("hello") from `printf hello | sha256sum`."""
    assert content_digest("hello") == (
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    )
    assert content_digest(None, "AB" * 32) == "ab" * 32


def test_the_window_holds_the_28_days_ending_on_as_of() -> None:
    assert window_start(AS_OF) == date(2026, 11, 3)


def test_uses_resolve_to_pinned_versions_or_labels() -> None:
    assert PROMPT.resolve(1, None) == 1
    assert PROMPT.resolve(4, None) is None  # no such version
    assert PROMPT.resolve(None, "production") == 2
    assert PROMPT.resolve(None, "latest") == 3
    assert PROMPT.resolve(None, "staging") is None  # no staging label yet


def test_consumers_and_reuse_figures_of_the_prompt() -> None:
    """Declared: disputes, triage, claims (3). Observed in 28 days: underwriting, triage (2);
    summaries' calls fall a day outside. Either: 4. Reused by: 4 - disputes (origin) = 3.
    At scale (adopt or later): disputes (govern), triage (adopt) = 2. Stale pins: triage (v1
    while production is v2) = 1; claims follows latest (v3), newer than production: not stale."""
    found = consumers_of(PROMPT, DECLARED, OBSERVED, INITIATIVES, AS_OF)
    assert [c.initiative for c in found] == ["claims", "disputes", "triage", "underwriting"]
    by_name = {c.initiative: c for c in found}
    assert by_name["triage"].resolved_version == 1
    assert by_name["triage"].stale is True
    assert by_name["triage"].observed_versions == (1,)
    assert by_name["claims"].resolved_version == 3
    assert by_name["claims"].stale is False
    assert by_name["underwriting"].declared is False
    assert by_name["underwriting"].observed_versions == (3,)
    assert reuse_figures(PROMPT, found) == {
        "declared": 3,
        "observed": 2,
        "consumers": 4,
        "reusedBy": 3,
        "atScale": 2,
        "stalePins": 1,
    }


def test_bulk_counts_agree_with_the_per_asset_figures() -> None:
    counts = reuse_counts({a.name: a.origin for a in ASSETS.values()}, DECLARED, OBSERVED, AS_OF)
    assert counts["dispute-prompt"] == {
        "declared": 3,
        "observed": 2,
        "consumers": 4,
        "reusedBy": 3,
    }
    # claims-evals: declared by triage only; summaries' zero-call row is no use.
    assert counts["claims-evals"] == {"declared": 1, "observed": 0, "consumers": 1, "reusedBy": 1}


def test_deprecation_impact_per_version() -> None:
    """v1: triage (customer-ops). v2: disputes (customer-ops). v3: claims (risk, latest) and
    underwriting (risk, observed)."""
    impact = version_impact(consumers_of(PROMPT, DECLARED, OBSERVED, INITIATIVES, AS_OF))
    assert impact[3] == {"initiatives": ["claims", "underwriting"], "themes": ["risk"]}
    assert impact[1]["initiatives"] == ["triage"]
    assert impact_sentence(3, impact[3]) == "retiring v3 affects 2 initiatives in 1 theme"
    assert impact_sentence(2, impact[2]) == "retiring v2 affects 1 initiative in 1 theme"
    assert impact_sentence(4, None) == "retiring v4 affects no initiative"


def test_portfolio_reuse_rate_counts_initiatives_past_prove_reusing_production_assets() -> None:
    """Past prove: disputes, triage, claims, summaries (underwriting is at prove) = 4.
    disputes uses only its own prompt: no. triage uses the prompt (production label, origin
    disputes): yes. claims uses the prompt: yes. summaries' only call is outside the window: no.
    Rate = 2 / 4. claims-evals has no production label, so it would not count anyway."""
    found = portfolio_reuse_rate(INITIATIVES, ASSETS, DECLARED, OBSERVED, AS_OF)
    assert found == {
        "reusing": 2,
        "pastProve": 4,
        "rate": 0.5,
        "initiatives": ["claims", "triage"],
    }


def test_portfolio_reuse_rate_is_none_without_initiatives_past_prove() -> None:
    early = {"a": InitiativeFacts("a", "t", "define")}
    assert portfolio_reuse_rate(early, ASSETS, [], [], AS_OF)["rate"] is None


def test_prompt_reuse_share() -> None:
    """Library prompt: 60 + 20 model calls. A Langfuse prompt the library lacks: 40. A routing
    rule named through scalegate.asset is not a prompt: left out. Outside the window: left out.
    Share = 80 / (80 + 40) = 2/3."""
    calls = [
        PromptCalls("dispute-prompt", False, 60, date(2026, 11, 28)),
        PromptCalls("dispute-prompt", True, 20, date(2026, 11, 10)),
        PromptCalls("adhoc-prompt", True, 40, date(2026, 11, 29)),
        PromptCalls("routing-rule", False, 500, date(2026, 11, 29)),
        PromptCalls("dispute-prompt", False, 999, date(2026, 10, 1)),
    ]
    found = prompt_reuse_share(calls, ["dispute-prompt"], AS_OF)
    assert found["libraryCalls"] == 80
    assert found["knownPromptCalls"] == 120
    assert found["share"] == pytest.approx(2 / 3)
    assert prompt_reuse_share([], ["dispute-prompt"], AS_OF)["share"] is None


def test_assets_evidence_of_an_initiative() -> None:
    """disputes published the prompt (production v2); it uses it by label; reused by 3."""
    found = assets_evidence("disputes", ASSETS, DECLARED, 3)
    assert found == {
        "published": [
            {"name": "dispute-prompt", "type": "prompt", "version": 2, "label": "production"}
        ],
        "uses": [{"name": "dispute-prompt", "version": 2, "label": "production", "stale": False}],
        "reusedBy": 3,
    }
    # claims originated claims-evals but it carries no production label: nothing published.
    assert assets_evidence("claims", ASSETS, DECLARED, 1)["published"] == []
    assert assets_evidence("triage", ASSETS, DECLARED, 0)["uses"][0] == {
        "name": "dispute-prompt",
        "version": 1,
        "label": None,
        "stale": True,
    }
