"""HQ's calendar at network scale: 10,000 locations on four clocks, 100,100 proposals, counted in SQL."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, text

from hub.calendars import service as calendars
from hub.campaigns.models import Campaign, Post, PostRevision
from hub.db import new_id, utcnow
from hub.locations.models import Location
from hub.proposals.models import Proposal
from tests.calendars.conftest import actor_of
from tests.conftest import BACKEND
from tests.factories import make_network

ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "Pacific/Auckland")
LOCATIONS = 10_000
POSTS = 10
# The HQ month view must answer well within a page load at this size (measured about 1.1 s on a 2-core machine).
BUDGET_SECONDS = 3.0


@pytest.mark.postgres_only
@pytest.mark.skipif(BACKEND != "postgres", reason="the scale measurement runs on PostgreSQL")
async def test_month_of_100k_proposals_is_counted_in_sql(database, settings):
    network = await make_network(database, settings, locations=0, networks=())
    now = utcnow()
    locations = [{"id": new_id(), "brand_id": network.brand_id, "code": f"L{index:05d}", "name": f"Location {index}",
                  "kind": "franchise", "region": f"r{index % 20}", "country": "FR", "locale": "fr-FR",
                  "timezone": ZONES[index % len(ZONES)], "variables": {}, "tags": [], "created_at": now}
                 for index in range(LOCATIONS)]
    campaign = {"id": new_id(), "brand_id": network.brand_id, "name": "Échelle", "target": {}, "created_at": now}
    posts, revisions, proposals = [], [], []
    for number in range(POSTS):
        post_id, revision_id = new_id(), new_id()
        posts.append({"id": post_id, "brand_id": network.brand_id, "campaign_id": campaign["id"], "current_revision": 1,
                      "status": "distributed", "created_at": now})
        wall = f"2027-03-{1 + 3 * number:02d}T10:00"
        revisions.append({"id": revision_id, "post_id": post_id, "number": 1, "body": "Bonjour", "networks": ["instagram"],
                          "publish_at_local": wall, "created_at": now})
        for index, location in enumerate(locations):
            moment = datetime.fromisoformat(wall).replace(tzinfo=ZoneInfo(location["timezone"]))
            proposals.append({
                "id": new_id(), "brand_id": network.brand_id, "campaign_id": campaign["id"], "post_id": post_id,
                "post_revision_id": revision_id, "revision": 1, "location_id": location["id"],
                "status": ("pending", "approved", "customized")[index % 3], "policy": "approval_required",
                "hq_texts": {"instagram": "Bonjour"}, "texts": {"instagram": "Bonjour"},
                "publish_at": moment.astimezone(UTC), "created_at": now,
            })
    # A second post the same day on Instagram for 100 locations: the conflicts HQ must see.
    extra_post, extra_revision = new_id(), new_id()
    posts.append({"id": extra_post, "brand_id": network.brand_id, "campaign_id": campaign["id"], "current_revision": 1,
                  "status": "distributed", "created_at": now})
    revisions.append({"id": extra_revision, "post_id": extra_post, "number": 1, "body": "Encore", "networks": ["instagram"],
                      "publish_at_local": "2027-03-01T18:00", "created_at": now})
    for location in locations[:100]:
        moment = datetime(2027, 3, 1, 18, 0, tzinfo=ZoneInfo(location["timezone"]))
        proposals.append({
            "id": new_id(), "brand_id": network.brand_id, "campaign_id": campaign["id"], "post_id": extra_post,
            "post_revision_id": extra_revision, "revision": 1, "location_id": location["id"], "status": "pending",
            "policy": "approval_required", "hq_texts": {"instagram": "Encore"}, "texts": {"instagram": "Encore"},
            "publish_at": moment.astimezone(UTC), "created_at": now,
        })
    async with database.session() as session:
        await session.execute(insert(Location), locations)
        await session.execute(insert(Campaign), [campaign])
        await session.execute(insert(Post), posts)
        await session.execute(insert(PostRevision), revisions)
        for start in range(0, len(proposals), 20_000):
            await session.execute(insert(Proposal), proposals[start:start + 20_000])
    async with database.session() as session:
        await session.execute(text("ANALYZE"))
    period = calendars.period("month", date(2027, 3, 15))
    async with database.session() as session:
        actor = await actor_of(session, network.hq_email)
        started = time.perf_counter()
        data = await calendars.network_calendar(session, actor, period.start, period.end)
        elapsed = time.perf_counter() - started
    print(f"\nHQ month view, {len(proposals)} proposals over {LOCATIONS} locations: {elapsed:.3f} s")
    assert sum(entry.locations for posts in data["days"].values() for entry in posts) == len(proposals)
    # 10:00 on each clock: every location on the post's own local day, whatever its offset.
    first = data["days"][date(2027, 3, 1)]
    assert [(entry.locations, entry.counts.get("approved")) for entry in first] == [(LOCATIONS, LOCATIONS // 3),
                                                                                   (100, None)]
    assert data["conflicts"] == {"instagram": 100}
    assert data["conflicts_by_day"] == {date(2027, 3, 1): {"instagram": 100}}
    assert elapsed < BUDGET_SECONDS
