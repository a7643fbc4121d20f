"""Instagram connector against the stand-in: the two-step publish, resuming containers, the daily
quota, faults, read-back, stats, token refresh and OAuth."""

from __future__ import annotations

import asyncio
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
    TransientBeforeSend,
)
from tests.connectors.conftest import connected_account, pointed_at
from tests.standins.instagram import InstagramStandIn

USER = "17841400000000001"
CAPTION = "Fresh pizza tonight 🍕 #lyon"
IMAGE = "https://hub.example/renders/abc.jpg"


def outgoing(text: str = CAPTION, image_url: str | None = IMAGE, **options) -> OutgoingPost:
    return OutgoingPost(publication_id="pub-1", network="instagram", text=text, image_url=image_url, options=options)


@pytest.fixture
def standin(settings):
    with InstagramStandIn() as standin, pointed_at(settings, instagram_api_url=standin.url,
                                                   instagram_oauth_url=standin.url, instagram_token_url=standin.url,
                                                   instagram_client_id=standin.client_id,
                                                   instagram_client_secret=standin.client_secret):
        yield standin


@pytest.fixture
async def user(database, settings, standin):
    """A connected professional account and its token."""
    token = standin.add_user(USER, "pizzeria.lyon")
    account = await connected_account(database, settings, "instagram", USER, token.value)
    return account, token


@pytest.fixture
def instagram(database, settings):
    connector = get_connector("instagram", database, settings)
    connector.container_poll_seconds, connector.container_wait_seconds = 0.05, 0.5
    return connector


def operations(standin, name: str) -> int:
    return sum(1 for operation, _ in standin.calls if operation == name)


class TestPublishing:
    async def test_an_image_post_is_a_container_then_one_publish(self, standin, user, instagram):
        account, token = user
        post = outgoing(alt_text="A margherita on a wooden table")
        published = await instagram.create_post(account, post)
        [media] = standin.posts_of(USER)
        assert (media.text, media.extra["image_url"]) == (CAPTION, IMAGE)
        container_request, publish_request = standin.requests
        version = instagram.settings.facebook_graph_version
        assert container_request["path"] == f"/{version}/{USER}/media"
        assert container_request["form"] == {"image_url": IMAGE, "caption": CAPTION,
                                             "alt_text": "A margherita on a wooden table"}
        assert publish_request["path"] == f"/{version}/{USER}/media_publish"
        assert publish_request["form"] == {"creation_id": post.progress["container_id"]}
        assert all(request["headers"]["authorization"] == f"Bearer {token.value}" for request in standin.requests)
        assert published.external_id == media.id == post.progress["media_id"]
        assert published.url == f"https://www.instagram.com/p/{media.id}/"
        assert standin.container_status(post.progress["container_id"]) == "PUBLISHED"

    async def test_a_post_without_an_image_is_refused_before_any_call(self, standin, user, instagram):
        account, _ = user
        with pytest.raises(PublishRefused, match="Instagram needs an image: add one to the post"):
            await instagram.create_post(account, outgoing(image_url=None))
        assert standin.calls == []

    async def test_a_container_in_progress_is_polled_until_finished(self, standin, user, instagram):
        account, _ = user
        standin.in_progress_polls = 3
        await instagram.create_post(account, outgoing())
        assert operations(standin, "status") == 4  # three IN_PROGRESS, then FINISHED
        assert len(standin.posts_of(USER)) == 1

    async def test_a_slow_container_is_resumed_by_the_next_attempt_not_remade(self, standin, user, instagram):
        account, _ = user
        standin.in_progress_polls = 1000
        post = outgoing()
        with pytest.raises(TransientBeforeSend):
            await instagram.create_post(account, post)
        container = post.progress["container_id"]
        assert standin.container_status(container) == "IN_PROGRESS" and standin.all_posts() == []
        standin.containers[container]["polls_left"] = 0  # Instagram finished with the image meanwhile
        await instagram.create_post(account, post)
        assert len(standin.containers) == 1
        [media] = standin.posts_of(USER)
        assert media.extra["container_id"] == container

    async def test_a_failed_container_is_dropped_and_a_new_one_made_next_time(self, standin, user, instagram):
        account, _ = user
        standin.processing_errors = 1
        post = outgoing()
        with pytest.raises(TransientBeforeSend, match="new upload"):
            await instagram.create_post(account, post)
        assert post.progress["container_id"] is None
        await instagram.create_post(account, post)
        assert len(standin.containers) == 2 and len(standin.posts_of(USER)) == 1

    async def test_an_expired_container_is_replaced_on_the_next_attempt(self, standin, user, instagram):
        account, _ = user
        standin.container_ttl, standin.in_progress_polls = 1.0, 1000
        post = outgoing()
        with pytest.raises(TransientBeforeSend):
            await instagram.create_post(account, post)
        first = post.progress["container_id"]
        await asyncio.sleep(1.1)
        standin.in_progress_polls = 0
        await instagram.create_post(account, post)
        assert standin.container_status(first) == "EXPIRED"
        [media] = standin.posts_of(USER)
        assert media.extra["container_id"] == post.progress["container_id"] != first


