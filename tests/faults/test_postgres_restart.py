"""PostgreSQL restarted while a worker fans out and publishes and the web app serves: the jobs are
tried again and finish, nothing is lost or sent twice; meanwhile the web app answers 503 with a clear
page in the user's language (JSON on the API), and recovers by itself."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.factories import PASSWORD
from tests.faults.private import WebServer
from tests.faults.scenario import (
    Workers,
    approve_all,
    brand_with_locations,
    connect_x_accounts,
    distribute,
    fan_out_state,
    new_post,
    posts_by_account,
    publication_counts,
    until,
)
from tests.standins.x import XStandIn
from tests.workers.helpers import tail

pytestmark = pytest.mark.slow

LOCATIONS = 400
CHUNK = 20
ON_X = 80
DOWN_FR = "La base de données ne répond pas pour le moment. Réessayez dans une minute."


async def _sign_in(web: httpx.AsyncClient, email: str) -> None:
    """Sign in through the login form, as a browser does."""
    form = await web.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = await web.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf,
                                              "next": "/campaigns"})
    assert response.status_code == 303, response.text


async def test_a_postgresql_restart_under_load_loses_nothing_and_the_web_app_says_so_then_recovers(
        database, settings, client_as, worker_env, tmp_path, private_postgres, monkeypatch):
    monkeypatch.setattr(settings, "fanout_chunk_size", CHUNK)
    hq = await brand_with_locations(database, client_as, LOCATIONS)
    server = WebServer(worker_env, tmp_path / "web.log")
    with XStandIn() as x:
        users = await connect_x_accounts(database, settings, x, ON_X)
        x.inject("latency", times=None, seconds=0.2)
        workers = Workers({**worker_env, "PIEUVRE_X_API_URL": x.url, "PIEUVRE_NETWORK_CONCURRENCY": "x=2",
                           "PIEUVRE_PUBLISH_STUCK_AFTER": "15s"}, tmp_path)
        web = httpx.AsyncClient(base_url=server.url, headers={"Accept-Language": "fr-FR,fr;q=0.9"}, timeout=10)
        try:
            workers.start()

            async def web_up():
                try:
                    return (await web.get("/login")).status_code == 200
                except httpx.TransportError:
                    assert server.process.poll() is None, tail(server.log)
                    return False

            await until(web_up, within=60, why=lambda: _log(server), every=0.2)
            await _sign_in(web, "hq@faults.test")
            assert (await web.get("/campaigns")).status_code == 200
            token = (await web.post("/api/v1/auth/token", json={"email": "hq@faults.test",
                                                                "password": PASSWORD})).json()["token"]

            offer = await new_post(hq, "Vente privée à {city} ce soir", ["x"])
            offer_fan_out = await distribute(hq, offer["id"], list(users))
            await until(lambda: _done(database, offer_fan_out), within=60,
                        why=lambda: fan_out_state(database, offer_fan_out), workers=workers)
            assert len(await approve_all(hq, offer)) == ON_X

            async def publishing_under_way():
                return (await publication_counts(database)).get("published", 0) >= 3

            await until(publishing_under_way, within=60, why=lambda: publication_counts(database), workers=workers,
                        every=0.05)
            news = await new_post(hq, "Nouvelle collection à {city}", ["facebook"])
            news_fan_out = await distribute(hq, news["id"])
            published_before = await publication_counts(database)
            private_postgres.stop("fast")
            try:
                page = await web.get("/campaigns")
                api = await web.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
                # The outage lasts until both kinds of job have met it (and were put back to be tried again).
                await until(_met_outage(workers, "fan_out_chunk", "publish"), within=60, why=lambda: _log(workers),
                            workers=workers)
            finally:
                private_postgres.start()

            async def web_back():
                return (await web.get("/campaigns")).status_code == 200

            await until(web_back, within=30, why=lambda: _log(server), every=0.5)

            async def where():
                return f"{await fan_out_state(database, news_fan_out)} {await publication_counts(database)}"

            async def finished():
                fan_out = await fan_out_state(database, news_fan_out)
                return fan_out["status"] == "done" and await publication_counts(database) == {"published": ON_X}

            await until(finished, within=120, why=where, workers=workers, every=0.5)
        finally:
            await web.aclose()
            workers.stop()
            server.stop()
        posts = x.all_posts()

    assert 0 < published_before.get("published", 0) < ON_X, published_before  # stopped mid-run
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert "Le service est indisponible" in page.text and DOWN_FR in page.text
    assert "Traceback" not in page.text and "asyncpg" not in page.text
    assert api.status_code == 503 and api.json() == {"detail": DOWN_FR} and api.headers["retry-after"] == "30"
    assert "Traceback" not in server.log.read_text(), "the web app failed on the outage instead of answering 503"
    assert await fan_out_state(database, news_fan_out) == {
        "status": "done", "done": LOCATIONS, "failed": 0, "chunks_done": LOCATIONS // CHUNK, "chunks_pending": 0,
        "proposals": LOCATIONS, "locations": LOCATIONS}
    assert posts_by_account(posts) == {user: 1 for user in users.values()}


async def _done(database, distribution_id: str) -> bool:
    return (await fan_out_state(database, distribution_id))["status"] == "done"


def _met_outage(workers: Workers, *jobs: str):
    """Whether each of these jobs was put back to be tried again because the database was down."""
    async def check() -> bool:
        log = workers.log.read_text(errors="replace")
        return all(f"worker.database_unavailable job={job} " in log for job in jobs)
    return check


async def _log(process) -> str:
    return tail(process.log, 30)
