"""What each user is told (reminders, escalations, comments, new proposals) and the digests that told them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin

NOTIFICATION_KINDS = ("reminder", "escalation", "comment", "new_proposals", "needs_translation", "translation_stale")


class Notification(IdMixin, TimestampMixin, Base):
    """One thing a user should hear about, recorded once (dedupe_key) and sent in their next digest."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_sent", "user_id", "sent_at"),)

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    proposal_id: Mapped[str | None] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), default=None,
                                                    index=True)
    # Natural key of the event, e.g. "reminder:<proposal>:48h:<user>": jobs that run twice record it once.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


class Digest(IdMixin, TimestampMixin, Base):
    """A user's digest of one local day: at most one per day, even when there was nothing to send."""

    __tablename__ = "notification_digests"
    __table_args__ = (UniqueConstraint("user_id", "day"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The user's local date (YYYY-MM-DD) the digest belongs to.
    day: Mapped[str] = mapped_column(String(10))
    notifications: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime]
