"""The campaign report: adoption funnel, counters and where they came from."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.campaigns.models import Campaign
from hub.config import parse_duration
from hub.locations.models import Location
from hub.proposals.models import PROPOSAL_STATUSES, Proposal
from hub.publishing.models import Publication
from hub.stats.models import StatSnapshot

COUNTERS = ("impressions", "reach", "engagements")
FORMULA = "engagements ÷ reach"


def engagement_rate(engagements: int, reach: int) -> float | None:
    """Engagements per person reached (None when nobody was reached yet)."""
    return round(engagements / reach, 4) if reach else None


async def latest_metrics(session: AsyncSession, campaign_id: str) -> tuple[dict[str, dict[str, int]], bool]:
    """The newest reading of each publication of the campaign, and whether any is simulated."""
    newest: dict[str, tuple[float, dict[str, int]]] = {}
    simulated = False
    for publication_id, label, metrics, is_simulated in await session.execute(
        select(StatSnapshot.publication_id, StatSnapshot.offset_label, StatSnapshot.metrics, StatSnapshot.simulated)
        .where(StatSnapshot.campaign_id == campaign_id)
    ):
        seconds = parse_duration(label).total_seconds()
        if publication_id not in newest or seconds > newest[publication_id][0]:
            newest[publication_id] = (seconds, metrics)
        simulated = simulated or is_simulated
    return {key: value[1] for key, value in newest.items()}, simulated


def _totals(rows: list[dict[str, int]]) -> dict[str, Any]:
    totals = {name: sum(row.get(name, 0) for row in rows) for name in COUNTERS}
    totals["engagement_rate"] = engagement_rate(totals["engagements"], totals["reach"])
    return totals


async def campaign_report(session: AsyncSession, campaign: Campaign) -> dict[str, Any]:
    """Funnel, metrics and the tables by location and by network of one campaign."""
    # Each location's current proposal counts; those of earlier revisions are history.
    statuses = dict((await session.execute(
        select(Proposal.status, func.count()).where(Proposal.campaign_id == campaign.id,
                                                    Proposal.status != "superseded").group_by(Proposal.status)
    )).all())
    reasons = dict((await session.execute(
        select(Proposal.reject_reason, func.count())
        .where(Proposal.campaign_id == campaign.id, Proposal.status == "rejected").group_by(Proposal.reject_reason)
    )).all())
    seen = await session.scalar(select(func.count()).where(Proposal.campaign_id == campaign.id,
                                                          Proposal.status != "superseded", Proposal.seen_at.is_not(None)))
    publications = (await session.execute(
        select(Publication.id, Publication.proposal_id, Publication.location_id, Publication.network, Publication.status)
        .where(Publication.campaign_id == campaign.id)
    )).all()
    published_proposals = {row.proposal_id for row in publications if row.status == "published"}
    failed_proposals = {row.proposal_id for row in publications if row.status == "failed"}
    funnel = {
        "proposed": sum(statuses.values()),
        "seen": seen or 0,
        **{status: statuses.get(status, 0) for status in PROPOSAL_STATUSES if status != "superseded"},
        "rejected_by_reason": reasons,
        "published": len(published_proposals),
        "failed": len(failed_proposals),
    }
    metrics_by_publication, simulated = await latest_metrics(session, campaign.id)

    per_network: dict[str, list[dict[str, int]]] = defaultdict(list)
    per_location: dict[str, list[dict[str, int]]] = defaultdict(list)
    publication_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in publications:
        metrics = metrics_by_publication.get(row.id)
        publication_counts[row.network][row.status] += 1
        if metrics:
            per_network[row.network].append(metrics)
            per_location[row.location_id].append(metrics)

    by_network = [
        {"network": network, "publications": sum(counts.values()), "published": counts.get("published", 0),
         "failed": counts.get("failed", 0), **_totals(per_network[network])}
        for network, counts in sorted(publication_counts.items())
    ]
    location_rows = (await session.execute(
        select(Location.id, Location.code, Location.name, Location.region, Proposal.status)
        .join(Proposal, Proposal.location_id == Location.id)
        .where(Proposal.campaign_id == campaign.id, Proposal.status != "superseded")
        .order_by(Location.code)
    )).all()
    by_location_map: dict[str, dict[str, Any]] = {}
    for location_id, code, name, region, status in location_rows:
        entry = by_location_map.setdefault(location_id, {
            "location_id": location_id, "code": code, "name": name, "region": region, "proposals": 0,
            "statuses": defaultdict(int),
        })
        entry["proposals"] += 1
        entry["statuses"][status] += 1
    published_by_location: dict[str, int] = defaultdict(int)
    for row in publications:
        if row.status == "published":
            published_by_location[row.location_id] += 1
    by_location = [
        {**entry, "statuses": dict(entry["statuses"]), "published": published_by_location[entry["location_id"]],
         **_totals(per_location[entry["location_id"]])}
        for entry in by_location_map.values()
    ]
    return {
        "campaign_id": campaign.id,
        "funnel": funnel,
        "time_to_decision": await time_to_decision(session, campaign.id),
        "metrics": {**_totals(list(metrics_by_publication.values())), "formula": FORMULA, "simulated": simulated},
        "by_location": by_location,
        "by_network": by_network,
    }


# Buckets of the time a location took to decide, as HQ reads them (upper bounds in hours).
DECISION_BUCKETS = (("under_1h", 1), ("1h_4h", 4), ("4h_24h", 24), ("1d_3d", 72), ("over_3d", None))


async def time_to_decision(session: AsyncSession, campaign_id: str) -> dict[str, Any]:
    """How long locations took to decide (people's decisions only, not the policies'): buckets and median."""
    rows = (await session.execute(
        select(Proposal.created_at, Proposal.decided_at).where(
            Proposal.campaign_id == campaign_id, Proposal.decided_by.is_not(None), Proposal.decided_at.is_not(None))
    )).all()
    hours = sorted((decided - created).total_seconds() / 3600 for created, decided in rows)
    buckets = {name: 0 for name, _ in DECISION_BUCKETS}
    for value in hours:
        name = next(name for name, limit in DECISION_BUCKETS if limit is None or value < limit)
        buckets[name] += 1
    median = None
    if hours:
        middle = len(hours) // 2
        median = hours[middle] if len(hours) % 2 else (hours[middle - 1] + hours[middle]) / 2
    return {"decisions": len(hours), "median_hours": round(median, 2) if median is not None else None,
            "buckets": buckets}


async def silent_arms(session: AsyncSession, brand_id: str, days: int, now: datetime) -> list[dict[str, Any]]:
    """Locations with proposals waiting that have decided nothing for `days` days (or ever), most silent first."""
    since = now - timedelta(days=days)
    waiting = dict((await session.execute(
        select(Proposal.location_id, func.count()).where(Proposal.brand_id == brand_id, Proposal.status == "pending")
        .group_by(Proposal.location_id))).all())
    if not waiting:
        return []
    last = dict((await session.execute(
        select(Proposal.location_id, func.max(Proposal.decided_at)).where(
            Proposal.brand_id == brand_id, Proposal.decided_by.is_not(None), Proposal.location_id.in_(list(waiting)))
        .group_by(Proposal.location_id))).all())
    locations = {row.id: row for row in await session.scalars(select(Location).where(Location.id.in_(list(waiting))))}
    silent = [
        {"location_id": location_id, "code": locations[location_id].code, "name": locations[location_id].name,
         "region": locations[location_id].region, "pending": count, "last_decision_at": last.get(location_id)}
        for location_id, count in waiting.items()
        if last.get(location_id) is None or last[location_id] < since
    ]
    silent.sort(key=lambda item: (item["last_decision_at"] is not None, item["last_decision_at"] or now, item["code"]))
    return silent
