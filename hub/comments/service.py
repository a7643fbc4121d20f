"""The comment thread of a proposal: whoever may see the proposal reads it; deciders write in it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.accounts.models import Membership, User
from hub.audit.service import record
from hub.comments.models import Comment
from hub.errors import Forbidden, Invalid
from hub.proposals.service import get_proposal

MAX_LENGTH = 2000


async def list_comments(session: AsyncSession, actor: Actor, proposal_id: str) -> list[dict[str, Any]]:
    """The thread of a proposal the actor may see, oldest first, each with its author's name and role."""
    proposal = await get_proposal(session, actor, proposal_id)
    rows = await session.execute(
        select(Comment, User.name, User.email, Membership.role)
        .outerjoin(User, User.id == Comment.author_id)
        .outerjoin(Membership, (Membership.user_id == Comment.author_id) & (Membership.brand_id == Comment.brand_id))
        .where(Comment.proposal_id == proposal.id)
        .order_by(Comment.created_at, Comment.id)
    )
    return [comment_read(comment, name or email or "", role) for comment, name, email, role in rows]


async def add_comment(session: AsyncSession, actor: Actor, proposal_id: str, body: str) -> Comment:
    """Add the actor's comment to the thread of a proposal they may see (viewers only read)."""
    proposal = await get_proposal(session, actor, proposal_id)
    if actor.role in (None, "viewer"):
        raise Forbidden("Viewers can read the comments but not write any.")
    body = (body or "").strip()
    if not body:
        raise Invalid("Write a comment before sending it.", errors=[{"field": "body", "message": "empty"}])
    if len(body) > MAX_LENGTH:
        raise Invalid("The comment is longer than 2000 characters: shorten it.",
                      errors=[{"field": "body", "message": "at most 2000 characters"}])
    comment = Comment(brand_id=proposal.brand_id, proposal_id=proposal.id, author_id=actor.user.id, body=body)
    session.add(comment)
    await session.flush()
    record(session, brand_id=proposal.brand_id, actor_id=actor.user.id, action="comment.created",
           subject_type="proposal", subject_id=proposal.id, after={"comment_id": comment.id, "length": len(body)})
    return comment


def comment_read(comment: Comment, author_name: str, author_role: str | None) -> dict[str, Any]:
    """A comment as the API and the thread show it."""
    return {
        "id": comment.id, "proposal_id": comment.proposal_id, "author_id": comment.author_id,
        "author_name": author_name, "author_role": author_role, "body": comment.body, "created_at": comment.created_at,
    }
