"""Facebook Pages through the Graph API: text and photo posts on a Page, read back, stats, OAuth.

The account's `external_id` is the Page id and its token is the Page access token (obtained
with a long-lived user token, it has no expiry date: reference/networks.md §1). The Graph error
reading here (`raise_for_graph_error`) is shared with Instagram, which speaks the same errors.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn
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
from hub.publishing.models import SocialAccount

# Graph throttle codes (reference/networks.md §1 [F8]): the app's own quota cools the whole network,
# a user's, Page's or Business Use Case quota cools that account only.
APP_THROTTLE_CODES = {4, 341}
ACCOUNT_THROTTLE_CODES = {17, 32, 613, 80001, 80002}
# Subcodes of error 190 that mean the user took access away (app removed, password changed, logged out).
REVOKED_SUBCODES = {458, 459, 460, 464}
DUPLICATE_POST = 506
BLOCKED_FOR_POLICY = 368
LINK_NOT_READ = 1609005
URL_IN_TEXT = re.compile(r"https?://\S+")
# Insights metrics that replaced post_impressions* (removed for all versions Nov 15 2025, reference §1).
POST_INSIGHTS = ("post_media_view", "post_total_media_view_unique", "post_clicks")


def graph_error(response: httpx.Response) -> dict[str, Any]:
    """The Graph error object of an answer ({} when the body has none)."""
    error = http.body(response).get("error")
    return error if isinstance(error, dict) else {}


def raise_for_graph_error(response: httpx.Response, *, label: str, creates: bool) -> NoReturn:
    """Raise what a Graph API error answer means (throttle, token, permission, outage, refusal).

    Errors a caller must treat specially (a duplicate, a spam block, an expired container) are
    read by the caller before it hands the answer here.
    """
    error = graph_error(response)
    code, subcode = error.get("code"), error.get("error_subcode")
    message = error.get("error_user_msg") or error.get("message") or f"HTTP {response.status_code}"
    if code in APP_THROTTLE_CODES:
        raise RateLimited("{network}: this app made too many calls ({detail}).", http.retry_after(response),
                          scope="network", network=label, detail=message)
    if code in ACCOUNT_THROTTLE_CODES or response.status_code == 429:
        raise RateLimited("{network}: too many calls for this account ({detail}).", http.retry_after(response),
                          scope="account", network=label, detail=message)
    if code in (190, 102) or response.status_code == 401:
        if subcode in REVOKED_SUBCODES:
            raise AccountBroken("{network} access was withdrawn (the app was removed or the password changed): "
                                "reconnect the account.", "revoked", network=label)
        raise AccountBroken("{network} access has expired or is no longer valid: reconnect the account.", "expired",
                            network=label)
    if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
        raise AccountBroken("{network} refused for lack of a permission ({detail}): reconnect the account and "
                            "grant every permission asked.", "missing_permission", network=label, detail=message)
    if response.status_code >= 500:
        if creates:
            raise OutcomeUnknown("{network} failed with HTTP {status} after the post was sent; checking the account.",
                                 network=label, status=response.status_code)
        raise TransientBeforeSend("{network} failed with HTTP {status}; retrying later.", network=label,
                                  status=response.status_code)
    if code in (1, 2) or error.get("is_transient"):
        raise TransientBeforeSend("{network} had a temporary problem ({detail}); retrying later.", network=label,
                                  detail=message)
    raise PublishRefused("{network} refused: {detail}. Fix what it says, then reschedule.", network=label,
                         detail=message)


def graph_time(value: str) -> datetime:
    """A Graph timestamp ("2026-05-01T10:00:00+0000") as an aware datetime."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


