"""The `usage` event: one task done with (or without) AI help."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from scalegate.core.assets import parse_asset_ref
from scalegate.evidence.schemas import BaseEvent, Id, InitiativeName, Timestamp, register_event_type


def _asset_reference(value: str) -> str:
    parse_asset_ref(value)  # raises ValueError with the reason
    return value


AssetReference = Annotated[Id, AfterValidator(_asset_reference)]
Outcome = Literal["accepted", "edited", "overridden", "escalated", "failed"]


class UsageEvent(BaseEvent):
    """Who did which task when, whether AI assisted, how it ended, and what it cost."""

    type: Literal["usage"] = "usage"
    initiative: InitiativeName
    user: Id
    at: Timestamp
    task: Id
    assisted: bool
    outcome: Outcome
    duration_s: float | None = Field(default=None, ge=0)
    model: Id | None = None
    input_tokens: int | None = Field(default=None, ge=0)
    output_tokens: int | None = Field(default=None, ge=0)
    latency_ms: float | None = Field(default=None, ge=0)
    cost: float | None = Field(default=None, ge=0)
    human_reviewed: bool | None = None
    guardrail_triggered: bool | None = None
    # The library asset the call used (NAME or NAME@VERSION), and the prompt it used as a
    # prompt manager names it; `asset` wins when both are given.
    asset: AssetReference | None = None
    prompt: AssetReference | None = None

    def asset_use(self) -> tuple[str, int, bool] | None:
        """(asset, version or 0, named as a prompt) when the event names an asset or prompt."""
        named = self.asset or self.prompt
        if named is None:
            return None
        name, version = parse_asset_ref(named)
        return name, version or 0, self.prompt is not None


register_event_type("usage", UsageEvent)
