"""A review link: a secret URL that lets someone without an account decide one proposal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin


class ReviewLink(IdMixin, TimestampMixin, Base):
    """A link to one proposal; only the SHA-256 digest of its token is kept."""

    __tablename__ = "review_links"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    uses: Mapped[int] = mapped_column(Integer, default=0)
