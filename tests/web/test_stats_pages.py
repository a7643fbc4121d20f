"""The stats pages over HTTP: the campaign report, HQ's network page, a location's page, and their CSV exports.

The data goes through the real paths: a campaign sent through the API and fanned out, locations deciding,
the sandbox publishing, counters stored as the stats worker stores them, the scoreboard refreshed.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from markupsafe import escape
from sqlalchemy import select

from hub.db import utcnow
from hub.locations.models import Location
from hub.publishing import service as publishing
from hub.publishing.models import Publication, SocialAccount
from hub.stats.models import Scoreboard
from hub.stats.scoreboard import refresh_scoreboard
from hub.stats.service import store_reading
from tests.api.test_revisions import _fan_out
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, live_server, log_in_in_english  # noqa: F401 (fixture)

# Names that must stay text: a spreadsheet formula (CSV), HTML (pages); by location index.
NAMES = {0: '=HYPERLINK("http://evil.test","Cliquez")', 1: "<b>Gras</b> & Co", 3: "<i>Silencieux</i>"}
# (location index, network) -> the counters read 24 h after publishing. X gives no reach (reference §X).
READINGS = {
    (0, "facebook"): {"impressions": 1000, "reach": 500, "engagements": 25},   # 5 %: very good on Facebook
    (0, "x"): {"impressions": 800, "engagements": 40},                           # 5 % of impressions
    (1, "facebook"): {"impressions": 2000, "reach": 1000, "engagements": 20},  # 2 %
    (1, "x"): {"impressions": 400, "engagements": 4},                            # 1 %
}


def rows_of(response) -> list[list[str]]:
    """A CSV download's rows, header first."""
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def cells_of(row: str) -> list[str]:
    """The contents of the cells of one table row."""
    return re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)


def table_html(html: str, name: str) -> str:
    """The HTML of one stats table of a page."""
    match = re.search(rf'<table class="table stats-table" data-testid="table-{name}">.*?</table>', html, re.DOTALL)
    assert match, f"no table {name} on the page"
    return match.group(0)


async def published_campaign(database, settings, client_as):
    """Four locations: the first approves, the second customizes, the third rejects (legal), the fourth says
    nothing; the first two publish on Facebook and X and get the counters of READINGS; the scoreboard is
    refreshed."""
    network = await make_network(database, settings, locations=4, networks=("facebook", "x"))
    async with database.session() as session:
        for index, name in NAMES.items():
            (await session.get(Location, network.locations[index].id)).name = name
    hq = await client_as(network.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "Printemps"})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": "Bonjour {city} !", "networks": ["facebook", "x"]})).json()
    assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute")).status_code == 202
    await _fan_out(database)
    locals_ = [await client_as(network.local_emails[location.id], PASSWORD) for location in network.locations[:3]]
    proposals = [(await local.get("/api/v1/proposals")).json()[0]["id"] for local in locals_]
    decisions = [
        await locals_[0].post(f"/api/v1/proposals/{proposals[0]}/approve"),
        await locals_[1].post(f"/api/v1/proposals/{proposals[1]}/customize",
                              json={"texts": {"facebook": "Chez nous à {city} !", "x": "Chez nous !"}}),
        await locals_[2].post(f"/api/v1/proposals/{proposals[2]}/reject", json={"reason": "legal"}),
    ]
    assert [response.status_code for response in decisions] == [200, 200, 200], [r.text for r in decisions]
    async with database.session() as session:
        publication_ids = list(await session.scalars(
            select(Publication.id).where(Publication.campaign_id == campaign["id"])))
    assert len(publication_ids) == 4
    for publication_id in publication_ids:
        assert await publishing.publish(database, settings, publication_id) == "published"
    index_of = {location.id: index for index, location in enumerate(network.locations)}
    async with database.session() as session:
        for publication in await session.scalars(select(Publication).where(Publication.id.in_(publication_ids))):
            account = await session.get(SocialAccount, publication.social_account_id)
            await store_reading(session, publication, account, "24h",
                                READINGS[(index_of[publication.location_id], publication.network)], False, utcnow())
    await refresh_scoreboard(database, network.brand_id)
    return network, campaign


