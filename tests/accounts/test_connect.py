"""Connecting a location's accounts through the networks' OAuth, from the location's accounts page."""

from __future__ import annotations

import hashlib
import html
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import func, select, update

from hub.audit.models import AuditEvent
from hub.db import utcnow
from hub.publishing.connectors.base import decrypt_token
from hub.publishing.models import OAuthGrant, SocialAccount
from tests.accounts.conftest import consent, csrf_of, network_redirect, pointed_at, query_of
from tests.factories import PASSWORD, make_network
from tests.standins.facebook import FacebookStandIn
from tests.standins.google import YouTubeStandIn


@contextmanager
def facebook(settings, **pages: str):
    """The Facebook stand-in with these Pages (id=name), the user consenting to all of them."""
    with FacebookStandIn() as standin, pointed_at(settings, facebook_api_url=standin.url,
                                                  facebook_oauth_url=standin.url,
                                                  facebook_client_id=FacebookStandIn.client_id,
                                                  facebook_client_secret=FacebookStandIn.client_secret):
        for page_id, name in pages.items():
            standin.add_page(page_id, name)
        standin.consent_accounts = set(pages)
        yield standin


async def _accounts(database, location_id):
    async with database.session() as session:
        return list(await session.scalars(select(SocialAccount).where(SocialAccount.location_id == location_id)))


async def _grants(database):
    async with database.session() as session:
        return list(await session.scalars(select(OAuthGrant)))


