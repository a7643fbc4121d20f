"""Who is acting, and what part of a brand's network they may see."""

from __future__ import annotations

from dataclasses import dataclass

from hub.accounts.models import HQ_ROLES, Membership, User


@dataclass
class Actor:
    """A logged-in user with their membership in the brand they act for (None: no brand)."""

    user: User
    membership: Membership | None
    language: str = "en"

    @property
    def brand_id(self) -> str | None:
        return self.membership.brand_id if self.membership else None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_hq(self) -> bool:
        """HQ admins and editors: they write campaigns and see the whole brand."""
        return self.role in HQ_ROLES

    @property
    def sees_whole_brand(self) -> bool:
        """HQ and brand-wide viewers see every location."""
        return self.role in (*HQ_ROLES, "viewer")

    @property
    def location_ids(self) -> list[str]:
        return list(self.membership.location_ids or []) if self.membership else []

    @property
    def regions(self) -> list[str]:
        return list(self.membership.regions or []) if self.membership else []
