"""Small reads the asset pages need that the library service does not offer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from scalegate.assets.models import Asset
from scalegate.db import transaction


def library_tags(factory: sessionmaker[Session]) -> list[str]:
    """Every tag any asset carries, sorted: the choices of the library's tag filter."""
    with transaction(factory) as session:
        found = {tag for tags in session.scalars(select(Asset.tags)) for tag in tags or []}
    return sorted(found)
