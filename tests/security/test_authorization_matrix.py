"""Who may do what: every route of the app, called by six people, answers the status RULES says.

RULES is the one table of who may call which route (method and path as the app declares them).
A route without a rule fails `test_every_route_has_a_rule`; a rule's people and statuses are in WHO.
Requests that are refused (or, for a selection, skip what the person may not see) must change nothing
in the database or the job queue; 2xx answers to people outside Alpha, or outside location A, must
not mention Alpha's (or A's) objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from string import Template
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select
from starlette.routing import Mount

from hub.db import Base
from hub.deps import SESSION_COOKIE
from hub.media.service import public_render_url
from hub.media.text import FONTS_DIR
from hub.reviews.pages import REVIEW_CSRF_COOKIE
from hub.web.pages import LOGIN_CSRF_COOKIE
from tests.factories import PASSWORD
from tests.security.world import (
    ANONYMOUS, EMAILS, GRANT_STATE, HQ_ADMIN, ROLES, World, build_world, photo, rebuild_world,
)

OK = "ok"  # the route's success status (Rule.ok)
LOGIN = "login"  # anonymous: 401 on the API, 303 to /login?next=<path> on a page
SKIPPED = "skipped"  # the route's success status, and nothing changed: what the person may not see is skipped

# Who may call a route, person by person, in the order of ROLES:
# anonymous, local manager of A, local manager of B, regional manager of another region,
# HQ editor of another brand (Bravo), HQ admin (of Alpha, who owns every object of the world).
# 404, not 403, when the object belongs to a brand or location the person may not see: its existence stays hidden.
WHO: dict[str, tuple[Any, ...]] = {
    "public": (OK, OK, OK, OK, OK, OK),
    "token link": (OK, OK, OK, OK, OK, OK),  # whoever holds the link; another token answers 404
    "signed in or signed link": (LOGIN, OK, OK, OK, OK, OK),  # the signed link is tried too
    "signed in": (LOGIN, OK, OK, OK, OK, OK),
    "member, own scope": (LOGIN, OK, OK, OK, OK, OK),  # lists: each reads what their role and scope show
    "brand member": (LOGIN, OK, OK, OK, OK, OK),  # acts in their own brand (viewers may not)
    "brand's file": (LOGIN, OK, OK, OK, 404, OK),
    "deployment admin": (LOGIN, 403, 403, 403, 403, 403),
    "brand viewer": (LOGIN, 403, 403, 403, OK, OK),  # HQ and brand-wide viewers, each in their own brand
    "hq": (LOGIN, 403, 403, 403, OK, OK),  # HQ admins and editors, each in their own brand
    "hq admin": (LOGIN, 403, 403, 403, 403, OK),
    "brand viewer object": (LOGIN, 404, 404, 404, 404, OK),  # an object of Alpha for its HQ and viewers
    "brand viewer page, object": (LOGIN, 403, 403, 403, 404, OK),  # a page for them only, then the object
    "hq object": (LOGIN, 404, 404, 404, 404, OK),  # an object of Alpha that its HQ changes
    "own location": (LOGIN, OK, 404, 404, 404, OK),  # location A or what belongs to it: its manager and HQ
    "own location, hq writes": (LOGIN, 403, 404, 404, 404, OK),
    "selection": (LOGIN, OK, SKIPPED, SKIPPED, SKIPPED, OK),  # ids in the body: the others' are skipped
    "own connection": (LOGIN, 400, 400, 400, 400, OK),  # the OAuth grant of the person who started it
    "post reader": (LOGIN, OK, OK, 404, 404, OK),  # HQ, and locals whose location received the post
    "translator": (LOGIN, 403, 403, 404, 404, OK),  # HQ, and distributors for the locales they serve
    "calendar": (LOGIN, 303, 303, OK, OK, OK),  # a local manager is sent to their location's calendar
}


@dataclass(frozen=True)
class Rule:
    who: str  # a key of WHO
    ok: int  # the status of a request the rule lets through
    fresh: bool = False  # the change can be made once: each allowed person makes it in a new world


RULES: dict[tuple[str, str], Rule] = {
    # ------------------------------------------------------------ public, and the app's own
    ("GET", "/healthz"): Rule("public", 200),
    ("GET", "/openapi.json"): Rule("public", 200),
    ("GET", "/static/{path}"): Rule("public", 200),
    ("GET", "/login"): Rule("public", 200),
    ("POST", "/login"): Rule("public", 303),
    ("GET", "/language"): Rule("public", 303),
    ("POST", "/api/v1/auth/token"): Rule("public", 200),
    # ------------------------------------------------------------ signed in
    ("GET", "/"): Rule("signed in", 303),
    ("POST", "/logout"): Rule("signed in", 303),
    ("GET", "/api/v1/me"): Rule("signed in", 200),
    ("DELETE", "/api/v1/auth/token"): Rule("signed in", 204),
    ("GET", "/renders/{key}.jpg"): Rule("signed in or signed link", 200),
    ("POST", "/api/v1/brands"): Rule("deployment admin", 201),
    # ------------------------------------------------------------ brand: people, locations, kit, media
    ("POST", "/api/v1/users"): Rule("hq admin", 201),
    ("POST", "/api/v1/locations"): Rule("hq", 201),
    ("POST", "/api/v1/locations/import"): Rule("hq", 200),
    ("GET", "/api/v1/locations"): Rule("member, own scope", 200),
    ("GET", "/locations"): Rule("brand viewer", 200),
    ("GET", "/api/v1/locations/{location_id}"): Rule("own location", 200),
    ("GET", "/sandbox/{location_id}"): Rule("own location", 200),
    ("GET", "/api/v1/brand-kit"): Rule("hq", 200),
    ("PUT", "/api/v1/brand-kit"): Rule("hq admin", 200),
    ("GET", "/brand-kit"): Rule("hq", 200),
    ("POST", "/brand-kit"): Rule("hq admin", 303),
    ("POST", "/brand-kit/logo"): Rule("hq admin", 303),
    ("POST", "/brand-kit/logo/remove"): Rule("hq admin", 303),
    ("POST", "/brand-kit/fonts"): Rule("hq admin", 303),
    ("POST", "/api/v1/brand-kit/fonts"): Rule("hq admin", 201),
    ("GET", "/api/v1/brand-kit/fonts"): Rule("hq", 200),
    ("POST", "/api/v1/media"): Rule("brand member", 201),
    ("GET", "/media"): Rule("brand member", 200),
    ("POST", "/media"): Rule("brand member", 303),
    ("GET", "/media/{media_id}"): Rule("brand's file", 200),
    ("GET", "/audit"): Rule("hq", 200),
    ("GET", "/api/v1/audit"): Rule("hq", 200),
    # ------------------------------------------------------------ campaigns and posts
    ("POST", "/api/v1/campaigns"): Rule("hq", 201),
    ("GET", "/api/v1/campaigns"): Rule("member, own scope", 200),
    ("GET", "/campaigns"): Rule("brand viewer", 200),
    ("POST", "/campaigns"): Rule("hq", 303),
    ("GET", "/api/v1/campaigns/{campaign_id}"): Rule("brand viewer object", 200),
    ("GET", "/campaigns/{campaign_id}"): Rule("brand viewer object", 200),
    ("GET", "/campaigns/{campaign_id}/matrix"): Rule("brand viewer page, object", 200),
    ("GET", "/api/v1/campaigns/{campaign_id}/posts"): Rule("brand viewer object", 200),
    ("POST", "/api/v1/campaigns/{campaign_id}/posts"): Rule("hq object", 201),
    ("POST", "/campaigns/{campaign_id}/posts"): Rule("hq object", 303),
    ("POST", "/campaigns/{campaign_id}/posts/preview"): Rule("hq object", 200),
    ("GET", "/api/v1/posts/{post_id}"): Rule("brand viewer object", 200),
    ("PUT", "/api/v1/posts/{post_id}"): Rule("hq object", 200),
    ("POST", "/posts/{post_id}/revise"): Rule("hq object", 303),
    ("POST", "/api/v1/posts/{post_id}/lint"): Rule("hq object", 200),
    ("POST", "/api/v1/posts/{post_id}/distribute"): Rule("hq object", 202),
    ("POST", "/posts/{post_id}/distribute"): Rule("hq object", 303),
    ("POST", "/api/v1/posts/{post_id}/withdraw"): Rule("hq object", 200),
    ("POST", "/posts/{post_id}/withdraw"): Rule("hq object", 303),
    ("GET", "/api/v1/distributions/{distribution_id}"): Rule("brand viewer object", 200),
    ("GET", "/distributions/{distribution_id}/progress"): Rule("brand viewer object", 303),
    # ------------------------------------------------------------ translations
    ("GET", "/api/v1/posts/{post_id}/translations"): Rule("post reader", 200),
    ("GET", "/posts/{post_id}/translations"): Rule("post reader", 200),
    ("GET", "/posts/{post_id}/translations/{locale}"): Rule("post reader", 200),
    ("POST", "/posts/{post_id}/translations/{locale}/lint"): Rule("post reader", 200),
    ("PUT", "/api/v1/posts/{post_id}/translations/{locale}"): Rule("translator", 200),
    ("POST", "/posts/{post_id}/translations/{locale}"): Rule("translator", 303),
    # Machine translation is off in tests: the page says so (503) and nothing changes.
    ("POST", "/posts/{post_id}/translations/{locale}/machine"): Rule("translator", 503),
    # ------------------------------------------------------------ proposals
    ("GET", "/api/v1/proposals"): Rule("member, own scope", 200),
    ("GET", "/inbox"): Rule("member, own scope", 200),
    ("POST", "/api/v1/proposals/bulk-approve"): Rule("selection", 200),
    ("POST", "/inbox/approve"): Rule("selection", 200),
    ("GET", "/api/v1/proposals/{proposal_id}"): Rule("own location", 200),
    ("GET", "/proposals/{proposal_id}"): Rule("own location", 200),
    ("GET", "/inbox/rows/{proposal_id}"): Rule("own location", 200),
    ("POST", "/api/v1/proposals/{proposal_id}/approve"): Rule("own location", 200, fresh=True),
    ("POST", "/api/v1/proposals/{proposal_id}/customize"): Rule("own location", 200, fresh=True),
    ("POST", "/api/v1/proposals/{proposal_id}/reject"): Rule("own location", 200, fresh=True),
    ("POST", "/proposals/{proposal_id}/approve"): Rule("own location", 303, fresh=True),
    ("POST", "/proposals/{proposal_id}/customize"): Rule("own location", 303, fresh=True),
    ("POST", "/proposals/{proposal_id}/reject"): Rule("own location", 303, fresh=True),
    ("POST", "/proposals/{proposal_id}/preview"): Rule("own location", 200),
    ("GET", "/api/v1/proposals/{proposal_id}/images/{network}"): Rule("own location", 200),
    ("GET", "/proposals/{proposal_id}/images/{network}.jpg"): Rule("own location", 200),
    ("GET", "/api/v1/proposals/{proposal_id}/comments"): Rule("own location", 200),
    ("POST", "/api/v1/proposals/{proposal_id}/comments"): Rule("own location", 201),
    ("POST", "/proposals/{proposal_id}/comments"): Rule("own location", 303),
    ("GET", "/api/v1/publications"): Rule("member, own scope", 200),
    # ------------------------------------------------------------ review links
    ("POST", "/api/v1/proposals/{proposal_id}/review-links"): Rule("own location", 201),
    ("GET", "/api/v1/proposals/{proposal_id}/review-links"): Rule("own location", 200),
    ("DELETE", "/api/v1/proposals/{proposal_id}/review-links/{link_id}"): Rule("own location", 200),
    ("POST", "/proposals/{proposal_id}/review-links"): Rule("own location", 303),
    ("POST", "/proposals/{proposal_id}/review-links/{link_id}/revoke"): Rule("own location", 303),
    ("GET", "/review/{token}"): Rule("token link", 200),
    ("GET", "/review/{token}/images/{network}.jpg"): Rule("token link", 200),
    ("POST", "/review/{token}/approve"): Rule("token link", 303, fresh=True),
    ("POST", "/review/{token}/reject"): Rule("token link", 303, fresh=True),
    # ------------------------------------------------------------ stats
    ("GET", "/api/v1/reports/silent-arms"): Rule("hq", 200),
    ("GET", "/api/v1/reports/network"): Rule("brand viewer", 200),
    ("GET", "/network/stats"): Rule("brand viewer", 200),
    ("POST", "/network/stats/refresh"): Rule("brand viewer", 303),
    ("GET", "/network/stats/{table}.csv"): Rule("brand viewer", 200),
    ("GET", "/api/v1/campaigns/{campaign_id}/report"): Rule("brand viewer object", 200),
    ("GET", "/campaigns/{campaign_id}/report/{table}.csv"): Rule("brand viewer object", 200),
    ("GET", "/api/v1/locations/{location_id}/report"): Rule("own location", 200),
    ("GET", "/locations/{location_id}/stats"): Rule("own location", 200),
    ("GET", "/locations/{location_id}/stats/{table}.csv"): Rule("own location", 200),
    # ------------------------------------------------------------ webhooks
    ("POST", "/api/v1/webhooks"): Rule("hq admin", 201),
    ("GET", "/api/v1/webhooks"): Rule("hq admin", 200),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): Rule("hq admin", 204),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): Rule("hq admin", 200),
    ("GET", "/webhooks"): Rule("hq admin", 200),
    ("POST", "/webhooks"): Rule("hq admin", 303),
    ("POST", "/webhooks/{webhook_id}/delete"): Rule("hq admin", 303),
    # ------------------------------------------------------------ social accounts
    ("POST", "/api/v1/locations/{location_id}/accounts"): Rule("own location, hq writes", 201),
    ("GET", "/api/v1/locations/{location_id}/accounts"): Rule("own location", 200),
    ("DELETE", "/api/v1/locations/{location_id}/accounts/{account_id}"): Rule("own location", 204),
    ("GET", "/locations/{location_id}/accounts"): Rule("own location", 200),
    ("GET", "/locations/{location_id}/accounts/connect/{network}"): Rule("own location", 303),
    ("POST", "/locations/{location_id}/accounts/{account_id}/disconnect"): Rule("own location", 303),
    # The owner declined on the network's page: the grant is used up and the page says so (400).
    ("GET", "/accounts/oauth/callback/{network}"): Rule("own connection", 400),
    ("GET", "/accounts/oauth/grants/{grant_id}"): Rule("own connection", 200),
    ("POST", "/accounts/oauth/grants/{grant_id}"): Rule("own connection", 303),
    ("GET", "/network"): Rule("hq", 200),
    # ------------------------------------------------------------ calendars
    ("GET", "/calendar"): Rule("calendar", 200),
    ("GET", "/locations/{location_id}/calendar"): Rule("own location", 200),
    ("GET", "/api/v1/locations/{location_id}/calendar"): Rule("own location", 200),
    ("POST", "/locations/{location_id}/calendar/rotate"): Rule("own location", 303),
    ("GET", "/calendars/{location_id}.ics"): Rule("token link", 200),
}

# ------------------------------------------------------------------------------------------------ what to send

# Path parameters not named after a world object. `$name` in a body, query or parameter is the world's value.
DEFAULT_PARAMS = {"network": "facebook", "locale": "de-DE", "path": "css/pieuvre.css"}
DOUBLE_SUBMIT = "double-submit-token-of-the-matrix-0123456789"  # cookie and field of the forms without a session
PALETTE = {"palette-primary": "#1D3557", "palette-secondary": "#0F172A", "palette-accent": "#F4A261",
           "palette-text": "#FFFFFF", "palette-background": "#F8FAFC"}
NEW_LOCATION = {"code": "NEW-1", "name": "Nouveau", "country": "FR", "locale": "fr-FR", "timezone": "Europe/Paris"}


def _photo_file() -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("photo.png", photo(), "image/png")}


def _font_file() -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("brand.ttf", (FONTS_DIR / "NotoSans-Bold.ttf").read_bytes(), "font/ttf")}


@dataclass(frozen=True)
class Send:
    """What a request carries besides the person's credentials."""

    params: dict[str, str] = field(default_factory=dict)  # path parameters
    query: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    data: dict[str, Any] | None = None
    files: Any = None  # a function giving the files (read when sending)
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    forged: dict[str, Any] | None = None  # path parameters or query of another token: 404 for anyone


