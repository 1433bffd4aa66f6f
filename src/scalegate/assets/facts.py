"""Loading what the reuse figures need: assets, declared uses, observed uses, initiatives."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from scalegate.assets.models import Asset, AssetLabel
from scalegate.core import assets as core
from scalegate.core.lifecycle import Stage
from scalegate.portfolio.models import AssetUse, Initiative, Theme
from scalegate.usage.models import UsageAssetDay

# A retired initiative uses nothing any more: neither its declared uses nor its old calls count.
RETIRED = Stage.RETIRED.value


def asset_facts(
    session: Session, where: ColumnElement[bool] | None = None
) -> dict[str, core.AssetFacts]:
    """Every asset (or those matching `where`) with its latest version and labels."""
    query = select(Asset.id, Asset.name, Asset.type, Asset.origin, Asset.lifecycle, Asset.latest)
    if where is not None:
        query = query.where(where)
    rows = session.execute(query).all()
    labels: dict[int, dict[str, int]] = {}
    label_query = select(AssetLabel.asset_id, AssetLabel.label, AssetLabel.version)
    if where is not None:
        label_query = label_query.join(Asset, Asset.id == AssetLabel.asset_id).where(where)
    for asset_id, label, version in session.execute(label_query):
        labels.setdefault(asset_id, {})[label] = version
    return {
        r.name: core.AssetFacts(
            r.name, r.type, r.origin, r.lifecycle, r.latest, labels.get(r.id, {})
        )
        for r in rows
    }


def _names(where: ColumnElement[bool]) -> Select[str]:
    # The matching names as a subquery, so the uses are found through their asset index; a join
    # made SQLite walk every day of use in the window and look its asset up.
    return select(Asset.name).where(where)


def declared_uses(
    session: Session,
    *,
    assets: Iterable[str] | None = None,
    initiative: str | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[core.DeclaredUse]:
    """Declared uses, all or narrowed to some assets, one initiative, or assets matching `where`."""
    query = (
        select(Initiative.name, AssetUse.asset, AssetUse.version, AssetUse.label)
        .join(Initiative, Initiative.id == AssetUse.initiative_id)
        .where(Initiative.stage != RETIRED)
    )
    if assets is not None:
        query = query.where(AssetUse.asset.in_(list(assets)))
    if initiative is not None:
        query = query.where(Initiative.name == initiative)
    if where is not None:
        query = query.where(AssetUse.asset.in_(_names(where)))
    return [core.DeclaredUse(*row) for row in session.execute(query)]


def observed_uses(
    session: Session,
    as_of: datetime,
    *,
    assets: Iterable[str] | None = None,
    where: ColumnElement[bool] | None = None,
) -> list[core.ObservedUse]:
    """Observed calls per (initiative, asset, version) in the 28 days up to as_of: summed over
    those days and dated by the last of them. The figures count initiatives and versions, not
    days, and summing in the database keeps a busy window to one row per pair and version."""
    u = UsageAssetDay
    query = (
        select(u.initiative, u.asset, u.version, func.max(u.day), func.sum(u.calls))
        .where(u.day >= core.window_start(as_of), u.day <= as_of.date(), u.calls > 0)
        .where(u.initiative.not_in(select(Initiative.name).where(Initiative.stage == RETIRED)))
        .group_by(u.initiative, u.asset, u.version)
    )
    if assets is not None:
        query = query.where(u.asset.in_(list(assets)))
    if where is not None:
        query = query.where(u.asset.in_(_names(where)))
    return [core.ObservedUse(*row) for row in session.execute(query)]


def prompt_calls(session: Session, as_of: datetime) -> list[core.PromptCalls]:
    """Model calls naming an asset or prompt in the 28 days up to as_of, summed per asset and
    way of naming it, dated by the last day."""
    u = UsageAssetDay
    query = (
        select(u.asset, u.via_prompt, func.sum(u.model_calls), func.max(u.day))
        .where(u.day >= core.window_start(as_of), u.day <= as_of.date(), u.model_calls > 0)
        .group_by(u.asset, u.via_prompt)
    )
    return [core.PromptCalls(*row) for row in session.execute(query)]


def initiative_facts(
    session: Session, names: Iterable[str] | None = None
) -> dict[str, core.InitiativeFacts]:
    """Name, theme and stage of every initiative (or of the named ones)."""
    query = select(Initiative.name, Theme.name, Initiative.stage).join(
        Theme, Theme.id == Initiative.theme_id
    )
    if names is not None:
        query = query.where(Initiative.name.in_(list(names)))
    return {
        name: core.InitiativeFacts(name, theme, stage)
        for name, theme, stage in session.execute(query)
    }


def as_plain(facts: core.AssetFacts) -> dict[str, Any]:
    """The labels of an asset as shown: production, staging and latest."""
    return {**dict(facts.labels), core.LATEST: facts.latest}
