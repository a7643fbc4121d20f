"""Facebook connector against the Graph API stand-in: the contract, faults, duplicates, stats, OAuth."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hub.publishing.connectors import get_connector
from hub.publishing.connectors.base import (
    AccountBroken,
    OutcomeUnknown,
    OutgoingPost,
    PublishRefused,
    RateLimited,
)
from tests.connectors.conftest import connected_account, pointed_at
from tests.standins.facebook import FacebookStandIn

PAGE = "104857600"
TEXT = "Grand opening on Saturday!"
IMAGE = "https://hub.example/renders/abc.jpg"


def outgoing(text: str = TEXT, image_url: str | None = None) -> OutgoingPost:
    return OutgoingPost(publication_id="pub-1", network="facebook", text=text, image_url=image_url)


@pytest.fixture
def standin(settings):
    with FacebookStandIn() as standin, pointed_at(settings, facebook_api_url=standin.url,
                                                  facebook_oauth_url=standin.url,
                                                  facebook_client_id=standin.client_id,
                                                  facebook_client_secret=standin.client_secret):
        yield standin


@pytest.fixture
async def page(database, settings, standin):
    """A connected Page account and its Page token."""
    token = standin.add_page(PAGE, "Pizzeria Lyon")
    account = await connected_account(database, settings, "facebook", PAGE, token.value)
    return account, token


@pytest.fixture
def facebook(database, settings):
    return get_connector("facebook", database, settings)


class TestPublishing:
    async def test_a_text_post_goes_to_the_page_feed_once_with_the_page_token(self, standin, page, facebook):
        account, token = page
        published = await facebook.create_post(account, outgoing())
        [post] = standin.posts_of(PAGE)
        assert post.text == TEXT
        assert published.external_id == post.id and post.id.startswith(f"{PAGE}_")
        assert published.url == f"https://www.facebook.com/{post.id}"
        [request] = standin.requests
        assert request["path"] == f"/{facebook.settings.facebook_graph_version}/{PAGE}/feed"
        assert request["form"] == {"message": TEXT}
        assert request["headers"]["authorization"] == f"Bearer {token.value}"
        assert token.value not in str(request["form"])

    async def test_a_link_in_the_text_is_sent_as_the_link_and_the_text_is_kept(self, standin, page, facebook):
        account, _ = page
        text = "Menu: https://pizzeria.example/menu. See you!"
        await facebook.create_post(account, outgoing(text))
        assert standin.requests[0]["form"] == {"message": text, "link": "https://pizzeria.example/menu"}

    async def test_a_photo_post_sends_the_image_url_and_caption_and_keeps_the_post_id(self, standin, page, facebook):
        account, _ = page
        published = await facebook.create_post(account, outgoing(image_url=IMAGE))
        [post] = standin.posts_of(PAGE)
        assert (post.text, post.extra["image_url"]) == (TEXT, IMAGE)
        assert standin.requests[0]["path"].endswith(f"/{PAGE}/photos")
        assert standin.requests[0]["form"] == {"url": IMAGE, "caption": TEXT}
        assert published.external_id == post.id  # the Page post id, not the photo id


class TestDuplicates:
    async def test_a_duplicate_after_a_lost_attempt_is_that_post(self, standin, page, facebook, short_timeout):
        account, _ = page
        post = outgoing()
        standin.inject("lost_response")
        with pytest.raises(OutcomeUnknown):
            await facebook.create_post(account, post)
        # Resent by mistake: Facebook answers "duplicate", the connector finds the first one.
        published = await facebook.create_post(account, post)
        [stored] = standin.posts_of(PAGE)
        assert published.external_id == stored.id
        assert len(standin.requests) == 2

    async def test_a_duplicate_of_a_post_made_before_this_publication_is_refused(self, standin, page, facebook):
        account, _ = page
        standin.add_post(PAGE, TEXT, f"{PAGE}_1").created_at = time.time() - 3600
        with pytest.raises(PublishRefused, match="change the text"):
            await facebook.create_post(account, outgoing())
        assert [post.id for post in standin.posts_of(PAGE)] == [f"{PAGE}_1"]


class TestFaults:
    async def test_a_lost_answer_is_an_unknown_outcome_then_find_post_finds_exactly_that_post(
            self, standin, page, facebook, short_timeout):
        account, _ = page
        standin.inject("lost_response")
        started = datetime.now(UTC) - timedelta(seconds=5)
        with pytest.raises(OutcomeUnknown):
            await facebook.create_post(account, outgoing())
        [stored] = standin.all_posts()
        found = await facebook.find_post(account, outgoing(), since=started)
        assert found.external_id == stored.id
        assert found.url == f"https://www.facebook.com/{stored.id}"
        assert len(standin.all_posts()) == 1

    async def test_find_post_ignores_other_texts_and_older_posts(self, standin, page, facebook):
        account, _ = page
        standin.add_post(PAGE, TEXT, f"{PAGE}_1").created_at = time.time() - 7200
        standin.add_post(PAGE, "Another text", f"{PAGE}_2")
        assert await facebook.find_post(account, outgoing(), since=datetime.now(UTC) - timedelta(hours=1)) is None

    async def test_a_server_error_on_create_is_an_unknown_outcome_and_nothing_is_found(self, standin, page, facebook):
        account, _ = page
        standin.inject("server_error")
        with pytest.raises(OutcomeUnknown):
            await facebook.create_post(account, outgoing())
        assert standin.all_posts() == []
        assert await facebook.find_post(account, outgoing(), since=datetime.now(UTC) - timedelta(minutes=1)) is None

    async def test_a_page_throttle_waits_as_long_as_the_usage_header_says(self, standin, page, facebook):
        account, _ = page
        standin.inject("rate_limit", retry_after=600)  # estimated_time_to_regain_access: 10 minutes
        with pytest.raises(RateLimited) as raised:
            await facebook.create_post(account, outgoing())
        assert (raised.value.retry_after, raised.value.scope) == (600.0, "account")
        assert standin.all_posts() == []

    async def test_the_app_limit_cools_the_whole_network(self, standin, page, facebook):
        account, _ = page
        standin.throttle_code = 4
        standin.inject("rate_limit", retry_after=120)
        with pytest.raises(RateLimited) as raised:
            await facebook.create_post(account, outgoing())
        assert (raised.value.retry_after, raised.value.scope) == (120.0, "network")

    async def test_latency_within_the_timeout_still_publishes_once(self, standin, page, facebook):
        account, _ = page
        standin.inject("latency", seconds=0.3)
        await facebook.create_post(account, outgoing())
        assert len(standin.posts_of(PAGE)) == 1

    async def test_an_expired_token_breaks_the_account(self, standin, page, facebook):
        account, token = page
        standin.inject("expired_token")
        with pytest.raises(AccountBroken) as raised:
            await facebook.create_post(account, outgoing())
        assert raised.value.account_status == "expired"
        assert "reconnect" in str(raised.value) and token.value not in str(raised.value)

    async def test_a_removed_app_revokes_the_account(self, standin, page, facebook):
        account, token = page
        standin.revoke(token.value)
        with pytest.raises(AccountBroken) as raised:
            await facebook.create_post(account, outgoing())
        assert raised.value.account_status == "revoked"

    async def test_a_token_without_the_posting_permission_is_missing_permission(self, database, settings,
                                                                                 standin, facebook):
        standin.add_page(PAGE)
        weak = standin.issue_token(PAGE, {"pages_read_engagement"})
        account = await connected_account(database, settings, "facebook", PAGE, weak.value)
        with pytest.raises(AccountBroken) as raised:
            await facebook.create_post(account, outgoing())
        assert raised.value.account_status == "missing_permission"
        assert standin.all_posts() == []


class TestStats:
    async def test_stats_read_reactions_comments_shares_and_current_insights(self, standin, page, facebook):
        account, _ = page
        published = await facebook.create_post(account, outgoing())
        standin.set_stats(published.external_id, reactions=12, comments=3, shares=2, post_media_view=540,
                          post_total_media_view_unique=410, post_clicks=27)
        metrics = await facebook.read_stats(account, published.external_id, "24h")
        assert metrics.values == {
            "reactions": 12, "comments": 3, "shares": 2, "post_media_view": 540,
            "post_total_media_view_unique": 410, "post_clicks": 27,
            "impressions": 540, "reach": 410, "engagements": 17,
        }
        assert not metrics.simulated

    async def test_the_standin_refuses_the_removed_impressions_metric(self, standin, page, facebook):
        account, token = page
        published = await facebook.create_post(account, outgoing())
        response = httpx.get(f"{standin.url}/v25.0/{published.external_id}/insights",
                             params={"metric": "post_impressions"}, headers={"Authorization": f"Bearer {token.value}"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 100

    async def test_page_tokens_do_not_expire_so_nothing_is_refreshed(self, page, facebook):
        account, _ = page
        assert await facebook.refresh_token(account) is None


class TestOAuth:
    def test_the_authorize_url_asks_for_the_page_permissions(self, standin, facebook):
        url = facebook.authorize_url(state="s1", redirect_uri="https://hub.example/cb", code_challenge=None)
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == standin.url
        assert parts.path == f"/{facebook.settings.facebook_graph_version}/dialog/oauth"
        assert parse_qs(parts.query) == {
            "client_id": [standin.client_id], "redirect_uri": ["https://hub.example/cb"], "state": ["s1"],
            "scope": ["pages_manage_posts,pages_read_engagement,pages_manage_engagement,pages_read_user_engagement"],
            "response_type": ["code"],
        }

    async def test_a_code_becomes_a_long_lived_token_and_pages_with_their_own_tokens(self, standin, facebook):
        standin.add_page("111", "Lyon")
        standin.add_page("222", "Nice", tasks=["ANALYZE"])  # may only read insights: not a target
        standin.consent_accounts = {"111", "222"}
        url = facebook.authorize_url(state="s1", redirect_uri="https://hub.example/cb", code_challenge=None)
        consent = httpx.get(url)
        assert consent.status_code == 302
        back = parse_qs(urlsplit(consent.headers["location"]).query)
        assert back["state"] == ["s1"]
        tokens = await facebook.exchange_code(code=back["code"][0], redirect_uri="https://hub.example/cb",
                                              code_verifier=None)
        assert tokens.expires_at > datetime.now(UTC) + timedelta(days=59)
        [target] = await facebook.list_targets(tokens)
        assert (target.external_id, target.display_name) == ("111", "Lyon")
        assert target.tokens.expires_at is None
        page_token = standin.tokens[target.tokens.access_token]
        assert page_token.accounts == {"111"} and page_token.expires_at is None

    async def test_a_code_used_twice_is_refused(self, standin, facebook):
        standin.consent_accounts = {"111"}
        consent = httpx.get(facebook.authorize_url(state="s", redirect_uri="https://hub.example/cb",
                                                   code_challenge=None))
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        await facebook.exchange_code(code=code, redirect_uri="https://hub.example/cb", code_verifier=None)
        with pytest.raises(PublishRefused, match="connect the account again"):
            await facebook.exchange_code(code=code, redirect_uri="https://hub.example/cb", code_verifier=None)
