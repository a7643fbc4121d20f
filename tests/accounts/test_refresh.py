"""Tokens refreshed ahead of expiry by the cron; broken accounts told to their location and HQ once."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select, update

from hub.accounts.security import settings_token_cipher
from hub.db import utcnow
from hub.locations.models import Location
from hub.publishing import accounts
from hub.publishing.connectors.base import decrypt_token
from hub.publishing.models import SocialAccount
from hub.publishing.service import connect_account
from hub.webhooks.models import Webhook, WebhookDelivery
from tests.accounts.conftest import consent, pointed_at
from tests.factories import PASSWORD, make_network
from tests.standins.facebook import FacebookStandIn
from tests.standins.google import READONLY_SCOPE, UPLOAD_SCOPE, YouTubeStandIn
from workers.accounts import refresh_tokens


@contextmanager
def youtube(settings, **extra):
    with YouTubeStandIn() as standin, pointed_at(settings, youtube_api_url=standin.url, google_oauth_url=standin.url,
                                                 google_token_url=standin.url, google_client_id=standin.client_id,
                                                 google_client_secret=standin.client_secret, **extra):
        standin.add_channel("UC1", "Vélo TV")
        yield standin


async def _youtube_account(database, settings, standin, network, expires_in=600):
    """The first location's YouTube account, with a token (and refresh token) the stand-in issued."""
    token = standin.issue_token({"UC1"}, {UPLOAD_SCOPE, READONLY_SCOPE}, expires_in, refresh=True)
    async with database.session() as session:
        location = await session.get(Location, network.locations[0].id)
        account, _ = await connect_account(session, settings, location, network="youtube", external_id="UC1",
                                        access_token=token.value, refresh_token=token.refresh_token,
                                        expires_at=utcnow() + timedelta(seconds=expires_in), display_name="Vélo TV")
    return account, token


async def _account(database, account_id):
    async with database.session() as session:
        return await session.get(SocialAccount, account_id)


async def _subscribe(database, settings, brand_id):
    """A webhook of the brand subscribed to account.broken (its deliveries are the outbox rows)."""
    async with database.session() as session:
        session.add(Webhook(brand_id=brand_id, url="https://hooks.example.com/pieuvre", events=["account.broken"],
                            secret_encrypted=settings_token_cipher(settings).encrypt(b"s" * 20).decode()))


async def _deliveries(database):
    async with database.session() as session:
        return list(await session.scalars(select(WebhookDelivery)))


