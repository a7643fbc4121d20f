"""The campaign report, the network scoreboard and a location's figures add up what the database holds.

Proposals come from the real fan-out and decisions from the API; the publisher is stood in for by
marking publications published (publishing has its own tests), and counters arrive through the
collector's own `store_reading`.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update

from hub.app import create_app
from hub.db import utcnow
from hub.proposals.models import Proposal
from hub.publishing.models import Publication, SocialAccount
from hub.stats.formulas import FORMULAS, MIXED_FORMULA
from hub.stats.report import refresh_campaign_figures
from hub.stats.scoreboard import refresh_scoreboard
from hub.stats.service import store_reading
from tests.api.test_revisions import _fan_out
from tests.factories import PASSWORD, make_network

# Counters per (location index, network) of each published post: (impressions, reach, engagements).
FIRST_POST = {
    (0, "facebook"): (1500, 1000, 50), (0, "x"): (2000, 300, 40),
    (1, "facebook"): (1400, 1000, 20),  # its X post has no reading yet
    (3, "facebook"): (700, 500, 10),
}


async def _world(database, settings, client_as):
    """Six locations; two posts of one campaign; locations 0 and 3 approve, 1 customizes, 2 rejects, 4-5 wait."""
    network = await make_network(database, settings, locations=6, networks=("facebook", "x"))
    hq = await client_as(network.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "Printemps"})).json()
    locals_ = [await client_as(network.local_emails[location.id], PASSWORD) for location in network.locations]
    posts = []
    for body in ("Bonjour {city} !", "Le printemps à {city}"):
        post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                              json={"body": body, "networks": ["facebook", "x"]})).json()
        await hq.post(f"/api/v1/posts/{post['id']}/distribute")
        await _fan_out(database)
        posts.append(post)
    for post in posts:
        for index, local in enumerate(locals_):
            proposal = next(item for item in (await local.get("/api/v1/proposals")).json()
                            if item["post_id"] == post["id"])
            if index in (0, 3):
                await local.post(f"/api/v1/proposals/{proposal['id']}/approve")
            elif index == 1:
                await local.post(f"/api/v1/proposals/{proposal['id']}/customize",
                                 json={"texts": {"facebook": "Chez nous !", "x": "Chez nous !"}})
            elif index == 2:
                await local.post(f"/api/v1/proposals/{proposal['id']}/reject", json={"reason": "off_brand"})
    now = utcnow()
    index_of = {location.id: index for index, location in enumerate(network.locations)}
    async with database.session() as session:
        rows = (await session.execute(
            select(Publication, SocialAccount, Proposal.post_id)
            .join(SocialAccount, SocialAccount.id == Publication.social_account_id)
            .join(Proposal, Proposal.id == Publication.proposal_id))).all()
        await session.execute(update(Publication).values(status="published", published_at=now - timedelta(days=2),
                                                         external_id=Publication.id))
    for publication, account, post_id in rows:
        publication.external_id, publication.published_at = publication.id, now - timedelta(days=2)
        key = (index_of[publication.location_id], publication.network)
        counters = FIRST_POST.get(key) if post_id == posts[0]["id"] else None
        if post_id == posts[1]["id"]:  # the second post did poorly everywhere: 1 %
            counters = (100, 100, 1) if publication.network == "facebook" else (200, 0, 2)
        if counters:
            values = {"impressions": counters[0], "engagements": counters[2]}
            if publication.network != "x":  # X gives no reach
                values["reach"] = counters[1]
            async with database.session() as session:
                await store_reading(session, publication, account, "24h", values, False, now)
    return network, hq, campaign, posts, locals_


async def test_campaign_report_names_each_rate_and_leaves_missing_counters_missing(database, settings, client_as):
    network, hq, campaign, _, _ = await _world(database, settings, client_as)
    report = (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()

    adoption = report["adoption"]
    assert (adoption["targeted_locations"], adoption["published_locations"], adoption["publication_rate"]) == (6, 3, 0.5)
    assert adoption["decided"] == 8 and adoption["customized_share"] == 0.25 and adoption["rejected_share"] == 0.25
    assert report["funnel"]["rejected_by_reason"] == {"off_brand": 2}

    networks = {row["network"]: row for row in report["by_network"]}
    facebook, x = networks["facebook"], networks["x"]
    assert (facebook["reach"], facebook["engagements"]) == (2500 + 300, 80 + 3)
    assert facebook["engagement_rate"] == round(83 / 2800, 4) and facebook["formula"] == FORMULAS["facebook"]
    assert facebook["rate_base"] == "reach" and facebook["with_stats"] == 6
    # X: no reach at all (missing, not 0); its rate is over impressions and says so.
    assert x["reach"] is None and x["impressions"] == 2600 and x["engagements"] == 46
    assert x["engagement_rate"] == round(46 / 2600, 4) and x["rate_base"] == "impressions"
    assert "reach" in x["not_given"] and x["published"] == 6 and x["with_stats"] == 4
    metrics = report["metrics"]
    assert metrics["engagements"] == 129 and metrics["formula"] == MIXED_FORMULA
    assert metrics["engagement_rate"] == round(129 / (2800 + 2600), 4)
    assert metrics["simulated"] is True  # the accounts are sandbox ones: their counters are simulated

    regions = {row["region"]: row for row in report["by_region"]}
    assert (regions["south"]["locations"], regions["south"]["published_locations"]) == (3, 1)
    assert (regions["north"]["locations"], regions["north"]["published_locations"]) == (3, 2)
    assert regions["north"]["publication_rate"] == round(2 / 3, 4)

    assert report["locations_total"] == 6
    best = (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report",
                         params={"sort": "engagement_rate", "descending": "true", "limit": 2})).json()
    codes = [row["code"] for row in best["by_location"]]
    assert codes == [network.locations[0].code, network.locations[1].code]  # 93/3300 > 23/1300 > 13/800
    last = (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report",
                         params={"sort": "engagement_rate", "descending": "true", "limit": 3, "offset": 3})).json()
    # Locations without any counter sort last, whichever the direction.
    assert all(row["engagement_rate"] is None for row in last["by_location"])
    assert (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report", params={"sort": "secret"})).status_code == 422


async def test_scoreboard_ranks_locations_and_marks_very_good_facebook_months(database, settings, client_as):
    network, hq, _, posts, locals_ = await _world(database, settings, client_as)
    report = await refresh_scoreboard(database, network.brand_id)

    month = report["adoption_by_month"][-1]
    assert month["month"] == utcnow().strftime("%Y-%m")
    assert (month["targeted_locations"], month["published_locations"], month["publication_rate"]) == (6, 3, 0.5)
    assert month["customized_share"] == 0.25 and len(report["adoption_by_month"]) == 12
    assert report["adoption_by_month"][0]["publication_rate"] is None  # nothing was sent then: missing, not 0 %

    facebook_month = report["facebook_by_month"][-1]
    # Location 0: 51 ÷ 1100 = 4.6 % (very good); 1: 21 ÷ 1100; 3: 11 ÷ 600.
    assert facebook_month["locations"] == 3 and facebook_month["very_good_locations"] == 1

    scores = {row["code"]: row for row in report["top_locations"]}
    first, second, fourth = (network.locations[index].code for index in (0, 1, 3))
    assert scores[first]["engagement_rank"] == 1 and scores[first]["very_good_facebook"] is True
    # Over the period, each location's engagements ÷ its rate bases: 93/3300, 23/1300, 13/800.
    assert scores[second]["engagement_rank"] == 2 and scores[fourth]["engagement_rank"] == 3
    assert scores[first]["engagement_rank_of"] == 3
    assert [post["post_id"] for post in report["top_posts"]] == [posts[0]["id"], posts[1]["id"]]
    assert report["top_posts"][1]["engagement_rate"] == 0.01
    assert report["top_posts"][0]["campaign"] == "Printemps"
    assert report["medians"]["publication_rate"] == 0.5  # 1, 1, 1 for 0, 1, 3 and 0, 0, 0 for 2, 4, 5
    assert {arm["code"] for arm in report["silent_arms"]} == {network.locations[4].code, network.locations[5].code}

    stored = (await hq.get("/api/v1/reports/network")).json()
    assert stored["computed_at"] == report["computed_at"] and stored["medians"] == report["medians"]
    assert (await locals_[0].get("/api/v1/reports/network")).status_code == 403

    own = (await locals_[0].get(f"/api/v1/locations/{network.locations[0].id}/report")).json()
    assert own["score"]["engagement_rank"] == 1 and own["score"]["publication_rate"] == 1.0
    assert own["medians"]["publication_rate"] == 0.5
    assert own["by_month"][-1]["publication_rate"] == 1.0 and own["by_month"][-1]["network_publication_rate"] == 0.5
    assert {row["network"] for row in own["by_network"]} == {"facebook", "x"}
    assert (await locals_[0].get(f"/api/v1/locations/{network.locations[1].id}/report")).status_code == 404


async def test_a_reading_is_kept_once_and_only_moves_forward(database, settings, client_as):
    network, _, _, _, _ = await _world(database, settings, client_as)
    async with database.session() as session:
        publication, account = (await session.execute(
            select(Publication, SocialAccount).join(SocialAccount, SocialAccount.id == Publication.social_account_id)
            .where(Publication.location_id == network.locations[3].id, Publication.network == "facebook",
                   Publication.engagements == 10))).one()
    now = utcnow()
    for label, values in (("7d", {"impressions": 900, "reach": 600, "engagements": 30}),
                          ("7d", {"impressions": 1, "reach": 1, "engagements": 1}),  # the same job again
                          ("1h", {"impressions": 5, "reach": 5, "engagements": 0})):  # a late, older reading
        async with database.session() as session:
            await store_reading(session, publication, account, label, values, False, now)
    async with database.session() as session:
        stored = await session.get(Publication, publication.id)
        assert (stored.impressions, stored.reach, stored.engagements) == (900, 600, 30)
        assert stored.stats_offset_seconds == 7 * 24 * 3600


async def test_campaign_report_is_stored_and_recomputed_only_when_what_it_adds_up_changes(database, settings,
                                                                                          client_as):
    """The report is read from stored figures; a decision, a view, a publishing outcome, a new reading or a
    location renamed by import makes the next read recompute them, and nothing else does."""
    network, hq_cached, campaign, posts, locals_ = await _world(database, settings, client_as)
    # Checking at every view (by default a web process checks a campaign at most every 15 s: see below).
    hq = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(settings.model_copy(
        update={"report_recheck_seconds": 0}))), base_url="http://testserver", headers=dict(hq_cached.headers))
    url = f"/api/v1/campaigns/{campaign['id']}/report"
    first = (await hq.get(url)).json()
    assert (await hq.get(url)).json() == first  # nothing changed: the stored figures, computed_at included

    async def changed(previous: dict) -> dict:
        report = (await hq.get(url)).json()
        assert report["computed_at"] > previous["computed_at"]
        return report

    # A person's decision (location 4 approves the first post).
    waiting = next(item for item in (await locals_[4].get("/api/v1/proposals")).json()
                   if item["post_id"] == posts[0]["id"])
    assert (await locals_[4].post(f"/api/v1/proposals/{waiting['id']}/approve")).status_code == 200
    decided = await changed(first)
    assert decided["funnel"]["approved"] == first["funnel"]["approved"] + 1
    assert decided["adoption"]["decided"] == first["adoption"]["decided"] + 1

    # A local manager opening a proposal counts as seen.
    other = next(item for item in (await locals_[5].get("/api/v1/proposals")).json()
                 if item["post_id"] == posts[0]["id"])
    await locals_[5].get(f"/api/v1/proposals/{other['id']}")
    seen = await changed(decided)
    assert seen["funnel"]["seen"] == decided["funnel"]["seen"] + 1

    # A newer reading of a publication already read (its counters move forward).
    async with database.session() as session:
        publication, account = (await session.execute(
            select(Publication, SocialAccount).join(SocialAccount, SocialAccount.id == Publication.social_account_id)
            .where(Publication.location_id == network.locations[0].id, Publication.network == "facebook",
                   Publication.stats_at.is_not(None)).limit(1))).one()
        await store_reading(session, publication, account, "72h",
                            {"impressions": 5000, "reach": 4000, "engagements": 400}, False,
                            utcnow() + timedelta(minutes=1))
    read = await changed(seen)
    assert read["metrics"]["engagements"] > seen["metrics"]["engagements"]

    # A publication failing on its network.
    async with database.session() as session:
        await session.execute(update(Publication).where(Publication.location_id == network.locations[3].id,
                                                        Publication.network == "x").values(status="failed"))
    failed = await changed(read)
    assert failed["funnel"]["failed"] == read["funnel"]["failed"] + 2  # location 3's two posts on X

    # An import renaming a location (names and regions are kept in the stored table).
    location = network.locations[0]
    lines = ["code,name,region,country,locale,timezone",
             f"{location.code},Renamed shop,east,FR,fr-FR,Europe/Paris"]
    response = await hq.post("/api/v1/locations/import", content="\n".join(lines).encode(),
                             headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    renamed = (await hq.get(url, params={"sort": "name", "limit": 1})).json()
    assert renamed["by_location"][0]["name"] == "Renamed shop"
    assert "east" in {row["region"] for row in renamed["by_region"]}
    assert (await hq.get(url)).json()["computed_at"] == renamed["computed_at"]
    await hq.aclose()


async def test_a_web_process_checks_a_campaign_s_figures_at_most_every_few_seconds(database, settings, client_as):
    """By default (report_recheck_seconds = 15) a view right after a change may show the figures checked a
    moment ago; what the stats worker stores is seen at once."""
    assert settings.report_recheck_seconds == 15
    network, hq, campaign, posts, locals_ = await _world(database, settings, client_as)
    url = f"/api/v1/campaigns/{campaign['id']}/report"
    first = (await hq.get(url)).json()
    waiting = next(item for item in (await locals_[4].get("/api/v1/proposals")).json()
                   if item["post_id"] == posts[0]["id"])
    await locals_[4].post(f"/api/v1/proposals/{waiting['id']}/approve")
    assert (await hq.get(url)).json() == first  # within the window: not checked again
    assert await refresh_campaign_figures(database) == 1
    refreshed = (await hq.get(url)).json()
    assert refreshed["funnel"]["approved"] == first["funnel"]["approved"] + 1


async def test_the_worker_recomputes_only_the_campaigns_that_changed(database, settings, client_as):
    network, hq, campaign, posts, locals_ = await _world(database, settings, client_as)
    other = (await hq.post("/api/v1/campaigns", json={"name": "Automne"})).json()  # nothing sent yet
    assert await refresh_campaign_figures(database) == 2  # never computed: both
    assert await refresh_campaign_figures(database) == 0
    stored = (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()

    waiting = next(item for item in (await locals_[4].get("/api/v1/proposals")).json()
                   if item["post_id"] == posts[1]["id"])
    await locals_[4].post(f"/api/v1/proposals/{waiting['id']}/reject", json={"reason": "wrong_timing"})
    assert await refresh_campaign_figures(database) == 1  # only the campaign that changed
    report = (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()
    assert report["computed_at"] > stored["computed_at"]
    assert report["funnel"]["rejected_by_reason"] == {"off_brand": 2, "wrong_timing": 1}
    assert (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report")).json() == report  # the worker's figures
    assert (await hq.get(f"/api/v1/campaigns/{other['id']}/report")).json()["locations_total"] == 0
