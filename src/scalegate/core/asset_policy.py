"""Asset policies: CEL rules that decide whether a version may carry a label (production).

The context is `asset` (its spec and name), `version` (the version to be labelled), `label`,
`evidence` (empty today; evaluation results will add to it) and `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scalegate.core.policy import (
    Rule,
    RuleResult,
    compile_rule,
    content_hash,
    evaluate_rule,
    prepare,
)

ASSET_VARIABLES = frozenset({"asset", "version", "label", "evidence", "now"})
ASSET_FIELDS = ("type", "title", "description", "owner", "origin", "lifecycle")


@dataclass(frozen=True)
class AssetPolicy:
    """A compiled asset policy version: which labels and types it governs, and its rules."""

    name: str
    version: int
    content_hash: str
    labels: tuple[str, ...]
    types: tuple[str, ...]  # empty: every type
    rules: tuple[Rule, ...]

    def governs(self, asset_type: str, label: str) -> bool:
        """Whether a move of this label on an asset of this type is decided by this policy."""
        return label in self.labels and (not self.types or asset_type in self.types)


def asset_context(
    name: str,
    spec: Mapping[str, Any],
    version: Mapping[str, Any],
    label: str,
    evidence: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The CEL context of a label move; every field present ('' / [] / false when unset)."""
    asset: dict[str, Any] = {"name": name, "tags": list(spec.get("tags", []))}
    asset.update({f: spec.get(f) or "" for f in ASSET_FIELDS})
    return {
        "asset": asset,
        "version": {
            "number": version.get("number", 0),
            "sha256": version.get("sha256", ""),
            "hasContent": bool(version.get("hasContent")),
            "hasArtifact": bool(version.get("hasArtifact")),
            "size": version.get("size", 0),
            "createdBy": version.get("createdBy", ""),
        },
        "label": label,
        "evidence": dict(evidence),
        "now": now,
    }


def probe_asset_context() -> dict[str, Any]:
    """An asset context with every field empty, for the apply-time type check of rules."""
    return asset_context("", {}, {}, "", {}, datetime(2000, 1, 1, tzinfo=UTC))


def compile_asset_rule(index: int, rule: Mapping[str, Any]) -> Rule:
    """Compile one asset-policy rule (RuleError names the rule when it does not compile)."""
    return compile_rule(index, rule, ASSET_VARIABLES, probe_asset_context())


_CACHE: dict[tuple[str, int, str], AssetPolicy] = {}


def compile_asset_policy(name: str, version: int, spec: Mapping[str, Any]) -> AssetPolicy:
    """Compile an asset policy version once; later calls with the same version reuse it."""
    key = (name, version, content_hash(spec))
    cached = _CACHE.get(key)
    if cached is None:
        applies = spec.get("appliesTo", {})
        cached = _CACHE[key] = AssetPolicy(
            name,
            version,
            key[2],
            tuple(applies.get("labels", ["production"])),
            tuple(applies.get("types", [])),
            tuple(compile_asset_rule(i, r) for i, r in enumerate(spec.get("rules", []))),
        )
    return cached


def evaluate_asset_policies(
    policies: Iterable[AssetPolicy], asset_type: str, context: Mapping[str, Any]
) -> list[RuleResult]:
    """Every rule of every policy that governs this label move on this asset type."""
    prepared = prepare(context)
    results = []
    for policy in policies:
        if not policy.governs(asset_type, str(context.get("label", ""))):
            continue
        for rule in policy.rules:
            passed, message = evaluate_rule(rule, prepared)
            results.append(
                RuleResult(
                    policy.name, rule.name, rule.capability, rule.severity, passed, False, message
                )
            )
    return results
