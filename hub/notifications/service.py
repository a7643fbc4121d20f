"""Reminders before a deadline, escalations after it, and one daily e-mail digest per user.

Every notification has a natural key (dedupe_key), so each job may run twice, or late, and still
records each event once. A digest claims its (user, local day) row before sending, so two
workers never mail the same user twice the same day; a failed send gives the claim back and
leaves the notifications unsent for the next run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.models import HQ_ROLES, Membership, User
from hub.config import Settings
from hub.db import Database, insert_ignoring_conflicts, new_id
from hub.i18n import LANGUAGES, Translator, format_datetime
from hub.locations.models import Location
from hub.notifications import mailer
from hub.notifications.models import Digest, Notification
from hub.proposals.models import Proposal

# Escalations look back this far: older unanswered proposals were escalated already (or predate
# the feature), and scanning every expired proposal each minute would not scale.
ESCALATION_LOOKBACK = timedelta(days=7)
# HQ users who never had a digest are told of the locations' comments of this last stretch only.
HQ_COMMENT_LOOKBACK = timedelta(days=7)
# Digests are in French unless the user chose otherwise (the product's first market).
DIGEST_DEFAULT_LANGUAGE = "fr"
EXCERPT_LENGTH = 120
_CHUNK = 500
UTC = ZoneInfo("UTC")


def _excerpt(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def _first_text(texts: dict[str, Any] | None) -> str:
    for value in (texts or {}).values():
        if isinstance(value, str) and value:
            return value
    return ""


def _chunks(items: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


async def _record(session: AsyncSession, rows: list[dict[str, Any]], now: datetime) -> int:
    """Insert the notifications whose dedupe_key is new; the count of those recorded."""
    recorded = 0
    for chunk in _chunks(rows):
        keys = [row["dedupe_key"] for row in chunk]
        # Reading the known keys first keeps the every-minute jobs from re-inserting thousands of rows.
        known = set(await session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys))))
        fresh = [{"id": new_id(), "created_at": now, "sent_at": None, **row} for row in chunk
                 if row["dedupe_key"] not in known]
        if fresh:
            # Still ignore conflicts: another worker may have inserted the same key since the read.
            result = await session.execute(insert_ignoring_conflicts(session, Notification, fresh, ["dedupe_key"]))
            recorded += max(result.rowcount or 0, 0)
    await session.flush()
    return recorded


# ---------------------------------------------------------------- reminders and escalations


async def record_reminders(session: AsyncSession, settings: Settings, now: datetime) -> int:
    """One reminder per local manager for each pending proposal whose deadline is within a reminder offset."""
    offsets = settings.reminder_offset_list
    if not offsets:
        return 0
    rows = (await session.execute(
        select(Proposal.id, Proposal.brand_id, Proposal.location_id, Proposal.deadline, Proposal.texts,
               Location.name, Location.code)
        .join(Location, Location.id == Proposal.location_id)
        .where(Proposal.status == "pending", Proposal.deadline.is_not(None), Proposal.deadline > now,
               Proposal.deadline <= now + offsets[-1][1])
    )).all()
    if not rows:
        return 0
    managers = await _local_managers(session, {row.brand_id for row in rows})
    notifications = []
    for row in rows:
        # Only the closest offset already reached: a proposal that arrives 3 h before its deadline
        # gets the 4 h reminder, not the 48 h one as well.
        label = next(label for label, delay in offsets if row.deadline - delay <= now)
        for user_id in managers.get((row.brand_id, row.location_id), ()):
            notifications.append({
                "brand_id": row.brand_id, "user_id": user_id, "kind": "reminder", "proposal_id": row.id,
                "dedupe_key": f"reminder:{row.id}:{label}:{user_id}",
                "payload": {"offset": label, "deadline": row.deadline.isoformat(), "location": row.name,
                            "location_code": row.code, "excerpt": _excerpt(_first_text(row.texts))},
            })
    return await _record(session, notifications, now)


async def record_escalations(session: AsyncSession, now: datetime) -> int:
    """One escalation per regional manager of the location for each proposal left unanswered at its deadline."""
    rows = (await session.execute(
        select(Proposal.id, Proposal.brand_id, Proposal.location_id, Proposal.deadline, Proposal.status,
               Proposal.texts, Location.name, Location.code, Location.region)
        .join(Location, Location.id == Proposal.location_id)
        .where(Proposal.deadline.is_not(None), Proposal.deadline <= now,
               Proposal.deadline > now - ESCALATION_LOOKBACK,
               or_(Proposal.status == "pending",
                   and_(Proposal.status == "expired", Proposal.decided_by.is_(None))))
    )).all()
    if not rows:
        return 0
    managers = await _regional_managers(session, {row.brand_id for row in rows})
    notifications = []
    for row in rows:
        for user_id in managers.get((row.brand_id, row.region), ()):
            notifications.append({
                "brand_id": row.brand_id, "user_id": user_id, "kind": "escalation", "proposal_id": row.id,
                "dedupe_key": f"escalation:{row.id}:{user_id}",
                "payload": {"deadline": row.deadline.isoformat(), "location": row.name, "location_code": row.code,
                            "region": row.region, "excerpt": _excerpt(_first_text(row.texts))},
            })
    return await _record(session, notifications, now)


async def _managers_by_scope(session: AsyncSession, brand_ids: set[str], role: str,
                            scope_column) -> dict[tuple[str, str], list[str]]:
    """(brand, scope item) -> the user ids holding `role` on it (locations of local managers, regions
    of regional managers)."""
    result: dict[tuple[str, str], list[str]] = defaultdict(list)
    rows = await session.execute(
        select(Membership.user_id, Membership.brand_id, scope_column)
        .where(Membership.role == role, Membership.brand_id.in_(brand_ids))
    )
    # The scope is a JSON list: matched in Python, the same on SQLite and PostgreSQL.
    for user_id, brand_id, items in rows:
        for item in items or ():
            result[(brand_id, item)].append(user_id)
    return result


async def _local_managers(session: AsyncSession, brand_ids: set[str]) -> dict[tuple[str, str], list[str]]:
    """(brand, location) -> the user ids of its local managers."""
    return await _managers_by_scope(session, brand_ids, "local_manager", Membership.location_ids)


async def _regional_managers(session: AsyncSession, brand_ids: set[str]) -> dict[tuple[str, str], list[str]]:
    """(brand, region) -> the user ids of its regional managers."""
    return await _managers_by_scope(session, brand_ids, "regional_manager", Membership.regions)


# ---------------------------------------------------------------- digest


@dataclass
class Recipient:
    """A user who may receive a digest, with what decides when and in which language."""

    user_id: str
    email: str
    name: str
    language: str
    timezone: ZoneInfo
    # brand id -> the locations the user manages there (local managers).
    locations: dict[str, list[str]] = field(default_factory=dict)


def digest_language(ui_language: str | None) -> str:
    """The digest's language: the user's UI language, else French."""
    return ui_language if ui_language in LANGUAGES else DIGEST_DEFAULT_LANGUAGE


async def _recipients(session: AsyncSession) -> list[Recipient]:
    """Users who have unsent notifications or manage locations (their inbox may have new proposals)."""
    with_unsent = select(Notification.user_id).where(Notification.sent_at.is_(None)).distinct()
    rows = (await session.execute(
        select(User.id, User.email, User.name, User.ui_language, Membership.brand_id, Membership.role,
               Membership.location_ids, Membership.regions)
        .join(Membership, Membership.user_id == User.id)
        .where(or_(Membership.role == "local_manager", User.id.in_(with_unsent)))
        .order_by(User.id, Membership.created_at)
    )).all()
    first_location: dict[str, str] = {}
    first_region: dict[str, tuple[str, str]] = {}
    recipients: dict[str, Recipient] = {}
    for row in rows:
        recipient = recipients.setdefault(row.id, Recipient(row.id, row.email, row.name or "",
                                                             digest_language(row.ui_language), UTC))
        if row.location_ids:
            first_location.setdefault(row.id, row.location_ids[0])
            if row.role == "local_manager":
                recipient.locations.setdefault(row.brand_id, []).extend(row.location_ids)
        if row.regions:
            first_region.setdefault(row.id, (row.brand_id, row.regions[0]))
    zones = await _location_zones(session, set(first_location.values()))
    region_zones = await _region_zones(session, {first_region[user] for user in first_region
                                                 if user not in first_location})
    for user_id, recipient in recipients.items():
        if user_id in first_location:
            recipient.timezone = _zone(zones.get(first_location[user_id]))
        elif user_id in first_region:
            recipient.timezone = _zone(region_zones.get(first_region[user_id]))
    return list(recipients.values())


async def _location_zones(session: AsyncSession, location_ids: set[str]) -> dict[str, str]:
    zones: dict[str, str] = {}
    for chunk in _chunks(sorted(location_ids)):
        zones.update(dict((await session.execute(
            select(Location.id, Location.timezone).where(Location.id.in_(chunk)))).all()))
    return zones


async def _region_zones(session: AsyncSession, regions: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(brand, region) -> the time zone of the region's first location (by code)."""
    if not regions:
        return {}
    zones: dict[tuple[str, str], str] = {}
    rows = await session.execute(
        select(Location.brand_id, Location.region, Location.timezone)
        .where(Location.brand_id.in_({brand for brand, _ in regions}), Location.region.in_({r for _, r in regions}))
        .order_by(Location.code)
    )
    for brand_id, region, zone in rows:
        zones.setdefault((brand_id, region), zone)
    return zones


