"""YouTube: a post goes out as a video on the location's channel (YouTube publishes videos only).

The video is sent with Google's resumable upload protocol: a first request opens an upload
session (its URL is remembered in the publication's progress), a second one sends the bytes
and creates the video. A retry or a reconcile asks that same session where it stands
instead of starting a second video (reference/networks.md §5).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

from hub.db import utcnow
from hub.publishing.connectors.base import (
    AccountDay, ConnectTarget, Metrics, OutcomeUnknown, OutgoingPost, PublishedPost, PublishRefused, RateLimited,
    TokenSet, TransientBeforeSend,
)
from hub.publishing.connectors.google import GoogleConnector, GoogleError
from hub.publishing.connectors.http import body, client, network_url, retry_after, send
from hub.publishing.models import SocialAccount

TITLE_CHARACTERS = 100
DESCRIPTION_BYTES = 5000  # YouTube counts the description in UTF-8 bytes, not characters.
# YouTube refuses "<" and ">" in titles and descriptions; they are sent as look-alike angle quotes.
ANGLE_BRACKETS = str.maketrans({"<": "\u2039", ">": "\u203a"})
PEOPLE_AND_BLOGS = "22"
# Google's API hosts: the only ones a video is uploaded to (the resumable session's Location,
# https://www.googleapis.com/upload/youtube/v3/videos?…&upload_id=…).
GOOGLE_DOMAINS = ("googleapis.com",)
# The daily quota resets at midnight Pacific time.
QUOTA_CLOCK = ZoneInfo("America/Los_Angeles")
# Google's clock and ours may differ a little when matching a video's publishedAt to `since`.
CLOCK_SKEW = timedelta(minutes=5)


class YouTubeConnector(GoogleConnector):
    """Uploads a post's video to a YouTube channel, with the post's image as its thumbnail."""

    name = "youtube"
    label = "YouTube"
    scopes = ("https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube.readonly")

    def _url(self, path: str, **query: Any) -> str:
        url = f"{self.settings.youtube_api_url.rstrip('/')}/{path.lstrip('/')}"
        return f"{url}?{urlencode(query)}" if query else url

    # -- publishing -----------------------------------------------------------------------

    def snippet(self, post: OutgoingPost) -> dict[str, str]:
        """The video's title (the text's first line) and description (the text), within YouTube's limits."""
        text = post.text.translate(ANGLE_BRACKETS)
        first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if not first_line:
            raise PublishRefused("YouTube needs a title: write a text whose first line names the video.")
        # Cut on a character boundary: a partial UTF-8 sequence at the end is dropped.
        description = text.encode()[:DESCRIPTION_BYTES].decode("utf-8", errors="ignore")
        return {"title": first_line[:TITLE_CHARACTERS].rstrip(), "description": description,
                "categoryId": PEOPLE_AND_BLOGS}

    async def create_post(self, account: SocialAccount, post: OutgoingPost) -> PublishedPost:
        if post.video is None:
            raise PublishRefused("YouTube publishes videos only: attach a video to the post, or leave YouTube out "
                                 "of its networks.")
        if post.progress.get("youtube_video_id"):  # an earlier attempt finished the upload
            return self._published({"id": post.progress["youtube_video_id"]})
        snippet = self.snippet(post)
        async with client(self.settings) as http:
            video: dict[str, Any] | None = None
            upload_url = post.progress.get("youtube_upload_url")
            offset = 0
            if upload_url:
                state, value = await self._upload_status(http, account, upload_url, len(post.video))
                if state == "done":
                    video = value
                elif state == "incomplete":
                    offset = value
                else:
                    # The session expired before the upload completed, so no video exists: start again.
                    upload_url = None
            if video is None:
                if upload_url is None:
                    upload_url = await self._open_upload(http, account, post, snippet)
                    # Remembered before any byte is sent: a retry resumes this session, never opens a second.
                    await post.remember(youtube_upload_url=upload_url, youtube_upload_size=len(post.video))
                video = await self._send_video(http, account, post, upload_url, offset)
            await post.remember(youtube_video_id=video["id"])
            if post.image is not None:
                await self._set_thumbnail(http, account, post, video["id"])
        return self._published(video)

    async def _open_upload(self, http: httpx.AsyncClient, account: SocialAccount, post: OutgoingPost,
                           snippet: dict[str, str]) -> str:
        """Open a resumable upload session; its URL (the Location header) receives the bytes."""
        metadata = {
            "snippet": snippet,
            # Always explicit: since Nov 2026 a video without privacyStatus goes out public.
            "status": {"privacyStatus": self.settings.youtube_privacy_status, "selfDeclaredMadeForKids": False},
        }
        headers = self.headers(account) | {"X-Upload-Content-Type": post.video_type,
                                           "X-Upload-Content-Length": str(len(post.video))}
        # Opening a session creates no video (only the bytes do), so a lost answer here is just retryable.
        answer = await send(http, "POST", self._url("/upload/youtube/v3/videos", uploadType="resumable",
                                                    part="snippet,status"),
                            creates=False, label="YouTube", json=metadata, headers=headers)
        self._raise(answer, creates=False, step="video")
        location = answer.headers.get("location")
        if not location:
            raise TransientBeforeSend("YouTube opened no upload session (no Location header); retrying later.")
        return network_url(location, label="YouTube", domains=GOOGLE_DOMAINS, configured=self.settings.youtube_api_url)

    async def _send_video(self, http: httpx.AsyncClient, account: SocialAccount, post: OutgoingPost,
                          upload_url: str, offset: int) -> dict[str, Any]:
        """Send the video's bytes from `offset`: the request that creates the video."""
        size = len(post.video)
        headers = self.headers(account) | {"Content-Type": post.video_type}
        if offset:
            headers["Content-Range"] = f"bytes {offset}-{size - 1}/{size}"
        answer = await send(http, "PUT", upload_url, creates=True, label="YouTube", content=post.video[offset:],
                            headers=headers)
        if answer.status_code == 308:
            # YouTube kept only part of the bytes: the session stays open, the next attempt resumes it.
            raise TransientBeforeSend("YouTube received only part of the video; the upload resumes on the next try.")
        self._raise(answer, creates=True, step="video")
        video = body(answer)
        if not video.get("id"):
            raise OutcomeUnknown("YouTube answered the upload without a video id; checking the upload session.")
        return video

    async def _upload_status(self, http: httpx.AsyncClient, account: SocialAccount, upload_url: str,
                             size: int) -> tuple[str, Any]:
        """Where an upload session stands: ("done", video), ("incomplete", next byte) or ("gone", None)."""
        answer = await send(http, "PUT", upload_url, creates=False, label="YouTube",
                            headers=self.headers(account) | {"Content-Range": f"bytes */{size}"}, content=b"")
        if answer.status_code == 308:
            # Range "bytes=0-N" says the first N+1 bytes arrived; no Range: none did.
            received = answer.headers.get("range", "")
            return "incomplete", int(received.rpartition("-")[2]) + 1 if received else 0
        if answer.status_code in (404, 410):
            return "gone", None
        self._raise(answer, creates=False, step="video")
        video = body(answer)
        if not video.get("id"):
            raise TransientBeforeSend("YouTube's upload session answered without the video; checking again later.")
        return "done", video

    async def _set_thumbnail(self, http: httpx.AsyncClient, account: SocialAccount, post: OutgoingPost,
                             video_id: str) -> None:
        """Set the post's image as the video's thumbnail; a failure is recorded, never fatal (the video is out)."""
        if post.progress.get("youtube_thumbnail") == "set":
            return
        try:
            answer = await send(http, "POST", self._url("/upload/youtube/v3/thumbnails/set", videoId=video_id),
                                creates=False, label="YouTube", content=post.image,
                                headers=self.headers(account) | {"Content-Type": "image/jpeg"})
            self._raise(answer, creates=False, step="thumbnail")
        except (TransientBeforeSend, OutcomeUnknown, PublishRefused) as error:
            await post.remember(youtube_thumbnail=f"failed: {error}")
            return
        await post.remember(youtube_thumbnail="set")

    async def find_post(self, account: SocialAccount, post: OutgoingPost, since: datetime) -> PublishedPost | None:
        """The video, from the upload session in progress when there is one, else from the channel's uploads."""
        if post.progress.get("youtube_video_id"):
            return self._published({"id": post.progress["youtube_video_id"]})
        async with client(self.settings) as http:
            upload_url = post.progress.get("youtube_upload_url")
            if upload_url:
                size = int(post.progress.get("youtube_upload_size") or len(post.video or b""))
                state, video = await self._upload_status(http, account, upload_url, size)
                if state == "done":
                    await post.remember(youtube_video_id=video["id"])
                    return self._published(video)
                if state == "incomplete":
                    return None  # no video yet: the next attempt resumes this session
            return await self._find_in_uploads(http, account, post, since)

    async def _find_in_uploads(self, http: httpx.AsyncClient, account: SocialAccount, post: OutgoingPost,
                               since: datetime) -> PublishedPost | None:
        """The channel's recent upload with this post's title and description."""
        answer = await send(http, "GET", self._url("/youtube/v3/channels", part="contentDetails", mine="true"),
                            creates=False, label="YouTube", headers=self.headers(account))
        self._raise(answer, creates=False, step="read")
        channels = body(answer).get("items") or []
        uploads = next((channel["contentDetails"]["relatedPlaylists"]["uploads"] for channel in channels
                        if channel.get("id") == account.external_id), None)
        if uploads is None:
            return None
        answer = await send(http, "GET", self._url("/youtube/v3/playlistItems", part="snippet", playlistId=uploads,
                                                   maxResults=20),
                            creates=False, label="YouTube", headers=self.headers(account))
        self._raise(answer, creates=False, step="read")
        wanted = self.snippet(post)
        for item in body(answer).get("items") or []:
            snippet = item.get("snippet") or {}
            published = datetime.fromisoformat(snippet["publishedAt"].replace("Z", "+00:00"))
            if (snippet.get("title"), snippet.get("description")) == (wanted["title"], wanted["description"]) \
                    and published >= since - CLOCK_SKEW:
                return self._published({"id": snippet["resourceId"]["videoId"], "snippet": snippet})
        return None

    # -- stats and connecting -------------------------------------------------------------

    async def read_stats(self, account: SocialAccount, external_id: str, offset_label: str) -> Metrics:
        """The video's public counters: viewCount, likeCount, commentCount, favoriteCount.

        impressions = viewCount (they are views: YouTube's API gives no impressions), engagements =
        likes + comments; no reach. A deleted or private video has no counters (empty values).
        """
        async with client(self.settings) as http:
            answer = await send(http, "GET", self._url("/youtube/v3/videos", part="statistics", id=external_id),
                                creates=False, label="YouTube", headers=self.headers(account))
        self._raise(answer, creates=False, step="read")
        items = body(answer).get("items") or []
        if not items:
            return Metrics(values={})
        statistics = items[0].get("statistics") or {}
        values = {name: int(statistics.get(name) or 0)
                  for name in ("viewCount", "likeCount", "commentCount", "favoriteCount")}
        values["impressions"] = values["viewCount"]
        values["engagements"] = values["likeCount"] + values["commentCount"]
        return Metrics(values=values)

    async def read_account_day(self, account: SocialAccount, day: date) -> AccountDay:
        """The channel's subscriber count now; missing when the channel hides it."""
        async with client(self.settings) as http:
            answer = await send(http, "GET", self._url("/youtube/v3/channels", part="statistics",
                                                       id=account.external_id),
                                creates=False, label="YouTube", headers=self.headers(account))
        self._raise(answer, creates=False, step="read")
        channel = next((item for item in body(answer).get("items") or [] if item.get("id") == account.external_id),
                       {})
        statistics = channel.get("statistics") or {}
        # A hidden count is not a count: YouTube may still answer a subscriberCount for it.
        if statistics.get("hiddenSubscriberCount") or statistics.get("subscriberCount") is None:
            return AccountDay(followers=None)
        return AccountDay(followers=int(statistics["subscriberCount"]))  # an unsigned long sent as a string

    async def list_targets(self, tokens: TokenSet) -> list[ConnectTarget]:
        """The channels of the signed-in Google account."""
        async with client(self.settings) as http:
            answer = await send(http, "GET", self._url("/youtube/v3/channels", part="snippet", mine="true"),
                                creates=False, label="YouTube", headers=self.headers(token=tokens.access_token))
        self._raise(answer, creates=False, step="connect")
        return [ConnectTarget(external_id=channel["id"], display_name=(channel.get("snippet") or {}).get("title")
                              or channel["id"]) for channel in body(answer).get("items") or []]

    # -- answers --------------------------------------------------------------------------

    def _raise(self, answer: httpx.Response, *, creates: bool, step: str) -> None:
        if answer.status_code < 400:
            return
        error = GoogleError.of(answer)
        if error.reason == "quotaExceeded" or error.domain == "youtube.quota":
            raise RateLimited("This app's YouTube quota for today is used up; it resets at midnight Pacific time.",
                              seconds_until_quota_reset(), scope="network")
        if error.reason == "uploadLimitExceeded":
            raise RateLimited("This channel reached YouTube's upload limit for 24 hours.", 24 * 3600.0, scope="account")
        if error.reason in ("rateLimitExceeded", "userRateLimitExceeded"):
            raise RateLimited("YouTube asks to slow down.", retry_after(answer), scope="account")
        self.raise_for_error(answer, creates=creates, step=step)

    def _published(self, video: dict[str, Any]) -> PublishedPost:
        published_at = (video.get("snippet") or {}).get("publishedAt")
        return PublishedPost(
            external_id=video["id"], url=f"https://www.youtube.com/watch?v={video['id']}",
            published_at=datetime.fromisoformat(published_at.replace("Z", "+00:00")) if published_at else utcnow(),
        )


def seconds_until_quota_reset(now: datetime | None = None) -> float:
    """Seconds until the next midnight in America/Los_Angeles, when YouTube's daily quota resets."""
    local = (now or utcnow()).astimezone(QUOTA_CLOCK)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=QUOTA_CLOCK)
    # Subtract in UTC: between two times of the same zone Python ignores a DST change.
    return max(1.0, (midnight.astimezone(timezone.utc) - local.astimezone(timezone.utc)).total_seconds())
