"""Facebook Graph API stand-in: Page feed and photo posts, the feed read back, post fields and
insights, OAuth (dialog, code and long-lived exchanges, /me/accounts), Graph errors and usage headers.

Contract: reference/networks.md §1. Every answer carries `X-App-Usage`; a throttle also carries
`X-Business-Use-Case-Usage` with `estimated_time_to_regain_access` (minutes), as Graph does.
"""

from __future__ import annotations

import json
import math
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from tests.standins.base import Fault, StandIn, Token

PAGE_SCOPES = {"pages_manage_posts", "pages_read_engagement", "pages_manage_engagement", "pages_read_user_engagement"}
# Current post insights, and those Meta removed (Nov 15 2025 / v26) that now answer "invalid metric".
POST_METRICS = {"post_media_view", "post_total_media_view_unique", "post_clicks", "post_reactions_by_type_total"}
REMOVED_METRICS = {"post_impressions", "post_impressions_unique", "post_impressions_paid", "post_impressions_fan",
                   "post_impressions_organic", "post_impressions_viral", "post_impressions_nonviral",
                   "post_engaged_users"}
LONG_LIVED_SECONDS = 5183944  # what fb_exchange_token answers as expires_in (about 60 days)
# Page fields the stand-in answers; Graph refuses a field a Page does not have (error 100).
PAGE_FIELDS = {"id", "name", "followers_count", "fan_count"}


def graph_error(message: str, code: int, status: int = 400, subcode: int | None = None, *,
                headers: dict[str, str] | None = None, is_transient: bool = False,
                user_message: str | None = None) -> JSONResponse:
    """A Graph API error answer: {"error": {message, type, code, error_subcode, fbtrace_id}}."""
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEfStandIn"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient:
        error["is_transient"] = True
    if user_message:
        error["error_user_msg"] = user_message
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def authorized(standin: StandIn, request: Request, account: str | None,
               scope: str | None) -> tuple[Token | None, Response | None]:
    """The request's token (Bearer header or access_token), or the Graph error for a missing, bad, expired,
    revoked or too-weak token, or one that does not reach `account`."""
    header = request.headers.get("authorization", "")
    value = header[7:] if header.lower().startswith("bearer ") else request.query_params.get("access_token", "")
    if not value:
        return None, graph_error("An access token is required to request this resource.", 104)
    with standin.lock:
        token = standin.tokens.get(value)
    if token is None:
        return None, graph_error("Invalid OAuth access token - Cannot parse access token", 190)
    if token.revoked:
        return None, graph_error("Error validating access token: The user has not authorized application.",
                                 190, 400, 458)
    if not token.usable():
        return None, graph_error("Error validating access token: Session has expired.", 190, 400, 463)
    if account is not None and account not in token.accounts:
        return None, graph_error("(#200) The user hasn't authorized the application to perform this action",
                                 200, 403)
    if scope and scope not in token.scopes:
        return None, graph_error(f"(#200) Requires {scope} permission to manage the object", 200, 403)
    return token, None


def graph_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


