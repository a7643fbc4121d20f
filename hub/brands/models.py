"""The tenant: a brand and its network."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin


class Brand(IdMixin, TimestampMixin, Base):
    """A brand (franchisor, manufacturer) with its HQ and its network of locations."""

    __tablename__ = "brands"

    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    default_locale: Mapped[str] = mapped_column(String(20), default="fr-FR")
