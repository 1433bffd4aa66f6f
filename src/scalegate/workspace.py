"""A workspace is one database: open it, and create or upgrade its schema."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from scalegate.db import make_engine, make_session_factory
from scalegate.errors import ScalegateError
from scalegate.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def import_models() -> None:
    """Import every table module so the metadata is complete."""
    import scalegate.access.models
    import scalegate.assets.models
    import scalegate.audit.models
    import scalegate.evaluations.models
    import scalegate.evidence.models
    import scalegate.gates.models
    import scalegate.outcomes.models
    import scalegate.portfolio.models
    import scalegate.slo.models
    import scalegate.usage.models  # noqa: F401


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration bound to this package's migrations and the given engine."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


@dataclass
class Workspace:
    """An open workspace: its engine and session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    def revision(self) -> str | None:
        """The schema revision the database is at (None when never initialised)."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head(self) -> str | None:
        """The newest schema revision this version of scalegate knows."""
        return ScriptDirectory.from_config(alembic_config(self.engine)).get_current_head()

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest revision."""
        command.upgrade(alembic_config(self.engine), "head")

    def require_current(self) -> None:
        """Refuse to work on a workspace that was never initialised or is out of date."""
        url = self.engine.url.render_as_string(hide_password=True)
        database = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and database and not Path(database).exists():
            # Connecting would create an empty file; say what to do instead.
            raise ScalegateError(
                f"no workspace at {database}: run `scalegate init`", code="workspace"
            )
        current = self.revision()
        if current != self.head():
            state = "is not initialised" if current is None else "needs an upgrade"
            raise ScalegateError(f"workspace {url} {state}: run `scalegate init`", code="workspace")


def open_workspace(settings: Settings) -> Workspace:
    """Connect to the workspace the settings name (nothing is created yet)."""
    engine = make_engine(settings.database_url, echo=settings.echo_sql)
    return Workspace(engine, make_session_factory(engine))