class TestCampaignReport:
    async def test_rates_come_with_their_formula_and_missing_figures_are_dashes(self, database, settings, client_as,
                                                                                 web_client):
        network, campaign = await published_campaign(database, settings, client_as)
        client = await web_client(network.hq_email)
        html = (await client.get(f"/campaigns/{campaign['id']}")).text

        assert re.search(r'data-testid="publication-rate">50\.0%<', html)  # 2 of the 4 locations published
        assert re.search(r'data-testid="customized-share">33\.3%<', html)  # 1 of 3 decisions
        # (25 + 40 + 20 + 4) ÷ (500 + 1000 reach on Facebook + 800 + 400 impressions on X) = 3.3 %
        assert re.search(r'data-testid="engagement-rate">3\.3%<', html)
        assert ("(engagements ÷ reach, or ÷ impressions or views where a network gives no reach)"
                in html.split('data-testid="engagement-formula">')[1])
        networks = table_html(html, "networks")
        facebook, x = networks.split("<tbody>")[1].split("</tr>")[:2]
        assert ">3.0%<" in facebook and "(reactions + comments + shares) ÷ reach (unique viewers)" in facebook
        assert ">3.7%<" in x and "÷ impressions (X gives no reach)" in x
        # X gives no reach: a dash saying so, never a 0.
        reach = cells_of(x)[5]
        assert reach.startswith('<span class="missing" title="X does not provide this figure">—')
        assert cells_of(facebook)[5] == "1,500"
        assert "Legal or compliance issue" in table_html(html, "reasons")
        assert 'data-testid="reasons-chart"' in html and 'role="img"' in html

    async def test_the_table_by_location_sorts_by_its_column_headers(self, database, settings, client_as, web_client):
        network, campaign = await published_campaign(database, settings, client_as)
        client = await web_client(network.hq_email)
        codes = [location.code for location in network.locations]

        def order(html: str) -> list[str]:
            return re.findall(r'<th scope="row">([A-Z]+-\d+)</th>', table_html(html, "locations"))

        html = (await client.get(f"/campaigns/{campaign['id']}")).text
        assert order(html) == codes
        # Figures sort largest first on the first click; the link keeps the page's query.
        link = re.search(r'href="([^"]*sort=engagements[^"#]*)#report-locations"', html).group(1).replace("&amp;", "&")
        assert "dir=desc" in link and "page=1" in link
        descending = await client.get(link, headers={"HX-Request": "true", "HX-Target": "report-locations"})
        assert descending.text.lstrip().startswith('<div id="report-locations"')
        assert order(descending.text) == codes  # 65, 24, then those without a figure
        assert 'aria-sort="descending"' in descending.text
        ascending = (await client.get(f"/campaigns/{campaign['id']}",
                                      params={"sort": "engagements", "dir": "asc"})).text
        assert order(ascending) == [codes[1], codes[0], codes[2], codes[3]]  # missing figures stay last
        assert 'aria-sort="ascending"' in ascending

    async def test_csv_of_every_table_with_raw_figures_and_neutralized_formulas(self, database, settings, client_as,
                                                                                 web_client):
        network, campaign = await published_campaign(database, settings, client_as)
        client = await web_client(network.hq_email)
        html = (await client.get(f"/campaigns/{campaign['id']}")).text
        for name in ("funnel", "reasons", "networks", "decisions", "regions", "locations"):
            assert f'data-testid="csv-{name}"' in html
            assert (await client.get(f"/campaigns/{campaign['id']}/report/{name}.csv")).status_code == 200

        rows = rows_of(await client.get(f"/campaigns/{campaign['id']}/report/locations.csv"))
        assert rows[0] == ["Code", "Location", "Region", "Proposals", "Publications out", "Impressions", "Reach",
                           "Engagements", "Engagement rate"]
        first, second, third, _fourth = rows[1:]
        assert first == [network.locations[0].code, "'" + NAMES[0], "south", "1", "2", "1800", "500", "65", "0.05"]
        assert second[1] == NAMES[1] and second[-1] == "0.0171"  # 24 ÷ (1000 reach + 400 impressions)
        assert third[5:] == ["", "", "", ""]  # nothing read: empty, not 0

        networks = rows_of(await client.get(f"/campaigns/{campaign['id']}/report/networks.csv"))
        assert networks[2][0] == "X" and networks[2][5] == ""  # X's reach: not provided
        funnel = rows_of(await client.get(f"/campaigns/{campaign['id']}/report/funnel.csv"))
        assert ["Sent to locations", "4", "1.0"] in funnel and ["Rejected by the location", "1", "0.25"] in funnel

        french = await web_client(network.hq_email, language="fr")
        rows = rows_of(await french.get(f"/campaigns/{campaign['id']}/report/locations.csv"))
        assert rows[0][:2] == ["Code", "Point de vente"] and rows[0][-1] == "Taux d'engagement"
        assert (await client.get(f"/campaigns/{campaign['id']}/report/secrets.csv")).status_code == 404

    async def test_html_in_a_location_name_is_shown_as_text(self, database, settings, client_as, web_client):
        network, campaign = await published_campaign(database, settings, client_as)
        client = await web_client(network.hq_email)
        for url, name in ((f"/campaigns/{campaign['id']}", "<b>Gras</b> & Co"), ("/network/stats", NAMES[3]),
                          (f"/locations/{network.locations[1].id}/stats", "<b>Gras</b> & Co")):
            html = (await client.get(url)).text
            assert str(escape(name)) in html, url
            assert name not in html, url

    async def test_the_table_by_location_is_paged_and_its_csv_has_every_row(self, database, settings, client_as,
                                                                            web_client):
        network = await make_network(database, settings, locations=52, networks=("facebook",))
        hq = await client_as(network.hq_email, PASSWORD)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "Hiver"})).json()
        post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                              json={"body": "Bonjour {city}", "networks": ["facebook"]})).json()
        await hq.post(f"/api/v1/posts/{post['id']}/distribute")
        await _fan_out(database)
        client = await web_client(network.hq_email)

        first = (await client.get(f"/campaigns/{campaign['id']}", params={"sort": "code", "dir": "desc"})).text
        assert table_html(first, "locations").count('<th scope="row">') == 50
        assert "Page 1 of 2" in first
        next_link = re.search(r'<a id="page-locations-next" href="([^"#]+)', first).group(1).replace("&amp;", "&")
        assert "sort=code" in next_link and "dir=desc" in next_link and "page=2" in next_link
        second = (await client.get(next_link)).text
        assert re.findall(r'<th scope="row">([A-Z]+-\d+)</th>', table_html(second, "locations")) == [
            "VELO-001", "VELO-000"]
        # The proposals grid has its own pages, whatever page the table shows; its links keep the table's.
        assert second.count('<a href="/proposals/') == 50 and "Proposals 1 to 50 of 52" in second
        assert 'href="?sort=code&amp;dir=desc&amp;page=2&amp;proposals=2#proposals-grid"' in second

        rows = rows_of(await client.get(f"/campaigns/{campaign['id']}/report/locations.csv?sort=code&dir=desc"))
        assert len(rows) == 53 and rows[1][0] == "VELO-051" and rows[-1][0] == "VELO-000"