class TestFaults:
    async def test_a_lost_publish_answer_is_unknown_then_found_and_never_published_twice(
            self, standin, user, instagram, short_timeout):
        account, _ = user
        standin.inject("lost_response", "create")
        post = outgoing()
        with pytest.raises(OutcomeUnknown):
            await instagram.create_post(account, post)
        [media] = standin.posts_of(USER)
        found = await instagram.find_post(account, post, since=datetime.now(UTC) - timedelta(minutes=1))
        assert found.external_id == media.id
        # A retry that skipped reconciling: the container says PUBLISHED, so it is the same post.
        again = await instagram.create_post(account, post)
        assert again.external_id == media.id
        assert len(standin.posts_of(USER)) == 1 and operations(standin, "create") == 1

    async def test_find_post_without_a_container_matches_the_caption_since_the_attempt(self, standin, user, instagram):
        account, _ = user
        standin.publish_directly(USER, CAPTION, at=time.time() - 7200)  # an older identical post: not ours
        assert await instagram.find_post(account, outgoing(), since=datetime.now(UTC) - timedelta(hours=1)) is None
        media_id = standin.publish_directly(USER, CAPTION)
        standin.publish_directly(USER, "Another caption")
        found = await instagram.find_post(account, outgoing(), since=datetime.now(UTC) - timedelta(hours=1))
        assert found.external_id == media_id

    async def test_a_server_error_on_publish_is_unknown_and_the_container_is_not_published(
            self, standin, user, instagram):
        account, _ = user
        standin.inject("server_error", "create")
        post = outgoing()
        with pytest.raises(OutcomeUnknown):
            await instagram.create_post(account, post)
        assert standin.all_posts() == []
        assert await instagram.find_post(account, post, since=datetime.now(UTC) - timedelta(minutes=1)) is None
        await instagram.create_post(account, post)  # rescheduled: resumes the same, still unpublished container
        assert len(standin.containers) == 1 and len(standin.posts_of(USER)) == 1

    async def test_a_server_error_on_the_container_is_retryable_and_leaves_no_progress(self, standin, user, instagram):
        account, _ = user
        standin.inject("server_error", "container")
        post = outgoing()
        with pytest.raises(TransientBeforeSend) as raised:
            await instagram.create_post(account, post)
        assert not isinstance(raised.value, RateLimited)
        assert "container_id" not in post.progress and standin.containers == {}

    async def test_a_throttle_waits_as_long_as_the_usage_header_says(self, standin, user, instagram):
        account, _ = user
        standin.inject("rate_limit", "create", retry_after=900)
        with pytest.raises(RateLimited) as raised:
            await instagram.create_post(account, outgoing())
        assert (raised.value.retry_after, raised.value.scope) == (900.0, "account")
        assert standin.all_posts() == []

    async def test_the_daily_quota_waits_until_the_oldest_post_leaves_the_window(self, standin, user, instagram):
        account, _ = user
        standin.quota_total = 2
        standin.publish_directly(USER, "first", at=time.time() - 3 * 3600)
        standin.publish_directly(USER, "second", at=time.time() - 3600)
        with pytest.raises(RateLimited) as raised:
            await instagram.create_post(account, outgoing())
        assert raised.value.scope == "account"
        assert abs(raised.value.retry_after - 21 * 3600) < 60  # the 3-hour-old post frees its slot in 21 h
        assert len(standin.posts_of(USER)) == 2

    async def test_a_spam_block_is_refused_for_good_not_throttled(self, standin, user, instagram):
        account, _ = user
        standin.spam_block = True
        with pytest.raises(PublishRefused, match="suspected spam") as raised:
            await instagram.create_post(account, outgoing())
        assert not isinstance(raised.value, AccountBroken)
        assert standin.all_posts() == []

    async def test_an_expired_token_breaks_the_account(self, standin, user, instagram):
        account, token = user
        standin.inject("expired_token", "container")
        with pytest.raises(AccountBroken) as raised:
            await instagram.create_post(account, outgoing())
        assert raised.value.account_status == "expired" and token.value not in str(raised.value)


class TestStandInContract:
    async def test_publishing_a_published_container_again_is_refused(self, standin, user, instagram):
        account, token = user
        post = outgoing()
        await instagram.create_post(account, post)
        response = httpx.post(f"{standin.url}/v25.0/{USER}/media_publish",
                              params={"creation_id": post.progress["container_id"]},
                              headers={"Authorization": f"Bearer {token.value}"})
        assert response.status_code == 400 and response.json()["error"]["error_subcode"] == 2207008
        assert len(standin.posts_of(USER)) == 1

    async def test_the_publishing_limit_reports_usage_and_config(self, standin, user, instagram):
        account, token = user
        await instagram.create_post(account, outgoing())
        response = httpx.get(f"{standin.url}/v25.0/{USER}/content_publishing_limit",
                             params={"fields": "quota_usage,config"},
                             headers={"Authorization": f"Bearer {token.value}"})
        assert response.json() == {"data": [{"quota_usage": 1, "config": {"quota_total": 50, "quota_duration": 86400}}]}


