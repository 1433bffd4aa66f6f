"""SLO tables: OpenSLO objects as applied, SLI counts, hourly roll-ups and alert changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.db import Base, JSONType, UTCDateTime


class OpensloObject(Base):
    """An OpenSLO v1 document (SLO, SLI or DataSource) as applied, in canonical form."""

    __tablename__ = "openslo_object"
    __table_args__ = (UniqueConstraint("kind", "name", name="uq_openslo_object_kind_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(63))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)


class SliCount(Base):
    """Good and total events of one SLO in the interval that ends at `at`."""

    __tablename__ = "sli_record"
    __table_args__ = (Index("ix_sli_record_series", "slo", "at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    slo: Mapped[str] = mapped_column(String(63))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    good: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)


class SliHour(Base):
    """The SLI counts of one SLO whose `at` falls in the hour (hour − 1h, hour]."""

    __tablename__ = "sli_hour"
    __table_args__ = (UniqueConstraint("slo", "hour", name="uq_sli_hour_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slo: Mapped[str] = mapped_column(String(63))
    hour: Mapped[datetime] = mapped_column(UTCDateTime())
    good: Mapped[float] = mapped_column(Float)
    total: Mapped[float] = mapped_column(Float)


class SliSliceHour(Base):
    """The time slices of one SLO in one hour (hour − 1h, hour], for one slice length and
    slice target: how many had traffic, how many were good, and the sum of their ratios."""

    __tablename__ = "sli_slice_hour"
    __table_args__ = (
        UniqueConstraint(
            "slo", "slice_seconds", "good_target", "hour", name="uq_sli_slice_hour_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slo: Mapped[str] = mapped_column(String(63))
    slice_seconds: Mapped[int] = mapped_column(Integer)
    good_target: Mapped[float] = mapped_column(Float)
    hour: Mapped[datetime] = mapped_column(UTCDateTime())
    measured: Mapped[int] = mapped_column(Integer)
    good: Mapped[int] = mapped_column(Integer)
    ratio_sum: Mapped[float] = mapped_column(Float)


class AlertChange(Base):
    """A burn-rate alert of an objective that started or stopped firing, as a sweep saw it."""

    __tablename__ = "slo_alert_change"
    __table_args__ = (Index("ix_slo_alert_change_alert", "objective", "alert", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    objective: Mapped[str] = mapped_column(String(140))
    alert: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    firing: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    long_burn: Mapped[float | None] = mapped_column(Float, nullable=True)
    short_burn: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float] = mapped_column(Float)
    notified: Mapped[bool] = mapped_column(Boolean)
