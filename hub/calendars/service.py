"""What each location will publish, and when: HQ's calendar across the network (aggregated in SQL
per local day), a location's own schedule, same-day conflicts, and the private iCalendar feed.

When a proposal goes out (its calendar time):
- a post with a publish time: `Proposal.publish_at`, already the instant for this location (an
  absolute time, or a local wall-clock time resolved on the location's clock at fan-out, DST
  included — hub.proposals.service.local_publish_time);
- a post going out "as soon as approved": the decision time (`decided_at`) once it goes out; until
  the location decides it has no time and is on no calendar day.

Days are the location's days: a post is on the day it goes out on the location's clock. The HQ
calendar groups every location on its own local day too ("10:00 local" on 1 December is on
1 December everywhere); absolute times are shown to HQ in UTC (brands have no time zone of their own).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.audit.service import record
from hub.calendars.models import CalendarFeed
from hub.campaigns.models import Campaign, Post, PostRevision
from hub.config import Settings
from hub.db import insert_ignoring_conflicts, utcnow
from hub.errors import Forbidden
from hub.linting.findings import finding
from hub.locations.models import Location
from hub.locations.service import visible_locations
from hub.proposals.models import GOING_OUT, Proposal
from hub.publishing.models import NETWORKS, Publication

# What the calendars show of a proposal, in the order people read it.
CALENDAR_STATUSES = ("pending", "needs_decision", "approved", "customized", "published")
# Decided for good without going out (or replaced by a newer revision): off the calendar. The feed
# still lists the first three as cancelled, so subscribed calendars drop them.
CANCELLED = ("rejected", "expired", "withdrawn")
OFF_CALENDAR = (*CANCELLED, "superseded")
# Every UTC offset in use lies within ±14 h: a UTC window this much wider holds every local day.
WIDEST_OFFSET = timedelta(hours=15)
# How far back and ahead the feed reaches.
FEED_PAST = timedelta(days=180)
FEED_FUTURE = timedelta(days=730)
# A post is an instant; calendars show it as a short event.
EVENT_LENGTH = timedelta(minutes=15)


# ---------------------------------------------------------------- SQL pieces


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name


def _sqlite_local_date(value: str | None, zone: str | None) -> str | None:
    """SQLite's stand-in for PostgreSQL's `timezone()`: the local date of a stored UTC time in `zone`."""
    if value is None or zone is None:
        return None
    moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


async def _prepare(session: AsyncSession) -> None:
    """Give SQLite the local-date function the queries use (PostgreSQL has time zones built in)."""
    if _dialect(session) != "sqlite":
        return
    connection = await session.connection()
    await connection.run_sync(lambda sync: sync.connection.dbapi_connection.create_function(
        "pieuvre_local_date", 2, _sqlite_local_date, deterministic=True))


def _calendar_time():
    """When a proposal goes out (see the module docstring), or NULL when it has no time yet."""
    return case(
        (Proposal.publish_at.is_not(None), Proposal.publish_at),
        (Proposal.status.in_(GOING_OUT), Proposal.decided_at),
        else_=None,
    )


def _local_day(session: AsyncSession, moment, zone):
    """The 'YYYY-MM-DD' local date of a UTC time on a location's clock, in SQL."""
    if _dialect(session) == "postgresql":
        return func.to_char(func.timezone(zone, moment), "YYYY-MM-DD")
    return func.pieuvre_local_date(moment, zone)


def _has_network(session: AsyncSession, network: str, texts=Proposal.texts):
    """Whether a proposal has a text for `network` (its texts are keyed by network)."""
    if _dialect(session) == "postgresql":
        return texts.op("?")(network)
    return func.json_type(texts, f'$."{network}"').is_not(None)


def _published():
    return select(Publication.id).where(Publication.proposal_id == Proposal.id,
                                        Publication.status == "published").exists()


def _calendar_status():
    """A proposal's calendar status: published (on at least one network), approved, customized,
    pending, or needs_decision (pending but it cannot simply be approved: HQ changed the post after
    a local edit, blocking findings, or waiting for something else such as a translation)."""
    return case(
        (_published(), "published"),
        (Proposal.status.in_(("approved", "auto_approved")), "approved"),
        (Proposal.status == "customized", "customized"),
        (and_(Proposal.status == "pending", Proposal.hq_changed.is_(False), Proposal.blocked.is_(False)), "pending"),
        else_="needs_decision",
    )


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """The days a month or week view shows: [start, end), weeks from Monday."""

    view: str
    anchor: date
    start: date
    end: date
    previous: date
    next: date

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]

    @property
    def weeks(self) -> list[list[date]]:
        days = self.days
        return [days[i:i + 7] for i in range(0, len(days), 7)]


