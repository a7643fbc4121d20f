"""YouTube's contract: resumable video uploads sent once, thumbnails, quotas, statistics and OAuth."""

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
from hub.publishing.connectors.base import (
    AccountBroken, OutcomeUnknown, OutgoingPost, PublishRefused, RateLimited, TransientBeforeSend,
)
from hub.publishing.connectors.youtube import seconds_until_quota_reset
from tests.connectors.conftest import connected_account, pointed_at
from tests.standins.google import READONLY_SCOPE, UPLOAD_SCOPE, YouTubeStandIn

CHANNEL = "UCpizzalyon0001"
REDIRECT = "https://hub.example/oauth/youtube/callback"
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 500


@pytest.fixture
def standin(settings):
    with YouTubeStandIn() as standin, pointed_at(
        settings, youtube_api_url=standin.url, google_oauth_url=standin.url, google_token_url=standin.url,
        google_client_id=standin.client_id, google_client_secret=standin.client_secret,
        youtube_privacy_status="unlisted",
    ):
        standin.add_channel(CHANNEL, "Pizza Lyon")
        yield standin


@pytest.fixture
async def account(database, settings, standin):
    token = standin.token_for(CHANNEL, expires_in=3600, refresh=True)
    return await connected_account(database, settings, "youtube", CHANNEL, token.value,
                                   refresh_token=token.refresh_token)


@pytest.fixture
def connector(database, settings):
    return get_connector("youtube", database, settings)


class Saved:
    """What a publication's progress looked like each time the connector saved it."""

    def __init__(self) -> None:
        self.snapshots: list[dict] = []

    async def __call__(self, progress: dict) -> None:
        self.snapshots.append(progress)


def outgoing(text="Our pizzaiolo at work\nWatch how we stretch the dough.", progress=None, saved=None,
             **values) -> OutgoingPost:
    values.setdefault("video", VIDEO)
    return OutgoingPost(publication_id="pub-1", network="youtube", text=text, progress=dict(progress or {}),
                        save_progress=saved, **values)


class TestPublishing:
    async def test_a_video_is_uploaded_once_with_its_metadata_and_thumbnail(self, standin, account, connector):
        published = await connector.create_post(account, outgoing(image=JPEG))
        [opening] = standin.initiations
        assert opening == {
            "metadata": {"snippet": {"title": "Our pizzaiolo at work",
                                     "description": "Our pizzaiolo at work\nWatch how we stretch the dough.",
                                     "categoryId": "22"},
                         # From the setting, always sent (without it YouTube publishes publicly).
                         "status": {"privacyStatus": "unlisted", "selfDeclaredMadeForKids": False}},
            "length": str(len(VIDEO)), "content_type": "video/mp4",
        }
        [video] = standin.posts_of(CHANNEL)
        assert video.extra["data"] == VIDEO
        assert video.extra["thumbnail"] == JPEG
        assert published.external_id == video.id
        assert published.url == f"https://www.youtube.com/watch?v={video.id}"

    async def test_an_upload_session_off_google_is_refused_and_the_video_not_sent(self, standin, account, connector,
                                                                                  elsewhere):
        standin.upload_base = elsewhere.url  # loopback, but not the configured YouTube address
        saved = Saved()
        with pytest.raises(TransientBeforeSend, match=r"address that is not one of its own \(127\.0\.0\.1\)"):
            await connector.create_post(account, outgoing(saved=saved))
        assert elsewhere.requests == [] and standin.posts_of(CHANNEL) == []
        assert saved.snapshots == []  # no session remembered: the next attempt opens one on YouTube

    async def test_a_post_without_a_video_is_refused_before_sending(self, standin, account, connector):
        with pytest.raises(PublishRefused) as error:
            await connector.create_post(account, outgoing(video=None))
        assert str(error.value) == ("YouTube publishes videos only: attach a video to the post, or leave YouTube out "
                                    "of its networks.")
        assert standin.calls == []

    async def test_title_and_description_fit_youtube_limits(self, standin, account, connector):
        first_line = "Pizza <b>night</b> " + "é" * 150
        text = f"{first_line}\n" + "🍕" * 1300  # 5200 bytes of emoji alone
        await connector.create_post(account, outgoing(text))
        snippet = standin.initiations[0]["metadata"]["snippet"]
        assert len(snippet["title"]) == 100 and snippet["title"].startswith("Pizza \u2039b\u203anight\u2039/b\u203a")
        description = snippet["description"].encode()
        assert 4996 < len(description) <= 5000
        assert snippet["description"].endswith("🍕")  # no character cut in half
        assert "<" not in snippet["description"] + snippet["title"]
        assert len(standin.all_posts()) == 1

    async def test_the_stand_in_refuses_what_youtube_refuses(self, standin):
        token = standin.token_for(CHANNEL)
        base = {"snippet": {"title": "Hi", "description": ""}, "status": {"privacyStatus": "private"}}
        async with httpx.AsyncClient() as http:
            async def opening(metadata):
                answer = await http.post(f"{standin.url}/upload/youtube/v3/videos",
                                         params={"uploadType": "resumable", "part": "snippet,status"},
                                         json=metadata, headers={"Authorization": f"Bearer {token.value}",
                                                                 "X-Upload-Content-Length": "10",
                                                                 "X-Upload-Content-Type": "video/mp4"})
                return answer.status_code, answer.json()["error"]["errors"][0]["reason"] if answer.content else None
            assert await opening(base) == (200, None)
            assert await opening(base | {"status": {}}) == (400, "invalidVideoMetadata")
            assert await opening(base | {"snippet": {"title": "a<b"}}) == (400, "invalidTitle")
            assert await opening(base | {"snippet": {"title": "ok", "description": "a>b"}}) == \
                (400, "invalidDescription")


