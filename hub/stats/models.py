"""Raw counters read from the networks as time series, and the scoreboards computed from them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin


class StatSnapshot(IdMixin, Base):
    """A publication's (or an account's) counters at one offset after publishing."""

    __tablename__ = "stat_snapshots"
    __table_args__ = (
        UniqueConstraint("publication_id", "offset_label"),
        Index("ix_stat_snapshots_campaign", "campaign_id"),
    )

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), default=None)
    publication_id: Mapped[str | None] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), default=None)
    social_account_id: Mapped[str] = mapped_column(ForeignKey("social_accounts.id", ondelete="CASCADE"), index=True)
    offset_label: Mapped[str] = mapped_column(String(10))
    taken_at: Mapped[datetime]
    # Counters under the network's own names; a counter the network lacks is absent, never 0.
    metrics: Mapped[dict[str, Any]] = mapped_column()
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)


class AccountDay(IdMixin, Base):
    """One account's numbers on one day: its followers and the network's per-day counters for it."""

    __tablename__ = "account_days"
    __table_args__ = (
        UniqueConstraint("social_account_id", "day"),
        Index("ix_account_days_brand_day", "brand_id", "day"),
    )

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    social_account_id: Mapped[str] = mapped_column(ForeignKey("social_accounts.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)
    # None when the network gives no follower count (shown as missing, never as 0).
    followers: Mapped[int | None] = mapped_column(Integer, default=None)
    # Per-day counters under the network's names (Google Business Profile's location metrics).
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    taken_at: Mapped[datetime]


class Scoreboard(Base):
    """A brand's network report as last computed by the stats worker (the page reads it, never recomputes)."""

    __tablename__ = "scoreboards"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True)
    computed_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column()


class LocationScore(Base):
    """One location's figures over the scoreboard's period, with its rank in the network."""

    __tablename__ = "location_scores"

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    computed_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column()


class CampaignFigures(Base):
    """A campaign's report as last computed (funnel, adoption, tables by network and region) and the fingerprint
    of the proposals and publications it was computed from: a report is recomputed only when that changed."""

    __tablename__ = "campaign_figures"

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column()


class CampaignLocationFigures(Base):
    """One row of a campaign's table by location, stored with its campaign's figures so that a page of it is
    sorted and cut from 10,000 stored rows rather than aggregated from the proposals and publications."""

    __tablename__ = "campaign_location_figures"
    __table_args__ = (Index("ix_campaign_location_figures_campaign_code", "campaign_id", "code"),)

    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    # Indexed alone too: deleting a location finds its rows in every campaign.
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100))
    proposals: Mapped[int] = mapped_column(Integer)
    # Its proposals by status (those of earlier revisions left out).
    statuses: Mapped[dict[str, Any]] = mapped_column()
    published: Mapped[int] = mapped_column(Integer)
    impressions: Mapped[int | None] = mapped_column(BigInteger, default=None)
    reach: Mapped[int | None] = mapped_column(BigInteger, default=None)
    engagements: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # What the rate divides by (reach, or impressions where the network gives no reach).
    rate_base: Mapped[int | None] = mapped_column(BigInteger, default=None)
    with_stats: Mapped[int] = mapped_column(Integer)
