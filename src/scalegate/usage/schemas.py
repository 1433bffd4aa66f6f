"""The `usage` event: one task done with (or without) AI help."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scalegate.evidence.schemas import BaseEvent, Id, InitiativeName, Timestamp, register_event_type

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


register_event_type("usage", UsageEvent)
