"""People, their roles in a brand, and their login sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, IdMixin, TimestampMixin

ROLES = ("hq_admin", "hq_editor", "regional_manager", "local_manager", "viewer")
HQ_ROLES = ("hq_admin", "hq_editor")


class User(IdMixin, TimestampMixin, Base):
    """A person who logs in."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    # Deployment admins may create brands; created by the CLI or the bootstrap settings.
    is_deployment_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # None: follow the browser's language.
    ui_language: Mapped[str | None] = mapped_column(String(5), default=None)


class Membership(IdMixin, TimestampMixin, Base):
    """A user's role in a brand, with its scope (locations for locals, regions for regional managers)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "brand_id"),)

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    brand_id: Mapped[str] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    location_ids: Mapped[list[Any]] = mapped_column(default=list)
    regions: Mapped[list[Any]] = mapped_column(default=list)


class AuthSession(IdMixin, TimestampMixin, Base):
    """A browser session or an API token; only the SHA-256 of the secret is stored."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "web" or "api"
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64), default="")
    expires_at: Mapped[datetime]
