"""The octopus map: every location's accounts and their health, last publications, summary, filters, access."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select, update

from hub.db import new_id, utcnow
from hub.locations.models import Location
from hub.proposals.models import Proposal
from hub.publishing.models import Publication, SocialAccount
from tests.factories import make_network
from tests.web.conftest import sent_campaign

ROW = re.compile(r'data-testid="octopus-row" data-location="([^"]+)"')


@contextmanager
def counted(database):
    """The SQL statements the database runs inside the block."""
    statements: list[str] = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", remember)


async def _map_network(database, settings):
    """Four locations: published lately and healthy / failed, revoked / expiring, silent / no account."""
    network = await make_network(database, settings, locations=4, networks=("facebook",))
    ids = await sent_campaign(database, settings, network, networks=("facebook",))
    first, second, third, fourth = network.locations
    now = utcnow()
    async with database.session() as session:
        accounts = {account.location_id: account for account in await session.scalars(select(SocialAccount))}
        accounts[second.id].connector = "facebook"
        accounts[second.id].status = "revoked"
        accounts[second.id].status_detail = "Facebook access was withdrawn: reconnect the account."
        accounts[third.id].expires_at = now + timedelta(days=2)
        await session.delete(accounts[fourth.id])
        for location, status, when, url in ((first, "published", now - timedelta(days=2), "https://facebook.com/p/1"),
                                            (second, "failed", now - timedelta(days=1), None)):
            proposal = await session.get(Proposal, ids[location.id])
            session.add(Publication(
                brand_id=network.brand_id, campaign_id=ids["campaign_id"], proposal_id=proposal.id,
                social_account_id=accounts[location.id].id, location_id=location.id, network="facebook",
                status=status, due_at=when, published_at=when if status == "published" else None, url=url))
    return network


class TestOctopusMap:
    async def test_hq_sees_each_location_its_accounts_health_and_last_publication(self, database, settings, web_client):
        network = await _map_network(database, settings)
        first, second, third, fourth = network.locations
        hq = await web_client(network.hq_email)
        page = await hq.get("/network")
        assert page.status_code == 200
        text = html.unescape(page.text)
        assert ROW.findall(page.text) == [location.code for location in network.locations]
        rows = {code: chunk for code, chunk in zip(ROW.findall(page.text), page.text.split('data-testid="octopus-row"')[1:])}
        assert 'data-health="active"' in rows[first.code] and 'href="https://facebook.com/p/1"' in rows[first.code]
        assert 'data-status="published"' in rows[first.code]
        assert 'data-health="revoked"' in rows[second.code] and 'data-status="failed"' in rows[second.code]
        assert "Facebook access was withdrawn" in rows[second.code]
        assert f'href="/locations/{second.id}/accounts/connect/facebook"' in rows[second.code]
        assert 'data-health="expiring"' in rows[third.code] and "Nothing published yet" in rows[third.code]
        assert 'data-testid="octopus-none"' in rows[fourth.code]
        assert "south" in rows[first.code] and "FR" in rows[first.code]
        summary = {name: int(value) for name, value in re.findall(r'data-testid="summary-(\w+)">(\d+)<', page.text)}
        # Healthy: the 1st and 3rd (expiring soon still publishes); silent: all but the 1st.
        assert summary == {"locations": 4, "healthy": 2, "broken": 1, "silent": 3}
        assert "Octopus map" in text

    async def test_filters_by_region_network_and_health(self, database, settings, web_client):
        network = await _map_network(database, settings)
        first, second, third, fourth = network.locations
        hq = await web_client(network.hq_email)
        revoked = await hq.get("/network", params={"health": "revoked"})
        assert ROW.findall(revoked.text) == [second.code]
        expiring = await hq.get("/network", params={"health": "expiring", "network": "facebook"})
        assert ROW.findall(expiring.text) == [third.code]
        north = await hq.get("/network", params={"region": "north"})
        assert ROW.findall(north.text) == [second.code, fourth.code]
        none = await hq.get("/network", params={"network": "youtube"})
        assert ROW.findall(none.text) == [] and "No location matches these filters." in none.text
        fragment = await hq.get("/network", params={"health": "revoked"},
                                headers={"HX-Request": "true", "HX-Target": "octopus"})
        assert fragment.text.lstrip().startswith('<section id="octopus"') and ROW.findall(fragment.text) == [second.code]

    async def test_only_hq_sees_it(self, database, settings, web_client):
        network = await _map_network(database, settings)
        local = await web_client(network.local_emails[network.locations[0].id])
        assert (await local.get("/network")).status_code == 403
        assert (await local.get(f"/locations/{network.locations[1].id}/accounts")).status_code == 404
        assert (await (await web_client()).get("/network")).status_code == 303  # to the login page

    async def test_in_french(self, database, settings, web_client):
        network = await _map_network(database, settings)
        hq = await web_client(network.hq_email, language="fr")
        page = html.unescape((await hq.get("/network")).text)
        assert "Carte de la pieuvre" in page and "Accès retiré" in page and "Expire bientôt" in page


async def _many_locations(database, brand_id: str, count: int, start: int = 0) -> None:
    """`count` more locations, each with a Facebook and an X account (rows written in bulk)."""
    async with database.session() as session:
        for index in range(start, start + count):
            location = Location(id=new_id(), brand_id=brand_id, code=f"BULK-{index:04d}", name=f"Bulk {index}",
                                region=f"r{index % 7}", country="FR", locale="fr-FR", timezone="Europe/Paris")
            session.add(location)
            session.add_all([SocialAccount(brand_id=brand_id, location_id=location.id, network=network,
                                           connector="sandbox", external_id=f"{network}-{index}",
                                           status="expired" if index % 10 == 0 else "active")
                             for network in ("facebook", "x")])


async def test_the_map_costs_the_same_queries_for_30_or_300_locations_and_is_paged(database, settings, web_client):
    network = await make_network(database, settings, locations=1, networks=())
    hq = await web_client(network.hq_email)
    await _many_locations(database, network.brand_id, 30)
    with counted(database) as small:
        assert (await hq.get("/network")).status_code == 200
    await _many_locations(database, network.brand_id, 270, start=30)
    with counted(database) as large:
        page = await hq.get("/network")
    assert len(large) == len(small) <= 15
    assert len(ROW.findall(page.text)) == 50 and "Page 1 of 7" in page.text
    last = await hq.get("/network", params={"page": 7})
    assert len(ROW.findall(last.text)) == 1  # 301 locations: 6 full pages and one
    summary = {name: int(value) for name, value in re.findall(r'data-testid="summary-(\w+)">(\d+)<', page.text)}
    assert summary["locations"] == 301 and summary["broken"] == 60 and summary["healthy"] == 270
