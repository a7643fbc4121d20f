"""Request dependencies: the database session, the acting user, CSRF."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import service as accounts
from hub.accounts.actor import Actor
from hub.accounts.security import same
from hub.errors import Forbidden, Unauthorized
from hub.i18n import pick_language

SESSION_COOKIE = "pieuvre_session"


def client_address(request: Request) -> str:
    """The address the request came from (behind a trusted proxy, the one it forwarded)."""
    return request.client.host if request.client else "unknown"


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session committed when the route returns, before the response leaves."""
    async with request.app.state.database.session() as session:
        yield session


# scope="function": commit before the response is sent, so a client that reads right after
# a write sees it.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def api_actor(request: Request, session: SessionDep) -> Actor:
    """The user behind the bearer token of an API call."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    language = pick_language(request.headers.get("Accept-Language"))
    request.state.language = language
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("Send an 'Authorization: Bearer <token>' header; get a token from POST /api/v1/auth/token.")
    found = await accounts.find_session(session, secret.strip(), "api")
    if found is None:
        raise Unauthorized("This token is unknown or expired: get a new one from POST /api/v1/auth/token.")
    actor = await accounts.actor_for(session, found[0], language)
    request.state.actor = actor
    return actor


ApiActor = Annotated[Actor, Depends(api_actor)]


class LoginRequired(Exception):
    """The page needs a logged-in user; the handler redirects to the login page."""


async def page_actor(request: Request, session: SessionDep) -> Actor:
    """The user behind the session cookie of a page request."""
    secret = request.cookies.get(SESSION_COOKIE)
    found = await accounts.find_session(session, secret, "web") if secret else None
    if found is None:
        raise LoginRequired()
    user, web_session = found
    language = pick_language(request.headers.get("Accept-Language"), request.cookies.get("lang") or user.ui_language)
    actor = await accounts.actor_for(session, user, language)
    request.state.actor = actor
    request.state.language = language
    request.state.csrf_token = web_session.csrf_token
    return actor


PageActor = Annotated[Actor, Depends(page_actor)]


async def csrf_checked(request: Request, actor: PageActor) -> Actor:
    """A page actor whose state-changing request carries the session's CSRF token."""
    sent = request.headers.get("X-CSRF-Token")
    if not sent:
        # Starlette keeps this first parse: allow forms as large as the brand kit's (500 banned terms).
        form = await request.form(max_fields=5000)
        sent = str(form.get("csrf_token") or "")
    if not sent or not same(sent, request.state.csrf_token):
        raise Forbidden("This form has expired or did not come from Pieuvre: reload the page and try again.")
    return actor


FormActor = Annotated[Actor, Depends(csrf_checked)]


def require_hq(actor: Actor) -> None:
    """Only HQ admins and editors may do this."""
    if not actor.is_hq:
        raise Forbidden("Only HQ (hq_admin or hq_editor) can do this.")


def require_brand(actor: Actor) -> str:
    """The brand the actor acts for; 403 for users without one."""
    if not actor.brand_id:
        raise Forbidden("Your account belongs to no brand: ask the deployment admin to add you to one.")
    return actor.brand_id
