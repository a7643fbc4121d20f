"""X (Twitter) through API v2: posts, v2 media upload, public and private metrics, OAuth 2.0 with PKCE.

Facts from reference/networks.md §4: `POST /2/tweets` answers 201 `{"data":{"id","text"}}`; images
go up first through `POST /2/media/upload` (5 MB at most); every answer carries
`x-rate-limit-*` headers and a 429 says when the window resets; errors are problem JSON
`{"title","detail","type","status"}`, a duplicate text being a 403; the access token lasts two
hours and each refresh returns a new refresh token.
"""

from __future__ import annotations

import html
import time
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from hub.linting.networks import URL
from hub.publishing.connectors.base import (
    AccountBroken,
    AccountDay,
    ConnectTarget,
    Connector,
    Metrics,
    OutcomeUnknown,
    OutgoingPost,
    PublishedPost,
    PublishRefused,
    RateLimited,
    TokenSet,
    TransientBeforeSend,
)
from hub.publishing.connectors.http import body, client, retry_after, send
from hub.publishing.models import SocialAccount

# X takes images up to 5 MB (networks.md §4 Media).
IMAGE_MAX_BYTES = 5 * 1024 * 1024
# An uploaded media id stays usable for `expires_after_secs` (a day); reuse it only with this margin left.
MEDIA_REUSE_MARGIN_SECONDS = 600
# Non-public and organic metrics exist only for posts up to 30 days old (networks.md §4 Stats);
# asking for them on an older post is an error, so stop asking a little before.
PRIVATE_METRICS_AGE = timedelta(days=30) - timedelta(hours=1)
# X ids are snowflakes: the creation time in ms since this epoch, shifted left by 22 bits.
SNOWFLAKE_EPOCH_MS = 1288834974657
# How far back a duplicate refusal is looked up (covers every attempt of one publication).
DUPLICATE_LOOKBACK = timedelta(days=1)


def post_url(post_id: str) -> str:
    return f"https://x.com/i/web/status/{post_id}"


