"""Social accounts of locations, publications of proposals on them, and the sandbox feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin

NETWORKS = ("facebook", "instagram", "linkedin", "x", "google_business", "youtube")
PUBLICATION_STATUSES = ("scheduled", "publishing", "published", "failed", "unconfirmed", "cancelled")


class SocialAccount(IdMixin, TimestampMixin, Base):
    """A location's account on one network; tokens are encrypted and never leave the server."""

    __tablename__ = "social_accounts"
    __table_args__ = (UniqueConstraint("location_id", "network", "external_id"),)

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(20))
    # Which connector talks for it: the network's own, or "sandbox" (Pieuvre's own feed page).
    connector: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    access_token_encrypted: Mapped[str] = mapped_column(Text, default="")
    refresh_token_encrypted: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, expired, revoked, missing_permission
    status_detail: Mapped[str] = mapped_column(Text, default="")
    # The OAuth scopes granted, space-separated, as the network reported them.
    scopes: Mapped[str] = mapped_column(Text, default="")
    refreshed_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the location and HQ were told the account broke (once per breakage).
    broken_notified_at: Mapped[datetime | None] = mapped_column(default=None)


class Publication(IdMixin, TimestampMixin, Base):
    """One proposal going out on one account, exactly once."""

    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("proposal_id", "social_account_id"),
        Index("ix_publications_status_due", "status", "due_at"),
        # Newest counters included: a campaign report's fingerprint is read from the index alone.
        Index("ix_publications_campaign", "campaign_id", "status",
              postgresql_include=["stats_at", "impressions", "reach", "engagements"]),
        Index("ix_publications_brand_published", "brand_id", "published_at"),
    )

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"))
    social_account_id: Mapped[str] = mapped_column(ForeignKey("social_accounts.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime]
    # When a publish job was last queued for it: queued again only if that job has not run by
    # then (its worker died), so a lost job never strands a publication.
    queued_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # What an attempt left on the network before the post itself (e.g. an Instagram container).
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The newest reading of the post's counters, copied from its newest snapshot so that reports add
    # up one row per publication instead of scanning the time series: raw under the network's names,
    # plus the three normalized counters reports sum (None = the network does not give it).
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stats_offset_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    stats_at: Mapped[datetime | None] = mapped_column(default=None)
    impressions: Mapped[int | None] = mapped_column(Integer, default=None)
    reach: Mapped[int | None] = mapped_column(Integer, default=None)
    engagements: Mapped[int | None] = mapped_column(Integer, default=None)


class Cooldown(Base):
    """A network, or one account on it, that asked us to wait (429, quota): nothing is sent before `until`."""

    __tablename__ = "cooldowns"

    # "network:<name>" or "account:<social account id>".
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")


class OAuthGrant(IdMixin, TimestampMixin, Base):
    """One OAuth connection in progress: the state sent to the network, then the tokens it gave
    until the user picks which page, organization or channel to connect."""

    __tablename__ = "oauth_grants"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(20))
    state_digest: Mapped[str] = mapped_column(String(64), unique=True)
    code_verifier_encrypted: Mapped[str] = mapped_column(Text, default="")
    redirect_uri: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, authorized, done, failed
    tokens_encrypted: Mapped[str] = mapped_column(Text, default="")
    targets: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str] = mapped_column(Text, default="")


class SandboxPost(IdMixin, TimestampMixin, Base):
    """A post "published" by the sandbox connector into Pieuvre's own feed page of a location."""

    __tablename__ = "sandbox_posts"
    __table_args__ = (Index("ix_sandbox_posts_account_created", "social_account_id", "created_at"),)

    social_account_id: Mapped[str] = mapped_column(ForeignKey("social_accounts.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    network: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    # What a real network would let us match on when reading an account back: the content.
    content_hash: Mapped[str] = mapped_column(String(64))
    image_url: Mapped[str | None] = mapped_column(Text, default=None)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
