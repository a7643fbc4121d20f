"""The campaign report: adoption funnel, counters and where they came from, computed from the database."""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, case, delete, distinct, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.campaigns.models import Campaign
from hub.db import Database, upsert, utcnow
from hub.locations.models import Location
from hub.proposals.models import PROPOSAL_STATUSES, Proposal
from hub.publishing.models import Publication, SocialAccount
from hub.stats.formulas import (
    FORMULAS, NOT_GIVEN, RATE_BASE, counter_sums, counters, formula_of, hours_between, median, rate,
)
from hub.stats.models import CampaignFigures, CampaignLocationFigures

# How the table by location may be sorted (the API's `sort`, the page's column headers).
LOCATION_SORTS = ("code", "name", "region", "published", "engagements", "engagement_rate")
# People's decisions (the policies' automatic approvals are not time a person took).
DECIDED = ("approved", "customized", "rejected")


def _current(campaign_id: str) -> Any:
    """Each location's current proposals of the campaign (those of earlier revisions are history)."""
    return and_(Proposal.campaign_id == campaign_id, Proposal.status != "superseded")


async def campaign_report(session: AsyncSession, campaign: Campaign, *, limit: int = 100, offset: int = 0,
                          sort: str = "code", descending: bool = False, recheck_seconds: float = 0) -> dict[str, Any]:
    """Funnel, adoption, metrics and the tables by network, region and location (a page of it) of a campaign.

    Read from the campaign's stored figures, recomputed first when its proposals or publications changed since
    (checked at most every `recheck_seconds` in this process). The same stored figures and page give the same
    report: it is kept in this process and served again as long as they are (callers must not modify it).
    """
    figures = await current_figures(session, campaign, recheck_seconds)
    key = (campaign.id, figures.fingerprint, figures.computed_at, limit, offset, sort, descending)
    if (report := _served.get(key)) is not None:
        _served.move_to_end(key)
        return report
    data = await session.scalar(select(CampaignFigures.data).where(CampaignFigures.campaign_id == campaign.id))
    by_location = await by_location_page(session, campaign, limit=limit, offset=offset, sort=sort,
                                         descending=descending, figures=figures)
    report = _served[key] = {"campaign_id": campaign.id, "computed_at": figures.computed_at, **data,
                             "by_location": by_location}
    while len(_served) > SERVED_KEPT:
        _served.popitem(last=False)
    return report


# Reports served lately by this process, by campaign, stored figures and page (the newest last).
_served: OrderedDict[tuple, dict[str, Any]] = OrderedDict()
SERVED_KEPT = 200
# Per campaign, when this process last found its stored figures up to date, and their fingerprint then.
_checked: dict[str, tuple[float, str]] = {}


class Figures(NamedTuple):
    """Which stored figures of a campaign are current (the figures themselves are read when needed)."""

    fingerprint: str
    computed_at: datetime


async def current_figures(session: AsyncSession, campaign: Campaign, recheck_seconds: float = 0) -> Figures:
    """The campaign's stored figures, recomputed and stored again if what they were computed from has changed.

    With `recheck_seconds`, figures this process found up to date that long ago are served without checking
    again: under many readers the check (two aggregates over the campaign's rows) would cost more than the
    rest of the report, and figures some seconds old are what a report shows anyway (it says when)."""
    stored = await _stored(session, campaign.id)
    checked_at, checked = _checked.get(campaign.id, (-math.inf, ""))
    if stored is not None and stored.fingerprint == checked and time.monotonic() - checked_at < recheck_seconds:
        return stored
    fingerprint = await figures_fingerprint(session, campaign.id)
    _checked[campaign.id] = (time.monotonic(), fingerprint)
    if stored is not None and stored.fingerprint == fingerprint:
        return stored
    return await store_figures(session, campaign, fingerprint)


async def _stored(session: AsyncSession, campaign_id: str) -> Figures | None:
    row = (await session.execute(select(CampaignFigures.fingerprint, CampaignFigures.computed_at)
                                 .where(CampaignFigures.campaign_id == campaign_id))).first()
    return Figures(*row) if row else None


