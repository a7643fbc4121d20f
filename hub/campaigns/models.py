"""Campaigns and their posts; a post's content lives in immutable revisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin

OBJECTIVES = ("visibility", "recruitment", "promotion", "community", "customer_care")
APPROVAL_POLICIES = ("approval_required", "opt_out", "auto_publish")
# What a location may change: nothing (approve or reject), only the slots HQ declared, or any text.
EDITABLE_MODES = ("locked", "slots", "free")


class Campaign(IdMixin, TimestampMixin, Base):
    """A set of posts HQ sends to the network with one objective, policy and deadline."""

    __tablename__ = "campaigns"
    __table_args__ = (Index("ix_campaigns_brand_created", "brand_id", "created_at"),)

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(30), default="visibility")
    approval_policy: Mapped[str] = mapped_column(String(30), default="approval_required")
    decision_deadline: Mapped[datetime | None] = mapped_column(default=None)
    # Default target of its posts: {"location_ids": [...], "tags": [...], "regions": [...]}; empty = all.
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


class Post(IdMixin, TimestampMixin, Base):
    """A post of a campaign; what it says is in its current revision."""

    __tablename__ = "posts"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    current_revision: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, distributed, withdrawn


class PostRevision(IdMixin, TimestampMixin, Base):
    """What a post says at one point in time; never changed once written."""

    __tablename__ = "post_revisions"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    networks: Mapped[list[Any]] = mapped_column()
    # Per-network replacement of the body: {"x": "shorter text"}.
    variants: Mapped[dict[str, Any]] = mapped_column(default=dict)
    editable: Mapped[str] = mapped_column(String(10), default="free")
    # The language HQ wrote it in; None: the brand's default locale.
    source_locale: Mapped[str | None] = mapped_column(String(20), default=None)
    # Editable slots of a "slots" post, written [[name]] in the text: {"offer": {"max_length": 60, "default": "…"}}.
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The branded image: {"media_id": photo, "texts": {"headline": "…{city}…", "subline", "cta", "legal"}}; {} for none.
    image: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A video of the brand's library (YouTube publishes videos only).
    video_id: Mapped[str | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"), default=None)
    # Per-network choices: {"google_business": {"topic_type": "OFFER", "call_to_action": {…}, …}}.
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Either one instant for every location, or a wall-clock time ("2026-12-01T10:00") that each
    # location reads on its own clock. Neither: out as soon as approved.
    publish_at: Mapped[datetime | None] = mapped_column(default=None)
    publish_at_local: Mapped[str | None] = mapped_column(String(16), default=None)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
