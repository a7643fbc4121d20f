"""A fan-out job may run twice, or on two workers at once: each location still gets exactly one proposal."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from hub.proposals.models import Distribution, DistributionChunk, Proposal
from hub.proposals.service import FAN_OUT_JOB, fan_out_chunk
from tests.factories import PASSWORD
from tests.workers.helpers import run_burst_worker

LOCATIONS = 600


async def _network_with_post(database, settings, client_as, client):
    from hub.brands.service import create_brand

    async with database.session() as session:
        await create_brand(session, "Fan-out", "hq@fanout.test", PASSWORD)
    hq = await client_as("hq@fanout.test", PASSWORD)
    lines = ["code,name,country,locale,timezone,city"]
    lines += [f"L{index:04d},Store {index},FR,fr-FR,Europe/Paris,City{index}" for index in range(LOCATIONS)]
    response = await hq.post("/api/v1/locations/import", content="\n".join(lines).encode(),
                             headers={"Content-Type": "text/csv"})
    assert response.json()["created"] == LOCATIONS, response.text
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "C"})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": "Hello {city}", "networks": ["facebook", "x"]})).json()
    return hq, post


async def _state(database, distribution_id):
    async with database.session() as session:
        proposals = await session.scalar(select(func.count()).select_from(Proposal))
        distinct = await session.scalar(select(func.count(func.distinct(Proposal.location_id))))
        distribution = await session.get(Distribution, distribution_id)
        return proposals, distinct, distribution.done, distribution.status


async def test_each_chunk_run_twice_in_a_row_creates_nothing_twice(database, settings, client_as, client):
    hq, post = await _network_with_post(database, settings, client_as, client)
    distribution_id = (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).json()["distribution_id"]
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id).order_by(DistributionChunk.number)))
    assert len(chunk_ids) == 3  # 600 locations in chunks of 250
    for chunk_id in chunk_ids:
        for _ in range(2):
            async with database.session() as session:
                await fan_out_chunk(session, chunk_id)
    assert await _state(database, distribution_id) == (LOCATIONS, LOCATIONS, LOCATIONS, "done")


async def test_two_workers_racing_on_duplicated_jobs(database, settings, client_as, client, redis_pool):
    hq, post = await _network_with_post(database, settings, client_as, client)
    distribution_id = (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).json()["distribution_id"]
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
    # Redelivery: the same chunks queued again under other ids, as after a Redis restart.
    for chunk_id in chunk_ids:
        await redis_pool.enqueue_job(FAN_OUT_JOB, chunk_id, _job_id=f"again:{chunk_id}")
    await asyncio.gather(run_burst_worker(settings), run_burst_worker(settings))
    assert await _state(database, distribution_id) == (LOCATIONS, LOCATIONS, LOCATIONS, "done")


async def test_the_same_chunk_at_the_same_instant_on_two_connections(database, settings, client_as, client):
    hq, post = await _network_with_post(database, settings, client_as, client)
    distribution_id = (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).json()["distribution_id"]
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))

    async def run(chunk_id: str) -> None:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)

    await asyncio.gather(*(run(chunk_id) for chunk_id in chunk_ids for _ in range(2)))
    assert await _state(database, distribution_id) == (LOCATIONS, LOCATIONS, LOCATIONS, "done")
