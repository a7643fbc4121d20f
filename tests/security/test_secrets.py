"""Secrets never show up in logs, errors or API answers.

The flows that handle secrets run for real: logging in (form and API), connecting a Facebook Page through
the stand-in's OAuth (code, user and Page tokens, the app's client secret), handing tokens over the API,
a webhook registered and delivered (its signing secret), a review link and a calendar feed opened (the
tokens in their URLs), a publish failing on an expired token, a machine translation with an API key,
mail sent through an SMTP server that wants a password (and refused with a wrong one).

Every log record of every logger is kept at DEBUG (SQLAlchemy's statements and their parameters, httpx's
requests, ours) along with every answer the clients got; each is searched for every secret. The only
answers that may carry one are those that hand it out: the token from POST /api/v1/auth/token, a review
link's URL when it is created, the session cookie at login. A second test does the same with a real web
server and worker, reading their own log output (uvicorn's access log included).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from hub.calendars import service as calendars
from hub.deps import SESSION_COOKIE
from hub.locations.models import Location
from hub.notifications import mailer
from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from hub.publishing import service as publishing
from hub.publishing.models import Publication, SocialAccount
from hub.translations.machine import MachineTranslationUnavailable, machine_draft
from hub.webhooks import service as webhooks
from hub.webhooks.models import Webhook, WebhookDelivery
from tests.accounts.conftest import csrf_of, pointed_at
from tests.factories import PASSWORD, make_network
from tests.notifications.conftest import smtp_server_with_login  # noqa: F401 (fixture)
from tests.security.test_uploads import Receiver, answer
from tests.standins.facebook import FacebookStandIn
from tests.standins.translators import DeepLStandIn
from tests.workers.helpers import ROOT, start_worker, stop_worker, tail


class Recorded:
    """Every answer some clients got, and which of them may carry which secret."""

    def __init__(self) -> None:
        self.answers: list[httpx.Response] = []

    async def hook(self, response: httpx.Response) -> None:
        await response.aread()
        self.answers.append(response)

    def leaks(self, secret_values: dict[str, str], *, handed_out: dict[str, str]) -> list[str]:
        """(secret, answer) pairs where a secret appears in an answer that is not the one handing it out."""
        found = []
        for response in self.answers:
            text = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
            where = f"{response.request.method} {response.request.url.path}"
            for name, value in secret_values.items():
                # The answer to a request that carried the secret in its URL may show it (a review page's
                # forms post back to its own link): the one who asked has it already.
                if value in str(response.request.url):
                    continue
                if value in text and not where.startswith(handed_out.get(name, "\0")):
                    found.append(f"{name} in the answer to {where} ({response.status_code})")
        return found


# The test's own servers (the SMTP server, the stand-ins' web servers) log what they receive: their logs
# are the other side's, not Pieuvre's.
OTHER_SIDE = ("mail.log", "uvicorn")


def logged_text(records: list[logging.LogRecord]) -> str:
    """Everything Pieuvre's side logged: messages, their arguments, tracebacks."""
    formatter = logging.Formatter()
    return "\n".join(f"{record.name}: {formatter.format(record)} {record.args!r}" for record in records
                     if not record.name.startswith(OTHER_SIDE))


def leaks_in(text: str, secret_values: dict[str, str]) -> list[str]:
    found = []
    for name, value in secret_values.items():
        if value in text:
            line = next(line for line in text.splitlines() if value in line)
            found.append(f"{name}: {line[:300]}")
    return found


@contextmanager
def facebook_app(settings):
    """The Facebook stand-in, with an app secret of real length, Pieuvre pointed at it."""

    class StandIn(FacebookStandIn):
        client_secret = "fb-app-secret-" + secrets.token_hex(16)

    with StandIn() as standin, pointed_at(settings, facebook_api_url=standin.url, facebook_oauth_url=standin.url,
                                          facebook_client_id=StandIn.client_id,
                                          facebook_client_secret=StandIn.client_secret):
        standin.add_page("p111", "Vélo Lyon")
        standin.consent_accounts = {"p111"}
        yield standin


async def _fan_out(database) -> None:
    async with database.session() as session:
        chunk_ids = list(await session.scalars(
            select(DistributionChunk.id).where(DistributionChunk.status == "pending")))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)


