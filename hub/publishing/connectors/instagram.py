"""Instagram professional accounts through the Instagram API with Instagram Login (graph.instagram.com).

Publishing is two steps (reference/networks.md §2 [I1]): a media container is made from the
image URL and caption, then published. Only the publish step makes a visible post, so it is the
"create" whose lost answer is an unknown outcome. The container id is remembered before
anything else happens, so a later attempt checks that container instead of making a second post.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from hub.publishing.connectors import http
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
from hub.publishing.connectors.facebook import graph_error, graph_time, raise_for_graph_error
from hub.publishing.models import SocialAccount

# Error (code, subcode) pairs of the IG error-code reference [I8].
POSTS_PER_DAY_REACHED = (9, 2207042)
SPAM_BLOCK = (4, 2207051)
CONTAINER_EXPIRED = (-2, 2207020)
MEDIA_INSIGHTS = ("reach", "views", "likes", "comments", "saved", "shares", "total_interactions")
DAY = 86400


class InstagramConnector(Connector):
    """Publishes an image post on an Instagram professional account with its Instagram Login token."""

    name = "instagram"
    label = "Instagram"
    scopes = ("instagram_business_basic", "instagram_business_content_publish", "instagram_business_manage_insights")
    # How long one attempt waits for a container to be FINISHED, and how often it asks. Images are
    # usually ready in seconds; past this, the attempt ends and the next one resumes the same container.
    container_wait_seconds = 20.0
    container_poll_seconds = 2.0

    def _graph(self, path: str) -> str:
        return f"{self.settings.instagram_api_url.rstrip('/')}/{self.settings.facebook_graph_version}/{path}"

    @staticmethod
    def _auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def _get(self, client: httpx.AsyncClient, token: str, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """A read; its errors raise what they mean (nothing is ever created by a read)."""
        response = await http.send(client, "GET", self._graph(path), creates=False, label="Instagram",
                                   params=params, headers=self._auth(token))
        if not response.is_success:
            raise_for_graph_error(response, label="Instagram", creates=False)
        return http.body(response)

    # -- publishing ----------------------------------------------------------------------

    async def create_post(self, account: SocialAccount, post: OutgoingPost) -> PublishedPost:
        if not post.image_url:
            raise PublishRefused("Instagram needs an image: add one to the post.")
        token = self.access_token(account)
        async with http.client(self.settings) as client:
            container = post.progress.get("container_id")
            if container:
                status = await self._container_status(client, token, container)
                if status == "PUBLISHED":
                    return await self._published(client, token, account, post)
                if status in ("ERROR", "EXPIRED"):
                    await post.remember(container_id=None)
                    container = None
            if not container:
                container = await self._new_container(client, token, account, post)
                # Saved before anything else: from here a later attempt resumes this container.
                await post.remember(container_id=container)
            await self._wait_until_finished(client, token, post, container)
            return await self._publish(client, token, account, post, container)

    async def _new_container(self, client: httpx.AsyncClient, token: str, account: SocialAccount,
                             post: OutgoingPost) -> str:
        form = {"image_url": post.image_url, "caption": post.text}
        if post.options.get("alt_text"):
            form["alt_text"] = post.options["alt_text"]
        # A container is not a visible post: a lost answer only leaves an unused container behind.
        response = await http.send(client, "POST", self._graph(f"{account.external_id}/media"), creates=False,
                                   label="Instagram", data=form, headers=self._auth(token))
        if not response.is_success:
            self._raise_publishing_error(response, creates=False)
        return str(http.body(response)["id"])

    async def _container_status(self, client: httpx.AsyncClient, token: str, container: str) -> str:
        answer = await self._get(client, token, container, {"fields": "status_code,status"})
        return answer.get("status_code") or "IN_PROGRESS"

    async def _wait_until_finished(self, client: httpx.AsyncClient, token: str, post: OutgoingPost,
                                   container: str) -> None:
        """Poll the container until Instagram has fetched and checked the image."""
        deadline = time.monotonic() + self.container_wait_seconds
        while True:
            answer = await self._get(client, token, container, {"fields": "status_code,status"})
            status = answer.get("status_code")
            if status == "FINISHED":
                return
            if status in ("ERROR", "EXPIRED"):
                await post.remember(container_id=None)  # the next attempt starts a new container
                raise TransientBeforeSend("Instagram could not prepare the image ({detail}); retrying with a new upload.",
                                          detail=answer.get("status") or status)
            if status == "PUBLISHED":
                raise OutcomeUnknown("Instagram says this post's container is already published; checking the account.")
            if time.monotonic() + self.container_poll_seconds > deadline:
                raise TransientBeforeSend("Instagram is still preparing the image; the next attempt resumes it.",
                                          retry_after=60)
            await asyncio.sleep(self.container_poll_seconds)

    async def _publish(self, client: httpx.AsyncClient, token: str, account: SocialAccount, post: OutgoingPost,
                       container: str) -> PublishedPost:
        response = await http.send(client, "POST", self._graph(f"{account.external_id}/media_publish"), creates=True,
                                   label="Instagram", params={"creation_id": container}, headers=self._auth(token))
        if response.is_success:
            media_id = str(http.body(response).get("id") or "")
            if not media_id:
                raise OutcomeUnknown("Instagram answered without a media id; checking the account.")
            await post.remember(media_id=media_id)
            return PublishedPost(media_id, await self._permalink(client, token, media_id), datetime.now(UTC))
        error = graph_error(response)
        pair = (error.get("code"), error.get("error_subcode"))
        if pair == POSTS_PER_DAY_REACHED:
            raise RateLimited("Instagram allows a limited number of posts per account a day; waiting for a slot.",
                              await self._until_quota_frees(client, token, account), scope="account")
        if pair == CONTAINER_EXPIRED:
            await post.remember(container_id=None)
            raise TransientBeforeSend("Instagram's upload expired before publishing; retrying with a new upload.")
        if response.status_code < 500 and error.get("code") not in (190, 102, 4, 17, 32, 613, 80001, 80002, 9):
            # Another refusal of this container: what the container says decides what it meant.
            status = await self._container_status(client, token, container)
            if status == "PUBLISHED":  # an earlier publish went through: it is that post
                return await self._published(client, token, account, post)
            if status in ("ERROR", "EXPIRED"):
                await post.remember(container_id=None)
                if status == "EXPIRED":
                    raise TransientBeforeSend("Instagram's upload expired before publishing; retrying with a new upload.")
                raise TransientBeforeSend("Instagram could not prepare the image; retrying with a new upload.")
            if status == "IN_PROGRESS":  # "Media ID is not available" (9007/2207027): not ready yet
                raise TransientBeforeSend("Instagram is still preparing the image; the next attempt resumes it.",
                                          retry_after=60)
        self._raise_publishing_error(response, creates=True)

    def _raise_publishing_error(self, response: httpx.Response, *, creates: bool) -> None:
        error = graph_error(response)
        if (error.get("code"), error.get("error_subcode")) == SPAM_BLOCK:
            raise PublishRefused("Instagram blocked this action as suspected spam: open the Instagram app, check the "
                                 "account's status, then reschedule.")
        raise_for_graph_error(response, label="Instagram", creates=creates)

    async def _published(self, client: httpx.AsyncClient, token: str, account: SocialAccount,
                         post: OutgoingPost) -> PublishedPost:
        """The media of a container Instagram reports as published."""
        found = await self._media_by_caption(client, token, account, post.text, since=None)
        if found is None:
            raise OutcomeUnknown("Instagram published this post but does not list it yet; checking again later.")
        return found

    async def _permalink(self, client: httpx.AsyncClient, token: str, media_id: str) -> str:
        """The post's link; the post exists already, so a failed read only leaves the link out."""
        try:
            return (await self._get(client, token, media_id, {"fields": "permalink"})).get("permalink") or ""
        except (TransientBeforeSend, PublishRefused, OutcomeUnknown):
            return ""

    async def _until_quota_frees(self, client: httpx.AsyncClient, token: str, account: SocialAccount) -> float:
        """Seconds until the rolling 24-hour posting quota has a free slot again.

        The quota counts posts published in the last `quota_duration` seconds [I4], so a slot frees
        when the oldest post still inside that window leaves it.
        """
        try:
            limit = await self._get(client, token, f"{account.external_id}/content_publishing_limit",
                                    {"fields": "quota_usage,config"})
            usage = (limit.get("data") or [{}])[0]
            config = usage.get("config") or {}
            total, duration = int(config.get("quota_total") or 50), int(config.get("quota_duration") or DAY)
            if int(usage.get("quota_usage") or 0) < total:
                return 60.0  # a slot freed since the refusal
            media = await self._get(client, token, f"{account.external_id}/media",
                                    {"fields": "id,timestamp", "limit": 100})
        except (TransientBeforeSend, PublishRefused, OutcomeUnknown):
            return float(DAY)
        now = time.time()
        in_window = sorted(stamp for item in media.get("data") or []
                           if (stamp := graph_time(item["timestamp"]).timestamp()) > now - duration)
        if len(in_window) < total:
            return float(duration)  # not every counted post is listed: wait the whole window
        return max(60.0, in_window[len(in_window) - total] + duration - now)

    # -- reading back ----------------------------------------------------------------------

    async def find_post(self, account: SocialAccount, post: OutgoingPost, since: datetime) -> PublishedPost | None:
        token = self.access_token(account)
        async with http.client(self.settings) as client:
            container = post.progress.get("container_id")
            if container:
                status = await self._container_status(client, token, container)
                if status != "PUBLISHED":
                    return None  # that container never became a post, and it is the only one this post made
                return await self._media_by_caption(client, token, account, post.text, since=None)
            return await self._media_by_caption(client, token, account, post.text, since=since)

    async def _media_by_caption(self, client: httpx.AsyncClient, token: str, account: SocialAccount, caption: str,
                                since: datetime | None) -> PublishedPost | None:
        answer = await self._get(client, token, f"{account.external_id}/media",
                                 {"fields": "id,caption,permalink,timestamp", "limit": 50})
        # The listing is newest first; the oldest match is the first attempt's.
        for item in reversed(answer.get("data") or []):
            published_at = graph_time(item["timestamp"])
            if item.get("caption") == caption and (since is None or published_at >= since - timedelta(minutes=1)):
                return PublishedPost(str(item["id"]), item.get("permalink") or "", published_at)
        return None

    async def read_stats(self, account: SocialAccount, external_id: str, offset_label: str) -> Metrics:
        token = self.access_token(account)
        async with http.client(self.settings) as client:
            response = await http.send(client, "GET", self._graph(f"{external_id}/insights"), creates=False,
                                       label="Instagram", params={"metric": ",".join(MEDIA_INSIGHTS)},
                                       headers=self._auth(token))
        if not response.is_success:
            error = graph_error(response)
            if error.get("code") == 10 and "viewers" in (error.get("message") or "").lower():
                return Metrics(values={})  # too few viewers for Instagram to show insights yet [I6]
            raise_for_graph_error(response, label="Instagram", creates=False)
        values: dict[str, int] = {}
        # Missing data is an absent metric, never 0 [I6].
        for metric in http.body(response).get("data") or []:
            if metric.get("name") in MEDIA_INSIGHTS and metric.get("values"):
                values[metric["name"]] = int(metric["values"][-1].get("value") or 0)
        # Normalized: impressions = views (impressions was retired Apr 2025), reach = reach,
        # engagements = total_interactions (Instagram's own sum of likes, comments, saves and shares).
        for normalized, raw in (("impressions", "views"), ("reach", "reach"), ("engagements", "total_interactions")):
            if raw in values:
                values[normalized] = values[raw]
        return Metrics(values=values)

    async def read_account_day(self, account: SocialAccount, day: date) -> AccountDay:
        """The professional account's follower count now."""
        async with http.client(self.settings) as client:
            answer = await self._get(client, self.access_token(account), account.external_id,
                                     {"fields": "followers_count"})
        followers = answer.get("followers_count")
        return AccountDay(followers=int(followers) if followers is not None else None)

    # -- tokens and OAuth --------------------------------------------------------------------

    async def refresh_token(self, account: SocialAccount) -> TokenSet | None:
        """A new 60-day token for the current one (Instagram refreshes tokens at least 24 h old [I7])."""
        async with http.client(self.settings) as client:
            # The endpoint takes the token to refresh as its access_token parameter, as documented.
            response = await http.send(
                client, "GET", f"{self.settings.instagram_api_url.rstrip('/')}/refresh_access_token", creates=False,
                label="Instagram",
                params={"grant_type": "ig_refresh_token", "access_token": self.access_token(account)},
            )
        if not response.is_success:
            if response.status_code >= 500:
                raise TransientBeforeSend("Instagram failed with HTTP {status} while renewing the access; trying again later.",
                                          status=response.status_code)
            raise AccountBroken("Instagram did not renew the account's access: reconnect the account.", "expired")
        return self._token_set(http.body(response))

    @staticmethod
    def _token_set(answer: dict[str, Any], **extra: Any) -> TokenSet:
        expires_in = answer.get("expires_in")
        return TokenSet(access_token=answer["access_token"],
                        expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None,
                        extra=extra)

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        query = urlencode({"client_id": self.settings.instagram_client_id, "redirect_uri": redirect_uri,
                           "response_type": "code", "scope": ",".join(self.scopes), "state": state})
        return f"{self.settings.instagram_oauth_url.rstrip('/')}/oauth/authorize?{query}"

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        async with http.client(self.settings) as client:
            short = await http.send(
                client, "POST", f"{self.settings.instagram_token_url.rstrip('/')}/oauth/access_token", creates=False,
                label="Instagram",
                data={"client_id": self.settings.instagram_client_id,
                      "client_secret": self.settings.instagram_client_secret,
                      "grant_type": "authorization_code", "redirect_uri": redirect_uri, "code": code},
            )
            if not short.is_success:
                raise PublishRefused("Instagram did not accept the connection ({detail}): connect the account again.",
                                     detail=self._reason(short))
            answer = http.body(short)
            # Business Login answers {"data": [{access_token, user_id, permissions}]}; older apps a flat object.
            grant = (answer.get("data") or [answer])[0]
            # The code gives a one-hour token; the exchange gives the 60-day one that can be refreshed.
            long = await http.send(
                client, "GET", f"{self.settings.instagram_api_url.rstrip('/')}/access_token", creates=False,
                label="Instagram",
                params={"grant_type": "ig_exchange_token", "client_secret": self.settings.instagram_client_secret,
                        "access_token": grant["access_token"]},
            )
            if not long.is_success:
                raise PublishRefused("Instagram did not extend the connection ({detail}): connect the account again.",
                                     detail=self._reason(long))
        return self._token_set(http.body(long), user_id=str(grant.get("user_id") or ""))

    async def list_targets(self, tokens: TokenSet) -> list[ConnectTarget]:
        async with http.client(self.settings) as client:
            me = await self._get(client, tokens.access_token, "me", {"fields": "user_id,username"})
        return [ConnectTarget(str(me["user_id"]), me.get("username") or str(me["user_id"]))]

    @staticmethod
    def _reason(response: httpx.Response) -> str:
        error = graph_error(response)
        return error.get("message") or http.body(response).get("error_message") or f"HTTP {response.status_code}"
