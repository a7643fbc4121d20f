"""Login throttling: failed logins are counted per e-mail and per client address; past the limit, 429.

The counters live in Redis rather than in the database: they matter for one window only, every web
replica must see the same count, and losing them (a Redis restart) only gives an attacker a fresh
window — no work and no truth is lost, as with the jobs Redis carries. An attacker's guesses write
nothing to the database either. Each counter starts at the first failure and expires with its window.

A throttled attempt is refused before its password is checked: it costs no argon2 time and tells
nothing about the password. A success clears the e-mail's failures (not the address's: one valid
account must not reset an address that guesses others). When Redis cannot be reached, logins go on
unthrottled and the fact is logged: locking everyone out would be worse than a few minutes without
the brake.
"""

from __future__ import annotations

import hashlib
import logging
import math

from redis import exceptions as redis_errors
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts import service as accounts
from hub.accounts.models import User
from hub.config import Settings, parse_duration
from hub.errors import HubError, Unauthorized
from hub.i18n import N_
from hub.queue import get_pool

log = logging.getLogger("pieuvre.accounts")

TOO_MANY = N_("Too many failed logins for this account or from your network: try again in {minutes} min.")


class TooManyLogins(HubError):
    """This e-mail or this address used up its failed logins; `retry_after` says in how many seconds."""

    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(TOO_MANY, minutes=max(1, math.ceil(retry_after / 60)))
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


def _account_key(email: str) -> str:
    # The e-mail is hashed: Redis needs to tell accounts apart, not to know who they are.
    return "pieuvre:login-failures:account:" + hashlib.sha256(accounts.normalize_email(email).encode()).hexdigest()


def _counters(settings: Settings, email: str, address: str) -> list[tuple[str, int]]:
    """Each counter a login attempt is held to, with its limit."""
    return [(_account_key(email), settings.login_failures_per_account),
            (f"pieuvre:login-failures:address:{address}", settings.login_failures_per_address)]


async def check(settings: Settings, email: str, address: str) -> None:
    """TooManyLogins while this e-mail or this address has no failed login left in its window."""
    try:
        redis = await get_pool(settings.redis_url)
        for key, limit in _counters(settings, email, address):
            failures = await redis.get(key)
            if failures is not None and int(failures) >= limit:
                raise TooManyLogins(max(1, await redis.ttl(key)))
    except (redis_errors.RedisError, OSError) as error:
        log.warning("accounts.throttle_unavailable error=%s", error)


async def record_failure(settings: Settings, email: str, address: str) -> None:
    """Count a failed login against the e-mail and the address."""
    window = int(parse_duration(settings.login_throttle_window).total_seconds())
    try:
        redis = await get_pool(settings.redis_url)
        async with redis.pipeline(transaction=True) as pipeline:
            for key, _limit in _counters(settings, email, address):
                # The window starts at the first failure; INCR keeps the expiry SET gave.
                pipeline.set(key, 0, ex=window, nx=True)
                pipeline.incr(key)
            await pipeline.execute()
    except (redis_errors.RedisError, OSError) as error:
        log.warning("accounts.throttle_unavailable error=%s", error)


async def forget(settings: Settings, email: str) -> None:
    """Clear the e-mail's failures after a successful login."""
    try:
        redis = await get_pool(settings.redis_url)
        await redis.delete(_account_key(email))
    except (redis_errors.RedisError, OSError) as error:
        log.warning("accounts.throttle_unavailable error=%s", error)


async def authenticate(session: AsyncSession, settings: Settings, email: str, password: str, address: str) -> User:
    """The user with this e-mail and password, as accounts.authenticate, with failures counted:
    TooManyLogins (429) once the e-mail or the address `address` used up its failed logins."""
    await check(settings, email, address)
    try:
        user = await accounts.authenticate(session, email, password)
    except Unauthorized:
        await record_failure(settings, email, address)
        log.info("accounts.login_failed address=%s", address)
        raise
    await forget(settings, email)
    return user