async def figures_fingerprint(session: AsyncSession, campaign_id: str) -> str:
    """What a campaign's report is computed from, summed up: per status, the proposals (their count, versions,
    views and decisions) and the publications (their count and newest counters). Any decision, view, new
    proposal, publishing outcome or reading changes it; two reads over the campaign's rows, where the report
    itself takes a dozen aggregates."""
    proposals = (await session.execute(
        select(Proposal.status, func.count(), func.sum(Proposal.version), func.count(Proposal.seen_at),
               func.count(Proposal.decided_at))
        .where(Proposal.campaign_id == campaign_id).group_by(Proposal.status).order_by(Proposal.status))).all()
    publications = (await session.execute(
        select(Publication.status, func.count(), func.count(Publication.stats_at), func.max(Publication.stats_at),
               func.sum(Publication.impressions), func.sum(Publication.reach), func.sum(Publication.engagements))
        .where(Publication.campaign_id == campaign_id).group_by(Publication.status).order_by(Publication.status)
    )).all()
    parts = [",".join(str(value) for value in row) for row in (*proposals, *publications)]
    return hashlib.sha256(";".join(parts).encode()).hexdigest()


async def store_figures(session: AsyncSession, campaign: Campaign, fingerprint: str) -> Figures:
    """Compute the campaign's figures and its table by location, and store both in place of the earlier ones.

    One computation of a campaign at a time: the campaign's row is locked first (`FOR NO KEY UPDATE`, which
    proposals and publications referring to it do not wait for); whoever waited finds the figures stored by
    the one before and keeps them if they were computed from the same data."""
    await session.execute(select(Campaign.id).where(Campaign.id == campaign.id).with_for_update(key_share=True))
    stored = await _stored(session, campaign.id)
    if stored is not None and stored.fingerprint == fingerprint:
        return stored
    data = await compute_figures(session, campaign.id)
    await session.execute(delete(CampaignLocationFigures).where(CampaignLocationFigures.campaign_id == campaign.id))
    # Aggregated and written by the database in one statement (10,000 rows sent from Python took seconds).
    rows = _location_figures(session.bind.dialect.name, campaign.id)
    await session.execute(insert(CampaignLocationFigures).from_select(list(rows.selected_columns.keys()), rows))
    data["locations_total"] = await session.scalar(
        select(func.count()).where(CampaignLocationFigures.campaign_id == campaign.id))
    now = utcnow()
    await session.execute(upsert(session, CampaignFigures, [{
        "campaign_id": campaign.id, "brand_id": campaign.brand_id, "fingerprint": fingerprint, "computed_at": now,
        "data": data}], ["campaign_id"], ["fingerprint", "computed_at", "data"]))
    return Figures(fingerprint, now)


async def refresh_campaign_figures(database: Database, seconds: float = 50) -> int:
    """Bring the stored figures of every campaign up to date (the stats worker, every minute), those never
    computed first, then the newest campaigns (where decisions and readings still arrive); stops starting new
    ones after `seconds`. How many it recomputed.

    Readers recompute a campaign whose data changed themselves; this keeps that work off their requests."""
    started, recomputed = time.monotonic(), 0
    async with database.session() as session:
        campaigns = (await session.execute(
            select(Campaign.id).outerjoin(CampaignFigures, CampaignFigures.campaign_id == Campaign.id)
            .order_by(CampaignFigures.computed_at.is_not(None), Campaign.created_at.desc()))).scalars().all()
    for campaign_id in campaigns:
        if time.monotonic() - started > seconds:
            break
        async with database.session() as session:
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None:  # deleted since the list was read
                continue
            before = await _stored(session, campaign_id)
            recomputed += await current_figures(session, campaign) != before
    return recomputed


async def forget_figures(session: AsyncSession, brand_id: str) -> None:
    """Drop a brand's stored campaign figures (its locations' names or regions changed): recomputed when read."""
    await session.execute(delete(CampaignFigures).where(CampaignFigures.brand_id == brand_id))


async def compute_figures(session: AsyncSession, campaign_id: str) -> dict[str, Any]:
    """A campaign's report from its proposals and publications, but for its table by location."""
    funnel = await _funnel(session, campaign_id)
    by_network = await _by_network(session, campaign_id)
    totals = {name: _sum(row[name] for row in by_network) for name in ("impressions", "reach", "engagements",
                                                                        "rate_base", "with_stats")}
    networks = [row["network"] for row in by_network if row["with_stats"]]
    simulated = await session.scalar(
        select(func.count()).select_from(Publication).where(
            Publication.campaign_id == campaign_id, Publication.stats_at.is_not(None),
            Publication.social_account_id.in_(_sandbox_accounts())))
    return {
        "funnel": funnel,
        "adoption": await _adoption(session, campaign_id, funnel),
        "time_to_decision": await time_to_decision(session, campaign_id),
        "metrics": {**_without_base(totals, networks), "formula": formula_of(networks or ["facebook"]),
                    "simulated": bool(simulated)},
        "by_network": [_without_base(row, [row["network"]]) for row in by_network],
        "by_region": await _by_region(session, campaign_id),
    }