SENDS: dict[tuple[str, str], Send] = {
    ("POST", "/login"): Send(data={"email": EMAILS[HQ_ADMIN], "password": PASSWORD, "csrf_token": DOUBLE_SUBMIT},
                             cookies={LOGIN_CSRF_COOKIE: DOUBLE_SUBMIT}),
    ("GET", "/language"): Send(query={"lang": "fr", "next": "/"}),
    ("POST", "/api/v1/auth/token"): Send(json={"email": EMAILS[HQ_ADMIN], "password": PASSWORD}),
    ("POST", "/api/v1/brands"): Send(json={"name": "Charlie", "admin_email": "hq@charlie.test",
                                           "admin_password": PASSWORD}),
    ("POST", "/api/v1/users"): Send(json={"email": "new@alpha.test", "password": PASSWORD, "role": "local_manager",
                                          "location_ids": ["$location_id"]}),
    ("POST", "/api/v1/locations"): Send(json=NEW_LOCATION),
    ("POST", "/api/v1/locations/import"): Send(
        content=b"code,name,country,locale,timezone\nNEW-2,Nouveau,FR,fr-FR,Europe/Paris\n",
        headers={"Content-Type": "text/csv"}),
    ("POST", "/api/v1/locations/{location_id}/accounts"): Send(json={
        "network": "linkedin", "external_id": "linkedin-new", "connector": "sandbox"}),
    ("PUT", "/api/v1/brand-kit"): Send(json={}),
    ("POST", "/brand-kit"): Send(data={**PALETTE, "max_emoji": "3", "formality-fr": "vous",
                                       "instagram_hashtag_cap": "5"}),
    ("POST", "/brand-kit/logo"): Send(files=_photo_file),
    ("POST", "/brand-kit/fonts"): Send(data={"role": "heading"}, files=_font_file),
    ("POST", "/api/v1/brand-kit/fonts"): Send(query={"role": "heading"}, files=_font_file),
    ("POST", "/api/v1/media"): Send(files=_photo_file),
    ("POST", "/media"): Send(files=_photo_file),
    ("POST", "/api/v1/campaigns"): Send(json={"name": "Été"}),
    ("POST", "/campaigns"): Send(data={"name": "Été"}),
    ("POST", "/api/v1/campaigns/{campaign_id}/posts"): Send(json={"body": "Bel été à {city}",
                                                                  "networks": ["facebook"]}),
    ("POST", "/campaigns/{campaign_id}/posts"): Send(data={"body": "Bel été à {city}", "networks": ["facebook"],
                                                           "editable": "free"}),
    ("POST", "/campaigns/{campaign_id}/posts/preview"): Send(data={"body": "Bel été à {city}",
                                                                   "networks": ["facebook"]}),
    ("PUT", "/api/v1/posts/{post_id}"): Send(json={"body": "Bonjour {city} ! Nouveau printemps.",
                                                   "networks": ["facebook", "instagram"]}),
    ("POST", "/posts/{post_id}/revise"): Send(data={"body": "Bonjour {city} ! Nouveau printemps.",
                                                    "networks": ["facebook", "instagram"], "editable": "free"}),
    ("POST", "/api/v1/posts/{post_id}/distribute"): Send(json={}),
    ("PUT", "/api/v1/posts/{post_id}/translations/{locale}"): Send(json={
        "texts": {"body": "Hallo {city}! Rufen Sie uns an: {phone}."}, "status": "draft"}),
    ("POST", "/posts/{post_id}/translations/{locale}"): Send(data={
        "body": "Hallo {city}! Rufen Sie uns an: {phone}."}),
    ("POST", "/posts/{post_id}/translations/{locale}/lint"): Send(data={"body": "Hallo {city}!"}),
    ("POST", "/api/v1/proposals/bulk-approve"): Send(json={"ids": ["$proposal_id"]}),
    ("POST", "/inbox/approve"): Send(data={"ids": ["$proposal_id"]}),
    ("POST", "/api/v1/proposals/{proposal_id}/customize"): Send(json={"texts": {"facebook": "Le printemps à {city}"}}),
    ("POST", "/proposals/{proposal_id}/customize"): Send(data={"text_facebook": "Le printemps à {city}"}),
    ("POST", "/api/v1/proposals/{proposal_id}/reject"): Send(json={"reason": "wrong_timing"}),
    ("POST", "/proposals/{proposal_id}/reject"): Send(data={"reason": "wrong_timing"}),
    ("POST", "/proposals/{proposal_id}/preview"): Send(data={"text_facebook": "Le printemps à {city}"}),
    ("POST", "/api/v1/proposals/{proposal_id}/comments"): Send(json={"body": "Vu, merci."}),
    ("POST", "/proposals/{proposal_id}/comments"): Send(data={"body": "Vu, merci."}),
    ("POST", "/api/v1/proposals/{proposal_id}/review-links"): Send(json={}),
    ("GET", "/review/{token}"): Send(forged={"token": "forged-review-token"}),
    ("GET", "/review/{token}/images/{network}.jpg"): Send(forged={"token": "forged-review-token"}),
    ("POST", "/review/{token}/approve"): Send(data={"csrf_token": DOUBLE_SUBMIT},
                                              cookies={REVIEW_CSRF_COOKIE: DOUBLE_SUBMIT},
                                              forged={"token": "forged-review-token"}),
    ("POST", "/review/{token}/reject"): Send(data={"csrf_token": DOUBLE_SUBMIT, "reason": "wrong_timing"},
                                             cookies={REVIEW_CSRF_COOKIE: DOUBLE_SUBMIT},
                                             forged={"token": "forged-review-token"}),
    ("GET", "/network/stats/{table}.csv"): Send(params={"table": "adoption"}),
    ("GET", "/campaigns/{campaign_id}/report/{table}.csv"): Send(params={"table": "funnel"}),
    ("GET", "/locations/{location_id}/stats/{table}.csv"): Send(params={"table": "months"}),
    ("POST", "/api/v1/webhooks"): Send(json={"url": "https://hooks.example.com/new", "events": ["proposal.decided"],
                                             "secret": "s" * 32}),
    ("POST", "/webhooks"): Send(data={"url": "https://hooks.example.com/new", "events": ["proposal.decided"],
                                      "secret": "s" * 32}),
    ("GET", "/accounts/oauth/callback/{network}"): Send(query={"state": GRANT_STATE, "error": "access_denied"}),
    ("POST", "/accounts/oauth/grants/{grant_id}"): Send(data={"external_id": "page-1"}),
    ("GET", "/calendars/{location_id}.ics"): Send(query={"token": "$feed_token"}, forged={"token": "forged"}),
}

