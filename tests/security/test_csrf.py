"""CSRF: every state-changing page refuses a request without its session's token, and changes nothing;
the forms without a session (login, review links) refuse one whose cookie and field differ; the API
takes bearer tokens only, never the session cookie.

The routes come from the authorization matrix (its RULES cover the whole route table), with what
each one sends; the person is Alpha's HQ admin, whom every rule lets through (a link's holder for
the review forms), so a refusal here comes from the CSRF check alone.
"""

from __future__ import annotations

import pytest

from hub.deps import SESSION_COOKIE
from hub.reviews.pages import REVIEW_CSRF_COOKIE
from hub.web.pages import LOGIN_CSRF_COOKIE
from tests.security import test_authorization_matrix as matrix
from tests.security.test_authorization_matrix import matrix_app  # noqa: F401 - the fixture
from tests.security.world import ANONYMOUS, HQ_ADMIN, LOCAL_A, build_world

WRITES = ("POST", "PUT", "PATCH", "DELETE")
REFUSED = "This form has expired or did not come from Pieuvre: reload the page and try again."
PAGE_WRITES = [key for key in matrix.RULES if key[0] in WRITES and not key[1].startswith("/api/")]
# Forms a person without a session fills in carry a double-submit token: a cookie and the same value in a field.
DOUBLE_SUBMIT_FORMS = {("POST", "/login"): LOGIN_CSRF_COOKIE, ("POST", "/review/{token}/approve"): REVIEW_CSRF_COOKIE,
                       ("POST", "/review/{token}/reject"): REVIEW_CSRF_COOKIE}
SESSION_FORMS = [key for key in PAGE_WRITES if key not in DOUBLE_SUBMIT_FORMS]
API_ROUTES = [key for key, rule in matrix.RULES.items() if key[1].startswith("/api/") and rule.who != "public"]


def _ids(keys: list[tuple[str, str]]) -> list[str]:
    return [f"{method} {path}" for method, path in keys]


def test_every_state_changing_page_is_walked(app):
    pages = {key for key in matrix.route_table(app) if key[0] in WRITES and not key[1].startswith("/api/")}
    assert pages == set(PAGE_WRITES)
    without_session = {key for key in PAGE_WRITES if matrix.RULES[key].who in ("public", "token link")}
    assert without_session == set(DOUBLE_SUBMIT_FORMS)


@pytest.mark.parametrize("key", SESSION_FORMS, ids=_ids(SESSION_FORMS))
async def test_a_form_without_its_sessions_token_is_refused(key, matrix_app, database, settings):
    world = await build_world(database, settings)
    before = await matrix.snapshot(database)
    attempts = {
        "no token": {"csrf": None},
        "a made-up token": {"csrf": "made-up-token"},
        "the token of another person's session": {"csrf": world.people[LOCAL_A].csrf},
        "a made-up token in the form's field": {"csrf": None, "data": {"csrf_token": "made-up-token"}},
    }
    for attempt, options in attempts.items():
        path, response = await matrix.call(matrix_app, world, HQ_ADMIN, key, **options)
        assert response.status_code == 403, f"{key[0]} {path} with {attempt}: {response.status_code}"
        assert REFUSED in response.text, f"{key[0]} {path} with {attempt} does not say why"
    assert not matrix.changed(before, await matrix.snapshot(database))
    path, response = await matrix.call(matrix_app, world, HQ_ADMIN, key)
    assert response.status_code == matrix.RULES[key].ok, f"{key[0]} {path} with its token: {response.text[:300]}"


@pytest.mark.parametrize("key", list(DOUBLE_SUBMIT_FORMS), ids=_ids(list(DOUBLE_SUBMIT_FORMS)))
async def test_a_form_without_a_session_needs_its_cookie_and_field_to_match(key, matrix_app, database, settings):
    world = await build_world(database, settings)
    cookie = DOUBLE_SUBMIT_FORMS[key]
    before = await matrix.snapshot(database)
    attempts = {
        "no cookie": {"cookies": {cookie: ""}},
        "no field": {"data": {"csrf_token": ""}},
        "a field that is not the cookie": {"data": {"csrf_token": "another-token-" + "x" * 32}},
    }
    for attempt, options in attempts.items():
        path, response = await matrix.call(matrix_app, world, ANONYMOUS, key, **options)
        assert response.status_code == 403, f"{key[0]} {path} with {attempt}: {response.status_code}"
        assert REFUSED in response.text, f"{key[0]} {path} with {attempt} does not say why"
        assert SESSION_COOKIE not in response.cookies
    assert not matrix.changed(before, await matrix.snapshot(database))
    path, response = await matrix.call(matrix_app, world, ANONYMOUS, key)
    assert response.status_code == matrix.RULES[key].ok, f"{key[0]} {path} with its token: {response.text[:300]}"


async def test_the_api_takes_no_session_cookie(matrix_app, database, settings):
    """A page's cookie (with its CSRF token) opens no API route, and a session secret is no bearer token."""
    world = await build_world(database, settings)
    before = await matrix.snapshot(database)
    for key in API_ROUTES:
        path, response = await matrix.call(matrix_app, world, HQ_ADMIN, key, browser=True)
        assert response.status_code == 401, f"{key[0]} {path} with the session cookie: {response.status_code}"
        path, response = await matrix.call(matrix_app, world, HQ_ADMIN, key, bearer=world.people[HQ_ADMIN].cookie)
        assert response.status_code == 401, f"{key[0]} {path} with the session secret as token: {response.status_code}"
    assert not matrix.changed(before, await matrix.snapshot(database))


async def test_an_api_token_is_no_session_cookie(matrix_app, database, settings):
    world = await build_world(database, settings)
    path, response = await matrix.call(matrix_app, world, ANONYMOUS, ("GET", "/campaigns"),
                                       cookies={SESSION_COOKIE: world.people[HQ_ADMIN].token})
    assert response.status_code == 303 and response.headers["location"] == f"/login?next={path}"
