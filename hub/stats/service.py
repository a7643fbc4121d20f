"""Reading each published post's counters at the configured offsets after publishing."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.config import Settings
from hub.db import Database, insert_ignoring_conflicts, new_id, utcnow
from hub.publishing.connectors import get_connector
from hub.publishing.models import Publication, SocialAccount
from hub.stats.models import StatSnapshot

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


async def collect_due(database: Database, settings: Settings, now: datetime | None = None) -> int:
    """Take every due reading and store it as a snapshot (once per publication and offset)."""
    now = now or utcnow()
    async with database.session() as session:
        readings = await due_readings(session, settings, now)
    stored = 0
    for publication, account, label in readings:
        connector = get_connector(account.connector, database, settings)
        metrics = await connector.read_stats(account, publication.external_id, label)
        async with database.session() as session:
            await session.execute(insert_ignoring_conflicts(session, StatSnapshot, [{
                "id": new_id(), "brand_id": publication.brand_id, "campaign_id": publication.campaign_id,
                "publication_id": publication.id, "social_account_id": account.id, "offset_label": label,
                "taken_at": now, "metrics": metrics.values, "simulated": metrics.simulated,
            }], ["publication_id", "offset_label"]))
        stored += 1
    if stored:
        log.info("stats.collected readings=%s", stored)
    return stored
