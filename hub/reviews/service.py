"""Signed review links: create, list and revoke them; find one by its token; decide through it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.accounts.security import new_secret, secret_digest
from hub.audit.service import record
from hub.db import utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.i18n import N_
from hub.proposals import service as proposals
from hub.proposals.models import Proposal
from hub.reviews.models import ReviewLink

MIN_HOURS, MAX_HOURS, DEFAULT_HOURS = 1, 720, 72
# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 200
GONE = N_("This review link does not work: it may have expired, been revoked or been copied incompletely. Ask the "
           "person who sent it for a new one.")


@dataclass(frozen=True)
class _NoUser:
    """Stands for "nobody with an account": decided_by and the audit's actor stay empty."""

    id: None = None
    name: str = ""
    email: str = ""


@dataclass
class ReviewLinkActor:
    """What approve() and reject() need to know about who decides, when a review link decides."""

    link: ReviewLink
    language: str = "en"
    user: _NoUser = field(default_factory=_NoUser)
    role: str = "review_link"
    membership: None = None

    @property
    def brand_id(self) -> str:
        return self.link.brand_id

    is_hq = False
    sees_whole_brand = False
    location_ids: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()


def _check_creator(actor: Actor) -> None:
    # A link hands the decision to someone else: only people who may decide themselves can hand it over.
    if actor.role in (None, "viewer"):
        raise Forbidden("Only HQ or the location's managers can share a review link.")


async def create_link(session: AsyncSession, actor: Actor, proposal_id: str, *, expires_in_hours: int = DEFAULT_HOURS,
                      label: str | None = None) -> tuple[ReviewLink, str]:
    """A new review link for one proposal the actor may decide; returns the link and its token (shown once)."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    _check_creator(actor)
    if not MIN_HOURS <= expires_in_hours <= MAX_HOURS:
        raise Invalid("A review link lasts between {low} and {high} hours: pick a duration in that range.",
                      low=MIN_HOURS, high=MAX_HOURS,
                      errors=[{"field": "expires_in_hours", "message": f"between {MIN_HOURS} and {MAX_HOURS}"}])
    label = (label or "").strip() or None
    if label and len(label) > 200:
        raise Invalid("The label is longer than 200 characters: shorten it.",
                      errors=[{"field": "label", "message": "at most 200 characters"}])
    token = new_secret()
    link = ReviewLink(brand_id=proposal.brand_id, proposal_id=proposal.id, secret_hash=secret_digest(token), label=label,
                      created_by=actor.user.id, expires_at=utcnow() + timedelta(hours=expires_in_hours))
    session.add(link)
    await session.flush()
    record(session, brand_id=proposal.brand_id, actor_id=actor.user.id, action="review_link.created",
           subject_type="proposal", subject_id=proposal.id,
           after={"link_id": link.id, "label": label, "expires_at": link.expires_at.isoformat()})
    return link, token


async def list_links(session: AsyncSession, actor: Actor, proposal_id: str) -> list[ReviewLink]:
    """The review links of a proposal the actor may see, newest first (their tokens are not kept)."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    return list(await session.scalars(
        select(ReviewLink).where(ReviewLink.proposal_id == proposal.id).order_by(ReviewLink.created_at.desc())))


async def revoke_link(session: AsyncSession, actor: Actor, proposal_id: str, link_id: str) -> ReviewLink:
    """Stop a link of this proposal from working (revoking twice keeps the first time)."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    _check_creator(actor)
    link = await session.scalar(select(ReviewLink).where(ReviewLink.id == link_id, ReviewLink.proposal_id == proposal.id))
    if link is None:
        raise NotFound("No review link with id {id} on this proposal.", id=link_id)
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        record(session, brand_id=proposal.brand_id, actor_id=actor.user.id, action="review_link.revoked",
               subject_type="proposal", subject_id=proposal.id, after={"link_id": link.id, "label": link.label})
    await session.flush()
    return link


async def find_by_token(session: AsyncSession, token: str) -> tuple[ReviewLink, Proposal]:
    """The live link behind a token and its proposal; the same NotFound for unknown, expired and revoked tokens."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise NotFound(GONE)
    link = await session.scalar(select(ReviewLink).where(
        ReviewLink.secret_hash == secret_digest(token), ReviewLink.revoked_at.is_(None), ReviewLink.expires_at > utcnow()))
    proposal = await session.get(Proposal, link.proposal_id) if link is not None else None
    if link is None or proposal is None or proposal.brand_id != link.brand_id:
        raise NotFound(GONE)
    return link, proposal


async def record_use(session: AsyncSession, link: ReviewLink, action: str, outcome: dict[str, Any] | None = None) -> None:
    """Count and audit one use of a link (viewing it, approving, rejecting, or a refused attempt)."""
    # Counted in SQL: two people opening the same link at once both count.
    await session.execute(update(ReviewLink).where(ReviewLink.id == link.id).values(uses=ReviewLink.uses + 1)
                          .execution_options(synchronize_session=False))
    record(session, brand_id=link.brand_id, actor_id=None, action="review_link.used", subject_type="proposal",
           subject_id=link.proposal_id, after={"link_id": link.id, "label": link.label, "action": action, **(outcome or {})})


async def approve_with_link(session: AsyncSession, token: str, language: str = "en") -> Proposal:
    """Approve the link's own proposal as it is, in the name of the link."""
    link, proposal = await find_by_token(session, token)
    proposal = await proposals.approve(session, ReviewLinkActor(link, language), proposal)  # type: ignore[arg-type]
    await record_use(session, link, "approve", {"status": proposal.status})
    return proposal


async def reject_with_link(session: AsyncSession, token: str, reason: str, comment: str | None,
                           language: str = "en") -> Proposal:
    """Reject the link's own proposal with a reason, in the name of the link."""
    link, proposal = await find_by_token(session, token)
    if proposal.status != "pending":
        # A link decides once: cancelling an approval stays with the location's own people.
        raise Conflict("This proposal is already {status}: reload it to see its current state.", status=proposal.status)
    proposal = await proposals.reject(session, ReviewLinkActor(link, language), proposal, reason, comment)  # type: ignore[arg-type]
    await record_use(session, link, "reject", {"status": proposal.status, "reason": reason})
    return proposal


def link_read(link: ReviewLink, url: str | None = None) -> dict[str, Any]:
    """A link as the API shows it; `url` (with the token) only right after creation."""
    body = {
        "id": link.id, "proposal_id": link.proposal_id, "label": link.label, "created_by": link.created_by,
        "created_at": link.created_at, "expires_at": link.expires_at, "revoked_at": link.revoked_at, "uses": link.uses,
        "active": link.revoked_at is None and link.expires_at > utcnow(),
    }
    if url is not None:
        body["url"] = url
    return body
