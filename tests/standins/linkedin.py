"""LinkedIn's Community Management API on loopback: organization posts, images, share statistics, OAuth.

It follows reference/networks.md §3: every /rest call needs the bearer token, a `LinkedIn-Version`
it still serves (an old one answers 426 "Requested version … is not active") and
`X-Restli-Protocol-Version: 2.0.0`; a post answers 201 with an empty body and its URN in
`x-restli-id`; the commentary is "little" text, so text after the first unescaped reserved
character silently disappears; errors are `{"status","message","serviceErrorCode","code"}`;
429s carry no rate-limit headers.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from tests.standins.base import Fault, StandIn, StoredPost, Token

RESERVED = set("\\|{}@[]()<>#*_~")
POSTING_ROLES = {"ADMINISTRATOR", "CONTENT_ADMIN", "DIRECT_SPONSORED_CONTENT_POSTER"}
JPEG, PNG, GIF = b"\xff\xd8\xff", b"\x89PNG", b"GIF8"


def rendered(commentary: str) -> str:
    """What a member sees of a "little" commentary: escapes resolved, nothing after an unescaped reserved char."""
    shown = []
    index = 0
    while index < len(commentary):
        char = commentary[index]
        if char == "\\" and index + 1 < len(commentary) and commentary[index + 1] in RESERVED:
            shown.append(commentary[index + 1])
            index += 2
            continue
        if char in RESERVED:
            break  # LinkedIn drops the rest silently (networks.md §3 Text)
        shown.append(char)
        index += 1
    return "".join(shown)


def error(status: int, message: str, code: str, service_code: int | None = None) -> JSONResponse:
    content: dict[str, Any] = {"status": status, "message": message, "code": code}
    if service_code is not None:
        content["serviceErrorCode"] = service_code
    return JSONResponse(content, status_code=status)


class LinkedInStandIn(StandIn):
    """Organizations, their posts and images; `organizations`/`roles` say what the consenting member administers."""

    network = "linkedin"
    client_id = "linkedin-client"
    client_secret = "linkedin-secret"
    # Versions older than this are sunset (LinkedIn serves about a year of monthly versions).
    oldest_active_version = "202506"
    # How many status reads an image stays PROCESSING after its bytes arrive.
    processing_reads = 1

    def __init__(self, seed: int = 7) -> None:
        self.organizations: dict[str, str] = {}  # organization id -> localizedName
        self.followers: dict[str, int] = {}  # organization id -> members following it (0 until a test sets it)
        self.roles: dict[str, str] = {}  # organization id -> the consenting member's role
        self.images: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []  # every /rest request: method, path, query, headers, json
        self.refresh_expiry: dict[str, float] = {}  # refresh token -> when it dies (365 days from consent)
        self.upload_base = ""  # where initializeUpload's uploadUrl points ("": this stand-in)
        super().__init__(seed)

    # -- errors ----------------------------------------------------------------------------

    def error_response(self, kind: str, fault: Fault | None = None) -> Response:
        if kind == "rate_limit":
            # LinkedIn sends no Retry-After nor rate-limit headers (networks.md §3 Errors/limits).
            return error(429, "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
                         "TOO_MANY_REQUESTS", 101)
        if kind == "server_error":
            return error(500, "Internal Server Error", "INTERNAL_SERVER_ERROR")
        if kind == "expired_token":
            return error(401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65602)
        raise ValueError(kind)

    def check(self, request: Request, scope: str | None = None) -> tuple[Response | None, Token | None]:
        """What LinkedIn checks before any /rest call: the protocol headers, the version, the token."""
        self.requests.append({"method": request.method, "path": request.url.path, "query": request.url.query,
                              "headers": dict(request.headers)})
        if request.headers.get("x-restli-protocol-version") != "2.0.0":
            return error(400, "X-Restli-Protocol-Version 2.0.0 is required", "INVALID_PROTOCOL_VERSION"), None
        version = request.headers.get("linkedin-version", "")
        if not (len(version) == 6 and version.isdigit()):
            return error(400, "A version must be present. Please specify a version by adding the LinkedIn-Version "
                              "header", "VERSION_MISSING"), None
        if version < self.oldest_active_version:
            return error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION"), None
        return self.authenticate(request, scope)

    def authenticate(self, request: Request, scope: str | None = None) -> tuple[Response | None, Token | None]:
        header = request.headers.get("authorization", "")
        value = header[7:] if header.startswith("Bearer ") else ""
        with self.lock:
            token = self.tokens.get(value)
        if token is None:
            return error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600), None
        if token.revoked:
            return error(401, "The token used in the request has been revoked by the user", "REVOKED_ACCESS_TOKEN",
                         65601), None
        if not token.usable():
            return error(401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65602), None
        if scope and token.scopes and scope not in token.scopes:
            return error(403, f"Not enough permissions to access: {request.method} {request.url.path}",
                         "ACCESS_DENIED", 100), None
        return None, token

    @staticmethod
    def organization_of(urn: str) -> str | None:
        return urn.rsplit(":", 1)[1] if urn.startswith("urn:li:organization:") else None

    def may_post(self, token: Token, author: str) -> bool:
        organization = self.organization_of(author)
        return organization is not None and organization in token.accounts

    # -- the test's view ---------------------------------------------------------------------

    def set_statistics(self, urn: str, **counters: Any) -> None:
        """The totalShareStatistics the stats endpoint will answer for post `urn`."""
        with self.lock:
            self.posts[urn].extra["statistics"] = counters

    def set_followers(self, organization: str, count: int) -> None:
        """How many members follow the organization (networkSizes' firstDegreeSize)."""
        with self.lock:
            self.followers[organization] = count

    def fail_next_image(self) -> None:
        """The next uploaded image fails LinkedIn's processing."""
        self._fail_next_image = True

    _fail_next_image = False

    # -- routes ---------------------------------------------------------------------------

    def routes(self) -> None:
        app = self.app

        @app.post("/rest/images")
        async def initialize_upload(request: Request) -> Response:
            refused, token = self.check(request, "w_organization_social")
            if refused:
                return refused
            if request.query_params.get("action") != "initializeUpload":
                return error(400, "Unsupported action", "ILLEGAL_ARGUMENT")
            payload = await request.json()
            owner = ((payload or {}).get("initializeUploadRequest") or {}).get("owner", "")
            if not owner:
                return error(422, "/initializeUploadRequest/owner :: field is required but not found", "FIELD_MISSING")
            if not self.may_post(token, owner):
                return error(403, f"Not enough permissions to act as {owner}", "ACCESS_DENIED", 100)
            response, fault = await self.fault("upload", self.organization_of(owner))
            if response is not None:
                return response
            urn = f"urn:li:image:C4E{secrets.token_hex(8).upper()}"
            with self.lock:
                self.images[urn] = {"owner": owner, "status": "WAITING_UPLOAD", "bytes": b"", "reads": 0}
            await self.lose(fault)
            return JSONResponse({"value": {"uploadUrlExpiresAt": int((time.time() + 3600) * 1000),
                                           "uploadUrl": f"{self.upload_base or self.url}/dms-uploads/{urn}",
                                           "image": urn}})

        @app.put("/dms-uploads/{urn}")
        async def upload(urn: str, request: Request) -> Response:
            refused, _ = self.authenticate(request)
            if refused:
                return refused
            image = self.images.get(urn)
            if image is None:
                return error(404, "Upload URL not found", "NOT_FOUND")
            response, fault = await self.fault("upload", self.organization_of(image["owner"]))
            if response is not None:
                return response
            data = await request.body()
            failed = self._fail_next_image or not data.startswith((JPEG, PNG, GIF))
            self._fail_next_image = False
            with self.lock:
                image.update(bytes=data, status="PROCESSING_FAILED" if failed else "PROCESSING", reads=0,
                             uploads=image.get("uploads", 0) + 1)
            await self.lose(fault)
            return Response(status_code=201)

        @app.get("/rest/images/{urn}")
        async def image_status(urn: str, request: Request) -> Response:
            refused, _ = self.check(request)
            if refused:
                return refused
            image = self.images.get(unquote(urn))
            if image is None:
                return error(404, f"Image {urn} not found", "NOT_FOUND")
            response, _ = await self.fault("status", self.organization_of(image["owner"]))
            if response is not None:
                return response
            with self.lock:
                if image["status"] == "PROCESSING":
                    image["reads"] += 1
                    if image["reads"] > self.processing_reads:
                        image["status"] = "AVAILABLE"
            return JSONResponse({"id": unquote(urn), "owner": image["owner"], "status": image["status"]})

        @app.post("/rest/posts")
        async def create(request: Request) -> Response:
            refused, token = self.check(request, "w_organization_social")
            if refused:
                return refused
            payload = await request.json()
            self.requests[-1]["json"] = payload
            for name in ("author", "visibility", "distribution", "lifecycleState"):
                if not payload.get(name):
                    return error(422, f"/{name} :: field is required but not found and has no default value",
                                 "FIELD_MISSING")
            distribution = payload["distribution"]
            if distribution.get("feedDistribution") not in ("MAIN_FEED", "NONE"):
                return error(422, "/distribution/feedDistribution :: invalid value", "INVALID_VALUE")
            author = payload["author"]
            if not self.may_post(token, author):
                return error(403, f"Not enough permissions to create a post as {author}", "ACCESS_DENIED", 100)
            media = ((payload.get("content") or {}).get("media") or {}).get("id")
            if media:
                image = self.images.get(media)
                if image is None or image["owner"] != author:
                    return error(422, f"/content/media/id :: {media} does not exist or is not owned by {author}",
                                 "INVALID_VALUE")
                if image["status"] != "AVAILABLE":
                    return error(422, f"Image {media} is not AVAILABLE ({image['status']})", "INVALID_VALUE")
            commentary = payload.get("commentary", "")
            organization = self.organization_of(author)
            for existing in self.posts_of(organization):
                if existing.extra["commentary"] == commentary and commentary:
                    return error(422, f"Content is a duplicate of {existing.id}", "DUPLICATE_POST", 422)
            response, fault = await self.fault("create", organization)
            if response is not None:
                return response
            urn = f"urn:li:share:{self.new_id()}"
            self.add_post(organization, rendered(commentary), post_id=urn, commentary=commentary, media=media,
                          author=author, payload=payload)
            await self.lose(fault)
            return Response(status_code=201, headers={"x-restli-id": urn, "x-linkedin-id": urn})

        @app.get("/rest/posts")
        async def list_posts(request: Request) -> Response:
            refused, _ = self.check(request, "r_organization_social")
            if refused:
                return refused
            params = request.query_params
            # Rest.li 2.0: a URN in a query parameter must be percent-encoded.
            if params.get("q") != "author" or "author=urn%3Ali%3A" not in request.url.query:
                return error(400, "Invalid query parameters passed to request", "ILLEGAL_ARGUMENT")
            organization = self.organization_of(params["author"])
            response, _ = await self.fault("read", organization)
            if response is not None:
                return response
            count = min(int(params.get("count", "10")), 100)
            posts = self.posts_of(organization or "")
            return JSONResponse({"paging": {"start": 0, "count": count, "total": len(posts)},
                                 "elements": [self.element(post) for post in posts[:count]]})

        @app.get("/rest/organizationalEntityShareStatistics")
        async def statistics(request: Request) -> Response:
            refused, token = self.check(request, "rw_organization_admin")
            if refused:
                return refused
            params = request.query_params
            organization = self.organization_of(params.get("organizationalEntity", ""))
            if params.get("q") != "organizationalEntity" or organization is None:
                return error(400, "Invalid query parameters passed to request", "ILLEGAL_ARGUMENT")
            if organization not in token.accounts:
                return error(403, "Not enough permissions to access organizationalEntityShareStatistics",
                             "ACCESS_DENIED", 100)
            response, _ = await self.fault("stats", organization)
            if response is not None:
                return response
            listed = params.get("shares") or params.get("ugcPosts") or ""
            if not (listed.startswith("List(") and listed.endswith(")")):
                return error(400, "shares must be List(urn,...)", "ILLEGAL_ARGUMENT")
            kind = "share" if params.get("shares") else "ugcPost"
            elements = []
            for urn in filter(None, listed[5:-1].split(",")):
                post = self.posts.get(urn)
                if post is None or post.account != organization:
                    continue
                elements.append({"organizationalEntity": f"urn:li:organization:{organization}", kind: urn,
                                 "totalShareStatistics": post.extra.get("statistics") or self.zero_statistics()})
            return JSONResponse({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})

        @app.get("/rest/networkSizes/{urn}")
        async def network_size(urn: str, request: Request) -> Response:
            # ?UNCERTAIN scope: third-party tools name rw_organization_admin for the follower count.
            refused, _ = self.check(request, "rw_organization_admin")
            if refused:
                return refused
            # Rest.li 2.0: a URN in a path must be percent-encoded.
            if b"/rest/networkSizes/urn%3Ali%3Aorganization%3A" not in request.scope.get("raw_path", b""):
                return error(400, "Invalid URN syntax in the resource key", "ILLEGAL_ARGUMENT")
            if request.query_params.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
                return error(400, "edgeType must be COMPANY_FOLLOWED_BY_MEMBER", "ILLEGAL_ARGUMENT")
            organization = self.organization_of(unquote(urn))
            if organization not in self.organizations:
                return error(404, f"Organization {organization} not found", "NOT_FOUND")
            response, _ = await self.fault("followers", organization)
            if response is not None:
                return response
            return JSONResponse({"firstDegreeSize": self.followers.get(organization, 0)})

        @app.get("/rest/organizationAcls")
        async def acls(request: Request) -> Response:
            refused, token = self.check(request)
            if refused:
                return refused
            params = request.query_params
            if params.get("q") != "roleAssignee":
                return error(400, "Invalid query parameters passed to request", "ILLEGAL_ARGUMENT")
            response, _ = await self.fault("targets")
            if response is not None:
                return response
            elements = [
                {"roleAssignee": "urn:li:person:standin", "state": "APPROVED", "role": role,
                 "organization": f"urn:li:organization:{organization}"}
                for organization, role in self.roles.items()
                if organization in token.accounts and params.get("role", role) == role
            ]
            return JSONResponse({"paging": {"start": 0, "count": 10, "total": len(elements)}, "elements": elements})

        @app.get("/rest/organizations/{organization}")
        async def organization(organization: str, request: Request) -> Response:
            refused, _ = self.check(request)
            if refused:
                return refused
            if organization not in self.organizations:
                return error(404, f"Organization {organization} not found", "NOT_FOUND")
            return JSONResponse({"id": int(organization), "localizedName": self.organizations[organization],
                                 "vanityName": self.organizations[organization].lower().replace(" ", "-")})

        @app.get("/oauth/v2/authorization")
        async def authorization(request: Request) -> Response:
            if request.query_params.get("response_type") != "code":
                return JSONResponse({"error": "invalid_request", "error_description": "response_type must be code"},
                                    status_code=400)
            return self.authorize(request, required=("client_id", "redirect_uri", "state", "scope"))

        @app.post("/oauth/v2/accessToken")
        async def access_token(request: Request) -> Response:
            form = await request.form()
            response, _ = await self.fault("token")
            if response is not None:
                return response
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return JSONResponse({"error": "invalid_client", "error_description": "Client authentication failed"},
                                    status_code=401)
            if form.get("grant_type") == "authorization_code":
                grant = self.redeem(str(form.get("code", "")), str(form.get("redirect_uri", "")))
                if grant is None:
                    return self.invalid_grant("The provided authorization grant is invalid, expired or revoked")
                token = self.issue_token(set(self.roles), grant["scopes"], expires_in=5_184_000, refresh=True)
                self.refresh_expiry[token.refresh_token] = time.time() + 31_536_000
                return self.token_answer(token)
            if form.get("grant_type") == "refresh_token":
                old = self.token_by_refresh(str(form.get("refresh_token", "")))
                if old is None or self.refresh_expiry.get(old.refresh_token, 0) < time.time():
                    return self.invalid_grant("The provided authorization grant or refresh token is invalid, expired "
                                              "or revoked")
                # LinkedIn keeps the refresh token: its life counts from the first consent (networks.md §3).
                token = self.issue_token(old.accounts, old.scopes, expires_in=5_184_000)
                token.refresh_token = old.refresh_token
                return self.token_answer(token)
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)

    # -- answers ----------------------------------------------------------------------------

    @staticmethod
    def zero_statistics() -> dict[str, Any]:
        return {"impressionCount": 0, "uniqueImpressionsCount": 0, "clickCount": 0, "likeCount": 0,
                "commentCount": 0, "shareCount": 0, "engagement": 0.0}

    @staticmethod
    def element(post: StoredPost) -> dict[str, Any]:
        created = int(post.created_at * 1000)
        element = {"id": post.id, "author": post.extra["author"], "commentary": post.extra["commentary"],
                   "createdAt": created, "publishedAt": created, "lastModifiedAt": created,
                   "lifecycleState": "PUBLISHED", "visibility": "PUBLIC"}
        if post.extra.get("media"):
            element["content"] = {"media": {"id": post.extra["media"]}}
        return element

    def token_answer(self, token: Token) -> JSONResponse:
        answer: dict[str, Any] = {"access_token": token.value, "expires_in": int(token.expires_at - time.time()),
                                  "scope": ",".join(sorted(token.scopes))}
        if token.refresh_token:
            answer["refresh_token"] = token.refresh_token
            answer["refresh_token_expires_in"] = int(self.refresh_expiry[token.refresh_token] - time.time())
        return JSONResponse(answer)

    @staticmethod
    def invalid_grant(description: str) -> JSONResponse:
        return JSONResponse({"error": "invalid_grant", "error_description": description}, status_code=400)
