"""Shared fixtures: a fresh workspace per test, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scalegate.access.actor import Actor
from scalegate.db import scratch_schema
from scalegate.settings import Settings, database_url_from
from scalegate.workspace import Workspace, open_workspace

POSTGRES_ENV = "SCALEGATE_TEST_POSTGRES_URL"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "portfolio"
ADMIN = Actor("test:admin", frozenset({"admin"}))


def _postgres_url() -> str | None:
    raw = os.environ.get(POSTGRES_ENV)
    return database_url_from(raw) if raw else None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workspace.db'}"
        return
    base = _postgres_url()
    if base is None:
        pytest.skip(f"PostgreSQL tests run when {POSTGRES_ENV} is set (.ci/run sets it)")
    with scratch_schema(base, "test") as url:
        yield url


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings pointing at the test database."""
    return Settings(database_url=database_url)


@pytest.fixture
def workspace(settings: Settings) -> Iterator[Workspace]:
    """An initialised, empty workspace."""
    ws = open_workspace(settings)
    ws.upgrade()
    yield ws
    ws.engine.dispose()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings, workspace: Workspace) -> str:
    """Point the CLI at the test workspace through SCALEGATE_DATABASE_URL."""
    monkeypatch.setenv("SCALEGATE_DATABASE_URL", settings.database_url)
    return settings.database_url