class TestFacebook:
    async def test_several_pages_ask_which_one_then_connect_its_page_token(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1, networks=())
        location = network.locations[0]
        with facebook(settings, p111="Vélo Lyon", p222="Vélo Nantes") as standin:
            hq = await web_client(network.hq_email)
            answer = await consent(hq, location.id, "facebook")
            assert answer.status_code == 303 and answer.headers["location"].startswith("/accounts/oauth/grants/")
            [grant] = await _grants(database)
            assert grant.status == "authorized" and grant.tokens_encrypted
            assert {t["external_id"] for t in grant.targets} == {"p111", "p222"}
            page_tokens = [value for value, token in standin.tokens.items() if token.accounts == {"p222"}]
            assert page_tokens and all(value not in str(grant.targets) for value in page_tokens)

            page = await hq.get(answer.headers["location"])
            assert page.status_code == 200
            assert page.text.count('type="radio" name="external_id"') == 2
            assert "Vélo Lyon" in page.text and "Vélo Nantes" in page.text
            # The choice is a form like the others: without its CSRF token, nothing happens.
            refused = await hq.post(answer.headers["location"], data={"external_id": "p222"})
            assert refused.status_code == 403
            assert await _accounts(database, location.id) == []

            chosen = await hq.post(answer.headers["location"],
                                   data={"external_id": "p222", "csrf_token": csrf_of(page.text)})
            assert chosen.status_code == 303
            [account] = await _accounts(database, location.id)
            assert (account.network, account.external_id, account.display_name) == ("facebook", "p222", "Vélo Nantes")
            # The Page's own token (it publishes as the Page), usable on the stand-in and only for that Page.
            stored = standin.tokens[decrypt_token(settings, account.access_token_encrypted)]
            assert stored.accounts == {"p222"} and stored.usable() and account.expires_at is None
            assert chosen.headers["location"] == f"/locations/{location.id}/accounts?connected={account.id}"
            shown = await hq.get(chosen.headers["location"])
            assert "Connected: Vélo Nantes on Facebook." in shown.text
            [grant] = await _grants(database)
            assert grant.status == "done" and grant.tokens_encrypted == ""
            # The grant is used up: choosing again is refused.
            again = await hq.post(answer.headers["location"], data={"external_id": "p111", "csrf_token": csrf_of(page.text)})
            assert again.status_code == 400
        async with database.session() as session:
            [event] = await session.scalars(select(AuditEvent).where(AuditEvent.action == "account.connected"))
        assert event.subject_id == account.id and event.after["external_id"] == "p222"

    async def test_one_page_connects_at_once_and_reconnecting_reactivates_it(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1, networks=())
        location = network.locations[0]
        with facebook(settings, p111="Vélo Lyon") as standin:
            hq = await web_client(network.hq_email)
            answer = await consent(hq, location.id, "facebook")
            assert answer.status_code == 303 and "connected=" in answer.headers["location"]
            [account] = await _accounts(database, location.id)
            first_token = decrypt_token(settings, account.access_token_encrypted)
            async with database.session() as session:
                await session.execute(update(SocialAccount).values(
                    status="revoked", status_detail="Facebook access was withdrawn", broken_notified_at=utcnow()))
            page = await hq.get(f"/locations/{location.id}/accounts")
            assert 'data-testid="reconnect"' in page.text and "Facebook access was withdrawn" in page.text

            again = await consent(hq, location.id, "facebook")
            assert again.status_code == 303
            [reconnected] = await _accounts(database, location.id)
            assert reconnected.id == account.id
            assert (reconnected.status, reconnected.status_detail, reconnected.broken_notified_at) == ("active", "", None)
            new_token = decrypt_token(settings, reconnected.access_token_encrypted)
            assert new_token != first_token and standin.tokens[new_token].usable()
        async with database.session() as session:
            actions = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.created_at)))
        assert actions == ["account.connected", "account.reconnected"]

    async def test_no_page_says_what_is_missing(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1, networks=())
        with facebook(settings) as standin:
            standin.add_page("p9", "Not mine", tasks=["ANALYZE"])  # the user may not create content there
            standin.consent_accounts = {"p9"}
            hq = await web_client(network.hq_email)
            answer = await consent(hq, network.locations[0].id, "facebook")
        assert answer.status_code == 400
        assert "Facebook Page" in answer.text and "pages_manage_posts" in answer.text
        assert await _accounts(database, network.locations[0].id) == []
        [grant] = await _grants(database)
        assert grant.status == "failed"

    async def test_access_denied_on_the_consent_page(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1, networks=())
        with facebook(settings, p111="Vélo Lyon"):
            hq = await web_client(network.hq_email)
            start = await hq.get(f"/locations/{network.locations[0].id}/accounts/connect/facebook")
            state = query_of(start.headers["location"])["state"]
            answer = await hq.get("/accounts/oauth/callback/facebook", params={
                "error": "access_denied", "error_reason": "user_denied", "state": state,
                "error_description": "Permissions error"})
        assert answer.status_code == 400
        assert "Facebook access was not granted, so nothing was connected" in answer.text
        assert await _accounts(database, network.locations[0].id) == []
        [grant] = await _grants(database)
        assert grant.status == "failed"

    async def test_french_user_reads_the_refusal_in_french(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1, networks=())
        with facebook(settings, p111="Vélo Lyon"):
            hq = await web_client(network.hq_email, language="fr")
            start = await hq.get(f"/locations/{network.locations[0].id}/accounts/connect/facebook")
            answer = await hq.get("/accounts/oauth/callback/facebook",
                                  params={"error": "access_denied", "state": query_of(start.headers["location"])["state"]})
        assert "L'accès à Facebook n'a pas été accordé" in html.unescape(answer.text)


