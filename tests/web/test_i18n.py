"""Pages in the reader's language: <html lang dir>, dates and numbers as that language writes them, and a
location's own text laid out in its script's direction (Arabic right to left inside a French page)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import update

from hub.locations.models import Location
from hub.proposals.models import Proposal
from tests.factories import make_network
from tests.web.conftest import sent_campaign

DEADLINE = datetime(2026, 11, 26, 13, 5, tzinfo=UTC)


async def arabic_proposal(database, settings) -> tuple[object, str, str]:
    """A network whose first location is in Dubai writing Arabic; the proposals of a sent campaign."""
    network = await make_network(database, settings, locations=2)
    dubai, paris = network.locations
    ids = await sent_campaign(database, settings, network, body="مرحبا {city}! اتصلوا بنا على {phone}.")
    # The locale is set after the fan-out, so which translation the location receives is not at stake here.
    async with database.session() as session:
        await session.execute(update(Location).where(Location.id == dubai.id)
                              .values(locale="ar-AE", timezone="Asia/Dubai"))
        await session.execute(update(Proposal).where(Proposal.id == ids[dubai.id]).values(deadline=DEADLINE))
    return network, ids[dubai.id], ids[paris.id]


class TestPages:
    async def test_the_page_says_its_language_and_direction(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        french = await (await web_client(network.hq_email, language="fr")).get("/campaigns")
        english = await (await web_client(network.hq_email, language="en")).get("/campaigns")
        assert '<html lang="fr" dir="ltr">' in french.text
        assert '<html lang="en" dir="ltr">' in english.text

    async def test_dates_follow_the_readers_language_on_the_locations_clock(self, database, settings, web_client):
        network, dubai_proposal, _ = await arabic_proposal(database, settings)
        dubai = network.locations[0]
        hq_french = await web_client(network.hq_email, language="fr")
        local_english = await web_client(network.local_emails[dubai.id], language="en")
        french = await hq_french.get(f"/proposals/{dubai_proposal}")
        english = await local_english.get(f"/proposals/{dubai_proposal}")
        # 13:05 UTC is 17:05 in Dubai.
        assert "À décider avant le 26 nov. 2026, 17:05" in french.text
        assert "Decide by Nov 26, 2026, 5:05\u202fPM" in english.text

    async def test_arabic_text_is_right_to_left_inside_a_french_page(self, database, settings, web_client):
        network, dubai_proposal, paris_proposal = await arabic_proposal(database, settings)
        dubai, paris = network.locations
        client = await web_client(network.local_emails[dubai.id], language="fr")
        page = (await client.get(f"/proposals/{dubai_proposal}")).text
        assert '<html lang="fr" dir="ltr">' in page
        previews = re.findall(r'<div class="netcard-text"([^>]*)>', page)
        assert previews and all(attributes == ' lang="ar-AE" dir="rtl"' for attributes in previews)
        editors = re.findall(r'<textarea id="text_\w+" name="text_\w+" rows="6"([^>]*)>', page)
        assert editors and all('lang="ar-AE" dir="rtl"' in attributes for attributes in editors)
        inbox = (await client.get("/inbox")).text
        assert re.findall(r'<span class="inbox-text"([^>]*)>', inbox) == [' lang="ar-AE" dir="rtl"']

        other = await web_client(network.local_emails[paris.id], language="fr")
        paris_page = (await other.get(f"/proposals/{paris_proposal}")).text
        assert set(re.findall(r'<div class="netcard-text"([^>]*)>', paris_page)) == {' lang="fr-FR" dir="ltr"'}
