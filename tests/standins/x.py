"""X's API v2 on loopback: posts, v2 media upload, user timelines, metrics, OAuth 2.0 with PKCE.

It follows reference/networks.md §4: `POST /2/tweets` answers 201 `{"data":{"id","text"}}`; text
is counted with twitter-text weighting (280; links 23, emoji and CJK 2), counted here on its
own so the app's counter is checked independently; a duplicate text is a 403 problem JSON;
every answer carries `x-rate-limit-limit/remaining/reset`, and a per-user window (200 posts
per 15 minutes) answers 429 when spent; ids are snowflakes (they encode their creation time);
timelines show links as t.co and HTML-escape &, < and >.
"""

from __future__ import annotations

import base64
import html
import itertools
import re
import secrets
import time
import unicodedata
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from tests.standins.base import Fault, StandIn, StoredPost, Token

SNOWFLAKE_EPOCH_MS = 1288834974657
IMAGE_MAX_BYTES = 5 * 1024 * 1024
MEDIA_LIFETIME_SECONDS = 86400
PRIVATE_METRICS_DAYS = 30
IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif", b"RIFF": "image/webp"}

LINK = re.compile(r"https?://[^\s]+|www\.[^\s]+", re.IGNORECASE)
# twitter-text's default config: these code point ranges weigh 1, every other one 2; a link 23.
LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
# An emoji (with its modifiers and ZWJ-joined parts) weighs 2 as a whole.
EMOJI = re.compile(r"(?:[\U0001F1E6-\U0001F1FF]{2}"
                   r"|[\u2600-\u27BF\U0001F000-\U0001FAFF][\uFE0F\U0001F3FB-\U0001F3FF]*"
                   r"(?:\u200D[\u2600-\u27BF\U0001F000-\U0001FAFF][\uFE0F\U0001F3FB-\U0001F3FF]*)*)")


def weighted_length(text: str) -> int:
    """How long X counts `text` (twitter-text weighting)."""
    text = unicodedata.normalize("NFC", text)
    length = 23 * len(LINK.findall(text))
    text = LINK.sub("", text)
    length += 2 * len(EMOJI.findall(text))
    text = EMOJI.sub("", text)
    return length + sum(1 if any(low <= ord(c) <= high for low, high in LIGHT) else 2 for c in text)


def problem(status: int, title: str, detail: str, kind: str = "about:blank", **more: Any) -> JSONResponse:
    return JSONResponse({"title": title, "detail": detail, "type": kind, "status": status, **more}, status_code=status)


def invalid_request(message: str) -> JSONResponse:
    return problem(400, "Invalid Request", "One or more parameters to your request was invalid.",
                   "https://api.twitter.com/2/problems/invalid-request", errors=[{"message": message}])


