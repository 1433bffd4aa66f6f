"""Lifecycle stages and the closed vocabularies of the domain."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Where an initiative is on its way from pilot to scale."""

    DEFINE = "define"
    PROVE = "prove"
    INDUSTRIALIZE = "industrialize"
    ADOPT = "adopt"
    GOVERN = "govern"
    EXPAND = "expand"
    RETIRED = "retired"


# Forward order; `retired` is reachable from any stage and sits outside it.
STAGE_ORDER: tuple[Stage, ...] = (
    Stage.DEFINE,
    Stage.PROVE,
    Stage.INDUSTRIALIZE,
    Stage.ADOPT,
    Stage.GOVERN,
    Stage.EXPAND,
)


class RiskTier(StrEnum):
    """How much harm the initiative could do; drives the depth of controls."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class DataClass(StrEnum):
    """Classification of the data an initiative touches."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    RESTRICTED = "restricted"


class Direction(StrEnum):
    """Which way a KPI moves when things get better."""

    UP = "up"
    DOWN = "down"


class Tier(StrEnum):
    """Scorecard tier of a KPI."""

    BUSINESS = "business"
    DELIVERY = "delivery"
    RELIABILITY = "reliability"


class Layer(StrEnum):
    """Layer of the AI KPI stack a KPI belongs to."""

    ADOPTION = "adoption"
    OPERATIONAL = "operational"
    ECONOMICS = "economics"
    TRUST = "trust"
    OUTCOME = "outcome"


class KpiKind(StrEnum):
    """Whether a KPI predicts (leading) or confirms (lagging) the outcome."""

    LEADING = "leading"
    LAGGING = "lagging"


OWNER_ROLES: tuple[str, ...] = ("sponsor", "outcome", "platform", "risk", "measurement", "service")


def stage_index(stage: str) -> int:
    """Position of a stage in the forward order; retired sorts after every live stage."""
    try:
        return STAGE_ORDER.index(Stage(stage))
    except ValueError:
        return len(STAGE_ORDER)


def next_stage(stage: str) -> str | None:
    """The stage after this one in the forward order (None after expand or when retired)."""
    index = stage_index(stage)
    return STAGE_ORDER[index + 1].value if index + 1 < len(STAGE_ORDER) else None


def forward_transitions(from_stage: str, to_stage: str) -> list[tuple[str, str]]:
    """Every gate crossed moving forward from one stage to a later one, in order."""
    start, end = stage_index(from_stage), stage_index(to_stage)
    return [
        (STAGE_ORDER[i].value, STAGE_ORDER[i + 1].value)
        for i in range(start, min(end, len(STAGE_ORDER) - 1))
    ]


def is_forward(from_stage: str, to_stage: str) -> bool:
    """Whether a move goes forward through the lifecycle (retiring is not forward)."""
    if to_stage == Stage.RETIRED or from_stage == Stage.RETIRED:
        return False
    return stage_index(to_stage) > stage_index(from_stage)


def transitions_passed(stage: str) -> list[tuple[str, str]]:
    """The gates an initiative at this stage has already crossed."""
    if stage == Stage.RETIRED:
        return []
    return forward_transitions(Stage.DEFINE.value, stage)
