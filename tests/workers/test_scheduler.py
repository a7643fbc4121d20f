"""The scheduler through the real publishing service and the real connectors, against the networks'
stand-ins: cool-downs from rate limits, backoff, unknown outcomes settled by reading the account
back, Instagram's resumed containers and signed image links, decisions that win until the claim,
the per-network concurrency cap, and accounts that break.

Publications are made as the product makes them: a campaign and a post through the API,
distributed, fanned out; then `publishing.publish`, `queue_due` and `reconcile` are called as the
worker calls them, with `now` moved forward instead of sleeping.
"""

from __future__ import annotations

import asyncio
import re
import socket
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from sqlalchemy import select, update

from hub.accounts import service as accounts
from hub.accounts.models import User
from hub.campaigns import service as campaigns
from hub.config import parse_duration
from hub.db import utcnow
from hub.locations.models import Location
from hub.media.samples import photo_png
from hub.media.service import public_render_url
from hub.proposals.models import DistributionChunk, Proposal
from hub.proposals.service import fan_out_chunk
from hub.publishing import service as publishing
from hub.publishing.connectors.instagram import InstagramConnector
from hub.publishing.models import Cooldown, Publication, SocialAccount
from hub.publishing.service import connect_account
from tests.conftest import BACKEND
from tests.connectors.conftest import pointed_at, short_timeout  # noqa: F401 (a fixture used here)
from tests.factories import PASSWORD, make_network
from tests.standins.facebook import FacebookStandIn
from tests.standins.google import GoogleBusinessStandIn, YouTubeStandIn
from tests.standins.instagram import InstagramStandIn
from tests.standins.observers import Requests
from tests.standins.x import XStandIn
from tests.workers.helpers import run_burst_worker, worker_context
from workers.publishing import dispatch_due

# A tiny MP4: what makes it one for us is the `ftyp` box at byte 4 (the stand-in stores bytes as sent).
VIDEO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 8
GBP_LOCATION = "accounts/111/locations/222"
CHANNEL = "UCvelolumiere0001"


# -- helpers ---------------------------------------------------------------------------------


def aware(moment: datetime) -> datetime:
    """A time from the database as an aware UTC datetime (SQLite keeps no zone)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def close_to(moment: datetime | None, expected: datetime, seconds: float = 3.0) -> bool:
    return moment is not None and abs((aware(moment) - expected).total_seconds()) <= seconds


class Brand:
    """A brand with `count` locations, its HQ client, and the real-connector accounts connected to them."""

    def __init__(self, network, hq) -> None:
        self.network = network
        self.hq = hq
        self.accounts: dict[tuple[int, str], str] = {}  # (location index, network) -> social account id

    @property
    def locations(self):
        return self.network.locations


async def make_brand(database, settings, client_as, locations: int = 1) -> Brand:
    network = await make_network(database, settings, locations=locations, networks=())
    return Brand(network, await client_as(network.hq_email, PASSWORD))


async def connect(database, settings, brand: Brand, index: int, network: str, external_id: str, token: str) -> str:
    """Connect location `index` to `network` with a token issued by that network's stand-in."""
    async with database.session() as session:
        location = await session.get(Location, brand.locations[index].id)
        account, _ = await connect_account(session, settings, location, network=network, external_id=external_id,
                                           access_token=token)
    brand.accounts[(index, network)] = account.id
    return account.id


async def send(database, brand: Brand, body: str, networks: list[str], **post) -> dict:
    """HQ sends a post to every location (auto-published); the fan-out runs; the post as the API shows it."""
    campaign = (await brand.hq.post("/api/v1/campaigns", json={"name": body[:30], "approval_policy": "auto_publish"})).json()
    response = await brand.hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                   json={"body": body, "networks": networks, **post})
    assert response.status_code == 201, response.text
    created = response.json()
    assert (await brand.hq.post(f"/api/v1/posts/{created['id']}/distribute", json={})).status_code == 202
    await fan_out(database)
    return created


async def fan_out(database) -> None:
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
    for chunk_id in chunk_ids:  # a chunk already done is skipped
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)


async def publications(database, **where) -> list[Publication]:
    async with database.session() as session:
        query = select(Publication).order_by(Publication.created_at, Publication.id)
        for name, value in where.items():
            query = query.where(getattr(Publication, name) == value)
        return list(await session.scalars(query))


async def publication(database, publication_id: str) -> Publication:
    async with database.session() as session:
        return await session.get(Publication, publication_id)


async def the_one(database, **where) -> Publication:
    [found] = await publications(database, **where)
    return found