def _local_day(now: datetime, zone: ZoneInfo) -> str:
    return now.astimezone(zone).date().isoformat()


def is_digest_due(now: datetime, zone: ZoneInfo, digest_hour: int) -> bool:
    """Whether the user's local clock has reached today's digest hour."""
    return now.astimezone(zone).hour >= digest_hour


async def send_digests(database: Database, settings: Settings, now: datetime) -> dict[str, int]:
    """Mail each user whose digest hour has come today (and who had no digest today) one digest."""
    counts = {"sent": 0, "empty": 0, "failed": 0}
    if not mailer.mail_enabled(settings):
        # No SMTP: notifications stay recorded and unsent, ready for when e-mail is configured.
        return counts
    async with database.session() as session:
        # HQ learns of the locations' comments through its own notifications: recorded first, they
        # make HQ users recipients like any user with unsent notifications.
        await record_hq_comments(session, now)
        recipients = await _recipients(session)
        due = [recipient for recipient in recipients if is_digest_due(now, recipient.timezone, settings.digest_hour)]
        done: set[tuple[str, str]] = set()
        for chunk in _chunks(due):
            done.update((await session.execute(
                select(Digest.user_id, Digest.day)
                .where(Digest.user_id.in_([recipient.user_id for recipient in chunk]))
                .where(Digest.day.in_({_local_day(now, recipient.timezone) for recipient in chunk}))
            )).all())
    for recipient in due:
        day = _local_day(now, recipient.timezone)
        if (recipient.user_id, day) in done:
            continue
        counts[await send_digest(database, settings, recipient, now)] += 1
    return counts


