"""Reading each published post's counters at the configured offsets, and each account's daily numbers."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.config import Settings, parse_duration
from hub.db import Database, insert_ignoring_conflicts, new_id, upsert, utcnow
from hub.publishing.connectors import get_connector
from hub.publishing.connectors.base import PublishingError, RateLimited
from hub.publishing.models import Publication, SocialAccount
from hub.stats.models import AccountDay, StatSnapshot

log = logging.getLogger("pieuvre.stats")


async def due_readings(session: AsyncSession, settings: Settings, now: datetime) -> list[tuple[Publication, SocialAccount, str]]:
    """(publication, account, offset) for every reading whose time has come and that is not stored yet."""
    offsets = settings.stats_offset_list
    longest = offsets[-1][1]
    # A small margin past the longest offset so a late reading is still taken.
    rows = (await session.execute(
        select(Publication, SocialAccount)
        .join(SocialAccount, SocialAccount.id == Publication.social_account_id)
        .where(Publication.status == "published", Publication.published_at >= now - longest * 2)
    )).all()
    if not rows:
        return []
    taken = {
        (publication_id, label)
        for publication_id, label in await session.execute(
            select(StatSnapshot.publication_id, StatSnapshot.offset_label)
            .where(StatSnapshot.publication_id.in_([publication.id for publication, _ in rows]))
        )
    }
    return [
        (publication, account, label)
        for publication, account in rows
        for label, delay in offsets
        if publication.published_at + delay <= now and (publication.id, label) not in taken
    ]


async def store_reading(session: AsyncSession, publication: Publication, account: SocialAccount, label: str,
                        values: dict[str, int], simulated: bool, now: datetime) -> None:
    """Keep one reading as a snapshot and, when it is the newest, as the publication's current counters.

    Both writes may run twice (a job can): the snapshot is unique per offset and the copy only
    moves forward in offsets, so a second run changes nothing.
    """
    await session.execute(insert_ignoring_conflicts(session, StatSnapshot, [{
        "id": new_id(), "brand_id": publication.brand_id, "campaign_id": publication.campaign_id,
        "publication_id": publication.id, "social_account_id": account.id, "offset_label": label,
        "taken_at": now, "metrics": values, "simulated": simulated,
    }], ["publication_id", "offset_label"]))
    seconds = int(parse_duration(label).total_seconds())
    await session.execute(
        update(Publication)
        .where(Publication.id == publication.id,
               or_(Publication.stats_offset_seconds.is_(None), Publication.stats_offset_seconds < seconds))
        .values(stats=values, stats_offset_seconds=seconds, stats_at=now, impressions=values.get("impressions"),
                reach=values.get("reach"), engagements=values.get("engagements"))
    )


async def collect_due(database: Database, settings: Settings, now: datetime | None = None) -> int:
    """Take every due reading; a network that fails or asks us to wait is tried again at the next round."""
    now = now or utcnow()
    async with database.session() as session:
        readings = await due_readings(session, settings, now)
    stored = 0
    waiting: set[str] = set()
    for publication, account, label in readings:
        if account.connector in waiting:
            continue
        connector = get_connector(account.connector, database, settings)
        try:
            metrics = await connector.read_stats(account, publication.external_id, label)
        except RateLimited:
            waiting.add(account.connector)
            continue
        except PublishingError as error:
            # One post the network will not read (deleted, account broken) must not hold up the others.
            log.warning("stats.read_failed publication=%s offset=%s error=%s", publication.id, label, error)
            continue
        async with database.session() as session:
            await store_reading(session, publication, account, label, metrics.values, metrics.simulated, now)
        stored += 1
    if stored:
        log.info("stats.collected readings=%s", stored)
    return stored


async def collect_account_days(database: Database, settings: Settings, day: date | None = None) -> int:
    """Read every active account's followers (and per-day counters) once for `day` (today, UTC).

    A network whose per-day counters arrive late has its past few days read again at the same time.
    """
    now = utcnow()
    day = day or now.date()
    async with database.session() as session:
        accounts = list(await session.scalars(
            select(SocialAccount).where(
                SocialAccount.status == "active",
                SocialAccount.id.not_in(select(AccountDay.social_account_id).where(AccountDay.day == day)))
        ))
    stored = 0
    waiting: set[str] = set()
    for account in accounts:
        if account.connector in waiting:
            continue
        connector = get_connector(account.connector, database, settings)
        days = [day - timedelta(days=back) for back in range(connector.day_counters_settle_days + 1)]
        try:
            readings = [(when, await connector.read_account_day(account, when)) for when in days]
        except RateLimited:
            waiting.add(account.connector)
            continue
        except PublishingError as error:
            log.warning("stats.account_day_failed account=%s error=%s", account.id, error)
            continue
        async with database.session() as session:
            for when, numbers in readings:
                row = {"id": new_id(), "brand_id": account.brand_id, "location_id": account.location_id,
                       "social_account_id": account.id, "network": account.network, "day": when,
                       "followers": numbers.followers, "metrics": numbers.metrics, "simulated": numbers.simulated,
                       "taken_at": now}
                if when == day:
                    await session.execute(insert_ignoring_conflicts(session, AccountDay, [row],
                                                                    ["social_account_id", "day"]))
                else:  # a past day read again: its counters are revised, its follower count (of that day) kept
                    await session.execute(upsert(session, AccountDay, [{**row, "followers": None}],
                                                 ["social_account_id", "day"], ["metrics", "taken_at"]))
        stored += 1
    if stored:
        log.info("stats.account_days stored=%s day=%s", stored, day)
    return stored
