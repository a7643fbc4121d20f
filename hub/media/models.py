"""Uploaded images and brand fonts."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin


class Media(IdMixin, TimestampMixin, Base):
    """An image of the brand's library, cleaned at upload (orientation applied, metadata stripped)."""

    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("brand_id", "sha256"),)

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)


class BrandFont(IdMixin, TimestampMixin, Base):
    """A TTF or OTF font of the brand, used for one role of its image templates."""

    __tablename__ = "brand_fonts"
    __table_args__ = (UniqueConstraint("brand_id", "role"),)

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # heading, heading_bold, body, body_bold
    family: Mapped[str] = mapped_column(String(200))
    style: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    glyphs: Mapped[int] = mapped_column(Integer)