# ------------------------------------------------------------------------------------------------ the route table

PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")


def route_table(app) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, as declared (HEAD is GET's)."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.add(("GET", route.path.rstrip("/") + "/{path}"))
            continue
        found.update((method, route.path) for method in route.methods or () if method != "HEAD")
    return sorted(found, key=lambda item: (item[1], item[0]))


# ------------------------------------------------------------------------------------------------ calling


def _fill(value: Any, values: dict[str, str]) -> Any:
    """`value` with each `$name` replaced by the world's value."""
    if isinstance(value, str):
        return Template(value).safe_substitute(values)
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    return value


def _path(template: str, values: dict[str, str]) -> str:
    return PARAMETER.sub(lambda match: values[match.group(1)], template)


def _is_api(path: str) -> bool:
    return path.startswith("/api/")


SESSION_CSRF = "session"  # call(csrf=…): the CSRF token of the person's own session


async def call(app, world: World, role: str, key: tuple[str, str], *, forged: bool = False,
               query: dict[str, Any] | None = None, csrf: str | None = SESSION_CSRF, browser: bool = False,
               data: dict[str, Any] | None = None, cookies: dict[str, str] | None = None,
               bearer: str | None = None) -> tuple[str, httpx.Response]:
    """Send route `key` as `role` would: a bearer token on the API, the session cookie and its CSRF token
    (`csrf`: another one, or None for none) on pages, or on the API too with `browser`; `data` and
    `cookies` are sent on top of SENDS', `bearer` instead of the person's token. Returns the path and the answer."""
    method, template = key
    send = SENDS.get(key, Send())
    values = {**DEFAULT_PARAMS, **world.ids}
    values.update(_fill(send.params, values))
    if forged:
        values.update(send.forged or {})
    path = _path(template, values)
    headers, jar = dict(send.headers), {**send.cookies, **(cookies or {})}
    person = world.person(role)
    if person is not None and _is_api(path) and not browser:
        headers["Authorization"] = f"Bearer {bearer or person.token}"
    elif person is not None:
        jar[SESSION_COOKIE] = person.cookie
        if csrf is not None:
            headers["X-CSRF-Token"] = person.csrf if csrf == SESSION_CSRF else csrf
    params = _fill(query if query is not None else send.query, values)
    if forged and send.forged and "token" in send.query:
        params = {**params, **send.forged}
    form = _fill({**(send.data or {}), **(data or {})}, values) if send.data is not None or data else None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                 cookies=jar) as client:
        response = await client.request(
            method, path, params=params, json=_fill(send.json, values), data=form,
            files=send.files() if send.files else None, content=send.content, headers=headers)
    return path, response


