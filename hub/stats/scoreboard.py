"""The network's scoreboard: adoption over time, silent arms, top posts and locations, each location's rank.

Computed by the stats worker from the database (the truth) every few minutes and stored, so that
HQ's network page and a location's page read one row instead of aggregating a million proposals.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.brands.models import Brand
from hub.campaigns.models import Campaign, Post, PostRevision
from hub.db import Database, upsert, utcnow
from hub.locations.models import Location
from hub.proposals.models import Proposal
from hub.publishing.connectors.google_business import LOCATION_METRICS
from hub.publishing.models import Publication
from hub.stats.formulas import (
    FORMULAS, RATE_BASE, VERY_GOOD_FACEBOOK_RATE, counter_sums, counters, hours_between, median, month_of, rate,
)
from hub.stats.models import AccountDay, LocationScore, Scoreboard
from hub.stats.report import DECIDED, decision_summary, silent_arms

log = logging.getLogger("pieuvre.stats")

# Ranks, top lists and medians cover the last 90 days; the charts the last 12 months.
PERIOD_DAYS = 90
MONTHS = 12
SILENT_DAYS = 14
TOP = 10
# A post or a location needs this many publications with counters before it can top a list.
MIN_READINGS = 3


def months_back(now: datetime, count: int) -> list[str]:
    """The last `count` months up to `now`'s, oldest first, as "YYYY-MM"."""
    year, month = now.year, now.month
    months = []
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


async def compute_network_report(session: AsyncSession, brand_id: str, now: datetime) -> tuple[dict[str, Any],
                                                                                               list[dict[str, Any]]]:
    """The brand's scoreboard and every location's figures with its ranks (the heavy aggregation)."""
    dialect = session.bind.dialect.name
    months = months_back(now, MONTHS)
    months_since = datetime(int(months[0][:4]), int(months[0][5:]), 1, tzinfo=now.tzinfo)
    since = now - timedelta(days=PERIOD_DAYS)
    locations = {row.id: row for row in (await session.execute(
        select(Location.id, Location.code, Location.name, Location.region).where(Location.brand_id == brand_id)))}

    adoption = await _adoption_by_month(session, dialect, brand_id, months, months_since)
    per_location = await _location_figures(session, dialect, brand_id, since, locations)
    engagement_by_month = await _engagement_by_month(session, dialect, brand_id, months_since)
    facebook_by_month = await _facebook_by_month(session, dialect, brand_id, months, months_since)
    scores = _rank(per_location)
    medians = {name: median([score[name] for score in scores if score[name] is not None], digits)
               for name, digits in (("publication_rate", 4), ("engagement_rate", 4), ("facebook_rate", 4),
                                    ("median_decision_hours", 2), ("customized_share", 4))}
    reasons = dict((await session.execute(
        select(Proposal.reject_reason, func.count()).where(
            Proposal.brand_id == brand_id, Proposal.status == "rejected", Proposal.created_at >= since)
        .group_by(Proposal.reject_reason))).all())
    report = {
        "brand_id": brand_id,
        "computed_at": now,
        "period_days": PERIOD_DAYS,
        "locations": len(locations),
        "adoption_by_month": adoption,
        "engagement_by_month": engagement_by_month,
        "facebook_by_month": facebook_by_month,
        "very_good_facebook_rate": VERY_GOOD_FACEBOOK_RATE,
        "by_network": await _by_network(session, brand_id, since),
        "by_region": _by_region(scores),
        "followers_by_month": await _followers_by_month(session, dialect, brand_id, months_since),
        "google_business_by_month": await _google_business_by_month(session, dialect, brand_id, months_since),
        "rejected_by_reason": reasons,
        "top_posts": await _top_posts(session, brand_id, since),
        "top_locations": sorted((score for score in scores if score["engagement_rank"] is not None),
                                key=lambda score: score["engagement_rank"])[:TOP],
        "silent_arms": (await silent_arms(session, brand_id, SILENT_DAYS, now))[:50],
        "silent_days": SILENT_DAYS,
        "medians": medians,
    }
    return jsonable_encoder(report), jsonable_encoder(scores)


