"""Each location's private iCalendar feed, parsed back with the icalendar package; its signed link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar
from sqlalchemy import select

from hub.calendars import service as calendars
from hub.locations.models import Location
from tests.calendars.conftest import decide, send_post
from tests.web.conftest import csrf_of, web_client  # noqa: F401


async def _feed_path(database, settings, location_id: str) -> str:
    async with database.session() as session:
        url = await calendars.feed_url(session, settings, await session.get(Location, location_id))
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


class TestFeed:
    async def test_events_statuses_times_and_stable_uids(self, database, settings, world, client):
        soon = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=3)
        approved = await send_post(database, settings, world, "Printemps", body="Bonjour {city}; venez « vite » !",
                                   publish_at=soon)
        pending = await send_post(database, settings, world, "Local", publish_at_local="2027-03-28T10:00",
                                  networks=("instagram",))
        rejected = await send_post(database, settings, world, "Refusé", publish_at=soon + timedelta(hours=2),
                                   networks=("facebook",))
        await decide(database, world, world.new_york, approved[world.new_york], "approve")
        await decide(database, world, world.new_york, rejected[world.new_york], "reject")
        path = await _feed_path(database, settings, world.new_york)
        answer = await client.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
        events = _events(answer.content)
        nyc = world.new_york
        uid = f"{approved['post_id']}-{nyc}-facebook@pieuvre"
        assert set(events) == {
            uid, f"{approved['post_id']}-{nyc}-instagram@pieuvre", f"{pending['post_id']}-{nyc}-instagram@pieuvre",
            f"{rejected['post_id']}-{nyc}-facebook@pieuvre",
        }
        event = events[uid]
        assert str(event["STATUS"]) == "CONFIRMED"
        assert event.decoded("DTSTART") == soon
        assert str(event["SUMMARY"]) == "Printemps — Facebook"
        assert str(event["DESCRIPTION"]) == "Bonjour Brooklyn; venez « vite » !"  # escaped, then read back
        assert str(event["URL"]) == f"http://testserver/proposals/{approved[nyc]}"
        assert event.decoded("LAST-MODIFIED") >= event.decoded("DTSTAMP") - timedelta(seconds=1)
        local = events[f"{pending['post_id']}-{nyc}-instagram@pieuvre"]
        assert str(local["STATUS"]) == "TENTATIVE"
        assert local.decoded("DTSTART") == datetime(2027, 3, 28, 14, 0, tzinfo=UTC)  # 10:00 EDT
        assert str(events[f"{rejected['post_id']}-{nyc}-facebook@pieuvre"]["STATUS"]) == "CANCELLED"
        again = _events((await client.get(path)).content)
        assert set(again) == set(events)
        assert again[uid].decoded("DTSTART") == event.decoded("DTSTART")
        paris = _events((await client.get(await _feed_path(database, settings, world.paris))).content)
        assert all(f"-{world.paris}-" in key for key in paris) and len(paris) == 4

    async def test_wrong_tampered_or_other_location_token_is_404(self, database, settings, world, client):
        path = await _feed_path(database, settings, world.paris)
        token = parse_qs(urlsplit(path).query)["token"][0]
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        for url in (f"/calendars/{world.paris}.ics?token={tampered}", f"/calendars/{world.paris}.ics",
                    f"/calendars/{world.new_york}.ics?token={token}", f"/calendars/nope.ics?token={token}"):
            answer = await client.get(url)
            assert answer.status_code == 404, url
            assert answer.text == "Not found\n"

    async def test_rotation_revokes_the_old_link(self, database, settings, world, web_client, client):
        old = await _feed_path(database, settings, world.paris)
        manager = await web_client(world.local(world.paris))
        page = await manager.get(f"/locations/{world.paris}/calendar")
        shown = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page.text).group(1)
        assert shown.endswith(old) and 'data-testid="rotate"' in page.text
        refused = await manager.post(f"/locations/{world.paris}/calendar/rotate", data={"csrf_token": "forged"})
        assert refused.status_code == 403
        assert (await client.get(old)).status_code == 200
        rotated = await manager.post(f"/locations/{world.paris}/calendar/rotate", data={"csrf_token": csrf_of(page.text)})
        assert rotated.status_code == 303
        assert (await client.get(old)).status_code == 404
        new = await _feed_path(database, settings, world.paris)
        assert new != old and (await client.get(new)).status_code == 200
        hq = await web_client(world.hq)
        hq_page = await hq.get(f"/locations/{world.paris}/calendar")
        assert (await hq.post(f"/locations/{world.paris}/calendar/rotate",
                              data={"csrf_token": csrf_of(hq_page.text)})).status_code == 303
        assert (await client.get(new)).status_code == 404
        other = await web_client(world.local(world.new_york))
        other_page = await other.get(f"/locations/{world.new_york}/calendar")
        assert (await other.post(f"/locations/{world.paris}/calendar/rotate",
                                 data={"csrf_token": csrf_of(other_page.text)})).status_code == 404
        async with database.session() as session:
            assert await calendars.feed_version(session, world.paris) == 2
            assert await session.scalar(select(calendars.CalendarFeed.rotated_by)) is not None