async def send_digest(database: Database, settings: Settings, recipient: Recipient, now: datetime) -> str:
    """Claim, build and send one user's digest of today: "sent", "empty", "failed" or "skipped"."""
    day = _local_day(now, recipient.timezone)
    async with database.session() as session:
        claim = await _claim(session, recipient.user_id, day, now)
        if claim is None:
            return "skipped"  # another worker has this user's digest of today
        await _record_inbox_news(session, recipient, day, now)
        notifications = await _unsent(session, recipient.user_id, now)
        if not notifications:
            return "empty"  # the claim stays: nothing to say today
    mail = render_digest(settings, recipient, notifications)
    try:
        await mailer.send(settings, mail)
    except mailer.MailError:
        async with database.session() as session:
            # Give the day back: the next run retries, the notifications are still unsent.
            await session.execute(delete(Digest).where(Digest.id == claim))
        return "failed"
    async with database.session() as session:
        await session.execute(
            update(Notification).where(Notification.id.in_([n.id for n in notifications]),
                                       Notification.sent_at.is_(None))
            .values(sent_at=now)
        )
        await session.execute(update(Digest).where(Digest.id == claim).values(notifications=len(notifications)))
    return "sent"


async def _claim(session: AsyncSession, user_id: str, day: str, now: datetime) -> str | None:
    """Insert the user's digest row of `day`; None when it exists already."""
    digest_id = new_id()
    result = await session.execute(insert_ignoring_conflicts(
        session, Digest, [{"id": digest_id, "user_id": user_id, "day": day, "notifications": 0, "sent_at": now,
                           "created_at": now}], ["user_id", "day"]))
    return digest_id if result.rowcount else None


async def _last_digest(session: AsyncSession, user_id: str, before: str) -> datetime | None:
    return await session.scalar(select(func.max(Digest.sent_at)).where(Digest.user_id == user_id, Digest.day < before))