async def queued(database, now: datetime) -> set[str]:
    async with database.session() as session:
        return {publication_id for publication_id, _ in await publishing.queue_due(session, now)}


async def upload(brand: Brand, data: bytes, name: str, content_type: str) -> dict:
    response = await brand.hq.post("/api/v1/media", files={"file": (name, data, content_type)})
    assert response.status_code == 201, response.text
    return response.json()


def closed_port() -> int:
    """A loopback port nobody listens on (a network that cannot be reached)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def web_server(settings):
    """The real app on a loopback port, served by this test's event loop (it shares the test database)."""
    from hub.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(settings), lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started, "the web server did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()


# -- 1. rate limits: cool-downs ---------------------------------------------------------------


class TestCooldowns:
    async def test_a_429_from_x_cools_that_account_and_the_attempt_does_not_count(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as, locations=2)
        with XStandIn() as x, pointed_at(settings, x_api_url=x.url):
            for index in range(2):
                await connect(database, settings, brand, index, "x", f"10{index}", x.issue_token(f"10{index}").value)
            await send(database, brand, "Portes ouvertes à {city} samedi", ["x"])
            await send(database, brand, "Nouveaux vélos à {city}", ["x"])
            throttled_account, other_account = brand.accounts[(0, "x")], brand.accounts[(1, "x")]
            first, second = await publications(database, social_account_id=throttled_account)
            x.inject("rate_limit", account="100", retry_after=120)

            now = utcnow()
            assert await publishing.publish(database, settings, first.id, now=now) == "scheduled"
            first = await publication(database, first.id)
            # Back to scheduled at the end of X's window (x-rate-limit-reset), this try not counted.
            assert first.status == "scheduled" and first.attempt == 0 and first.queued_at is None
            assert close_to(first.due_at, now + timedelta(seconds=120))
            assert "rate limit" in first.error
            async with database.session() as session:
                cooldown = await session.get(Cooldown, f"account:{throttled_account}")
            assert cooldown is not None and close_to(cooldown.until, aware(first.due_at), 0.01)
            assert x.all_posts() == []

            # During the cool-down nothing of that account is queued or claimed; other accounts go on.
            during = now + timedelta(seconds=60)
            others = {p.id for p in await publications(database, social_account_id=other_account)}
            assert await queued(database, during) == others
            assert await publishing.publish(database, settings, second.id, now=during) == "skipped"
            assert await publishing.publish(database, settings, first.id, now=during) == "skipped"
            for publication_id in others:
                assert await publishing.publish(database, settings, publication_id, now=during) == "published"
            assert (await publication(database, second.id)).status == "scheduled"

            # Once it ends, both go out, each once.
            after = aware(first.due_at) + timedelta(seconds=1)
            assert await queued(database, after) == {first.id, second.id}
            assert await publishing.publish(database, settings, first.id, now=after) == "published"
            assert await publishing.publish(database, settings, second.id, now=after) == "published"
            assert await publishing.publish(database, settings, first.id, now=after) == "skipped"
            first = await publication(database, first.id)
            assert (first.status, first.attempt, first.error) == ("published", 1, None)
            assert sorted(post.text for post in x.posts_of("100")) == ["Nouveaux vélos à Ville0",
                                                                       "Portes ouvertes à Ville0 samedi"]
            assert len(x.all_posts()) == 4

    async def test_facebook_app_throttle_cools_the_whole_network_but_not_x(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as, locations=2)
        with FacebookStandIn() as facebook, XStandIn() as x, pointed_at(settings, facebook_api_url=facebook.url,
                                                                        x_api_url=x.url):
            for index in range(2):
                await connect(database, settings, brand, index, "facebook", f"50{index}",
                              facebook.add_page(f"50{index}").value)
                await connect(database, settings, brand, index, "x", f"10{index}", x.issue_token(f"10{index}").value)
            await send(database, brand, "Soirée réparation à {city}", ["facebook", "x"])
            # Graph code 4: the app's own call quota, for every Page the app manages.
            facebook.throttle_code = 4
            facebook.inject("rate_limit", account="500", retry_after=180)
            throttled = await the_one(database, social_account_id=brand.accounts[(0, "facebook")])
            other_page = await the_one(database, social_account_id=brand.accounts[(1, "facebook")])
            on_x = {p.id for p in await publications(database, network="x")}

            now = utcnow()
            assert await publishing.publish(database, settings, throttled.id, now=now) == "scheduled"
            throttled = await publication(database, throttled.id)
            assert throttled.attempt == 0 and close_to(throttled.due_at, now + timedelta(seconds=180))
            async with database.session() as session:
                keys = set(await session.scalars(select(Cooldown.key)))
            assert keys == {"network:facebook"}

            during = now + timedelta(seconds=90)
            assert await queued(database, during) == on_x
            assert await publishing.publish(database, settings, other_page.id, now=during) == "skipped"
            for publication_id in on_x:
                assert await publishing.publish(database, settings, publication_id, now=during) == "published"
            assert facebook.all_posts() == [] and len(x.all_posts()) == 2

            after = aware(throttled.due_at) + timedelta(seconds=1)
            assert await queued(database, after) == {throttled.id, other_page.id}
            for publication_id in (throttled.id, other_page.id):
                assert await publishing.publish(database, settings, publication_id, now=after) == "published"
            assert sorted(post.account for post in facebook.all_posts()) == ["500", "501"]


    async def test_a_job_skipped_during_a_cool_down_is_queued_again_when_it_ends(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        with XStandIn() as x, pointed_at(settings, x_api_url=x.url):
            await connect(database, settings, brand, 0, "x", "100", x.issue_token("100").value)
            await send(database, brand, "Portes ouvertes à {city} samedi", ["x"])
            await send(database, brand, "Nouveaux vélos à {city}", ["x"])
            first, second = await publications(database)
            now = utcnow()
            assert await queued(database, now) == {first.id, second.id}  # both jobs are in the queue
            x.inject("rate_limit", account="100", retry_after=5)
            assert await publishing.publish(database, settings, first.id, now=now) == "scheduled"
            # The second job runs during the cool-down: not claimed, rightly.
            assert await publishing.publish(database, settings, second.id, now=now) == "skipped"
            first = await publication(database, first.id)
            after = aware(first.due_at) + timedelta(seconds=1)
            assert await queued(database, after) == {first.id, second.id}


# -- 2. errors proving nothing was created: backoff, then failure ------------------------------


class TestBackoff:
    async def test_an_unreachable_network_is_retried_with_backoff_then_fails_with_a_reason(
            self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        await connect(database, settings, brand, 0, "x", "100", "some-token")
        await send(database, brand, "Atelier vélo à {city}", ["x"])
        [pending] = await publications(database)
        with pointed_at(settings, x_api_url=f"http://127.0.0.1:{closed_port()}", publish_backoff_seconds=10,
                        publish_max_attempts=3):
            now = utcnow()
            assert await publishing.publish(database, settings, pending.id, now=now) == "scheduled"
            pending = await publication(database, pending.id)
            assert (pending.attempt, pending.queued_at) == (1, None)
            assert close_to(pending.due_at, now + timedelta(seconds=10), 0.01)
            assert "could not be reached" in pending.error
            # Not before its time...
            assert await publishing.publish(database, settings, pending.id, now=now + timedelta(seconds=9)) == "skipped"
            # ... then 10 s, 20 s: the delay doubles at each attempt.
            now += timedelta(seconds=10)
            assert await publishing.publish(database, settings, pending.id, now=now) == "scheduled"
            pending = await publication(database, pending.id)
            assert pending.attempt == 2 and close_to(pending.due_at, now + timedelta(seconds=20), 0.01)
            now += timedelta(seconds=20)
            assert await publishing.publish(database, settings, pending.id, now=now) == "failed"
        pending = await publication(database, pending.id)
        assert (pending.status, pending.attempt) == ("failed", 3)
        assert pending.error.startswith("Gave up after 3 attempts: X could not be reached")

    async def test_an_instagram_container_5xx_is_retried_and_the_retry_publishes_once(self, database, settings,
                                                                                     client_as):
        brand = await make_brand(database, settings, client_as)
        with InstagramStandIn() as instagram, pointed_at(settings, instagram_api_url=instagram.url,
                                                         publish_backoff_seconds=30):
            await connect(database, settings, brand, 0, "instagram", "700", instagram.add_user("700").value)
            photo = await upload(brand, photo_png(), "photo.png", "image/png")
            await send(database, brand, "Le printemps à {city}", ["instagram"], media_id=photo["id"])
            [pending] = await publications(database)
            instagram.inject("server_error", "container")
            now = utcnow()
            assert await publishing.publish(database, settings, pending.id, now=now) == "scheduled"
            pending = await publication(database, pending.id)
            assert pending.attempt == 1 and close_to(pending.due_at, now + timedelta(seconds=30), 0.01)
            assert instagram.containers == {} and "container_id" not in pending.progress
            assert await publishing.publish(database, settings, pending.id, now=aware(pending.due_at)) == "published"
            assert len(instagram.containers) == 1 and len(instagram.all_posts()) == 1
            assert (await publication(database, pending.id)).attempt == 2


# -- 3. unknown outcomes: read the account back before anything is resent ----------------------


class TestUnknownOutcomes:
    async def test_a_lost_answer_is_settled_by_reading_the_account_back(self, database, settings, client_as,
                                                                        short_timeout):
        brand = await make_brand(database, settings, client_as)
        with XStandIn() as x, pointed_at(settings, x_api_url=x.url):
            await connect(database, settings, brand, 0, "x", "100", x.issue_token("100").value)
            await send(database, brand, "Balade nocturne à {city}", ["x"])
            [pending] = await publications(database)
            x.inject("lost_response", seconds=2.5)
            assert await publishing.publish(database, settings, pending.id) == "unconfirmed"
            [created] = x.all_posts()  # the post exists; only its answer was lost
            # Nothing is resent while the outcome is unknown.
            assert await publishing.publish(database, settings, pending.id) == "skipped"
            assert await publishing.reconcile(database, settings) == {"published": 1, "rescheduled": 0, "unsettled": 0}
            settled = await publication(database, pending.id)
            assert (settled.status, settled.external_id, settled.attempt) == ("published", created.id, 1)
            assert await publishing.reconcile(database, settings) == {"published": 0, "rescheduled": 0, "unsettled": 0}
            assert len(x.all_posts()) == 1

    async def test_a_5xx_on_create_is_checked_rescheduled_and_then_sent_once(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        with XStandIn() as x, pointed_at(settings, x_api_url=x.url):
            await connect(database, settings, brand, 0, "x", "100", x.issue_token("100").value)
            await send(database, brand, "Balade nocturne à {city}", ["x"])
            [pending] = await publications(database)
            x.inject("server_error")
            assert await publishing.publish(database, settings, pending.id) == "unconfirmed"
            assert x.all_posts() == []
            assert await publishing.reconcile(database, settings) == {"published": 0, "rescheduled": 1, "unsettled": 0}
            rescheduled = await publication(database, pending.id)
            assert (rescheduled.status, rescheduled.queued_at) == ("scheduled", None)
            assert await queued(database, utcnow()) == {pending.id}
            assert await publishing.publish(database, settings, pending.id) == "published"
            [created] = x.all_posts()
            assert created.text == "Balade nocturne à Ville0"
            assert (await publication(database, pending.id)).external_id == created.id


    async def test_a_create_that_always_fails_unknown_gives_up_after_the_max_attempts(self, database, settings,
                                                                                     client_as):
        brand = await make_brand(database, settings, client_as)
        with XStandIn() as x, pointed_at(settings, x_api_url=x.url, publish_max_attempts=3):
            await connect(database, settings, brand, 0, "x", "100", x.issue_token("100").value)
            await send(database, brand, "Balade nocturne à {city}", ["x"])
            [pending] = await publications(database)
            x.inject("server_error", times=None)
            for _ in range(5):
                await publishing.publish(database, settings, pending.id)
                await publishing.reconcile(database, settings)
            settled = await publication(database, pending.id)
            assert x.all_posts() == []
            assert (settled.status, settled.attempt) == ("failed", 3), (settled.status, settled.attempt)
            assert "3 attempts" in settled.error

    async def test_the_sweeper_does_not_resend_a_publication_whose_worker_is_slow_but_alive(
            self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        # Google Business Profile has no duplicate check of its own: a second send is a second post.
        with GoogleBusinessStandIn() as google, pointed_at(settings, google_business_api_url=google.url,
                                                           publish_stuck_after="1s"):
            google.add_location(GBP_LOCATION, "Vélo Lumière Ville0")
            await connect(database, settings, brand, 0, "google_business", GBP_LOCATION,
                          google.token_for(GBP_LOCATION).value)
            await send(database, brand, "Atelier réparation à {city}", ["google_business"])
            [pending] = await publications(database)
            google.inject("latency", "create", seconds=2.5)  # a slow upload, well within the network timeout
            slow = asyncio.create_task(publishing.publish(database, settings, pending.id))
            await asyncio.sleep(1.5)
            await publishing.reconcile(database, settings)
            await publishing.publish(database, settings, pending.id)  # another worker, if it was rescheduled
            await slow
            assert len(google.all_posts()) == 1


# -- 4. Instagram: containers remembered and resumed, images fetched through signed links -------


@pytest.fixture
async def instagram_post(database, settings, client_as):
    """A brand whose one location has an Instagram account on a stand-in, and a photo post to it;
    yields (stand-in, publication)."""
    brand = await make_brand(database, settings, client_as)
    standin = InstagramStandIn(in_progress_polls=0)
    with standin, pointed_at(settings, instagram_api_url=standin.url):
        await connect(database, settings, brand, 0, "instagram", "700", standin.add_user("700").value)
        photo = await upload(brand, photo_png(), "photo.png", "image/png")
        await send(database, brand, "Le printemps à {city}", ["instagram"], media_id=photo["id"])
        [pending] = await publications(database)
        yield standin, pending


class TestInstagram:
    async def test_a_lost_publish_is_settled_by_the_saved_container(self, database, settings, instagram_post,
                                                                   short_timeout):
        instagram, pending = instagram_post
        instagram.inject("lost_response", "create", seconds=2.5)
        assert await publishing.publish(database, settings, pending.id) == "unconfirmed"
        [container_id] = instagram.containers
        # The container was saved before the risky publish call.
        assert (await publication(database, pending.id)).progress["container_id"] == container_id
        [media] = instagram.all_posts()
        assert await publishing.reconcile(database, settings) == {"published": 1, "rescheduled": 0, "unsettled": 0}
        settled = await publication(database, pending.id)
        assert (settled.status, settled.external_id) == ("published", media.id)
        assert len(instagram.containers) == 1 and len(instagram.all_posts()) == 1

    async def test_a_container_still_in_progress_is_reused_at_the_next_attempt(self, database, settings,
                                                                              instagram_post, monkeypatch):
        instagram, pending = instagram_post
        instagram.in_progress_polls = 1
        # One status read per attempt (the real wait is 20 s).
        monkeypatch.setattr(InstagramConnector, "container_wait_seconds", 0.0)
        now = utcnow()
        assert await publishing.publish(database, settings, pending.id, now=now) == "scheduled"
        waiting = await publication(database, pending.id)
        [container_id] = instagram.containers
        assert waiting.progress["container_id"] == container_id and waiting.attempt == 1
        assert close_to(waiting.due_at, now + timedelta(seconds=60), 0.01)  # "still preparing": retry in a minute
        assert instagram.all_posts() == []
        assert await publishing.publish(database, settings, pending.id, now=aware(waiting.due_at)) == "published"
        assert list(instagram.containers) == [container_id]
        [media] = instagram.all_posts()
        assert media.extra["container_id"] == container_id
        assert (await publication(database, pending.id)).external_id == media.id

    async def test_instagram_fetches_the_jpeg_through_the_signed_link(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        fetched: list[tuple[str, str | None]] = []

        class Observed(InstagramStandIn):
            async def _fetch(self, url: str) -> str | None:
                problem = await super()._fetch(url)
                fetched.append((url, problem))
                return problem

        async with web_server(settings) as public_url:
            with Observed(fetch_images=True) as instagram, pointed_at(settings, instagram_api_url=instagram.url,
                                                                       public_url=public_url):
                await connect(database, settings, brand, 0, "instagram", "700", instagram.add_user("700").value)
                photo = await upload(brand, photo_png(), "photo.png", "image/png")
                await send(database, brand, "Le printemps à {city}", ["instagram"], media_id=photo["id"])
                [pending] = await publications(database)
                assert await publishing.publish(database, settings, pending.id) == "published"
                [(url, problem)] = fetched
                assert problem is None  # a reachable JPEG, as Instagram demands
                assert url.startswith(f"{public_url}/renders/") and "signature=" in url and "expires=" in url
                [container] = instagram.containers.values()
                assert container["image_url"] == url and len(instagram.all_posts()) == 1

                async with httpx.AsyncClient() as http:
                    image = await http.get(url)
                    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
                    assert image.content[:3] == b"\xff\xd8\xff"
                    key = re.fullmatch(r"/renders/(.+)\.jpg", urlsplit(url).path).group(1)
                    unsigned = await http.get(f"{public_url}/renders/{key}.jpg")
                    long_ago = utcnow() - parse_duration(settings.public_link_ttl) - timedelta(hours=1)
                    expired = await http.get(public_render_url(settings, key, now=long_ago))
                    forged = await http.get(url.replace("signature=", "signature=0"))
                for refused in (unsigned, expired, forged):
                    assert refused.status_code in (303, 401), refused.status_code
                    assert not refused.content.startswith(b"\xff\xd8\xff")


# -- 5. decisions made before the claim win, even with the job queued ----------------------------


class TestDecisionsWin:
    async def test_a_cancellation_or_withdrawal_after_the_job_was_queued_sends_nothing(
            self, database, settings, client_as, redis_pool):
        brand = await make_brand(database, settings, client_as, locations=2)
        x = XStandIn()
        creates = Requests(x, "POST", "/2/tweets")
        with x, pointed_at(settings, x_api_url=x.url):
            for index in range(2):
                await connect(database, settings, brand, index, "x", f"10{index}", x.issue_token(f"10{index}").value)
            await send(database, brand, "Vide-grenier à {city}", ["x"])
            # The publish jobs are in Redis before anyone changes their mind.
            assert await dispatch_due(worker_context(database, settings, redis_pool)) == 2
            cancelled = await the_one(database, social_account_id=brand.accounts[(0, "x")])
            withdrawn = await the_one(database, social_account_id=brand.accounts[(1, "x")])
            local = await client_as(brand.network.local_emails[brand.locations[0].id], PASSWORD)
            response = await local.post(f"/api/v1/proposals/{cancelled.proposal_id}/reject",
                                        json={"reason": "wrong_timing"})
            assert response.status_code == 200, response.text
            # HQ's withdrawal reaches the proposal while its publication is still "scheduled": the
            # claim reads the proposal again and drops it.
            async with database.session() as session:
                await session.execute(update(Proposal).where(Proposal.id == withdrawn.proposal_id)
                                      .values(status="withdrawn"))
            await run_burst_worker(settings)
            assert creates.total == 0 and x.all_posts() == []
            assert [p.status for p in await publications(database)] == ["cancelled", "cancelled"]

    async def test_a_new_revision_after_the_job_was_queued_replaces_the_old_text(
            self, database, settings, client_as, redis_pool):
        brand = await make_brand(database, settings, client_as)
        with XStandIn() as x, pointed_at(settings, x_api_url=x.url):
            await connect(database, settings, brand, 0, "x", "100", x.issue_token("100").value)
            post = await send(database, brand, "Vide-grenier à {city} dimanche", ["x"])
            [old] = await publications(database)
            assert await dispatch_due(worker_context(database, settings, redis_pool)) == 1
            response = await brand.hq.put(f"/api/v1/posts/{post['id']}",
                                          json={"body": "Vide-grenier à {city} samedi", "networks": ["x"]})
            assert response.status_code == 200, response.text
            await fan_out(database)
            await run_burst_worker(settings)  # the old job runs: its publication was cancelled
            assert x.all_posts() == []
            assert (await publication(database, old.id)).status == "cancelled"
            [new] = await publications(database, status="scheduled")
            assert await dispatch_due(worker_context(database, settings, redis_pool)) == 1
            await run_burst_worker(settings)
            assert [post.text for post in x.all_posts()] == ["Vide-grenier à Ville0 samedi"]
            assert (await publication(database, new.id)).status == "published"

    async def test_a_withdrawal_while_the_fan_out_runs_stops_what_the_chunk_scheduled(
            self, database, settings, client_as):
        """The chunk holds the post from its look at it to its commit: HQ's withdrawal waits for it, then
        withdraws the proposal and cancels the publication it made; a claim meanwhile waits for the withdrawal."""
        brand = await make_brand(database, settings, client_as)
        with XStandIn() as x, pointed_at(settings, x_api_url=x.url):
            await connect(database, settings, brand, 0, "x", "100", x.issue_token("100").value)
            campaign = (await brand.hq.post("/api/v1/campaigns", json={
                "name": "Soldes", "approval_policy": "auto_publish"})).json()
            post = (await brand.hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                        json={"body": "Soldes à {city}", "networks": ["x"]})).json()
            assert (await brand.hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).status_code == 202
            withdrawn, release = asyncio.Event(), asyncio.Event()
            async with database.session() as session:
                [chunk_id] = await session.scalars(select(DistributionChunk.id))
            async with database.session() as chunk:
                await fan_out_chunk(chunk, chunk_id)  # past its look at the post, not committed
                withdrawal = asyncio.create_task(withdraw_and_hold(database, brand.network.hq_email, post["id"],
                                                                   withdrawn, release))
                await asyncio.sleep(0.5)
                # PostgreSQL: the chunk holds the post (FOR SHARE); SQLite: one writer at a time.
                assert not withdrawn.is_set(), "the withdrawal went on while the chunk held the post"
            await withdrawn.wait()  # the withdrawal runs once the chunk committed
            try:
                [scheduled] = await publications(database)
                claiming = asyncio.create_task(publishing.publish(database, settings, scheduled.id,
                                                                  now=utcnow() + timedelta(minutes=1)))
                await asyncio.sleep(0.5)
                claimed_meanwhile = claiming.done()
            finally:
                release.set()
            counts = await withdrawal
            assert await claiming in ("cancelled", "skipped")
            assert not claimed_meanwhile, "the claim went on while the withdrawal held the post"
            assert x.all_posts() == []
            assert (await publication(database, scheduled.id)).status == "cancelled"
            assert counts == {"withdrawn": 1, "already_out": 0}


async def withdraw_and_hold(database, hq_email: str, post_id: str, withdrawn: asyncio.Event,
                            release: asyncio.Event) -> dict[str, int]:
    """HQ withdraws the post through the service, then holds the transaction open until `release`."""
    async with database.session() as session:
        user = await session.scalar(select(User).where(User.email == hq_email))
        actor = await accounts.actor_for(session, user, "en")
        post, _revision = await campaigns.get_post(session, actor, post_id)
        counts = await campaigns.withdraw_post(session, actor, post)
        withdrawn.set()
        await release.wait()
    return counts


# -- 6. the per-network concurrency cap ---------------------------------------------------------


@pytest.fixture
async def fresh_lanes():
    """The per-network lanes are made once per worker process from its settings; a test that
    changes the cap starts with none, and leaves none behind for the next test."""
    publishing._lanes.pop(asyncio.get_running_loop(), None)
    yield
    publishing._lanes.pop(asyncio.get_running_loop(), None)


class TestConcurrency:
    async def test_no_more_than_the_cap_are_in_flight_on_a_network(self, database, settings, client_as,
                                                                   fresh_lanes):
        brand = await make_brand(database, settings, client_as, locations=10)
        x = XStandIn()
        creates = Requests(x, "POST", "/2/tweets")
        with x, pointed_at(settings, x_api_url=x.url, network_concurrency="x=2,facebook=8"):
            for index in range(10):
                await connect(database, settings, brand, index, "x", f"1{index:02d}",
                              x.issue_token(f"1{index:02d}").value)
            await send(database, brand, "Course des vélos à {city}", ["x"])
            pending = await publications(database)
            x.inject("latency", times=None, seconds=0.25)
            results = await asyncio.gather(*(publishing.publish(database, settings, p.id) for p in pending))
        assert results == ["published"] * 10
        assert creates.total == 10 and len(x.all_posts()) == 10
        # Two at a time, never more (and the cap was reached: the publishes did overlap).
        assert creates.most == 2


# -- 7. YouTube and Google Business Profile end to end ------------------------------------------


class TestGoogle:
    async def test_a_video_post_goes_out_on_youtube_once_with_its_bytes(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        with YouTubeStandIn() as youtube, pointed_at(settings, youtube_api_url=youtube.url,
                                                     youtube_privacy_status="unlisted"):
            youtube.add_channel(CHANNEL, "Vélo Lumière Ville0")
            await connect(database, settings, brand, 0, "youtube", CHANNEL, youtube.token_for(CHANNEL).value)
            video = await upload(brand, VIDEO, "clip.mp4", "video/mp4")
            assert video["content_type"] == "video/mp4"
            await send(database, brand, "Atelier réparation à {city}\nNos mécaniciens vous montrent tout.",
                       ["youtube"], video_id=video["id"])
            [pending] = await publications(database)
            assert await publishing.publish(database, settings, pending.id) == "published"
            [stored] = youtube.all_posts()
            assert stored.extra["data"] == VIDEO and stored.extra["content_type"] == "video/mp4"
            assert stored.extra["status"]["privacyStatus"] == "unlisted"
            assert stored.extra["snippet"]["title"] == "Atelier réparation à Ville0"
            published = await publication(database, pending.id)
            assert published.external_id == stored.id

    async def test_a_youtube_post_without_a_video_is_refused_saying_what_to_do(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        campaign = (await brand.hq.post("/api/v1/campaigns", json={"name": "C"})).json()
        response = await brand.hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                       json={"body": "Atelier", "networks": ["youtube", "x"]})
        assert response.status_code == 422
        assert "YouTube publishes videos only: upload one with POST /api/v1/media" in response.text

    async def test_google_offer_options_reach_google_in_its_own_shape(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        with GoogleBusinessStandIn() as google, pointed_at(settings, google_business_api_url=google.url):
            google.add_location(GBP_LOCATION, "Vélo Lumière Ville0")
            await connect(database, settings, brand, 0, "google_business", GBP_LOCATION,
                          google.token_for(GBP_LOCATION).value)
            await send(database, brand, "Soldes d'hiver à {city}", ["google_business"], options={"google_business": {
                "topic_type": "OFFER",
                "event": {"title": "Soldes d'hiver", "start": "2026-12-01T09:30", "end": "2026-12-03T18:00"},
                "offer": {"coupon_code": "VELO10", "redeem_online_url": "https://velo.example/soldes",
                          "terms_conditions": "Un coupon par client."},
            }})
            [pending] = await publications(database)
            assert await publishing.publish(database, settings, pending.id) == "published"
            assert google.received == [{
                "languageCode": "fr-FR", "summary": "Soldes d'hiver à Ville0", "topicType": "OFFER",
                "event": {"title": "Soldes d'hiver", "schedule": {
                    "startDate": {"year": 2026, "month": 12, "day": 1}, "startTime": {"hours": 9, "minutes": 30},
                    "endDate": {"year": 2026, "month": 12, "day": 3}, "endTime": {"hours": 18, "minutes": 0}}},
                "offer": {"couponCode": "VELO10", "redeemOnlineUrl": "https://velo.example/soldes",
                          "termsConditions": "Un coupon par client."},
            }]
            [stored] = google.all_posts()
            assert (await publication(database, pending.id)).external_id == f"{GBP_LOCATION}/localPosts/{stored.id}"

    async def test_a_call_button_reaches_google_without_a_url(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        with GoogleBusinessStandIn() as google, pointed_at(settings, google_business_api_url=google.url):
            google.add_location(GBP_LOCATION, "Vélo Lumière Ville0")
            await connect(database, settings, brand, 0, "google_business", GBP_LOCATION,
                          google.token_for(GBP_LOCATION).value)
            await send(database, brand, "Une question ? Appelez la boutique de {city}.", ["google_business"],
                       options={"google_business": {"call_to_action": {"action_type": "CALL"}}})
            [pending] = await publications(database)
            assert await publishing.publish(database, settings, pending.id) == "published"
            assert google.received == [{"languageCode": "fr-FR", "topicType": "STANDARD",
                                        "summary": "Une question ? Appelez la boutique de Ville0.",
                                        "callToAction": {"actionType": "CALL"}}]

    async def test_an_event_keeps_its_button(self, database, settings, client_as):
        brand = await make_brand(database, settings, client_as)
        with GoogleBusinessStandIn() as google, pointed_at(settings, google_business_api_url=google.url):
            google.add_location(GBP_LOCATION, "Vélo Lumière Ville0")
            await connect(database, settings, brand, 0, "google_business", GBP_LOCATION,
                          google.token_for(GBP_LOCATION).value)
            await send(database, brand, "Soirée réparation à {city}", ["google_business"], options={
                "google_business": {"topic_type": "EVENT", "call_to_action": {"action_type": "CALL"},
                                    "event": {"title": "Soirée réparation", "start": "2026-12-05T18:00",
                                              "end": "2026-12-05T21:00"}}})
            [pending] = await publications(database)
            assert await publishing.publish(database, settings, pending.id) == "published"
            [received] = google.received
            assert received["topicType"] == "EVENT" and received["callToAction"] == {"actionType": "CALL"}


# -- 8. an account that breaks ------------------------------------------------------------------


class TestBrokenAccount:
    async def test_an_expired_token_fails_the_publication_and_the_next_fails_fast(self, database, settings,
                                                                                  client_as):
        brand = await make_brand(database, settings, client_as)
        x = XStandIn()
        calls = Requests(x, "POST", "/2/tweets")
        with x, pointed_at(settings, x_api_url=x.url):
            expired = x.issue_token("100", expires_in=-60)
            account_id = await connect(database, settings, brand, 0, "x", "100", expired.value)
            await send(database, brand, "Sortie vélo à {city}", ["x"])
            await send(database, brand, "Atelier à {city}", ["x"])
            first, second = await publications(database)
            assert await publishing.publish(database, settings, first.id) == "failed"
            first = await publication(database, first.id)
            assert first.status == "failed" and "reconnect the X account" in first.error
            async with database.session() as session:
                account = await session.get(SocialAccount, account_id)
            assert account.status == "expired" and "reconnect" in account.status_detail
            assert calls.total == 1

            assert await publishing.publish(database, settings, second.id) == "failed"
            second = await publication(database, second.id)
            assert "reconnect it" in second.error
            assert calls.total == 1 and x.all_posts() == []  # the network was not called again
