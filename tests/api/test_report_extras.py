"""What HQ reads to act: how fast locations decide, and which arms are silent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from hub.db import utcnow
from hub.proposals.models import Proposal
from tests.api.test_revisions import _setup


async def test_time_to_decision_counts_people_not_policies(database, settings, client_as):
    _, hq, campaign, _, locals_, proposals = await _setup(database, settings, client_as, "Bonjour {city}")
    for index in range(3):
        await locals_[index].post(f"/api/v1/proposals/{proposals[index]['id']}/approve")
    now = utcnow()
    async with database.session() as session:  # the three decisions took 30 min, 2 h and 5 days
        for index, delay in enumerate((timedelta(minutes=30), timedelta(hours=2), timedelta(days=5))):
            await session.execute(update(Proposal).where(Proposal.id == proposals[index]["id"])
                                  .values(created_at=now - delay, decided_at=now))
    report = (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()["time_to_decision"]
    assert report["decisions"] == 3 and report["median_hours"] == 2.0
    assert report["buckets"] == {"under_1h": 1, "1h_4h": 1, "4h_24h": 0, "1d_3d": 0, "over_3d": 1}


async def test_silent_arms_are_the_locations_that_decide_nothing(database, settings, client_as):
    network, hq, _, _, locals_, proposals = await _setup(database, settings, client_as, "Bonjour {city}")
    await locals_[0].post(f"/api/v1/proposals/{proposals[0]['id']}/approve")
    silent = (await hq.get("/api/v1/reports/silent-arms", params={"days": 14})).json()
    codes = [item["code"] for item in silent]
    assert network.locations[0].code not in codes  # it decided, and nothing of it is waiting
    assert sorted(codes) == sorted(location.code for location in network.locations[1:])
    assert all(item["pending"] == 1 and item["last_decision_at"] is None for item in silent)
    local = locals_[1]
    assert (await local.get("/api/v1/reports/silent-arms")).status_code == 403
