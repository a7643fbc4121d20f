"""Translations of posts, per locale, and the translation memory their approved texts feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin

# draft: written (or machine-made) but not for publishing yet; approved: serves the locations.
TRANSLATION_STATUSES = ("draft", "approved")
# Who wrote it: HQ, or the distributor serving the locale.
TRANSLATION_AUTHORS = ("hq", "distributor")


class Translation(IdMixin, TimestampMixin, Base):
    """A post's text in one locale, the same shape as the post (body + per-network variants).

    It records the source revision it was made from: when HQ changes the source text, it is
    flagged stale with the source's word diff until it is saved against the current revision.
    """

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("post_id", "locale"),)

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    # Per-network replacement of the body: {"x": "shorter text"}.
    variants: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    author_kind: Mapped[str] = mapped_column(String(20), default="hq")
    written_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(default=None)
    # The post revision whose source text this translates.
    source_revision: Mapped[int] = mapped_column(Integer)
    # HQ changed the source text since: {network: [[op, text], …]} from that revision's text to the current one.
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    source_diff: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)


class TranslationMemory(IdMixin, TimestampMixin, Base):
    """One approved pair of texts (source → target) of a brand, offered again for similar sources."""

    __tablename__ = "translation_memory"
    # Named by hand: the convention's name would pass PostgreSQL's 63-character limit.
    __table_args__ = (UniqueConstraint("brand_id", "source_locale", "target_locale", "source_hash",
                                       name="uq_translation_memory_source"),
                      # Suggestions read one brand's pairs of a target language, newest first.
                      Index("ix_translation_memory_brand_target", "brand_id", "target_locale", "created_at"))

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    source_locale: Mapped[str] = mapped_column(String(20))
    target_locale: Mapped[str] = mapped_column(String(20))
    source_text: Mapped[str] = mapped_column(Text)
    # sha256 hex of source_text: the natural key (texts themselves are too long to index).
    source_hash: Mapped[str] = mapped_column(String(64))
    target_text: Mapped[str] = mapped_column(Text)
