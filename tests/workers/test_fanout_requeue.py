"""The fan-out reconciler: chunks the database says are unfinished are queued again when their job is
gone from Redis or its run ended without finishing them; a job still waiting is left alone."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from arq.constants import in_progress_key_prefix
from sqlalchemy import func, select, update

from hub.brands.service import create_brand
from hub.db import utcnow
from hub.proposals.models import Distribution, DistributionChunk, Proposal
from hub.proposals.service import FAN_OUT_JOB, fan_out_job_id
from tests.factories import PASSWORD
from tests.workers.helpers import run_burst_worker, worker_context
from workers.fanout import fan_out_chunk, requeue_lost_chunks
from workers.settings import run_workers

LOCATIONS = 30


async def _distribution_a_minute_old(database, settings, client_as) -> str:
    """A post sent to LOCATIONS locations, in 3 chunks queued in Redis, made two minutes ago."""
    async with database.session() as session:
        await create_brand(session, "Requeue", "hq@requeue.test", PASSWORD)
    hq = await client_as("hq@requeue.test", PASSWORD)
    lines = ["code,name,country,locale,timezone,city"]
    lines += [f"R{index:03d},Store {index},FR,fr-FR,Europe/Paris,Ville{index}" for index in range(LOCATIONS)]
    response = await hq.post("/api/v1/locations/import", content="\n".join(lines).encode(),
                             headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "C"})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={"body": "Bonjour {city}",
                                                                             "networks": ["x"]})).json()
    settings.fanout_chunk_size, size = 10, settings.fanout_chunk_size
    try:
        distribution_id = (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).json()["distribution_id"]
    finally:
        settings.fanout_chunk_size = size
    async with database.session() as session:
        await session.execute(update(Distribution).values(created_at=utcnow() - timedelta(minutes=2)))
    return distribution_id


async def _chunk_ids(database) -> list[str]:
    async with database.session() as session:
        return list(await session.scalars(select(DistributionChunk.id).order_by(DistributionChunk.number)))


async def _done(database, distribution_id: str) -> tuple[str, int, int]:
    async with database.session() as session:
        distribution = await session.get(Distribution, distribution_id)
        proposals = await session.scalar(select(func.count(func.distinct(Proposal.location_id))))
    return distribution.status, distribution.done, proposals


async def test_chunks_lost_with_redis_are_queued_again_and_finish(database, settings, client_as, redis_pool):
    distribution_id = await _distribution_a_minute_old(database, settings, client_as)
    await redis_pool.flushdb()  # Redis restarted empty: the three jobs are gone
    assert await requeue_lost_chunks(worker_context(database, settings, redis_pool)) == 3
    await run_burst_worker(settings)
    assert await _done(database, distribution_id) == ("done", LOCATIONS, LOCATIONS)
    assert await requeue_lost_chunks(worker_context(database, settings, redis_pool)) == 0


async def test_a_chunk_still_waiting_in_redis_is_not_queued_twice(database, settings, client_as, redis_pool):
    await _distribution_a_minute_old(database, settings, client_as)
    assert await requeue_lost_chunks(worker_context(database, settings, redis_pool)) == 0
    assert len([job for job in await redis_pool.queued_jobs() if job.function == FAN_OUT_JOB]) == 3


async def test_a_chunk_held_by_a_killed_worker_runs_again_at_once(database, settings, client_as, redis_pool):
    distribution_id = await _distribution_a_minute_old(database, settings, client_as)
    first, *others = await _chunk_ids(database)
    for chunk_id in others:
        await fan_out_chunk(worker_context(database, settings, redis_pool), chunk_id)
    # What a worker killed while running the first chunk leaves behind: its job in the queue with
    # arq's "in progress" mark, kept for the longest job timeout (15 minutes): no worker takes it.
    await redis_pool.set(in_progress_key_prefix + fan_out_job_id(first), b"1", px=15 * 60 * 1000)
    assert await _done(database, distribution_id) == ("running", LOCATIONS - 10, LOCATIONS - 10)
    assert await requeue_lost_chunks(worker_context(database, settings, redis_pool)) == 1
    # A worker (not a burst one: the held job never leaves the queue) finishes the distribution.
    worker = asyncio.create_task(run_workers(settings.redis_url, cron_jobs=[], poll_delay=0.05))
    try:
        for _ in range(300):
            if (await _done(database, distribution_id))[0] == "done":
                break
            await asyncio.sleep(0.1)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    assert await _done(database, distribution_id) == ("done", LOCATIONS, LOCATIONS)
