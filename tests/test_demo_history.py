"""The demo's six months of history: what someone trying Pieuvre sees on the stats pages at first start."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from hub.accounts.models import User
from hub.accounts.service import actor_for
from hub.brands.models import Brand
from hub.campaigns.models import Campaign, Post
from hub.campaigns.schemas import Target
from hub.campaigns.service import get_post
from hub.db import utcnow
from hub.demo import DEMO_NETWORKS, DEMO_PASSWORD, DEMO_SLUG, HQ_EMAIL, seed_demo
from hub.demo_history import CAMPAIGNS, EAGER, FACEBOOK_STARS, SILENT, decide
from hub.locations.models import Location
from hub.proposals import service as proposals
from hub.proposals.models import DistributionChunk, Proposal
from hub.publishing.models import Publication, SandboxPost, SocialAccount
from hub.stats.models import AccountDay, LocationScore, Scoreboard, StatSnapshot

PAST_NAMES = {campaign.name for campaign in CAMPAIGNS}


async def _seed(database, settings) -> str:
    async with database.session() as session:
        assert await seed_demo(session, settings)
    async with database.session() as session:
        return await session.scalar(select(Brand.id).where(Brand.slug == DEMO_SLUG))


def test_each_location_keeps_its_habits():
    now = utcnow()
    sent = [now - timedelta(days=days) for days in (150, 80, 30, 2)]
    stories = {code: [decide(code, index, at, now) for index, at in enumerate(sent)]
               for code in (*EAGER, *SILENT, "FR-PAR")}
    # The same story every time the demo is seeded.
    assert stories == {code: [decide(code, index, at, now) for index, at in enumerate(sent)] for code in stories}
    for code in EAGER:
        assert all(decision and decision.kind != "reject" and decision.at - at < timedelta(hours=6)
                   for decision, at in zip(stories[code], sent))
    for code in SILENT:
        # Nothing decided in the last weeks: they are the network's silent arms.
        assert stories[code][2:] == [None, None]


async def test_the_network_page_is_filled_at_first_start(database, settings, client_as):
    brand_id = await _seed(database, settings)
    async with database.session() as session:
        stored = await session.get(Scoreboard, brand_id)
        scores = {score.data["code"]: score.data for score in await session.scalars(select(LocationScore))}
    assert stored is not None, "the demo computes the scoreboard itself, the network page is never empty"
    hq = await client_as(HQ_EMAIL, DEMO_PASSWORD)
    board = (await hq.get("/api/v1/reports/network")).json()

    months = [month for month in board["adoption_by_month"] if month["publication_rate"] is not None]
    assert len(months) >= 6
    assert all(0.5 <= month["publication_rate"] < 1 and month["targeted_locations"] == 31 for month in months)
    assert all(month["median_decision_hours"] and month["decided"] < month["proposals"] for month in months)
    assert all(0 < month["customized_share"] < 0.5 and month["rejected_share"] < 0.3 for month in months)
    assert sum(board["rejected_by_reason"].values()) >= 10 and len(board["rejected_by_reason"]) >= 3

    assert len(board["top_posts"]) >= 5 and {post["campaign"] for post in board["top_posts"]} <= PAST_NAMES
    assert len(board["top_locations"]) >= 5
    silent = {arm["code"] for arm in board["silent_arms"]}
    assert set(SILENT) <= silent and not silent & set(EAGER)

    facebook = [month for month in board["facebook_by_month"] if month["locations"]]
    assert len(facebook) >= 6
    very_good = [month for month in facebook if month["very_good_locations"]]
    assert len(very_good) >= 4, facebook
    # A mark a few locations reach, not the whole network.
    assert all(month["very_good_locations"] <= len(FACEBOOK_STARS) < month["locations"] for month in facebook)
    assert all(month["engagement_rate"] < 0.04 for month in facebook)

    for network in DEMO_NETWORKS:
        followers = [month["followers"] for month in board["followers_by_month"] if month["network"] == network]
        assert len(followers) >= 6 and followers == sorted(followers) and followers[0] > 0
    assert {row["network"] for row in board["engagement_by_month"]} == set(DEMO_NETWORKS)

    # Eager locations publish everything they are sent but what goes out tomorrow; silent arms rarely decide.
    assert all(scores[code]["publication_rate"] >= 0.8 and scores[code]["customized_share"] > 0 for code in EAGER)
    assert all(scores[code]["publication_rate"] <= 0.3 for code in SILENT)
    assert [code for code, score in scores.items() if score["very_good_facebook"]]


async def test_the_past_went_out_on_the_sandbox_and_the_current_campaign_is_untouched(database, settings):
    await _seed(database, settings)
    now = utcnow()
    async with database.session() as session:
        campaigns = list(await session.scalars(select(Campaign).order_by(Campaign.created_at.desc())))
        published = list(await session.scalars(select(Publication).where(Publication.status == "published")))
        sandbox = {post.id: post for post in await session.scalars(select(SandboxPost))}
        snapshots = Counter(await session.scalars(select(StatSnapshot.publication_id)))
        statuses = Counter(await session.scalars(select(Publication.status)))
        texts = dict((await session.execute(select(Proposal.id, Proposal.texts))).all())
        dubai = await session.scalar(select(Location.id).where(Location.code == "AE-DXB"))
        dubai_statuses = Counter(await session.scalars(select(Proposal.status).where(Proposal.location_id == dubai)))
        arabic = await session.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.location_id == dubai, Proposal.locale == "ar-AE", Proposal.decided_by.is_not(None)))
        late = await session.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.decided_at > Proposal.deadline))
        days = await session.scalar(select(func.count()).select_from(AccountDay))
        accounts = await session.scalar(select(func.count()).select_from(SocialAccount))

    assert [campaign.name for campaign in campaigns[1:]] == [campaign.name for campaign in reversed(CAMPAIGNS)]
    assert campaigns[-1].created_at < now - timedelta(days=150)
    assert statuses["published"] > 500 and set(statuses) <= {"published", "cancelled", "scheduled"}
    for publication in published:
        post = sandbox[publication.external_id]
        assert (post.created_at, post.text) == (publication.published_at, texts[publication.proposal_id][post.network])
        assert publication.created_at <= publication.published_at < now
        assert publication.url.endswith(f"/sandbox/{publication.location_id}#post-{post.id}")
        passed = [delay for _label, delay in settings.stats_offset_list if publication.published_at + delay <= now]
        assert snapshots[publication.id] == len(passed)
        if passed:
            assert publication.stats_offset_seconds == int(passed[-1].total_seconds())
    # What is still scheduled goes out later, on its time: the worker sends nothing old at start.
    async with database.session() as session:
        assert not await session.scalar(select(func.count()).select_from(Publication).where(
            Publication.status == "scheduled", Publication.due_at <= now))
    # Dubai translates most posts itself; two still wait for their Arabic text.
    assert dubai_statuses["needs_translation"] == 2 and arabic >= 6
    assert late == 0
    assert days == accounts * 180

    # The current campaign is as before: nothing sent yet; sending it gives every location its proposal.
    current = campaigns[0]
    assert current.name == "Printemps en selle" and current.created_at > now - timedelta(minutes=10)
    async with database.session() as session:
        assert not await session.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.campaign_id == current.id))
        hq = await actor_for(session, await session.scalar(select(User).where(User.email == HQ_EMAIL)), "fr")
        post_id = await session.scalar(select(Post.id).where(Post.campaign_id == current.id))
        post, revision = await get_post(session, hq, post_id)
        distribution = await proposals.distribute(session, hq, post, revision, Target(), settings.fanout_chunk_size)
        for chunk_id in list(await session.scalars(select(DistributionChunk.id).where(
                DistributionChunk.distribution_id == distribution.id))):
            await proposals.fan_out_chunk(session, chunk_id)
        sent = Counter(await session.scalars(select(Proposal.status).where(Proposal.campaign_id == current.id)))
    assert sent == {"pending": 30, "needs_translation": 1}