async def _adoption_by_month(session: AsyncSession, dialect: str, brand_id: str, months: list[str],
                             months_since: datetime) -> list[dict[str, Any]]:
    """Per month of the proposals' sending: locations targeted, those that published, and decisions."""
    month = month_of(dialect, Proposal.created_at)
    current = (Proposal.brand_id == brand_id, Proposal.status != "superseded", Proposal.created_at >= months_since)
    sent = {row.month: row for row in await session.execute(
        select(month.label("month"), func.count(distinct(Proposal.location_id)).label("targeted"),
               func.count().label("proposals"),
               func.sum(case((Proposal.status.in_(DECIDED), 1), else_=0)).label("decided"),
               func.sum(case((Proposal.status == "customized", 1), else_=0)).label("customized"),
               func.sum(case((Proposal.status == "rejected", 1), else_=0)).label("rejected"))
        .where(*current).group_by(month))}
    published = dict((await session.execute(
        select(month, func.count(distinct(Publication.location_id)))
        .join(Proposal, Proposal.id == Publication.proposal_id)
        .where(Publication.brand_id == brand_id, Publication.status == "published", *current).group_by(month)
    )).all())
    hours: dict[str, list[float]] = defaultdict(list)
    for label, value in await session.execute(
        select(month, hours_between(dialect, Proposal.created_at, Proposal.decided_at))
        .where(*current, Proposal.decided_by.is_not(None), Proposal.decided_at.is_not(None))
    ):
        hours[label].append(float(value))
    result = []
    for label in months:
        row = sent.get(label)
        targeted = row.targeted if row else 0
        decided = (row.decided or 0) if row else 0
        result.append({
            "month": label, "targeted_locations": targeted, "published_locations": published.get(label, 0),
            "publication_rate": round(published.get(label, 0) / targeted, 4) if targeted else None,
            "proposals": row.proposals if row else 0, "decided": decided,
            "customized_share": round((row.customized or 0) / decided, 4) if decided else None,
            "rejected_share": round((row.rejected or 0) / decided, 4) if decided else None,
            "median_decision_hours": median(hours[label]),
        })
    return result


