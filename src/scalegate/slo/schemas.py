"""The `sli` evidence event: good and total counts of an SLO over the interval ending at `at`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from scalegate.evidence.schemas import BaseEvent, Id, Timestamp, register_event_type


class SliEvent(BaseEvent):
    """SLI counts for one SLO; `at` is the end of the interval they count."""

    type: Literal["sli"] = "sli"
    id: Id | None = None  # type: ignore[assignment]
    slo: Id
    at: Timestamp
    good: float = Field(ge=0)
    total: float = Field(ge=0)

    @model_validator(mode="after")
    def _good_within_total(self) -> SliEvent:
        if self.good > self.total:
            raise ValueError(f"good ({self.good:g}) is more than total ({self.total:g})")
        return self

    def key(self) -> str:
        """The event's id, or one derived from the SLO and interval end.

        Derived ids sort by SLO and time, so a batch's new keys land together in the primary
        key's index instead of at random places (as a hash would).
        """
        return self.id or f"{self.slo}@{self.at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}"


register_event_type("sli", SliEvent)
