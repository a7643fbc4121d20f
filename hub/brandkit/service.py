"""Reading and writing a brand's kit, and the lint rules it implies."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.audit.service import record
from hub.brandkit.models import BrandKit
from hub.brandkit.schemas import BrandKitData
from hub.db import utcnow
from hub.errors import Invalid
from hub.linting.service import LintRules
from hub.media.models import Media

# The glossary is how the brand speaks in each language: it is kept in the kit's tone column, under this key.
GLOSSARY_KEY = "glossary"


async def get_kit(session: AsyncSession, brand_id: str) -> BrandKitData:
    """The brand's kit (the defaults until HQ saves one)."""
    row = await session.scalar(select(BrandKit).where(BrandKit.brand_id == brand_id))
    if row is None:
        return BrandKitData()
    tone = dict(row.tone or {})
    glossary = tone.pop(GLOSSARY_KEY, [])
    return BrandKitData(palette=row.palette, tone=tone, networks=row.networks, logo_media_id=row.logo_media_id,
                        glossary=glossary, **(row.image or {}))


async def put_kit(session: AsyncSession, actor: Actor, data: BrandKitData) -> BrandKitData:
    """Replace the brand's kit; the previous one is kept in the audit log."""
    await _check_logo(session, actor.brand_id, data.logo_media_id)
    row = await session.scalar(select(BrandKit).where(BrandKit.brand_id == actor.brand_id))
    before = {}
    if row is None:
        row = BrandKit(brand_id=actor.brand_id)
        session.add(row)
    else:
        before = (await get_kit(session, actor.brand_id)).model_dump(mode="json")
        row.version += 1
    dumped = data.model_dump(mode="json")
    row.palette, row.networks = dumped["palette"], dumped["networks"]
    row.tone = {**dumped["tone"], GLOSSARY_KEY: dumped["glossary"]}
    row.logo_media_id = data.logo_media_id
    row.image = {"editable_zones": dumped["editable_zones"], "image_template": dumped["image_template"]}
    row.updated_at, row.updated_by = utcnow(), actor.user.id
    await session.flush()
    record(session, brand_id=actor.brand_id, actor_id=actor.user.id, action="brand_kit.updated",
           subject_type="brand_kit", subject_id=row.id, before=before, after=dumped)
    return data


async def _check_logo(session: AsyncSession, brand_id: str, media_id: str | None) -> None:
    """The logo must be an image of the brand's own library (an id from another brand is refused)."""
    if media_id is None:
        return
    content_type = await session.scalar(select(Media.content_type).where(Media.id == media_id,
                                                                         Media.brand_id == brand_id))
    if content_type is None or not content_type.startswith("image/"):
        raise Invalid("No image with id {id} in your library: upload it with POST /api/v1/media first.",
                      id=media_id, errors=[{"field": "logo_media_id", "message": "unknown image"}])


async def lint_rules(session: AsyncSession, brand_id: str) -> LintRules:
    """The rules the linter applies to this brand's texts."""
    kit = await get_kit(session, brand_id)
    return LintRules(tone=kit.tone, instagram_hashtag_cap=kit.networks.instagram_hashtag_cap,
                     glossary=tuple(kit.glossary))
