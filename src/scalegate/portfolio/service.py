"""Reading the portfolio: filtered lists, one initiative in full, the priority ranking."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, sessionmaker

from scalegate.core.lifecycle import OWNER_ROLES, stage_index
from scalegate.core.rubric import DEFAULT_WEIGHTS, Ranked, rank
from scalegate.db import transaction
from scalegate.errors import NotFound
from scalegate.manifests.registry import SCALEGATE_API_VERSION
from scalegate.manifests.service import export_documents
from scalegate.portfolio.kinds import DEFAULT_RUBRIC, SCORE_COLUMNS, initiative_spec
from scalegate.portfolio.models import KPI, Initiative, Rubric, Theme, initiative_named


@dataclass(frozen=True)
class InitiativeSummary:
    """One row of the portfolio list."""

    name: str
    title: str
    theme: str
    theme_title: str
    stage: str
    risk_tier: str | None
    owners: dict[str, str]
    priority: float | None
    rank: int | None
    services: list[str]

    def as_dict(self) -> dict[str, Any]:
        """Plain form for --json and the API."""
        return asdict(self)


def _owners_in_order(owners: dict[str, str]) -> dict[str, str]:
    return {role: owners[role] for role in OWNER_ROLES if role in owners}


def rubric_weights(session: Session) -> dict[str, float]:
    """The weights of the `default` rubric, or equal weights when none was applied."""
    row = session.scalar(select(Rubric).where(Rubric.name == DEFAULT_RUBRIC))
    return dict(row.weights) if row else dict(DEFAULT_WEIGHTS)


def _ranking(session: Session) -> dict[str, Ranked]:
    rows = session.execute(
        select(Initiative.name, *(getattr(Initiative, c) for c in SCORE_COLUMNS.values()))
    )
    scored = [(name, dict(zip(SCORE_COLUMNS, values, strict=True))) for name, *values in rows]
    return {r.name: r for r in rank(scored, rubric_weights(session))}


def ranking(factory: sessionmaker[Session]) -> list[Ranked]:
    """Every initiative in priority order (see docs/portfolio.md for the formula)."""
    with transaction(factory) as session:
        return list(_ranking(session).values())


def list_initiatives(
    factory: sessionmaker[Session],
    *,
    theme: str | None = None,
    stage: str | None = None,
    owner: str | None = None,
    risk_tier: str | None = None,
) -> list[InitiativeSummary]:
    """Initiatives matching every given filter, by theme, then stage order, then name."""
    with transaction(factory) as session:
        # The summaries need no hypotheses: don't select-in load them for every row.
        query = select(Initiative).join(Theme).options(lazyload(Initiative.hypotheses))
        if theme:
            query = query.where(Theme.name == theme)
        if stage:
            query = query.where(Initiative.stage == stage)
        if risk_tier:
            query = query.where(Initiative.risk_tier == risk_tier)
        ranked = _ranking(session)
        summaries = [
            InitiativeSummary(
                row.name,
                row.title,
                row.theme.name,
                row.theme.title,
                row.stage,
                row.risk_tier,
                _owners_in_order(row.owners or {}),
                ranked[row.name].priority,
                ranked[row.name].rank,
                list(row.services or []),
            )
            for row in session.scalars(query)
            if owner is None or owner in (row.owners or {}).values()
        ]
    return sorted(summaries, key=lambda s: (s.theme, stage_index(s.stage), s.name))


def show_initiative(factory: sessionmaker[Session], name: str) -> dict[str, Any]:
    """One initiative as a document, with its computed status (priority and rank)."""
    with transaction(factory) as session:
        row = initiative_named(session, name)
        ranked = _ranking(session)[name]
        return {
            "apiVersion": SCALEGATE_API_VERSION,
            "kind": "Initiative",
            "metadata": {"name": row.name},
            "spec": initiative_spec(row),
            "status": {
                "priority": ranked.priority,
                "rank": ranked.rank,
                "missingScores": list(ranked.missing),
                "createdAt": row.created_at.isoformat(),
                "updatedAt": row.updated_at.isoformat(),
            },
        }


def list_themes(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Every theme with its initiative count."""
    with transaction(factory) as session:
        counts: dict[int, int] = {}
        for theme_id in session.scalars(select(Initiative.theme_id)):
            counts[theme_id] = counts.get(theme_id, 0) + 1
        return [
            {
                "name": t.name,
                "title": t.title,
                "description": t.description,
                "owner": t.owner,
                "initiatives": counts.get(t.id, 0),
            }
            for t in session.scalars(select(Theme).order_by(Theme.name))
        ]


def list_kpis(factory: sessionmaker[Session]) -> list[dict[str, Any]]:
    """Every KPI definition."""
    with transaction(factory) as session:
        return [
            {
                "name": k.name,
                "title": k.title,
                "unit": k.unit,
                "direction": k.direction,
                "tier": k.tier,
                "layer": k.layer,
                "kind": k.kind,
                "owner": k.owner,
                "description": k.description,
            }
            for k in session.scalars(select(KPI).order_by(KPI.name))
        ]


def get_object(factory: sessionmaker[Session], kind: str, name: str) -> dict[str, Any]:
    """One Theme or KPI (or any handler-backed kind) as a document."""
    for document in export_documents(factory, [kind]):
        if document["metadata"]["name"] == name:
            return document
    raise NotFound(f"no {kind} named {name}")
