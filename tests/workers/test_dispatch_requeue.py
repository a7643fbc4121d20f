"""A publish job lost after it was queued (worker killed, Redis flushed) is re-created from the
database within two minutes, under a new job id; one that is merely waiting is not queued twice sooner."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hub.db import utcnow
from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from hub.publishing.models import Publication
from hub.publishing.service import queue_due
from tests.factories import PASSWORD, make_network

DISPATCH_EVERY = timedelta(seconds=5)  # workers/settings.py: publishing.dispatch_due


async def _due_publication(database, settings, client_as) -> str:
    network = await make_network(database, settings, locations=1, networks=("facebook",))
    hq = await client_as(network.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "C", "approval_policy": "auto_publish"})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": "Bonjour {city}", "networks": ["facebook"]})).json()
    assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).status_code == 202
    async with database.session() as session:
        [chunk_id] = await session.scalars(select(DistributionChunk.id))
    async with database.session() as session:
        await fan_out_chunk(session, chunk_id)
    async with database.session() as session:
        return await session.scalar(select(Publication.id))


async def _queue(database, now) -> list[tuple[str, float]]:
    async with database.session() as session:
        return [(publication_id, queued_at.timestamp()) for publication_id, queued_at in await queue_due(session, now)]


async def test_a_lost_publish_job_is_queued_again_within_two_minutes_under_a_new_id(database, settings, client_as):
    publication_id = await _due_publication(database, settings, client_as)
    queued_at = utcnow()
    assert await _queue(database, queued_at) == [(publication_id, queued_at.timestamp())]
    # Its job waits in Redis (or was lost there): the next dispatches leave it alone for a while...
    assert await _queue(database, queued_at + timedelta(seconds=60)) == []
    # ...and the last dispatch before two minutes are up queues it again, with a new queued_at (the job id's end).
    again = queued_at + timedelta(minutes=2) - DISPATCH_EVERY
    assert await _queue(database, again) == [(publication_id, again.timestamp())]