class TestNetworkPage:
    async def test_hq_sees_adoption_engagement_and_the_facebook_mark(self, database, settings, client_as,
                                                                     web_client):
        network, campaign = await published_campaign(database, settings, client_as)
        client = await web_client(network.hq_email)
        response = await client.get("/network/stats")
        assert response.status_code == 200
        html = response.text
        assert "refreshed every 5 minutes" in html and 'data-testid="refresh-stats"' in html
        adoption = table_html(html, "adoption")
        assert ">50.0%<" in adoption  # this month: 2 of 4 locations published
        engagement = table_html(html, "engagement")
        assert 'title="X does not provide this figure">—' in engagement
        assert "(likes + reposts + replies + quotes + link and profile clicks) ÷ impressions" in engagement
        assert "1 of the 2 locations with Facebook figures reached 4%" in html
        # Every chart is an image with its summary, next to its table; no script in the page.
        for chart in ("adoption-chart", "engagement-chart", "facebook-chart", "regions-chart"):
            block = html.split(f'data-testid="{chart}"')[1]
            assert re.match(r'>\s*<figure class="chart[^"]*" role="img" aria-label="[^"]{20,}"', block), chart
            assert '<table class="table stats-table"' in block.split("</div>\n</section>")[0], chart
        assert "<script>" not in html and " onclick=" not in html
        # Two publications each: too few to rank a location on engagement.
        assert 'data-testid="table-top-locations"' not in html and "Not enough figures yet" in html
        silent = table_html(html, "silent-arms")
        assert f'href="/locations/{network.locations[3].id}/stats"' in silent
        assert 'title="Never decided">—' in silent

        rows = rows_of(await client.get("/network/stats/networks.csv"))
        assert rows[0] == ["Network", "Publications", "Impressions", "Reach", "Engagements", "Engagement rate",
                           "Formula"]
        assert rows[1][:6] == ["Facebook", "2", "3000", "1500", "45", "0.03"]
        assert rows[2][:6] == ["X", "2", "1200", "", "44", "0.0367"]
        regions = rows_of(await client.get("/network/stats/regions.csv"))
        assert [row[0] for row in regions[1:]] == ["north", "south"]

    async def test_refresh_now_recomputes_the_scoreboard(self, database, settings, client_as, web_client):
        network, _campaign = await published_campaign(database, settings, client_as)
        async with database.session() as session:
            before = (await session.get(Scoreboard, network.brand_id)).computed_at
        client = await web_client(network.hq_email)
        page = await client.get("/network/stats")
        assert (await client.post("/network/stats/refresh", data={"csrf_token": "forged"})).status_code == 403
        response = await client.post("/network/stats/refresh", data={"csrf_token": csrf_of(page.text)})
        assert response.status_code == 303 and response.headers["location"] == "/network/stats"
        async with database.session() as session:
            assert (await session.get(Scoreboard, network.brand_id)).computed_at > before

    async def test_french_page_speaks_french(self, database, settings, client_as, web_client):
        network, _campaign = await published_campaign(database, settings, client_as)
        client = await web_client(network.hq_email, language="fr")
        html = (await client.get("/network/stats")).text
        assert "Statistiques du réseau" in html and "Adoption dans le temps" in html
        assert "actualisés toutes les 5 minutes" in html
        assert ">50,0\xa0%<" in table_html(html, "adoption")  # French writes a no-break space before %
        rows = rows_of(await client.get("/network/stats/adoption.csv"))
        assert rows[0][0] == "Mois" and rows[0][3] == "Taux de publication"


