"""Two worker processes racing on the same distribution and the same due publications (every job
queued twice, as a redelivery does): no duplicate proposal or post, no lost update of the counters."""

from __future__ import annotations

import collections
from datetime import UTC, datetime

import pytest
from arq.jobs import Job
from sqlalchemy import select

from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from hub.publishing.models import Publication
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
from tests.workers.helpers import tail, worker_context
from workers.publishing import dispatch_due

pytestmark = pytest.mark.slow

LOCATIONS = 600
CHUNK = 50
ON_X = 100


async def test_two_workers_racing_on_the_same_jobs_create_and_send_everything_once(
        database, settings, client_as, worker_env, tmp_path, redis_pool, monkeypatch):
    monkeypatch.setattr(settings, "fanout_chunk_size", CHUNK)
    hq = await brand_with_locations(database, client_as, LOCATIONS)
    with XStandIn() as x:
        users = await connect_x_accounts(database, settings, x, ON_X)
        x.inject("latency", times=None, seconds=0.05)
        # The publications: an offer sent to the locations on X (fanned out here), approved by HQ, due now.
        offer = await new_post(hq, "Vente privée à {city} ce soir", ["x"])
        offer_fan_out = await distribute(hq, offer["id"], list(users))
        for chunk_id in await _chunks(database, offer_fan_out):
            async with database.session() as session:
                await fan_out_chunk(session, chunk_id)
        assert len(await approve_all(hq, offer)) == ON_X
        news = await new_post(hq, "Nouvelle collection à {city}", ["facebook"])
        news_fan_out = await distribute(hq, news["id"])
        # The publish jobs, as the dispatcher queues them; then every job in the queue twice, side by
        # side (the same payload under another id, as a redelivery does): one for each worker.
        assert await dispatch_due(worker_context(database, settings, redis_pool)) == ON_X
        jobs = await redis_pool.queued_jobs()
        for job in jobs:
            await redis_pool.enqueue_job(job.function, *job.args, _job_id=f"{job.job_id}:again", **job.kwargs,
                                         _defer_until=datetime.fromtimestamp(job.score / 1000, UTC))

        env = {**worker_env, "PIEUVRE_X_API_URL": x.url}
        first, second = Workers(env, _folder(tmp_path, "first")), Workers(env, _folder(tmp_path, "second"))
        try:
            first.start()
            second.start()

            async def finished():
                first.check()
                fan_out = await fan_out_state(database, news_fan_out)
                return fan_out["status"] == "done" and await publication_counts(database) == {"published": ON_X}

            async def where():
                return f"{await fan_out_state(database, news_fan_out)} {await publication_counts(database)}"

            await until(finished, within=120, why=where, workers=second)
        finally:
            first.stop()
            second.stop()
        posts = x.all_posts()

    # Every job and its copy ran to its end, both workers taking part in the races.
    for job in jobs:
        for job_id in (job.job_id, f"{job.job_id}:again"):
            result = await Job(job_id, redis_pool).result_info()
            assert result is not None and result.success, (job_id, result and result.result)
    for workers in (first, second):
        log = workers.log.read_text()
        assert "← proposals.fan_out_chunk:" in log and "← publishing.publish:" in log, tail(workers.log)
    assert await fan_out_state(database, news_fan_out) == {
        "status": "done", "done": LOCATIONS, "failed": 0, "chunks_done": LOCATIONS // CHUNK, "chunks_pending": 0,
        "proposals": LOCATIONS, "locations": LOCATIONS}
    async with database.session() as session:
        attempts = collections.Counter(await session.scalars(select(Publication.attempt)))
    assert attempts == {1: ON_X}  # each publication claimed once
    assert posts_by_account(posts) == {user: 1 for user in users.values()}


async def _chunks(database, distribution_id: str) -> list[str]:
    async with database.session() as session:
        return list(await session.scalars(select(DistributionChunk.id)
                                          .where(DistributionChunk.distribution_id == distribution_id)))


def _folder(root, name):
    folder = root / name
    folder.mkdir()
    return folder
