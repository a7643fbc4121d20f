"""A comment between a location and HQ on one proposal."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin


class Comment(IdMixin, TimestampMixin, Base):
    """One message in a proposal's thread, written by a member of the brand."""

    __tablename__ = "comments"
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    body: Mapped[str] = mapped_column(Text)
