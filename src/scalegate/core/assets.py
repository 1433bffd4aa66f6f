"""The asset library's figures: resolving uses, consumers, reuse, stale pins, reuse rates.

Pure: callers load the facts and pass `as_of`; definitions are in docs/metrics.md ("Reuse").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, get_args

AssetType = Literal[
    "prompt",
    "evaluation-set",
    "policy",
    "playbook",
    "workflow-pattern",
    "interface",
    "integration-template",
    "routing-rule",
]
Lifecycle = Literal["experimental", "production", "deprecated", "retired"]
ASSET_TYPES: tuple[str, ...] = get_args(AssetType)
LIFECYCLES: tuple[str, ...] = get_args(Lifecycle)
# Labels that move only by promote; `latest` follows the newest version by itself.
MOVABLE_LABELS: tuple[str, ...] = ("production", "staging")
LATEST = "latest"
PRODUCTION = "production"
# Stages at which an initiative counts as past the pilot, and as used at scale.
PAST_PROVE: frozenset[str] = frozenset({"industrialize", "adopt", "govern", "expand"})
AT_SCALE: frozenset[str] = frozenset({"adopt", "govern", "expand"})
OBSERVED_WINDOW_DAYS = 28
_REF = re.compile(r"^(?P<name>[^@\s]+?)(?:@v?(?P<version>\d+))?$")


def parse_asset_ref(text: str) -> tuple[str, int | None]:
    """`NAME` or `NAME@VERSION` (also `NAME@vN`) as (name, version or None); ValueError if not."""
    found = _REF.match(text.strip())
    if found is None or not found.group("name"):
        raise ValueError(f"{text!r} is not NAME or NAME@VERSION")
    version = found.group("version")
    if version is not None and int(version) < 1:
        raise ValueError(f"{text!r}: versions start at 1")
    return found.group("name"), int(version) if version is not None else None


def content_digest(content: str | None, artifact_sha256: str | None = None) -> str:
    """A version's identity: the artifact's sha256 when it is one, else sha256 of the UTF-8 text."""
    if artifact_sha256:
        return artifact_sha256.lower()
    return hashlib.sha256((content or "").encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AssetFacts:
    """What the figures need of one asset: identity, origin, lifecycle, versions and labels."""

    name: str
    type: str
    origin: str | None
    lifecycle: str
    latest: int
    labels: Mapping[str, int] = field(default_factory=dict)

    def resolve(self, version: int | None, label: str | None) -> int | None:
        """The version a use means: the pinned number, or where its label points (None if not)."""
        if version is not None:
            return version if 1 <= version <= self.latest else None
        if label in (None, LATEST):
            return self.latest
        return self.labels.get(str(label))

    @property
    def production(self) -> int | None:
        """The version the production label points at, if any."""
        return self.labels.get(PRODUCTION)


@dataclass(frozen=True)
class DeclaredUse:
    """An initiative's `spec.uses` entry."""

    initiative: str
    asset: str
    version: int | None = None
    label: str | None = None


@dataclass(frozen=True)
class ObservedUse:
    """Calls of one initiative naming an asset on one day (version 0: not named)."""

    initiative: str
    asset: str
    version: int
    day: date
    calls: int


@dataclass(frozen=True)
class Consumer:
    """One initiative that uses an asset: how (declared, observed), which version, at what stage."""

    initiative: str
    theme: str
    stage: str
    declared: bool
    observed: bool
    pinned_version: int | None
    pinned_label: str | None
    resolved_version: int | None
    observed_versions: tuple[int, ...]
    stale: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain form for --json and the API."""
        return {
            "initiative": self.initiative,
            "theme": self.theme,
            "stage": self.stage,
            "declared": self.declared,
            "observed": self.observed,
            "pinnedVersion": self.pinned_version,
            "pinnedLabel": self.pinned_label,
            "resolvedVersion": self.resolved_version,
            "observedVersions": list(self.observed_versions),
            "stale": self.stale,
        }


@dataclass(frozen=True)
class InitiativeFacts:
    """What the figures need of an initiative."""

    name: str
    theme: str
    stage: str


def window_start(as_of: datetime) -> date:
    """First day of the observed-use window: the 28 days that end on as_of's day."""
    return as_of.date() - timedelta(days=OBSERVED_WINDOW_DAYS - 1)