def comparable(text: str) -> str:
    """A post's text as find_post compares it: X returns links as t.co and escapes &, < and >."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    return URL.sub("<link>", text).strip()


def created_at_of(post_id: str) -> datetime | None:
    """When an X post was created, read from its snowflake id (None for an id that is not one)."""
    if not post_id.isdigit():
        return None
    return datetime.fromtimestamp(((int(post_id) >> 22) + SNOWFLAKE_EPOCH_MS) / 1000, UTC)


class XConnector(Connector):
    """Publishes on an X account (account.external_id is the user id)."""

    name = "x"
    label = "X"
    scopes = ("tweet.read", "tweet.write", "users.read", "offline.access", "media.write")
    pkce = True

    # -- requests -----------------------------------------------------------------------

    def _api(self, path: str) -> str:
        return f"{self.settings.x_api_url.rstrip('/')}{path}"

    @staticmethod
    def _headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _fail(self, response: httpx.Response, *, creates: bool, step: str) -> None:
        """Raise what an X error answer means; `step` ("post", "image", "read" or "connect") picks the
        refusal that tells the user what to fix."""
        data = body(response)
        status = response.status_code
        detail = str(data.get("detail") or data.get("title") or response.reason_phrase or f"HTTP {status}")
        messages = [str(e.get("message")) for e in data.get("errors") or [] if isinstance(e, dict) and e.get("message")]
        if messages:
            detail = f"{detail} {' '.join(messages)}"
        lowered = detail.lower()
        if status == 429:
            # The per-user window (e.g. 200 posts per 15 min) resets at x-rate-limit-reset.
            raise RateLimited("X rate limit reached; Pieuvre tries again when it resets.", retry_after(response, 900.0),
                              scope="account")
        if status == 401:
            raise AccountBroken("The X token has expired or was revoked: reconnect the X account.", "expired")
        if status == 403:
            if "too long" in lowered:
                raise PublishRefused("X counts this text as longer than 280 characters (links count 23, emoji and "
                                     "CJK characters 2): shorten it.")
            if any(word in lowered for word in ("not permitted", "unsupported authentication", "scope",
                                                "permission", "oauth2 user context")):
                raise AccountBroken("X refused for lack of permission ({detail}): reconnect the X account and grant "
                                    "every requested permission.", "missing_permission", detail=detail)
        if status >= 500:
            if creates:
                raise OutcomeUnknown("X answered HTTP {status} while the post was being sent; checking the account "
                                     "before resending.", status=status)
            raise TransientBeforeSend("X answered HTTP {status}; nothing was created, trying again later.",
                                      status=status)
        if step == "image":
            raise PublishRefused("X refused the image: {detail} (HTTP {status}). Use another image, then publish "
                                 "again.", detail=detail, status=status)
        if step == "read":
            raise PublishRefused("X refused to read the account: {detail} (HTTP {status}). Reconnect the X account "
                                 "if this lasts.", detail=detail, status=status)
        if step == "connect":
            raise PublishRefused("X refused to show your account: {detail} (HTTP {status}). Start connecting again.",
                                 detail=detail, status=status)
        raise PublishRefused("X refused the post: {detail} (HTTP {status}). Fix the post or the account, then publish "
                             "again.", detail=detail, status=status)

    # -- publishing ---------------------------------------------------------------------

    async def create_post(self, account: SocialAccount, post: OutgoingPost) -> PublishedPost:
        token = self.access_token(account)
        payload: dict[str, Any] = {"text": post.text}
        async with client(self.settings) as http:
            if post.image:
                payload["media"] = {"media_ids": [await self._media_id(http, token, post)]}
            response = await send(http, "POST", self._api("/2/tweets"), creates=True, label="X",
                                  headers=self._headers(token), json=payload)
        data = body(response)
        if response.status_code == 403 and "duplicate" in str(data.get("detail", "")).lower():
            # A lost earlier attempt may have created it: that post is this one.
            found = await self.find_post(account, post, datetime.now(UTC) - DUPLICATE_LOOKBACK)
            if found is not None:
                return found
            raise PublishRefused("X refuses a post identical to a recent one on this account: change the text.")
        if response.status_code not in (200, 201):
            self._fail(response, creates=True, step="post")
        post_id = str((data.get("data") or {}).get("id") or "")
        if not post_id:
            raise OutcomeUnknown("X accepted the post without saying its id; checking the account.")
        return PublishedPost(external_id=post_id, url=post_url(post_id),
                             published_at=created_at_of(post_id) or datetime.now(UTC))

    async def _media_id(self, http: httpx.AsyncClient, token: str, post: OutgoingPost) -> str:
        """The id of the post's image on X: the one an earlier attempt uploaded while it lives, else a new upload."""
        if len(post.image) > IMAGE_MAX_BYTES:
            raise PublishRefused("X takes images up to 5 MB; this one is {size} MB: use a smaller image.",
                                 size=f"{len(post.image) / 1048576:.1f}")
        media_id = post.progress.get("x_media_id")
        if media_id and float(post.progress.get("x_media_expires_at") or 0) > time.time() + MEDIA_REUSE_MARGIN_SECONDS:
            return media_id
        response = await send(http, "POST", self._api("/2/media/upload"), creates=False, label="X",
                              headers=self._headers(token), data={"media_category": "tweet_image"},
                              files={"media": ("image.jpg", post.image, "image/jpeg")})
        if response.status_code not in (200, 201):
            self._fail(response, creates=False, step="image")
        media = body(response).get("data") or {}
        if not media.get("id"):
            raise TransientBeforeSend("X's media upload answer lacked the media id.")
        await post.remember(x_media_id=str(media["id"]),
                            x_media_expires_at=time.time() + float(media.get("expires_after_secs") or 86400))
        return str(media["id"])

    async def find_post(self, account: SocialAccount, post: OutgoingPost, since: datetime) -> PublishedPost | None:
        """The account's post with this text created after `since` (links compared as placeholders)."""
        # A naive time from the database is UTC (SQLite keeps no zone).
        since = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
        start = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        query = urlencode({"max_results": 20, "start_time": start, "tweet.fields": "created_at,text"})
        async with client(self.settings) as http:
            response = await send(http, "GET", self._api(f"/2/users/{account.external_id}/tweets?{query}"),
                                  creates=False, label="X", headers=self._headers(self.access_token(account)))
        if response.status_code != 200:
            self._fail(response, creates=False, step="read")
        wanted = comparable(post.text)
        for tweet in body(response).get("data") or []:
            if comparable(str(tweet.get("text", ""))) == wanted and tweet.get("id"):
                created = tweet.get("created_at")
                published_at = (datetime.fromisoformat(created.replace("Z", "+00:00")) if created
                                else created_at_of(tweet["id"]) or datetime.now(UTC))
                return PublishedPost(external_id=tweet["id"], url=post_url(tweet["id"]), published_at=published_at)
        return None

    async def read_stats(self, account: SocialAccount, external_id: str, offset_label: str) -> Metrics:
        """The post's public counters, plus its private ones while it is under 30 days old."""
        fields = ["public_metrics"]
        created = created_at_of(external_id)
        if created is not None and datetime.now(UTC) - created < PRIVATE_METRICS_AGE:
            fields += ["non_public_metrics", "organic_metrics"]
        query = urlencode({"ids": external_id, "tweet.fields": ",".join(fields)})
        async with client(self.settings) as http:
            response = await send(http, "GET", self._api(f"/2/tweets?{query}"), creates=False, label="X",
                                  headers=self._headers(self.access_token(account)))
        if response.status_code != 200:
            self._fail(response, creates=False, step="read")
        tweet = next((t for t in body(response).get("data") or [] if str(t.get("id")) == external_id), None)
        if tweet is None:
            return Metrics(values={})  # deleted, or not visible to this account
        values: dict[str, int] = {}
        for name, value in (tweet.get("non_public_metrics") or {}).items():
            values[name] = int(value)
        for name, value in (tweet.get("public_metrics") or {}).items():
            values[name] = int(value)
        for name, value in (tweet.get("organic_metrics") or {}).items():
            values[f"organic_{name}"] = int(value)
        # Normalized: impressions = impression_count; engagements = likes + reposts + replies + quotes,
        # plus link and profile clicks while X reports them. X gives no reach.
        if "impression_count" in values:
            values["impressions"] = values["impression_count"]
        parts = ("like_count", "retweet_count", "reply_count", "quote_count", "url_link_clicks", "user_profile_clicks")
        if any(part in values for part in parts):
            values["engagements"] = sum(values.get(part, 0) for part in parts)
        return Metrics(values=values)

    async def read_account_day(self, account: SocialAccount, day: date) -> AccountDay:
        """The account's follower count now (the public_metrics of its own user object)."""
        async with client(self.settings) as http:
            response = await send(http, "GET", self._api("/2/users/me?user.fields=public_metrics"), creates=False,
                                  label="X", headers=self._headers(self.access_token(account)))
        if response.status_code != 200:
            self._fail(response, creates=False, step="read")
        followers = ((body(response).get("data") or {}).get("public_metrics") or {}).get("followers_count")
        return AccountDay(followers=int(followers) if followers is not None else None)

    # -- tokens and OAuth ---------------------------------------------------------------

    async def _token_request(self, form: dict[str, str], *, refreshing: bool) -> TokenSet:
        # A confidential client authenticates with HTTP Basic client_id:client_secret.
        async with client(self.settings) as http:
            response = await send(http, "POST", self._api("/2/oauth2/token"), creates=False, label="X",
                                  data={**form, "client_id": self.settings.x_client_id},
                                  auth=(self.settings.x_client_id, self.settings.x_client_secret))
        data = body(response)
        if response.status_code != 200 or not data.get("access_token"):
            if response.status_code >= 500:
                raise TransientBeforeSend("X's token service answered HTTP {status}; trying again later.",
                                          status=response.status_code)
            if response.status_code == 429:
                raise RateLimited("X throttled the token request.", retry_after(response, 60.0))
            detail = data.get("error_description") or data.get("error") or f"HTTP {response.status_code}"
            if refreshing:
                raise AccountBroken("X refused to renew the access ({detail}): reconnect the X account.", "expired",
                                    detail=detail)
            raise PublishRefused("X refused the connection ({detail}): start connecting again.", detail=detail)
        return TokenSet(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.now(UTC) + timedelta(seconds=int(data["expires_in"])) if data.get("expires_in") else None,
            extra={"scope": data["scope"]} if data.get("scope") else {},
        )

    async def refresh_token(self, account: SocialAccount) -> TokenSet | None:
        """New tokens; X rotates the refresh token on every refresh, so the newest must be stored."""
        refresh = self.stored_refresh_token(account)
        if not refresh:
            raise AccountBroken("This X account has no refresh token (offline.access was not granted): reconnect it.",
                                "expired")
        return await self._token_request({"grant_type": "refresh_token", "refresh_token": refresh}, refreshing=True)

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        if not code_challenge:
            raise PublishRefused("X requires PKCE: connecting needs a code challenge.")
        query = urlencode({
            "response_type": "code", "client_id": self.settings.x_client_id, "redirect_uri": redirect_uri,
            "scope": " ".join(self.scopes), "state": state, "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        })
        return f"{self.settings.x_oauth_url.rstrip('/')}/i/oauth2/authorize?{query}"

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        return await self._token_request({"grant_type": "authorization_code", "code": code,
                                          "redirect_uri": redirect_uri, "code_verifier": code_verifier or ""},
                                         refreshing=False)

    async def list_targets(self, tokens: TokenSet) -> list[ConnectTarget]:
        """The one account the tokens belong to."""
        async with client(self.settings) as http:
            response = await send(http, "GET", self._api("/2/users/me"), creates=False, label="X",
                                  headers=self._headers(tokens.access_token))
        if response.status_code != 200:
            self._fail(response, creates=False, step="connect")
        user = body(response).get("data") or {}
        return [ConnectTarget(external_id=str(user["id"]), display_name=f"@{user.get('username') or user['id']}")]
