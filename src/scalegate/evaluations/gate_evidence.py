"""What evaluation and scan results add to the gate context: `evidence.evaluations`, `.security`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scalegate.evaluations.service import evidence_of
from scalegate.gates.evidence import provides
from scalegate.portfolio.models import Initiative


@provides
def evaluations(session: Session, initiative: Initiative, as_of: datetime) -> dict[str, Any]:
    """The latest fresh run per (source, suite) and the latest fresh scan per tool."""
    return evidence_of(session, initiative.name, as_of)
