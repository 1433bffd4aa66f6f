"""The prioritisation rubric: a weighted mean of the four scores, risk inverted."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SCORE_NAMES: tuple[str, ...] = ("value", "feasibility", "risk", "scalePotential")
DEFAULT_WEIGHTS: Mapping[str, float] = dict.fromkeys(SCORE_NAMES, 1.0)
SCORE_MAX = 5


@dataclass(frozen=True)
class Ranked:
    """One initiative's place in the priority order."""

    rank: int | None
    name: str
    priority: float | None
    missing: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """Plain form for --json and the API."""
        return {
            "rank": self.rank,
            "name": self.name,
            "priority": self.priority,
            "missingScores": list(self.missing),
        }


def priority(scores: Mapping[str, int], weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> float:
    """Weighted mean of value, feasibility, (6 - risk) and scalePotential; needs all four."""
    terms = {name: float(scores[name]) for name in SCORE_NAMES}
    # High risk lowers priority, so risk enters as its complement on the 1-5 scale.
    terms["risk"] = SCORE_MAX + 1 - terms["risk"]
    total_weight = sum(weights[name] for name in SCORE_NAMES)
    return sum(weights[name] * terms[name] for name in SCORE_NAMES) / total_weight


def rank(
    initiatives: Iterable[tuple[str, Mapping[str, int]]],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
) -> list[Ranked]:
    """Order by priority (highest first, ties by name); unscored initiatives come last."""
    scored: list[tuple[float, str]] = []
    unscored: list[Ranked] = []
    for name, scores in initiatives:
        missing = tuple(s for s in SCORE_NAMES if scores.get(s) is None)
        if missing:
            unscored.append(Ranked(None, name, None, missing))
        else:
            scored.append((priority(scores, weights), name))
    scored.sort(key=lambda item: (-item[0], item[1]))
    ranked = [Ranked(i, name, value, ()) for i, (value, name) in enumerate(scored, start=1)]
    return ranked + sorted(unscored, key=lambda r: r.name)