def period(view: str, anchor: date) -> Period:
    """The month (whole weeks around it) or the week (Monday to Sunday) holding `anchor`."""
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return Period("week", anchor, start, start + timedelta(days=7), anchor - timedelta(days=7),
                      anchor + timedelta(days=7))
    first = anchor.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start = first - timedelta(days=first.weekday())
    last = following - timedelta(days=1)
    end = last + timedelta(days=7 - last.weekday())
    return Period("month", first, start, end, (first - timedelta(days=1)).replace(day=1), following)


# ---------------------------------------------------------------- HQ calendar


@dataclass
class DayPost:
    """One post on one day of the HQ calendar: how many locations, in which status."""

    post_id: str
    campaign_id: str
    campaign_name: str = ""
    networks: list[str] = field(default_factory=list)
    publish_at: datetime | None = None
    publish_at_local: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def locations(self) -> int:
        return sum(self.counts.values())


async def network_calendar(
    session: AsyncSession, actor: Actor, start: date, end: date, *, region: str | None = None,
    network: str | None = None, campaign_id: str | None = None,
) -> dict[str, Any]:
    """The posts of each local day in [start, end) across the locations the actor sees, with the
    number of locations per calendar status, and the same-day conflicts — all counted in SQL."""
    await _prepare(session)
    moment = _calendar_time()
    day = _local_day(session, moment, Location.timezone)
    low = datetime.combine(start, time(), UTC) - WIDEST_OFFSET
    high = datetime.combine(end, time(), UTC) + WIDEST_OFFSET
    located = [visible_locations(actor), Proposal.status.notin_(OFF_CALENDAR), moment >= low, moment < high]
    if region:
        located.append(Location.region == region)
    if network:
        located.append(_has_network(session, network))
    shown = [*located, *([Proposal.campaign_id == campaign_id] if campaign_id else [])]
    # Computed once per row in a subquery, then grouped: PostgreSQL refuses to GROUP BY an
    # expression whose bound parameters are rendered twice.
    rows = (select(day.label("day"), Proposal.post_id, Proposal.campaign_id, _calendar_status().label("status"))
            .join(Location, Location.id == Proposal.location_id).where(*shown).subquery())
    counted = await session.execute(
        select(rows.c.day, rows.c.post_id, rows.c.campaign_id, rows.c.status, func.count())
        .where(rows.c.day >= start.isoformat(), rows.c.day < end.isoformat())
        .group_by(rows.c.day, rows.c.post_id, rows.c.campaign_id, rows.c.status)
    )
    days: dict[date, dict[str, DayPost]] = defaultdict(dict)
    for day_text, post_id, campaign, status, count in counted:
        entry = days[date.fromisoformat(day_text)].setdefault(post_id, DayPost(post_id, campaign))
        entry.counts[status] = entry.counts.get(status, 0) + count
    await _describe_posts(session, [entry for posts in days.values() for entry in posts.values()])
    conflicts = await _network_conflicts(session, located, day, start, end, [network] if network else list(NETWORKS))
    return {
        "days": {key: sorted(posts.values(), key=_post_order) for key, posts in days.items()},
        **conflicts,
    }


def _post_order(entry: DayPost) -> tuple[str, str]:
    clock = entry.publish_at_local[11:] if entry.publish_at_local else (
        entry.publish_at.strftime("%H:%M") if entry.publish_at else "99:99")
    return clock, entry.campaign_name


async def _describe_posts(session: AsyncSession, entries: list[DayPost]) -> None:
    """Fill each entry's campaign name, networks and publish time from the post's current revision."""
    post_ids = {entry.post_id for entry in entries}
    if not post_ids:
        return
    described = {row.id: row for row in (await session.execute(
        select(Post.id, Campaign.name, PostRevision.networks, PostRevision.publish_at, PostRevision.publish_at_local)
        .join(Campaign, Campaign.id == Post.campaign_id)
        .join(PostRevision, and_(PostRevision.post_id == Post.id, PostRevision.number == Post.current_revision))
        .where(Post.id.in_(post_ids))
    )).all()}
    for entry in entries:
        row = described.get(entry.post_id)
        if row is not None:
            entry.campaign_name, entry.networks = row.name, list(row.networks)
            entry.publish_at, entry.publish_at_local = row.publish_at, row.publish_at_local


