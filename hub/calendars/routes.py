"""Calendar pages (HQ's and a location's), the calendar API and each location's iCalendar feed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from hub.calendars import service as calendars
from hub.campaigns.models import Campaign
from hub.deps import ApiActor, FormActor, PageActor, SessionDep, require_brand
from hub.errors import Invalid
from hub.linting.networks import NETWORK_RULES
from hub.linting.read import finding_read
from hub.locations.models import Location
from hub.locations.service import get_location, visible_locations
from hub.publishing.models import NETWORKS
from hub.templating import is_htmx, render

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["calendars"])

NETWORK_LABELS = {name: rules.label for name, rules in NETWORK_RULES.items()}
VIEWS = ("month", "week")
# The longest span one API call may ask for: a year and a bit, enough for any planning view.
MAX_API_DAYS = 400


# ---------------------------------------------------------------- parsing and formatting


def _day(value: str, field: str, default: date) -> date:
    """A YYYY-MM-DD query parameter, or a clear error."""
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("'{value}' is not a date: write it as YYYY-MM-DD.", value=value,
                      errors=[{"field": field, "message": "a date as YYYY-MM-DD"}]) from None


def _view(value: str) -> str:
    if value and value not in VIEWS:
        raise Invalid("Unknown view '{value}': use month or week.", value=value,
                      errors=[{"field": "view", "message": "month or week"}])
    return value or "month"


def _network(value: str) -> str:
    if value and value not in NETWORKS:
        raise Invalid("Unknown network '{network}': use one of {networks}.", network=value, networks=", ".join(NETWORKS),
                      errors=[{"field": "network", "message": f"one of {', '.join(NETWORKS)}"}])
    return value


class Dates:
    """Dates and times as the reader's language writes them (Babel's CLDR data)."""

    def __init__(self, language: str) -> None:
        self.locale = language

    def month(self, day: date) -> str:
        title = babel_dates.format_date(day, "LLLL y", locale=self.locale)
        return title[:1].upper() + title[1:]

    def week(self, first: date, last: date) -> str:
        return babel_dates.format_interval(first, last, "yMMMd", locale=self.locale)

    def weekdays(self, width: str = "abbreviated") -> list[str]:
        names = babel_dates.get_day_names(width, locale=self.locale)
        return [names[index] for index in range(7)]  # Babel numbers them from Monday

    def day(self, day: date | str) -> str:
        day = date.fromisoformat(day) if isinstance(day, str) else day
        return babel_dates.format_date(day, "EEEE d MMMM", locale=self.locale)

    def long(self, day: date) -> str:
        return babel_dates.format_date(day, "long", locale=self.locale)

    def time(self, moment: datetime) -> str:
        return babel_dates.format_time(moment.replace(tzinfo=None).time(), "short", locale=self.locale)

    def wall(self, local: str) -> str:
        """The clock of a post's local publish time ("2026-12-01T10:00")."""
        return self.time(datetime.fromisoformat(local))


def _period_context(view: str, anchor: date, today: date, path: str, filters: dict[str, str]) -> dict[str, Any]:
    period = calendars.period(view, anchor)

    def link(day: date, new_view: str = view) -> str:
        query = {key: value for key, value in {**filters, "view": new_view, "date": day.isoformat()}.items() if value}
        return f"{path}?{urlencode(query)}"
    return {"period": period, "today": today, "link": link, "view": view,
            "links": {"previous": link(period.previous), "next": link(period.next), "today": link(today),
                      "month": link(anchor, "month"), "week": link(anchor, "week")}}


# ---------------------------------------------------------------- HQ calendar


@pages.get("/calendar")
async def network_calendar_page(
    request: Request, actor: PageActor, session: SessionDep, view: str = "",
    anchor: Annotated[str, Query(alias="date")] = "", region: str = "", network: str = "", campaign: str = "",
) -> Response:
    """Month or week across the network: per day, each post with how many locations in which status."""
    require_brand(actor)
    if actor.role == "local_manager" and actor.location_ids:
        return RedirectResponse(f"/locations/{actor.location_ids[0]}/calendar", status_code=303)
    today = datetime.now(UTC).date()  # HQ reads absolute times in UTC: brands have no time zone of their own
    view, network = _view(view), _network(network)
    anchor_day = _day(anchor, "date", today)
    filters = {"region": region, "network": network, "campaign": campaign}
    context = _period_context(view, anchor_day, today, "/calendar", filters)
    period = context["period"]
    data = await calendars.network_calendar(session, actor, period.start, period.end, region=region or None,
                                            network=network or None, campaign_id=campaign or None)
    context.update(data, filters=filters, dates=Dates(actor.language), CALENDAR_STATUSES=calendars.CALENDAR_STATUSES,
                   choices={
        "regions": sorted(set(await session.scalars(select(Location.region).where(visible_locations(actor)))) - {""}),
        "campaigns": list((await session.execute(select(Campaign.id, Campaign.name).where(
            Campaign.brand_id == actor.brand_id).order_by(Campaign.created_at.desc()).limit(200))).all()),
        "networks": NETWORKS,
    })
    if is_htmx(request) and request.headers.get("HX-Target") == "calendar":
        return render(request, "calendars/network.html", context, block="calendar")
    return render(request, "calendars/network.html", context)


