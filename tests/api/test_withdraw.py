"""HQ withdraws a post: what has not gone out is cancelled, what is out stays, and the post cannot be sent again."""

from __future__ import annotations

from sqlalchemy import select

from hub.proposals.models import DistributionChunk, Proposal
from hub.proposals.service import fan_out_chunk
from hub.publishing import service as publishing
from hub.publishing.models import Publication, SandboxPost
from tests.factories import PASSWORD, make_network


async def _sent(database, settings, client_as, locations: int = 3):
    """An auto-published post sent to `locations` locations (on their sandbox Facebook); HQ's client, the post."""
    network = await make_network(database, settings, locations=locations, networks=("facebook",))
    hq = await client_as(network.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "C", "approval_policy": "auto_publish"})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": "Soldes à {city}", "networks": ["facebook"]})).json()
    assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).status_code == 202
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)
    return network, hq, post


async def _statuses(database, model, column) -> list[str]:
    async with database.session() as session:
        return sorted(await session.scalars(select(column).select_from(model)))


async def test_withdrawing_cancels_what_has_not_gone_out_and_keeps_what_has(database, settings, client_as):
    network, hq, post = await _sent(database, settings, client_as)
    first, *_ = await _statuses(database, Publication, Publication.id)
    assert await publishing.publish(database, settings, first) == "published"
    response = await hq.post(f"/api/v1/posts/{post['id']}/withdraw")
    assert response.status_code == 200, response.text
    assert {key: response.json()[key] for key in ("status", "withdrawn", "already_out")} == {
        "status": "withdrawn", "withdrawn": 2, "already_out": 1}
    assert await _statuses(database, Publication, Publication.status) == ["cancelled", "cancelled", "published"]
    assert await _statuses(database, Proposal, Proposal.status) == ["auto_approved", "withdrawn", "withdrawn"]
    # Nothing more goes out, even from a job queued before the withdrawal.
    for publication_id in await _statuses(database, Publication, Publication.id):
        assert await publishing.publish(database, settings, publication_id) == "skipped"
    async with database.session() as session:
        assert len(list(await session.scalars(select(SandboxPost.id)))) == 1
    # Withdrawn for good: it cannot be sent or changed again, and withdrawing again changes nothing.
    assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).status_code == 409
    again = await hq.post(f"/api/v1/posts/{post['id']}/withdraw")
    assert (again.json()["withdrawn"], again.json()["already_out"]) == (0, 1)


async def test_only_hq_withdraws_a_post(database, settings, client_as):
    network, hq, post = await _sent(database, settings, client_as, locations=1)
    local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
    response = await local.post(f"/api/v1/posts/{post['id']}/withdraw")
    assert response.status_code == 404, response.text  # a location does not see HQ's posts
    assert await _statuses(database, Publication, Publication.status) == ["scheduled"]


async def test_a_post_withdrawn_while_it_is_being_sent_reaches_no_more_locations(database, settings, client_as):
    network = await make_network(database, settings, locations=3, networks=("facebook",))
    hq = await client_as(network.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "C", "approval_policy": "auto_publish"})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": "Soldes à {city}", "networks": ["facebook"]})).json()
    distribution_id = (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).json()["distribution_id"]
    # Withdrawn before the fan-out job ran.
    assert (await hq.post(f"/api/v1/posts/{post['id']}/withdraw")).json()["withdrawn"] == 0
    async with database.session() as session:
        [chunk_id] = await session.scalars(select(DistributionChunk.id))
    async with database.session() as session:
        await fan_out_chunk(session, chunk_id)
    assert await _statuses(database, Proposal, Proposal.status) == []
    assert await _statuses(database, Publication, Publication.status) == []
    progress = (await hq.get(f"/api/v1/distributions/{distribution_id}")).json()
    assert (progress["status"], progress["done"], progress["failed"]) == ("done", 3, 0)
