"""Alembic environment: runs migrations on the engine scalegate hands over."""

from __future__ import annotations

from alembic import context

from scalegate.db import Base
from scalegate.workspace import import_models

import_models()
config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
