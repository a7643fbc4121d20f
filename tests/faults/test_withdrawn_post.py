"""A post HQ withdraws one second before its due time is not published, while another post due at the
same second goes out from the same running worker."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.db import utcnow
from hub.proposals.models import Proposal
from hub.publishing.models import Publication
from tests.faults.scenario import (
    Workers,
    brand_with_locations,
    connect_x_accounts,
    distribute,
    fan_out_state,
    new_post,
    until,
)
from tests.standins.x import XStandIn

pytestmark = pytest.mark.slow

LOCATIONS = 5


async def test_a_post_withdrawn_a_second_before_its_time_is_not_published(
        database, settings, client_as, worker_env, tmp_path):
    hq = await brand_with_locations(database, client_as, LOCATIONS)
    with XStandIn() as x:
        users = await connect_x_accounts(database, settings, x, LOCATIONS)
        workers = Workers({**worker_env, "PIEUVRE_X_API_URL": x.url}, tmp_path)
        try:
            workers.start()
            due = utcnow().replace(microsecond=0) + timedelta(seconds=20)
            withdrawn = await new_post(hq, "Soldes à {city} !", ["x"], policy="auto_publish", publish_at=due.isoformat())
            kept = await new_post(hq, "Brocante à {city} !", ["x"], policy="auto_publish", publish_at=due.isoformat())
            for post in (withdrawn, kept):
                distribution_id = await distribute(hq, post["id"])
                await until(lambda: _done(database, distribution_id), within=15,
                            why=lambda: fan_out_state(database, distribution_id), workers=workers)
            assert await _statuses(database, withdrawn["id"]) == {"scheduled": LOCATIONS}

            await asyncio.sleep((due - timedelta(seconds=1) - utcnow()).total_seconds())
            response = await hq.post(f"/api/v1/posts/{withdrawn['id']}/withdraw")
            assert utcnow() < due, "the withdrawal came too late for this test: the machine is too slow"
            # The worker's dispatch has run past the due time once the other post is out.
            await until(lambda: _all_published(database, kept["id"]), within=30,
                        why=lambda: _statuses(database, kept["id"]), workers=workers)
        finally:
            workers.stop()
        texts = sorted(post.text for post in x.all_posts())

    assert response.status_code == 200, response.text
    assert {key: response.json()[key] for key in ("status", "withdrawn", "already_out")} == {
        "status": "withdrawn", "withdrawn": LOCATIONS, "already_out": 0}
    assert await _statuses(database, withdrawn["id"]) == {"cancelled": LOCATIONS}
    async with database.session() as session:
        proposals = set(await session.scalars(select(Proposal.status).where(Proposal.post_id == withdrawn["id"])))
    assert proposals == {"withdrawn"}
    assert texts == sorted(f"Brocante à Ville{index} !" for index in range(len(users)))


async def _done(database, distribution_id: str) -> bool:
    return (await fan_out_state(database, distribution_id))["status"] == "done"


async def _statuses(database, post_id: str) -> dict[str, int]:
    """The post's publications by status."""
    async with database.session() as session:
        statuses = list(await session.scalars(
            select(Publication.status).join(Proposal, Proposal.id == Publication.proposal_id)
            .where(Proposal.post_id == post_id)))
    return {status: statuses.count(status) for status in set(statuses)}


async def _all_published(database, post_id: str) -> bool:
    return await _statuses(database, post_id) == {"published": LOCATIONS}
