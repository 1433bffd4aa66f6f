"""Storing evaluation and scan results, and reading them back as figures and evidence."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.access.actor import Actor
from scalegate.access.rights import current_rights
from scalegate.assets.models import Asset, AssetVersion
from scalegate.audit.service import AuditLog
from scalegate.core import evaluations as core
from scalegate.core.assets import parse_asset_ref
from scalegate.db import transaction
from scalegate.errors import InvalidInput, Problem
from scalegate.evaluations.models import EvalRunRecord, SecurityScanRecord
from scalegate.portfolio.models import initiative_named
from scalegate.settings import get_settings

FORMATS = ("promptfoo", "junit", "sarif", "inspect")


def _now() -> datetime:
    return datetime.now(UTC)


def fresh_days() -> int:
    """How many days a run or scan stays fresh (SCALEGATE_EVALUATION_FRESH_DAYS)."""
    return get_settings().evaluation_fresh_days


def ingest_key(sha256: str, initiative: str, model: str | None, assets: Sequence[str]) -> str:
    """What makes a sent file the same as one already stored: its digest and its subject."""
    subject = json.dumps([sha256, initiative, model, sorted(assets)], separators=(",", ":"))
    return hashlib.sha256(subject.encode("utf-8")).hexdigest()


def _asset_problems(session: Session, assets: Sequence[str]) -> list[Problem]:
    """Each --asset must be NAME@VERSION of a version the library holds."""
    problems = []
    for index, ref in enumerate(assets):
        try:
            name, version = parse_asset_ref(ref)
        except ValueError as error:
            problems.append(Problem(f"assets[{index}]", str(error)))
            continue
        if version is None:
            problems.append(Problem(f"assets[{index}]", f"{ref!r}: name the version, NAME@N"))
            continue
        found = session.scalar(
            select(AssetVersion.id)
            .join(Asset, Asset.id == AssetVersion.asset_id)
            .where(Asset.name == name, AssetVersion.version == version)
        )
        if found is None:
            problems.append(Problem(f"assets[{index}]", f"the library has no {name} v{version}"))
    return problems


def ingest_results(
    factory: sessionmaker[Session],
    actor: Actor,
    data: bytes,
    *,
    format: str,
    initiative: str,
    model: str | None = None,
    assets: Sequence[str] = (),
    source: str = "<stdin>",
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """Read one results file and store its runs or scans for an initiative, all or nothing;
    the same file for the same subject stores nothing new. Audited as evidence.ingest."""
    from scalegate.evaluations.formats import detect, parse  # the parsers load their XML stack

    chosen = detect(source, data) if format == "auto" else format
    if chosen not in FORMATS:
        raise InvalidInput(
            f"unknown results format {format!r}",
            [Problem("format", f"one of {', '.join(FORMATS)}", file=source)],
        )
    try:
        runs, scans = parse(chosen, data, source)
    except core.FormatError as error:
        raise InvalidInput(
            f"{source} is not a readable {chosen} file; nothing was stored",
            [Problem(error.where, error.message, file=source)],
        ) from error
    when = as_of or _now()
    digest = hashlib.sha256(data).hexdigest()
    key = ingest_key(digest, initiative, model, assets)
    with transaction(factory) as session:
        actor.require("evidence.write", current_rights(session))
        initiative_named(session, initiative)
        problems = _asset_problems(session, assets)
        if problems:
            raise InvalidInput(f"{len(problems)} problem(s); nothing was stored", problems)
        known = session.scalar(select(EvalRunRecord.id).where(EvalRunRecord.ingest_key == key))
        known = known or session.scalar(
            select(SecurityScanRecord.id).where(SecurityScanRecord.ingest_key == key)
        )
        result = {
            "format": chosen,
            "sha256": digest,
            "runs": len(runs),
            "scans": len(scans),
            "stored": 0 if known else len(runs) + len(scans),
            "duplicates": len(runs) + len(scans) if known else 0,
        }
        if known:
            return result
        for position, run in enumerate(runs):
            session.add(_run_row(run, key, position, initiative, model, assets, digest, when))
        for position, scan in enumerate(scans):
            session.add(_scan_row(scan, key, position, initiative, digest, when))
        AuditLog(session).append(
            actor.name,
            "evidence.ingest",
            f"Evidence/{source}",
            {**result, "initiative": initiative, "model": model, "assets": list(assets)},
            when,
        )
    return result


def _run_row(
    run: core.EvalRun,
    key: str,
    position: int,
    initiative: str,
    model: str | None,
    assets: Sequence[str],
    digest: str,
    when: datetime,
) -> EvalRunRecord:
    t = run.totals
    return EvalRunRecord(
        ingest_key=key,
        position=position,
        initiative=initiative,
        source=run.source,
        suite=run.suite[:300],
        run_id=run.run_id,
        started_at=run.started_at,
        recorded_at=when,
        tool_version=run.tool_version,
        model=model or (run.providers[0] if len(run.providers) == 1 else None),
        assets=list(assets),
        providers=list(run.providers),
        total=t.total,
        passed=t.passed,
        failed=t.failed,
        errored=t.errored,
        skipped=t.skipped,
        metrics=dict(run.metrics),
        status=run.status,
        artifact_sha256=digest,
    )


def _scan_row(
    scan: core.SecurityScan, key: str, position: int, initiative: str, digest: str, when: datetime
) -> SecurityScanRecord:
    return SecurityScanRecord(
        ingest_key=key,
        position=position,
        initiative=initiative,
        tool=scan.tool,
        tool_version=scan.tool_version,
        started_at=scan.started_at,
        recorded_at=when,
        execution_successful=scan.execution_successful,
        counts=dict(scan.counts),
        security=dict(scan.security),
        suppressed=scan.suppressed,
        artifact_sha256=digest,
    )


def stored_run(row: EvalRunRecord) -> core.StoredRun:
    """A stored row as the record core.evaluations reads."""
    run = core.EvalRun(
        source=row.source,
        suite=row.suite,
        totals=core.EvalTotals(row.total, row.passed, row.failed, row.errored, row.skipped),
        run_id=row.run_id,
        started_at=row.started_at,
        tool_version=row.tool_version,
        providers=tuple(row.providers),
        metrics=row.metrics,
        status=row.status,
    )
    return core.StoredRun(run, row.recorded_at, row.model, tuple(row.assets))


def stored_scan(row: SecurityScanRecord) -> core.StoredScan:
    """A stored row as the record core.evaluations reads."""
    scan = core.SecurityScan(
        tool=row.tool,
        execution_successful=row.execution_successful,
        counts=row.counts,
        security=row.security,
        suppressed=row.suppressed,
        tool_version=row.tool_version,
        started_at=row.started_at,
    )
    return core.StoredScan(scan, row.recorded_at)


def runs_of(session: Session, initiative: str, as_of: datetime) -> list[core.StoredRun]:
    """Every run recorded for an initiative by as_of, oldest first."""
    rows = session.scalars(
        select(EvalRunRecord)
        .where(EvalRunRecord.initiative == initiative, EvalRunRecord.recorded_at <= as_of)
        .order_by(EvalRunRecord.recorded_at, EvalRunRecord.id)
    )
    return [stored_run(r) for r in rows]


def scans_of(session: Session, initiative: str, as_of: datetime) -> list[core.StoredScan]:
    """Every scan recorded for an initiative by as_of, oldest first."""
    rows = session.scalars(
        select(SecurityScanRecord)
        .where(SecurityScanRecord.initiative == initiative, SecurityScanRecord.recorded_at <= as_of)
        .order_by(SecurityScanRecord.recorded_at, SecurityScanRecord.id)
    )
    return [stored_scan(r) for r in rows]


def runs_for_asset(
    session: Session, name: str, version: int, as_of: datetime
) -> list[core.StoredRun]:
    """Runs that evaluated exactly this asset version (any initiative), by as_of."""
    wanted = f"{name}@{version}"
    rows = session.scalars(
        select(EvalRunRecord).where(EvalRunRecord.recorded_at <= as_of).order_by(EvalRunRecord.id)
    )
    return [stored_run(r) for r in rows if wanted in r.assets]


def evidence_of(session: Session, initiative: str, as_of: datetime) -> dict[str, Any]:
    """`evidence.evaluations` and `evidence.security` for one initiative."""
    days = fresh_days()
    return {
        "evaluations": core.evaluations_evidence(runs_of(session, initiative, as_of), as_of, days),
        "security": core.security_evidence(scans_of(session, initiative, as_of), as_of, days),
    }


def evaluation_figures(
    factory: sessionmaker[Session], initiative: str, as_of: datetime | None = None
) -> dict[str, Any]:
    """`scalegate metrics evaluations`: the maps the gates see, plus every run's history."""
    when = as_of or _now()
    with transaction(factory) as session:
        initiative_named(session, initiative)
        found = evidence_of(session, initiative, when)
        history = [r.as_dict() for r in runs_of(session, initiative, when)]
    return {"initiative": initiative, "as_of": when.isoformat(), **found, "history": history}
