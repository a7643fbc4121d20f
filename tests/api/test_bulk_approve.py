"""Bulk approve: a regional manager (or a multi-store owner) approves a whole selection at once."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from hub.accounts import service as accounts
from hub.audit.models import AuditEvent
from hub.brands.service import create_brand
from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from hub.publishing.models import Publication
from tests.factories import PASSWORD

LOCATIONS = 500


async def _network(database, settings, client_as):
    async with database.session() as session:
        brand, _ = await create_brand(session, "Bulk", "hq@bulk.test", PASSWORD)
    hq = await client_as("hq@bulk.test", PASSWORD)
    lines = ["code,name,region,country,locale,timezone,city"]
    lines += [f"B{index:04d},Store {index},{'north' if index % 2 else 'south'},FR,fr-FR,Europe/Paris,City{index}"
              for index in range(LOCATIONS)]
    await hq.post("/api/v1/locations/import", content="\n".join(lines).encode(), headers={"Content-Type": "text/csv"})
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "C"})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": "Hello {city}", "networks": ["facebook"]})).json()
    await hq.post(f"/api/v1/posts/{post['id']}/distribute")
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)
    return brand, hq


async def test_500_proposals_approved_in_one_action_under_two_seconds(database, settings, client_as):
    _, hq = await _network(database, settings, client_as)
    ids = [item["id"] for item in (await hq.get("/api/v1/proposals", params={"limit": 1000})).json()]
    assert len(ids) == LOCATIONS
    started = time.perf_counter()
    response = await hq.post("/api/v1/proposals/bulk-approve", json={"ids": ids})
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    assert len(response.json()["approved"]) == LOCATIONS and response.json()["skipped"] == []
    print(f"bulk approve of {LOCATIONS}: {elapsed:.3f}s")
    assert elapsed < 2.0, f"bulk approve of {LOCATIONS} took {elapsed:.2f}s"
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)
                                    .where(AuditEvent.action == "proposal.approved")) == LOCATIONS
        # The demo network has no social accounts here: nothing to schedule, nothing scheduled twice.
        assert await session.scalar(select(func.count()).select_from(Publication)) == 0
    again = (await hq.post("/api/v1/proposals/bulk-approve", json={"ids": ids[:3]})).json()
    assert again["approved"] == [] and {item["reason"] for item in again["skipped"]} == {"already_approved"}


async def test_only_proposals_in_scope_are_approved_and_the_rest_say_why(database, settings, client_as):
    brand, hq = await _network(database, settings, client_as)
    proposals = (await hq.get("/api/v1/proposals", params={"limit": 1000})).json()
    locations = {item["id"]: item for item in (await hq.get("/api/v1/locations", params={"limit": 1000})).json()}
    async with database.session() as session:
        user = await accounts.create_user(session, email="north@bulk.test", password=PASSWORD)
        await accounts.add_membership(session, user, brand.id, "regional_manager", regions=["north"])
    regional = await client_as("north@bulk.test", PASSWORD)
    north = [item["id"] for item in proposals if locations[item["location_id"]]["region"] == "north"]
    south = [item["id"] for item in proposals if locations[item["location_id"]]["region"] == "south"]
    result = (await regional.post("/api/v1/proposals/bulk-approve", json={"ids": north[:10] + south[:5] + ["nope"]})).json()
    assert sorted(result["approved"]) == sorted(north[:10])
    assert {item["id"]: item["reason"] for item in result["skipped"]} == {**{i: "not_found" for i in south[:5]},
                                                                          "nope": "not_found"}
    statuses = {item["id"]: item["status"] for item in (await hq.get("/api/v1/proposals", params={"limit": 1000})).json()}
    assert all(statuses[i] == "pending" for i in south[:5])


async def test_bad_selections_are_refused_and_change_nothing(database, settings, client_as):
    _, hq = await _network(database, settings, client_as)
    assert (await hq.post("/api/v1/proposals/bulk-approve", json={"ids": []})).status_code == 422
    response = await hq.post("/api/v1/proposals/bulk-approve", json={"ids": [str(i) for i in range(1001)]})
    assert response.status_code == 422 and "split" in response.json()["detail"]


async def test_every_decision_is_in_the_audit_log_with_before_and_after(database, settings, client_as):
    brand, hq = await _network(database, settings, client_as)
    [first, second] = (await hq.get("/api/v1/proposals", params={"limit": 2})).json()
    await hq.post(f"/api/v1/proposals/{first['id']}/approve")
    await hq.post(f"/api/v1/proposals/{second['id']}/reject", json={"reason": "legal", "comment": "mention"})
    events = (await hq.get("/api/v1/audit", params={"subject_type": "proposal"})).json()
    assert [(event["action"], event["subject_id"]) for event in events] == [
        ("proposal.rejected", second["id"]), ("proposal.approved", first["id"])]
    assert events[0]["before"] == {"status": "pending"}
    assert events[0]["after"] == {"status": "rejected", "reason": "legal", "comment": "mention"}
    me = (await hq.get("/api/v1/me")).json()
    assert {event["actor_id"] for event in events} == {me["id"]}
    # Another brand sees none of it; locals cannot read the log.
    async with database.session() as session:
        await create_brand(session, "Other", "hq@other-bulk.test", PASSWORD)
    other = await client_as("hq@other-bulk.test", PASSWORD)
    assert (await other.get("/api/v1/audit")).json() == []