async def _network_conflicts(session: AsyncSession, located: list, day, start: date, end: date,
                             networks: list[str]) -> dict[str, Any]:
    """Per local day and network, how many locations have two posts or more; and over the whole
    period, how many distinct locations per network. Every campaign counts: a conflict is about the
    location's whole schedule."""
    rows = (select(Proposal.location_id, day.label("day"), Proposal.texts.label("texts"))
            .join(Location, Location.id == Proposal.location_id).where(*located).cte("calendar_rows"))
    # Most location-days hold one post: SQL finds those with two or more, and only they come back
    # (with their posts per network), never a row per proposal.
    crowded = (select(rows.c.location_id, rows.c.day)
               .where(rows.c.day >= start.isoformat(), rows.c.day < end.isoformat())
               .group_by(rows.c.location_id, rows.c.day).having(func.count() >= 2).subquery())
    crowded_rows = await session.execute(
        select(rows.c.location_id, rows.c.day,
               *[func.sum(case((_has_network(session, name, rows.c.texts), 1), else_=0)) for name in networks])
        .join(crowded, and_(crowded.c.location_id == rows.c.location_id, crowded.c.day == rows.c.day))
        .group_by(rows.c.location_id, rows.c.day))
    by_day: dict[date, dict[str, int]] = defaultdict(dict)
    locations: dict[str, set[str]] = defaultdict(set)
    for location_id, day_text, *counts in crowded_rows:
        for name, count in zip(networks, counts):
            if count and count >= 2:
                today = by_day[date.fromisoformat(day_text)]
                today[name] = today.get(name, 0) + 1
                locations[name].add(location_id)
    return {"conflicts_by_day": dict(by_day),
            "conflicts": {name: len(locations[name]) for name in networks if locations[name]}}


# ---------------------------------------------------------------- a location's schedule


@dataclass
class Entry:
    """One proposal on a location's calendar."""

    proposal_id: str
    post_id: str
    campaign_id: str
    campaign_name: str
    at: datetime  # UTC
    local: datetime  # on the location's clock
    networks: list[str]
    status: str  # a calendar status, or "cancelled"
    proposal_status: str
    texts: dict[str, str]
    publish_at_local: str | None
    as_soon_as_approved: bool
    last_modified: datetime
    revision: int
    publications: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def day(self) -> date:
        return self.local.date()


async def location_schedule(session: AsyncSession, location: Location, start: datetime, end: datetime, *,
                            with_cancelled: bool = False) -> list[Entry]:
    """The location's proposals going out in [start, end) (UTC instants), soonest first."""
    moment = _calendar_time()
    statuses = ("superseded",) if with_cancelled else OFF_CALENDAR
    rows = (await session.execute(
        select(Proposal, moment.label("at"), Campaign.name, PostRevision.publish_at_local, _calendar_status())
        .join(Campaign, Campaign.id == Proposal.campaign_id)
        .join(PostRevision, PostRevision.id == Proposal.post_revision_id)
        .where(Proposal.location_id == location.id, Proposal.status.notin_(statuses), moment >= start, moment < end)
        .order_by(moment, Campaign.name)
    )).all()
    publications: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    if rows:
        for publication in await session.scalars(select(Publication).where(
                Publication.proposal_id.in_([row[0].id for row in rows]))):
            publications[publication.proposal_id][publication.network] = {
                "status": publication.status, "published_at": publication.published_at, "url": publication.url}
    zone = ZoneInfo(location.timezone)
    entries = []
    for proposal, at, campaign_name, publish_at_local, status in rows:
        at = at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite hands a CASE's time back as text-made naive
        outs = publications.get(proposal.id, {})
        touched = [proposal.created_at, proposal.decided_at,
                   *(item["published_at"] for item in outs.values())]
        entries.append(Entry(
            proposal_id=proposal.id, post_id=proposal.post_id, campaign_id=proposal.campaign_id,
            campaign_name=campaign_name, at=at, local=at.astimezone(zone), networks=list(proposal.texts),
            status="cancelled" if proposal.status in CANCELLED else status, proposal_status=proposal.status,
            texts=proposal.texts, publish_at_local=publish_at_local, as_soon_as_approved=proposal.publish_at is None,
            last_modified=max(moment for moment in touched if moment is not None), revision=proposal.revision,
            publications=outs,
        ))
    return entries