def in_window(day: date, as_of: datetime) -> bool:
    """Whether a daily aggregate falls in the 28-day observed-use window ending at as_of."""
    return window_start(as_of) <= day <= as_of.date()


def is_stale(resolved: int | None, asset: AssetFacts) -> bool:
    """A declared use is stale when it resolves to a version older than production's."""
    production = asset.production
    return resolved is not None and production is not None and resolved < production


def consumers_of(
    asset: AssetFacts,
    declared: Iterable[DeclaredUse],
    observed: Iterable[ObservedUse],
    initiatives: Mapping[str, InitiativeFacts],
    as_of: datetime,
) -> list[Consumer]:
    """Every initiative that declares the asset or called it in the 28 days up to as_of."""
    pins: dict[str, DeclaredUse] = {}
    for use in declared:
        if use.asset == asset.name and use.initiative in initiatives:
            pins.setdefault(use.initiative, use)
    calls: dict[str, set[int]] = {}
    for seen in observed:
        ours = seen.asset == asset.name and seen.initiative in initiatives
        if ours and seen.calls > 0 and in_window(seen.day, as_of):
            calls.setdefault(seen.initiative, set()).add(seen.version)
    found = []
    for name in sorted(set(pins) | set(calls)):
        initiative = initiatives[name]
        pin = pins.get(name)
        resolved = asset.resolve(pin.version, pin.label) if pin else None
        found.append(
            Consumer(
                initiative=name,
                theme=initiative.theme,
                stage=initiative.stage,
                declared=pin is not None,
                observed=name in calls,
                pinned_version=pin.version if pin else None,
                pinned_label=pin.label if pin else None,
                resolved_version=resolved,
                observed_versions=tuple(sorted(v for v in calls.get(name, ()) if v > 0)),
                stale=pin is not None and is_stale(resolved, asset),
            )
        )
    return found


def reuse_figures(asset: AssetFacts, consumers: Iterable[Consumer]) -> dict[str, int]:
    """Consumers (declared, observed, either), reused by, reuse at scale and stale pins."""
    found = list(consumers)
    reusers = [c for c in found if c.initiative != asset.origin]
    return {
        "declared": sum(c.declared for c in found),
        "observed": sum(c.observed for c in found),
        "consumers": len(found),
        "reusedBy": len(reusers),
        "atScale": sum(c.stage in AT_SCALE for c in found),
        "stalePins": sum(c.stale for c in found),
    }


def reuse_counts(
    origins: Mapping[str, str | None],
    declared: Iterable[DeclaredUse],
    observed: Iterable[ObservedUse],
    as_of: datetime,
) -> dict[str, dict[str, int]]:
    """For many assets at once (name → origin): consumers declared, observed, either, and
    reused by; the same definitions as reuse_figures, without stages or pins."""
    by_declared: dict[str, set[str]] = {name: set() for name in origins}
    by_observed: dict[str, set[str]] = {name: set() for name in origins}
    for use in declared:
        if use.asset in by_declared:
            by_declared[use.asset].add(use.initiative)
    for seen in observed:
        if seen.asset in by_observed and seen.calls > 0 and in_window(seen.day, as_of):
            by_observed[seen.asset].add(seen.initiative)
    counts = {}
    for name, origin in origins.items():
        either = by_declared[name] | by_observed[name]
        counts[name] = {
            "declared": len(by_declared[name]),
            "observed": len(by_observed[name]),
            "consumers": len(either),
            "reusedBy": len(either - {origin}),
        }
    return counts