def expected_status(outcome: Any, rule: Rule, path: str) -> int:
    if outcome in (OK, SKIPPED):
        return rule.ok
    if outcome == LOGIN:
        return 401 if _is_api(path) else 303
    return outcome


def judge(key: tuple[str, str], role: str, outcome: Any, rule: Rule, path: str, response: httpx.Response) -> str:
    """What is wrong with the answer ('' when it is as the rule says)."""
    want = expected_status(outcome, rule, path)
    where = f"{key[0]} {key[1]} as {role} (rule '{rule.who}')"
    if response.status_code != want:
        return f"{where}: {response.status_code}, the rule says {want}: {response.text[:300]!r}"
    if outcome == LOGIN and not _is_api(path) and response.headers.get("location") != f"/login?next={path}":
        return f"{where}: sent to {response.headers.get('location')!r}, not to the login page"
    return ""


def leaks(role: str, rule: Rule, world: World, response: httpx.Response) -> list[str]:
    """What the answer shows of objects this person may not see (a link's holder sees what it opens)."""
    if rule.who in ("public", "token link") or not 200 <= response.status_code < 400:
        return []
    text = response.content.decode(errors="ignore") + response.headers.get("location", "")
    return [secret for secret in world.hidden.get(role, []) if secret in text]


async def snapshot(database) -> dict[str, list[str]]:
    """Every row of every table. (Jobs are sent only once their transaction commits: an unchanged
    database means no job was queued either.)"""
    tables: dict[str, list[str]] = {}
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            tables[table.name] = sorted(repr(tuple(row)) for row in await connection.execute(select(table)))
    return tables


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


