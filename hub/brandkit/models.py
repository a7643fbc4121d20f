"""A brand's kit: how it looks and speaks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, utcnow


class BrandKit(IdMixin, Base):
    """One per brand; its JSON parts follow hub.brandkit.schemas.BrandKitData."""

    __tablename__ = "brand_kits"

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), unique=True)
    palette: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tone: Mapped[dict[str, Any]] = mapped_column(default=dict)
    networks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    logo_media_id: Mapped[str | None] = mapped_column(String(32), default=None)
    # Zones locations may edit, and a custom template (None: the default) — see BrandKitData.
    image: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