class TestInProcess:
    async def test_no_secret_in_any_log_record_error_or_answer(self, app, database, settings, caplog,
                                                               smtp_server_with_login):
        # Every logger at DEBUG, also those the migrations' logging set quieter (SQLAlchemy's statements).
        for name in ["", *logging.root.manager.loggerDict]:
            caplog.set_level(logging.DEBUG, logger=name)
        recorded = Recorded()
        network = await make_network(database, settings, locations=1, networks=())
        location = network.locations[0]
        local_email = network.local_emails[location.id]

        def client(**options) -> httpx.AsyncClient:
            return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver",
                                     event_hooks={"response": [recorded.hook]}, **options)

        found: dict[str, str] = {"password": PASSWORD, "secret key": settings.secret_key}
        async with AsyncExitStack() as stack:
            standin = stack.enter_context(facebook_app(settings))
            browser, api, local_api, anonymous = [await stack.enter_async_context(client()) for _ in range(4)]
            # Logging in: the form (a wrong password first), then the API.
            page = await browser.get("/login")
            for password in (PASSWORD + "x", PASSWORD):
                await browser.post("/login", data={"email": network.hq_email, "password": password,
                                                   "csrf_token": csrf_of(page.text), "next": "/"})
            found["session cookie"] = browser.cookies[SESSION_COOKIE]
            await api.post("/api/v1/auth/token", json={"email": network.hq_email, "password": PASSWORD + "x"})
            token = (await api.post("/api/v1/auth/token", json={"email": network.hq_email, "password": PASSWORD}))
            found["API token"] = token.json()["token"]
            api.headers["Authorization"] = f"Bearer {found['API token']}"
            local_token = await local_api.post("/api/v1/auth/token", json={"email": local_email, "password": PASSWORD})
            local_api.headers["Authorization"] = f"Bearer {local_token.json()['token']}"
            found["local API token"] = local_token.json()["token"]
            await anonymous.get("/api/v1/me", headers={"Authorization": "Bearer " + found["API token"] + "x"})

            # Connecting the Facebook Page through OAuth: the code, the user's and the Page's tokens.
            start = await browser.get(f"/locations/{location.id}/accounts/connect/facebook")
            async with httpx.AsyncClient() as network_browser:
                consent = await network_browser.get(start.headers["location"])
            back = urlsplit(consent.headers["location"])
            found["OAuth code"] = parse_qs(back.query)["code"][0]
            connected = await browser.get(f"{back.path}?{back.query}")
            assert connected.status_code == 303, connected.text
            await browser.get(connected.headers["location"])
            found["Facebook app secret"] = standin.client_secret
            for number, value in enumerate(standin.tokens):
                found[f"Facebook token {number}"] = value
            assert len(standin.tokens) >= 2  # the user's, the Page's

            # Tokens handed over the API, then read back.
            found["access token"], found["refresh token"] = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
            handed = await api.post(f"/api/v1/locations/{location.id}/accounts", json={
                "network": "linkedin", "external_id": "urn:li:organization:42", "access_token": found["access token"],
                "refresh_token": found["refresh token"], "expires_at": "2030-01-01T00:00:00+00:00"})
            assert handed.status_code == 201, handed.text
            await api.get(f"/api/v1/locations/{location.id}/accounts")
            await browser.get(f"/locations/{location.id}/accounts")
            await browser.get("/network")

            # A webhook: registered, listed, delivered to a receiver on loopback, its deliveries read.
            found["webhook secret"] = secrets.token_urlsafe(24)
            receiver = Receiver(answer(500, b"receiver down"))
            try:
                webhook = await api.post("/api/v1/webhooks", json={
                    "url": "https://hooks.example.com/pieuvre", "events": ["proposal.decided"],
                    "secret": found["webhook secret"]})
                assert webhook.status_code == 201
                await api.post("/api/v1/webhooks", json={"url": "https://hooks.example.com/x",
                                                          "events": ["proposal.decided"], "secret": "short"})
                async with database.session() as session:
                    row = await session.get(Webhook, webhook.json()["id"])
                    row.url = receiver.url
                    await webhooks.emit(session, network.brand_id, "proposal.decided", "proposal.decided:p1",
                                        {"proposal_id": "p1"})
                async with database.session() as session:
                    delivery_id = await session.scalar(select(WebhookDelivery.id))
                await webhooks.deliver(database, settings.model_copy(update={"webhooks_allow_private": True}),
                                       delivery_id)
                assert len(receiver.requests) == 1
            finally:
                receiver.close()
            await api.get("/api/v1/webhooks")
            await api.get(f"/api/v1/webhooks/{webhook.json()['id']}/deliveries")
            await browser.get("/webhooks")

            # A post to the Page, a review link and the calendar feed; the publish meets an expired token.
            campaign = (await api.post("/api/v1/campaigns", json={"name": "Printemps"})).json()
            post = (await api.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                   json={"body": "Bonjour {city}", "networks": ["facebook"]})).json()
            assert (await api.post(f"/api/v1/posts/{post['id']}/distribute")).status_code == 202
            await _fan_out(database)
            [proposal] = (await local_api.get("/api/v1/proposals")).json()
            link = await local_api.post(f"/api/v1/proposals/{proposal['id']}/review-links", json={"label": "Owner"})
            found["review token"] = link.json()["url"].rsplit("/", 1)[1]
            await local_api.get(f"/api/v1/proposals/{proposal['id']}/review-links")
            await anonymous.get(f"/review/{found['review token']}")
            await anonymous.get(f"/review/{found['review token']}x")
            async with database.session() as session:
                feed = await calendars.feed_url(session, settings, await session.get(Location, location.id))
            found["feed token"] = parse_qs(urlsplit(feed).query)["token"][0]
            await anonymous.get(urlsplit(feed).path, params={"token": found["feed token"]})
            await anonymous.get(urlsplit(feed).path, params={"token": found["feed token"] + "x"})
            assert (await local_api.post(f"/api/v1/proposals/{proposal['id']}/approve")).status_code == 200
            standin.inject("expired_token")
            async with database.session() as session:
                publication_id = await session.scalar(select(Publication.id))
            assert await publishing.publish(database, settings, publication_id) == "failed"
            async with database.session() as session:
                account = await session.scalar(select(SocialAccount).where(SocialAccount.network == "facebook"))
                assert account.status == "expired"
            await local_api.get("/api/v1/publications")
            await local_api.get(f"/api/v1/proposals/{proposal['id']}")
            await browser.get(f"/proposals/{proposal['id']}")
            await browser.get(f"/locations/{location.id}/accounts")

        # A machine translation with an API key, then with a refused one.
        with DeepLStandIn() as deepl, pointed_at(settings, machine_translator="deepl", deepl_api_url=deepl.url,
                                                  deepl_api_key=deepl.key):
            found["DeepL key"] = deepl.key
            assert await machine_draft(settings, {"facebook": "Hello"}, "en", "fr")
            deepl.inject("expired_token", "translate")
            with pytest.raises(MachineTranslationUnavailable) as refused:
                await machine_draft(settings, {"facebook": "Hello again"}, "en", "fr")
            errors = [str(refused.value)]

        # Mail through an SMTP server that wants a password; then with a wrong one.
        host, port, inbox, _logins = smtp_server_with_login
        mail = mailer.Mail(to="someone@velo.test", subject="Hello", text="Hello", html="<p>Hello</p>")
        found["SMTP password"] = "s3cret"
        mailing = settings.model_copy(update={"smtp_host": host, "smtp_port": port, "smtp_username": "pieuvre",
                                              "smtp_password": "s3cret"})
        await mailer.send(mailing, mail)
        assert len(inbox.messages) == 1
        wrong = "not-the-smtp-password-" + secrets.token_hex(4)
        with pytest.raises(mailer.MailError) as failed:
            await mailer.send(mailing.model_copy(update={"smtp_password": wrong}), mail)
        errors.append(str(failed.value))
        found["wrong SMTP password"] = wrong

        async with database.session() as session:
            stored = [row.error or "" for row in await session.scalars(select(Publication))]
            stored += [row.status_detail or "" for row in await session.scalars(select(SocialAccount))]
            stored += [row.last_error or "" for row in await session.scalars(select(WebhookDelivery))]
        assert len(caplog.records) > 100  # SQL statements, HTTP requests, our events: the logs were on
        problems = recorded.leaks(found, handed_out={
            "API token": "POST /api/v1/auth/token", "local API token": "POST /api/v1/auth/token",
            "review token": "POST /api/v1/proposals/", "session cookie": "POST /login"})
        problems += [f"log: {line}" for line in leaks_in(logged_text(caplog.records), found)]
        problems += [f"error or stored message: {line}" for line in leaks_in("\n".join(errors + stored), found)]
        assert not problems, "\n".join(problems)