def version_impact(consumers: Iterable[Consumer]) -> dict[int, dict[str, Any]]:
    """Per version: the initiatives and themes that use it (declared or observed)."""
    impact: dict[int, dict[str, Any]] = {}
    for consumer in consumers:
        versions = set(consumer.observed_versions)
        if consumer.resolved_version is not None:
            versions.add(consumer.resolved_version)
        for version in versions:
            entry = impact.setdefault(version, {"initiatives": [], "themes": []})
            entry["initiatives"].append(consumer.initiative)
            if consumer.theme not in entry["themes"]:
                entry["themes"].append(consumer.theme)
    for entry in impact.values():
        entry["initiatives"].sort()
        entry["themes"].sort()
    return dict(sorted(impact.items()))


def impact_sentence(version: int, entry: Mapping[str, Any] | None) -> str:
    """`retiring v3 affects 4 initiatives in 2 themes`, in words a reader can act on."""
    initiatives = len(entry["initiatives"]) if entry else 0
    themes = len(entry["themes"]) if entry else 0
    if initiatives == 0:
        return f"retiring v{version} affects no initiative"
    noun = "initiative" if initiatives == 1 else "initiatives"
    theme_noun = "theme" if themes == 1 else "themes"
    return f"retiring v{version} affects {initiatives} {noun} in {themes} {theme_noun}"


def portfolio_reuse_rate(
    initiatives: Mapping[str, InitiativeFacts],
    assets: Mapping[str, AssetFacts],
    declared: Iterable[DeclaredUse],
    observed: Iterable[ObservedUse],
    as_of: datetime,
) -> dict[str, Any]:
    """Initiatives past prove using ≥ 1 production asset they did not originate, over all
    initiatives past prove (rate None when there are none)."""
    past = {n for n, i in initiatives.items() if i.stage in PAST_PROVE}
    used: dict[str, set[str]] = {}
    for use in declared:
        used.setdefault(use.initiative, set()).add(use.asset)
    for seen in observed:
        if seen.calls > 0 and in_window(seen.day, as_of):
            used.setdefault(seen.initiative, set()).add(seen.asset)
    reusing = sorted(
        name
        for name in past
        if any(
            (a := assets.get(asset)) is not None
            and a.production is not None
            and a.lifecycle != "retired"
            and a.origin != name
            for asset in used.get(name, ())
        )
    )
    return {
        "reusing": len(reusing),
        "pastProve": len(past),
        "rate": len(reusing) / len(past) if past else None,
        "initiatives": reusing,
    }


@dataclass(frozen=True)
class PromptCalls:
    """Model calls naming a prompt or asset on some day: `via_prompt` when a Langfuse prompt
    attribute named it (so it is a prompt, whether or not the library has it)."""

    asset: str
    via_prompt: bool
    model_calls: int
    day: date


def prompt_reuse_share(
    calls: Iterable[PromptCalls], library_prompts: Iterable[str], as_of: datetime
) -> dict[str, Any]:
    """Model calls whose prompt is a library prompt asset, over model calls with a known prompt,
    in the 28 days up to as_of (share None when no call names a prompt)."""
    prompts = set(library_prompts)
    library = known = 0
    for row in calls:
        if not in_window(row.day, as_of):
            continue
        in_library = row.asset in prompts
        if in_library or row.via_prompt:
            known += row.model_calls
        if in_library:
            library += row.model_calls
    return {
        "libraryCalls": library,
        "knownPromptCalls": known,
        "share": library / known if known else None,
    }


def assets_evidence(
    initiative: str,
    assets: Mapping[str, AssetFacts],
    declared: Iterable[DeclaredUse],
    reused_by: int,
) -> dict[str, Any]:
    """`evidence.assets` for one initiative: what it published, what it uses, who reuses it."""
    published = [
        {"name": a.name, "type": a.type, "version": a.production, "label": PRODUCTION}
        for a in sorted(assets.values(), key=lambda a: a.name)
        if a.origin == initiative and a.production is not None and a.lifecycle != "retired"
    ]
    uses = []
    for use in declared:
        if use.initiative != initiative:
            continue
        asset = assets.get(use.asset)
        resolved = asset.resolve(use.version, use.label) if asset else None
        uses.append(
            {
                "name": use.asset,
                "version": resolved,
                "label": use.label,
                "stale": asset is not None and is_stale(resolved, asset),
            }
        )
    return {"published": published, "uses": uses, "reusedBy": reused_by}
