"""What business outcomes add to the gate context: `evidence.outcomes`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scalegate.gates.evidence import provides
from scalegate.outcomes.service import outcomes_evidence
from scalegate.portfolio.models import Initiative


@provides
def outcomes(session: Session, initiative: Initiative, as_of: datetime) -> dict[str, Any]:
    """`evidence.outcomes`: absent until the initiative has KPI observations or samples."""
    found = outcomes_evidence(session, initiative, as_of)
    return {} if found is None else {"outcomes": found}
