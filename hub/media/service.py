"""The media library (cleaned uploads), brand fonts, and each proposal's images rendered on demand."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import io
import json
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.brandkit.service import get_kit
from hub.accounts.security import same
from hub.config import Settings, parse_duration
from hub.db import new_id, upsert, utcnow
from hub.errors import HubError, Invalid, NotFound, UnsupportedMedia
from hub.media import render as renderer
from hub.media.models import BrandFont, Media
from hub.media.polyglot import image_extra, video_extra
from hub.media.storage import Storage
from hub.proposals.localize import fill_variables, location_values
from hub.proposals.models import Proposal, ProposalImage

# Decided by content, never by the file name; SVG and everything else is refused.
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
FONT_ROLES = ("heading", "heading_bold", "body", "body_bold")


class TooLarge(HubError):
    status_code = 413


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def clean_image(raw: bytes, settings: Settings) -> CleanImage:
    """Check an upload by its content and re-encode it: orientation applied, metadata (GPS…) dropped."""
    if len(raw) > settings.media_max_bytes:
        raise TooLarge("The file is {size} MB; the limit is {limit} MB: send a smaller image.",
                       size=round(len(raw) / 1048576, 1), limit=settings.media_max_bytes // 1048576)
    Image.MAX_IMAGE_PIXELS = settings.media_max_pixels  # Pillow's decompression-bomb guard
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                kind = probe.format
                probe.verify()
            if kind not in ACCEPTED_FORMATS:
                raise UnsupportedMedia("Pieuvre takes JPEG, PNG and WebP images; this file is {kind}: convert it.",
                                       kind=kind or "unknown")
            image = Image.open(io.BytesIO(raw))
            if image.width * image.height > settings.media_max_pixels:
                raise Image.DecompressionBombError("too many pixels")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TooLarge("The image has too many pixels (the limit is {limit} million): send a smaller one.",
                       limit=settings.media_max_pixels // 1_000_000) from None
    except UnidentifiedImageError:
        raise UnsupportedMedia("This file is not a JPEG, PNG or WebP image (SVG and other formats are refused): "
                               "export it as JPEG or PNG.") from None
    except (OSError, SyntaxError, ValueError):
        raise Invalid("The image is damaged or truncated: export it again and send the new file.") from None
    other = image_extra(raw, kind)
    if other:
        raise UnsupportedMedia("This image also carries another file ({other}) in its metadata or after its end: open "
                               "it in an image editor and export it again as JPEG or PNG.", other=other)
    image = ImageOps.exif_transpose(image)
    output = io.BytesIO()
    icc = image.info.get("icc_profile")
    if kind == "JPEG":
        image.convert("RGB").save(output, "JPEG", quality=92, optimize=True, icc_profile=icc)
    elif kind == "PNG":
        image.save(output, "PNG", optimize=True, icc_profile=icc)
    else:
        image.save(output, "WEBP", quality=92, icc_profile=icc)
    return CleanImage(output.getvalue(), ACCEPTED_FORMATS[kind], image.width, image.height)


def video_type(raw: bytes) -> str | None:
    """The content type of a video by its first bytes (MP4, QuickTime, WebM), or None."""
    if raw[4:8] == b"ftyp":
        return "video/quicktime" if raw[8:12] == b"qt  " else "video/mp4"
    if raw[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    return None


def checked_video(raw: bytes, settings: Settings) -> CleanImage:
    """A video upload, checked by its container signature and size (kept as sent: re-encoding is YouTube's job)."""
    if len(raw) > settings.video_max_bytes:
        raise TooLarge("The video is {size} MB; the limit is {limit} MB: send a shorter or smaller one.",
                       size=round(len(raw) / 1048576, 1), limit=settings.video_max_bytes // 1048576)
    content_type = video_type(raw)
    if content_type is None:
        raise UnsupportedMedia("This file is not an MP4, MOV or WebM video: export it as MP4.")
    other, cut = video_extra(raw, content_type)
    if cut:
        raise Invalid("The video is cut short: its end is missing. Export it again and send the whole file.")
    if other:
        raise UnsupportedMedia("This video also carries another file ({other}) outside its images and sound: "
                               "export it again as MP4.", other=other)
    return CleanImage(raw, content_type, 0, 0)


async def upload_media(session: AsyncSession, storage: Storage, settings: Settings, actor: Actor, raw: bytes,
                       filename: str = "") -> Media:
    """Add an image (checked and re-encoded) or a video to the brand's library (the same file twice is stored once)."""
    if video_type(raw):
        clean = checked_video(raw, settings)
    else:
        clean = await asyncio.to_thread(clean_image, raw, settings)
    digest = hashlib.sha256(clean.data).hexdigest()
    existing = await session.scalar(select(Media).where(Media.brand_id == actor.brand_id, Media.sha256 == digest))
    if existing:
        return existing
    key = f"library/{digest}"
    await storage.put(key, clean.data)
    media = Media(brand_id=actor.brand_id, content_type=clean.content_type, width=clean.width, height=clean.height,
                  size_bytes=len(clean.data), sha256=digest, storage_key=key, original_name=filename[:255],
                  created_by=actor.user.id)
    session.add(media)
    await session.flush()
    return media


async def get_media(session: AsyncSession, brand_id: str, media_id: str) -> Media:
    media = await session.scalar(select(Media).where(Media.id == media_id, Media.brand_id == brand_id))
    if media is None:
        raise NotFound("No image with id {id}.", id=media_id)
    return media


def media_read(media: Media, base_url: str) -> dict[str, Any]:
    return {"id": media.id, "width": media.width, "height": media.height, "content_type": media.content_type,
            "size_bytes": media.size_bytes, "url": f"{base_url.rstrip('/')}/media/{media.id}"}


def check_font(raw: bytes, settings: Settings) -> tuple[str, str, int]:
    """(family, style, glyph count) of a TTF/OTF file, checked by actually loading it."""
    from fontTools.ttLib import TTFont, TTLibError
    from PIL import ImageFont

    if len(raw) > settings.font_max_bytes:
        raise TooLarge("The font file is larger than {limit} MB.", limit=settings.font_max_bytes // 1048576)
    if raw[:4] not in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        raise UnsupportedMedia("This is not a TTF or OTF font file: upload the .ttf or .otf of the font.")
    try:
        font = TTFont(io.BytesIO(raw))
        names = font["name"]
        family = str(names.getBestFamilyName() or "")
        style = str(names.getBestSubFamilyName() or "")
        glyphs = len(font.getBestCmap() or {})
        ImageFont.truetype(io.BytesIO(raw), 32).getbbox("Aa")
    except (TTLibError, KeyError, OSError, ValueError, AssertionError):
        raise Invalid("The font file is damaged or not a font Pieuvre can draw with: export it again.") from None
    if glyphs == 0:
        raise Invalid("The font has no characters Pieuvre can use: pick another font file.")
    return family, style, glyphs


async def upload_font(session: AsyncSession, storage: Storage, settings: Settings, actor: Actor, role: str,
                      raw: bytes) -> BrandFont:
    """Set the brand's font for one role of its templates (heading, heading_bold, body, body_bold)."""
    if role not in FONT_ROLES:
        raise Invalid("Unknown font role '{role}': use one of {roles}.", role=role, roles=", ".join(FONT_ROLES))
    family, style, glyphs = await asyncio.to_thread(check_font, raw, settings)
    digest = hashlib.sha256(raw).hexdigest()
    key = f"fonts/{digest}"
    await storage.put(key, raw)
    font = await session.scalar(select(BrandFont).where(BrandFont.brand_id == actor.brand_id, BrandFont.role == role))
    if font is None:
        font = BrandFont(brand_id=actor.brand_id, role=role)
        session.add(font)
    font.family, font.style, font.glyphs, font.sha256, font.storage_key = family, style, glyphs, digest, key
    await session.flush()
    return font


async def list_fonts(session: AsyncSession, brand_id: str) -> list[BrandFont]:
    return list(await session.scalars(select(BrandFont).where(BrandFont.brand_id == brand_id).order_by(BrandFont.role)))


# ---------------------------------------------------------------- proposal images

_FONT_CACHE: dict[tuple[tuple[str, str], ...], renderer.Fonts] = {}


async def brand_fonts(session: AsyncSession, storage: Storage, brand_id: str) -> renderer.Fonts:
    """The brand's fonts, loaded once per process and set of files."""
    fonts = await list_fonts(session, brand_id)
    signature = tuple((font.role, font.sha256) for font in fonts)
    if signature not in _FONT_CACHE:
        files = {font.role: await storage.get(font.storage_key) for font in fonts}
        _FONT_CACHE[signature] = renderer.Fonts.from_bytes({role: data for role, data in files.items() if data})
    return _FONT_CACHE[signature]


@dataclass
class ImageJob:
    """Everything one image needs, gathered from the database before rendering."""

    key: str
    template: renderer.Template
    inputs: renderer.RenderInputs
    size: tuple[int, int]
    fonts: renderer.Fonts


@dataclass
class ImageContext:
    """What every location's image of one post shares: template, photo, logo, fonts (loaded once)."""

    spec: dict[str, Any]
    template: renderer.Template
    photo: renderer.Asset | None
    logo: renderer.Asset | None
    fonts: renderer.Fonts

    def job(self, location, network: str, local_texts: dict[str, str] | None = None) -> ImageJob:
        """The image for `location` on `network` (None location: HQ's preview, variables as written)."""
        values = location_values(location) if location is not None else {}
        locale = location.locale if location is not None else "en"
        texts = {zone: fill_variables(text, values, network, locale)[0]
                 for zone, text in (self.spec.get("texts") or {}).items() if text}
        texts.update(local_texts or {})
        inputs = renderer.RenderInputs(texts=texts, photo=self.photo, logo=self.logo, language=locale.split("-")[0])
        size = renderer.size_for_network(network)
        return ImageJob(renderer.render_key(self.template, inputs, size, self.fonts), self.template, inputs, size,
                        self.fonts)


# Library images by content hash: every location's render of a post uses the same photo and
# logo, so they are read from storage once per process, not once per image.
_ASSETS: OrderedDict[str, renderer.Asset] = OrderedDict()
_ASSETS_KEPT = 16


async def _asset(session: AsyncSession, storage: Storage, brand_id: str, media_id: str) -> renderer.Asset:
    media = await get_media(session, brand_id, media_id)
    asset = _ASSETS.get(media.sha256)
    if asset is None:
        asset = renderer.Asset(await storage.get(media.storage_key) or b"", sha256=media.sha256)
        _ASSETS[media.sha256] = asset
        while len(_ASSETS) > _ASSETS_KEPT:
            _ASSETS.popitem(last=False)
    _ASSETS.move_to_end(media.sha256)
    return asset


def brand_template(kit) -> renderer.Template:
    """The brand's image template, in its palette, with the zones locations may edit unlocked."""
    # The kit's colours in the renderer's roles; a poor text colour shows as a contrast finding.
    palette = {"primary": kit.palette.primary, "accent": kit.palette.accent, "secondary": kit.palette.secondary,
               "surface": kit.palette.background, "on_primary": kit.palette.text}
    if kit.image_template:
        template = renderer.Template.from_dict(kit.image_template)
        template = dataclasses.replace(template, palette={**template.palette, **palette})
    else:
        template = renderer.default_template(palette)
    changes = {}
    for zone in ("photo", "headline", "subline", "cta", "legal"):
        current = getattr(template, zone)
        if current is not None:
            changes[zone] = dataclasses.replace(current, locked=zone not in kit.editable_zones)
    return dataclasses.replace(template, **changes)


async def image_context(session: AsyncSession, storage: Storage, brand_id: str, spec: dict[str, Any]) -> ImageContext | None:
    """The shared parts of a post's images; None when the post has no image."""
    if not spec:
        return None
    kit = await get_kit(session, brand_id)
    template = brand_template(kit)
    photo = await _asset(session, storage, brand_id, spec["media_id"]) if spec.get("media_id") else None
    logo = await _asset(session, storage, brand_id, kit.logo_media_id) if kit.logo_media_id else None
    return ImageContext(spec, template, photo, logo, await brand_fonts(session, storage, brand_id))


async def preview_image(session: AsyncSession, storage: Storage, brand_id: str, spec: dict[str, Any], location,
                        network: str) -> tuple[str, list[dict[str, Any]]] | None:
    """Render (once) the image a post would get on `network` for `location`; its key (served at
    /renders/{key}.jpg) and findings. For the editor's live preview; None without an image."""
    context = await image_context(session, storage, brand_id, spec)
    if context is None:
        return None
    job = context.job(location, network)
    _data, findings = await ensure_render(storage, job)
    return job.key, findings


def render_job(job: ImageJob) -> tuple[bytes, list[dict[str, Any]]]:
    """Render and encode one image (CPU-bound: run it in the render thread or a worker)."""
    result = renderer.render(job.template, job.inputs, job.size, job.fonts)
    return renderer.to_jpeg(result.image), result.findings


# One render thread per process: renders hold the GIL most of the time, so more threads would
# only take turns, while the event loop keeps serving I/O beside this one.
_RENDER_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pieuvre-render")


def public_render_url(settings: Settings, key: str, now: datetime | None = None) -> str:
    """A link to a rendered image that networks fetching by URL can open without logging in:
    signed with the secret key, valid for `public_link_ttl`, on PIEUVRE_PUBLIC_URL."""
    expires = int(((now or utcnow()) + parse_duration(settings.public_link_ttl)).timestamp())
    return f"{settings.public_base_url}/renders/{key}.jpg?expires={expires}&signature={_link_signature(settings, key, expires)}"


def public_link_valid(settings: Settings, key: str, expires: str | None, signature: str | None,
                      now: datetime | None = None) -> bool:
    """True when (expires, signature) were made by `public_render_url` for `key` and have not expired."""
    if not expires or not signature or not expires.isdigit():
        return False
    if int(expires) < (now or utcnow()).timestamp():
        return False
    return same(signature, _link_signature(settings, key, int(expires)))


def _link_signature(settings: Settings, key: str, expires: int) -> str:
    secret = ("public-links:" + settings.resolved_secret_key()).encode()
    return hmac.new(secret, f"{key}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def render_storage_key(key: str) -> str:
    return f"renders/{key}.jpg"


async def ensure_render(storage: Storage, job: ImageJob) -> tuple[bytes, list[dict[str, Any]]]:
    """The image's bytes and findings, rendered only if no render with the same key exists."""
    stored = await storage.get(render_storage_key(job.key))
    findings = await storage.get(f"renders/{job.key}.json")
    if stored is not None and findings is not None:
        return stored, json.loads(findings)
    data, found = await asyncio.get_running_loop().run_in_executor(_RENDER_THREAD, render_job, job)
    # The findings first: a reader that sees the image always finds its findings.
    await storage.put(f"renders/{job.key}.json", json.dumps(found).encode())
    await storage.put(render_storage_key(job.key), data)
    return data, found


async def proposal_image(session: AsyncSession, storage: Storage, proposal, network: str,
                         context: ImageContext | None = None) -> tuple[bytes, str]:
    """The proposal's image on `network` (rendered on first view), and its render key.

    Its findings are kept with it; one that blocks (text that cannot fit) blocks the proposal.
    `context` lets a caller that renders many proposals of one post load the shared parts once.
    """
    from hub.locations.models import Location
    from hub.proposals.service import revision_of

    if network not in proposal.texts:
        raise NotFound("This proposal does not go to {network}.", network=network)
    if context is None:
        revision = await revision_of(session, proposal)
        context = await image_context(session, storage, proposal.brand_id, revision.image)
    if context is None:
        raise NotFound("This post has no image.")
    location = await session.get(Location, proposal.location_id)
    job = context.job(location, network, proposal.image_texts)
    data, findings = await ensure_render(storage, job)
    placed = [{**item, "network": network, "locale": location.locale, "start": 0, "end": 0} for item in findings]
    await session.execute(upsert(session, ProposalImage, [{
        "id": new_id(), "proposal_id": proposal.id, "network": network, "render_key": job.key, "findings": placed,
        "created_at": utcnow(),
    }], ["proposal_id", "network"], ["render_key", "findings"]))
    if any(item["severity"] == "error" for item in placed):
        # Only ever set, never cleared here: concurrent renders cannot undo each other.
        await session.execute(update(Proposal).where(Proposal.id == proposal.id).values(blocked=True))
        proposal.blocked = True
    return data, job.key


async def image_findings(session: AsyncSession, proposal_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The renderer's findings of each proposal's images."""
    found: dict[str, list[dict[str, Any]]] = {proposal_id: [] for proposal_id in proposal_ids}
    for proposal_id, items in await session.execute(
        select(ProposalImage.proposal_id, ProposalImage.findings).where(ProposalImage.proposal_id.in_(proposal_ids))
    ):
        found[proposal_id].extend(items)
    return found