# ------------------------------------------------------------------------------------------------ tests


@pytest.fixture
def matrix_app(settings, database):
    """The app with Facebook's OAuth app configured, so connecting an account can start."""
    from hub.app import create_app

    return create_app(settings.model_copy(update={"facebook_client_id": "matrix-app",
                                                  "facebook_client_secret": "matrix-secret"}))


def allowed(outcome: Any) -> bool:
    return outcome == OK or (isinstance(outcome, int) and outcome < 400)


def test_every_route_has_a_rule(app):
    routes = route_table(app)
    missing = [f"{method} {path}" for method, path in routes if (method, path) not in RULES]
    assert not missing, (
        "These routes have no authorization rule: " + ", ".join(missing) + ". Add each to RULES in "
        "tests/security/test_authorization_matrix.py as (method, path): Rule(who, success status), 'who' being "
        f"one of {', '.join(WHO)} (or a new line of WHO), and what it needs to send (body, files) to SENDS.")
    stale = [f"{method} {path}" for method, path in RULES if (method, path) not in routes]
    assert not stale, "RULES names routes the app no longer has: " + ", ".join(stale) + ". Remove them."
    unknown = [f"{key}: {rule.who}" for key, rule in RULES.items() if rule.who not in WHO]
    assert not unknown, "Rules naming no line of WHO: " + ", ".join(unknown)


