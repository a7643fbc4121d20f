"""Fan-out runs and the localized proposals they create, one per revision and location."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin

# needs_translation: the location's language has no approved translation yet; it waits for one
# (never the source language instead) and never goes out in that state.
PROPOSAL_STATUSES = ("pending", "approved", "customized", "rejected", "expired", "auto_approved", "withdrawn",
                     "superseded", "needs_translation")
# Statuses under which a proposal goes out at its time.
GOING_OUT = ("approved", "customized", "auto_approved")
REJECT_REASONS = ("off_brand", "not_relevant", "wrong_timing", "legal", "other")


class Distribution(IdMixin, TimestampMixin, Base):
    """One fan-out run of a post revision to its targeted locations."""

    __tablename__ = "distributions"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    post_revision_id: Mapped[str] = mapped_column(ForeignKey("post_revisions.id", ondelete="CASCADE"))
    target: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, running, done
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


class DistributionChunk(IdMixin, Base):
    """A slice of a distribution's locations, handled by one job; `done` flips exactly once."""

    __tablename__ = "distribution_chunks"
    __table_args__ = (UniqueConstraint("distribution_id", "number"),)

    distribution_id: Mapped[str] = mapped_column(ForeignKey("distributions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    location_ids: Mapped[list[Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, done
    failed: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class Proposal(IdMixin, TimestampMixin, Base):
    """A post revision localized for one location, waiting for or carrying its decision."""

    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("post_revision_id", "location_id"),
        Index("ix_proposals_location_status_deadline", "location_id", "status", "deadline"),
        # Versions, views and decisions included: a campaign report's fingerprint is read from the index alone.
        Index("ix_proposals_campaign_status", "campaign_id", "status",
              postgresql_include=["version", "seen_at", "decided_at"]),
        # The approval matrix: a campaign's locations with a live proposal, from the index alone (migration 0009).
        Index("ix_proposals_campaign_location", "campaign_id", "location_id", postgresql_include=["status"]),
        Index("ix_proposals_status_deadline", "status", "deadline"),
        # The calendars read a brand's schedule by time.
        Index("ix_proposals_brand_publish_at", "brand_id", "publish_at"),
    )

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    post_revision_id: Mapped[str] = mapped_column(ForeignKey("post_revisions.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    distribution_id: Mapped[str | None] = mapped_column(ForeignKey("distributions.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    policy: Mapped[str] = mapped_column(String(30))
    # The localized HQ text per network, and the text that goes out (differs once customized).
    hq_texts: Mapped[dict[str, Any]] = mapped_column()
    texts: Mapped[dict[str, Any]] = mapped_column()
    findings: Mapped[list[Any]] = mapped_column(default=list)
    # The location's texts for the image's editable zones, and for the post's [[slots]].
    image_texts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    slot_values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    blocked: Mapped[bool] = mapped_column(default=False)
    # HQ published a new revision after this location customized: their text is kept, the change
    # to HQ's text is shown word by word ({network: [[op, text], …]}), and they confirm again.
    hq_changed: Mapped[bool] = mapped_column(default=False)
    hq_diff: Mapped[dict[str, Any]] = mapped_column(default=dict)
    publish_at: Mapped[datetime | None] = mapped_column(default=None)
    # The locale its texts are written in (a translation's, or the source's), None while it needs a
    # translation; and the fallback chain that was tried, in order (hub.translations.service.fallback_chain).
    locale: Mapped[str | None] = mapped_column(String(20), default=None)
    fallback: Mapped[list[Any]] = mapped_column(default=list)
    deadline: Mapped[datetime | None] = mapped_column(default=None)
    seen_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    reject_reason: Mapped[str | None] = mapped_column(String(30), default=None)
    reject_comment: Mapped[str | None] = mapped_column(Text, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ProposalImage(IdMixin, TimestampMixin, Base):
    """The rendered image of a proposal on one network: its render key and the renderer's findings.

    Its own row per (proposal, network), upserted, so two workers rendering the same proposal
    never overwrite each other's result.
    """

    __tablename__ = "proposal_images"
    __table_args__ = (UniqueConstraint("proposal_id", "network"),)

    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(20))
    render_key: Mapped[str] = mapped_column(String(64))
    findings: Mapped[list[Any]] = mapped_column(default=list)