class TestState:
    async def test_tampered_reused_expired_or_foreign_states_change_nothing(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1, networks=())
        location = network.locations[0]
        with facebook(settings, p111="Vélo Lyon") as standin:
            hq = await web_client(network.hq_email)
            tampered = await hq.get("/accounts/oauth/callback/facebook", params={"state": "forged", "code": "x"})
            assert tampered.status_code == 400 and "unknown or was already used" in tampered.text

            start = await hq.get(f"/locations/{location.id}/accounts/connect/facebook")
            state = query_of(start.headers["location"])["state"]
            [grant] = await _grants(database)
            # Only the digest of the state is stored.
            assert grant.state_digest == hashlib.sha256(state.encode()).hexdigest()
            assert state not in grant.state_digest
            back = await network_redirect(start.headers["location"])

            local = await web_client(network.local_emails[location.id])
            foreign = await local.get(back)
            assert foreign.status_code == 400 and "started by another user" in foreign.text

            async with database.session() as session:
                await session.execute(update(OAuthGrant).values(expires_at=utcnow() - timedelta(seconds=1)))
            late = await hq.get(back)
            assert late.status_code == 400 and "more than 10 minutes" in late.text
            assert (await _grants(database))[0].status == "pending"  # refused before anything changed
            assert await _accounts(database, location.id) == []

            done = await consent(hq, location.id, "facebook")
            assert done.status_code == 303
            [account] = await _accounts(database, location.id)
            token = account.access_token_encrypted
            replay_url = (await _replayable(hq, location.id, standin))
            first = await hq.get(replay_url)
            assert first.status_code == 303
            replay = await hq.get(replay_url)
            assert replay.status_code == 400 and "unknown or was already used" in replay.text
        [after] = await _accounts(database, location.id)
        assert after.id == account.id and after.access_token_encrypted != token  # changed once, by `first` only

    async def test_a_local_manager_connects_only_their_own_location(self, database, settings, web_client):
        network = await make_network(database, settings, locations=2, networks=())
        mine, other = network.locations
        with facebook(settings, p111="Vélo Lyon"):
            local = await web_client(network.local_emails[mine.id])
            assert (await local.get(f"/locations/{other.id}/accounts/connect/facebook")).status_code == 404
            assert (await local.get(f"/locations/{other.id}/accounts")).status_code == 404
            answer = await consent(local, mine.id, "facebook")
            assert answer.status_code == 303
        assert len(await _accounts(database, mine.id)) == 1 and await _accounts(database, other.id) == []


async def _replayable(client, location_id, standin) -> str:
    """A callback URL (state and code) of a fresh consent, not used yet."""
    start = await client.get(f"/locations/{location_id}/accounts/connect/facebook")
    return await network_redirect(start.headers["location"])


class TestPkce:
    async def test_youtube_connects_with_an_s256_challenge_the_network_checks(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1, networks=())
        location = network.locations[0]
        with YouTubeStandIn() as standin, pointed_at(settings, youtube_api_url=standin.url,
                                                     google_oauth_url=standin.url, google_token_url=standin.url,
                                                     google_client_id=standin.client_id,
                                                     google_client_secret=standin.client_secret):
            standin.add_channel("UC1", "Vélo TV")
            standin.consent_accounts = {"UC1"}
            hq = await web_client(network.hq_email)
            start = await hq.get(f"/locations/{location.id}/accounts/connect/youtube")
            params = query_of(start.headers["location"])
            assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
            assert params["redirect_uri"] == "http://testserver/accounts/oauth/callback/youtube"
            [grant] = await _grants(database)
            assert grant.code_verifier_encrypted and params["code_challenge"] not in grant.code_verifier_encrypted
            back = await network_redirect(start.headers["location"])
            answer = await hq.get(back)
            assert answer.status_code == 303, answer.text
            [account] = await _accounts(database, location.id)
            assert (account.external_id, account.display_name) == ("UC1", "Vélo TV")
            assert standin.tokens[decrypt_token(settings, account.access_token_encrypted)].usable()
            assert decrypt_token(settings, account.refresh_token_encrypted)
            assert account.expires_at is not None

    async def test_a_wrong_verifier_is_refused_by_the_network(self, database, settings, web_client):
        """The stand-in checks the verifier: a grant whose verifier was swapped connects nothing."""
        from hub.accounts.security import settings_token_cipher

        network = await make_network(database, settings, locations=1, networks=())
        with YouTubeStandIn() as standin, pointed_at(settings, youtube_api_url=standin.url,
                                                     google_oauth_url=standin.url, google_token_url=standin.url,
                                                     google_client_id=standin.client_id,
                                                     google_client_secret=standin.client_secret):
            standin.add_channel("UC1", "Vélo TV")
            standin.consent_accounts = {"UC1"}
            hq = await web_client(network.hq_email)
            start = await hq.get(f"/locations/{network.locations[0].id}/accounts/connect/youtube")
            async with database.session() as session:
                await session.execute(update(OAuthGrant).values(
                    code_verifier_encrypted=settings_token_cipher(settings).encrypt(b"x" * 64).decode()))
            answer = await hq.get(await network_redirect(start.headers["location"]))
        assert answer.status_code == 400 and "refused the connection" in answer.text
        assert await _accounts(database, network.locations[0].id) == []


