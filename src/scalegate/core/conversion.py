"""Pilot-to-scale conversion: of the initiatives that entered `prove`, how many reached `adopt`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from scalegate.core.lifecycle import STAGE_ORDER, Stage

PROVE_INDEX = STAGE_ORDER.index(Stage.PROVE)
ADOPT_INDEX = STAGE_ORDER.index(Stage.ADOPT)


@dataclass(frozen=True)
class StageChange:
    """An initiative was at `stage` from `at` on (its creation counts as the first change)."""

    initiative: str
    stage: str
    at: datetime


@dataclass(frozen=True)
class Cohort:
    """The initiatives that entered `prove` in one calendar quarter, and how many scaled."""

    quarter: str
    entered: int
    converted: int
    initiatives: tuple[str, ...]
    scaled: tuple[str, ...]

    @property
    def rate(self) -> float:
        """Share of the cohort that reached `adopt` or a later stage by as_of."""
        return self.converted / self.entered


def quarter_of(moment: datetime) -> str:
    """The calendar quarter of a moment, as `2026-Q3`."""
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def _live_index(stage: str) -> int | None:
    """Position in the forward order; None for `retired`, which is not a step forward."""
    try:
        return STAGE_ORDER.index(Stage(stage))
    except ValueError:
        return None


def conversion_by_cohort(changes: Iterable[StageChange], as_of: datetime) -> list[Cohort]:
    """Cohorts by the quarter each initiative first stood at `prove` or later, oldest first.

    An initiative enters the cohort of the first change (at or before as_of) that puts it at
    `prove` or any later live stage; it converts when a change at or after that one puts it at
    `adopt`, `govern` or `expand` by as_of. Retiring is neither; an initiative created straight
    at a later stage enters and, from `adopt` on, converts at its creation.
    """
    history: dict[str, list[StageChange]] = defaultdict(list)
    for change in changes:
        if change.at <= as_of:
            history[change.initiative].append(change)
    members: dict[str, list[str]] = defaultdict(list)
    scaled: dict[str, list[str]] = defaultdict(list)
    for name, steps in history.items():
        steps.sort(key=lambda c: c.at)
        entered: StageChange | None = None
        converted = False
        for step in steps:
            index = _live_index(step.stage)
            if index is None:
                continue
            if entered is None and index >= PROVE_INDEX:
                entered = step
            if entered is not None and index >= ADOPT_INDEX:
                converted = True
                break
        if entered is None:
            continue
        quarter = quarter_of(entered.at)
        members[quarter].append(name)
        if converted:
            scaled[quarter].append(name)
    return [
        Cohort(
            quarter,
            len(members[quarter]),
            len(scaled[quarter]),
            tuple(sorted(members[quarter])),
            tuple(sorted(scaled[quarter])),
        )
        for quarter in sorted(members)
    ]


def overall_conversion(cohorts: Iterable[Cohort]) -> float | None:
    """Share of every cohort's initiatives that converted; None when none entered `prove`."""
    entered = converted = 0
    for cohort in cohorts:
        entered += cohort.entered
        converted += cohort.converted
    return converted / entered if entered else None
