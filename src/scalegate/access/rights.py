"""The decision rights in force in a workspace."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from scalegate.access.models import DecisionRightsDoc
from scalegate.core.decision_rights import DEFAULT_RIGHTS, DecisionRights, overlay

RIGHTS_NAME = "default"


def current_rights(session: Session) -> DecisionRights:
    """The built-in rights overlaid with the applied `default` DecisionRights document."""
    doc = session.scalar(select(DecisionRightsDoc).where(DecisionRightsDoc.name == RIGHTS_NAME))
    if doc is None:
        return DEFAULT_RIGHTS
    spec = doc.spec
    return overlay(spec.get("rights", {}), spec.get("signoffItems"), spec.get("waiverMaxDays"))
