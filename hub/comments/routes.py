"""JSON API of a proposal's comment thread."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from hub.comments import service as comments
from hub.deps import ApiActor, SessionDep

router = APIRouter(prefix="/api/v1", tags=["comments"])


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str


@router.get("/proposals/{proposal_id}/comments")
async def list_comments(proposal_id: str, actor: ApiActor, session: SessionDep) -> list[dict[str, Any]]:
    """The comments between the location and HQ on a proposal, oldest first."""
    return await comments.list_comments(session, actor, proposal_id)


@router.post("/proposals/{proposal_id}/comments", status_code=201)
async def add_comment(proposal_id: str, data: CommentCreate, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Write in a proposal's thread (1 to 2000 characters; viewers only read)."""
    comment = await comments.add_comment(session, actor, proposal_id, data.body)
    return comments.comment_read(comment, actor.user.name or actor.user.email, actor.role)