async def _record_inbox_news(session: AsyncSession, recipient: Recipient, day: str, now: datetime) -> None:
    """Record the proposals and comments that reached the user's locations since their last digest."""
    if not recipient.locations:
        return
    since = await _last_digest(session, recipient.user_id, day)
    rows: list[dict[str, Any]] = []
    for brand_id, location_ids in recipient.locations.items():
        query = select(func.count()).select_from(Proposal).where(
            Proposal.brand_id == brand_id, Proposal.location_id.in_(location_ids), Proposal.status == "pending")
        if since is not None:
            query = query.where(Proposal.created_at > since)
        waiting = await session.scalar(query)
        if waiting:
            rows.append({"brand_id": brand_id, "user_id": recipient.user_id, "kind": "new_proposals",
                         "proposal_id": None, "dedupe_key": f"new_proposals:{brand_id}:{recipient.user_id}:{day}",
                         "payload": {"count": waiting, "since": since.isoformat() if since else None}})
        rows.extend(await _comment_rows(session, recipient, brand_id, location_ids, since))
    await _record(session, rows, now)


async def _comment_rows(session: AsyncSession, recipient: Recipient, brand_id: str, location_ids: list[str],
                        since: datetime | None) -> list[dict[str, Any]]:
    """Comments by others on the user's proposals since `since` (none while comments do not exist)."""
    try:
        from hub.comments.models import Comment
    except ImportError:
        return []
    query = (
        select(Comment.id, Comment.proposal_id, Comment.body, User.name, User.email, Location.name.label("location"))
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .join(Location, Location.id == Proposal.location_id)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Proposal.brand_id == brand_id, Proposal.location_id.in_(location_ids),
               or_(Comment.author_id.is_(None), Comment.author_id != recipient.user_id))
    )
    if since is not None:
        query = query.where(Comment.created_at > since)
    try:
        # A savepoint, so a comments table not migrated yet does not abort the digest's transaction.
        async with session.begin_nested():
            comments = (await session.execute(query)).all()
    except (OperationalError, ProgrammingError, DBAPIError):
        return []
    return [{"brand_id": brand_id, "user_id": recipient.user_id, "kind": "comment", "proposal_id": row.proposal_id,
             "dedupe_key": f"comment:{row.id}:{recipient.user_id}",
             "payload": {"author": row.name or row.email or "", "location": row.location,
                         "excerpt": _excerpt(row.body)}}
            for row in comments]


async def record_hq_comments(session: AsyncSession, now: datetime) -> int:
    """Comments written by a location's local manager, recorded for each HQ user of the brand (never the author).

    Each HQ user is told of the comments since their last digest (or of the last HQ_COMMENT_LOOKBACK);
    the dedupe key is the local managers' scheme, comment:{comment}:{user}.
    """
    try:
        from hub.comments.models import Comment
    except ImportError:
        return 0
    hq_users: dict[str, list[str]] = defaultdict(list)
    for user_id, brand_id in await session.execute(
            select(Membership.user_id, Membership.brand_id).where(Membership.role.in_(HQ_ROLES))):
        hq_users[brand_id].append(user_id)
    if not hq_users:
        return 0
    user_ids = sorted({user_id for users in hq_users.values() for user_id in users})
    since: dict[str, datetime] = {user_id: now - HQ_COMMENT_LOOKBACK for user_id in user_ids}
    for chunk in _chunks(user_ids):
        for user_id, sent_at in await session.execute(
                select(Digest.user_id, func.max(Digest.sent_at)).where(Digest.user_id.in_(chunk))
                .group_by(Digest.user_id)):
            if sent_at is not None:
                since[user_id] = sent_at
    query = (
        select(Comment.id, Comment.proposal_id, Comment.body, Comment.author_id, Comment.created_at,
               Proposal.brand_id, Proposal.location_id, User.name, User.email, Location.name.label("location"))
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .join(Location, Location.id == Proposal.location_id)
        .join(User, User.id == Comment.author_id)
        .where(Proposal.brand_id.in_(list(hq_users)), Comment.created_at > min(since.values()))
    )
    try:
        # A savepoint, so a comments table not migrated yet does not abort the digest's transaction.
        async with session.begin_nested():
            comments = (await session.execute(query)).all()
    except (OperationalError, ProgrammingError, DBAPIError):
        return 0
    if not comments:
        return 0
    managers = await _local_managers(session, {row.brand_id for row in comments})
    rows = []
    for row in comments:
        if row.author_id not in managers.get((row.brand_id, row.location_id), ()):
            continue  # HQ's own comments, and those of others, go to the local managers only
        for user_id in hq_users[row.brand_id]:
            if user_id == row.author_id or row.created_at <= since[user_id]:
                continue
            rows.append({"brand_id": row.brand_id, "user_id": user_id, "kind": "comment",
                         "proposal_id": row.proposal_id, "dedupe_key": f"comment:{row.id}:{user_id}",
                         "payload": {"author": row.name or row.email or "", "location": row.location,
                                     "excerpt": _excerpt(row.body)}})
    return await _record(session, rows, now)


