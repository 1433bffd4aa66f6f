"""Portfolio tables."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from scalegate.db import Base, JSONType, UTCDateTime
from scalegate.errors import NotFound


class Theme(Base):
    """A portfolio grouping."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(320), nullable=True)


class KPI(Base):
    """A metric definition."""

    __tablename__ = "kpi"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(40), nullable=True)
    direction: Mapped[str] = mapped_column(String(8))
    tier: Mapped[str | None] = mapped_column(String(16), nullable=True)
    layer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    kind: Mapped[str | None] = mapped_column(String(8), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(320), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)


class Initiative(Base):
    """A use case on its way to scale."""

    __tablename__ = "initiative"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="RESTRICT"), index=True)
    stage: Mapped[str] = mapped_column(String(16), index=True)
    risk_tier: Mapped[str | None] = mapped_column(String(8), nullable=True)
    outcome: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)
    owners: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)
    score_value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score_feasibility: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score_risk: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score_scale_potential: Mapped[int | None] = mapped_column(Integer, nullable=True)
    services: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    data_classes: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    target_cohort_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    capacity: Mapped[float | None] = mapped_column(Float, nullable=True)
    time_returned: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    theme: Mapped[Theme] = relationship(lazy="joined")
    hypotheses: Mapped[list[Hypothesis]] = relationship(
        back_populates="initiative",
        cascade="all, delete-orphan",
        order_by="Hypothesis.position",
        lazy="selectin",
    )
    uses: Mapped[list[AssetUse]] = relationship(
        cascade="all, delete-orphan", order_by="AssetUse.position", lazy="selectin"
    )


class Hypothesis(Base):
    """Initiative + KPI + baseline + target: the claim that gets measured."""

    __tablename__ = "hypothesis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpi.id", ondelete="RESTRICT"), index=True)
    baseline_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    baseline_at: Mapped[date | None] = mapped_column(Date, nullable=True)
    target_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    target_by: Mapped[date | None] = mapped_column(Date, nullable=True)

    initiative: Mapped[Initiative] = relationship(back_populates="hypotheses")
    kpi: Mapped[KPI] = relationship(lazy="joined")


class AssetUse(Base):
    """An asset an initiative declares it reuses: pinned to a version or following a label."""

    __tablename__ = "initiative_asset_use"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    # By name, not by key: the asset library lives in its own package and apply checks names.
    asset: Mapped[str] = mapped_column(String(63), index=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    label: Mapped[str | None] = mapped_column(String(32), nullable=True)


class Rubric(Base):
    """Weights of the prioritisation rubric (the one named `default` is used)."""

    __tablename__ = "rubric"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    weights: Mapped[dict[str, Any]] = mapped_column(JSONType)


def initiative_named(session: Session, name: str) -> Initiative:
    """The initiative of that name; NotFound when there is none."""
    row = session.scalar(select(Initiative).where(Initiative.name == name))
    if row is None:
        raise NotFound(f"no initiative named {name}")
    return row
