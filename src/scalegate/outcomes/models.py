"""KPI evidence tables: single observations and aggregated experiment samples."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.db import Base, UTCDateTime


class KpiObservation(Base):
    """One value of a KPI for an initiative at a moment (e.g. a day's average handle time)."""

    __tablename__ = "kpi_observation"
    __table_args__ = (Index("ix_kpi_observation_series", "initiative", "kpi", "at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kpi: Mapped[str] = mapped_column(String(63))
    initiative: Mapped[str] = mapped_column(String(63))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    value: Mapped[float] = mapped_column(Float)
    group: Mapped[str | None] = mapped_column(String(16), nullable=True)


class KpiSummary(Base):
    """An aggregated sample of one experiment group over a period."""

    __tablename__ = "kpi_summary"
    __table_args__ = (Index("ix_kpi_summary_series", "initiative", "kpi", "period_end"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kpi: Mapped[str] = mapped_column(String(63))
    initiative: Mapped[str] = mapped_column(String(63))
    group: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    n: Mapped[int] = mapped_column(Integer)
    sum: Mapped[float] = mapped_column(Float)
    sum_squares: Mapped[float | None] = mapped_column(Float, nullable=True)
