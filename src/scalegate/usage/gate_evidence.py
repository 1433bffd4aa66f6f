"""What AI usage adds to the gate context: `evidence.usage`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scalegate.gates.evidence import provides
from scalegate.portfolio.models import Initiative
from scalegate.usage.service import usage_evidence


@provides
def usage(session: Session, initiative: Initiative, as_of: datetime) -> dict[str, Any]:
    """`evidence.usage`: absent until the initiative has reported usage."""
    found = usage_evidence(session, initiative, as_of)
    return {} if found is None else {"usage": found}
