"""What delivery evidence adds to the gate context: `evidence.dora`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scalegate.evidence.metrics import dora_evidence
from scalegate.gates.evidence import provides
from scalegate.portfolio.models import Initiative


@provides
def dora(session: Session, initiative: Initiative, as_of: datetime) -> dict[str, Any]:
    """`evidence.dora`: the DORA figures of the last 90 days (absent without any deployment)."""
    figures = dora_evidence(session, initiative.name, as_of)
    return {} if figures is None else {"dora": figures}
