"""Gate tables: policy versions, sign-offs, waivers, decisions, sweeps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.db import Base, JSONType, UTCDateTime


class GatePolicyVersion(Base):
    """One version of a gate policy; a changed spec is a new version, old ones are kept."""

    __tablename__ = "gate_policy_version"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_gate_policy_version_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    from_stage: Mapped[str] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    current: Mapped[bool] = mapped_column(Boolean, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SignOff(Base):
    """A launch-checklist item signed for an initiative."""

    __tablename__ = "signoff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    item: Mapped[str] = mapped_column(String(63))
    signed_by: Mapped[str] = mapped_column(String(320))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    artifact: Mapped[str] = mapped_column(String(2000))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Waiver(Base):
    """A time-boxed exception that lets named failing rules not block."""

    __tablename__ = "waiver"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    rules: Mapped[list[str]] = mapped_column(JSONType)
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    rationale: Mapped[str] = mapped_column(Text)
    granted_by: Mapped[str] = mapped_column(String(320))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GateDecision(Base):
    """An advance, step back or retirement, with the evaluation it rested on."""

    __tablename__ = "gate_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    from_stage: Mapped[str] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(320))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSONType)


class GateSweep(Base):
    """One re-evaluation of every initiative against the gates it has already passed."""

    __tablename__ = "gate_sweep"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    swept_at: Mapped[datetime] = mapped_column(UTCDateTime())
    swept_by: Mapped[str] = mapped_column(String(320))
    pass_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    results: Mapped[dict[str, Any]] = mapped_column(JSONType)
