"""Helpers for gate tests: the default bundle, contexts and a seeded workspace."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from scalegate.core.policy import Policy, compile_policy, initiative_context

POLICIES = Path(__file__).resolve().parents[1] / "src" / "scalegate" / "policies"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def default_policies() -> dict[str, Policy]:
    """The shipped bundle, compiled, by policy name."""
    documents = yaml.safe_load_all((POLICIES / "default-gates.yaml").read_text())
    return {
        d["metadata"]["name"]: compile_policy(d["metadata"]["name"], 1, d["spec"])
        for d in documents
    }


def context(spec: dict[str, Any] | None = None, **evidence: Any) -> dict[str, Any]:
    """A gate context for a hand-made initiative; signoffs default to none."""
    return {
        "initiative": initiative_context("hand-made", spec or {}),
        "evidence": {"signoffs": {}, **evidence},
        "now": NOW,
    }


def signed(*items: str) -> dict[str, Any]:
    """An evidence.signoffs map with these items signed."""
    return {
        i: {
            "by": "c@x.example",
            "at": "2026-11-01T00:00:00+00:00",
            "artifact": "https://x",
            "expiresAt": None,
        }
        for i in items
    }
