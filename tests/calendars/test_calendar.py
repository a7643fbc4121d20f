"""Calendars: local days across daylight-saving changes, HQ's aggregation and filters, conflicts, access."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import update

from hub.calendars import service as calendars
from hub.db import utcnow
from hub.publishing.models import Publication
from tests.calendars.conftest import actor_of, decide, send_post
from tests.web.conftest import log_in  # noqa: F401  (web_client fixture lives there)
from tests.web.conftest import web_client  # noqa: F401

# Europe/Paris moves to summer time on 2027-03-28 at 02:00 (UTC+1 -> UTC+2); New York did on
# 2027-03-14 (UTC-5 -> UTC-4).
MARCH = (date(2027, 3, 1), date(2027, 4, 5))


async def _hq_calendar(database, world, start=MARCH[0], end=MARCH[1], **filters):
    async with database.session() as session:
        actor = await actor_of(session, world.hq)
        return await calendars.network_calendar(session, actor, start, end, **filters)


def _counts(data, day, post_id):
    """{status: n} of a post on a day of the HQ calendar ({} when it is not there)."""
    for entry in data["days"].get(day, []):
        if entry.post_id == post_id:
            return entry.counts
    return {}


class TestLocalDays:
    async def test_absolute_times_land_on_each_locations_local_day_across_dst(self, database, settings, world):
        before = await send_post(database, settings, world, "Avant", publish_at=datetime(2027, 3, 27, 22, 30, tzinfo=UTC))
        after = await send_post(database, settings, world, "Après", publish_at=datetime(2027, 3, 28, 22, 30, tzinfo=UTC))
        data = await _hq_calendar(database, world)
        # 22:30 UTC is 23:30 in Paris on the 27th (winter time), 00:30 on the 29th (summer time)...
        assert _counts(data, date(2027, 3, 27), before["post_id"]) == {"pending": 4}  # 3 Paris + New York 18:30
        assert _counts(data, date(2027, 3, 28), after["post_id"]) == {"pending": 1}  # New York, 18:30 EDT
        assert _counts(data, date(2027, 3, 29), after["post_id"]) == {"pending": 3}  # Paris, 00:30 CEST
        assert _counts(data, date(2027, 3, 28), before["post_id"]) == {}

    async def test_local_time_is_on_the_same_local_day_and_hour_everywhere(self, database, settings, world, web_client):
        sent = await send_post(database, settings, world, "Dix heures", publish_at_local="2027-03-28T10:00")
        late = await send_post(database, settings, world, "Minuit et demie", publish_at_local="2027-03-30T00:30")
        data = await _hq_calendar(database, world)
        assert _counts(data, date(2027, 3, 28), sent["post_id"]) == {"pending": 4}
        # 00:30 on the 30th in Paris is still the 29th in UTC: the calendar shows the local day.
        assert _counts(data, date(2027, 3, 30), late["post_id"]) == {"pending": 4}
        assert _counts(data, date(2027, 3, 29), late["post_id"]) == {}
        for location_id, zone_hour in ((world.paris, 8), (world.new_york, 14)):
            async with database.session() as session:
                location = await session.get(calendars.Location, location_id)
                entries = await calendars.location_schedule(
                    session, location, *calendars.local_bounds(location, date(2027, 3, 28), date(2027, 3, 29)))
            assert [(entry.campaign_name, entry.local.strftime("%Y-%m-%d %H:%M"), entry.at.hour) for entry in entries] \
                == [("Dix heures", "2027-03-28 10:00", zone_hour)]
        client = await web_client(world.local(world.new_york))
        page = await client.get(f"/locations/{world.new_york}/calendar?view=week&date=2027-03-28")
        assert page.status_code == 200
        cell = re.search(r'data-day="2027-03-28".*?</td>', page.text, re.S).group(0)
        assert "Dix heures" in cell and "10:00" in cell
        assert "Minuit et demie" not in cell


class TestNetworkCalendar:
    async def test_counts_per_status_and_filters(self, database, settings, world):
        first = await send_post(database, settings, world, "Printemps", publish_at_local="2027-03-10T09:00",
                                networks=("instagram",))
        second = await send_post(database, settings, world, "Soldes", publish_at_local="2027-03-10T18:00",
                                 networks=("facebook",))
        await decide(database, world, world.paris, first[world.paris], "approve")
        await decide(database, world, world.paris_north, first[world.paris_north], "reject")
        await decide(database, world, world.new_york, first[world.new_york], "approve")
        async with database.session() as session:  # what the publisher records once the post is out
            await session.execute(update(Publication).where(Publication.proposal_id == first[world.new_york])
                                  .values(status="published", published_at=utcnow()))
        day = date(2027, 3, 10)
        data = await _hq_calendar(database, world)
        assert _counts(data, day, first["post_id"]) == {"approved": 1, "published": 1, "pending": 1}
        assert _counts(data, day, second["post_id"]) == {"pending": 4}
        entry = next(e for e in data["days"][day] if e.post_id == first["post_id"])
        assert (entry.campaign_name, entry.networks, entry.publish_at_local) == ("Printemps", ["instagram"],
                                                                                 "2027-03-10T09:00")
        by_region = await _hq_calendar(database, world, region="south")
        assert _counts(by_region, day, second["post_id"]) == {"pending": 2}
        by_network = await _hq_calendar(database, world, network="instagram")
        assert [e.post_id for e in by_network["days"][day]] == [first["post_id"]]
        by_campaign = await _hq_calendar(database, world, campaign_id=second["campaign_id"])
        assert [e.post_id for e in by_campaign["days"][day]] == [second["post_id"]]
        assert (await _hq_calendar(database, world, start=date(2027, 3, 11), end=date(2027, 3, 12)))["days"] == {}

    async def test_page_month_and_week_with_filters_in_french(self, database, settings, world, web_client):
        sent = await send_post(database, settings, world, "Printemps", publish_at_local="2027-03-10T09:00")
        client = await web_client(world.hq, language="fr")
        page = await client.get("/calendar?view=month&date=2027-03-15")
        assert page.status_code == 200
        assert "Mars 2027" in page.text and "lun." in page.text  # Babel's French month and weekday names
        cell = re.search(r'data-day="2027-03-10".*?</td>', page.text, re.S).group(0)
        assert f'data-post="{sent["post_id"]}" data-locations="4"' in cell and "09:00" in cell
        assert 'href="/calendar?view=month&amp;date=2027-02-01"' in page.text  # previous month
        week = await client.get("/calendar?view=week&date=2027-03-10&region=north",
                                headers={"HX-Request": "true", "HX-Target": "calendar"})
        assert week.status_code == 200 and week.text.lstrip().startswith('<section id="calendar"')
        assert week.text.count('data-day="') == 7 and 'data-locations="1"' in week.text
        bad = await client.get("/calendar?network=myspace")
        assert bad.status_code == 422
        assert (await client.get("/calendar?date=10/03/2027")).status_code == 422


class TestConflicts:
    async def test_two_posts_same_local_day_on_one_network(self, database, settings, world, client_as):
        morning = await send_post(database, settings, world, "Matin", publish_at_local="2027-03-10T09:00",
                                  networks=("instagram", "facebook"))
        evening = await send_post(database, settings, world, "Soir", publish_at_local="2027-03-10T23:30",
                                  networks=("instagram",))
        # 01:00 UTC on the 11th: the 10th in New York (20:00), the 11th in Paris: a conflict only in New York.
        await send_post(database, settings, world, "Nuit", publish_at=datetime(2027, 3, 11, 1, 0, tzinfo=UTC),
                        networks=("facebook",))
        await decide(database, world, world.paris_north, evening[world.paris_north], "reject")
        data = await _hq_calendar(database, world)
        assert data["conflicts_by_day"][date(2027, 3, 10)] == {"instagram": 3, "facebook": 1}
        assert data["conflicts"] == {"instagram": 3, "facebook": 1}
        assert (await _hq_calendar(database, world, network="facebook"))["conflicts"] == {"facebook": 1}
        assert (await _hq_calendar(database, world, region="east"))["conflicts"] == {"instagram": 1, "facebook": 1}

        client = await client_as(world.local(world.new_york), "correct-horse-battery")
        answer = await client.get(f"/api/v1/locations/{world.new_york}/calendar?from=2027-03-10&to=2027-03-11")
        assert answer.status_code == 200
        body = answer.json()
        assert len(body["entries"]) == 3
        conflicts = {item["network"]: item for item in body["conflicts"]}
        assert set(conflicts) == {"instagram", "facebook"}
        assert conflicts["instagram"]["severity"] == "warning" and conflicts["instagram"]["rule"] == "calendar.same_day"
        assert set(conflicts["instagram"]["proposal_ids"]) == {morning[world.new_york], evening[world.new_york]}
        assert "2 posts" in conflicts["instagram"]["message"]
        rejected = await client_as(world.local(world.paris_north), "correct-horse-battery")
        quiet = (await rejected.get(f"/api/v1/locations/{world.paris_north}/calendar?from=2027-03-10&to=2027-03-11")).json()
        assert quiet["conflicts"] == [] and len(quiet["entries"]) == 1

    async def test_conflict_shown_on_location_and_hq_pages(self, database, settings, world, web_client):
        await send_post(database, settings, world, "Matin", publish_at_local="2027-03-10T09:00", networks=("instagram",))
        await send_post(database, settings, world, "Soir", publish_at_local="2027-03-10T19:00", networks=("instagram",))
        local = await web_client(world.local(world.paris))
        page = await local.get(f"/locations/{world.paris}/calendar?date=2027-03-10")
        assert 'data-testid="day-conflict" data-network="instagram"' in page.text
        hq = await web_client(world.hq)
        page = await hq.get("/calendar?date=2027-03-10")
        assert "4 location(s) have two posts the same day on Instagram." in page.text


class TestAccess:
    async def test_local_manager_sees_only_its_location(self, database, settings, world, web_client, client_as):
        await send_post(database, settings, world, "Printemps", publish_at_local="2027-03-10T09:00")
        client = await web_client(world.local(world.paris))
        own = await client.get(f"/locations/{world.paris}/calendar?date=2027-03-10")
        assert own.status_code == 200 and "Printemps" in own.text
        assert (await client.get(f"/locations/{world.new_york}/calendar")).status_code == 404
        redirect = await client.get("/calendar")
        assert redirect.status_code == 303 and redirect.headers["location"] == f"/locations/{world.paris}/calendar"
        api = await client_as(world.local(world.paris), "correct-horse-battery")
        assert (await api.get(f"/api/v1/locations/{world.new_york}/calendar")).status_code == 404

    async def test_hq_sees_every_location_of_its_brand_only(self, database, settings, world, web_client, client_as):
        client = await web_client(world.hq)
        assert (await client.get(f"/locations/{world.new_york}/calendar")).status_code == 200
        foreign = world.other_brand.locations[0].id
        assert (await client.get(f"/locations/{foreign}/calendar")).status_code == 404
        api = await client_as(world.hq, "correct-horse-battery")
        assert (await api.get(f"/api/v1/locations/{foreign}/calendar")).status_code == 404
        assert (await api.get(f"/api/v1/locations/{world.paris}/calendar?from=2027-03-10&to=2027-03-01")).status_code == 422
        other_hq = await web_client(world.other_brand.hq_email)
        await send_post(database, settings, world, "Printemps", publish_at_local="2027-03-10T09:00")
        page = await other_hq.get("/calendar?date=2027-03-10")
        assert page.status_code == 200 and "Printemps" not in page.text
