"""Usage tables: the model catalog, hourly and daily aggregates, daily distinct users, seen ids."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.db import Base, JSONType, UTCDateTime


class ModelEntry(Base):
    """A model of the catalog, with its prices and the data classes it is approved for."""

    __tablename__ = "model_catalog"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    provider: Mapped[str] = mapped_column(String(100))
    input_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    output_price: Mapped[float | None] = mapped_column(Float, nullable=True)
    allowed_data_classes: Mapped[list[str]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))


# The sums every usage aggregate row carries (besides the latency histogram).
SUMS = (
    "events",
    "human_reviewed",
    "guardrail_triggered",
    "input_tokens",
    "output_tokens",
    "cost",
    "duration_s",
)


class UsageSums:
    """What an hourly and a daily aggregate row share: the key beyond time, sums, histogram."""

    model: Mapped[str] = mapped_column(String(100))  # '' when no model was involved
    outcome: Mapped[str] = mapped_column(String(16))
    assisted: Mapped[bool] = mapped_column(Boolean)
    events: Mapped[int] = mapped_column(Integer)
    human_reviewed: Mapped[int] = mapped_column(Integer)
    guardrail_triggered: Mapped[int] = mapped_column(Integer)
    cost: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    latency: Mapped[dict[str, int]] = mapped_column(JSONType)


class UsageHour(UsageSums, Base):
    """Usage of one initiative in one hour, for one model, outcome and assisted flag."""

    __tablename__ = "usage_hour"
    __table_args__ = (
        UniqueConstraint(
            "initiative", "hour", "model", "outcome", "assisted", name="uq_usage_hour_key"
        ),
        Index("ix_usage_hour_series", "initiative", "hour"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative: Mapped[str] = mapped_column(String(63))
    hour: Mapped[datetime] = mapped_column(UTCDateTime())
    input_tokens: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(Integer)


class UsageDay(UsageSums, Base):
    """The same sums as UsageHour over one UTC day: what a window of whole days reads."""

    __tablename__ = "usage_day"
    __table_args__ = (
        UniqueConstraint(
            "initiative", "day", "model", "outcome", "assisted", name="uq_usage_day_key"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative: Mapped[str] = mapped_column(String(63))
    day: Mapped[date] = mapped_column(Date)
    # A day of tokens can pass 2**31 on a busy initiative.
    input_tokens: Mapped[int] = mapped_column(BigInteger)
    output_tokens: Mapped[int] = mapped_column(BigInteger)


class UsageUser(Base):
    """That a (hashed) user was active for an initiative on a day."""

    __tablename__ = "usage_user"
    __table_args__ = (UniqueConstraint("initiative", "day", "user", name="uq_usage_user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    initiative: Mapped[str] = mapped_column(String(63))
    day: Mapped[date] = mapped_column(Date)
    user: Mapped[str] = mapped_column(String(100))


class UsageSeen(Base):
    """Ids of usage events already counted, so that re-sending one is a duplicate."""

    __tablename__ = "usage_seen"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)


class UsageAssetDay(Base):
    """Calls of one initiative naming one asset (or prompt) on one UTC day.

    `version` is 0 when the call named no version; `via_prompt` is true when a Langfuse prompt
    attribute named it, which makes it a prompt whether or not the library holds it.
    """

    __tablename__ = "usage_asset_day"
    __table_args__ = (
        UniqueConstraint(
            "asset", "day", "initiative", "version", "via_prompt", name="uq_usage_asset_day_key"
        ),
        # Covering: a 28-day window is most of the table, and reading the rows it names at
        # random cost SQLite more than the figures themselves (bench/README.md, assets).
        Index(
            "ix_usage_asset_day_day",
            "day",
            "asset",
            "initiative",
            "version",
            "via_prompt",
            "calls",
            "model_calls",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset: Mapped[str] = mapped_column(String(200))
    day: Mapped[date] = mapped_column(Date)
    initiative: Mapped[str] = mapped_column(String(63))
    version: Mapped[int] = mapped_column(Integer)
    via_prompt: Mapped[bool] = mapped_column(Boolean)
    calls: Mapped[int] = mapped_column(Integer)
    model_calls: Mapped[int] = mapped_column(Integer)