class FacebookStandIn(StandIn):
    """Pages, their posts and tokens. `pages` maps a Page id to its name; the OAuth consent grants
    `consent_accounts` (Page ids) with the tasks in `page_tasks` (default: every task)."""

    network = "facebook"
    client_id = "fb-app"
    client_secret = "fb-secret"
    # The throttle code a "rate_limit" fault answers: 80001 is the Pages Business Use Case limit.
    throttle_code = 80001
    # How far back an identical text counts as a duplicate (Meta does not publish the window).
    duplicate_window = 86400.0

    def __init__(self, seed: int = 7, *, fetch_images: bool = False) -> None:
        self.pages: dict[str, str] = {}
        self.page_tasks: dict[str, list[str]] = {}
        self.followers: dict[str, int] = {}  # Page id -> followers_count (0 until a test sets it)
        self.fetch_images = fetch_images
        self.requests: list[dict[str, Any]] = []  # every creating request: path, form, headers
        super().__init__(seed)

    # -- set-up helpers for tests --------------------------------------------------------

    def add_page(self, page_id: str, name: str = "", tasks: list[str] | None = None) -> Token:
        """A Page and its (non-expiring) Page access token."""
        self.pages[page_id] = name or f"Page {page_id}"
        self.page_tasks[page_id] = tasks or ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]
        return self.issue_token(page_id, PAGE_SCOPES)

    def set_followers(self, page_id: str, count: int) -> None:
        """The Page's followers_count."""
        with self.lock:
            self.followers[page_id] = count

    def set_stats(self, post_id: str, **counters: int) -> None:
        """The post's counters: reactions, comments, shares and insights metrics by name."""
        with self.lock:
            self.posts[post_id].extra.setdefault("stats", {}).update(counters)

    # -- errors --------------------------------------------------------------------------

    def error_response(self, kind: str, fault: Fault | None = None) -> Response:
        retry = fault.retry_after if fault else 60
        if kind == "rate_limit":
            usage = {fault.account or "page": [{"type": "pages", "call_count": 100, "total_cputime": 40,
                                                "total_time": 60,
                                                "estimated_time_to_regain_access": math.ceil(retry / 60)}]}
            return graph_error("(#80001) There have been too many calls to this Page account. Wait a bit and try "
                               "again.", self.throttle_code,
                               headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
        if kind == "server_error":
            return graph_error("An unexpected error has occurred. Please retry your request later.", 2, 500,
                               is_transient=True)
        if kind == "expired_token":
            return graph_error("Error validating access token: Session has expired.", 190, 400, 463)
        raise ValueError(kind)

    def _authorized(self, request: Request, page_id: str | None,
                    scope: str | None) -> tuple[Token | None, Response | None]:
        return authorized(self, request, page_id, scope)

    def _usage(self, response: Response) -> Response:
        response.headers["X-App-Usage"] = json.dumps({"call_count": 1, "total_cputime": 1, "total_time": 1})
        return response

    # -- routes --------------------------------------------------------------------------

    def routes(self) -> None:
        app = self.app

        @app.get("/{version}/dialog/oauth")
        async def dialog(version: str, request: Request) -> Response:
            if request.query_params.get("client_id") != self.client_id:
                return graph_error("Invalid App ID", 101)
            return self.authorize(request, required=("client_id", "redirect_uri", "state", "scope"))

        @app.get("/{version}/oauth/access_token")
        async def access_token(version: str, request: Request) -> Response:
            params = request.query_params
            if params.get("client_id") != self.client_id or params.get("client_secret") != self.client_secret:
                return graph_error("Error validating client secret.", 1, 400, 463)
            response, _ = await self.fault("token")
            if response is not None:
                return response
            if params.get("grant_type") == "fb_exchange_token":
                with self.lock:
                    short = self.tokens.get(params.get("fb_exchange_token", ""))
                if short is None or not short.usable():
                    return graph_error("Error validating access token: Session has expired.", 190, 400, 463)
                token = self.issue_token(short.accounts, short.scopes, LONG_LIVED_SECONDS)
                return self._usage(JSONResponse({"access_token": token.value, "token_type": "bearer",
                                                 "expires_in": LONG_LIVED_SECONDS}))
            grant = self.redeem(params.get("code", ""), params.get("redirect_uri", ""))
            if grant is None:
                return graph_error("This authorization code has been used.", 100, 400, 36009)
            # A user token: it reaches the Pages the user consented to, with the granted permissions.
            token = self.issue_token(set(self.consent_accounts), grant["scopes"], 2 * 3600)
            return self._usage(JSONResponse({"access_token": token.value, "token_type": "bearer",
                                             "expires_in": 2 * 3600}))

        @app.get("/{version}/me/accounts")
        async def me_accounts(version: str, request: Request) -> Response:
            token, error = self._authorized(request, None, None)
            if error is not None:
                return error
            response, _ = await self.fault("targets")
            if response is not None:
                return response
            data = []
            for page_id in sorted(token.accounts):
                if page_id not in self.pages:
                    continue
                page_token = self.issue_token(page_id, token.scopes)  # Page tokens from a long-lived token: no expiry
                data.append({"id": page_id, "name": self.pages[page_id], "access_token": page_token.value,
                             "tasks": self.page_tasks[page_id], "category": "Local business"})
            return self._usage(JSONResponse({"data": data, "paging": {"cursors": {"before": "b", "after": "a"}}}))

        @app.post("/{version}/{page_id}/feed")
        async def feed_post(version: str, page_id: str, request: Request) -> Response:
            form = dict(await request.form())
            token, error = self._authorized(request, page_id, "pages_manage_posts")
            if error is not None:
                return error
            if not form.get("message") and not form.get("link"):
                return graph_error("(#100) Either message or link must be provided.", 100)
            return await self._create(page_id, request, form, text=form.get("message", ""), photo=None)

        @app.post("/{version}/{page_id}/photos")
        async def photo_post(version: str, page_id: str, request: Request) -> Response:
            form = dict(await request.form())
            token, error = self._authorized(request, page_id, "pages_manage_posts")
            if error is not None:
                return error
            if not form.get("url") and "source" not in form:
                return graph_error("(#324) Requires upload file", 324)
            if self.fetch_images and form.get("url"):
                problem = await self._fetch(form["url"])
                if problem:
                    return graph_error(f"(#100) {problem}", 100, 400, 2069019)
            return await self._create(page_id, request, form, text=form.get("caption", ""), photo=form.get("url"))

        @app.get("/{version}/{page_id}/feed")
        async def feed_read(version: str, page_id: str, request: Request) -> Response:
            token, error = self._authorized(request, page_id, "pages_read_engagement")
            if error is not None:
                return error
            response, _ = await self.fault("read", page_id)
            if response is not None:
                return response
            since = float(request.query_params.get("since") or 0)
            limit = int(request.query_params.get("limit") or 25)
            fields = set((request.query_params.get("fields") or "id,message,created_time").split(","))
            data = []
            for post in self.posts_of(page_id)[:limit]:
                if post.created_at < since:
                    continue
                item = {"id": post.id, "message": post.text, "created_time": graph_time(post.created_at),
                        "permalink_url": f"https://www.facebook.com/{post.id}"}
                data.append({key: value for key, value in item.items() if key in fields or key == "id"})
            return self._usage(JSONResponse({"data": data, "paging": {}}))

        @app.get("/{version}/{post_id}/insights")
        async def insights(version: str, post_id: str, request: Request) -> Response:
            post = self.posts.get(post_id)
            token, error = self._authorized(request, post.account if post else None, "pages_read_engagement")
            if error is not None:
                return error
            if post is None:
                return self._missing(post_id)
            response, _ = await self.fault("stats", post.account)
            if response is not None:
                return response
            metrics = [name for name in (request.query_params.get("metric") or "").split(",") if name]
            invalid = [name for name in metrics if name not in POST_METRICS]
            if not metrics or invalid:
                return graph_error("(#100) The value must be a valid insights metric", 100)
            stats = post.extra.get("stats", {})
            data = [{"name": name, "period": "lifetime", "values": [{"value": stats.get(name, 0)}],
                     "title": name, "id": f"{post_id}/insights/{name}/lifetime"} for name in metrics]
            return self._usage(JSONResponse({"data": data, "paging": {}}))

        @app.get("/{version}/{post_id}")
        async def post_fields(version: str, post_id: str, request: Request) -> Response:
            if post_id in self.pages:
                return await self._page_fields(post_id, request)
            post = self.posts.get(post_id)
            token, error = self._authorized(request, post.account if post else None, "pages_read_engagement")
            if error is not None:
                return error
            if post is None:
                return self._missing(post_id)
            response, _ = await self.fault("stats", post.account)
            if response is not None:
                return response
            fields = request.query_params.get("fields") or ""
            stats = post.extra.get("stats", {})
            answer: dict[str, Any] = {"id": post.id}
            if "reactions.summary(total_count)" in fields:
                answer["reactions"] = {"data": [], "summary": {"total_count": stats.get("reactions", 0)}}
            if "comments.summary(true)" in fields:
                answer["comments"] = {"data": [], "summary": {"order": "ranked",
                                                             "total_count": stats.get("comments", 0),
                                                             "can_comment": True}}
            # Graph leaves `shares` out of a post nobody shared.
            if "shares" in fields.split(",") and stats.get("shares"):
                answer["shares"] = {"count": stats["shares"]}
            return self._usage(JSONResponse(answer))

    async def _page_fields(self, page_id: str, request: Request) -> Response:
        """GET /{page-id}?fields=…: the Page's fields (operation "followers")."""
        token, error = self._authorized(request, page_id, "pages_read_engagement")
        if error is not None:
            return error
        response, _ = await self.fault("followers", page_id)
        if response is not None:
            return response
        fields = [name for name in (request.query_params.get("fields") or "id,name").split(",") if name]
        unknown = [name for name in fields if name not in PAGE_FIELDS]
        if unknown:
            return graph_error(f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (Page)", 100)
        page = {"id": page_id, "name": self.pages[page_id], "followers_count": self.followers.get(page_id, 0),
                "fan_count": self.followers.get(page_id, 0)}
        return self._usage(JSONResponse({key: value for key, value in page.items() if key in fields or key == "id"}))

    def _missing(self, object_id: str) -> Response:
        return graph_error(f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded "
                           "due to missing permissions, or does not support this operation.", 100, 400, 33)

    async def _create(self, page_id: str, request: Request, form: dict[str, Any], *, text: str,
                      photo: str | None) -> Response:
        """A post on the Page (operation "create"), refused as a duplicate when the same text went out lately."""
        with self.lock:
            self.requests.append({"path": request.url.path, "form": form, "headers": dict(request.headers)})
        response, fault = await self.fault("create", page_id)
        if response is not None:
            return response
        recent = [post for post in self.posts_of(page_id) if post.created_at > time.time() - self.duplicate_window]
        if text and any(post.text == text for post in recent):
            return graph_error("(#506) Duplicate status message", 506,
                               user_message="This status update is identical to the last one you posted.")
        post = self.add_post(page_id, text, f"{page_id}_{self.new_id()}", image_url=photo, link=form.get("link"))
        await self.lose(fault)
        if photo is not None:
            return self._usage(JSONResponse({"id": self.new_id(), "post_id": post.id}))
        return self._usage(JSONResponse({"id": post.id}))

    async def _fetch(self, url: str) -> str | None:
        """What Facebook says of an image it cannot use, or None when it is a reachable JPEG/PNG."""
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(url)
        except httpx.HTTPError:
            return "Invalid parameter: the image could not be downloaded."
        if response.status_code != 200 or response.headers.get("content-type", "").split(";")[0] not in (
                "image/jpeg", "image/png"):
            return "Invalid parameter: the URL does not point to a supported image."
        return None