class TestNotConfigured:
    async def test_the_button_says_which_settings_the_admin_must_set(self, database, settings, web_client, client_as):
        network = await make_network(database, settings, locations=1, networks=())
        location = network.locations[0]
        with pointed_at(settings, facebook_client_id="", facebook_client_secret=""):
            hq = await web_client(network.hq_email)
            page = await hq.get(f"/locations/{location.id}/accounts")
            assert "PIEUVRE_FACEBOOK_CLIENT_ID/PIEUVRE_FACEBOOK_CLIENT_SECRET" in page.text
            assert f'href="/locations/{location.id}/accounts/connect/facebook"' not in page.text
            answer = await hq.get(f"/locations/{location.id}/accounts/connect/facebook")
            assert answer.status_code == 400 and "PIEUVRE_FACEBOOK_CLIENT_ID" in answer.text
            assert await _grants(database) == []
            # Tokens an admin already holds still go through the API.
            api = await client_as(network.hq_email, PASSWORD)
            created = await api.post(f"/api/v1/locations/{location.id}/accounts", json={
                "network": "facebook", "external_id": "p1", "access_token": "EAAB-secret-token"})
            assert created.status_code == 201
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(SocialAccount)) == 1


class TestDisconnect:
    async def test_disconnecting_wipes_tokens_keeps_the_row_and_is_audited(self, database, settings, web_client,
                                                                           client_as):
        network = await make_network(database, settings, locations=2, networks=())
        mine, other = network.locations
        with facebook(settings, p111="Vélo Lyon"):
            hq = await web_client(network.hq_email)
            assert (await consent(hq, mine.id, "facebook")).status_code == 303
            assert (await consent(hq, other.id, "facebook")).status_code == 303
        [account] = await _accounts(database, mine.id)
        [others] = await _accounts(database, other.id)
        local = await web_client(network.local_emails[mine.id])
        page = await local.get(f"/locations/{mine.id}/accounts")
        assert 'data-testid="disconnect"' in page.text
        refused = await local.post(f"/locations/{mine.id}/accounts/{account.id}/disconnect")
        assert refused.status_code == 403  # no CSRF token
        done = await local.post(f"/locations/{mine.id}/accounts/{account.id}/disconnect",
                                data={"csrf_token": csrf_of(page.text)})
        assert done.status_code == 303
        [gone] = await _accounts(database, mine.id)
        assert (gone.status, gone.access_token_encrypted, gone.refresh_token_encrypted) == ("disconnected", "", "")
        # Through the API: another location's account is not theirs to disconnect.
        api = await client_as(network.local_emails[mine.id], PASSWORD)
        assert (await api.delete(f"/api/v1/locations/{other.id}/accounts/{others.id}")).status_code == 404
        assert (await api.delete(f"/api/v1/locations/{mine.id}/accounts/{others.id}")).status_code == 404
        hq_api = await client_as(network.hq_email, PASSWORD)
        assert (await hq_api.delete(f"/api/v1/locations/{other.id}/accounts/{others.id}")).status_code == 204
        listed = (await hq_api.get(f"/api/v1/locations/{other.id}/accounts")).json()
        assert [item["health"] for item in listed] == ["disconnected"]
        assert not any("token" in key and "expires" not in key for item in listed for key in item)
        async with database.session() as session:
            actions = list(await session.scalars(select(AuditEvent.action).where(
                AuditEvent.action == "account.disconnected")))
        assert len(actions) == 2
