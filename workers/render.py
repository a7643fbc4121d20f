"""Render tasks: branded images made ahead of publishing (the first view renders them otherwise)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.media import service as media
from hub.media.storage import get_storage
from hub.proposals.models import Proposal, ProposalImage
from hub.proposals.service import revision_of

RENDER_JOB = "media.render_proposals"
RENDER_QUEUE = "arq:pieuvre-render"


async def render_proposals(ctx: dict[str, Any], proposal_ids: list[str]) -> int:
    """Render every network image of these proposals that is not stored yet (idempotent)."""
    storage = get_storage(ctx["settings"])
    rendered = 0
    contexts: dict[str, media.ImageContext | None] = {}
    async with ctx["database"].session() as session:
        proposals = await session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids)))
        for proposal in proposals:
            if proposal.post_revision_id not in contexts:
                revision = await revision_of(session, proposal)
                contexts[proposal.post_revision_id] = await media.image_context(
                    session, storage, proposal.brand_id, revision.image)
            context = contexts[proposal.post_revision_id]
            if context is None:
                continue
            done = set(await session.scalars(
                select(ProposalImage.network).where(ProposalImage.proposal_id == proposal.id)))
            for network in proposal.texts:
                if network not in done:
                    await media.proposal_image(session, storage, proposal, network, context)
                    rendered += 1
    return rendered