class XStandIn(StandIn):
    """X users, their posts and media; `users` says who exists, `consent_accounts` who consents to OAuth."""

    network = "x"
    client_id = "x-client"
    client_secret = "x-secret"
    # Per-user windows (requests, seconds) of each operation; POST /2/tweets: 200 per 15 min (networks.md §4).
    limits = {"create": (200, 900), "upload": (500, 900), "read": (900, 900), "stats": (900, 900),
              "targets": (75, 900)}

    def __init__(self, seed: int = 7) -> None:
        self.users: dict[str, str] = {}  # user id -> username
        self.followers: dict[str, int] = {}  # user id -> followers_count (0 until a test sets it)
        self.media: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.windows: dict[tuple[str, str], list[float]] = {}  # (operation, user) -> [reset epoch, used]
        self._sequence = itertools.count(1)
        self.limits = dict(self.limits)  # a test may narrow a window without touching other stand-ins
        super().__init__(seed)

    # -- ids, limits, errors ---------------------------------------------------------------

    def snowflake(self, created_at: float | None = None) -> str:
        """An X id: the creation time in ms since X's epoch, shifted 22 bits, plus a sequence."""
        ms = int((created_at if created_at is not None else time.time()) * 1000) - SNOWFLAKE_EPOCH_MS
        return str((ms << 22) | (next(self._sequence) & 0x3FFFFF))

    def add_tweet(self, user: str, text: str, age_seconds: float = 0.0, **extra: Any) -> StoredPost:
        """A post that already exists on `user`'s account, `age_seconds` old."""
        created = time.time() - age_seconds
        post = self.add_post(user, text, post_id=self.snowflake(created), **extra)
        post.created_at = created
        return post

    def limit_headers(self, operation: str, user: str) -> tuple[dict[str, str], bool]:
        """Count one call in the user's window: the x-rate-limit headers, and whether the window is spent."""
        limit, seconds = self.limits[operation]
        now = time.time()
        with self.lock:
            window = self.windows.setdefault((operation, user), [now + seconds, 0])
            if now >= window[0]:
                window[:] = [now + seconds, 0]
            window[1] += 1
            used, reset = window[1], window[0]
        headers = {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(max(0, limit - used)),
                   "x-rate-limit-reset": str(int(reset))}
        return headers, used > limit

    def error_response(self, kind: str, fault: Fault | None = None) -> Response:
        if kind == "rate_limit":
            retry = fault.retry_after if fault else 900
            response = problem(429, "Too Many Requests", "Too Many Requests")
            response.headers.update({"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0",
                                     "x-rate-limit-reset": str(int(time.time() + retry))})
            return response
        if kind == "server_error":
            return problem(503, "Service Unavailable", "Service Unavailable")
        if kind == "expired_token":
            return problem(401, "Unauthorized", "Unauthorized")
        raise ValueError(kind)

    def authenticate(self, request: Request, *scopes: str) -> tuple[Response | None, Token | None]:
        """The user token of the call (OAuth 2.0 user context), holding every scope the endpoint needs."""
        token = self.bearer(request)
        if token is None:
            return problem(401, "Unauthorized", "Unauthorized"), None
        missing = [scope for scope in scopes if token.scopes and scope not in token.scopes]
        if missing:
            return problem(403, "Forbidden", "You are not permitted to perform this action."), None
        return None, token

    @staticmethod
    def user_of(token: Token) -> str:
        return next(iter(sorted(token.accounts)), "")

    def shown(self, text: str) -> str:
        """A post's text as X returns it: links as t.co, &, < and > escaped."""
        return html.escape(LINK.sub(lambda _: f"https://t.co/{secrets.token_hex(5)}", text), quote=False)

    def set_followers(self, user: str, count: int) -> None:
        """The user's public_metrics.followers_count."""
        with self.lock:
            self.followers[user] = count

    def set_metrics(self, post_id: str, public: dict[str, int] | None = None,
                    non_public: dict[str, int] | None = None, organic: dict[str, int] | None = None) -> None:
        with self.lock:
            self.posts[post_id].extra["metrics"] = {"public_metrics": public or {}, "non_public_metrics": non_public
                                                    or {}, "organic_metrics": organic or {}}

    # -- routes -----------------------------------------------------------------------------

    def routes(self) -> None:
        app = self.app

        def record(request: Request, **more: Any) -> None:
            self.requests.append({"method": request.method, "path": request.url.path, "query": request.url.query,
                                  "headers": dict(request.headers), **more})

        @app.post("/2/media/upload")
        async def upload(request: Request) -> Response:
            refused, token = self.authenticate(request, "media.write")
            if refused:
                return refused
            form = await request.form()
            record(request, form={k: v for k, v in form.items() if isinstance(v, str)})
            user = self.user_of(token)
            headers, spent = self.limit_headers("upload", user)
            if spent:
                return self.with_headers(problem(429, "Too Many Requests", "Too Many Requests"), headers)
            response, fault = await self.fault("upload", user)
            if response is not None:
                return response
            media = form.get("media")
            if media is None or isinstance(media, str):
                return self.with_headers(invalid_request("The `media` field is required."), headers)
            if form.get("media_category") not in ("tweet_image", "tweet_gif", "tweet_video", "dm_image"):
                return self.with_headers(invalid_request("`media_category` must be tweet_image, tweet_gif, "
                                                         "tweet_video or dm_image."), headers)
            data = await media.read()
            image_type = next((kind for magic, kind in IMAGE_TYPES.items() if data.startswith(magic)), None)
            if image_type is None:
                return self.with_headers(invalid_request("Unsupported media type."), headers)
            if len(data) > IMAGE_MAX_BYTES:
                return self.with_headers(invalid_request(f"File size exceeds {IMAGE_MAX_BYTES} bytes."), headers)
            media_id = self.snowflake()
            with self.lock:
                self.media[media_id] = {"user": user, "bytes": data, "expires_at": time.time() + MEDIA_LIFETIME_SECONDS}
            await self.lose(fault)
            return self.with_headers(JSONResponse({"data": {
                "id": media_id, "media_key": f"3_{media_id}", "size": len(data),
                "expires_after_secs": MEDIA_LIFETIME_SECONDS, "image": {"image_type": image_type},
            }}), headers)

        @app.post("/2/tweets")
        async def create(request: Request) -> Response:
            refused, token = self.authenticate(request, "tweet.write")
            if refused:
                return refused
            payload = await request.json()
            record(request, json=payload)
            user = self.user_of(token)
            headers, spent = self.limit_headers("create", user)
            if spent:
                return self.with_headers(problem(429, "Too Many Requests", "Too Many Requests"), headers)
            response, fault = await self.fault("create", user)
            if response is not None:
                return response
            text = payload.get("text") or ""
            media_ids = (payload.get("media") or {}).get("media_ids") or []
            if not text and not media_ids:
                return self.with_headers(invalid_request("One of text or media is required."), headers)
            if len(media_ids) > 4:
                return self.with_headers(invalid_request("At most 4 media_ids."), headers)
            for media_id in media_ids:
                media = self.media.get(str(media_id))
                if media is None or media["user"] != user or media["expires_at"] < time.time():
                    return self.with_headers(invalid_request(f"Your media IDs are invalid: {media_id}."), headers)
            if weighted_length(text) > 280:
                return self.with_headers(problem(403, "Forbidden", "Your Tweet text is too long. For more information "
                                                 "on how Twitter determines text length see "
                                                 "https://github.com/twitter/twitter-text."), headers)
            if any(existing.text == text for existing in self.posts_of(user)):
                return self.with_headers(problem(403, "Forbidden", "You are not allowed to create a Tweet with "
                                                 "duplicate content."), headers)
            post = self.add_tweet(user, text, media_ids=[str(m) for m in media_ids])
            await self.lose(fault)
            return self.with_headers(JSONResponse({"data": {"id": post.id, "text": self.shown(text),
                                                            "edit_history_tweet_ids": [post.id]}}, status_code=201),
                                     headers)

        @app.get("/2/users/me")
        async def me(request: Request) -> Response:
            refused, token = self.authenticate(request, "users.read")
            if refused:
                return refused
            record(request)
            user = self.user_of(token)
            headers, spent = self.limit_headers("targets", user)
            if spent:
                return self.with_headers(problem(429, "Too Many Requests", "Too Many Requests"), headers)
            fields = set(request.query_params.get("user.fields", "").split(","))
            # The same endpoint serves connecting and the daily follower count: faults can aim at either.
            response, _ = await self.fault("followers" if "public_metrics" in fields else "targets", user)
            if response is not None:
                return response
            data: dict[str, Any] = {"id": user, "name": self.users.get(user, user),
                                    "username": self.users.get(user, user)}
            if "public_metrics" in fields:
                data["public_metrics"] = {"followers_count": self.followers.get(user, 0), "following_count": 0,
                                          "tweet_count": len(self.posts_of(user)), "listed_count": 0,
                                          "like_count": 0, "media_count": 0}
            return self.with_headers(JSONResponse({"data": data}), headers)

        @app.get("/2/users/{user}/tweets")
        async def timeline(user: str, request: Request) -> Response:
            refused, token = self.authenticate(request, "tweet.read", "users.read")
            if refused:
                return refused
            record(request)
            headers, spent = self.limit_headers("read", self.user_of(token))
            if spent:
                return self.with_headers(problem(429, "Too Many Requests", "Too Many Requests"), headers)
            response, _ = await self.fault("read", user)
            if response is not None:
                return response
            params = request.query_params
            max_results = int(params.get("max_results", "10"))
            if not 5 <= max_results <= 100:
                return self.with_headers(invalid_request("`max_results` must be between 5 and 100."), headers)
            start = 0.0
            if params.get("start_time"):
                try:
                    start = datetime.strptime(params["start_time"], "%Y-%m-%dT%H:%M:%SZ").replace(
                        tzinfo=UTC).timestamp()
                except ValueError:
                    return self.with_headers(invalid_request("`start_time` must be YYYY-MM-DDTHH:mm:ssZ."), headers)
            fields = set(params.get("tweet.fields", "").split(","))
            posts = [post for post in self.posts_of(user) if post.created_at >= start][:max_results]
            data = []
            for post in posts:
                item = {"id": post.id, "text": self.shown(post.text), "edit_history_tweet_ids": [post.id]}
                if "created_at" in fields:
                    item["created_at"] = datetime.fromtimestamp(post.created_at, UTC).strftime(
                        "%Y-%m-%dT%H:%M:%S.000Z")
                data.append(item)
            meta: dict[str, Any] = {"result_count": len(data)}
            if data:
                meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
                return self.with_headers(JSONResponse({"data": data, "meta": meta}), headers)
            return self.with_headers(JSONResponse({"meta": meta}), headers)

        @app.get("/2/tweets")
        async def lookup(request: Request) -> Response:
            refused, token = self.authenticate(request, "tweet.read", "users.read")
            if refused:
                return refused
            record(request)
            user = self.user_of(token)
            headers, spent = self.limit_headers("stats", user)
            if spent:
                return self.with_headers(problem(429, "Too Many Requests", "Too Many Requests"), headers)
            response, _ = await self.fault("stats", user)
            if response is not None:
                return response
            ids = [i for i in request.query_params.get("ids", "").split(",") if i]
            if not 1 <= len(ids) <= 100:
                return self.with_headers(invalid_request("`ids` must name 1 to 100 posts."), headers)
            fields = set(request.query_params.get("tweet.fields", "").split(","))
            data, errors = [], []
            for post_id in ids:
                post = self.posts.get(post_id)
                if post is None:
                    errors.append({"value": post_id, "detail": f"Could not find tweet with ids: [{post_id}].",
                                   "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                                   "resource_id": post_id,
                                   "type": "https://api.twitter.com/2/problems/resource-not-found"})
                    continue
                metrics = post.extra.get("metrics") or {}
                item: dict[str, Any] = {"id": post.id, "text": self.shown(post.text),
                                        "edit_history_tweet_ids": [post.id]}
                if "public_metrics" in fields:
                    item["public_metrics"] = {"retweet_count": 0, "reply_count": 0, "like_count": 0,
                                              "quote_count": 0, "bookmark_count": 0, "impression_count": 0,
                                              **metrics.get("public_metrics", {})}
                for private in ("non_public_metrics", "organic_metrics"):
                    if private not in fields:
                        continue
                    # Private metrics: only the author's own posts, up to 30 days old (networks.md §4 Stats).
                    if post.account != user or time.time() - post.created_at > PRIVATE_METRICS_DAYS * 86400:
                        errors.append({"title": "Field Authorization Error", "resource_type": "tweet",
                                       "field": private, "resource_id": post.id, "value": post.id,
                                       "detail": f"Sorry, you are not authorized to access '{private}' on the "
                                                 f"Tweet with id {post.id}.",
                                       "type": "https://api.twitter.com/2/problems/not-authorized-for-field"})
                        continue
                    item[private] = metrics.get(private, {})
                data.append(item)
            answer: dict[str, Any] = {}
            if data:
                answer["data"] = data
            if errors:
                answer["errors"] = errors
            return self.with_headers(JSONResponse(answer), headers)

        @app.get("/i/oauth2/authorize")
        async def authorize(request: Request) -> Response:
            params = request.query_params
            if params.get("response_type") != "code" or params.get("code_challenge_method") not in ("S256", "plain"):
                return JSONResponse({"error": "invalid_request",
                                     "error_description": "response_type=code and code_challenge_method are required"},
                                    status_code=400)
            return self.authorize(request, required=("client_id", "redirect_uri", "state", "scope"), pkce=True)

        @app.post("/2/oauth2/token")
        async def token(request: Request) -> Response:
            form = await request.form()
            record(request, form=dict(form))
            response, _ = await self.fault("token")
            if response is not None:
                return response
            expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if request.headers.get("authorization") != expected:
                return JSONResponse({"error": "unauthorized_client",
                                     "error_description": "Missing valid authorization header"}, status_code=401)
            if form.get("grant_type") == "authorization_code":
                grant = self.redeem(str(form.get("code", "")), str(form.get("redirect_uri", "")),
                                    str(form.get("code_verifier", "")) or None)
                if grant is None:
                    return self.invalid("Value passed for the authorization code was invalid.")
                issued = self.issue_token(self.consent_accounts, grant["scopes"], expires_in=7200,
                                          refresh="offline.access" in grant["scopes"])
                return self.token_answer(issued)
            if form.get("grant_type") == "refresh_token":
                old = self.token_by_refresh(str(form.get("refresh_token", "")))
                if old is None:
                    return self.invalid("Value passed for the token was invalid.")
                # Each refresh rotates the refresh token: the old one stops working.
                new = self.rotate(old, 7200)
                return self.token_answer(new)
            return self.invalid("Unsupported grant_type.")

    # -- answers -----------------------------------------------------------------------------

    @staticmethod
    def with_headers(response: Response, headers: dict[str, str]) -> Response:
        response.headers.update(headers)
        return response

    @staticmethod
    def token_answer(token: Token) -> JSONResponse:
        answer: dict[str, Any] = {"token_type": "bearer", "expires_in": 7200, "access_token": token.value,
                                  "scope": " ".join(sorted(token.scopes))}
        if token.refresh_token:
            answer["refresh_token"] = token.refresh_token
        return JSONResponse(answer)

    @staticmethod
    def invalid(description: str) -> JSONResponse:
        return JSONResponse({"error": "invalid_request", "error_description": description}, status_code=400)
