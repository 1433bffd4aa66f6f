"""Specs of the portfolio kinds, as written in YAML files and sent to the API."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, PositiveFloat, model_validator

from scalegate.core.lifecycle import DataClass, Direction, KpiKind, Layer, RiskTier, Stage, Tier
from scalegate.manifests.registry import NAME_PATTERN, StrictModel

Score = Field(default=None, ge=1, le=5)
Text = Field(min_length=1)


class ThemeSpec(StrictModel):
    """A portfolio grouping."""

    title: str = Text
    description: str | None = None
    owner: str | None = None


class KPISpec(StrictModel):
    """A metric definition; `direction` says which way is good."""

    title: str = Text
    unit: str | None = None
    direction: Direction
    tier: Tier | None = None
    layer: Layer | None = None
    kind: KpiKind | None = None
    owner: str | None = None
    description: str | None = None


class Outcome(StrictModel):
    """Who the initiative serves, in which task, with what result, under which constraints."""

    user: str | None = None
    task: str | None = None
    result: str | None = None
    constraints: str | None = None


class Owners(StrictModel):
    """The named owners; gates, not the schema, demand them per stage."""

    sponsor: str | None = None
    outcome: str | None = None
    platform: str | None = None
    risk: str | None = None
    measurement: str | None = None
    service: str | None = None


class Scores(StrictModel):
    """Rubric scores, each 1-5; risk is higher when riskier."""

    value: int | None = Score
    feasibility: int | None = Score
    risk: int | None = Score
    scale_potential: int | None = Field(default=None, ge=1, le=5, alias="scalePotential")


class Baseline(StrictModel):
    """Where the KPI stood before the initiative."""

    value: float
    at: date | None = None


class Target(StrictModel):
    """Where the KPI should be, and by when."""

    value: float
    by: date | None = None


class HypothesisSpec(StrictModel):
    """A measurable claim about one KPI."""

    kpi: str = Text
    baseline: Baseline | None = None
    target: Target | None = None


class TimeReturned(StrictModel):
    """How much time an assisted task saves, and which share of it goes back into the business."""

    minutes_saved_per_task: float | None = Field(default=None, alias="minutesSavedPerTask")
    from_kpi: str | None = Field(default=None, alias="fromKpi", min_length=1)
    redeployed_share: float = Field(alias="redeployedShare", ge=0, le=1)

    @model_validator(mode="after")
    def _one_source(self) -> TimeReturned:
        if (self.minutes_saved_per_task is None) == (self.from_kpi is None):
            raise ValueError("give exactly one of minutesSavedPerTask and fromKpi")
        return self


class AssetUseSpec(StrictModel):
    """An asset the initiative reuses: pinned to a version, or following a label."""

    asset: str = Field(pattern=NAME_PATTERN.pattern)
    version: int | None = Field(default=None, ge=1)
    label: Literal["production", "staging", "latest"] | None = None

    @model_validator(mode="after")
    def _version_or_label(self) -> AssetUseSpec:
        if (self.version is None) == (self.label is None):
            raise ValueError("give exactly one of version and label")
        return self


class InitiativeSpec(StrictModel):
    """A use case on its way to scale; only title, theme and stage are required."""

    title: str = Text
    theme: str = Text
    stage: Stage
    risk_tier: RiskTier | None = Field(default=None, alias="riskTier")
    outcome: Outcome | None = None
    owners: Owners | None = None
    scores: Scores | None = None
    hypotheses: list[HypothesisSpec] | None = None
    services: list[str] | None = None
    data_classes: list[DataClass] | None = Field(default=None, alias="dataClasses")
    target_cohort_size: int | None = Field(default=None, ge=0, alias="targetCohortSize")
    capacity: float | None = Field(default=None, ge=0)
    time_returned: TimeReturned | None = Field(default=None, alias="timeReturned")
    uses: list[AssetUseSpec] | None = None

    @model_validator(mode="after")
    def _each_asset_once(self) -> InitiativeSpec:
        names = [u.asset for u in self.uses or []]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"each asset is used once: {', '.join(repeated)} appear twice")
        return self


class RubricWeights(StrictModel):
    """Relative weights of the four scores in the priority."""

    value: PositiveFloat = 1.0
    feasibility: PositiveFloat = 1.0
    risk: PositiveFloat = 1.0
    scale_potential: PositiveFloat = Field(default=1.0, alias="scalePotential")


class RubricSpec(StrictModel):
    """The prioritisation rubric."""

    weights: RubricWeights = Field(default_factory=RubricWeights)