class TestLocationPage:
    async def test_a_location_sees_its_figures_its_rank_and_the_very_good_mark(self, database, settings, client_as,
                                                                               web_client):
        network, _campaign = await published_campaign(database, settings, client_as)
        first, _second, third, _fourth = network.locations
        local = await web_client(network.local_emails[first.id])
        response = await local.get(f"/locations/{first.id}/stats")
        assert response.status_code == 200
        html = response.text
        assert f'href="/locations/{first.id}/stats"' in html  # "My figures" in the local manager's menu
        assert re.search(r'data-testid="publication-rank">1st of 4<', html)
        assert 'data-testid="not-ranked"' not in html
        # Rates are compared with the network's median rate, hours with its median hours.
        assert re.search(r"Network median: 50(\.0)?\s?%", html) and "Network median: 0.5 h" not in html
        assert 'data-testid="very-good"' in html  # 25 ÷ 500 = 5 % on Facebook
        assert "(reactions + comments + shares) ÷ reach (unique viewers)" in html
        networks = table_html(html, "networks")
        assert 'title="X does not provide this figure">—' in networks
        months = rows_of(await local.get(f"/locations/{first.id}/stats/months.csv"))
        assert months[0][:5] == ["Month", "Proposals", "Proposals published", "Publication rate",
                                 "Network's publication rate"]
        assert months[-1][1:5] == ["1", "1", "1.0", "0.5"] and re.fullmatch(r"\d{4}-\d{2}", months[-1][0])

        french = await web_client(network.local_emails[third.id], language="fr")
        html = (await french.get(f"/locations/{third.id}/stats")).text
        assert re.search(r'data-testid="publication-rank">3e sur 4<', html)
        assert "Taux de publication" in html and 'data-testid="very-good"' not in html

    async def test_access_follows_who_may_see_the_location(self, database, settings, client_as, web_client):
        network, campaign = await published_campaign(database, settings, client_as)
        first, second, _third, _fourth = network.locations
        anonymous = await web_client()
        for url in ("/network/stats", f"/locations/{first.id}/stats", "/network/stats/adoption.csv",
                    f"/locations/{first.id}/stats/months.csv", f"/campaigns/{campaign['id']}/report/funnel.csv"):
            response = await anonymous.get(url)
            assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), url

        local = await web_client(network.local_emails[first.id])
        assert (await local.get(f"/locations/{second.id}/stats")).status_code == 404
        assert (await local.get(f"/locations/{second.id}/stats/networks.csv")).status_code == 404
        assert (await local.get("/network/stats")).status_code == 403
        assert (await local.get("/network/stats/adoption.csv")).status_code == 403
        assert (await local.get(f"/campaigns/{campaign['id']}/report/locations.csv")).status_code == 404

        hq = await web_client(network.hq_email)
        assert (await hq.get(f"/locations/{second.id}/stats")).status_code == 200
        assert f'href="/locations/{second.id}/stats"' in (await hq.get("/locations")).text
        assert 'href="/network/stats"' in (await hq.get("/network")).text


