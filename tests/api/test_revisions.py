"""A new revision of a post, and posts whose locations fill only the slots HQ declared."""

from __future__ import annotations

from sqlalchemy import select

from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from hub.publishing import service as publishing
from hub.publishing.models import Publication
from tests.factories import PASSWORD, make_network


async def _fan_out(database):
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id).where(DistributionChunk.status == "pending")))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)


async def _setup(database, settings, client_as, body, locations=5, **post):
    network = await make_network(database, settings, locations=locations, networks=("facebook",))
    hq = await client_as(network.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "C"})).json()
    response = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                             json={"body": body, "networks": ["facebook"], **post})
    assert response.status_code == 201, response.text
    created = response.json()
    await hq.post(f"/api/v1/posts/{created['id']}/distribute")
    await _fan_out(database)
    locals_ = [await client_as(network.local_emails[location.id], PASSWORD) for location in network.locations]
    proposals = [(await local.get("/api/v1/proposals")).json()[0] for local in locals_]
    return network, hq, campaign, created, locals_, proposals


class TestNewRevision:
    async def test_each_proposal_follows_the_rules_of_its_state(self, database, settings, client_as):
        network, hq, campaign, post, locals_, proposals = await _setup(
            database, settings, client_as, "Bonjour {city}, venez nous voir.")
        pending, approved, customized, published, rejected = range(5)
        await locals_[approved].post(f"/api/v1/proposals/{proposals[approved]['id']}/approve")
        await locals_[customized].post(f"/api/v1/proposals/{proposals[customized]['id']}/customize",
                                       json={"texts": {"facebook": "Chez nous à {city}, on vous attend !"}})
        await locals_[published].post(f"/api/v1/proposals/{proposals[published]['id']}/approve")
        await locals_[rejected].post(f"/api/v1/proposals/{proposals[rejected]['id']}/reject", json={"reason": "legal"})
        async with database.session() as session:
            [publication_id] = list(await session.scalars(select(Publication.id).where(
                Publication.proposal_id == proposals[published]["id"])))
        assert await publishing.publish(database, settings, publication_id) == "published"

        response = await hq.put(f"/api/v1/posts/{post['id']}", json={
            "body": "Bonjour {city}, venez essayer nos vélos.", "networks": ["facebook"]})
        assert response.status_code == 200, response.text
        assert response.json()["revision"] == 2 and response.json()["distribution_id"]
        await _fan_out(database)

        now = [(await local.get("/api/v1/proposals")).json() for local in locals_]
        # Pending: re-rendered with HQ's new text, still waiting.
        [item] = now[pending]
        assert (item["revision"], item["status"]) == (2, "pending")
        assert item["texts"]["facebook"] == "Bonjour Ville0, venez essayer nos vélos."
        # Approved but not out yet: re-rendered, still approved, its publication follows the new text.
        [item] = now[approved]
        assert (item["revision"], item["status"], item["texts"]["facebook"]) == (
            2, "approved", "Bonjour Ville1, venez essayer nos vélos.")
        # Customized: the local text stays, flagged with HQ's change word by word, back to the location.
        [item] = now[customized]
        assert (item["revision"], item["status"], item["hq_changed"]) == (2, "pending", True)
        assert item["texts"]["facebook"] == "Chez nous à Ville2, on vous attend !"
        diff = item["hq_diff"]["facebook"]
        assert "".join(text for op, text in diff if op != "insert") == "Bonjour Ville2, venez nous voir."
        assert "".join(text for op, text in diff if op != "delete") == "Bonjour Ville2, venez essayer nos vélos."
        assert {text for op, text in diff if op == "delete"} == {"nous", "voir"}
        # Published and rejected ones stay as they are.
        assert [(p["revision"], p["status"]) for p in now[published]] == [(1, "approved")]
        assert [(p["revision"], p["status"]) for p in now[rejected]] == [(1, "rejected")]

        # The customized location confirms its wording: approved as customized.
        response = await locals_[customized].post(f"/api/v1/proposals/{now[customized][0]['id']}/approve")
        assert response.json()["status"] == "customized" and response.json()["hq_changed"] is False

        async with database.session() as session:
            rows = (await session.execute(select(Publication.proposal_id, Publication.status))).all()
        by_proposal = {proposal_id: status for proposal_id, status in rows}
        assert by_proposal[proposals[approved]["id"]] == "cancelled"
        assert by_proposal[now[approved][0]["id"]] == "scheduled"
        assert by_proposal[proposals[published]["id"]] == "published"

        report = (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()["funnel"]
        assert report["proposed"] == 5  # one per location, earlier revisions not counted twice

    async def test_applying_the_revision_twice_changes_nothing_more(self, database, settings, client_as):
        _, hq, _, post, locals_, proposals = await _setup(database, settings, client_as, "Bonjour {city}")
        await hq.put(f"/api/v1/posts/{post['id']}", json={"body": "Salut {city}", "networks": ["facebook"]})
        async with database.session() as session:
            chunk_ids = list(await session.scalars(select(DistributionChunk.id).where(DistributionChunk.status == "pending")))
        for _ in range(2):
            for chunk_id in chunk_ids:
                async with database.session() as session:
                    await session.execute(DistributionChunk.__table__.update()
                                          .where(DistributionChunk.id == chunk_id).values(status="pending"))
                async with database.session() as session:
                    await fan_out_chunk(session, chunk_id)
        items = (await hq.get("/api/v1/proposals")).json()
        assert len(items) == 5 and {item["revision"] for item in items} == {2}
        superseded = (await hq.get("/api/v1/proposals", params={"status": "superseded"})).json()
        assert len(superseded) == 5

    async def test_a_second_send_queued_before_the_first_ran_still_supersedes_it(self, database, settings, client_as):
        # The first send's chunks skip reading earlier proposals (there are none); the second's must not,
        # though when it was queued the post had no proposal yet either.
        network = await make_network(database, settings, locations=3, networks=("facebook",))
        hq = await client_as(network.hq_email, PASSWORD)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "C"})).json()
        post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                              json={"body": "Bonjour {city}", "networks": ["facebook"]})).json()
        first = (await hq.post(f"/api/v1/posts/{post['id']}/distribute")).json()["distribution_id"]
        response = await hq.put(f"/api/v1/posts/{post['id']}", json={"body": "Salut {city}", "networks": ["facebook"]})
        assert response.json()["revision"] == 2 and response.json()["distribution_id"] is None  # nothing sent yet
        second = (await hq.post(f"/api/v1/posts/{post['id']}/distribute")).json()["distribution_id"]
        for distribution_id in (first, second):
            async with database.session() as session:
                chunk_ids = list(await session.scalars(select(DistributionChunk.id).where(
                    DistributionChunk.distribution_id == distribution_id)))
            for chunk_id in chunk_ids:
                async with database.session() as session:
                    await fan_out_chunk(session, chunk_id)
        items = (await hq.get("/api/v1/proposals")).json()
        assert sorted((item["revision"], item["texts"]["facebook"]) for item in items) == [
            (2, "Salut Ville0"), (2, "Salut Ville1"), (2, "Salut Ville2")]
        superseded = (await hq.get("/api/v1/proposals", params={"status": "superseded"})).json()
        assert {item["revision"] for item in superseded} == {1} and len(superseded) == 3

    async def test_a_revision_that_breaks_a_rule_is_refused_and_nothing_changes(self, database, settings, client_as):
        _, hq, _, post, _, _ = await _setup(database, settings, client_as, "Bonjour {city}")
        response = await hq.put(f"/api/v1/posts/{post['id']}", json={"body": "x" * 300, "networks": ["x"]})
        assert response.status_code == 422
        assert (await hq.get(f"/api/v1/posts/{post['id']}")).json()["revision"] == 1


