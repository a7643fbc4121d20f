"""Google Business Profile's contract: local posts, their options, Google's errors and OAuth."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hub.db import utcnow
from hub.publishing.connectors import get_connector
from hub.publishing.connectors.base import AccountBroken, OutcomeUnknown, OutgoingPost, PublishRefused, RateLimited
from tests.connectors.conftest import connected_account, pointed_at
from tests.standins.google import BUSINESS_SCOPE, GoogleBusinessStandIn

LOCATION = "accounts/111/locations/222"
REDIRECT = "https://hub.example/oauth/google_business/callback"


@pytest.fixture
def standin(settings):
    with GoogleBusinessStandIn() as standin, pointed_at(
        settings, google_business_api_url=standin.url, google_accounts_api_url=standin.url,
        google_information_api_url=standin.url, google_performance_api_url=standin.url,
        google_oauth_url=standin.url, google_token_url=standin.url, google_client_id=standin.client_id, google_client_secret=standin.client_secret,
    ):
        standin.add_location(LOCATION, "Pizza Lyon")
        yield standin


@pytest.fixture
async def account(database, settings, standin):
    token = standin.token_for(LOCATION, expires_in=3600, refresh=True)
    return await connected_account(database, settings, "google_business", LOCATION, token.value,
                                   refresh_token=token.refresh_token)


@pytest.fixture
def connector(database, settings):
    return get_connector("google_business", database, settings)


def outgoing(text="Fresh pizzas in Lyon all week", **values) -> OutgoingPost:
    return OutgoingPost(publication_id="pub-1", network="google_business", text=text, locale="fr", **values)


class TestPublishing:
    async def test_a_post_goes_out_once_with_google_fields(self, standin, account, connector):
        text = "Our new menu is out: https://pizza.example/menu."
        post = outgoing(text, image_url="https://hub.example/i/signed.jpg")
        published = await connector.create_post(account, post)
        assert standin.received == [{
            "languageCode": "fr", "summary": text, "topicType": "STANDARD",
            # No button chosen, a link in the text: "Learn more" on it.
            "callToAction": {"actionType": "LEARN_MORE", "url": "https://pizza.example/menu"},
            "media": [{"mediaFormat": "PHOTO", "sourceUrl": "https://hub.example/i/signed.jpg"}],
        }]
        [stored] = standin.posts_of(LOCATION)
        assert stored.text == text
        assert published.external_id == f"{LOCATION}/localPosts/{stored.id}"
        assert published.url.startswith("https://local.google.com/place?") and stored.id in published.url

    async def test_a_plain_post_has_no_button_and_no_media(self, standin, account, connector):
        await connector.create_post(account, outgoing("Open on Sunday"))
        assert standin.received == [{"languageCode": "fr", "summary": "Open on Sunday", "topicType": "STANDARD"}]

    async def test_an_event_needs_its_event_and_says_what_to_add(self, standin, account, connector):
        with pytest.raises(PublishRefused, match="needs an event with a title, a start date and an end date"):
            await connector.create_post(account, outgoing(options={"topic_type": "EVENT"}))
        assert standin.calls == []  # refused before anything was sent
        event = {"title": "Open day", "schedule": {"startDate": {"year": 2026, "month": 12, "day": 5},
                                                   "startTime": {"hours": 10, "minutes": 0},
                                                   "endDate": {"year": 2026, "month": 12, "day": 5},
                                                   "endTime": {"hours": 18, "minutes": 0}}}
        await connector.create_post(account, outgoing(options={"topic_type": "event", "event": event}))
        [stored] = standin.posts_of(LOCATION)
        assert (stored.extra["topicType"], stored.extra["event"]) == ("EVENT", event)

    async def test_an_offer_carries_no_button(self, standin, account, connector):
        event = {"title": "-20%", "schedule": {"startDate": {"year": 2026, "month": 12, "day": 1},
                                               "endDate": {"year": 2026, "month": 12, "day": 24}}}
        await connector.create_post(account, outgoing("Offer: https://pizza.example/deal", options={
            "topic_type": "OFFER", "event": event, "offer": {"couponCode": "PIZZA20"},
            "call_to_action": {"actionType": "BOOK", "url": "https://pizza.example/book"}}))
        [body] = standin.received
        assert "callToAction" not in body
        assert body["offer"] == {"couponCode": "PIZZA20"}

    async def test_a_call_button_is_sent_without_a_url(self, standin, account, connector):
        await connector.create_post(account, outgoing(options={
            "call_to_action": {"actionType": "CALL", "url": "https://ignored.example"}}))
        assert standin.received[0]["callToAction"] == {"actionType": "CALL"}

    @pytest.mark.parametrize("options, message", [
        ({"topic_type": "PRODUCT"}, "no post type 'PRODUCT'"),
        ({"call_to_action": {"actionType": "GET_OFFER", "url": "https://x.example"}}, "no button 'GET_OFFER'"),
        ({"call_to_action": {"actionType": "BOOK"}}, "BOOK needs a link"),
    ])
    async def test_options_google_refuses_are_refused_before_sending(self, standin, account, connector, options,
                                                                     message):
        with pytest.raises(PublishRefused, match=message):
            await connector.create_post(account, outgoing(options=options))
        assert standin.all_posts() == []

    async def test_a_rejected_post_is_refused_for_good(self, standin, account, connector):
        standin.review_state = "REJECTED"
        with pytest.raises(PublishRefused, match="Google rejected the post"):
            await connector.create_post(account, outgoing())

    async def test_a_summary_google_finds_too_long_is_refused_with_its_message(self, standin, account, connector):
        with pytest.raises(PublishRefused, match="summary must be at most 1500 characters"):
            await connector.create_post(account, outgoing("x" * 1501))
        assert standin.all_posts() == []


class TestFaults:
    async def test_a_server_error_on_create_is_an_unknown_outcome(self, standin, account, connector):
        standin.inject("server_error")
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, outgoing())
        assert standin.all_posts() == []

    async def test_a_lost_answer_is_settled_by_reading_the_location_back(self, standin, account, connector,
                                                                         short_timeout):
        since = utcnow() - timedelta(seconds=1)
        standin.inject("lost_response", seconds=3)
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, outgoing())
        [stored] = standin.all_posts()
        found = await connector.find_post(account, outgoing(), since)
        assert found.external_id == f"{LOCATION}/localPosts/{stored.id}"
        assert await connector.find_post(account, outgoing("Another text"), since) is None
        assert await connector.find_post(account, outgoing(), utcnow() + timedelta(minutes=1)) is None
        assert len(standin.all_posts()) == 1

    async def test_latency_within_the_timeout_still_publishes(self, standin, account, connector, short_timeout):
        standin.inject("latency", seconds=0.3)
        await connector.create_post(account, outgoing())
        assert len(standin.all_posts()) == 1

    async def test_quota_exhausted_waits_as_long_as_google_says(self, standin, account, connector):
        standin.inject("rate_limit", retry_after=42)
        with pytest.raises(RateLimited) as error:
            await connector.create_post(account, outgoing())
        assert (error.value.retry_after, error.value.scope) == (42, "network")
        assert standin.all_posts() == []

    async def test_over_the_requests_per_minute_quota_is_rate_limited(self, standin, account, connector):
        standin.requests_per_minute = 1
        await connector.create_post(account, outgoing("first"))
        with pytest.raises(RateLimited):
            await connector.create_post(account, outgoing("second"))
        assert [post.text for post in standin.all_posts()] == ["first"]

    async def test_a_project_without_approved_access_is_told_to_apply(self, standin, account, connector):
        standin.approved_access = False
        with pytest.raises(PublishRefused, match="apply for Basic API Access") as error:
            await connector.create_post(account, outgoing())
        assert not isinstance(error.value, RateLimited)

    async def test_an_expired_token_breaks_the_account(self, standin, account, connector):
        standin.inject("expired_token")
        with pytest.raises(AccountBroken) as error:
            await connector.create_post(account, outgoing())
        assert error.value.account_status == "expired"
        assert "reconnect" in str(error.value)
        assert connector.access_token(account) not in str(error.value)

    async def test_a_token_without_the_business_scope_lacks_permission(self, database, settings, standin, connector):
        token = standin.token_for(LOCATION, scopes=("openid",))
        account = await connected_account(database, settings, "google_business", LOCATION, token.value)
        with pytest.raises(AccountBroken) as error:
            await connector.create_post(account, outgoing())
        assert error.value.account_status == "missing_permission"


class TestStats:
    async def test_there_are_no_per_post_counters(self, standin, account, connector):
        published = await connector.create_post(account, outgoing())
        assert (await connector.read_stats(account, published.external_id, "24h")).values == {}


class TestConnecting:
    async def _consent(self, connector, standin) -> tuple[str, str]:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        url = connector.authorize_url(state="st-1", redirect_uri=REDIRECT, code_challenge=challenge)
        params = parse_qs(urlsplit(url).query)
        assert url.startswith(f"{standin.url}/o/oauth2/v2/auth?")
        assert {name: value[0] for name, value in params.items()} == {
            "client_id": standin.client_id, "redirect_uri": REDIRECT, "response_type": "code",
            "scope": BUSINESS_SCOPE, "state": "st-1", "access_type": "offline", "prompt": "consent",
            "include_granted_scopes": "true", "code_challenge": challenge, "code_challenge_method": "S256",
        }
        async with httpx.AsyncClient() as http:
            answer = await http.get(url)
        assert answer.status_code == 302
        returned = parse_qs(urlsplit(answer.headers["location"]).query)
        assert returned["state"] == ["st-1"]
        return returned["code"][0], verifier

    async def test_oauth_then_the_locations_of_every_account(self, standin, connector):
        standin.add_location("accounts/333/locations/444", "Pizza Nice")
        standin.consent_accounts = {LOCATION, "accounts/333/locations/444"}
        code, verifier = await self._consent(connector, standin)
        tokens = await connector.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=verifier)
        assert tokens.refresh_token and tokens.extra["scope"] == BUSINESS_SCOPE
        assert timedelta(minutes=55) < tokens.expires_at - utcnow() <= timedelta(hours=1)
        targets = await connector.list_targets(tokens)
        assert [(target.external_id, target.display_name) for target in targets] == [
            (LOCATION, "Pizza Lyon"), ("accounts/333/locations/444", "Pizza Nice")]

    async def test_a_code_redeemed_with_the_wrong_verifier_is_refused(self, standin, connector):
        standin.consent_accounts = {LOCATION}
        code, _ = await self._consent(connector, standin)
        with pytest.raises(PublishRefused, match="connect the Google Business Profile account again"):
            await connector.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier="not-the-verifier")

    async def test_a_refresh_keeps_the_refresh_token_google_does_not_rotate(self, standin, account, connector):
        old_refresh = connector.stored_refresh_token(account)
        tokens = await connector.refresh_token(account)
        assert tokens.access_token != connector.access_token(account)
        assert tokens.refresh_token == old_refresh
        assert standin.token_requests[-1] == {"client_id": standin.client_id, "client_secret": standin.client_secret,
                                              "refresh_token": old_refresh, "grant_type": "refresh_token"}
        # The new access token works.
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{standin.url}/v4/{LOCATION}/localPosts",
                                    headers={"Authorization": f"Bearer {tokens.access_token}"})
        assert answer.status_code == 200

    async def test_a_dead_refresh_token_breaks_the_account(self, standin, account, connector):
        standin.expire_refresh_token(connector.stored_refresh_token(account))
        with pytest.raises(AccountBroken, match="reconnect") as error:
            await connector.refresh_token(account)
        assert error.value.account_status == "expired"


class TestStandInValidates:
    """The stand-in refuses what Google refuses, so the connector's tests can fail."""

    @pytest.mark.parametrize("body, field", [
        ({"topicType": "PRODUCT"}, "topic_type"),
        ({"callToAction": {"actionType": "GET_OFFER", "url": "https://x.example"}}, "call_to_action.action_type"),
        ({"callToAction": {"actionType": "CALL", "url": "https://x.example"}}, "call_to_action.url"),
        ({"topicType": "EVENT"}, "event"),
        ({"summary": "x" * 1501}, "summary"),
    ])
    async def test_invalid_local_posts_get_invalid_argument(self, standin, body, field):
        token = standin.token_for(LOCATION)
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{standin.url}/v4/{LOCATION}/localPosts",
                                     headers={"Authorization": f"Bearer {token.value}"},
                                     json={"languageCode": "en", "summary": "Hi", "topicType": "STANDARD"} | body)
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
        assert error["details"][0]["fieldViolations"][0]["field"] == field
        assert standin.all_posts() == []
