"""Uploads, the media library, brand fonts, and proposal images (API and pages)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import Response

from hub.deps import ApiActor, PageActor, SessionDep, page_actor, require_brand, require_hq
from hub.errors import Forbidden, Invalid, NotFound
from hub.media import service as media
from hub.media.storage import get_storage
from hub.proposals import service as proposals

router = APIRouter()
_RENDER_KEY = re.compile(r"^[0-9a-f]{64}$")
# Renders are named by their content: they never change, so a signed-in browser caches them for good.
IMMUTABLE = "private, max-age=31536000, immutable"


async def _read(upload: UploadFile | None, limit: int) -> bytes:
    if upload is None:
        raise Invalid("Send the file as multipart/form-data in a field named 'file'.",
                      errors=[{"field": "file", "message": "required"}])
    # Read one byte past the limit: enough to refuse, never the whole of a huge upload.
    return await upload.read(limit + 1)


@router.post("/api/v1/media", status_code=201, tags=["media"])
async def upload(request: Request, actor: ApiActor, session: SessionDep, file: UploadFile | None = None) -> dict[str, Any]:
    """Add a JPEG, PNG or WebP image (checked by content, metadata stripped) or an MP4/MOV/WebM
    video (for YouTube) to the brand's library."""
    require_brand(actor)
    if actor.role == "viewer":
        raise Forbidden("Viewers cannot upload images.")
    settings = request.app.state.settings
    head = await _read(file, 15)
    # The first bytes say whether this is a video, which has its own (larger) limit.
    limit = settings.video_max_bytes if media.video_type(head) else settings.media_max_bytes
    raw = head + await file.read(limit + 1 - len(head))
    item = await media.upload_media(session, get_storage(settings), settings, actor, raw, file.filename or "")
    return media.media_read(item, settings.base_url)


@router.post("/api/v1/brand-kit/fonts", status_code=201, tags=["brand kit"])
async def upload_font(request: Request, role: str, actor: ApiActor, session: SessionDep,
                      file: UploadFile | None = None) -> dict[str, Any]:
    """Set the brand's TTF/OTF font for a role (heading, heading_bold, body, body_bold)."""
    require_hq(actor)
    if actor.role != "hq_admin":
        raise Forbidden("Only an hq_admin can change the brand kit.")
    settings = request.app.state.settings
    raw = await _read(file, settings.font_max_bytes)
    font = await media.upload_font(session, get_storage(settings), settings, actor, role, raw)
    return {"role": font.role, "family": font.family, "style": font.style, "glyphs": font.glyphs}


@router.get("/api/v1/brand-kit/fonts", tags=["brand kit"])
async def list_fonts(actor: ApiActor, session: SessionDep) -> list[dict[str, Any]]:
    require_hq(actor)
    return [{"role": font.role, "family": font.family, "style": font.style, "glyphs": font.glyphs}
            for font in await media.list_fonts(session, actor.brand_id)]


@router.get("/media/{media_id}", include_in_schema=False)
async def library_file(request: Request, media_id: str, actor: PageActor, session: SessionDep) -> Response:
    """An image of the brand's library, for its own users."""
    item = await media.get_media(session, require_brand(actor), media_id)
    data = await get_storage(request.app.state.settings).get(item.storage_key)
    if data is None:
        raise NotFound("No image with id {id}.", id=media_id)
    return Response(data, media_type=item.content_type, headers={"Cache-Control": "private, max-age=86400"})


@router.get("/renders/{key}.jpg", include_in_schema=False)
async def rendered_file(request: Request, key: str, session: SessionDep, expires: str | None = None,
                        signature: str | None = None) -> Response:
    """A rendered image, by its content key: for signed-in users (editor previews), or for a
    network fetching it by URL (Facebook, Instagram, Google) through a signed, expiring link."""
    settings = request.app.state.settings
    signed = media.public_link_valid(settings, key, expires, signature)
    if not signed:
        await page_actor(request, session)
    if not _RENDER_KEY.match(key):
        raise NotFound("No such image.")
    data = await get_storage(settings).get(media.render_storage_key(key))
    if data is None:
        raise NotFound("No such image.")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600" if signed else IMMUTABLE})


async def _proposal_image(request: Request, actor, session, proposal_id: str, network: str) -> Response:
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    data, _key = await media.proposal_image(session, get_storage(request.app.state.settings), proposal, network)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})


@router.get("/api/v1/proposals/{proposal_id}/images/{network}", tags=["proposals"])
async def proposal_image_api(request: Request, proposal_id: str, network: str, actor: ApiActor,
                             session: SessionDep) -> Response:
    """The proposal's image on a network, rendered on first request (JPEG)."""
    return await _proposal_image(request, actor, session, proposal_id, network)


@router.get("/proposals/{proposal_id}/images/{network}.jpg", include_in_schema=False)
async def proposal_image_page(request: Request, proposal_id: str, network: str, actor: PageActor,
                              session: SessionDep) -> Response:
    return await _proposal_image(request, actor, session, proposal_id, network)