class TestResuming:
    async def test_a_lost_answer_is_settled_from_the_upload_session(self, standin, account, connector,
                                                                     short_timeout):
        saved = Saved()
        standin.inject("lost_response", seconds=3)
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, outgoing(saved=saved))
        # The session was saved before the bytes were sent.
        assert saved.snapshots[0]["youtube_upload_url"].startswith(f"{standin.url}/upload/youtube/v3/videos?")
        [video] = standin.all_posts()
        found = await connector.find_post(account, outgoing(progress=saved.snapshots[-1]), utcnow())
        assert found.external_id == video.id
        assert len(standin.all_posts()) == 1

    async def test_without_a_session_find_post_reads_the_channel_uploads(self, standin, account, connector,
                                                                         short_timeout):
        since = utcnow() - timedelta(seconds=1)
        standin.inject("lost_response", seconds=3)
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, outgoing())
        [video] = standin.all_posts()
        # The reconcile job may know only the text: it matches the title and description.
        found = await connector.find_post(account, outgoing(video=None), since)
        assert found.external_id == video.id
        assert await connector.find_post(account, outgoing("Another video", video=None), since) is None

    async def test_a_server_error_on_the_bytes_then_a_retry_resumes_the_same_session(self, standin, account,
                                                                                     connector):
        saved = Saved()
        standin.inject("server_error")
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, outgoing(saved=saved))
        assert standin.all_posts() == []
        assert await connector.find_post(account, outgoing(progress=saved.snapshots[-1]), utcnow()) is None
        published = await connector.create_post(account, outgoing(progress=saved.snapshots[-1], saved=saved))
        assert len(standin.sessions) == 1 and len(standin.initiations) == 1
        [video] = standin.all_posts()
        assert (published.external_id, video.extra["data"]) == (video.id, VIDEO)

    async def test_a_partly_sent_video_resumes_from_the_byte_youtube_asks(self, standin, account, connector):
        saved = Saved()
        standin.inject("server_error")
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, outgoing(saved=saved))
        progress = saved.snapshots[-1]
        # An interrupted transfer left the first 1000 bytes in the session.
        async with httpx.AsyncClient() as http:
            answer = await http.put(progress["youtube_upload_url"], content=VIDEO[:1000],
                                    headers={"Authorization": f"Bearer {connector.access_token(account)}",
                                             "Content-Range": f"bytes 0-999/{len(VIDEO)}"})
        assert (answer.status_code, answer.headers["range"]) == (308, "bytes=0-999")
        await connector.create_post(account, outgoing(progress=progress))
        [video] = standin.all_posts()
        assert video.extra["data"] == VIDEO
        assert ("create", "") in standin.calls and ("status", "") in standin.calls

    async def test_a_failure_opening_the_session_is_retryable(self, standin, account, connector):
        standin.inject("server_error", "upload")
        with pytest.raises(TransientBeforeSend) as error:
            await connector.create_post(account, outgoing())
        assert not isinstance(error.value, RateLimited)
        assert standin.all_posts() == []

    async def test_a_thumbnail_failure_keeps_the_video_and_is_recorded(self, standin, account, connector):
        saved = Saved()
        standin.inject("server_error", "thumbnail")
        published = await connector.create_post(account, outgoing(image=JPEG, saved=saved))
        [video] = standin.all_posts()
        assert published.external_id == video.id and video.extra["thumbnail"] is None
        assert saved.snapshots[-1]["youtube_thumbnail"].startswith("failed: ")
        assert saved.snapshots[-1]["youtube_video_id"] == video.id

    async def test_a_thumbnail_youtube_finds_invalid_is_recorded(self, standin, account, connector):
        saved = Saved()
        await connector.create_post(account, outgoing(image=b"GIF89a not a jpeg", saved=saved))
        assert "invalid" in saved.snapshots[-1]["youtube_thumbnail"]
        assert len(standin.all_posts()) == 1

    async def test_a_finished_video_is_not_sent_again(self, standin, account, connector):
        saved = Saved()
        await connector.create_post(account, outgoing(saved=saved))
        again = await connector.create_post(account, outgoing(progress=saved.snapshots[-1]))
        [video] = standin.all_posts()
        assert again.external_id == video.id