class TestStats:
    async def test_stats_are_the_media_insights_with_normalized_keys(self, standin, user, instagram):
        account, _ = user
        published = await instagram.create_post(account, outgoing())
        standin.set_stats(published.external_id, reach=180, views=260, likes=14, comments=3, saved=2, shares=1,
                          total_interactions=20)
        metrics = await instagram.read_stats(account, published.external_id, "24h")
        assert metrics.values == {"reach": 180, "views": 260, "likes": 14, "comments": 3, "saved": 2, "shares": 1,
                                  "total_interactions": 20, "impressions": 260, "engagements": 20}

    async def test_missing_data_stays_missing(self, standin, user, instagram):
        account, _ = user
        published = await instagram.create_post(account, outgoing())
        standin.set_stats(published.external_id, reach=5)
        assert (await instagram.read_stats(account, published.external_id, "1h")).values == {"reach": 5}

    async def test_too_few_viewers_is_no_stats_yet(self, standin, user, instagram):
        account, _ = user
        published = await instagram.create_post(account, outgoing())
        assert (await instagram.read_stats(account, published.external_id, "1h")).values == {}

    async def test_the_standin_refuses_the_retired_impressions_metric(self, standin, user, instagram):
        account, token = user
        published = await instagram.create_post(account, outgoing())
        standin.set_stats(published.external_id, reach=1)
        response = httpx.get(f"{standin.url}/v25.0/{published.external_id}/insights", params={"metric": "impressions"},
                             headers={"Authorization": f"Bearer {token.value}"})
        assert response.status_code == 400 and response.json()["error"]["code"] == 100


class TestTokens:
    async def test_a_day_old_token_is_refreshed_for_sixty_days(self, database, settings, standin, user, instagram):
        account, token = user
        standin.age_token(token.value, 25 * 3600)
        tokens = await instagram.refresh_token(account)
        assert tokens.access_token != token.value
        assert tokens.expires_at > datetime.now(UTC) + timedelta(days=59)
        assert standin.tokens[tokens.access_token].accounts == {USER}

    async def test_a_refusal_to_refresh_breaks_the_account(self, standin, user, instagram):
        account, token = user  # issued just now: Instagram only refreshes tokens at least 24 h old
        with pytest.raises(AccountBroken) as raised:
            await instagram.refresh_token(account)
        assert "reconnect" in str(raised.value)
        standin.revoke(token.value)
        with pytest.raises(AccountBroken):
            await instagram.refresh_token(account)


class TestOAuth:
    def test_the_authorize_url_asks_for_the_business_scopes(self, standin, instagram):
        parts = urlsplit(instagram.authorize_url(state="s1", redirect_uri="https://hub.example/cb",
                                                 code_challenge=None))
        assert (f"{parts.scheme}://{parts.netloc}", parts.path) == (standin.url, "/oauth/authorize")
        assert parse_qs(parts.query) == {
            "client_id": [standin.client_id], "redirect_uri": ["https://hub.example/cb"], "response_type": ["code"],
            "scope": ["instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights"],
            "state": ["s1"],
        }

    async def test_a_code_becomes_a_long_lived_token_and_the_account_is_the_target(self, standin, instagram):
        standin.users[USER] = "pizzeria.lyon"
        standin.consent_accounts = {USER}
        consent = httpx.get(instagram.authorize_url(state="s1", redirect_uri="https://hub.example/cb",
                                                    code_challenge=None))
        back = parse_qs(urlsplit(consent.headers["location"]).query)
        tokens = await instagram.exchange_code(code=back["code"][0], redirect_uri="https://hub.example/cb",
                                               code_verifier=None)
        assert tokens.expires_at > datetime.now(UTC) + timedelta(days=59)
        assert standin.tokens[tokens.access_token].expires_at > time.time() + 59 * 86400
        [target] = await instagram.list_targets(tokens)
        assert (target.external_id, target.display_name) == (USER, "pizzeria.lyon")

    async def test_a_code_for_another_redirect_is_refused(self, standin, instagram):
        standin.consent_accounts = {USER}
        consent = httpx.get(instagram.authorize_url(state="s1", redirect_uri="https://hub.example/cb",
                                                    code_challenge=None))
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        with pytest.raises(PublishRefused, match="connect the account again"):
            await instagram.exchange_code(code=code, redirect_uri="https://evil.example/cb", code_verifier=None)
