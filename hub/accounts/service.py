"""Logging in, sessions and API tokens, and creating users."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.accounts.models import ROLES, AuthSession, Membership, User
from hub.accounts.security import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_secret,
    secret_digest,
    verify_password,
)
from hub.db import utcnow
from hub.errors import Conflict, Invalid, Unauthorized

API_TOKEN_DAYS = 30
# One @, no spaces, and a domain with at least one dot between non-empty labels.
EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def normalize_email(email: str) -> str:
    return email.strip().lower()


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    """The user with this e-mail and password; Unauthorized otherwise (same answer for both mistakes)."""
    user = await session.scalar(select(User).where(User.email == normalize_email(email)))
    if not verify_password(user.password_hash if user else None, password):
        raise Unauthorized("Wrong e-mail or password: check both and try again.")
    return user  # type: ignore[return-value]


async def open_session(session: AsyncSession, user: User, kind: str, days: int) -> tuple[str, AuthSession]:
    """Start a web session or issue an API token; returns the secret (shown once) and its row."""
    secret = new_secret()
    row = AuthSession(
        user_id=user.id, kind=kind, secret_hash=secret_digest(secret),
        csrf_token=new_secret() if kind == "web" else "",
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    await session.flush()
    return secret, row


async def find_session(session: AsyncSession, secret: str, kind: str) -> tuple[User, AuthSession] | None:
    """The user and session behind a cookie or bearer secret, if valid and unexpired."""
    # One round trip: every page and API call starts here.
    found = (await session.execute(
        select(User, AuthSession).join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.secret_hash == secret_digest(secret), AuthSession.kind == kind,
               AuthSession.expires_at > utcnow())
    )).first()
    return (found[0], found[1]) if found else None


async def close_session(session: AsyncSession, secret: str) -> None:
    """End a session: its cookie stops working at once."""
    await session.execute(delete(AuthSession).where(AuthSession.secret_hash == secret_digest(secret)))


async def close_api_tokens(session: AsyncSession, user_id: str) -> int:
    """End every API token of a user at once (one leaked, even one they no longer hold); how many."""
    result = await session.execute(delete(AuthSession).where(AuthSession.user_id == user_id,
                                                             AuthSession.kind == "api"))
    return result.rowcount


async def actor_for(session: AsyncSession, user: User, language: str) -> Actor:
    """The Actor of a user: their (first) brand membership and role."""
    membership = await session.scalar(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.created_at).limit(1)
    )
    # Detached copies: a request that fails and rolls back must still know who is asking
    # (its error page shows the user), and nothing writes to these rows through the actor.
    for row in (user, membership):
        if row is not None:
            session.expunge(row)
    return Actor(user=user, membership=membership, language=language)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "The password must have at least {n} characters.", n=MIN_PASSWORD_LENGTH,
            errors=[{"field": "password", "message": f"at least {MIN_PASSWORD_LENGTH} characters"}],
        )


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str = "",
    is_deployment_admin: bool = False,
    ui_language: str | None = None,
) -> User:
    """A new user; Conflict when the e-mail is taken."""
    email = normalize_email(email)
    if not EMAIL.fullmatch(email):
        raise Invalid("'{email}' is not an e-mail address.", email=email,
                      errors=[{"field": "email", "message": "not an e-mail address"}])
    check_password(password)
    if await session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("A user with the e-mail {email} already exists.", email=email)
    user = User(email=email, name=name, password_hash=hash_password(password),
                is_deployment_admin=is_deployment_admin, ui_language=ui_language)
    session.add(user)
    await session.flush()
    return user


async def add_membership(
    session: AsyncSession, user: User, brand_id: str, role: str,
    location_ids: list[str] | None = None, regions: list[str] | None = None,
) -> Membership:
    """Give a user a role in a brand."""
    if role not in ROLES:
        raise Invalid("Unknown role '{role}': use one of {roles}.", role=role, roles=", ".join(ROLES),
                      errors=[{"field": "role", "message": f"one of {', '.join(ROLES)}"}])
    membership = Membership(user_id=user.id, brand_id=brand_id, role=role,
                            location_ids=location_ids or [], regions=regions or [])
    session.add(membership)
    await session.flush()
    return membership


async def ensure_bootstrap_admin(session: AsyncSession, email: str | None, password: str | None) -> User | None:
    """Create the deployment admin named by the settings, once."""
    if not email or not password:
        return None
    existing = await session.scalar(select(User).where(User.email == normalize_email(email)))
    if existing:
        return None
    return await create_user(session, email=email, password=password, name="Admin", is_deployment_admin=True)


def describe_user(actor: Actor) -> dict[str, Any]:
    """The user as `GET /me` shows it."""
    return {
        "id": actor.user.id,
        "email": actor.user.email,
        "name": actor.user.name,
        "is_deployment_admin": actor.user.is_deployment_admin,
        "brand_id": actor.brand_id,
        "role": actor.role,
        "scope": {"location_ids": actor.location_ids, "regions": actor.regions},
    }
