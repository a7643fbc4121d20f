"""Sessions and headers: login throttling per account and per address, a new session at each login
(a cookie planted before it is worthless), logout ending the session on the server, and the security
headers of every answer with a Content-Security-Policy no inline script could pass."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from hub.accounts.models import AuthSession
from hub.accounts.security import secret_digest
from hub.deps import SESSION_COOKIE
from tests.factories import PASSWORD
from tests.security import test_authorization_matrix as matrix
from tests.security.test_authorization_matrix import matrix_app  # noqa: F401 - the fixture
from tests.security.world import EMAILS, HQ_ADMIN, LOCAL_A, LOCAL_B, build_world
from tests.web.conftest import csrf_of, log_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
THROTTLED = "Too many failed logins for this account or from your network: try again in"
HQ = EMAILS[HQ_ADMIN]


def browser(app, address: str = "127.0.0.1", scheme: str = "http") -> httpx.AsyncClient:
    """A cookie-keeping client coming from `address`."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 50000)),
                             base_url=f"{scheme}://testserver", cookies={"lang": "en"})


@pytest.fixture
def app_with(settings, database):
    """app_with(**settings) -> the app with these settings changed."""
    from hub.app import create_app

    return lambda **changes: create_app(settings.model_copy(update=changes))


def plant(client: httpx.AsyncClient, secret: str) -> None:
    """Put a session cookie in the browser, where the server's own would go."""
    client.cookies.set(SESSION_COOKIE, secret, domain="testserver.local", path="/")


async def session_rows(database, *secrets: str) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(AuthSession).where(
            AuthSession.secret_hash.in_([secret_digest(secret) for secret in secrets])))


class TestLoginThrottling:
    async def test_an_account_is_refused_after_its_failed_logins_until_its_window_ends(
            self, app_with, database, settings):
        await build_world(database, settings)
        app = app_with(login_failures_per_account=3, login_failures_per_address=50)
        async with browser(app) as client:
            for _attempt in range(3):
                assert (await log_in(client, HQ, "not-the-password")).status_code == 401
            # The right password now changes nothing: the account waits for its window to end.
            refused = await log_in(client, HQ, PASSWORD)
            assert refused.status_code == 429
            assert f"{THROTTLED} 15 min." in refused.text and 'data-testid="login-error"' in refused.text
            assert 840 < int(refused.headers["retry-after"]) <= 900
            assert SESSION_COOKIE not in client.cookies
            api = await client.post("/api/v1/auth/token", json={"email": HQ.upper(), "password": PASSWORD})
            assert api.status_code == 429 and api.json()["detail"].startswith(THROTTLED)
            assert 840 < int(api.headers["retry-after"]) <= 900
            client.cookies.set("lang", "fr")
            french = await log_in(client, HQ, PASSWORD)
            assert french.status_code == 429
            assert "Trop de connexions échouées pour ce compte ou depuis votre réseau : réessayez dans 15 min." \
                in french.text
            # The same address still serves the other accounts.
            assert (await log_in(client, EMAILS[LOCAL_A], PASSWORD)).status_code == 303

    async def test_a_successful_login_clears_the_accounts_failures(self, app_with, database, settings):
        await build_world(database, settings)
        app = app_with(login_failures_per_account=3, login_failures_per_address=50)
        async with browser(app) as client:
            for _round in range(2):
                for _attempt in range(2):
                    assert (await log_in(client, HQ, "not-the-password")).status_code == 401
                assert (await log_in(client, HQ, PASSWORD)).status_code == 303

    async def test_an_address_is_refused_after_its_failed_logins_on_any_account(self, app_with, database, settings):
        await build_world(database, settings)
        app = app_with(login_failures_per_account=50, login_failures_per_address=3)
        async with browser(app, "203.0.113.7") as guesser, browser(app, "198.51.100.20") as neighbour:
            assert (await log_in(guesser, EMAILS[LOCAL_A], "not-the-password")).status_code == 401
            assert (await log_in(guesser, "nobody@alpha.test", "not-the-password")).status_code == 401
            api = await guesser.post("/api/v1/auth/token", json={"email": EMAILS[LOCAL_B], "password": "guess"})
            assert api.status_code == 401
            assert (await log_in(guesser, HQ, PASSWORD)).status_code == 429
            token = await guesser.post("/api/v1/auth/token", json={"email": HQ, "password": PASSWORD})
            assert token.status_code == 429
            # Another address is not held back by this one's guesses.
            assert (await log_in(neighbour, HQ, PASSWORD)).status_code == 303

    async def test_the_login_opens_again_when_the_window_ends(self, app_with, database, settings):
        await build_world(database, settings)
        app = app_with(login_failures_per_account=1, login_throttle_window="2s")
        async with browser(app) as client:
            assert (await log_in(client, HQ, "not-the-password")).status_code == 401
            refused = await log_in(client, HQ, PASSWORD)
            assert refused.status_code == 429 and refused.headers["retry-after"] in ("1", "2")
            await asyncio.sleep(int(refused.headers["retry-after"]) + 0.5)
            assert (await log_in(client, HQ, PASSWORD)).status_code == 303