async def _location_figures(session: AsyncSession, dialect: str, brand_id: str, since: datetime,
                            locations: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each location's figures over the period: its proposals, what it published, its decisions and counters."""
    current = (Proposal.brand_id == brand_id, Proposal.status != "superseded", Proposal.created_at >= since)
    figures: dict[str, dict[str, Any]] = {
        location_id: {"location_id": location_id, "code": row.code, "name": row.name, "region": row.region,
                      "proposals": 0, "published_proposals": 0, "decided": 0, "customized": 0, "rejected": 0,
                      "publications": 0, "with_stats": 0, "impressions": None, "reach": None, "engagements": None, "rate_base": None,
                      "facebook_engagements": None, "facebook_reach": None, "hours": []}
        for location_id, row in locations.items()
    }
    for row in await session.execute(
        select(Proposal.location_id, func.count().label("proposals"),
               func.sum(case((Proposal.status.in_(DECIDED), 1), else_=0)).label("decided"),
               func.sum(case((Proposal.status == "customized", 1), else_=0)).label("customized"),
               func.sum(case((Proposal.status == "rejected", 1), else_=0)).label("rejected"))
        .where(*current).group_by(Proposal.location_id)
    ):
        figures[row.location_id].update(proposals=row.proposals, decided=row.decided or 0,
                                        customized=row.customized or 0, rejected=row.rejected or 0)
    for location_id, count in await session.execute(
        select(Publication.location_id, func.count(distinct(Publication.proposal_id)))
        .join(Proposal, Proposal.id == Publication.proposal_id)
        .where(Publication.brand_id == brand_id, Publication.status == "published", *current)
        .group_by(Publication.location_id)
    ):
        figures[location_id]["published_proposals"] = count
    published_since = (Publication.brand_id == brand_id, Publication.status == "published",
                       Publication.published_at >= since)
    for row in await session.execute(
        select(Publication.location_id, func.count().label("publications"), *counter_sums())
        .where(*published_since).group_by(Publication.location_id)
    ):
        figures[row.location_id].update(publications=row.publications, impressions=row.impressions, reach=row.reach,
                                        engagements=row.engagements, rate_base=row.rate_base,
                                        with_stats=row.with_stats)
    for location_id, engagements, reach in await session.execute(
        select(Publication.location_id, func.sum(Publication.engagements), func.sum(Publication.reach))
        .where(*published_since, Publication.network == "facebook").group_by(Publication.location_id)
    ):
        figures[location_id].update(facebook_engagements=engagements, facebook_reach=reach)
    for location_id, value in await session.execute(
        select(Proposal.location_id, hours_between(dialect, Proposal.created_at, Proposal.decided_at))
        .where(*current, Proposal.decided_by.is_not(None), Proposal.decided_at.is_not(None))
    ):
        figures[location_id]["hours"].append(float(value))
    return figures


def _rank(figures: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every location's figures with its rank on publication rate and on engagement rate (1 = best)."""
    scores = []
    for entry in figures.values():
        hours = entry.pop("hours")
        scores.append({
            **entry,
            "publication_rate": round(entry["published_proposals"] / entry["proposals"], 4)
            if entry["proposals"] else None,
            "engagement_rate": rate(entry["engagements"], entry["rate_base"])
            if entry["with_stats"] >= MIN_READINGS else None,
            "facebook_rate": rate(entry["facebook_engagements"], entry["facebook_reach"]),
            "median_decision_hours": median(hours),
            "decisions": len(hours),
            "customized_share": round(entry["customized"] / entry["decided"], 4) if entry["decided"] else None,
        })
    for name, rank_name in (("publication_rate", "publication_rank"), ("engagement_rate", "engagement_rank")):
        ranked = sorted((score for score in scores if score[name] is not None), key=lambda score: -score[name])
        previous, position = None, 0
        for index, score in enumerate(ranked, start=1):
            # Equal figures share a rank (1, 2, 2, 4).
            if score[name] != previous:
                previous, position = score[name], index
            score[rank_name] = position
        for score in scores:
            score.setdefault(rank_name, None)
            score[f"{rank_name}_of"] = len(ranked)
    for score in scores:
        score["very_good_facebook"] = (score["facebook_rate"] is not None
                                       and score["facebook_rate"] >= VERY_GOOD_FACEBOOK_RATE)
    return scores


def _by_region(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals: dict[str, dict[str, Any]] = {}
    for score in scores:
        region = totals.setdefault(score["region"], {
            "region": score["region"], "locations": 0, "targeted_locations": 0, "published_locations": 0,
            "proposals": 0, "published_proposals": 0, "engagements": None, "rate_base": None})
        region["locations"] += 1
        region["proposals"] += score["proposals"]
        region["published_proposals"] += score["published_proposals"]
        region["targeted_locations"] += 1 if score["proposals"] else 0
        region["published_locations"] += 1 if score["published_proposals"] else 0
        for name in ("engagements", "rate_base"):
            if score[name] is not None:
                region[name] = (region[name] or 0) + score[name]
    return [
        {**{key: value for key, value in region.items() if key != "rate_base"},
         "publication_rate": round(region["published_locations"] / region["targeted_locations"], 4)
         if region["targeted_locations"] else None,
         "engagement_rate": rate(region["engagements"], region["rate_base"])}
        for _, region in sorted(totals.items())
    ]


async def _by_network(session: AsyncSession, brand_id: str, since: datetime) -> list[dict[str, Any]]:
    rows = (await session.execute(
        select(Publication.network, func.count().label("publications"), *counter_sums())
        .where(Publication.brand_id == brand_id, Publication.status == "published", Publication.published_at >= since)
        .group_by(Publication.network).order_by(Publication.network))).all()
    return [{"network": row.network, "publications": row.publications, **counters(row),
             "formula": FORMULAS.get(row.network), "rate_base": RATE_BASE.get(row.network)} for row in rows]


async def _engagement_by_month(session: AsyncSession, dialect: str, brand_id: str,
                               months_since: datetime) -> list[dict[str, Any]]:
    month = month_of(dialect, Publication.published_at)
    rows = (await session.execute(
        select(month.label("month"), Publication.network, func.count().label("publications"), *counter_sums())
        .where(Publication.brand_id == brand_id, Publication.status == "published",
               Publication.published_at >= months_since)
        .group_by(month, Publication.network).order_by(month, Publication.network))).all()
    return [{"month": row.month, "network": row.network, "publications": row.publications, **counters(row)}
            for row in rows]


async def _facebook_by_month(session: AsyncSession, dialect: str, brand_id: str, months: list[str],
                             months_since: datetime) -> list[dict[str, Any]]:
    """Per month: the network's Facebook rate and how many locations reached the very-good mark."""
    month = month_of(dialect, Publication.published_at)
    per_month: dict[str, list[tuple[int | None, int | None]]] = defaultdict(list)
    for label, engagements, reach in await session.execute(
        select(month, func.sum(Publication.engagements), func.sum(Publication.reach))
        .where(Publication.brand_id == brand_id, Publication.status == "published", Publication.network == "facebook",
               Publication.published_at >= months_since)
        .group_by(month, Publication.location_id)
    ):
        per_month[label].append((engagements, reach))
    result = []
    for label in months:
        pairs = [(engagements, reach) for engagements, reach in per_month[label] if reach]
        rates = [rate(engagements, reach) for engagements, reach in pairs]
        result.append({
            "month": label, "locations": len(pairs),
            "very_good_locations": sum(1 for value in rates if value is not None and value >= VERY_GOOD_FACEBOOK_RATE),
            "engagement_rate": rate(sum(e or 0 for e, _ in pairs) if pairs else None, sum(r for _, r in pairs)),
        })
    return result


async def _followers_by_month(session: AsyncSession, dialect: str, brand_id: str,
                              months_since: datetime) -> list[dict[str, Any]]:
    """Per month and network: the followers of the brand's accounts on the month's last day read."""
    day_month = (func.to_char(AccountDay.day, "YYYY-MM") if dialect == "postgresql"
                 else func.strftime("%Y-%m", AccountDay.day))
    latest: dict[tuple[str, str], tuple[date, int, int]] = {}
    for label, network, day, followers, accounts in await session.execute(
        select(day_month, AccountDay.network, AccountDay.day, func.sum(AccountDay.followers),
               func.count(AccountDay.followers))
        .where(AccountDay.brand_id == brand_id, AccountDay.day >= months_since.date(),
               AccountDay.followers.is_not(None))
        .group_by(day_month, AccountDay.network, AccountDay.day)
    ):
        if (label, network) not in latest or day > latest[(label, network)][0]:
            latest[(label, network)] = (day, int(followers), accounts)
    return [{"month": label, "network": network, "day": day, "followers": followers, "accounts": accounts}
            for (label, network), (day, followers, accounts) in sorted(latest.items())]


async def _google_business_by_month(session: AsyncSession, dialect: str, brand_id: str,
                                    months_since: datetime) -> list[dict[str, Any]]:
    """Per month: Google Business Profile's location counters summed over the brand's profiles."""
    day_month = (func.to_char(AccountDay.day, "YYYY-MM") if dialect == "postgresql"
                 else func.strftime("%Y-%m", AccountDay.day))
    sums = [func.sum(AccountDay.metrics[name].as_integer()).label(name) for name in LOCATION_METRICS]
    rows = (await session.execute(
        select(day_month.label("month"), func.count(distinct(AccountDay.social_account_id)).label("profiles"), *sums)
        .where(AccountDay.brand_id == brand_id, AccountDay.network == "google_business",
               AccountDay.day >= months_since.date())
        .group_by(day_month).order_by(day_month))).all()
    return [{"month": row.month, "profiles": row.profiles,
             **{name: getattr(row, name) for name in LOCATION_METRICS}} for row in rows]


async def _top_posts(session: AsyncSession, brand_id: str, since: datetime) -> list[dict[str, Any]]:
    """The posts with the best engagement rate over the period (with enough readings to mean something)."""
    rows = (await session.execute(
        select(Proposal.post_id, func.count().label("publications"),
               func.count(distinct(Publication.location_id)).label("locations"), *counter_sums())
        .join(Proposal, Proposal.id == Publication.proposal_id)
        .where(Publication.brand_id == brand_id, Publication.status == "published", Publication.published_at >= since)
        .group_by(Proposal.post_id))).all()
    ranked = sorted((row for row in rows if row.with_stats >= MIN_READINGS and rate(row.engagements, row.rate_base)),
                    key=lambda row: -rate(row.engagements, row.rate_base))[:TOP]
    if not ranked:
        return []
    names = {row.id: row for row in await session.execute(
        select(Post.id, Campaign.id.label("campaign_id"), Campaign.name.label("campaign"), PostRevision.body)
        .join(Campaign, Campaign.id == Post.campaign_id)
        .join(PostRevision, (PostRevision.post_id == Post.id) & (PostRevision.number == Post.current_revision))
        .where(Post.id.in_([row.post_id for row in ranked])))}
    return [{"post_id": row.post_id, "campaign_id": names[row.post_id].campaign_id,
             "campaign": names[row.post_id].campaign, "excerpt": _excerpt(names[row.post_id].body),
             "publications": row.publications, "locations": row.locations, **counters(row)}
            for row in ranked if row.post_id in names]


def _excerpt(body: str, length: int = 90) -> str:
    text = " ".join(body.split())
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


async def refresh_scoreboard(database: Database, brand_id: str, now: datetime | None = None) -> dict[str, Any]:
    """Compute the brand's scoreboard and its locations' scores, and store them (idempotent)."""
    now = now or utcnow()
    async with database.session() as session:
        report, scores = await compute_network_report(session, brand_id, now)
    async with database.session() as session:
        await session.execute(upsert(session, Scoreboard, [{"brand_id": brand_id, "computed_at": now, "data": report}],
                                     ["brand_id"], ["computed_at", "data"]))
        for start in range(0, len(scores), 1000):
            await session.execute(upsert(session, LocationScore, [
                {"location_id": score["location_id"], "brand_id": brand_id, "computed_at": now, "data": score}
                for score in scores[start:start + 1000]], ["location_id"], ["computed_at", "data"]))
    return report


async def refresh_all(database: Database, now: datetime | None = None) -> int:
    """Refresh every brand's scoreboard; returns how many were computed."""
    async with database.session() as session:
        brand_ids = list(await session.scalars(select(Brand.id)))
    for brand_id in brand_ids:
        started = utcnow()
        await refresh_scoreboard(database, brand_id, now)
        log.info("stats.scoreboard brand=%s seconds=%.2f", brand_id, (utcnow() - started).total_seconds())
    return len(brand_ids)


async def network_scoreboard(database: Database, session: AsyncSession, brand_id: str) -> dict[str, Any]:
    """The brand's stored scoreboard; computed now when there is none yet (a new brand)."""
    stored = await session.get(Scoreboard, brand_id)
    if stored is not None:
        return stored.data
    return await refresh_scoreboard(database, brand_id)


async def location_report(database: Database, session: AsyncSession, location: Location,
                          now: datetime | None = None) -> dict[str, Any]:
    """One location's figures month by month and over the period, against the network's median, with its rank."""
    now = now or utcnow()
    dialect = session.bind.dialect.name
    months = months_back(now, MONTHS)
    months_since = datetime(int(months[0][:4]), int(months[0][5:]), 1, tzinfo=now.tzinfo)
    network = await network_scoreboard(database, session, location.brand_id)
    score = await session.get(LocationScore, location.id)
    proposal_month = month_of(dialect, Proposal.created_at)
    sent = {row.month: row for row in await session.execute(
        select(proposal_month.label("month"), func.count().label("proposals"),
               func.sum(case((Proposal.status.in_(DECIDED), 1), else_=0)).label("decided"))
        .where(Proposal.location_id == location.id, Proposal.status != "superseded",
               Proposal.created_at >= months_since).group_by(proposal_month))}
    published = dict((await session.execute(
        select(proposal_month, func.count(distinct(Publication.proposal_id)))
        .join(Proposal, Proposal.id == Publication.proposal_id)
        .where(Publication.location_id == location.id, Publication.status == "published",
               Proposal.status != "superseded", Proposal.created_at >= months_since)
        .group_by(proposal_month))).all())
    publication_month = month_of(dialect, Publication.published_at)
    engagement = {row.month: row for row in await session.execute(
        select(publication_month.label("month"), func.count().label("publications"), *counter_sums())
        .where(Publication.location_id == location.id, Publication.status == "published",
               Publication.published_at >= months_since).group_by(publication_month))}
    network_months = {row["month"]: row for row in network["adoption_by_month"]}
    by_month = []
    for label in months:
        row, reading = sent.get(label), engagement.get(label)
        proposals = row.proposals if row else 0
        by_month.append({
            "month": label, "proposals": proposals, "decided": (row.decided or 0) if row else 0,
            "published_proposals": published.get(label, 0),
            "publication_rate": round(published.get(label, 0) / proposals, 4) if proposals else None,
            "network_publication_rate": (network_months.get(label) or {}).get("publication_rate"),
            **(counters(reading) if reading else {"impressions": None, "reach": None, "engagements": None,
                                                  "engagement_rate": None, "with_stats": 0}),
        })
    since = now - timedelta(days=PERIOD_DAYS)
    by_network = [{"network": row.network, "publications": row.publications, **counters(row),
                   "formula": FORMULAS.get(row.network), "rate_base": RATE_BASE.get(row.network)}
                  for row in await session.execute(
                      select(Publication.network, func.count().label("publications"), *counter_sums())
                      .where(Publication.location_id == location.id, Publication.status == "published",
                             Publication.published_at >= since)
                      .group_by(Publication.network).order_by(Publication.network))]
    followers = [{"network": network_name, "day": day, "followers": count}
                 for network_name, day, count in await session.execute(
                     select(AccountDay.network, AccountDay.day, AccountDay.followers)
                     .where(AccountDay.location_id == location.id, AccountDay.day >= (now - timedelta(days=90)).date())
                     .order_by(AccountDay.network, AccountDay.day))]
    return jsonable_encoder({
        "location_id": location.id, "code": location.code, "name": location.name, "region": location.region,
        "computed_at": network["computed_at"], "period_days": PERIOD_DAYS,
        "score": score.data if score else None,
        "medians": network["medians"],
        "very_good_facebook_rate": VERY_GOOD_FACEBOOK_RATE,
        "by_month": by_month,
        "by_network": by_network,
        "followers": followers,
    })