def _sum(values: Any) -> int | None:
    present = [value for value in values if value is not None]
    return sum(present) if present else None


def _without_base(row: dict[str, Any], networks: list[str]) -> dict[str, Any]:
    """A row with its rate (computed from the base, which is not shown) and the formula of that rate."""
    result = {key: value for key, value in row.items() if key != "rate_base"}
    result["engagement_rate"] = rate(row.get("engagements"), row.get("rate_base"))
    if len(networks) == 1:
        result["formula"] = FORMULAS.get(networks[0], formula_of(networks))
        result["rate_base"] = RATE_BASE.get(networks[0], "reach")
        result["not_given"] = list(NOT_GIVEN.get(networks[0], ()))
    return result


def _sandbox_accounts() -> Any:
    return select(SocialAccount.id).where(SocialAccount.connector == "sandbox")


async def _funnel(session: AsyncSession, campaign_id: str) -> dict[str, Any]:
    statuses = dict((await session.execute(
        select(Proposal.status, func.count()).where(_current(campaign_id)).group_by(Proposal.status))).all())
    reasons = dict((await session.execute(
        select(Proposal.reject_reason, func.count())
        .where(Proposal.campaign_id == campaign_id, Proposal.status == "rejected").group_by(Proposal.reject_reason)
    )).all())
    seen = await session.scalar(select(func.count()).where(_current(campaign_id), Proposal.seen_at.is_not(None)))
    published, failed = (await session.execute(
        select(func.count(distinct(case((Publication.status == "published", Publication.proposal_id)))),
               func.count(distinct(case((Publication.status == "failed", Publication.proposal_id)))))
        .where(Publication.campaign_id == campaign_id))).one()
    return {
        "proposed": sum(statuses.values()),
        "seen": seen or 0,
        **{status: statuses.get(status, 0) for status in PROPOSAL_STATUSES if status != "superseded"},
        "rejected_by_reason": reasons,
        "published": published,
        "failed": failed,
    }


async def _adoption(session: AsyncSession, campaign_id: str, funnel: dict[str, Any]) -> dict[str, Any]:
    """Locations targeted and those that published, and the share of people's decisions that customized."""
    targeted = await session.scalar(select(func.count(distinct(Proposal.location_id))).where(_current(campaign_id)))
    published = await session.scalar(select(func.count(distinct(Publication.location_id))).where(
        Publication.campaign_id == campaign_id, Publication.status == "published"))
    decided = sum(funnel.get(status, 0) for status in DECIDED)
    return {
        "targeted_locations": targeted or 0,
        "published_locations": published or 0,
        "publication_rate": round(published / targeted, 4) if targeted else None,
        "decided": decided,
        "customized_share": round(funnel.get("customized", 0) / decided, 4) if decided else None,
        "rejected_share": round(funnel.get("rejected", 0) / decided, 4) if decided else None,
    }


async def _by_network(session: AsyncSession, campaign_id: str) -> list[dict[str, Any]]:
    rows = (await session.execute(
        select(Publication.network,
               func.count().label("publications"),
               func.sum(case((Publication.status == "published", 1), else_=0)).label("published"),
               func.sum(case((Publication.status == "failed", 1), else_=0)).label("failed"),
               *counter_sums())
        .where(Publication.campaign_id == campaign_id).group_by(Publication.network).order_by(Publication.network)
    )).all()
    return [{"network": row.network, "publications": row.publications, "published": row.published or 0,
             "failed": row.failed or 0, **counters(row), "rate_base": row.rate_base} for row in rows]


async def _by_region(session: AsyncSession, campaign_id: str) -> list[dict[str, Any]]:
    """Per region: locations targeted and those that published, decisions, and the counters."""
    proposals = {row.region: row for row in await session.execute(
        select(Location.region,
               func.count(distinct(Proposal.location_id)).label("locations"),
               func.count().label("proposals"),
               func.sum(case((Proposal.status.in_(DECIDED), 1), else_=0)).label("decided"),
               func.sum(case((Proposal.status == "customized", 1), else_=0)).label("customized"),
               func.sum(case((Proposal.status == "rejected", 1), else_=0)).label("rejected"))
        .join(Location, Location.id == Proposal.location_id)
        .where(_current(campaign_id)).group_by(Location.region))}
    publications = {row.region: row for row in await session.execute(
        select(Location.region,
               func.count(distinct(case((Publication.status == "published", Publication.location_id))))
               .label("published_locations"),
               *counter_sums())
        .join(Location, Location.id == Publication.location_id)
        .where(Publication.campaign_id == campaign_id).group_by(Location.region))}
    result = []
    for region in sorted(proposals):
        row, published = proposals[region], publications.get(region)
        published_locations = published.published_locations if published else 0
        figures = counters(published) if published else {"impressions": None, "reach": None, "engagements": None,
                                                           "engagement_rate": None, "with_stats": 0}
        result.append({
            "region": region, "locations": row.locations, "proposals": row.proposals, "decided": row.decided or 0,
            "customized": row.customized or 0, "rejected": row.rejected or 0,
            "published_locations": published_locations,
            "publication_rate": round(published_locations / row.locations, 4) if row.locations else None,
            **figures,
        })
    return result


