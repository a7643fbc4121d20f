"""JSON API of review links: create, list, revoke (the tokens are shown once, at creation)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from hub.deps import ApiActor, SessionDep
from hub.reviews import service as reviews

router = APIRouter(prefix="/api/v1", tags=["review links"])


class ReviewLinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    expires_in_hours: int = Field(default=reviews.DEFAULT_HOURS, ge=reviews.MIN_HOURS, le=reviews.MAX_HOURS)
    label: str | None = Field(default=None, max_length=200)


@router.post("/proposals/{proposal_id}/review-links", status_code=201)
async def create_link(proposal_id: str, request: Request, actor: ApiActor, session: SessionDep,
                      data: ReviewLinkCreate | None = None) -> dict[str, Any]:
    """A link that lets someone without an account approve or reject this one proposal; its URL is shown only now."""
    data = data or ReviewLinkCreate()
    link, token = await reviews.create_link(session, actor, proposal_id, expires_in_hours=data.expires_in_hours,
                                            label=data.label)
    base = request.app.state.settings.base_url.rstrip("/")
    return reviews.link_read(link, f"{base}/review/{token}")


@router.get("/proposals/{proposal_id}/review-links")
async def list_links(proposal_id: str, actor: ApiActor, session: SessionDep) -> list[dict[str, Any]]:
    """The proposal's review links, newest first, without their tokens."""
    return [reviews.link_read(link) for link in await reviews.list_links(session, actor, proposal_id)]


@router.delete("/proposals/{proposal_id}/review-links/{link_id}")
async def revoke_link(proposal_id: str, link_id: str, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Revoke a review link: from now on it answers 404."""
    return reviews.link_read(await reviews.revoke_link(session, actor, proposal_id, link_id))
