"""LinkedIn organization pages through the Community Management (Posts, Images) API.

Facts from reference/networks.md §3: every call carries the bearer token, `LinkedIn-Version`
and `X-Restli-Protocol-Version: 2.0.0`; a post is created with `POST /rest/posts`, which answers
201 with an empty body and the post's URN in the `x-restli-id` header; images are uploaded
first (initializeUpload, PUT the bytes, wait for AVAILABLE); the commentary is "little" text.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import httpx

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
from hub.publishing.connectors.http import body, client, network_url, retry_after, send
from hub.publishing.models import SocialAccount

# "little" text: these characters start mentions, hashtags and markup templates; unescaped, the
# text after the first of them silently disappears (networks.md §3 Text). We escape them all, so
# hashtags show as plain text rather than as {hashtag|\#|tag} templates.
LITTLE_RESERVED = frozenset("\\|{}@[]()<>#*_~")
# Roles that may post as an organization (networks.md §3 Auth).
POSTING_ROLES = ("ADMINISTRATOR", "CONTENT_ADMIN", "DIRECT_SPONSORED_CONTENT_POSTER")
# LinkedIn's own hosts: the only ones an image is uploaded to (initializeUpload's uploadUrl,
# e.g. https://www.linkedin.com/dms-uploads/…).
LINKEDIN_DOMAINS = ("linkedin.com",)
# An image is PROCESSING for a moment after its upload: poll this often before trying later.
IMAGE_POLLS = 5
IMAGE_POLL_SECONDS = 0.5
# How far back a DUPLICATE_POST refusal is looked up: far enough to cover every attempt of one
# publication, not so far that an older campaign's identical post is taken for this one.
DUPLICATE_LOOKBACK = timedelta(days=1)


def little_text(text: str) -> str:
    """`text` as LinkedIn's "little" format shows it verbatim: every reserved character escaped."""
    return "".join(f"\\{char}" if char in LITTLE_RESERVED else char for char in text)


def restli(urn: str) -> str:
    """A URN as Rest.li 2.0 wants it in a query or a path: fully percent-encoded."""
    return quote(urn, safe="")


def seconds_to_utc_midnight(now: datetime | None = None) -> float:
    """LinkedIn's daily limits reset at midnight UTC and its 429s carry no retry header (networks.md §3)."""
    now = now or datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(60.0, (midnight - now).total_seconds())


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"