@pytest.mark.browser
async def test_in_a_browser_sorting_keeps_the_focus_and_no_chart_breaks_the_csp(database, settings, client_as,
                                                                                 live_server):
    from playwright.async_api import async_playwright, expect

    network, campaign = await published_campaign(database, settings, client_as)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(base_url=live_server)).new_page()
            # An inline style or script refused by the CSP, or a failed request, is a console error.
            console_errors: list[str] = []
            page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
            await log_in_in_english(page, network.hq_email)
            await page.goto("/network/stats")
            await expect(page.locator("[data-testid=adoption-chart] figure[role=img] rect.chart-bar")).to_have_count(1)

            await page.goto(f"/campaigns/{campaign['id']}")
            link = page.locator("#sort-locations-engagements")
            await link.focus()
            await page.keyboard.press("Enter")
            await expect(page).to_have_url(re.compile(r"sort=engagements&dir=desc"))
            await expect(page.locator("[data-testid=table-locations] th[aria-sort=descending]")).to_have_count(1)
            # htmx swapped the table in place and gave the focus back to the heading's link.
            await expect(page.locator("#sort-locations-engagements")).to_be_focused()
            await page.keyboard.press("Enter")
            await expect(page.locator("[data-testid=table-locations] th[aria-sort=ascending]")).to_have_count(1)
            codes = await page.locator("[data-testid=table-locations] tbody th").all_inner_texts()
            assert codes == [network.locations[index].code for index in (1, 0, 2, 3)]
            assert console_errors == []
        finally:
            await browser.close()
