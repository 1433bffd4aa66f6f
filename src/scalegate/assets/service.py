"""Use cases of the asset library: search, read, diff, promote, and reuse figures."""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.access.rights import current_rights
from scalegate.assets import facts
from scalegate.assets.models import (
    Asset,
    AssetLabel,
    AssetLabelMove,
    AssetPolicyVersion,
    AssetVersion,
)
from scalegate.audit.service import AuditLog
from scalegate.core import assets as core
from scalegate.core.asset_policy import asset_context, compile_asset_policy, evaluate_asset_policies
from scalegate.core.evaluations import evaluations_evidence
from scalegate.core.policy import gate_passed
from scalegate.db import transaction
from scalegate.errors import GateBlocked, InvalidInput, NotFound, Problem

SORTS = ("name", "reuse", "updated")


def _now() -> datetime:
    return datetime.now(UTC)


def asset_named(session: Session, name: str) -> Asset:
    """The asset of that name; NotFound when there is none."""
    row = session.scalar(select(Asset).where(Asset.name == name))
    if row is None:
        raise NotFound(f"no asset named {name}")
    return row


def _filters(
    type_: str | None, tag: str | None, q: str | None, lifecycle: str | None
) -> ColumnElement[bool] | None:
    conditions: list[ColumnElement[bool]] = []
    if type_:
        conditions.append(Asset.type == type_)
    if lifecycle:
        conditions.append(Asset.lifecycle == lifecycle)
    if tag:
        # Tags are stored as a JSON list; the search text holds them, matched as a whole word.
        conditions.append(Asset.search_text.contains(f" {tag.lower()}") | (Asset.name == tag))
    for word in (q or "").lower().split():
        conditions.append(Asset.search_text.contains(word, autoescape=True))
    return and_(*conditions) if conditions else None


