"""Asset tables: assets, their immutable versions, labels, label moves and asset policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from scalegate.db import Base, JSONType, UTCDateTime


class Asset(Base):
    """A reusable artefact: what it is, who owns it, where it came from, its lifecycle."""

    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(320), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSONType)
    origin: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    lifecycle: Mapped[str] = mapped_column(String(16))
    # metadata.annotations and metadata.labels as written (the change message among them).
    described: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Lower-case name, title, description and tags: what library search matches.
    search_text: Mapped[str] = mapped_column(Text)
    latest: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def described_fields(self) -> dict[str, Any]:
        """The spec fields besides content: what apply compares and policies read."""
        return {
            "type": self.type,
            "title": self.title,
            "description": self.description,
            "owner": self.owner,
            "tags": self.tags,
            "origin": self.origin,
            "lifecycle": self.lifecycle,
        }


class AssetVersion(Base):
    """One immutable version of an asset's content (inline text or an artifact by digest)."""

    __tablename__ = "asset_version"
    __table_args__ = (UniqueConstraint("asset_id", "version", name="uq_asset_version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str | None] = mapped_column(Text, nullable=True)
    artifact_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    size: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    change: Mapped[str | None] = mapped_column(Text, nullable=True)


class AssetLabel(Base):
    """Where a movable label (production, staging) points now."""

    __tablename__ = "asset_label"
    __table_args__ = (UniqueConstraint("asset_id", "label", name="uq_asset_label_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)


class AssetLabelMove(Base):
    """One promote: a label moved from one version to another, by whom, why, on what rules."""

    __tablename__ = "asset_label_move"
    __table_args__ = (Index("ix_asset_label_move_asset", "asset_id", "moved_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(32))
    from_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    to_version: Mapped[int] = mapped_column(Integer)
    moved_by: Mapped[str] = mapped_column(String(320))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rationale: Mapped[str] = mapped_column(Text)
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSONType)


class AssetPolicyVersion(Base):
    """One version of an asset policy; a changed spec is a new version, old ones are kept."""

    __tablename__ = "asset_policy_version"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_asset_policy_version_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    current: Mapped[bool] = mapped_column(Boolean, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