class TestRefresh:
    async def test_the_cron_renews_a_token_expiring_soon(self, database, settings):
        network = await make_network(database, settings, locations=1, networks=())
        with youtube(settings) as standin:
            account, old = await _youtube_account(database, settings, standin, network)
            counts = await refresh_tokens({"database": database, "settings": settings})
            assert counts["refreshed"] == 1
            renewed = await _account(database, account.id)
            new_value = decrypt_token(settings, renewed.access_token_encrypted)
            assert new_value != old.value and standin.tokens[new_value].usable()
            assert renewed.expires_at > utcnow() + timedelta(minutes=50) and renewed.refreshed_at is not None
            assert decrypt_token(settings, renewed.refresh_token_encrypted) == old.refresh_token  # Google keeps it
            # Not due any more: a second run leaves it alone.
            again = await refresh_tokens({"database": database, "settings": settings})
            assert again.get("refreshed", 0) == 0
            assert (await _account(database, account.id)).access_token_encrypted == renewed.access_token_encrypted

    async def test_tokens_far_from_expiry_are_left_alone(self, database, settings):
        network = await make_network(database, settings, locations=1, networks=())
        with youtube(settings) as standin:
            account, _ = await _youtube_account(database, settings, standin, network, expires_in=3 * 3600)
            assert (await refresh_tokens({"database": database, "settings": settings})).get("refreshed", 0) == 0
            with pointed_at(settings, token_refresh_ahead="4h"):
                assert (await refresh_tokens({"database": database, "settings": settings}))["refreshed"] == 1

    async def test_a_dead_refresh_token_marks_the_account_and_tells_once(self, database, settings, smtp_server,
                                                                         web_client):
        host, port, inbox = smtp_server
        network = await make_network(database, settings, locations=2, networks=())
        location = network.locations[0]
        await _subscribe(database, settings, network.brand_id)
        with youtube(settings, smtp_host=host, smtp_port=port) as standin:
            account, token = await _youtube_account(database, settings, standin, network)
            standin.expire_refresh_token(token.refresh_token)
            counts = await refresh_tokens({"database": database, "settings": settings})
            assert counts["broken"] == 1 and counts["notified"] == 1
            broken = await _account(database, account.id)
            assert broken.status == "expired" and "reconnect" in broken.status_detail
            assert broken.broken_notified_at is not None
            # One e-mail to the location's local manager and one to the HQ admin; the other location's manager hears nothing.
            assert sorted(m["To"] for m in inbox.messages) == sorted([network.local_emails[location.id], network.hq_email])
            mail = inbox.to(network.hq_email)[0]
            assert "YouTube" in mail["Subject"]
            assert f"http://testserver/locations/{location.id}/accounts" in mail.get_body(("plain",)).get_content()
            [delivery] = await _deliveries(database)
            assert delivery.event == "account.broken"
            assert delivery.payload["account_id"] == account.id and delivery.payload["status"] == "expired"
            assert token.value not in str(delivery.payload) and token.refresh_token not in str(delivery.payload)

            # The next runs tell nobody again.
            await refresh_tokens({"database": database, "settings": settings})
            await accounts.notify_broken(database, settings)
            assert len(inbox.messages) == 2 and len(await _deliveries(database)) == 1

            # Reconnecting makes it active and clears the notice, so a later breakage is told again.
            standin.consent_accounts = {"UC1"}
            hq = await web_client(network.hq_email)
            assert (await consent(hq, location.id, "youtube")).status_code == 303
            back = await _account(database, account.id)
            assert (back.status, back.broken_notified_at) == ("active", None)

    async def test_an_account_broken_while_publishing_is_told_too(self, database, settings, smtp_server):
        host, port, inbox = smtp_server
        network = await make_network(database, settings, locations=1, networks=())
        await _subscribe(database, settings, network.brand_id)
        with youtube(settings, smtp_host=host, smtp_port=port) as standin:
            account, _ = await _youtube_account(database, settings, standin, network, expires_in=3 * 3600)
            # What hub/publishing/service.py does when create_post raises AccountBroken.
            async with database.session() as session:
                await session.execute(update(SocialAccount).where(SocialAccount.id == account.id).values(
                    status="missing_permission", status_detail="YouTube refused: reconnect and grant upload."))
            counts = await refresh_tokens({"database": database, "settings": settings})
            assert counts["notified"] == 1
            assert len(inbox.messages) == 2
            assert "grant upload" in inbox.messages[0].get_body(("plain",)).get_content()
            assert (await refresh_tokens({"database": database, "settings": settings}))["notified"] == 0
            assert len(inbox.messages) == 2 and len(await _deliveries(database)) == 1

    async def test_french_managers_read_it_in_french(self, database, settings, smtp_server):
        host, port, inbox = smtp_server
        network = await make_network(database, settings, locations=1, networks=())
        with youtube(settings, smtp_host=host, smtp_port=port) as standin:
            account, token = await _youtube_account(database, settings, standin, network)
            standin.expire_refresh_token(token.refresh_token)
            await refresh_tokens({"database": database, "settings": settings})
        # Users without a UI language read notices in French (the digest's rule).
        assert inbox.messages and all("doit être reconnecté" in m["Subject"] for m in inbox.messages)


class TestSecrecy:
    async def test_no_token_in_pages_api_answers_or_logs(self, database, settings, web_client, client_as, caplog):
        caplog.set_level(logging.DEBUG)
        network = await make_network(database, settings, locations=1, networks=())
        location = network.locations[0]
        with youtube(settings) as standin:
            standin.consent_accounts = {"UC1"}
            hq = await web_client(network.hq_email)
            assert (await consent(hq, location.id, "youtube")).status_code == 303
            async with database.session() as session:
                await session.execute(update(SocialAccount).values(expires_at=utcnow() + timedelta(minutes=5),
                                                                   refreshed_at=None))
            assert (await refresh_tokens({"database": database, "settings": settings}))["refreshed"] == 1
            secrets = {value for value in standin.tokens} | {t.refresh_token for t in standin.tokens.values()
                                                             if t.refresh_token}
            api = await client_as(network.hq_email, PASSWORD)
            answers = [
                (await hq.get(f"/locations/{location.id}/accounts")).text,
                (await hq.get("/network")).text,
                (await api.get(f"/api/v1/locations/{location.id}/accounts")).text,
            ]
        assert len(secrets) >= 3  # the first access token, its refresh token, the renewed access token
        listed = (await api.get(f"/api/v1/locations/{location.id}/accounts")).json()
        assert [item["network"] for item in listed] == ["youtube"] and listed[0]["health"] == "active"
        for secret in secrets:
            assert secret not in caplog.text
            assert all(secret not in answer for answer in answers)
        assert "accounts.refreshed" in caplog.text  # the logs were captured

    async def test_facebook_connection_logs_no_token(self, database, settings, web_client, caplog):
        caplog.set_level(logging.DEBUG)
        network = await make_network(database, settings, locations=1, networks=())
        with FacebookStandIn() as standin, pointed_at(settings, facebook_api_url=standin.url,
                                                      facebook_oauth_url=standin.url,
                                                      facebook_client_id=standin.client_id,
                                                      facebook_client_secret=standin.client_secret):
            standin.add_page("p1", "Vélo Lyon")
            standin.consent_accounts = {"p1"}
            hq = await web_client(network.hq_email)
            assert (await consent(hq, network.locations[0].id, "facebook")).status_code == 303
            secrets = set(standin.tokens)
        for secret in secrets:
            assert secret not in caplog.text
