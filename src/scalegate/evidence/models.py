"""Delivery evidence tables: deployments with their commits, incidents, merged changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.db import Base, JSONType, UTCDateTime


class DeploymentRecord(Base):
    """A deployment as reported by a pipeline; idempotent by id."""

    __tablename__ = "deployment"
    __table_args__ = (Index("ix_deployment_service_finished", "service", "finished_at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rollback_of: Mapped[str | None] = mapped_column(String(200), nullable=True)
    remediates: Mapped[list[str]] = mapped_column(JSONType)
    initiative: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)


class DeploymentCommit(Base):
    """A commit shipped by a deployment."""

    __tablename__ = "deployment_commit"
    __table_args__ = (
        Index("ix_deployment_commit_deployment", "deployment_id"),
        # Finds whether a recent commit already reached production before a window.
        Index("ix_deployment_commit_sha", "sha"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployment.id", ondelete="CASCADE"))
    sha: Mapped[str] = mapped_column(String(64))
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncidentRecord(Base):
    """An incident; a later resolution fills in resolved_at."""

    __tablename__ = "incident"
    __table_args__ = (Index("ix_incident_service_opened", "service", "opened_at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    caused_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    initiative: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)


class ChangeRecord(Base):
    """A merged change (CDEvents change.merged) waiting for, or attached to, a deployment."""

    __tablename__ = "change"
    __table_args__ = (Index("ix_change_service_pending", "service", "deployment_id"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    service: Mapped[str] = mapped_column(String(200))
    sha: Mapped[str] = mapped_column(String(64))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deployment_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    initiative: Mapped[str | None] = mapped_column(String(63), nullable=True)