async def _probe_links(matrix_app, world: World, key: tuple[str, str], rule: Rule, problems: list[str]) -> None:
    """Token links answer 404 to another token; renders open with their signed link only."""
    send = SENDS.get(key, Send())
    if rule.who == "token link":
        path, response = await call(matrix_app, world, ANONYMOUS, key, forged=True)
        if response.status_code != 404:
            problems.append(f"{key[0]} {path} with another token: {response.status_code}, not 404")
    if rule.who == "signed in or signed link" and send.forged is None:
        signed = public_render_url(matrix_app.state.settings, world.ids["key"])
        query = dict(item.split("=", 1) for item in signed.split("?", 1)[1].split("&"))
        _path_called, response = await call(matrix_app, world, ANONYMOUS, key, query=query)
        if response.status_code != rule.ok:
            problems.append(f"{key[0]} {key[1]} with its signed link: {response.status_code}, not {rule.ok}")
        _path_called, response = await call(matrix_app, world, ANONYMOUS, key,
                                            query={**query, "signature": "0" * 32})
        if response.status_code != 303:
            problems.append(f"{key[0]} {key[1]} with a forged signature: {response.status_code}, not 303 to login")


async def test_reading_routes_answer_each_person_as_the_rules_say(matrix_app, database, settings):
    """Every GET route in one world: first every refused request (which must change nothing), then the others."""
    world = await build_world(database, settings)
    reads = [key for key in RULES if key[0] == "GET"]
    problems: list[str] = []
    before = await snapshot(database)
    for key in reads:
        rule = RULES[key]
        for role, outcome in zip(ROLES, WHO[rule.who], strict=True):
            if not allowed(outcome):
                path, response = await call(matrix_app, world, role, key)
                problems.append(judge(key, role, outcome, rule, path, response))
    after = await snapshot(database)
    if changed(before, after):
        problems.append(f"refused reads changed {changed(before, after)}")
    for key in reads:
        rule = RULES[key]
        for role, outcome in zip(ROLES, WHO[rule.who], strict=True):
            if allowed(outcome):
                path, response = await call(matrix_app, world, role, key)
                problems.append(judge(key, role, outcome, rule, path, response))
                found = leaks(role, rule, world, response)
                if found:
                    problems.append(f"GET {path} as {role} shows what they may not see: {found}")
        await _probe_links(matrix_app, world, key, rule, problems)
    problems = [problem for problem in problems if problem]
    assert not problems, f"{len(problems)} answers break the rules:\n" + "\n".join(problems)