class TestServerAndWorker:
    async def test_no_secret_in_the_output_of_a_real_web_server_and_worker(self, database, settings):
        """The web server's access log and the worker's log, while tokens travel in headers, bodies and the
        URLs of review links and calendar feeds, and a webhook is delivered by the worker."""
        network = await make_network(database, settings, locations=1)
        location = network.locations[0]
        logs = Path(tempfile.mkdtemp(prefix="pieuvre-secrets-"))
        with socket_port() as port:
            base_url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PIEUVRE_BASE_URL": base_url, "PIEUVRE_WEBHOOKS_ALLOW_PRIVATE": "true"}
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "hub.app:create_app", "--host",
                                   "127.0.0.1", "--port", str(port), "--log-level", "debug"], cwd=ROOT, env=env,
                                  stdout=open(logs / "server.log", "wb"), stderr=subprocess.STDOUT)
        worker = start_worker(env, logs / "worker.log")
        receiver = Receiver(answer(200))
        found: dict[str, str] = {"password": PASSWORD, "secret key": settings.secret_key}
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
                await _wait_until_up(client, server, logs / "server.log")
                token = (await client.post("/api/v1/auth/token",
                                           json={"email": network.hq_email, "password": PASSWORD})).json()["token"]
                found["API token"] = token
                hq = {"Authorization": f"Bearer {token}"}
                found["webhook secret"] = secrets.token_urlsafe(24)
                assert (await client.post("/api/v1/webhooks", headers=hq, json={
                    "url": receiver.url, "events": ["proposal.decided"], "secret": found["webhook secret"]})
                ).status_code == 201
                local = (await client.post("/api/v1/auth/token", json={
                    "email": network.local_emails[location.id], "password": PASSWORD})).json()["token"]
                found["local API token"] = local
                campaign = (await client.post("/api/v1/campaigns", headers=hq, json={"name": "Printemps"})).json()
                post = (await client.post(f"/api/v1/campaigns/{campaign['id']}/posts", headers=hq,
                                          json={"body": "Bonjour {city}", "networks": ["facebook"]})).json()
                await client.post(f"/api/v1/posts/{post['id']}/distribute", headers=hq)
                proposals = await _eventually(client, "/api/v1/proposals", {"Authorization": f"Bearer {local}"})
                link = await client.post(f"/api/v1/proposals/{proposals[0]['id']}/review-links",
                                         headers={"Authorization": f"Bearer {local}"})
                found["review token"] = link.json()["url"].rsplit("/", 1)[1]
                assert (await client.get(f"/review/{found['review token']}")).status_code == 200
                async with database.session() as session:
                    feed = await calendars.feed_url(session, settings, await session.get(Location, location.id))
                found["feed token"] = parse_qs(urlsplit(feed).query)["token"][0]
                assert (await client.get(urlsplit(feed).path, params={"token": found["feed token"]})).status_code \
                    == 200
                assert (await client.post(f"/api/v1/proposals/{proposals[0]['id']}/approve",
                                          headers={"Authorization": f"Bearer {local}"})).status_code == 200
                deadline = time.monotonic() + 60
                while not receiver.requests and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                assert receiver.requests, f"the worker delivered nothing:\n{tail(logs / 'worker.log')}"
        finally:
            receiver.close()
            stop_worker(worker)
            stop_worker(server)
        output = (logs / "server.log").read_text(errors="replace") + (logs / "worker.log").read_text(errors="replace")
        assert "GET /review/" in output and ".ics" in output  # the access log was on
        problems = leaks_in(output, found)
        assert not problems, "\n".join(problems)


