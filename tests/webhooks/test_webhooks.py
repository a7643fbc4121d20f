"""Outbound webhooks: signed deliveries to a real receiver on loopback, retries, isolation, the page."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import func, select, update

from hub.accounts import service as accounts
from hub.db import utcnow
from hub.webhooks import service as webhooks
from hub.webhooks.models import WebhookDelivery
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of, log_in
from tests.workers.helpers import run_burst_worker, worker_context
from workers import webhooks as webhook_jobs

SECRET = "s3cret-for-the-receiver-0123"


class Receiver:
    """An HTTP server on loopback that records every request and answers the queued status codes (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/pieuvre"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def loopback_settings(settings):
    """The settings with loopback receivers allowed (the test's receiver listens on 127.0.0.1)."""
    return settings.model_copy(update={"webhooks_allow_private": True})


@pytest.fixture
def loopback_app(app, loopback_settings):
    app.state.settings = loopback_settings
    return app


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check, written from the documented scheme (not Pieuvre's code)."""
    timestamp = headers["X-Pieuvre-Timestamp"]
    expected = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Pieuvre-Signature"], "sha256=" + expected)


async def _burst(database, loopback_settings) -> None:
    """Run the queued jobs on a real arq worker whose settings allow loopback receivers."""
    async def startup(ctx):
        ctx["settings"] = loopback_settings
        ctx["database"] = database

    await run_burst_worker(loopback_settings, on_startup=startup)


async def _register(client, url: str, events: list[str] | None = None) -> dict:
    response = await client.post("/api/v1/webhooks", json={
        "url": url, "events": events or ["proposal.decided", "publication.published"], "secret": SECRET})
    assert response.status_code == 201, response.text
    return response.json()


async def _emit(database, brand_id: str, event: str = "proposal.decided", event_id: str = "proposal.decided:p1",
                payload: dict | None = None) -> None:
    async with database.session() as session:
        await webhooks.emit(session, brand_id, event, event_id,
                            payload or {"proposal_id": "p1", "status": "approved", "location_id": "l1"})


async def _deliveries(database) -> list[WebhookDelivery]:
    async with database.session() as session:
        return list(await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


class TestDelivery:
    async def test_a_delivery_is_signed_and_the_receiver_can_check_it(self, database, loopback_settings, loopback_app,
                                                                       client_as, receiver):
        network = await make_network(database, loopback_settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        hook = await _register(hq, receiver.url)
        await _emit(database, network.brand_id)
        await _burst(database, loopback_settings)

        [request] = receiver.requests
        headers, body = request["headers"], request["body"]
        assert verify(SECRET, headers, body)
        assert not verify("another-secret-0123456789", headers, body)
        assert abs(int(headers["X-Pieuvre-Timestamp"]) - time.time()) < 60
        assert headers["X-Pieuvre-Event"] == "proposal.decided"
        assert headers["Content-Type"] == "application/json"
        sent = json.loads(body)
        assert sent["event"] == "proposal.decided" and sent["id"] == headers["X-Pieuvre-Delivery"]
        assert sent["data"] == {"proposal_id": "p1", "status": "approved", "location_id": "l1"}

        [delivery] = (await hq.get(f"/api/v1/webhooks/{hook['id']}/deliveries")).json()
        assert delivery["id"] == headers["X-Pieuvre-Delivery"]
        assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("delivered", 1, 200)
        [listed] = (await hq.get("/api/v1/webhooks")).json()
        assert listed["deliveries"] == {"pending": 0, "delivered": 1, "failed": 0}

    async def test_a_500_is_retried_with_backoff_then_delivered(self, database, loopback_settings, loopback_app,
                                                                client_as, receiver, redis_pool):
        network = await make_network(database, loopback_settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        await _register(hq, receiver.url)
        receiver.answers = [500]
        await _emit(database, network.brand_id)
        [delivery] = await _deliveries(database)

        ctx = worker_context(database, loopback_settings, redis_pool)
        assert await webhook_jobs.deliver(ctx, delivery.id) == "pending"
        [delivery] = await _deliveries(database)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        wait = (delivery.next_attempt_at - utcnow()).total_seconds()
        assert 25 < wait <= 30
        # The next attempt is queued at its time; a job for it now does nothing.
        score = await redis_pool.zscore("arq:queue", webhooks.deliver_job_id(delivery.id, 1))
        assert score and abs(score / 1000 - delivery.next_attempt_at.timestamp()) < 2
        assert await webhook_jobs.deliver(ctx, delivery.id) == "skipped"

        # Time passes, and Redis loses the queued job: the cron finds the delivery in the database.
        await redis_pool.flushdb()
        async with database.session() as session:
            await session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        assert await webhook_jobs.retry_due(ctx) == 1
        await _burst(database, loopback_settings)

        [delivery] = await _deliveries(database)
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
        assert len(receiver.requests) == 2
        assert {r["headers"]["X-Pieuvre-Delivery"] for r in receiver.requests} == {delivery.id}
        assert all(verify(SECRET, r["headers"], r["body"]) for r in receiver.requests)

    async def test_it_gives_up_after_eight_attempts_with_growing_waits(self, database, loopback_settings, client_as,
                                                                       loopback_app, receiver):
        network = await make_network(database, loopback_settings, locations=1)
        await _register(await client_as(network.hq_email, PASSWORD), receiver.url)
        receiver.answers = [503] * 20
        await _emit(database, network.brand_id)
        [delivery] = await _deliveries(database)
        waits = []
        for attempt in range(1, 9):
            status, attempts, retry_at = await webhooks.deliver(database, loopback_settings, delivery.id,
                                                                now=utcnow() + timedelta(hours=2 * attempt))
            assert attempts == attempt
            if retry_at:
                waits.append(round((retry_at - utcnow()).total_seconds() / 30) * 30)
        assert status == "failed"
        assert waits == [30, 60, 120, 240, 480, 960, 1920]
        assert webhooks.backoff(8) == timedelta(hours=1)
        [delivery] = await _deliveries(database)
        assert (delivery.status, delivery.attempts) == ("failed", 8)
        assert "503" in delivery.last_error
        assert len(receiver.requests) == 8

    async def test_an_event_emitted_twice_is_delivered_once(self, database, loopback_settings, loopback_app,
                                                            client_as, receiver):
        network = await make_network(database, loopback_settings, locations=1)
        await _register(await client_as(network.hq_email, PASSWORD), receiver.url)
        await _emit(database, network.brand_id)
        await _emit(database, network.brand_id)
        await _emit(database, network.brand_id, event="publication.failed", event_id="publication.failed:x")  # not subscribed
        await _burst(database, loopback_settings)
        assert len(await _deliveries(database)) == 1
        assert len(receiver.requests) == 1

    async def test_two_workers_never_send_the_same_attempt(self, database, loopback_settings, loopback_app,
                                                           client_as, receiver):
        network = await make_network(database, loopback_settings, locations=1)
        await _register(await client_as(network.hq_email, PASSWORD), receiver.url)
        await _emit(database, network.brand_id)
        [delivery] = await _deliveries(database)
        results = await asyncio.gather(*[webhooks.deliver(database, loopback_settings, delivery.id) for _ in range(4)])
        assert sorted(result[0] for result in results) == ["delivered", "skipped", "skipped", "skipped"]
        assert len(receiver.requests) == 1

    async def test_a_receiver_on_a_private_address_is_never_called_without_the_setting(
            self, database, settings, loopback_settings, loopback_app, client_as, receiver):
        network = await make_network(database, settings, locations=1)
        await _register(await client_as(network.hq_email, PASSWORD), receiver.url)
        await _emit(database, network.brand_id)
        [delivery] = await _deliveries(database)
        assert settings.webhooks_allow_private is False
        status, _attempts, _retry = await webhooks.deliver(database, settings, delivery.id)
        assert status == "pending"
        [delivery] = await _deliveries(database)
        assert "private" in delivery.last_error and receiver.requests == []


class TestRegistering:
    async def test_private_urls_are_refused_without_the_setting(self, database, settings, client_as):
        network = await make_network(database, settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        for url in ("http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]/x", "http://10.1.2.3/x",
                    "http://192.168.1.1/x", "http://169.254.169.254/latest/meta-data", "http://[::ffff:127.0.0.1]/"):
            response = await hq.post("/api/v1/webhooks", json={"url": url, "events": ["proposal.decided"],
                                                                "secret": SECRET})
            assert response.status_code == 422, url
            assert response.json()["errors"] == [{"field": "url", "message": webhooks.PRIVATE_URL_MESSAGE}], url
        assert (await hq.get("/api/v1/webhooks")).json() == []

    async def test_each_bad_field_is_listed(self, database, settings, client_as):
        network = await make_network(database, settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        response = await hq.post("/api/v1/webhooks", json={"url": "ftp://example.com/x", "events": ["post.created"],
                                                            "secret": "short"}, headers={"Accept-Language": "fr"})
        assert response.status_code == 422
        body = response.json()
        assert body["detail"] == "Le webhook comporte 3 problème(s) : corrigez chaque champ indiqué."
        assert [error["field"] for error in body["errors"]] == ["url", "events", "secret"]
        response = await hq.post("/api/v1/webhooks", json={"url": "https://example.com/x", "events": [],
                                                            "secret": SECRET})
        assert [error["field"] for error in response.json()["errors"]] == ["events"]

    async def test_the_secret_is_stored_encrypted_and_never_returned(self, database, loopback_settings, loopback_app,
                                                                     client_as, receiver):
        network = await make_network(database, loopback_settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        response = await hq.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["proposal.decided"],
                                                            "secret": SECRET})
        assert response.status_code == 201 and SECRET not in response.text and "secret" not in response.json()
        assert SECRET not in (await hq.get("/api/v1/webhooks")).text
        async with database.session() as session:
            from hub.webhooks.models import Webhook

            stored = await session.scalar(select(Webhook.secret_encrypted))
        assert stored and SECRET not in stored


class TestIsolation:
    async def test_only_the_brands_hq_admin_sees_and_deletes_its_webhooks(self, database, loopback_settings,
                                                                         loopback_app, client_as, receiver):
        brand_a = await make_network(database, loopback_settings, locations=1)
        brand_b = await make_network(database, loopback_settings, name="Autre", slug="autre", locations=1)
        hq_a = await client_as(brand_a.hq_email, PASSWORD)
        hook = await _register(hq_a, receiver.url)
        hq_b = await client_as(brand_b.hq_email, PASSWORD)
        assert (await hq_b.get("/api/v1/webhooks")).json() == []
        assert (await hq_b.get(f"/api/v1/webhooks/{hook['id']}/deliveries")).status_code == 404
        assert (await hq_b.delete(f"/api/v1/webhooks/{hook['id']}")).status_code == 404
        await _emit(database, brand_b.brand_id)  # brand B's events never reach brand A's webhook
        assert await _deliveries(database) == []

        async with database.session() as session:
            editor = await accounts.create_user(session, email="editor@velo.test", password=PASSWORD)
            await accounts.add_membership(session, editor, brand_a.brand_id, "hq_editor")
        for email in ("editor@velo.test", brand_a.local_emails[brand_a.locations[0].id]):
            other = await client_as(email, PASSWORD)
            assert (await other.get("/api/v1/webhooks")).status_code == 403
            assert (await other.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["proposal.decided"],
                                                               "secret": SECRET})).status_code == 403
            assert (await other.delete(f"/api/v1/webhooks/{hook['id']}")).status_code == 403

        assert (await hq_a.delete(f"/api/v1/webhooks/{hook['id']}")).status_code == 204
        assert (await hq_a.get("/api/v1/webhooks")).json() == []


class TestPage:
    async def test_the_page_lists_webhooks_and_their_deliveries(self, database, loopback_settings, loopback_app,
                                                                receiver):
        network = await make_network(database, loopback_settings, locations=1)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=loopback_app),
                                     base_url="http://testserver") as browser:
            browser.cookies.set("lang", "en")
            assert (await log_in(browser, network.hq_email)).status_code == 303
            page = await browser.get("/webhooks")
            assert page.status_code == 200 and "No webhook yet." in page.text

            refused = await browser.post("/webhooks", data={
                "csrf_token": csrf_of(page.text), "url": "ftp://x", "events": ["proposal.decided"], "secret": "x"})
            assert refused.status_code == 422
            assert "Give an http:// or https:// URL" in refused.text and "at least 16 characters" in refused.text

            assert (await browser.post("/webhooks", data={"url": receiver.url, "events": ["proposal.decided"],
                                                           "secret": SECRET})).status_code == 403  # no CSRF token
            added = await browser.post("/webhooks", data={
                "csrf_token": csrf_of(page.text), "url": receiver.url,
                "events": ["proposal.decided", "publication.failed"], "secret": SECRET})
            assert added.status_code == 303

            receiver.answers = [500]
            await _emit(database, network.brand_id)
            await _emit(database, network.brand_id, event="publication.failed", event_id="publication.failed:pub1",
                        payload={"publication_id": "pub1", "error": "x"})
            [first, second] = await _deliveries(database)
            await webhooks.deliver(database, loopback_settings, first.id)
            await webhooks.deliver(database, loopback_settings, second.id)

            page = await browser.get("/webhooks")
            assert receiver.url in page.text
            assert f'data-testid="delivery-{first.id}"' in page.text
            assert page.text.count('data-status="delivered" data-testid="delivery-status"') == 1
            assert page.text.count('data-status="pending" data-testid="delivery-status"') == 1
            assert "HTTP 500" in page.text
            assert 'style="' not in page.text and "<script>" not in page.text

            browser.cookies.set("lang", "fr")
            french = await browser.get("/webhooks")
            assert "Nouveau webhook" in french.text and "Livré" in french.text

            hook_id = (await _deliveries(database))[0].webhook_id
            deleted = await browser.post(f"/webhooks/{hook_id}/delete", data={"csrf_token": csrf_of(page.text)})
            assert deleted.status_code == 303
            async with database.session() as session:
                assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0

    async def test_a_local_manager_cannot_open_the_page(self, database, settings, app):
        network = await make_network(database, settings, locations=1)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as browser:
            assert (await log_in(browser, network.local_emails[network.locations[0].id])).status_code == 303
            assert (await browser.get("/webhooks")).status_code == 403


class TestProductEvents:
    async def test_the_payload_builders_fit_real_proposals_publications_and_distributions(
            self, database, loopback_settings, loopback_app, client_as, receiver):
        from hub.proposals.models import Distribution, Proposal
        from hub.publishing import service as publishing
        from hub.publishing.models import Publication
        from tests.web.conftest import sent_campaign

        network = await make_network(database, loopback_settings, locations=1, networks=("facebook",))
        hq = await client_as(network.hq_email, PASSWORD)
        await _register(hq, receiver.url, events=list(webhooks.WEBHOOK_EVENTS))
        ids = await sent_campaign(database, loopback_settings, network, networks=("facebook",))
        local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
        proposal_id = ids[network.locations[0].id]
        assert (await local.post(f"/api/v1/proposals/{proposal_id}/approve")).status_code == 200
        async with database.session() as session:
            publication_id = await session.scalar(select(Publication.id))
        assert await publishing.publish(database, loopback_settings, publication_id) == "published"

        async with database.session() as session:
            proposal = await session.get(Proposal, proposal_id)
            distribution = await session.get(Distribution, ids["distribution_id"])
            publication = await session.get(Publication, publication_id)
            await webhooks.emit(session, network.brand_id, "proposal.decided", *webhooks.proposal_decided(proposal))
            await webhooks.emit(session, network.brand_id, "distribution.completed",
                                *webhooks.distribution_completed(distribution))
            await webhooks.emit(session, network.brand_id, *webhooks.publication_settled(publication))
            # Emitting again (a job that ran twice) adds nothing.
            await webhooks.emit_many(session, network.brand_id, "proposal.decided", [webhooks.proposal_decided(proposal)])
        await _burst(database, loopback_settings)

        sent = {r["headers"]["X-Pieuvre-Event"]: json.loads(r["body"]) for r in receiver.requests}
        assert len(receiver.requests) == 3
        assert sent["proposal.decided"]["data"]["status"] == "approved"
        assert sent["proposal.decided"]["data"]["location_id"] == network.locations[0].id
        assert sent["distribution.completed"]["data"]["done"] == 1
        assert sent["publication.published"]["data"]["network"] == "facebook"
        assert sent["publication.published"]["data"]["external_id"]
