"""Raw counters read from the networks, as time series."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint
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
