"""X end to end: OAuth with PKCE in the UI, then the cron rotating its single-use refresh tokens."""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select, update

from hub.accounts.security import settings_token_cipher
from hub.db import utcnow
from hub.publishing import accounts
from hub.publishing.connectors.base import decrypt_token
from hub.publishing.models import OAuthGrant, SocialAccount
from hub.webhooks.models import Webhook, WebhookDelivery
from tests.accounts.conftest import network_redirect, pointed_at, query_of
from tests.factories import make_network
from tests.standins.x import XStandIn
from workers.accounts import refresh_tokens


@contextmanager
def x_network(settings, **extra):
    """The X stand-in with one user (@velolyon, id 42) who consents to the connection."""
    with XStandIn() as standin, pointed_at(settings, x_api_url=standin.url, x_oauth_url=standin.url,
                                           x_client_id=standin.client_id, x_client_secret=standin.client_secret,
                                           **extra):
        standin.users["42"] = "velolyon"
        standin.consent_accounts = {"42"}
        yield standin


async def _connect_x(database, settings, web_client, network, standin):
    """Connect the first location's X account through the UI; the account."""
    hq = await web_client(network.hq_email)
    start = await hq.get(f"/locations/{network.locations[0].id}/accounts/connect/x")
    assert start.status_code == 303
    params = query_of(start.headers["location"])
    assert params["code_challenge_method"] == "S256" and "offline.access" in params["scope"].split()
    answer = await hq.get(await network_redirect(start.headers["location"]))
    assert answer.status_code == 303, answer.text
    async with database.session() as session:
        return await session.scalar(select(SocialAccount))


async def _due_now(database, account_id):
    """Make the account's token expire in five minutes (within token_refresh_ahead)."""
    async with database.session() as session:
        await session.execute(update(SocialAccount).where(SocialAccount.id == account_id).values(
            expires_at=utcnow() + timedelta(minutes=5), refreshed_at=None))


async def test_x_connects_with_pkce_the_network_verifies(database, settings, web_client):
    network = await make_network(database, settings, locations=1, networks=())
    with x_network(settings) as standin:
        account = await _connect_x(database, settings, web_client, network, standin)
        assert (account.network, account.external_id, account.display_name) == ("x", "42", "@velolyon")
        token = standin.tokens[decrypt_token(settings, account.access_token_encrypted)]
        assert token.usable() and token.accounts == {"42"}
        assert decrypt_token(settings, account.refresh_token_encrypted) == token.refresh_token
        assert "tweet.write" in account.scopes.split()
        # The verifier was sent with the code (the stand-in refuses a code without the right one).
        [token_call] = [r for r in standin.requests if (r.get("form") or {}).get("grant_type") == "authorization_code"]
        assert len(token_call["form"]["code_verifier"]) >= 43
        async with database.session() as session:
            [grant] = await session.scalars(select(OAuthGrant))
        assert grant.status == "done" and grant.code_verifier_encrypted == ""


async def test_the_cron_rotates_x_refresh_tokens_once_even_when_run_twice(database, settings, web_client):
    network = await make_network(database, settings, locations=1, networks=())
    with x_network(settings) as standin:
        account = await _connect_x(database, settings, web_client, network, standin)
        old_refresh = decrypt_token(settings, account.refresh_token_encrypted)
        await _due_now(database, account.id)
        # Two workers at once: one spends the single-use refresh token, the other leaves it alone.
        outcomes = await asyncio.gather(accounts.refresh_account(database, settings, account.id),
                                        accounts.refresh_account(database, settings, account.id))
        assert sorted(outcomes) == ["refreshed", "skipped"]
        async with database.session() as session:
            renewed = await session.get(SocialAccount, account.id)
        new_refresh = decrypt_token(settings, renewed.refresh_token_encrypted)
        assert renewed.status == "active" and new_refresh != old_refresh
        assert standin.token_by_refresh(old_refresh) is None  # X rotated it: the old one is dead
        assert standin.token_by_refresh(new_refresh) is not None
        assert standin.tokens[decrypt_token(settings, renewed.access_token_encrypted)].usable()
        assert renewed.expires_at > utcnow() + timedelta(hours=1)

        # And the next rotation uses the stored new refresh token.
        await _due_now(database, account.id)
        assert (await refresh_tokens({"database": database, "settings": settings}))["refreshed"] == 1


async def test_a_refused_refresh_marks_x_expired_and_tells_once(database, settings, web_client, smtp_server):
    host, port, inbox = smtp_server
    network = await make_network(database, settings, locations=1, networks=())
    async with database.session() as session:
        session.add(Webhook(brand_id=network.brand_id, url="https://hooks.example.com/p", events=["account.broken"],
                            secret_encrypted=settings_token_cipher(settings).encrypt(b"s" * 20).decode()))
    with x_network(settings, smtp_host=host, smtp_port=port) as standin:
        account = await _connect_x(database, settings, web_client, network, standin)
        standin.revoke(decrypt_token(settings, account.access_token_encrypted))  # the user revoked the app
        await _due_now(database, account.id)
        first = await refresh_tokens({"database": database, "settings": settings})
        second = await refresh_tokens({"database": database, "settings": settings})
    assert (first["broken"], first["notified"], second["notified"]) == (1, 1, 0)
    async with database.session() as session:
        broken = await session.get(SocialAccount, account.id)
        deliveries = list(await session.scalars(select(WebhookDelivery)))
    assert broken.status == "expired" and "reconnect the X account" in broken.status_detail
    assert sorted(m["To"] for m in inbox.messages) == sorted([network.hq_email,
                                                              network.local_emails[network.locations[0].id]])
    assert [d.event for d in deliveries] == ["account.broken"]