def local_bounds(location: Location, start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants of the location's local midnights starting `start` and `end`."""
    zone = ZoneInfo(location.timezone)
    return (datetime.combine(start, time(), zone).astimezone(UTC), datetime.combine(end, time(), zone).astimezone(UTC))


def location_conflicts(entries: list[Entry]) -> list[dict[str, Any]]:
    """A warning (finding-shaped) per local day and network where the location has two posts or more."""
    same_day: dict[tuple[date, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.status == "cancelled":
            continue
        for network in entry.networks:
            same_day[(entry.day, network)].append(entry)
    warnings = []
    for (day, network), clashing in sorted(same_day.items()):
        if len(clashing) < 2:
            continue
        item = finding("calendar.same_day", "warning", network, "", 0, 0,
                       "{n} posts go out on {network} the same day ({day}): space them out or reject one.",
                       n=len(clashing), day=day.isoformat(), network=network)
        item.update(day=day.isoformat(), proposal_ids=[entry.proposal_id for entry in clashing])
        warnings.append(item)
    return warnings


# ---------------------------------------------------------------- the iCalendar feed


def can_rotate_feed(actor: Actor, location: Location) -> bool:
    """HQ, and the location's own manager, may revoke its feed link."""
    return actor.is_hq or (actor.role == "local_manager" and location.id in actor.location_ids)


async def feed_version(session: AsyncSession, location_id: str) -> int:
    """The location's current feed secret version (0 until someone rotates it)."""
    return await session.scalar(select(CalendarFeed.version).where(CalendarFeed.location_id == location_id)) or 0


def feed_token(settings: Settings, location_id: str, version: int) -> str:
    """The signature in a feed link: HMAC-SHA256 of the location id and its feed version."""
    key = hashlib.sha256(("calendar-feed:" + settings.resolved_secret_key()).encode()).digest()
    digest = hmac.new(key, f"{location_id}:{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def feed_url(session: AsyncSession, settings: Settings, location: Location) -> str:
    """The location's private feed link, as calendar apps subscribe to it."""
    token = feed_token(settings, location.id, await feed_version(session, location.id))
    return f"{settings.public_base_url}/calendars/{location.id}.ics?token={token}"


async def location_for_feed(session: AsyncSession, settings: Settings, location_id: str, token: str) -> Location | None:
    """The location whose feed this token opens; None for an unknown location, a wrong or an old token."""
    location = await session.get(Location, location_id)
    expected = feed_token(settings, location_id, await feed_version(session, location_id))
    if location is None or not hmac.compare_digest(expected.encode(), (token or "").encode()):
        return None
    return location


async def rotate_feed(session: AsyncSession, actor: Actor, location: Location) -> int:
    """Give the location a new feed link; every earlier link stops working. Returns the new version."""
    if not can_rotate_feed(actor, location):
        raise Forbidden("Only HQ and the location's manager can change its calendar link.")
    now = utcnow()
    await session.execute(insert_ignoring_conflicts(
        session, CalendarFeed, [{"location_id": location.id, "version": 0, "rotated_at": now}], ["location_id"]))
    # An increment in SQL: two rotations at once both revoke the old link.
    version = await session.scalar(
        update(CalendarFeed).where(CalendarFeed.location_id == location.id)
        .values(version=CalendarFeed.version + 1, rotated_at=now, rotated_by=actor.user.id)
        .returning(CalendarFeed.version))
    record(session, brand_id=location.brand_id, actor_id=actor.user.id, action="calendar.feed_rotated",
           subject_type="location", subject_id=location.id, after={"version": version})
    return version


# RFC 5545 STATUS of an event from the proposal's calendar status.
FEED_STATUS = {"pending": "TENTATIVE", "needs_decision": "TENTATIVE", "cancelled": "CANCELLED"}


async def feed(session: AsyncSession, settings: Settings, location: Location, labels: dict[str, str]) -> bytes:
    """The location's schedule as an iCalendar file: one event per proposal and network.

    UIDs are per post, location and network, so an event keeps its identity across HQ's new
    revisions of the post; `labels` names each network as people read it.
    """
    now = utcnow()
    entries = await location_schedule(session, location, now - FEED_PAST, now + FEED_FUTURE, with_cancelled=True)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Pieuvre//Location calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", location.name)
    calendar.add("x-wr-timezone", location.timezone)
    base = settings.public_base_url
    for entry in entries:
        for network in entry.networks:
            event = icalendar.Event()
            event.add("uid", f"{entry.post_id}-{location.id}-{network}@pieuvre")
            event.add("dtstamp", entry.last_modified)
            event.add("last-modified", entry.last_modified)
            event.add("dtstart", entry.at)
            event.add("dtend", entry.at + EVENT_LENGTH)
            event.add("summary", f"{entry.campaign_name} — {labels.get(network, network)}")
            event.add("description", entry.texts.get(network, ""))
            event.add("url", f"{base}/proposals/{entry.proposal_id}")
            event.add("status", FEED_STATUS.get(entry.status, "CONFIRMED"))
            event.add("sequence", entry.revision)
            event.add("categories", [labels.get(network, network)])
            calendar.add_component(event)
    return calendar.to_ical()