WRITES = [key for key in RULES if key[0] != "GET"]


@pytest.mark.parametrize("key", WRITES, ids=[f"{method} {path}" for method, path in WRITES])
async def test_writing_routes_answer_each_person_as_the_rules_say(key, matrix_app, database, settings, redis_pool):
    """Refused requests first, each checked to have changed nothing; then each allowed person, in a fresh
    world when the change can be made only once."""
    rule = RULES[key]
    world = await build_world(database, settings)
    outcomes = list(zip(ROLES, WHO[rule.who], strict=True))
    problems: list[str] = []
    before = await snapshot(database)
    refused = []
    for role, outcome in outcomes:
        if allowed(outcome):
            continue
        path, response = await call(matrix_app, world, role, key)
        problems.append(judge(key, role, outcome, rule, path, response))
        refused.append(role)
    after = await snapshot(database)
    if changed(before, after):
        problems.append(f"{key[0]} {key[1]} refused to {', '.join(refused)} but {changed(before, after)} changed")
    first = True
    for role, outcome in outcomes:
        if not allowed(outcome):
            continue
        if rule.fresh and not first:
            world = await rebuild_world(database, settings, redis_pool)
        first = False
        path, response = await call(matrix_app, world, role, key)
        problems.append(judge(key, role, outcome, rule, path, response))
        found = leaks(role, rule, world, response)
        if found:
            problems.append(f"{key[0]} {path} as {role} shows what they may not see: {found}")
    if rule.who == "token link":
        await _probe_links(matrix_app, world, key, rule, problems)
    problems = [problem for problem in problems if problem]
    assert not problems, "\n".join(problems)
