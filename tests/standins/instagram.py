"""Instagram API with Instagram Login stand-in: media containers and their statuses, media_publish
with the rolling 24-hour posting quota, content_publishing_limit, the media listing, media
insights, and Business Login OAuth with the long-lived token exchange and refresh.

Contract: reference/networks.md §2. A container is IN_PROGRESS for `in_progress_polls` status
reads, then FINISHED; it is EXPIRED `container_ttl` seconds after it was made unless published;
media_publish makes it PUBLISHED. Errors are Graph error objects (shared with the Facebook stand-in).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse, Response

from tests.standins.base import Fault, StandIn, Token
from tests.standins.facebook import authorized, graph_error, graph_time

SCOPES = {"instagram_business_basic", "instagram_business_content_publish", "instagram_business_manage_insights"}
MEDIA_METRICS = {"reach", "views", "likes", "comments", "saved", "shares", "total_interactions", "follows",
                 "profile_visits", "profile_activity"}
# Retired media metrics (impressions and plays from Apr 21 2025, engagement in v18): invalid-metric errors.
RETIRED_METRICS = {"impressions", "plays", "video_views", "engagement", "clips_replays_count",
                   "ig_reels_aggregated_all_plays_count"}
# Fields of an IG User the stand-in answers; Graph refuses a field the node does not have (error 100).
USER_FIELDS = {"id", "user_id", "username", "name", "account_type", "followers_count", "follows_count", "media_count"}
LONG_LIVED_SECONDS = 5184000  # 60 days
DAY = 86400


def oauth_error(message: str, status: int = 400) -> JSONResponse:
    """The api.instagram.com OAuth error shape."""
    return JSONResponse({"error_type": "OAuthException", "code": status, "error_message": message},
                        status_code=status)


class InstagramStandIn(StandIn):
    """Professional accounts (`users`: IG user id -> username), their containers, media and tokens."""

    network = "instagram"
    client_id = "ig-app"
    client_secret = "ig-secret"

    def __init__(self, seed: int = 7, *, fetch_images: bool = False, in_progress_polls: int = 0,
                 container_ttl: float = DAY, quota_total: int = 50, quota_duration: int = DAY) -> None:
        self.users: dict[str, str] = {}
        self.followers: dict[str, int] = {}  # IG user id -> followers_count (0 until a test sets it)
        self.containers: dict[str, dict[str, Any]] = {}
        self.issued_at: dict[str, float] = {}
        self.fetch_images = fetch_images
        self.in_progress_polls = in_progress_polls
        self.container_ttl = container_ttl
        self.quota_total = quota_total
        self.quota_duration = quota_duration
        self.processing_errors = 0  # the next N containers end in ERROR (an image Instagram cannot use)
        self.spam_block = False  # media_publish answers "action blocked as suspected spam" (4/2207051)
        self.requests: list[dict[str, Any]] = []  # every container and publish request: path, form, headers
        super().__init__(seed)

    # -- set-up helpers for tests --------------------------------------------------------

    def add_user(self, user_id: str, username: str = "") -> Token:
        """A professional account and a long-lived token for it."""
        self.users[user_id] = username or f"user{user_id}"
        return self.issue_token(user_id, SCOPES, LONG_LIVED_SECONDS)

    def issue_token(self, *args: Any, **kwargs: Any) -> Token:
        token = super().issue_token(*args, **kwargs)
        self.issued_at[token.value] = time.time()
        return token

    def age_token(self, value: str, seconds: float) -> None:
        """Pretend the token was issued `seconds` earlier (refresh needs a token at least 24 h old)."""
        with self.lock:
            self.issued_at[value] -= seconds

    def set_followers(self, user_id: str, count: int) -> None:
        """The professional account's followers_count."""
        with self.lock:
            self.followers[user_id] = count

    def set_stats(self, media_id: str, **counters: int) -> None:
        with self.lock:
            self.posts[media_id].extra.setdefault("stats", {}).update(counters)

    def publish_directly(self, user_id: str, caption: str, at: float | None = None) -> str:
        """A post made in the past (e.g. to fill the quota); returns its media id."""
        post = self.add_post(user_id, caption, via_api=True)
        post.created_at = at if at is not None else post.created_at
        return post.id

    def container_status(self, container_id: str, poll: bool = False) -> str:
        """A container's status_code now (`poll` counts one status read of an IN_PROGRESS container)."""
        with self.lock:
            container = self.containers[container_id]
            if container["status"] in ("PUBLISHED", "ERROR"):
                return container["status"]
            if time.time() > container["created_at"] + self.container_ttl:
                return "EXPIRED"
            if container["polls_left"] > 0:
                if poll:
                    container["polls_left"] -= 1
                return "IN_PROGRESS"
            if container["fails"]:
                container["status"] = "ERROR"
                return "ERROR"
            return "FINISHED"

    def quota_usage(self, user_id: str) -> int:
        """Posts published through the API in the rolling window."""
        since = time.time() - self.quota_duration
        return sum(1 for post in self.posts_of(user_id) if post.extra.get("via_api") and post.created_at > since)

    # -- errors --------------------------------------------------------------------------

    def error_response(self, kind: str, fault: Fault | None = None) -> Response:
        retry = fault.retry_after if fault else 60
        if kind == "rate_limit":
            usage = {fault.account or "user": [{"type": "instagram", "call_count": 100, "total_cputime": 30,
                                                "total_time": 40,
                                                "estimated_time_to_regain_access": math.ceil(retry / 60)}]}
            return graph_error("(#80002) There have been too many calls to this Instagram account. Wait a bit and "
                               "try again.", 80002, headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
        if kind == "server_error":
            return graph_error("An unexpected error has occurred. Please retry your request later.", -1, 500,
                               2207001, is_transient=True)
        if kind == "expired_token":
            return graph_error("Error validating access token: Session has expired.", 190, 400, 463)
        raise ValueError(kind)

    # -- routes --------------------------------------------------------------------------

    def routes(self) -> None:
        app = self.app

        @app.get("/oauth/authorize")
        async def authorize(request: Request) -> Response:
            params = request.query_params
            if params.get("client_id") != self.client_id:
                return oauth_error("Invalid platform app")
            if params.get("response_type") != "code":
                return oauth_error("Invalid response_type: use code")
            return self.authorize(request, required=("client_id", "redirect_uri", "scope", "state"))

        @app.post("/oauth/access_token")
        async def code_token(request: Request) -> Response:
            form = dict(await request.form())
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return oauth_error("Invalid client_secret")
            if form.get("grant_type") != "authorization_code":
                return oauth_error("Invalid grant_type: use authorization_code")
            response, _ = await self.fault("token")
            if response is not None:
                return response
            grant = self.redeem(form.get("code", ""), form.get("redirect_uri", ""))
            if grant is None:
                return oauth_error("This authorization code has been used")
            [user_id] = sorted(self.consent_accounts)  # Instagram Login grants one professional account
            token = self.issue_token(user_id, grant["scopes"], 3600)
            # Business Login's documented answer: a one-element `data` list.
            return JSONResponse({"data": [{"access_token": token.value, "user_id": user_id,
                                           "permissions": ",".join(sorted(grant["scopes"]))}]})

        @app.get("/access_token")
        async def exchange(request: Request) -> Response:
            params = request.query_params
            if params.get("grant_type") != "ig_exchange_token" or params.get("client_secret") != self.client_secret:
                return graph_error("(#100) grant_type ig_exchange_token and the app's client_secret are required", 100)
            token, error = authorized(self, request, None, None)
            if error is not None:
                return error
            response, _ = await self.fault("token")
            if response is not None:
                return response
            long = self.issue_token(token.accounts, token.scopes, LONG_LIVED_SECONDS)
            return JSONResponse({"access_token": long.value, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})

        @app.get("/refresh_access_token")
        async def refresh(request: Request) -> Response:
            if request.query_params.get("grant_type") != "ig_refresh_token":
                return graph_error("(#100) grant_type must be ig_refresh_token", 100)
            token, error = authorized(self, request, None, None)
            if error is not None:
                return error
            response, _ = await self.fault("token")
            if response is not None:
                return response
            # Only long-lived tokens at least 24 hours old can be refreshed [I7].
            if time.time() - self.issued_at.get(token.value, 0) < DAY:
                return graph_error("(#100) The access token is not old enough to be refreshed", 100)
            new = self.issue_token(token.accounts, token.scopes, LONG_LIVED_SECONDS)
            return JSONResponse({"access_token": new.value, "token_type": "bearer", "expires_in": LONG_LIVED_SECONDS})

        @app.get("/{version}/me")
        async def me(version: str, request: Request) -> Response:
            token, error = authorized(self, request, None, "instagram_business_basic")
            if error is not None:
                return error
            response, _ = await self.fault("targets")
            if response is not None:
                return response
            [user_id] = sorted(token.accounts)
            fields = (request.query_params.get("fields") or "id").split(",")
            answer = {"id": f"app-scoped-{user_id}", "user_id": user_id, "username": self.users.get(user_id, "")}
            return JSONResponse({key: value for key, value in answer.items() if key in fields or key == "id"})

        @app.post("/{version}/{user_id}/media")
        async def new_container(version: str, user_id: str, request: Request) -> Response:
            # Meta reads parameters from the query string or the form body alike.
            form = {**request.query_params, **dict(await request.form())}
            form.pop("access_token", None)
            token, error = authorized(self, request, user_id, "instagram_business_content_publish")
            if error is not None:
                return error
            with self.lock:
                self.requests.append({"path": request.url.path, "form": form, "headers": dict(request.headers)})
            response, fault = await self.fault("container", user_id)
            if response is not None:
                return response
            if not form.get("image_url") and not form.get("video_url"):
                return graph_error("(#100) The parameter image_url is required.", 100)
            if len(form.get("caption", "")) > 2200:
                return graph_error("The caption is too long: at most 2200 characters.", 100, 400, 2207010)
            if self.fetch_images and form.get("image_url"):
                problem = await self._fetch(form["image_url"])
                if problem:
                    return graph_error(problem, 9004, 400, 2207052)
            container_id = self.new_id()
            with self.lock:
                fails = self.processing_errors > 0
                self.processing_errors -= 1 if fails else 0
                self.containers[container_id] = {
                    "id": container_id, "user": user_id, "image_url": form.get("image_url"),
                    "caption": form.get("caption", ""), "alt_text": form.get("alt_text"), "created_at": time.time(),
                    "polls_left": self.in_progress_polls, "status": "IN_PROGRESS", "fails": fails, "media_id": None,
                }
            await self.lose(fault)
            return JSONResponse({"id": container_id})

        @app.post("/{version}/{user_id}/media_publish")
        async def media_publish(version: str, user_id: str, request: Request) -> Response:
            form = {**request.query_params, **dict(await request.form())}
            form.pop("access_token", None)
            token, error = authorized(self, request, user_id, "instagram_business_content_publish")
            if error is not None:
                return error
            with self.lock:
                self.requests.append({"path": request.url.path, "form": form, "headers": dict(request.headers)})
            response, fault = await self.fault("create", user_id)
            if response is not None:
                return response
            container = self.containers.get(form.get("creation_id", ""))
            if container is None or container["user"] != user_id:
                return graph_error("Media builder not found", 24, 400, 2207008)
            status = self.container_status(container["id"])
            if status == "PUBLISHED":
                # ?UNCERTAIN: the exact code for a second publish is not in the retrieved reference.
                return graph_error("The media has already been published", 24, 400, 2207008)
            if status == "EXPIRED":
                return graph_error("The media you are trying to publish has expired. Please create a new media "
                                   "container.", -2, 400, 2207020)
            if status == "IN_PROGRESS":
                return graph_error("Media ID is not available", 9007, 400, 2207027)
            if status == "ERROR":
                return graph_error("Create media has failed; create a new media container.", 9007, 400, 2207032)
            if self.spam_block:
                return graph_error("Application request limit reached", 4, 400, 2207051,
                                   user_message="We restrict certain activity to protect our community.")
            if self.quota_usage(user_id) >= self.quota_total:
                return graph_error("Application request limit reached", 9, 400, 2207042,
                                   user_message="The maximum number of posts that were allowed to be published "
                                                "has been reached.")
            media = self.add_post(user_id, container["caption"], via_api=True, container_id=container["id"],
                                  image_url=container["image_url"], alt_text=container["alt_text"])
            with self.lock:
                container["status"], container["media_id"] = "PUBLISHED", media.id
            await self.lose(fault)
            return JSONResponse({"id": media.id})

        @app.get("/{version}/{user_id}/media")
        async def media_list(version: str, user_id: str, request: Request) -> Response:
            token, error = authorized(self, request, user_id, "instagram_business_basic")
            if error is not None:
                return error
            response, _ = await self.fault("read", user_id)
            if response is not None:
                return response
            fields = (request.query_params.get("fields") or "id").split(",")
            limit = int(request.query_params.get("limit") or 25)
            data = [{key: value for key, value in self._media(post).items() if key in fields or key == "id"}
                    for post in self.posts_of(user_id)[:limit]]
            return JSONResponse({"data": data, "paging": {}})

        @app.get("/{version}/{user_id}/content_publishing_limit")
        async def publishing_limit(version: str, user_id: str, request: Request) -> Response:
            token, error = authorized(self, request, user_id, "instagram_business_content_publish")
            if error is not None:
                return error
            response, _ = await self.fault("read", user_id)
            if response is not None:
                return response
            fields = request.query_params.get("fields") or "quota_usage"
            entry: dict[str, Any] = {"quota_usage": self.quota_usage(user_id)}
            if "config" in fields:
                entry["config"] = {"quota_total": self.quota_total, "quota_duration": self.quota_duration}
            return JSONResponse({"data": [entry]})

        @app.get("/{version}/{media_id}/insights")
        async def insights(version: str, media_id: str, request: Request) -> Response:
            post = self.posts.get(media_id)
            token, error = authorized(self, request, post.account if post else None,
                                      "instagram_business_manage_insights")
            if error is not None:
                return error
            if post is None:
                return self._missing(media_id)
            response, _ = await self.fault("stats", post.account)
            if response is not None:
                return response
            metrics = [name for name in (request.query_params.get("metric") or "").split(",") if name]
            invalid = [name for name in metrics if name not in MEDIA_METRICS]
            if not metrics or invalid:
                return graph_error(f"(#100) metric[{metrics.index(invalid[0]) if invalid else 0}] must be one of "
                                   f"the following values: {', '.join(sorted(MEDIA_METRICS))}", 100)
            stats = post.extra.get("stats")
            if stats is None:
                return graph_error("(#10) Not enough viewers for the media to show insights", 10)
            # Missing data is left out, never answered as 0.
            data = [{"name": name, "period": "lifetime", "values": [{"value": stats[name]}], "title": name,
                     "id": f"{media_id}/insights/{name}/lifetime"} for name in metrics if name in stats]
            return JSONResponse({"data": data})

        @app.get("/{version}/{object_id}")
        async def read_object(version: str, object_id: str, request: Request) -> Response:
            if object_id in self.users:
                return await self._user_fields(object_id, request)
            container = self.containers.get(object_id)
            post = self.posts.get(object_id)
            owner = container["user"] if container else post.account if post else None
            token, error = authorized(self, request, owner, "instagram_business_basic")
            if error is not None:
                return error
            if owner is None:
                return self._missing(object_id)
            response, _ = await self.fault("status" if container else "read", owner)
            if response is not None:
                return response
            fields = (request.query_params.get("fields") or "id").split(",")
            if container:
                status = self.container_status(object_id, poll=True)
                answer = {"id": object_id, "status_code": status, "status": f"{status.title()}"}
            else:
                answer = self._media(post)
            return JSONResponse({key: value for key, value in answer.items() if key in fields or key == "id"})

    def _media(self, post) -> dict[str, Any]:
        return {"id": post.id, "caption": post.text, "media_type": "IMAGE", "timestamp": graph_time(post.created_at),
                "permalink": f"https://www.instagram.com/p/{post.id}/"}

    async def _user_fields(self, user_id: str, request: Request) -> Response:
        """GET /{ig-user-id}?fields=…: the professional account's fields (operation "followers")."""
        token, error = authorized(self, request, user_id, "instagram_business_basic")
        if error is not None:
            return error
        response, _ = await self.fault("followers", user_id)
        if response is not None:
            return response
        fields = [name for name in (request.query_params.get("fields") or "id").split(",") if name]
        unknown = [name for name in fields if name not in USER_FIELDS]
        if unknown:
            return graph_error(f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (User)", 100)
        user = {"id": user_id, "user_id": user_id, "username": self.users[user_id], "name": self.users[user_id],
                "account_type": "BUSINESS", "followers_count": self.followers.get(user_id, 0), "follows_count": 0,
                "media_count": len(self.posts_of(user_id))}
        return JSONResponse({key: value for key, value in user.items() if key in fields or key == "id"})

    def _missing(self, object_id: str) -> Response:
        return graph_error(f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded "
                           "due to missing permissions, or does not support this operation.", 100, 400, 33)

    async def _fetch(self, url: str) -> str | None:
        """What Instagram says of an image it cannot use (it takes JPEG only), or None."""
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(url)
        except httpx.HTTPError:
            return "Media download has failed. The media URI doesn't meet our requirements."
        if response.status_code != 200 or response.headers.get("content-type", "").split(";")[0] != "image/jpeg":
            return "The image format is not supported. Only JPEG images can be published."
        return None
