"""What SLOs add to the gate context: `evidence.slos`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scalegate.gates.evidence import provides
from scalegate.portfolio.models import Initiative
from scalegate.slo.service import slo_evidence


@provides
def slos(session: Session, initiative: Initiative, as_of: datetime) -> dict[str, Any]:
    """`evidence.slos`: every objective linked to the initiative, as `metrics slo` lists them."""
    return {"slos": slo_evidence(session, initiative.name, as_of)}
