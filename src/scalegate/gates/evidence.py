"""The `evidence` map of the gate context: each capability registers what it contributes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from scalegate.gates.models import GateSweep, SignOff
from scalegate.portfolio.models import Initiative

EvidenceProvider = Callable[[Session, Initiative, datetime], dict[str, Any]]
_PROVIDERS: list[EvidenceProvider] = []


def provides(provider: EvidenceProvider) -> EvidenceProvider:
    """Register a function that adds keys to the evidence map (used as a decorator)."""
    _PROVIDERS.append(provider)
    return provider


def _load_providers() -> None:
    """Import the capabilities' provider modules; each registers itself on import."""
    import scalegate.assets.gate_evidence
    import scalegate.evaluations.gate_evidence
    import scalegate.evidence.gate_evidence
    import scalegate.outcomes.gate_evidence
    import scalegate.slo.gate_evidence
    import scalegate.usage.gate_evidence  # noqa: F401


def gather(session: Session, initiative: Initiative, as_of: datetime) -> dict[str, Any]:
    """The evidence map for one initiative as of a moment."""
    _load_providers()
    evidence: dict[str, Any] = {}
    for provider in _PROVIDERS:
        evidence.update(provider(session, initiative, as_of))
    return evidence


def valid_signoffs(session: Session, initiative_id: int, as_of: datetime) -> list[SignOff]:
    """The sign-offs in force: signed by as_of and not expired; the latest per item."""
    rows = session.scalars(
        select(SignOff)
        .where(
            SignOff.initiative_id == initiative_id,
            SignOff.signed_at <= as_of,
            or_(SignOff.expires_at.is_(None), SignOff.expires_at > as_of),
        )
        .order_by(SignOff.signed_at)
    )
    latest = {row.item: row for row in rows}
    return [latest[item] for item in sorted(latest)]


@provides
def signoffs(session: Session, initiative: Initiative, as_of: datetime) -> dict[str, Any]:
    """`evidence.signoffs`: item → {by, at, artifact, expiresAt} for sign-offs in force."""
    return {
        "signoffs": {
            s.item: {
                "by": s.signed_by,
                "at": s.signed_at.isoformat(),
                "artifact": s.artifact,
                "expiresAt": s.expires_at.isoformat() if s.expires_at else None,
            }
            for s in valid_signoffs(session, initiative.id, as_of)
        }
    }


def latest_sweep(session: Session, as_of: datetime) -> GateSweep | None:
    """The last gate sweep at or before as_of."""
    return session.scalar(
        select(GateSweep)
        .where(GateSweep.swept_at <= as_of)
        .order_by(GateSweep.swept_at.desc(), GateSweep.id.desc())
        .limit(1)
    )


@provides
def last_review(session: Session, initiative: Initiative, as_of: datetime) -> dict[str, Any]:
    """`evidence.gates`: what the last gate sweep found for this initiative."""
    sweep = latest_sweep(session, as_of)
    found = (sweep.results.get("initiatives", {}) if sweep else {}).get(initiative.name)
    if sweep is None or found is None:
        return {"gates": {"lastSweepAt": None, "blockingFailures": []}}
    return {
        "gates": {
            "lastSweepAt": sweep.swept_at.isoformat(),
            "blockingFailures": [d["rule"] for d in found["drift"]],
        }
    }