class LinkedInConnector(Connector):
    """Publishes on a LinkedIn organization page (account.external_id is the organization id)."""

    name = "linkedin"
    label = "LinkedIn"
    scopes = ("w_organization_social", "r_organization_social", "rw_organization_admin")

    # -- requests -----------------------------------------------------------------------

    def _api(self, path: str) -> str:
        return f"{self.settings.linkedin_api_url.rstrip('/')}{path}"

    def _headers(self, token: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": self.settings.linkedin_version,
            "X-Restli-Protocol-Version": "2.0.0",
        }

    @staticmethod
    def author(account: SocialAccount) -> str:
        return f"urn:li:organization:{account.external_id}"

    def _fail(self, response: httpx.Response, *, creates: bool, step: str) -> None:
        """Raise what a LinkedIn error answer means; `step` ("post", "image", "read" or "connect") picks
        the refusal that tells the user what to fix."""
        data = body(response)
        status = response.status_code
        message = str(data.get("message") or response.reason_phrase or f"HTTP {status}")
        code = str(data.get("code") or "")
        # The network's words and its code, untranslated (they are LinkedIn's, not ours).
        detail = f"{message} ({code})" if code else message
        if status == 429:
            # Daily limits reset at midnight UTC; a Retry-After, when present, wins.
            raise RateLimited("LinkedIn throttled the request: {detail}. Pieuvre tries again after the wait.",
                              retry_after(response, seconds_to_utc_midnight()), scope="account", detail=message)
        if status == 401:
            if "revoked" in message.lower():
                raise AccountBroken("LinkedIn access was revoked by the member: reconnect the LinkedIn page.", "revoked")
            raise AccountBroken("The LinkedIn token has expired or is invalid: reconnect the LinkedIn page.", "expired")
        if status == 403:
            raise AccountBroken(
                "LinkedIn refused for lack of permission ({detail}): reconnect with an administrator or content admin "
                "of the page, granting every requested permission.", "missing_permission", detail=message)
        if status == 426 or code == "NONEXISTENT_VERSION":
            raise PublishRefused("LinkedIn no longer serves API version {version} ({detail}): set "
                                 "PIEUVRE_LINKEDIN_VERSION to a current YYYYMM version.",
                                 version=self.settings.linkedin_version, detail=message)
        if status >= 500:
            if creates:
                raise OutcomeUnknown("LinkedIn answered HTTP {status} while the post was being sent; checking the "
                                     "page before resending.", status=status)
            raise TransientBeforeSend("LinkedIn answered HTTP {status}; nothing was created, trying again later.",
                                      status=status)
        if step == "image":
            raise PublishRefused("LinkedIn refused the image: {detail} (HTTP {status}). Use another image, then "
                                 "publish again.", detail=detail, status=status)
        if step == "read":
            raise PublishRefused("LinkedIn refused to read the page: {detail} (HTTP {status}). Check that the page "
                                 "still exists, or reconnect it.", detail=detail, status=status)
        if step == "connect":
            raise PublishRefused("LinkedIn refused to list your organizations: {detail} (HTTP {status}). Start "
                                 "connecting again.", detail=detail, status=status)
        raise PublishRefused("LinkedIn refused the post: {detail} (HTTP {status}). Fix the post or the page's "
                             "settings, then publish again.", detail=detail, status=status)

    # -- publishing ---------------------------------------------------------------------

    async def create_post(self, account: SocialAccount, post: OutgoingPost) -> PublishedPost:
        token = self.access_token(account)
        author = self.author(account)
        payload: dict[str, Any] = {
            "author": author,
            "commentary": little_text(post.text),
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        async with client(self.settings) as http:
            if post.image:
                payload["content"] = {"media": {"id": await self._image(http, token, author, post)}}
            response = await send(http, "POST", self._api("/rest/posts"), creates=True, label="LinkedIn",
                                  headers=self._headers(token), json=payload)
        if response.status_code == 422 and body(response).get("code") == "DUPLICATE_POST":
            # A lost earlier attempt may have created it: that post is this one.
            found = await self.find_post(account, post, datetime.now(UTC) - DUPLICATE_LOOKBACK)
            if found is not None:
                return found
            raise PublishRefused("LinkedIn refuses a post identical to one already on this page: change the text.")
        if response.status_code != 201:
            self._fail(response, creates=True, step="post")
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise OutcomeUnknown("LinkedIn accepted the post without saying its id; checking the page.")
        return PublishedPost(external_id=urn, url=post_url(urn), published_at=datetime.now(UTC))

    async def _image(self, http: httpx.AsyncClient, token: str, author: str, post: OutgoingPost) -> str:
        """The URN of the post's image, AVAILABLE on LinkedIn (uploaded once across attempts)."""
        urn = post.progress.get("linkedin_image")
        status = await self._image_status(http, token, urn) if urn else None
        if status == "WAITING_UPLOAD" and post.progress.get("linkedin_upload_url"):
            await self._put_image(http, token, post.progress["linkedin_upload_url"], post.image)
            status = await self._image_status(http, token, urn)
        elif status not in ("AVAILABLE", "PROCESSING"):
            urn, upload_url = await self._initialize_upload(http, token, author)
            # Remembered before the bytes go up, so a retry polls this image instead of uploading again.
            await post.remember(linkedin_image=urn, linkedin_upload_url=upload_url)
            await self._put_image(http, token, upload_url, post.image)
            status = await self._image_status(http, token, urn)
        for _ in range(IMAGE_POLLS):
            if status == "AVAILABLE":
                return urn
            if status not in ("PROCESSING", "WAITING_UPLOAD"):
                await post.remember(linkedin_image=None, linkedin_upload_url=None)
                if not status:
                    raise TransientBeforeSend("LinkedIn no longer has the image; it will be uploaded again on the next "
                                              "attempt.")
                raise TransientBeforeSend("LinkedIn could not process the image ({detail}); it will be uploaded again "
                                          "on the next attempt.", detail=status)
            await asyncio.sleep(IMAGE_POLL_SECONDS)
            status = await self._image_status(http, token, urn)
        if status == "AVAILABLE":
            return urn
        raise TransientBeforeSend("LinkedIn is still processing the image; trying again shortly.", retry_after=30)

    async def _initialize_upload(self, http: httpx.AsyncClient, token: str, author: str) -> tuple[str, str]:
        response = await send(http, "POST", self._api("/rest/images?action=initializeUpload"), creates=False,
                              label="LinkedIn", headers=self._headers(token),
                              json={"initializeUploadRequest": {"owner": author}})
        if response.status_code != 200:
            self._fail(response, creates=False, step="image")
        value = body(response).get("value") or {}
        if not value.get("uploadUrl") or not value.get("image"):
            raise TransientBeforeSend("LinkedIn's image upload answer lacked the upload URL or the image id.")
        upload_url = network_url(value["uploadUrl"], label="LinkedIn", domains=LINKEDIN_DOMAINS,
                                 configured=self.settings.linkedin_api_url)
        return value["image"], upload_url

    async def _put_image(self, http: httpx.AsyncClient, token: str, upload_url: str, image: bytes) -> None:
        response = await send(http, "PUT", upload_url, creates=False, label="LinkedIn",
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"}, content=image)
        if response.status_code not in (200, 201):
            self._fail(response, creates=False, step="image")

    async def _image_status(self, http: httpx.AsyncClient, token: str, urn: str) -> str | None:
        """The image's status (WAITING_UPLOAD, PROCESSING, AVAILABLE or a failure), None when unknown to LinkedIn."""
        response = await send(http, "GET", self._api(f"/rest/images/{restli(urn)}"), creates=False, label="LinkedIn",
                              headers=self._headers(token))
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            self._fail(response, creates=False, step="image")
        return str(body(response).get("status") or "")

    async def find_post(self, account: SocialAccount, post: OutgoingPost, since: datetime) -> PublishedPost | None:
        """The page's recent post with exactly this commentary, created after `since`."""
        query = f"author={restli(self.author(account))}&q=author&count=20&sortBy=LAST_MODIFIED"
        async with client(self.settings) as http:
            response = await send(http, "GET", self._api(f"/rest/posts?{query}"), creates=False, label="LinkedIn",
                                  headers=self._headers(self.access_token(account)))
        if response.status_code != 200:
            self._fail(response, creates=False, step="read")
        commentary = little_text(post.text)
        # A naive time from the database is UTC (SQLite keeps no zone).
        since_ms = (since if since.tzinfo else since.replace(tzinfo=UTC)).timestamp() * 1000
        for element in body(response).get("elements") or []:
            created_ms = element.get("createdAt") or element.get("publishedAt") or 0
            if element.get("commentary") == commentary and created_ms >= since_ms and element.get("id"):
                return PublishedPost(external_id=element["id"], url=post_url(element["id"]),
                                     published_at=datetime.fromtimestamp(created_ms / 1000, UTC))
        return None

    async def read_stats(self, account: SocialAccount, external_id: str, offset_label: str) -> Metrics:
        """Lifetime counters of one post, from the organization's share statistics."""
        kind = "ugcPosts" if external_id.startswith("urn:li:ugcPost:") else "shares"
        query = (f"q=organizationalEntity&organizationalEntity={restli(self.author(account))}"
                 f"&{kind}=List({restli(external_id)})")
        async with client(self.settings) as http:
            response = await send(http, "GET", self._api(f"/rest/organizationalEntityShareStatistics?{query}"),
                                  creates=False, label="LinkedIn", headers=self._headers(self.access_token(account)))
        if response.status_code != 200:
            self._fail(response, creates=False, step="read")
        elements = body(response).get("elements") or []
        if not elements:
            return Metrics(values={})
        totals = elements[0].get("totalShareStatistics") or {}
        # The raw counters; `engagement` is LinkedIn's own ratio, not a counter, so it stays out.
        values = {name: int(value) for name, value in totals.items()
                  if name != "engagement" and isinstance(value, int | float)}
        # Normalized: impressions = impressionCount, reach = uniqueImpressionsCount,
        # engagements = clicks + likes + comments + shares.
        if "impressionCount" in values:
            values["impressions"] = values["impressionCount"]
        if "uniqueImpressionsCount" in values:
            values["reach"] = values["uniqueImpressionsCount"]
        parts = ("clickCount", "likeCount", "commentCount", "shareCount")
        if any(part in values for part in parts):
            values["engagements"] = sum(values.get(part, 0) for part in parts)
        return Metrics(values=values)

    async def read_account_day(self, account: SocialAccount, day: date) -> AccountDay:
        """The organization's follower count now (its network size as followed by members)."""
        path = f"/rest/networkSizes/{restli(self.author(account))}?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
        async with client(self.settings) as http:
            response = await send(http, "GET", self._api(path), creates=False, label="LinkedIn",
                                  headers=self._headers(self.access_token(account)))
        if response.status_code != 200:
            self._fail(response, creates=False, step="read")
        followers = body(response).get("firstDegreeSize")
        return AccountDay(followers=int(followers) if followers is not None else None)

    # -- tokens and OAuth ---------------------------------------------------------------

    def _oauth(self, path: str) -> str:
        return f"{self.settings.linkedin_oauth_url.rstrip('/')}{path}"

    async def _token_request(self, form: dict[str, str], *, refreshing: bool) -> TokenSet:
        form = {**form, "client_id": self.settings.linkedin_client_id,
                "client_secret": self.settings.linkedin_client_secret}
        async with client(self.settings) as http:
            response = await send(http, "POST", self._oauth("/oauth/v2/accessToken"), creates=False,
                                  label="LinkedIn", data=form)
        data = body(response)
        if response.status_code != 200 or not data.get("access_token"):
            if response.status_code >= 500:
                raise TransientBeforeSend("LinkedIn's token service answered HTTP {status}; trying again later.",
                                          status=response.status_code)
            if response.status_code == 429:
                raise RateLimited("LinkedIn throttled the token request.", retry_after(response, 60.0))
            detail = data.get("error_description") or data.get("error") or f"HTTP {response.status_code}"
            if refreshing:
                # Refresh tokens live 365 days from the first consent, refreshing does not extend them.
                raise AccountBroken("LinkedIn refused to renew the access ({detail}): reconnect the LinkedIn page "
                                    "(LinkedIn asks the member to consent again every year).", "expired",
                                    detail=detail)
            raise PublishRefused("LinkedIn refused the connection ({detail}): start connecting again.", detail=detail)
        now = datetime.now(UTC)
        extra: dict[str, Any] = {}
        if data.get("refresh_token_expires_in"):
            extra["refresh_token_expires_at"] = now + timedelta(seconds=int(data["refresh_token_expires_in"]))
        if data.get("scope"):
            extra["scope"] = data["scope"]
        return TokenSet(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=now + timedelta(seconds=int(data["expires_in"])) if data.get("expires_in") else None,
            extra=extra,
        )

    async def refresh_token(self, account: SocialAccount) -> TokenSet | None:
        """A new access token from the stored refresh token (None without one: only approved apps get them)."""
        refresh = self.stored_refresh_token(account)
        if not refresh:
            return None
        tokens = await self._token_request({"grant_type": "refresh_token", "refresh_token": refresh}, refreshing=True)
        tokens.refresh_token = tokens.refresh_token or refresh
        return tokens

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        query = urlencode({
            "response_type": "code", "client_id": self.settings.linkedin_client_id, "redirect_uri": redirect_uri,
            "state": state, "scope": " ".join(self.scopes),
        })
        return f"{self._oauth('/oauth/v2/authorization')}?{query}"

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        return await self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}, refreshing=False)

    async def list_targets(self, tokens: TokenSet) -> list[ConnectTarget]:
        """The organizations the member may post for (as administrator or content admin), with their names."""
        headers = self._headers(tokens.access_token)
        async with client(self.settings) as http:
            response = await send(http, "GET", self._api("/rest/organizationAcls?q=roleAssignee&state=APPROVED"),
                                  creates=False, label="LinkedIn", headers=headers)
            if response.status_code != 200:
                self._fail(response, creates=False, step="connect")
            organizations: list[str] = []
            for element in body(response).get("elements") or []:
                urn = element.get("organization") or element.get("organizationalTarget") or ""
                if element.get("role") in POSTING_ROLES and urn.startswith("urn:li:organization:") \
                        and urn not in organizations:
                    organizations.append(urn)
            targets = []
            for urn in organizations:
                organization_id = urn.rsplit(":", 1)[1]
                response = await send(http, "GET", self._api(f"/rest/organizations/{organization_id}"), creates=False,
                                      label="LinkedIn", headers=headers)
                if response.status_code != 200:
                    self._fail(response, creates=False, step="connect")
                name = body(response).get("localizedName") or organization_id
                targets.append(ConnectTarget(external_id=organization_id, display_name=name))
        return targets