class TestLimits:
    async def test_quota_exceeded_waits_until_midnight_pacific_for_the_whole_app(self, standin, account, connector):
        standin.inject("rate_limit", "upload")
        with pytest.raises(RateLimited) as error:
            await connector.create_post(account, outgoing())
        assert error.value.scope == "network"
        assert abs(error.value.retry_after - seconds_until_quota_reset()) < 5
        assert standin.all_posts() == []

    async def test_the_channel_upload_cap_waits_a_day_for_that_account(self, standin, account, connector):
        standin.daily_upload_cap = 1
        await connector.create_post(account, outgoing())
        with pytest.raises(RateLimited) as error:
            await connector.create_post(account, outgoing("Second video"))
        assert (error.value.scope, error.value.retry_after) == ("account", 24 * 3600)
        assert len(standin.all_posts()) == 1

    async def test_an_expired_token_breaks_the_account(self, standin, account, connector):
        standin.inject("expired_token", "upload")
        with pytest.raises(AccountBroken) as error:
            await connector.create_post(account, outgoing())
        assert error.value.account_status == "expired"
        assert connector.access_token(account) not in str(error.value)

    async def test_a_token_without_the_upload_scope_lacks_permission(self, database, settings, standin, connector):
        token = standin.token_for(CHANNEL, scopes=(READONLY_SCOPE,))
        account = await connected_account(database, settings, "youtube", CHANNEL, token.value)
        with pytest.raises(AccountBroken) as error:
            await connector.create_post(account, outgoing())
        assert error.value.account_status == "missing_permission"


class TestStats:
    async def test_counters_are_read_as_numbers_with_views_as_impressions(self, standin, account, connector):
        published = await connector.create_post(account, outgoing())
        standin.set_statistics(published.external_id, viewCount=1200, likeCount=40, commentCount=7, favoriteCount=0)
        metrics = await connector.read_stats(account, published.external_id, "24h")
        assert metrics.values == {"viewCount": 1200, "likeCount": 40, "commentCount": 7, "favoriteCount": 0,
                                  "impressions": 1200, "engagements": 47}
        assert not metrics.simulated

    async def test_a_video_gone_has_no_counters(self, standin, account, connector):
        assert (await connector.read_stats(account, "no-such-video", "24h")).values == {}


class TestConnecting:
    async def test_oauth_then_the_channel(self, standin, connector):
        standin.consent_accounts = {CHANNEL}
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        url = connector.authorize_url(state="st-2", redirect_uri=REDIRECT, code_challenge=challenge)
        params = {name: value[0] for name, value in parse_qs(urlsplit(url).query).items()}
        assert params["scope"] == f"{UPLOAD_SCOPE} {READONLY_SCOPE}"
        assert (params["access_type"], params["prompt"], params["code_challenge_method"]) == \
            ("offline", "consent", "S256")
        async with httpx.AsyncClient() as http:
            answer = await http.get(url)
        code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
        tokens = await connector.exchange_code(code=code, redirect_uri=REDIRECT, code_verifier=verifier)
        assert standin.token_requests[-1] == {
            "code": code, "client_id": standin.client_id, "client_secret": standin.client_secret,
            "redirect_uri": REDIRECT, "grant_type": "authorization_code", "code_verifier": verifier}
        targets = await connector.list_targets(tokens)
        assert [(target.external_id, target.display_name) for target in targets] == [(CHANNEL, "Pizza Lyon")]

    async def test_refresh_keeps_the_refresh_token_and_a_dead_one_breaks_the_account(self, standin, account,
                                                                                       connector):
        old_refresh = connector.stored_refresh_token(account)
        tokens = await connector.refresh_token(account)
        assert tokens.refresh_token == old_refresh and tokens.access_token != connector.access_token(account)
        standin.expire_refresh_token(old_refresh)
        with pytest.raises(AccountBroken) as error:
            await connector.refresh_token(account)
        assert error.value.account_status == "expired"

    async def test_a_server_error_at_the_token_endpoint_is_retryable(self, standin, account, connector):
        standin.inject("server_error", "token")
        with pytest.raises(TransientBeforeSend):
            await connector.refresh_token(account)
