"""Creating a brand with its first HQ admin."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import service as accounts
from hub.accounts.models import User
from hub.brands.models import Brand
from hub.errors import Invalid


def slugify(name: str) -> str:
    """A URL-safe short name: 'Café Gourmand' -> 'cafe-gourmand'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "brand"


async def create_brand(session: AsyncSession, name: str, admin_email: str, admin_password: str,
                       admin_name: str = "") -> tuple[Brand, User]:
    """A new brand and its HQ admin."""
    name = name.strip()
    if not name:
        raise Invalid("Give the brand a name.", errors=[{"field": "name", "message": "required"}])
    slug = base = slugify(name)
    suffix = 1
    while await session.scalar(select(Brand.id).where(Brand.slug == slug)):
        suffix += 1
        slug = f"{base}-{suffix}"
    brand = Brand(name=name, slug=slug)
    session.add(brand)
    await session.flush()
    admin = await accounts.create_user(session, email=admin_email, password=admin_password, name=admin_name)
    await accounts.add_membership(session, admin, brand.id, "hq_admin")
    return brand, admin
