"""HQ's approval matrix: posts × locations, filtered, each cell opening its proposal."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from tests.factories import PASSWORD, make_network


async def _login(app, email):
    import httpx

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    return client


async def test_matrix_shows_each_location_against_each_post_and_filters(database, settings, client_as, app):
    network = await make_network(database, settings, locations=4, networks=("facebook",))
    hq = await client_as(network.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "Printemps"})).json()
    posts = []
    for body in ("Premier post {city}", "Second post {city}"):
        post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={"body": body, "networks": ["facebook"]})).json()
        await hq.post(f"/api/v1/posts/{post['id']}/distribute")
        posts.append(post)
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)
    local = await client_as(network.local_emails[network.locations[1].id], PASSWORD)
    first = (await local.get("/api/v1/proposals")).json()[0]
    await local.post(f"/api/v1/proposals/{first['id']}/reject", json={"reason": "legal"})

    page = await _login(app, network.hq_email)
    response = await page.get(f"/campaigns/{campaign['id']}/matrix")
    assert response.status_code == 200
    assert response.text.count('data-testid="cell"') == 8
    assert f'href="/proposals/{first["id"]}"' in response.text
    # The filters offer each region, country and tag once, though several locations share them.
    for value in ("north", "south", "FR", "city", "mall"):
        assert response.text.count(f'<option value="{value}"') == 1, value
    north = await page.get(f"/campaigns/{campaign['id']}/matrix", params={"region": "north"})
    assert north.text.count('data-testid="cell"') == 4  # locations 1 and 3
    rejected = await page.get(f"/campaigns/{campaign['id']}/matrix", params={"status": "rejected"})
    assert rejected.text.count('data-testid="cell"') == 2 and network.locations[1].code in rejected.text
    fragment = await page.get(f"/campaigns/{campaign['id']}/matrix", headers={"HX-Request": "true", "HX-Target": "matrix"})
    assert fragment.text.lstrip().startswith('<section id="matrix"')

    local_page = await _login(app, network.local_emails[network.locations[0].id])
    assert (await local_page.get(f"/campaigns/{campaign['id']}/matrix")).status_code == 403
    for client in (page, local_page):
        await client.aclose()


async def test_proposal_page_shows_hq_changes_and_local_edits_word_by_word(database, settings, client_as, app):
    from tests.api.test_revisions import _fan_out, _setup

    network, hq, campaign, post, locals_, proposals = await _setup(
        database, settings, client_as, "Bonjour {city}, venez nous voir.", locations=2)
    await locals_[0].post(f"/api/v1/proposals/{proposals[0]['id']}/customize",
                          json={"texts": {"facebook": "Bonjour {city}, on vous attend."}})
    await hq.put(f"/api/v1/posts/{post['id']}", json={"body": "Bonjour {city}, venez essayer.", "networks": ["facebook"]})
    await _fan_out(database)
    [current] = (await locals_[0].get("/api/v1/proposals")).json()
    page = await _login(app, network.local_emails[network.locations[0].id])
    html = (await page.get(f"/proposals/{current['id']}")).text
    assert 'data-testid="hq-changed"' in html
    assert "<del>nous voir</del><ins>essayer</ins>" in html  # HQ's change
    assert 'data-testid="diff-facebook"' in html and "<ins>on</ins>" in html  # the location's own edit
    assert 'id="reject"' in html
    campaign_page = await _login(app, network.hq_email)
    html = (await campaign_page.get(f"/campaigns/{campaign['id']}")).text
    assert 'data-testid="silent-arms"' in html and network.locations[1].code in html
    assert 'data-testid="time-to-decision"' in html
    for client in (page, campaign_page):
        await client.aclose()


async def test_a_review_link_is_made_shown_once_and_revoked_from_the_proposal_page(database, settings, client_as, app):
    from tests.api.test_revisions import _setup

    network, hq, campaign, post, locals_, proposals = await _setup(database, settings, client_as, "Bonjour {city}",
                                                                   locations=1)
    page = await _login(app, network.local_emails[network.locations[0].id])
    html = (await page.get(f"/proposals/{proposals[0]['id']}")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    made = await page.post(f"/proposals/{proposals[0]['id']}/review-links", data={"csrf_token": token, "label": "Agence",
                                                                                  "expires_in_hours": "24"},
                           headers={"HX-Request": "true"})
    assert made.status_code == 200
    url = re.search(r"<code>(http://testserver/review/[^<]+)</code>", made.text).group(1)
    assert "Agence" in made.text
    assert url not in (await page.get(f"/proposals/{proposals[0]['id']}")).text  # shown once
    link_id = (await locals_[0].get(f"/api/v1/proposals/{proposals[0]['id']}/review-links")).json()[0]["id"]
    revoked = await page.post(f"/proposals/{proposals[0]['id']}/review-links/{link_id}/revoke",
                              data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert revoked.status_code == 200 and "revoked" in revoked.text
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as anonymous:
        assert (await anonymous.get(url.removeprefix("http://testserver"))).status_code == 404
    await page.aclose()


async def test_the_campaign_page_shows_its_proposals_fifty_at_a_time_by_status_then_code(database, settings, client_as,
                                                                                        app):
    from hub.stats.scoreboard import refresh_scoreboard
    from tests.web.conftest import sent_campaign

    network = await make_network(database, settings, locations=55, networks=("facebook",))
    campaign = {"id": (await sent_campaign(database, settings, network, networks=("facebook",)))["campaign_id"]}
    codes = sorted(location.code for location in network.locations)
    # The first location in code order rejects: it goes after every pending one.
    first = next(location for location in network.locations if location.code == codes[0])
    local = await client_as(network.local_emails[first.id], PASSWORD)
    [proposal] = (await local.get("/api/v1/proposals")).json()
    await local.post(f"/api/v1/proposals/{proposal['id']}/reject", json={"reason": "legal"})
    board = await refresh_scoreboard(database, network.brand_id)
    # Decided after the scoreboard was computed: still silent on the page until the stats worker's next refresh.
    late = next(location for location in network.locations if location.code == codes[1])
    later = await client_as(network.local_emails[late.id], PASSWORD)
    [waiting] = (await later.get("/api/v1/proposals")).json()
    assert (await later.post(f"/api/v1/proposals/{waiting['id']}/approve")).status_code == 200

    page = await _login(app, network.hq_email)
    html = (await page.get(f"/campaigns/{campaign['id']}")).text
    grid = html[html.index('data-testid="proposals-grid"'):html.index('data-testid="grid-range"')]
    shown = re.findall(r'<span class="code">([^<]+)</span>', grid)
    assert shown == codes[2:52] and "Proposals 1 to 50 of 55" in html
    assert 'href="?sort=code&amp;dir=asc&amp;page=1&amp;proposals=2#proposals-grid"' in html
    second = (await page.get(f"/campaigns/{campaign['id']}", params={"proposals": 2})).text
    grid = second[second.index('data-testid="proposals-grid"'):second.index('data-testid="grid-range"')]
    assert re.findall(r'<span class="code">([^<]+)</span>', grid) == codes[52:] + codes[1:2] + codes[:1]
    assert grid.count('data-status="approved"') == 1 and grid.count('data-status="rejected"') == 1 and "Proposals 51 to 55 of 55" in second
    # Past the end: the last page.
    assert "Proposals 51 to 55 of 55" in (await page.get(f"/campaigns/{campaign['id']}", params={"proposals": 9})).text
    # The silent arms are the stored scoreboard's (the 54 waiting then, never decided), not recomputed per view.
    silent = html[html.index('data-testid="silent-arms"'):html.index('data-testid="by-region"')]
    assert [arm["code"] for arm in board["silent_arms"][:12]] == re.findall(r'<span class="code">([^<]+)</span>', silent)
    assert codes[0] not in silent and codes[1] in silent and "Never decided" in silent
    await page.aclose()
