"""The arms of the octopus: franchises, agencies and distributors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin

LOCATION_KINDS = ("franchise", "agency", "store", "distributor")


class Location(IdMixin, TimestampMixin, Base):
    """One location of a brand's network, with the values its posts are localized with."""

    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("brand_id", "code"),
        Index("ix_locations_brand_region", "brand_id", "region"),
    )

    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="franchise")
    region: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2))
    locale: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(60))
    # Typed franchise variables: {"city": "Lyon", "phone": "+33 4 …", "opening_hours": "…"}.
    variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    approval_policy: Mapped[str | None] = mapped_column(String(30), default=None)


class LocationTag(Base):
    """One tag of a location, kept as rows so targeting by tag is an indexed lookup."""

    __tablename__ = "location_tags"
    __table_args__ = (Index("ix_location_tags_brand_tag", "brand_id", "tag"),)

    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
