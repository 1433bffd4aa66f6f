"""The KPI evidence events: `kpi` observations and `kpi_summary` experiment samples."""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import Field, model_validator

from scalegate.evidence.schemas import (
    BaseEvent,
    Id,
    InitiativeName,
    Timestamp,
    register_event_type,
)

Group = Literal["control", "treatment"]


def derived_id(*parts: object) -> str:
    """A stable id for an event sent without one, so that re-sending it is a duplicate."""
    return "sha256:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


class KpiEvent(BaseEvent):
    """One observation of a KPI for an initiative."""

    type: Literal["kpi"] = "kpi"
    id: Id | None = None  # type: ignore[assignment]
    kpi: Id
    initiative: InitiativeName
    at: Timestamp
    value: float
    group: Group | None = None

    def key(self) -> str:
        """The event's id, or one derived from what it observes."""
        return self.id or derived_id(
            "kpi", self.kpi, self.initiative, self.at.isoformat(), self.group
        )


class KpiSummaryEvent(BaseEvent):
    """An aggregated sample: n, sum and (for means) the sum of squares of one group."""

    type: Literal["kpi_summary"] = "kpi_summary"
    id: Id | None = None  # type: ignore[assignment]
    kpi: Id
    initiative: InitiativeName
    group: Group
    period_start: Timestamp
    period_end: Timestamp
    n: int = Field(ge=1)
    sum: float
    sum_squares: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> KpiSummaryEvent:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        if self.sum_squares is None and not 0 <= self.sum <= self.n:
            raise ValueError("without sum_squares the metric is a proportion: 0 <= sum <= n")
        return self

    def key(self) -> str:
        """The event's id, or one derived from the group and period."""
        return self.id or derived_id(
            "kpi_summary",
            self.kpi,
            self.initiative,
            self.group,
            self.period_start.isoformat(),
            self.period_end.isoformat(),
        )


register_event_type("kpi", KpiEvent)
register_event_type("kpi_summary", KpiSummaryEvent)
