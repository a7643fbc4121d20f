"""The public review page behind a signed link: the proposal's previews, approve, or reject with a reason."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.security import new_secret, same
from hub.deps import SessionDep
from hub.errors import HubError, NotFound
from hub.i18n import Translator
from hub.locations.models import Location
from hub.media import service as media
from hub.media.storage import get_storage
from hub.proposals import service as proposals
from hub.proposals.models import GOING_OUT, Proposal
from hub.queue import discard_pending
from hub.reviews import service as reviews
from hub.reviews.models import ReviewLink
from hub.templating import render
from hub.web.pages import _ensure_language

router = APIRouter(include_in_schema=False)

REVIEW_CSRF_COOKIE = "pieuvre_review_csrf"
REVIEW_CSRF_SECONDS = 3600


def _private(response: Response) -> Response:
    # The token is in the URL: keep it out of caches, other sites' Referer headers and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _gone(request: Request) -> Response:
    """The one answer for unknown, expired and revoked tokens, so tokens cannot be probed."""
    language = _ensure_language(request)
    message = Translator(language)(reviews.GONE)
    return _private(render(request, "reviews/gone.html", {"message": message}, status_code=404))


async def _page(request: Request, session: AsyncSession, token: str, link: ReviewLink, proposal: Proposal, *,
                error: str = "", drafts: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """The review page with its double-submit CSRF token (a cookie and the same value in each form)."""
    _ensure_language(request)
    location = await session.get(Location, proposal.location_id)
    revision = await proposals.revision_of(session, proposal)
    csrf = request.cookies.get(REVIEW_CSRF_COOKIE) or ""
    if len(csrf) < 32:
        csrf = new_secret()
    response = render(request, "reviews/review.html", {
        "token": token, "link": link, "proposal": proposal, "location": location,
        "has_image": bool(revision is not None and revision.image), "going_out": GOING_OUT,
        "review_token": csrf, "error": error, "drafts": drafts or {},
    }, status_code=status_code)
    response.set_cookie(REVIEW_CSRF_COOKIE, csrf, max_age=REVIEW_CSRF_SECONDS, path="/review", httponly=True,
                        samesite="strict", secure=request.app.state.settings.cookie_secure)
    return _private(response)


async def _live(session: AsyncSession, token: str) -> tuple[ReviewLink, Proposal] | None:
    try:
        return await reviews.find_by_token(session, token)
    except NotFound:
        return None


def _csrf_ok(request: Request, form: Any) -> bool:
    cookie = request.cookies.get(REVIEW_CSRF_COOKIE) or ""
    sent = str(form.get("csrf_token") or "")
    return bool(cookie and sent and same(cookie, sent))


@router.get("/review/{token}")
async def review_page(request: Request, token: str, session: SessionDep) -> Response:
    """What the proposal looks like on each network, and the two decisions the link allows."""
    found = await _live(session, token)
    if found is None:
        return _gone(request)
    link, proposal = found
    await reviews.record_use(session, link, "view")
    return await _page(request, session, token, link, proposal)


@router.get("/review/{token}/images/{network}.jpg")
async def review_image(request: Request, token: str, network: str, session: SessionDep) -> Response:
    """The proposal's image on a network, for the review page."""
    found = await _live(session, token)
    if found is None:
        return _gone(request)
    _link, proposal = found
    data, _key = await media.proposal_image(session, get_storage(request.app.state.settings), proposal, network)
    return _private(Response(data, media_type="image/jpeg"))


async def _decide(request: Request, session: AsyncSession, token: str, decision: str) -> Response:
    found = await _live(session, token)
    if found is None:
        return _gone(request)
    link, proposal = found
    form = await request.form()
    drafts = {"reason": str(form.get("reason") or "").strip(), "comment": str(form.get("comment") or "").strip()}
    _ = Translator(_ensure_language(request))
    if not _csrf_ok(request, form):
        return await _page(request, session, token, link, proposal, drafts=drafts, status_code=403,
                           error=_("This form has expired or did not come from Pieuvre: reload the page and try again."))
    try:
        if decision == "approve":
            await reviews.approve_with_link(session, token, _.language)
        else:
            await reviews.reject_with_link(session, token, drafts["reason"], drafts["comment"] or None, _.language)
    except HubError as error:
        # Forget the refused decision, but keep a trace of the attempt.
        await session.rollback()
        discard_pending(session)
        found = await _live(session, token)
        if found is None:
            return _gone(request)
        link, proposal = found
        await reviews.record_use(session, link, decision, {"refused": error.message})
        status_code = 422 if error.status_code in (400, 422) else error.status_code
        return await _page(request, session, token, link, proposal, drafts=drafts, status_code=status_code,
                           error=_(error.message, **error.values))
    return _private(RedirectResponse(f"/review/{token}", status_code=303))


@router.post("/review/{token}/approve")
async def review_approve(request: Request, token: str, session: SessionDep) -> Response:
    """Approve the proposal as it is, in the name of the link."""
    return await _decide(request, session, token, "approve")


@router.post("/review/{token}/reject")
async def review_reject(request: Request, token: str, session: SessionDep) -> Response:
    """Reject the proposal with a reason (and an optional comment), in the name of the link."""
    return await _decide(request, session, token, "reject")
