"""The version of each location's calendar feed link: rotating it revokes every link given out before."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, utcnow


class CalendarFeed(Base):
    """A location's feed secret version (no row: version 0, the link nobody rotated yet)."""

    __tablename__ = "calendar_feeds"

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    rotated_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