def library(
    factory: sessionmaker[Session],
    *,
    type_: str | None = None,
    tag: str | None = None,
    q: str | None = None,
    lifecycle: str | None = None,
    sort: str = "name",
    limit: int = 50,
    offset: int = 0,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """Assets matching the filters, with reuse counts, sorted by name, reuse or last change."""
    if sort not in SORTS:
        raise InvalidInput(
            f"unknown sort {sort!r}", [Problem("sort", f"one of {', '.join(SORTS)}")]
        )
    when = as_of or _now()
    where = _filters(type_, tag, q, lifecycle)
    with transaction(factory) as session:
        # What sorting needs of every hit; whole rows and labels only for the page shown.
        query = select(Asset.name, Asset.origin, Asset.updated_at, *([Asset.tags] if tag else []))
        if where is not None:
            query = query.where(where)
        hits = session.execute(query).all()
        if tag:
            hits = [h for h in hits if tag in h.tags]
        counts = core.reuse_counts(
            {h.name: h.origin for h in hits},
            facts.declared_uses(session, where=where),
            facts.observed_uses(session, when, where=where),
            when,
        )
        ordered = sorted(hits, key=lambda h: h.name)
        if sort == "reuse":
            ordered.sort(key=lambda h: (-counts[h.name]["consumers"], -counts[h.name]["reusedBy"]))
        elif sort == "updated":
            ordered.sort(key=lambda h: h.updated_at, reverse=True)
        shown = [h.name for h in ordered[offset : offset + limit]]
        rows = {r.name: r for r in session.scalars(select(Asset).where(Asset.name.in_(shown)))}
        page = [rows[name] for name in shown]
        labels: dict[int, dict[str, int]] = {}
        if page:
            label_rows = session.execute(
                select(AssetLabel.asset_id, AssetLabel.label, AssetLabel.version).where(
                    AssetLabel.asset_id.in_([r.id for r in page])
                )
            )
            for asset_id, label, version in label_rows:
                labels.setdefault(asset_id, {})[label] = version
    return {
        "total": len(ordered),
        "asOf": when.isoformat(),
        "assets": [
            {
                **_summary(r),
                "labels": {**labels.get(r.id, {}), core.LATEST: r.latest},
                "reuse": counts[r.name],
            }
            for r in page
        ],
    }


def _summary(row: Asset) -> dict[str, Any]:
    return {
        "name": row.name,
        **row.described_fields(),
        "latest": row.latest,
        "updatedAt": row.updated_at.isoformat(),
    }


def _version_dict(v: AssetVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "sha256": v.sha256,
        "size": v.size,
        "artifact": {"url": v.artifact_url, "sha256": v.sha256} if v.artifact_url else None,
        "createdBy": v.created_by,
        "createdAt": v.created_at.isoformat(),
        "change": v.change,
    }


def _versions(session: Session, asset_id: int) -> list[AssetVersion]:
    return list(
        session.scalars(
            select(AssetVersion)
            .where(AssetVersion.asset_id == asset_id)
            .order_by(AssetVersion.version)
        )
    )


def consumers(
    session: Session, name: str, as_of: datetime
) -> tuple[core.AssetFacts, list[core.Consumer]]:
    """The asset's facts and every initiative that declares it or called it in 28 days."""
    found = facts.asset_facts(session, Asset.name == name)
    if name not in found:
        raise NotFound(f"no asset named {name}")
    declared = facts.declared_uses(session, assets=[name])
    observed = facts.observed_uses(session, as_of, assets=[name])
    names = {u.initiative for u in declared} | {o.initiative for o in observed}
    initiatives = facts.initiative_facts(session, names)
    return found[name], core.consumers_of(found[name], declared, observed, initiatives, as_of)


def detail(
    factory: sessionmaker[Session], name: str, as_of: datetime | None = None
) -> dict[str, Any]:
    """One asset: its versions, labels, consumers with their pins, reuse figures and the impact
    of retiring each version."""
    when = as_of or _now()
    with transaction(factory) as session:
        row = asset_named(session, name)
        asset, found = consumers(session, name, when)
        versions = _versions(session, row.id)
    impact = core.version_impact(found)
    return {
        **_summary(row),
        "asOf": when.isoformat(),
        "labels": facts.as_plain(asset),
        "versions": [
            {
                **_version_dict(v),
                "labels": sorted(k for k, n in facts.as_plain(asset).items() if n == v.version),
                "consumers": impact.get(v.version, {"initiatives": [], "themes": []}),
                "impact": core.impact_sentence(v.version, impact.get(v.version)),
            }
            for v in versions
        ],
        "consumers": [c.as_dict() for c in found],
        "reuse": core.reuse_figures(asset, found),
    }


def version_content(
    factory: sessionmaker[Session], name: str, version: int | None = None
) -> dict[str, Any]:
    """A version's content (latest when not given): inline text, or the artifact's address."""
    with transaction(factory) as session:
        row = asset_named(session, name)
        number = version or row.latest
        found = session.scalar(
            select(AssetVersion).where(
                AssetVersion.asset_id == row.id, AssetVersion.version == number
            )
        )
        if found is None:
            raise NotFound(f"{name} has no version {number} (latest is {row.latest})")
        return {"name": name, **_version_dict(found), "content": found.content}


def diff(factory: sessionmaker[Session], name: str, a: int, b: int) -> dict[str, Any]:
    """A unified diff of two versions' content (artifacts compare by digest)."""
    left, right = version_content(factory, name, a), version_content(factory, name, b)
    # Lines without their endings, so a last line with no newline is not glued to the next.
    lines = difflib.unified_diff(
        (left["content"] or "").splitlines(),
        (right["content"] or "").splitlines(),
        fromfile=f"{name}@{a}",
        tofile=f"{name}@{b}",
        lineterm="",
    )
    text = "".join(f"{line}\n" for line in lines)
    return {
        "name": name,
        "from": a,
        "to": b,
        "same": left["sha256"] == right["sha256"],
        "artifacts": [left["artifact"], right["artifact"]],
        "diff": text,
    }


def history(factory: sessionmaker[Session], name: str) -> list[dict[str, Any]]:
    """Every label move of an asset, oldest first: who moved which label where, and why."""
    with transaction(factory) as session:
        row = asset_named(session, name)
        moves = session.scalars(
            select(AssetLabelMove)
            .where(AssetLabelMove.asset_id == row.id)
            .order_by(AssetLabelMove.moved_at, AssetLabelMove.id)
        )
        return [
            {
                "label": m.label,
                "from": m.from_version,
                "to": m.to_version,
                "by": m.moved_by,
                "at": m.moved_at.isoformat(),
                "rationale": m.rationale,
                "policies": m.evaluation.get("policies", []),
            }
            for m in moves
        ]


def promote_action(asset_type: str) -> str:
    """The right a promote of this asset type needs."""
    # The Controls guild owns policies: it may promote policy assets (besides platform roles).
    return "asset.promote:policy" if asset_type == "policy" else "asset.promote"


def promotion_evidence(
    session: Session, name: str, version: int, as_of: datetime
) -> dict[str, Any]:
    """The `evidence` of a label move: evaluation runs bound to exactly this version."""
    # Imported here: evaluations reads the library (to check the versions a run names), so
    # the library reads evaluations only when a promotion needs them.
    from scalegate.evaluations.service import fresh_days, runs_for_asset

    runs = runs_for_asset(session, name, version, as_of)
    return {"evaluations": evaluations_evidence(runs, as_of, fresh_days())}


def promote(
    factory: sessionmaker[Session],
    actor: Actor,
    name: str,
    version: int,
    label: str,
    rationale: str,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """Move a label to a version, if the asset policies allow it; audited. A refusal changes
    nothing."""
    when = as_of or _now()
    if label not in core.MOVABLE_LABELS:
        raise InvalidInput(
            f"label {label!r} cannot be moved",
            [Problem("label", f"one of {', '.join(core.MOVABLE_LABELS)} (latest moves by itself)")],
        )
    if not rationale.strip():
        raise InvalidInput("a promote needs a rationale", [Problem("rationale", "required")])
    with transaction(factory) as session:
        row = asset_named(session, name)
        actor.require(promote_action(row.type), current_rights(session))
        target = session.scalar(
            select(AssetVersion).where(
                AssetVersion.asset_id == row.id, AssetVersion.version == version
            )
        )
        if target is None:
            raise InvalidInput(
                f"{name} has no version {version}",
                [Problem("version", f"between 1 and {row.latest}")],
            )
        if row.lifecycle == "retired":
            raise InvalidInput(f"{name} is retired; retired assets are not promoted")
        policies = [
            compile_asset_policy(p.name, p.version, p.spec)
            for p in session.scalars(
                select(AssetPolicyVersion)
                .where(AssetPolicyVersion.current)
                .order_by(AssetPolicyVersion.name)
            )
        ]
        context = asset_context(
            name,
            row.described_fields(),
            {
                "number": target.version,
                "sha256": target.sha256,
                "hasContent": bool(target.content),
                "hasArtifact": target.artifact_url is not None,
                "size": target.size,
                "createdBy": target.created_by,
            },
            label,
            promotion_evidence(session, name, version, when),
            when,
        )
        results = evaluate_asset_policies(policies, row.type, context)
        evaluation = {
            "policies": sorted({f"{r.policy}" for r in results}),
            "passed": gate_passed(results),
            "rules": [r.as_dict() for r in results],
        }
        if not evaluation["passed"]:
            failing = [r for r in results if r.blocks]
            raise GateBlocked(
                f"{name} v{version} cannot be labelled {label}: "
                f"{len(failing)} blocking rule(s) fail",
                [Problem(f"{r.policy}/{r.name}", r.message) for r in failing],
            )
        current = session.scalar(
            select(AssetLabel).where(AssetLabel.asset_id == row.id, AssetLabel.label == label)
        )
        before = current.version if current else None
        if before == version:
            raise InvalidInput(f"{label} already points at {name} v{version}")
        if current is None:
            session.add(AssetLabel(asset_id=row.id, label=label, version=version))
        else:
            current.version = version
        session.add(
            AssetLabelMove(
                asset_id=row.id,
                label=label,
                from_version=before,
                to_version=version,
                moved_by=actor.name,
                moved_at=when,
                rationale=rationale,
                evaluation=evaluation,
            )
        )
        payload = {
            "label": label,
            "from": before,
            "to": version,
            "rationale": rationale,
            **evaluation,
        }
        AuditLog(session).append(actor.name, "asset.promote", f"Asset/{name}", payload, when)
    return {"asset": name, "label": label, "from": before, "to": version, "evaluation": evaluation}


def portfolio_reuse(session: Session, as_of: datetime) -> dict[str, Any]:
    """The portfolio's reuse figures: reuse rate, prompt reuse share, most reused, stale pins."""
    assets = facts.asset_facts(session)
    declared = facts.declared_uses(session)
    observed = facts.observed_uses(session, as_of)
    initiatives = facts.initiative_facts(session)
    counts = core.reuse_counts({n: a.origin for n, a in assets.items()}, declared, observed, as_of)
    prompts = [n for n, a in assets.items() if a.type == "prompt"]
    stale = []
    for use in declared:
        asset = assets.get(use.asset)
        resolved = asset.resolve(use.version, use.label) if asset else None
        if asset is not None and core.is_stale(resolved, asset):
            stale.append(
                {
                    "initiative": use.initiative,
                    "asset": use.asset,
                    "version": use.version,
                    "label": use.label,
                    "resolvedVersion": resolved,
                    "productionVersion": asset.production,
                }
            )
    most = sorted(
        (n for n in counts if counts[n]["reusedBy"] > 0),
        key=lambda n: (-counts[n]["reusedBy"], -counts[n]["consumers"], n),
    )[:5]
    return {
        "asOf": as_of.isoformat(),
        "reuseRate": core.portfolio_reuse_rate(initiatives, assets, declared, observed, as_of),
        "promptReuse": core.prompt_reuse_share(facts.prompt_calls(session, as_of), prompts, as_of),
        "mostReused": [{"name": n, "type": assets[n].type, **counts[n]} for n in most],
        "assets": len(assets),
        "production": sum(a.production is not None for a in assets.values()),
        "stalePins": stale,
    }


def portfolio_figures(
    factory: sessionmaker[Session], as_of: datetime | None = None
) -> dict[str, Any]:
    """portfolio_reuse in its own transaction."""
    with transaction(factory) as session:
        return portfolio_reuse(session, as_of or _now())


def reused_by(session: Session, initiative: str, as_of: datetime) -> int:
    """Distinct other initiatives that use (declared or observed) assets this one originated."""
    mine = list(session.scalars(select(Asset.name).where(Asset.origin == initiative)))
    if not mine:
        return 0
    users = {u.initiative for u in facts.declared_uses(session, assets=mine)}
    users |= {o.initiative for o in facts.observed_uses(session, as_of, assets=mine)}
    return len(users - {initiative})


def initiative_assets(session: Session, initiative: str, as_of: datetime) -> dict[str, Any]:
    """`evidence.assets` for one initiative: published, uses (resolved, stale), reusedBy."""
    declared = facts.declared_uses(session, initiative=initiative)
    names = {u.asset for u in declared}
    where = (
        or_(Asset.origin == initiative, Asset.name.in_(names))
        if names
        else Asset.origin == initiative
    )
    assets = facts.asset_facts(session, where)
    return core.assets_evidence(initiative, assets, declared, reused_by(session, initiative, as_of))


def initiative_library(session: Session, initiative: str, as_of: datetime) -> dict[str, Any]:
    """What the initiative page shows: the assets it reuses (resolved, stale, lifecycle) and
    every asset it originated with its labels and reuse counts."""
    evidence = initiative_assets(session, initiative, as_of)
    names = {u["name"] for u in evidence["uses"]}
    rows = {
        r.name: r
        for r in session.scalars(
            select(Asset).where(or_(Asset.origin == initiative, Asset.name.in_(names)))
        )
    }
    published = sorted((r for r in rows.values() if r.origin == initiative), key=lambda r: r.name)
    mine = [r.name for r in published]
    counts = core.reuse_counts(
        {r.name: r.origin for r in published},
        facts.declared_uses(session, assets=mine),
        facts.observed_uses(session, as_of, assets=mine),
        as_of,
    )
    labelled = facts.asset_facts(session, Asset.name.in_(mine)) if mine else {}
    return {
        "uses": [
            {
                **use,
                "type": rows[use["name"]].type if use["name"] in rows else None,
                "title": rows[use["name"]].title if use["name"] in rows else use["name"],
                "lifecycle": rows[use["name"]].lifecycle if use["name"] in rows else None,
            }
            for use in evidence["uses"]
        ],
        "published": [
            {**_summary(r), "labels": facts.as_plain(labelled[r.name]), "reuse": counts[r.name]}
            for r in published
        ],
        "reusedBy": evidence["reusedBy"],
    }


def reuse_by_initiative(session: Session, as_of: datetime) -> dict[str, dict[str, list[str]]]:
    """Per initiative: the assets it reuses (declared or observed, originated elsewhere) and the
    production-labelled assets it published: what the knowledge-silos risk reads."""
    assets = facts.asset_facts(session)
    found: dict[str, dict[str, set[str]]] = {}
    uses = [(u.initiative, u.asset) for u in facts.declared_uses(session)]
    uses += [(o.initiative, o.asset) for o in facts.observed_uses(session, as_of)]
    for initiative, name in uses:
        asset = assets.get(name)
        if asset is not None and asset.origin != initiative:
            found.setdefault(initiative, {"reused": set(), "published": set()})["reused"].add(name)
    for asset in assets.values():
        if asset.origin and asset.production is not None and asset.lifecycle != "retired":
            entry = found.setdefault(asset.origin, {"reused": set(), "published": set()})
            entry["published"].add(asset.name)
    return {n: {k: sorted(v) for k, v in entry.items()} for n, entry in found.items()}
