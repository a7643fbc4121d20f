"""The X connector against the X stand-in: the documented contract, and every fault."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hub.linting.networks import x_weighted_length
from hub.publishing.connectors.base import (
    AccountBroken,
    OutcomeUnknown,
    OutgoingPost,
    PublishRefused,
    RateLimited,
    TokenSet,
    TransientBeforeSend,
)
from hub.publishing.connectors.x import XConnector, created_at_of
from tests.connectors.conftest import connected_account, pointed_at
from tests.standins.x import XStandIn, weighted_length

USER = "1612345678901234567"
SCOPES = {"tweet.read", "tweet.write", "users.read", "offline.access", "media.write"}
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def standin(settings):
    with XStandIn() as standin, pointed_at(settings, x_api_url=standin.url, x_oauth_url=standin.url,
                                           x_client_id=standin.client_id, x_client_secret=standin.client_secret):
        standin.users = {USER: "velo_lyon"}
        yield standin


async def _account(database, settings, standin, scopes=SCOPES):
    token = standin.issue_token(USER, scopes, expires_in=7200, refresh=True)
    account = await connected_account(database, settings, "x", USER, token.value, refresh_token=token.refresh_token)
    return account, token


def _post(text="Spring opening in Lyon", image=None, progress=None, saved=None) -> OutgoingPost:
    async def save(progress):
        if saved is not None:
            saved.append(progress)

    return OutgoingPost(publication_id="pub-1", network="x", text=text, image=image,
                        progress=progress if progress is not None else {}, save_progress=save)


def _connector(database, settings) -> XConnector:
    return XConnector(database, settings)


def _sent(standin, path, method="POST"):
    return [r for r in standin.requests if r["path"] == path and r["method"] == method]


class TestCreatePost:
    async def test_text_post_is_created_once_with_the_documented_body(self, database, settings, standin):
        account, token = await _account(database, settings, standin)
        published = await _connector(database, settings).create_post(account, _post())
        [stored] = standin.all_posts()
        assert (published.external_id, published.url) == (stored.id, f"https://x.com/i/web/status/{stored.id}")
        assert (stored.account, stored.text) == (USER, "Spring opening in Lyon")
        assert abs(published.published_at.timestamp() - stored.created_at) < 1
        [sent] = _sent(standin, "/2/tweets")
        assert sent["json"] == {"text": "Spring opening in Lyon"}
        assert sent["headers"]["authorization"] == f"Bearer {token.value}"

    async def test_image_is_uploaded_and_attached(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        saved = []
        await _connector(database, settings).create_post(account, _post(image=JPEG_BYTES, saved=saved))
        [(media_id, media)] = standin.media.items()
        assert media["bytes"] == JPEG_BYTES and media["user"] == USER
        [upload] = _sent(standin, "/2/media/upload")
        assert upload["form"] == {"media_category": "tweet_image"}
        assert upload["headers"]["content-type"].startswith("multipart/form-data")
        [sent] = _sent(standin, "/2/tweets")
        assert sent["json"] == {"text": "Spring opening in Lyon", "media": {"media_ids": [media_id]}}
        assert saved[0]["x_media_id"] == media_id

    async def test_a_retry_reuses_the_uploaded_media_while_it_lives(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        connector = _connector(database, settings)
        progress = {}
        standin.inject("rate_limit", "create")
        with pytest.raises(RateLimited):
            await connector.create_post(account, _post(image=JPEG_BYTES, progress=progress))
        await connector.create_post(account, _post(image=JPEG_BYTES, progress=progress))
        assert len(standin.media) == 1 and len(_sent(standin, "/2/media/upload")) == 1
        [stored] = standin.all_posts()
        assert stored.extra["media_ids"] == [progress["x_media_id"]]

    async def test_an_expired_media_id_is_uploaded_again(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        progress = {"x_media_id": "123", "x_media_expires_at": time.time() - 1}
        await _connector(database, settings).create_post(account, _post(image=JPEG_BYTES, progress=progress))
        assert progress["x_media_id"] != "123" and progress["x_media_id"] in standin.media
        assert len(standin.all_posts()) == 1

    async def test_an_image_over_5_mb_is_refused_before_sending(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        big = JPEG_BYTES + b"\x00" * (5 * 1024 * 1024)
        with pytest.raises(PublishRefused, match="5 MB"):
            await _connector(database, settings).create_post(account, _post(image=big))
        assert standin.requests == [] and standin.all_posts() == []

    async def test_weighted_length_is_checked_by_x(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        connector = _connector(database, settings)
        # CJK weighs 2, a link 23 however long, an emoji with its skin tone 2: 260 + 1 + 23 + 1 + 2.
        too_long = "界" * 130 + " https://velo.example/offre-printemps-2026 " + "👍🏽"
        assert weighted_length(too_long) == x_weighted_length(too_long) == 287
        with pytest.raises(PublishRefused, match="280"):
            await connector.create_post(account, _post(too_long))
        text = "界" * 126 + "! https://velo.example/offre-printemps-2026 " + "👍🏽"
        assert weighted_length(text) == 280
        await connector.create_post(account, _post(text))
        assert [post.text for post in standin.all_posts()] == [text]


class TestFaults:
    async def test_throttling_waits_until_the_window_resets(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.inject("rate_limit", "create", retry_after=420)
        with pytest.raises(RateLimited) as caught:
            await _connector(database, settings).create_post(account, _post())
        assert caught.value.scope == "account"
        assert 415 <= caught.value.retry_after <= 421
        assert standin.all_posts() == []

    async def test_the_per_user_window_is_enforced(self, database, settings, standin):
        standin.limits["create"] = (2, 600)
        account, _ = await _account(database, settings, standin)
        connector = _connector(database, settings)
        await connector.create_post(account, _post("one"))
        await connector.create_post(account, _post("two"))
        with pytest.raises(RateLimited) as caught:
            await connector.create_post(account, _post("three"))
        assert 590 <= caught.value.retry_after <= 601
        assert [p.text for p in standin.all_posts()] == ["one", "two"]

    async def test_server_error_on_create_is_an_unknown_outcome(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.inject("server_error", "create")
        with pytest.raises(OutcomeUnknown):
            await _connector(database, settings).create_post(account, _post())
        assert standin.all_posts() == []

    async def test_server_error_on_the_upload_is_retryable(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.inject("server_error", "upload")
        with pytest.raises(TransientBeforeSend) as caught:
            await _connector(database, settings).create_post(account, _post(image=JPEG_BYTES))
        assert not isinstance(caught.value, RateLimited)
        assert standin.all_posts() == [] and _sent(standin, "/2/tweets") == []

    async def test_latency_is_waited_for(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.inject("latency", "create", seconds=0.3)
        await _connector(database, settings).create_post(account, _post())
        assert len(standin.all_posts()) == 1

    async def test_expired_token_breaks_the_account(self, database, settings, standin):
        account, token = await _account(database, settings, standin)
        standin.inject("expired_token", "create")
        with pytest.raises(AccountBroken) as caught:
            await _connector(database, settings).create_post(account, _post())
        assert caught.value.account_status == "expired" and "reconnect" in str(caught.value)
        assert token.value not in str(caught.value)

    async def test_missing_write_scope(self, database, settings, standin):
        account, _ = await _account(database, settings, standin, scopes={"tweet.read", "users.read"})
        with pytest.raises(AccountBroken) as caught:
            await _connector(database, settings).create_post(account, _post())
        assert caught.value.account_status == "missing_permission"

    async def test_lost_response_then_find_post_finds_exactly_that_post(self, database, settings, standin,
                                                                        short_timeout):
        text = "Soldes & nouveautés <ce week-end> : https://velo.example/soldes?ref=x"
        account, _ = await _account(database, settings, standin)
        connector = _connector(database, settings)
        since = datetime.now(UTC) - timedelta(seconds=5)
        standin.add_tweet(USER, "An older post", age_seconds=3600)
        standin.inject("lost_response", "create", seconds=2)
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, _post(text))
        stored = standin.posts_of(USER)[0]
        assert stored.text == text
        # X shows the link as t.co and escapes &, < and >: still the same post.
        found = await connector.find_post(account, _post(text), since)
        assert found is not None and found.external_id == stored.id
        assert await connector.find_post(account, _post("Soldes & nouveautés <ce week-end> !"), since) is None
        assert await connector.find_post(account, _post("An older post"), since) is None
        query = parse_qs(_sent(standin, f"/2/users/{USER}/tweets", "GET")[0]["query"])
        assert query["max_results"] == ["20"] and query["tweet.fields"] == ["created_at,text"]
        assert query["start_time"] == [since.strftime("%Y-%m-%dT%H:%M:%SZ")]
        assert len(standin.posts_of(USER)) == 2

    async def test_duplicate_after_a_lost_attempt_returns_the_existing_post(self, database, settings, standin,
                                                                           short_timeout):
        account, _ = await _account(database, settings, standin)
        connector = _connector(database, settings)
        standin.inject("lost_response", "create", seconds=2)
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, _post())
        [stored] = standin.all_posts()
        again = await connector.create_post(account, _post())
        assert again.external_id == stored.id
        assert len(standin.all_posts()) == 1

    async def test_duplicate_of_an_old_post_is_refused_with_what_to_do(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.add_tweet(USER, "Same text", age_seconds=3 * 86400)
        with pytest.raises(PublishRefused, match="change the text"):
            await _connector(database, settings).create_post(account, _post("Same text"))
        assert len(standin.all_posts()) == 1


class TestStats:
    async def test_a_recent_post_has_public_and_private_counters(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        published = await _connector(database, settings).create_post(account, _post())
        standin.set_metrics(published.external_id,
                            public={"retweet_count": 3, "reply_count": 2, "like_count": 11, "quote_count": 1,
                                    "bookmark_count": 4, "impression_count": 800},
                            non_public={"impression_count": 800, "url_link_clicks": 9, "user_profile_clicks": 5},
                            organic={"impression_count": 790, "like_count": 11})
        metrics = await _connector(database, settings).read_stats(account, published.external_id, "24h")
        assert metrics.values == {
            "retweet_count": 3, "reply_count": 2, "like_count": 11, "quote_count": 1, "bookmark_count": 4,
            "impression_count": 800, "url_link_clicks": 9, "user_profile_clicks": 5,
            "organic_impression_count": 790, "organic_like_count": 11,
            "impressions": 800, "engagements": 3 + 2 + 11 + 1 + 9 + 5,
        }
        assert "reach" not in metrics.values
        query = parse_qs(_sent(standin, "/2/tweets", "GET")[0]["query"])
        assert query == {"ids": [published.external_id],
                         "tweet.fields": ["public_metrics,non_public_metrics,organic_metrics"]}

    async def test_a_post_over_30_days_old_asks_only_for_public_counters(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        old = standin.add_tweet(USER, "Autumn sale", age_seconds=40 * 86400)
        assert abs(created_at_of(old.id).timestamp() - old.created_at) < 0.01
        standin.set_metrics(old.id, public={"like_count": 7, "impression_count": 300})
        metrics = await _connector(database, settings).read_stats(account, old.id, "30d")
        assert metrics.values["like_count"] == 7 and metrics.values["impressions"] == 300
        assert metrics.values["engagements"] == 7 and "url_link_clicks" not in metrics.values
        query = parse_qs(_sent(standin, "/2/tweets", "GET")[0]["query"])
        assert query["tweet.fields"] == ["public_metrics"]

    async def test_a_deleted_post_has_no_counters(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        assert (await _connector(database, settings).read_stats(account, standin.snowflake(), "7d")).values == {}


class TestTokensAndOAuth:
    async def test_refresh_rotates_both_tokens(self, database, settings, standin):
        account, old = await _account(database, settings, standin)
        tokens = await _connector(database, settings).refresh_token(account)
        assert tokens.access_token != old.value and tokens.refresh_token != old.refresh_token
        assert standin.tokens[tokens.access_token].usable() and not standin.tokens[old.value].usable()
        assert timedelta(minutes=119) < tokens.expires_at - datetime.now(UTC) <= timedelta(hours=2)
        [sent] = _sent(standin, "/2/oauth2/token")
        assert sent["form"]["grant_type"] == "refresh_token" and sent["form"]["refresh_token"] == old.refresh_token
        # The old refresh token was rotated away: using it again breaks the account.
        with pytest.raises(AccountBroken) as caught:
            await _connector(database, settings).refresh_token(account)
        assert caught.value.account_status == "expired"

    def test_authorize_url_uses_pkce(self, database, settings, standin):
        url = _connector(database, settings).authorize_url(state="s1", redirect_uri="https://hub.test/cb",
                                                           code_challenge="abc")
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{standin.url}/i/oauth2/authorize"
        assert parse_qs(parts.query) == {
            "response_type": ["code"], "client_id": [standin.client_id], "redirect_uri": ["https://hub.test/cb"],
            "scope": ["tweet.read tweet.write users.read offline.access media.write"], "state": ["s1"],
            "code_challenge": ["abc"], "code_challenge_method": ["S256"],
        }
        with pytest.raises(PublishRefused, match="PKCE"):
            _connector(database, settings).authorize_url(state="s1", redirect_uri="https://hub.test/cb",
                                                         code_challenge=None)

    async def test_consent_then_code_exchange_with_the_verifier_then_the_account(self, database, settings, standin):
        standin.consent_accounts = {USER}
        connector = _connector(database, settings)
        verifier = "v" * 50
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()

        async def consent() -> str:
            url = connector.authorize_url(state="s1", redirect_uri="https://hub.test/cb", code_challenge=challenge)
            async with httpx.AsyncClient() as http:
                answer = await http.get(url)
            assert answer.status_code == 302
            return parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]

        with pytest.raises(PublishRefused, match="start connecting again"):
            await connector.exchange_code(code=await consent(), redirect_uri="https://hub.test/cb",
                                          code_verifier="wrong-verifier")
        tokens = await connector.exchange_code(code=await consent(), redirect_uri="https://hub.test/cb",
                                               code_verifier=verifier)
        assert standin.tokens[tokens.access_token].scopes == SCOPES and tokens.refresh_token
        sent = _sent(standin, "/2/oauth2/token")[-1]
        assert sent["form"]["code_verifier"] == verifier and sent["headers"]["authorization"].startswith("Basic ")
        [target] = await connector.list_targets(tokens)
        assert (target.external_id, target.display_name) == (USER, "@velo_lyon")

    async def test_list_targets_with_a_dead_token_breaks(self, database, settings, standin):
        with pytest.raises(AccountBroken):
            await _connector(database, settings).list_targets(TokenSet(access_token="nope"))
