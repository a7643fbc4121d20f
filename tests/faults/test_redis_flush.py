"""Redis flushed and restarted twice under a running worker: in the middle of a fan-out, then in the
middle of a publishing run. The reconcilers re-create the lost jobs from the database within two
minutes: every location gets its one proposal, every publication goes out, none twice."""

from __future__ import annotations

import time

import pytest

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
    queued_jobs,
    until,
)
from tests.standins.x import XStandIn

pytestmark = pytest.mark.slow

LOCATIONS = 1000
CHUNK = 25  # 40 chunks for a worker taking 20 jobs at once: some wait in Redis
ON_X = 150  # locations with an X account, whose publications go out 3 at a time
RECREATED_WITHIN = 120


async def test_jobs_lost_with_redis_are_recreated_from_the_database(
        database, settings, client_as, worker_env, tmp_path, private_redis, monkeypatch):
    monkeypatch.setattr(settings, "fanout_chunk_size", CHUNK)
    redis = private_redis.client()
    hq = await brand_with_locations(database, client_as, LOCATIONS)
    with XStandIn() as x:
        users = await connect_x_accounts(database, settings, x, ON_X)
        x.inject("latency", times=None, seconds=0.25)
        workers = Workers({**worker_env, "PIEUVRE_X_API_URL": x.url, "PIEUVRE_NETWORK_CONCURRENCY": "x=3"}, tmp_path)
        try:
            workers.start()
            # The post to publish, sent to the locations on X and waiting for HQ's approval.
            offer = await new_post(hq, "Vente privée à {city} ce soir", ["x"])
            offer_fan_out = await distribute(hq, offer["id"], list(users))
            await until(lambda: _status(database, offer_fan_out, "done"), within=60,
                        why=lambda: fan_out_state(database, offer_fan_out), workers=workers)

            # 1. A fan-out to every location, Redis flushed once some chunks are done and others wait.
            news = await new_post(hq, "Nouvelle collection à {city}", ["facebook"])
            news_fan_out = await distribute(hq, news["id"])

            async def fan_out_under_way():
                state = await fan_out_state(database, news_fan_out)
                return state["chunks_done"] > 0 and queued_jobs(redis, "proposals.fan_out_chunk:") > 0

            await until(fan_out_under_way, within=60, why=lambda: fan_out_state(database, news_fan_out),
                        workers=workers, every=0.02)
            lost_chunks = queued_jobs(redis, "proposals.fan_out_chunk:")
            private_redis.flush_and_restart()
            first_flush = time.monotonic()

            # 2. HQ approves the offer: a publishing run, Redis flushed once some posts are out.
            assert len(await approve_all(hq, offer)) == ON_X

            async def publishing_under_way():
                counts = await publication_counts(database)
                return counts.get("published", 0) >= 10 and queued_jobs(redis, "publishing.publish:") > 0

            await until(publishing_under_way, within=60, why=lambda: publication_counts(database), workers=workers,
                        every=0.02)
            lost_publications = queued_jobs(redis, "publishing.publish:")
            private_redis.flush_and_restart()
            second_flush = time.monotonic()

            finished: dict[str, float] = {}

            async def everything_done():
                if "fan-out" not in finished and (await fan_out_state(database, news_fan_out))["status"] == "done":
                    finished["fan-out"] = time.monotonic() - first_flush
                if "publishing" not in finished and await publication_counts(database) == {"published": ON_X}:
                    finished["publishing"] = time.monotonic() - second_flush
                return len(finished) == 2

            async def why():
                return f"{await fan_out_state(database, news_fan_out)} {await publication_counts(database)} {finished}"

            await until(everything_done, within=RECREATED_WITHIN + 50, why=why, workers=workers, every=0.5)
        finally:
            workers.stop()
        posts = x.all_posts()

    assert lost_chunks > 0 and lost_publications > 0, "the flushes lost no job: nothing was tested"
    # Re-created within two minutes, then run (a few seconds of work each).
    assert finished["fan-out"] < RECREATED_WITHIN + 15, finished
    assert finished["publishing"] < RECREATED_WITHIN + 25, finished
    assert await fan_out_state(database, news_fan_out) == {
        "status": "done", "done": LOCATIONS, "failed": 0, "chunks_done": LOCATIONS // CHUNK, "chunks_pending": 0,
        "proposals": LOCATIONS, "locations": LOCATIONS}
    # Each X account has exactly the one post of its location: none lost, none twice.
    assert posts_by_account(posts) == {user: 1 for user in users.values()}
    assert all(post.text.startswith("Vente privée à Ville") for post in posts)


async def _status(database, distribution_id: str, status: str) -> bool:
    return (await fan_out_state(database, distribution_id))["status"] == status