class FacebookConnector(Connector):
    """Posts on a Facebook Page with the Page's access token."""

    name = "facebook"
    label = "Facebook"
    scopes = ("pages_manage_posts", "pages_read_engagement", "pages_manage_engagement", "pages_read_user_engagement")

    def _graph(self, path: str) -> str:
        return f"{self.settings.facebook_api_url.rstrip('/')}/{self.settings.facebook_graph_version}/{path}"

    @staticmethod
    def _auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _post_url(self, post_id: str) -> str:
        # facebook.com/{page-id}_{post-id} opens the post; the create answer carries no permalink.
        return f"https://www.facebook.com/{post_id}"

    async def create_post(self, account: SocialAccount, post: OutgoingPost) -> PublishedPost:
        token = self.access_token(account)
        if "first_sent_at" not in post.progress:
            # Kept so a "duplicate" answer is only matched to posts this publication could have made.
            await post.remember(first_sent_at=datetime.now(UTC).isoformat())
        if post.image_url:
            path, form = f"{account.external_id}/photos", {"url": post.image_url, "caption": post.text}
        else:
            path, form = f"{account.external_id}/feed", {"message": post.text}
            link = URL_IN_TEXT.search(post.text)
            if link:
                # The text stays as written; `link` makes the preview card the first link's.
                form["link"] = link.group(0).rstrip(".,;:!?)")
        async with http.client(self.settings) as client:
            response = await http.send(client, "POST", self._graph(path), creates=True, label="Facebook",
                                       data=form, headers=self._auth(token))
        if response.is_success:
            answer = http.body(response)
            # A photo answers {"id": photo-id, "post_id": page_post-id}; a feed post {"id": page_post-id}.
            post_id = str(answer.get("post_id") or answer.get("id") or "")
            if not post_id:
                raise OutcomeUnknown("Facebook answered without a post id; checking the Page.")
            return PublishedPost(post_id, self._post_url(post_id), datetime.now(UTC))
        code = graph_error(response).get("code")
        if code == DUPLICATE_POST:
            # A lost answer of an earlier attempt may have created it: then that post is ours.
            since = datetime.fromisoformat(post.progress["first_sent_at"]) - timedelta(minutes=1)
            found = await self.find_post(account, post, since=since)
            if found is not None:
                return found
            raise PublishRefused("Facebook refused a duplicate of a recent post on this Page: change the text, "
                                 "then reschedule.")
        if code == BLOCKED_FOR_POLICY:
            raise PublishRefused("Facebook has temporarily blocked this Page from posting (policy): check the "
                                 "Page's quality in Meta Business Suite, then reschedule.")
        if code == LINK_NOT_READ:
            raise PublishRefused("Facebook could not read the link in the text: check that it opens, then reschedule.")
        raise_for_graph_error(response, label="Facebook", creates=True)

    async def find_post(self, account: SocialAccount, post: OutgoingPost, since: datetime) -> PublishedPost | None:
        token = self.access_token(account)
        params = {"fields": "id,message,created_time,permalink_url", "since": int(since.timestamp()), "limit": 100}
        async with http.client(self.settings) as client:
            response = await http.send(client, "GET", self._graph(f"{account.external_id}/feed"), creates=False,
                                       label="Facebook", params=params, headers=self._auth(token))
        if not response.is_success:
            raise_for_graph_error(response, label="Facebook", creates=False)
        # Oldest match first: a retried post could only have been created after the first try.
        for item in reversed(http.body(response).get("data") or []):
            if item.get("message") == post.text:
                return PublishedPost(str(item["id"]), item.get("permalink_url") or self._post_url(str(item["id"])),
                                     graph_time(item["created_time"]))
        return None

    async def read_stats(self, account: SocialAccount, external_id: str, offset_label: str) -> Metrics:
        token = self.access_token(account)
        async with http.client(self.settings) as client:
            fields = await http.send(client, "GET", self._graph(external_id), creates=False, label="Facebook",
                                     params={"fields": "reactions.summary(total_count),comments.summary(true),shares"},
                                     headers=self._auth(token))
            if not fields.is_success:
                raise_for_graph_error(fields, label="Facebook", creates=False)
            insights = await http.send(client, "GET", self._graph(f"{external_id}/insights"), creates=False,
                                       label="Facebook", params={"metric": ",".join(POST_INSIGHTS)},
                                       headers=self._auth(token))
            if not insights.is_success:
                raise_for_graph_error(insights, label="Facebook", creates=False)
        answer = http.body(fields)
        values: dict[str, int] = {}
        for name in ("reactions", "comments"):
            summary = (answer.get(name) or {}).get("summary") or {}
            if "total_count" in summary:
                values[name] = int(summary["total_count"])
        # Graph leaves `shares` out when nobody shared the post: that is a count of 0, not missing data.
        values["shares"] = int((answer.get("shares") or {}).get("count", 0))
        for metric in http.body(insights).get("data") or []:
            if metric.get("name") in POST_INSIGHTS and metric.get("values"):
                values[metric["name"]] = int(metric["values"][-1].get("value") or 0)
        # Normalized: impressions = views of the post's media, reach = unique viewers,
        # engagements = reactions + comments + shares (clicks stay under their own name).
        if "post_media_view" in values:
            values["impressions"] = values["post_media_view"]
        if "post_total_media_view_unique" in values:
            values["reach"] = values["post_total_media_view_unique"]
        if "reactions" in values and "comments" in values:
            values["engagements"] = values["reactions"] + values["comments"] + values["shares"]
        return Metrics(values=values)

    async def read_account_day(self, account: SocialAccount, day: date) -> AccountDay:
        """The Page's follower count now (no per-day Page insights are read)."""
        async with http.client(self.settings) as client:
            response = await http.send(client, "GET", self._graph(account.external_id), creates=False,
                                       label="Facebook", params={"fields": "followers_count"},
                                       headers=self._auth(self.access_token(account)))
        if not response.is_success:
            raise_for_graph_error(response, label="Facebook", creates=False)
        followers = http.body(response).get("followers_count")
        return AccountDay(followers=int(followers) if followers is not None else None)

    async def refresh_token(self, account: SocialAccount) -> TokenSet | None:
        return None  # a Page token from a long-lived user token does not expire (reference §1)

    # -- OAuth ---------------------------------------------------------------------------

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        query = urlencode({"client_id": self.settings.facebook_client_id, "redirect_uri": redirect_uri,
                           "state": state, "scope": ",".join(self.scopes), "response_type": "code"})
        base = self.settings.facebook_oauth_url.rstrip("/")
        return f"{base}/{self.settings.facebook_graph_version}/dialog/oauth?{query}"

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        app = {"client_id": self.settings.facebook_client_id, "client_secret": self.settings.facebook_client_secret}
        async with http.client(self.settings) as client:
            short = await http.send(client, "GET", self._graph("oauth/access_token"), creates=False,
                                    label="Facebook", params={**app, "redirect_uri": redirect_uri, "code": code})
            if not short.is_success:
                raise PublishRefused("Facebook did not accept the connection ({detail}): connect the account again.",
                                     detail=self._reason(short))
            # The code gives an hours-long user token; Page tokens taken with a long-lived one never expire.
            long = await http.send(client, "GET", self._graph("oauth/access_token"), creates=False,
                                   label="Facebook", params={**app, "grant_type": "fb_exchange_token",
                                                             "fb_exchange_token": http.body(short)["access_token"]})
            if not long.is_success:
                raise PublishRefused("Facebook did not extend the connection ({detail}): connect the account again.",
                                     detail=self._reason(long))
        answer = http.body(long)
        expires_in = answer.get("expires_in")
        return TokenSet(access_token=answer["access_token"],
                        expires_at=datetime.now(UTC) + timedelta(seconds=int(expires_in)) if expires_in else None)

    async def list_targets(self, tokens: TokenSet) -> list[ConnectTarget]:
        targets: list[ConnectTarget] = []
        params: dict[str, Any] = {"fields": "id,name,access_token,tasks", "limit": 100}
        async with http.client(self.settings) as client:
            while True:
                response = await http.send(client, "GET", self._graph("me/accounts"), creates=False,
                                           label="Facebook", params=params, headers=self._auth(tokens.access_token))
                if not response.is_success:
                    raise_for_graph_error(response, label="Facebook", creates=False)
                answer = http.body(response)
                for page in answer.get("data") or []:
                    # Only Pages where the user may create content can be published to.
                    if "CREATE_CONTENT" in (page.get("tasks") or []) and page.get("access_token"):
                        targets.append(ConnectTarget(str(page["id"]), page.get("name") or str(page["id"]),
                                                     TokenSet(access_token=page["access_token"])))
                paging = answer.get("paging") or {}
                after = (paging.get("cursors") or {}).get("after")
                if not paging.get("next") or not after:
                    return targets
                params = {**params, "after": after}

    @staticmethod
    def _reason(response: httpx.Response) -> str:
        error = graph_error(response)
        return error.get("message") or f"HTTP {response.status_code}"
