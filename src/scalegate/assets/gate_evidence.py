"""What the asset library adds to the gate context: `evidence.assets`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from scalegate.assets.service import initiative_assets
from scalegate.gates.evidence import provides
from scalegate.portfolio.models import Initiative


@provides
def assets(session: Session, initiative: Initiative, as_of: datetime) -> dict[str, Any]:
    """`evidence.assets`: published (production-labelled, originated here), uses, reusedBy."""
    return {"assets": initiative_assets(session, initiative.name, as_of)}
