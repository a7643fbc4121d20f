"""Publishing exactly once: atomic claims, decisions that win until the last moment, reconciliation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from hub.db import utcnow
from hub.proposals.models import DistributionChunk, Proposal
from hub.proposals.service import apply_deadlines, fan_out_chunk
from hub.publishing import service as publishing
from hub.publishing.models import Publication, SandboxPost
from tests.factories import PASSWORD, make_network


async def _send(database, settings, client_as, *, policy="approval_required", deadline=None, locations=2,
                publish_at=None):
    network = await make_network(database, settings, locations=locations, networks=("facebook",))
    hq = await client_as(network.hq_email, PASSWORD)
    body = {"name": "C", "approval_policy": policy}
    if deadline:
        body["decision_deadline"] = deadline.isoformat()
    campaign = (await hq.post("/api/v1/campaigns", json=body)).json()
    post_body = {"body": "Hi {city}", "networks": ["facebook"]}
    if publish_at:
        post_body["publish_at"] = publish_at.isoformat()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json=post_body)).json()
    assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).status_code == 202
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)
    return network


async def _publications(database):
    async with database.session() as session:
        return list(await session.scalars(select(Publication).order_by(Publication.created_at)))


async def _sandbox_count(database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(SandboxPost))


class TestExactlyOnce:
    async def test_two_workers_publishing_the_same_publication_send_it_once(self, database, settings, client_as):
        await _send(database, settings, client_as, policy="auto_publish", locations=1)
        [publication] = await _publications(database)
        results = await asyncio.gather(*(publishing.publish(database, settings, publication.id) for _ in range(4)))
        assert sorted(results) == ["published", "skipped", "skipped", "skipped"]
        assert await _sandbox_count(database) == 1
        [publication] = await _publications(database)
        assert (publication.status, publication.attempt) == ("published", 1)

    async def test_the_same_publication_twice_in_one_batch_is_sent_once(self, database, settings, client_as):
        # A job redelivered while the first is still waiting for a slot: both land in the lane's same claim.
        await _send(database, settings, client_as, policy="auto_publish", locations=1)
        [publication] = await _publications(database)
        results = await publishing.publish_many(database, settings, [publication.id, publication.id])
        assert sorted(results) == ["published", "skipped"]
        assert await _sandbox_count(database) == 1

    async def test_a_publication_is_not_sent_before_its_time(self, database, settings, client_as):
        publish_at = utcnow() + timedelta(hours=2)
        await _send(database, settings, client_as, policy="auto_publish", locations=1, publish_at=publish_at)
        [publication] = await _publications(database)
        assert publication.due_at == publish_at
        async with database.session() as session:
            assert await publishing.queue_due(session, utcnow()) == []
        assert await publishing.publish(database, settings, publication.id) == "skipped"
        assert await publishing.publish(database, settings, publication.id, now=publish_at) == "published"

    async def test_a_withdrawal_just_before_sending_wins(self, database, settings, client_as):
        await _send(database, settings, client_as, policy="auto_publish", locations=1)
        [publication] = await _publications(database)
        # HQ withdrew the post after the publication was queued but before the worker claimed it.
        async with database.session() as session:
            await session.execute(update(Proposal).values(status="withdrawn"))
        assert await publishing.publish(database, settings, publication.id) == "cancelled"
        assert await _sandbox_count(database) == 0

    async def test_a_location_can_cancel_an_auto_published_proposal_until_it_goes_out(self, database, settings, client_as):
        network = await _send(database, settings, client_as, policy="auto_publish", locations=1,
                              publish_at=utcnow() + timedelta(hours=1))
        local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
        [proposal] = (await local.get("/api/v1/proposals")).json()
        assert proposal["status"] == "auto_approved"
        response = await local.post(f"/api/v1/proposals/{proposal['id']}/reject", json={"reason": "wrong_timing"})
        assert response.status_code == 200
        [publication] = await _publications(database)
        assert publication.status == "cancelled"
        assert await publishing.publish(database, settings, publication.id, now=utcnow() + timedelta(hours=2)) == "skipped"
        assert await _sandbox_count(database) == 0

    async def test_once_published_it_cannot_be_cancelled(self, database, settings, client_as):
        network = await _send(database, settings, client_as, policy="auto_publish", locations=1)
        [publication] = await _publications(database)
        assert await publishing.publish(database, settings, publication.id) == "published"
        local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
        [proposal] = (await local.get("/api/v1/proposals")).json()
        response = await local.post(f"/api/v1/proposals/{proposal['id']}/reject", json={"reason": "other"})
        assert response.status_code == 409
        assert "no longer be cancelled" in response.json()["detail"]


class TestReconcile:
    async def test_a_worker_that_died_after_sending_is_settled_without_a_second_post(self, database, settings, client_as):
        await _send(database, settings, client_as, policy="auto_publish", locations=1)
        [publication] = await _publications(database)
        assert await publishing.publish(database, settings, publication.id) == "published"
        # Simulate the crash: the post reached the sandbox feed, but the worker died before recording it.
        async with database.session() as session:
            await session.execute(update(Publication).values(status="publishing", external_id=None, published_at=None,
                                                             claimed_at=utcnow() - timedelta(minutes=20)))
        counts = await publishing.reconcile(database, settings)
        assert counts == {"published": 1, "rescheduled": 0, "unsettled": 0}
        [publication] = await _publications(database)
        assert publication.status == "published" and publication.external_id
        assert await _sandbox_count(database) == 1

    async def test_a_worker_that_died_before_sending_is_rescheduled_and_sent_once(self, database, settings, client_as):
        await _send(database, settings, client_as, policy="auto_publish", locations=1)
        [publication] = await _publications(database)
        async with database.session() as session:
            await session.execute(update(Publication).values(status="publishing",
                                                             claimed_at=utcnow() - timedelta(minutes=20)))
        assert await publishing.reconcile(database, settings) == {"published": 0, "rescheduled": 1, "unsettled": 0}
        assert await publishing.publish(database, settings, publication.id) == "published"
        assert await _sandbox_count(database) == 1


class TestPolicies:
    async def test_auto_publish_approves_on_arrival(self, database, settings, client_as):
        await _send(database, settings, client_as, policy="auto_publish", locations=3)
        async with database.session() as session:
            statuses = list(await session.scalars(select(Proposal.status)))
        assert statuses == ["auto_approved"] * 3
        assert [p.status for p in await _publications(database)] == ["scheduled"] * 3

    async def test_opt_out_approves_at_the_deadline_unless_rejected(self, database, settings, client_as):
        deadline = utcnow() + timedelta(days=1)
        network = await _send(database, settings, client_as, policy="opt_out", deadline=deadline, locations=3)
        local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
        [proposal] = (await local.get("/api/v1/proposals")).json()
        await local.post(f"/api/v1/proposals/{proposal['id']}/reject", json={"reason": "not_relevant"})
        async with database.session() as session:
            assert await apply_deadlines(session, deadline - timedelta(seconds=1)) == {"auto_approved": 0, "expired": 0}
        async with database.session() as session:
            assert await apply_deadlines(session, deadline) == {"auto_approved": 2, "expired": 0}
        async with database.session() as session:
            assert await apply_deadlines(session, deadline) == {"auto_approved": 0, "expired": 0}
        assert len(await _publications(database)) == 2

    async def test_approval_required_expires_at_the_deadline(self, database, settings, client_as):
        deadline = utcnow() + timedelta(days=1)
        await _send(database, settings, client_as, policy="approval_required", deadline=deadline, locations=2)
        async with database.session() as session:
            assert await apply_deadlines(session, deadline) == {"auto_approved": 0, "expired": 2}
        assert await _publications(database) == []