class TestSlots:
    async def test_locations_write_only_the_declared_slots_within_their_limits(self, database, settings, client_as):
        _, hq, _, post, locals_, proposals = await _setup(
            database, settings, client_as, "Bonjour {city} ! Cette semaine : [[offer]].", locations=2,
            editable="slots", slots={"offer": {"max_length": 30, "default": "café offert"}})
        assert proposals[0]["texts"]["facebook"] == "Bonjour Ville0 ! Cette semaine : café offert."
        url = f"/api/v1/proposals/{proposals[0]['id']}/customize"
        refused = await locals_[0].post(url, json={"texts": {"facebook": "Tout autre chose"}})
        assert refused.status_code == 403 and "offer" in refused.json()["detail"]
        too_long = await locals_[0].post(url, json={"slots": {"offer": "x" * 31}})
        assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "slots.offer"
        unknown = await locals_[0].post(url, json={"slots": {"price": "1 €"}})
        assert unknown.status_code == 422
        done = await locals_[0].post(url, json={"slots": {"offer": "-20 % sur les casques"}})
        assert done.status_code == 200, done.text
        assert done.json()["texts"]["facebook"] == "Bonjour Ville0 ! Cette semaine : -20 % sur les casques."
        assert done.json()["status"] == "customized"

    async def test_slots_must_match_the_text(self, database, settings, client_as):
        network = await make_network(database, settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "C"})).json()
        url = f"/api/v1/campaigns/{campaign['id']}/posts"
        for body in ({"body": "Hi [[offer]]", "networks": ["facebook"], "editable": "slots", "slots": {}},
                     {"body": "Hi", "networks": ["facebook"], "editable": "slots", "slots": {"offer": {"max_length": 5}}},
                     {"body": "Hi [[offer]]", "networks": ["facebook"]}):
            response = await hq.post(url, json=body)
            assert response.status_code == 422, body
