"""Evaluation runs and security scans, one row per run, as read from the tools' files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.db import Base, JSONType, UTCDateTime


class EvalRunRecord(Base):
    """One evaluation run (a promptfoo file, a JUnit suite, an Inspect log) for an initiative."""

    __tablename__ = "eval_run"
    __table_args__ = (
        # A file sent again for the same subject is the same runs: idempotent by this key.
        UniqueConstraint("ingest_key", "position", name="uq_eval_run_ingest"),
        Index("ix_eval_run_initiative", "initiative", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ingest_key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    initiative: Mapped[str] = mapped_column(String(63))
    source: Mapped[str] = mapped_column(String(16))
    suite: Mapped[str] = mapped_column(String(300))
    run_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    tool_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    model: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # NAME@VERSION of each library asset the run evaluated.
    assets: Mapped[list[str]] = mapped_column(JSONType)
    providers: Mapped[list[str]] = mapped_column(JSONType)
    total: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    errored: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    artifact_sha256: Mapped[str] = mapped_column(String(64))


class SecurityScanRecord(Base):
    """One SARIF run (a scanner's findings) for an initiative."""

    __tablename__ = "security_scan"
    __table_args__ = (
        UniqueConstraint("ingest_key", "position", name="uq_security_scan_ingest"),
        Index("ix_security_scan_initiative", "initiative", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ingest_key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    initiative: Mapped[str] = mapped_column(String(63))
    tool: Mapped[str] = mapped_column(String(100))
    tool_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    execution_successful: Mapped[bool] = mapped_column(Boolean)
    counts: Mapped[dict[str, int]] = mapped_column(JSONType)
    security: Mapped[dict[str, int]] = mapped_column(JSONType)
    suppressed: Mapped[int] = mapped_column(Integer)
    artifact_sha256: Mapped[str] = mapped_column(String(64))