async def _unsent(session: AsyncSession, user_id: str, now: datetime) -> list[Notification]:
    """The user's unsent notifications still worth telling; reminders of decided proposals are dropped."""
    notifications = list(await session.scalars(
        select(Notification).where(Notification.user_id == user_id, Notification.sent_at.is_(None))
        .order_by(Notification.created_at)
    ))
    reminded = [n.proposal_id for n in notifications if n.kind == "reminder"]
    still_pending: set[str] = set()
    for chunk in _chunks(reminded):
        still_pending.update(await session.scalars(
            select(Proposal.id).where(Proposal.id.in_(chunk), Proposal.status == "pending")))
    stale = {n.id for n in notifications if n.kind == "reminder" and n.proposal_id not in still_pending}
    if stale:
        # The location decided after the reminder was recorded: nothing to remind any more.
        await session.execute(update(Notification).where(Notification.id.in_(stale)).values(sent_at=now))
    return [n for n in notifications if n.id not in stale]


# ---------------------------------------------------------------- rendering


def _format_time(value: str, language: str, zone: ZoneInfo) -> str:
    """A stored moment on the recipient's clock, in their language, with the zone's abbreviation
    (a distributor reads another country's times too)."""
    moment = datetime.fromisoformat(value)
    return f"{format_datetime(moment, language, zone.key)} {moment.astimezone(zone).tzname()}"


# Notifications about a post's translation (recorded by hub/translations/service.py): their payload
# carries the workspace's path, where the distributor writes it.
TRANSLATION_KINDS = ("needs_translation", "translation_stale")


def digest_context(settings: Settings, recipient: Recipient, notifications: list[Notification]) -> dict[str, Any]:
    """What the digest templates show: items grouped by kind, times in the user's language and zone, links."""
    base = settings.base_url.rstrip("/")

    def item(notification: Notification) -> dict[str, Any]:
        payload = dict(notification.payload or {})
        if payload.get("deadline"):
            payload["deadline"] = _format_time(payload["deadline"], recipient.language, recipient.timezone)
        if notification.proposal_id:
            payload["url"] = f"{base}/proposals/{notification.proposal_id}"
        elif notification.kind in TRANSLATION_KINDS and payload.get("url"):
            payload["url"] = f"{base}{payload['url']}"
        else:
            payload["url"] = None
        return payload

    by_kind: dict[str, list[Notification]] = defaultdict(list)
    for notification in notifications:
        by_kind[notification.kind].append(notification)
    # new_proposals counts are cumulative since the last digest: the latest one per brand says it all.
    latest: dict[str, int] = {}
    for notification in by_kind["new_proposals"]:
        latest[notification.brand_id] = int((notification.payload or {}).get("count", 0))
    listed = ("reminder", "escalation", "comment", *TRANSLATION_KINDS)
    return {
        "_": Translator(recipient.language),
        "language": recipient.language,
        "name": recipient.name,
        "inbox_url": f"{base}/inbox",
        "reminders": [item(n) for n in by_kind["reminder"]],
        "escalations": [item(n) for n in by_kind["escalation"]],
        "comments": [item(n) for n in by_kind["comment"]],
        "needs_translation": [item(n) for n in by_kind["needs_translation"]],
        "translation_stale": [item(n) for n in by_kind["translation_stale"]],
        "new_proposals": sum(latest.values()),
        "count": sum(len(by_kind[kind]) for kind in listed) + sum(latest.values()),
    }


def render_digest(settings: Settings, recipient: Recipient, notifications: list[Notification]) -> mailer.Mail:
    """The digest e-mail, in plain text and HTML, in the user's language."""
    from hub.templating import environment

    context = digest_context(settings, recipient, notifications)
    _ = context["_"]
    return mailer.Mail(
        to=recipient.email,
        subject=_("Pieuvre: {count} item(s) need your attention", count=context["count"]),
        text=environment.get_template("emails/digest.txt").render(context),
        html=environment.get_template("emails/digest.html").render(context),
    )