# ---------------------------------------------------------------- a location's calendar


async def _location_calendar(session: SessionDep, location: Location, start: date, end: date) -> dict[str, Any]:
    entries = await calendars.location_schedule(session, location, *calendars.local_bounds(location, start, end))
    return {"entries": entries, "conflicts": calendars.location_conflicts(entries)}


@pages.get("/locations/{location_id}/calendar")
async def location_calendar_page(
    request: Request, location_id: str, actor: PageActor, session: SessionDep, view: str = "",
    anchor: Annotated[str, Query(alias="date")] = "", rotated: str = "",
) -> Response:
    """A location's month or week, each post at its time on the location's clock, with its feed link."""
    location = await get_location(session, actor, location_id)
    settings = request.app.state.settings
    today = datetime.now(ZoneInfo(location.timezone)).date()
    view = _view(view)
    context = _period_context(view, _day(anchor, "date", today), today, f"/locations/{location.id}/calendar", {})
    period = context["period"]
    data = await _location_calendar(session, location, period.start, period.end)
    by_day: dict[date, list[calendars.Entry]] = {}
    for entry in data["entries"]:
        by_day.setdefault(entry.day, []).append(entry)
    warnings_by_day: dict[date, list[dict[str, Any]]] = {}
    for item in data["conflicts"]:
        warnings_by_day.setdefault(date.fromisoformat(item["day"]), []).append(item)
    context.update(
        location=location, by_day=by_day, conflicts=data["conflicts"], warnings_by_day=warnings_by_day,
        dates=Dates(actor.language), feed_url=await calendars.feed_url(session, settings, location),
        may_rotate=calendars.can_rotate_feed(actor, location), rotated=rotated == "1",
    )
    if is_htmx(request) and request.headers.get("HX-Target") == "calendar":
        return render(request, "calendars/location.html", context, block="calendar")
    return render(request, "calendars/location.html", context)


@pages.post("/locations/{location_id}/calendar/rotate")
async def rotate_feed_link(location_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Give the location a new feed link; calendars subscribed to the old one stop receiving it."""
    location = await get_location(session, actor, location_id)
    await calendars.rotate_feed(session, actor, location)
    return RedirectResponse(f"/locations/{location.id}/calendar?rotated=1#feed", status_code=303)


# ---------------------------------------------------------------- the feed


@pages.get("/calendars/{location_id}.ics")
async def location_feed(request: Request, location_id: str, session: SessionDep, token: str = "") -> Response:
    """The location's schedule for calendar apps. Anything but the current link answers 404, so a
    guessed or revoked link does not even tell whether the location exists."""
    settings = request.app.state.settings
    location = await calendars.location_for_feed(session, settings, location_id, token)
    if location is None:
        return Response("Not found\n", status_code=404, media_type="text/plain")
    body = await calendars.feed(session, settings, location, NETWORK_LABELS)
    return Response(body, media_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": f'inline; filename="{location.code}.ics"',
        # The link is a secret: keep it out of shared caches and referrers.
        "Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer",
    })


# ---------------------------------------------------------------- API


def entry_read(entry: calendars.Entry) -> dict[str, Any]:
    """A calendar entry as the API shows it."""
    return {
        "proposal_id": entry.proposal_id, "post_id": entry.post_id, "campaign_id": entry.campaign_id,
        "campaign_name": entry.campaign_name, "at": entry.at, "local_time": entry.local.isoformat(),
        "day": entry.day.isoformat(), "networks": entry.networks, "status": entry.status,
        "proposal_status": entry.proposal_status, "publish_at_local": entry.publish_at_local,
        "as_soon_as_approved": entry.as_soon_as_approved, "publications": entry.publications,
    }


@api.get("/locations/{location_id}/calendar")
async def location_calendar_api(
    location_id: str, actor: ApiActor, session: SessionDep,
    from_: Annotated[str, Query(alias="from", description="First local day, YYYY-MM-DD (default: today)")] = "",
    to: Annotated[str, Query(description="Day after the last, YYYY-MM-DD (default: 31 days on)")] = "",
) -> dict[str, Any]:
    """The location's posts between two local days, with same-day conflicts as warnings."""
    location = await get_location(session, actor, location_id)
    today = datetime.now(ZoneInfo(location.timezone)).date()
    start = _day(from_, "from", today)
    end = _day(to, "to", date.fromordinal(start.toordinal() + 31))
    if end <= start or (end - start).days > MAX_API_DAYS:
        raise Invalid("'to' must come after 'from', at most {days} days later.", days=MAX_API_DAYS,
                      errors=[{"field": "to", "message": f"after 'from', at most {MAX_API_DAYS} days later"}])
    data = await _location_calendar(session, location, start, end)
    return {
        "location_id": location.id, "timezone": location.timezone, "from": start.isoformat(), "to": end.isoformat(),
        "entries": [entry_read(entry) for entry in data["entries"]],
        "conflicts": [finding_read(item, actor.language) for item in data["conflicts"]],
    }