@contextmanager
def socket_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


async def _wait_until_up(client: httpx.AsyncClient, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            break
        await asyncio.sleep(0.2)
    pytest.fail(f"the web server did not start:\n{tail(log)}")


async def _eventually(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> list:
    """The answer to `path` once it lists something (the worker fans out in the background)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = (await client.get(path, headers=headers)).json()
        if rows:
            return rows
        await asyncio.sleep(0.2)
    pytest.fail(f"nothing at {path} after a minute")


class TestRedaction:
    @pytest.mark.parametrize(("line", "kept"), [
        ("GET https://graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token=IGQVJ123",
         "GET https://graph.instagram.com/refresh_access_token?grant_type=ig_refresh_token&access_token=…"),
        ('"GET /accounts/oauth/callback/x?state=abc123&code=def456 HTTP/1.1" 303',
         '"GET /accounts/oauth/callback/x?state=…&code=… HTTP/1.1" 303'),
        ('"POST /review/O12h3HR2juVWUtMOheBqpe6W5vveuVCKH4XOKo2hZ54/approve HTTP/1.1" 303',
         '"POST /review/…/approve HTTP/1.1" 303'),
        ("GET /calendars/01ab.ics?token=tiG1XeHi62HEdCzC&lang=fr", "GET /calendars/01ab.ics?token=…&lang=fr"),
        ("GET /api/v1/proposals?status=pending&location_id=01ab",
         "GET /api/v1/proposals?status=pending&location_id=01ab"),
    ])
    def test_the_secrets_of_urls_are_replaced_and_the_rest_kept(self, line, kept):
        from hub.logs import redact

        assert redact(line) == kept

    def test_a_record_keeps_its_placeholders_working(self):
        from hub.logs import RedactSecrets

        record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', (
            "127.0.0.1:5000", "GET", "/calendars/1.ics?token=secret-value", "1.1", 200), None)
        assert RedactSecrets().filter(record)
        assert record.getMessage() == '127.0.0.1:5000 - "GET /calendars/1.ics?token=… HTTP/1.1" 200'