class TestSessions:
    async def test_a_cookie_planted_before_login_is_replaced_and_opens_nothing(self, matrix_app, database, settings):
        await build_world(database, settings)
        async with browser(matrix_app) as client:
            plant(client, "chosen-by-an-attacker")
            assert (await log_in(client, HQ)).status_code == 303
            assert client.cookies[SESSION_COOKIE] != "chosen-by-an-attacker"
            assert (await client.get("/campaigns")).status_code == 200
        async with browser(matrix_app) as attacker:
            plant(attacker, "chosen-by-an-attacker")
            assert (await attacker.get("/campaigns")).headers["location"] == "/login?next=/campaigns"

    async def test_logging_in_ends_the_session_the_browser_had(self, matrix_app, database, settings):
        """An attacker's own session slipped into the victim's browser ends when the victim logs in."""
        await build_world(database, settings)
        async with browser(matrix_app) as attacker, browser(matrix_app) as victim:
            assert (await log_in(attacker, EMAILS[LOCAL_A])).status_code == 303
            planted = attacker.cookies[SESSION_COOKIE]
            plant(victim, planted)
            assert (await log_in(victim, HQ)).status_code == 303
            assert victim.cookies[SESSION_COOKIE] != planted
            assert await session_rows(database, planted) == 0
            assert (await attacker.get("/inbox")).status_code == 303

    async def test_each_login_gets_a_new_secret_and_csrf_token(self, matrix_app, database, settings):
        await build_world(database, settings)
        async with browser(matrix_app) as client:
            await log_in(client, HQ)
            first, first_csrf = client.cookies[SESSION_COOKIE], csrf_of((await client.get("/campaigns")).text)
            await log_in(client, HQ)
            second, second_csrf = client.cookies[SESSION_COOKIE], csrf_of((await client.get("/campaigns")).text)
            assert first != second and first_csrf != second_csrf
            assert await session_rows(database, first) == 0 and await session_rows(database, second) == 1

    async def test_logout_ends_the_session_on_the_server(self, matrix_app, database, settings):
        await build_world(database, settings)
        async with browser(matrix_app) as client, browser(matrix_app) as other_browser, \
                browser(matrix_app) as replay:
            await log_in(client, HQ)
            await log_in(other_browser, HQ)
            secret = client.cookies[SESSION_COOKIE]
            token = csrf_of((await client.get("/campaigns")).text)
            response = await client.post("/logout", data={"csrf_token": token})
            assert response.status_code == 303 and response.headers["location"] == "/login"
            assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
            assert await session_rows(database, secret) == 0
            plant(replay, secret)
            assert (await replay.get("/campaigns")).headers["location"] == "/login?next=/campaigns"
            assert (await replay.post("/campaigns", data={"csrf_token": token, "name": "Après"})).status_code == 303
            # The person's other browser keeps its own session.
            assert (await other_browser.get("/campaigns")).status_code == 200


# ---------------------------------------------------------------- headers and inline code

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[a-zA-Z][^>]*?\son[a-z]+\s*=", re.IGNORECASE)
STYLE = re.compile(r"<style\b|<[a-zA-Z][^>]*?\sstyle\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)


def inline_code(html: str) -> list[str]:
    """What the CSP would block in a page: inline scripts, event handlers, javascript: URLs, inline styles."""
    return [match.group(0)[:120] for pattern in (INLINE_SCRIPT, HANDLER, STYLE, SCRIPT_URL)
            for match in pattern.finditer(html)]


def check_headers(response: httpx.Response) -> None:
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


class TestHeaders:
    async def test_every_kind_of_answer_carries_the_security_headers(self, app):
        async with browser(app) as client:
            answers = [await client.get(path) for path in (
                "/login", "/campaigns", "/api/v1/me", "/static/css/pieuvre.css", "/no-such-page", "/healthz")]
            answers.append(await client.post("/api/v1/auth/token", json={"email": "x", "password": "y"}))
        assert [answer.status_code for answer in answers] == [200, 303, 401, 200, 404, 200, 401]
        for answer in answers:
            check_headers(answer)
            assert "strict-transport-security" not in answer.headers  # plain HTTP: HSTS would mean nothing

    async def test_hsts_is_sent_over_https_only(self, app):
        async with browser(app, scheme="https") as client:
            answer = await client.get("/login")
        max_age = re.search(r"max-age=(\d+)", answer.headers["strict-transport-security"])
        assert int(max_age.group(1)) >= 365 * 86400

    def test_no_template_has_inline_script_handler_or_style(self):
        # E-mails are not served by the app (mail programs need inline styles); every page template is.
        found = {str(path.relative_to(TEMPLATES)): inline_code(TEMPLATE_COMMENT.sub("", path.read_text()))
                 for path in TEMPLATES.rglob("*.html") if "emails" not in path.parts}
        assert len(found) > 20
        assert {name: code for name, code in found.items() if code} == {}

    async def test_no_page_has_inline_code(self, matrix_app, database, settings):
        """Every page HQ and a local manager open, as rendered with the world's data."""
        world = await build_world(database, settings)
        pages = [key for key, rule in matrix.RULES.items() if key[0] == "GET" and not key[1].startswith("/api/")]
        seen = 0
        for role in (HQ_ADMIN, LOCAL_A):
            for key in pages:
                path, response = await matrix.call(matrix_app, world, role, key)
                if not response.headers.get("content-type", "").startswith("text/html"):
                    continue
                seen += 1
                check_headers(response)
                assert inline_code(response.text) == [], f"GET {path} as {role}"
        assert seen > 40