async def by_location_page(session: AsyncSession, campaign: Campaign, *, limit: int | None = 100, offset: int = 0,
                           sort: str = "code", descending: bool = False,
                           figures: Figures | None = None) -> list[dict[str, Any]]:
    """One page of the table by location from the stored figures (brought up to date first unless `figures`
    just were); the whole table without `limit`."""
    if figures is None:
        await current_figures(session, campaign)
    stored = CampaignLocationFigures
    if sort == "engagement_rate":
        order = case((stored.rate_base > 0, stored.engagements * 1.0 / stored.rate_base))
    else:
        order = getattr(stored, sort if sort in LOCATION_SORTS else "code")
    order = order.desc() if descending else order.asc()
    if sort in ("engagements", "engagement_rate"):  # missing figures sort last, whichever the direction
        order = order.nulls_last()
    query = (select(*stored.__table__.columns).where(stored.campaign_id == campaign.id)
             .order_by(order, stored.code).offset(offset))
    return [
        {"location_id": row.location_id, "code": row.code, "name": row.name, "region": row.region,
         "proposals": row.proposals, "statuses": row.statuses, "published": row.published,
         "impressions": row.impressions, "reach": row.reach, "engagements": row.engagements,
         "engagement_rate": rate(row.engagements, row.rate_base), "with_stats": row.with_stats}
        for row in await session.execute(query if limit is None else query.limit(limit))
    ]


def _location_figures(dialect: str, campaign_id: str) -> Any:
    """SQL: every row of the campaign's table by location (its proposals by status, publications, counters)."""
    publications = (
        select(Publication.location_id.label("location_id"),
               func.sum(case((Publication.status == "published", 1), else_=0)).label("published"),
               *counter_sums())
        .where(Publication.campaign_id == campaign_id).group_by(Publication.location_id).subquery()
    )
    by_status = (
        select(Proposal.location_id.label("location_id"), Proposal.status.label("status"), func.count().label("count"))
        .where(_current(campaign_id)).group_by(Proposal.location_id, Proposal.status).subquery()
    )
    as_object = func.jsonb_object_agg if dialect == "postgresql" else func.json_group_object
    proposals = (
        select(by_status.c.location_id, func.sum(by_status.c.count).label("proposals"),
               as_object(by_status.c.status, by_status.c.count).label("statuses"))
        .group_by(by_status.c.location_id).subquery()
    )
    return (
        select(literal(campaign_id).label("campaign_id"), Location.id.label("location_id"), Location.code,
               Location.name, Location.region, proposals.c.proposals, proposals.c.statuses,
               func.coalesce(publications.c.published, 0).label("published"), publications.c.impressions,
               publications.c.reach, publications.c.engagements, publications.c.rate_base,
               func.coalesce(publications.c.with_stats, 0).label("with_stats"))
        .join(proposals, proposals.c.location_id == Location.id)
        .outerjoin(publications, publications.c.location_id == Location.id)
    )


# Buckets of the time a location took to decide, as HQ reads them (upper bounds in hours).
DECISION_BUCKETS = (("under_1h", 1), ("1h_4h", 4), ("4h_24h", 24), ("1d_3d", 72), ("over_3d", None))


async def time_to_decision(session: AsyncSession, campaign_id: str) -> dict[str, Any]:
    """How long locations took to decide (people's decisions only, not the policies'): buckets and median."""
    hours = hours_between(session.bind.dialect.name, Proposal.created_at, Proposal.decided_at)
    values = list(await session.scalars(select(hours).where(
        Proposal.campaign_id == campaign_id, Proposal.decided_by.is_not(None), Proposal.decided_at.is_not(None))))
    return decision_summary([float(value) for value in values])


def decision_summary(hours: list[float]) -> dict[str, Any]:
    """Decision times in hours as buckets, their count and median."""
    buckets = {name: 0 for name, _ in DECISION_BUCKETS}
    for value in hours:
        name = next(name for name, limit in DECISION_BUCKETS if limit is None or value < limit)
        buckets[name] += 1
    return {"decisions": len(hours), "median_hours": median(hours), "buckets": buckets}


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
