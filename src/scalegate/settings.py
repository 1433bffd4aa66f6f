"""Runtime settings, read from the environment (prefix SCALEGATE_) when asked for."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import NonNegativeInt, PositiveInt, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def database_url_from(value: str) -> str:
    """Turn a workspace setting into a SQLAlchemy URL: a bare path means a SQLite file."""
    if "://" in value:
        if value.startswith("postgresql://"):
            # psycopg 3 is the driver we ship; plain postgresql:// would look for psycopg2.
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value
    return f"sqlite:///{Path(value).expanduser()}"


class Settings(BaseSettings):
    """Settings of one scalegate process."""

    model_config = SettingsConfigDict(env_prefix="SCALEGATE_", extra="ignore")

    database_url: str = "scalegate.db"
    host: str = "127.0.0.1"
    port: int = 8000
    echo_sql: bool = False
    production_environments: list[str] = ["production", "prod"]
    github_webhook_secret: str | None = None
    hash_user_ids: bool = True
    # Where `scalegate slo sweep` POSTs alert changes (a Slack-compatible incoming webhook).
    slo_webhook_url: str | None = None
    # Signs the pages' session cookies. Unset: a key is generated once and kept in
    # secret_key_file (default: beside a SQLite workspace, else ./scalegate.secret-key).
    # Several processes behind a load balancer must share one: set it explicitly there.
    secret_key: str | None = None
    secret_key_file: str | None = None
    # How long a rendered page stays cached (portfolio, dashboard, initiative, risk pages);
    # keyed by the workspace's audit head too, so any change shows at once. 0 turns it off.
    page_cache_seconds: NonNegativeInt = 60
    # Risk register thresholds (docs/risks.md).
    risk_pilot_theater_days: PositiveInt = 90
    risk_funding_churn_changes: NonNegativeInt = 2
    risk_funding_churn_window_days: PositiveInt = 90
    risk_deployment_window_days: PositiveInt = 90
    risk_shadow_ai_window_days: PositiveInt = 28
    # How long an evaluation run or a security scan counts as fresh evidence.
    evaluation_fresh_days: PositiveInt = 30

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return database_url_from(value)


def get_settings() -> Settings:
    """The settings the environment holds now (never read at import time).

    Built again only when a SCALEGATE_* variable changes: building them costs milliseconds, and
    hot paths (OTLP requests, the dashboard's DORA figures) ask for them often.
    """
    prefix = "scalegate_"
    return _settings_for(
        tuple(sorted((k.lower(), v) for k, v in os.environ.items() if k.lower().startswith(prefix)))
    )


@lru_cache(maxsize=8)
def _settings_for(_environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings()
