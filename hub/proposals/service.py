"""Fan-out and decisions: from one post revision to a localized proposal per location, then approve,
customize or reject, and the deadline policies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, load_only

from hub.accounts.actor import Actor
from hub.audit.models import AuditEvent
from hub.audit.service import record
from hub.campaigns.models import Campaign, Post, PostRevision
from hub.brandkit.service import lint_rules
from hub.campaigns.schemas import Target
from hub.campaigns.service import lint_post, source_locale
from hub.db import insert_many_ignoring_conflicts, new_id, utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.linting.read import finding_read
from hub.linting.service import LintRules, finding, has_errors, lint_text
from hub.linting.tone import with_signature
from hub.locations.models import Location, LocationTag
from hub.locations.service import visible_locations
from hub.proposals.diff import word_diff
from hub.proposals.localize import fill_slots, fill_variables, location_values
from hub.proposals.models import (GOING_OUT, PROPOSAL_STATUSES, REJECT_REASONS, Distribution, DistributionChunk,
                                  Proposal)
from hub.publishing import service as publishing
from hub.publishing.models import Publication
from hub.queue import enqueue_after_commit
from hub.translations import service as translations
from hub.webhooks import service as webhooks

FAN_OUT_JOB = "proposals.fan_out_chunk"


def fan_out_job_id(chunk_id: str) -> str:
    """The arq job id of a chunk: the same chunk is never queued twice at once."""
    return f"{FAN_OUT_JOB}:{chunk_id}"


# ---------------------------------------------------------------- distributing


async def resolve_target(session: AsyncSession, brand_id: str, target: Target) -> list[str]:
    """Ids of the brand's locations a target names (explicit ids, tags or regions; empty = all), in code order."""
    query = select(Location.id).where(Location.brand_id == brand_id)
    conditions = []
    if target.location_ids:
        conditions.append(Location.id.in_(target.location_ids))
    if target.tags:
        conditions.append(Location.id.in_(
            select(LocationTag.location_id).where(LocationTag.brand_id == brand_id, LocationTag.tag.in_(target.tags))
        ))
    if target.regions:
        conditions.append(Location.region.in_(target.regions))
    if conditions:
        query = query.where(or_(*conditions))
    return list(await session.scalars(query.order_by(Location.code)))


async def distribute(
    session: AsyncSession, actor: Actor, post: Post, revision: PostRevision, target: Target, chunk_size: int
) -> Distribution:
    """Create a distribution of the post's current revision, split into chunks queued after commit."""
    if post.status == "withdrawn":
        raise Conflict("This post was withdrawn: create a new post to send it again.")
    rules = await lint_rules(session, post.brand_id)
    # Linted in the language it is written in, as when it was created (not the brand's default).
    findings = lint_post(revision, rules, revision.source_locale or await source_locale(session, post.brand_id))
    if has_errors(findings):
        raise Invalid("The post breaks network rules: fix the findings before sending it.", errors=findings)
    campaign = await session.get(Campaign, post.campaign_id)
    if target.is_empty():
        target = Target(**campaign.target) if campaign and campaign.target else target
    if target.location_ids:
        known = set(await session.scalars(select(Location.id).where(
            Location.brand_id == post.brand_id, Location.id.in_(target.location_ids))))
        unknown = [location_id for location_id in target.location_ids if location_id not in known]
        if unknown:
            raise Invalid("Unknown location id(s): {ids}. Check them with GET /api/v1/locations.",
                          ids=", ".join(unknown), errors=[{"field": "location_ids", "message": f"unknown: {', '.join(unknown)}"}])
    location_ids = await resolve_target(session, post.brand_id, target)
    if not location_ids:
        raise Invalid("No location matches this target: check the tags, regions or ids.",
                      errors=[{"field": "target", "message": "matches no location"}])
    distribution = await _queue_distribution(session, actor, post, revision, target, location_ids, chunk_size)
    post.status = "distributed"
    record(session, brand_id=post.brand_id, actor_id=actor.user.id, action="post.distributed", subject_type="post",
           subject_id=post.id, after={"distribution_id": distribution.id, "locations": len(location_ids)})
    return distribution


async def relocalize(session: AsyncSession, actor: Actor, post: Post, revision: PostRevision, location_ids: list[str],
                     chunk_size: int) -> Distribution:
    """Run the fan-out of the current revision again for these locations (after a translation is approved):
    each proposal of that revision is written again in place, following the new-revision rules."""
    return await _queue_distribution(session, actor, post, revision, Target(location_ids=location_ids),
                                     location_ids, chunk_size)


async def _queue_distribution(session: AsyncSession, actor: Actor, post: Post, revision: PostRevision, target: Target,
                              location_ids: list[str], chunk_size: int) -> Distribution:
    """A distribution of the revision to these locations, split into chunks queued after commit."""
    distribution = Distribution(
        brand_id=post.brand_id, post_id=post.id, post_revision_id=revision.id, target=target.model_dump(),
        total=len(location_ids), created_by=actor.user.id,
    )
    session.add(distribution)
    await session.flush()
    chunks = [
        DistributionChunk(distribution_id=distribution.id, number=number, location_ids=location_ids[start:start + chunk_size])
        for number, start in enumerate(range(0, len(location_ids), chunk_size))
    ]
    session.add_all(chunks)
    await session.flush()
    for chunk in chunks:
        enqueue_after_commit(session, FAN_OUT_JOB, chunk.id, job_id=fan_out_job_id(chunk.id))
    return distribution


def local_publish_time(revision: PostRevision, timezone: str) -> tuple[datetime | None, list[dict[str, Any]]]:
    """When the revision goes out for a location in `timezone`, with a finding when its clock is ambiguous."""
    if revision.publish_at:
        return revision.publish_at, []
    if not revision.publish_at_local:
        return None, []
    wall = datetime.fromisoformat(revision.publish_at_local)
    zone = ZoneInfo(timezone)
    # fold=0 reads a skipped time with the offset before the jump (so 02:30 becomes 03:30 on a
    # spring-forward night) and a repeated time as its first occurrence (PEP 495).
    moment = wall.replace(tzinfo=zone, fold=0)
    findings: list[dict[str, Any]] = []
    if moment.utcoffset() != wall.replace(tzinfo=zone, fold=1).utcoffset():
        if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall:
            findings.append(finding(
                "time.nonexistent", "warning", "all", "", 0, 0,
                "{time} does not exist on this location's clock (it moves forward); the post goes out at {moment}.",
                time=revision.publish_at_local, moment=moment.astimezone(UTC).astimezone(zone).strftime("%H:%M"),
            ))
        else:
            findings.append(finding(
                "time.ambiguous", "warning", "all", "", 0, 0,
                "{time} occurs twice on this location's clock; the post goes out at the first one.",
                time=revision.publish_at_local,
            ))
    return moment.astimezone(UTC), findings


def localize(revision: PostRevision, location: Location, rules: LintRules,
             slot_values: dict[str, str] | None = None, content: Any = None,
             sources: list[tuple[str, str, str | None]] | None = None) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The revision's text per network for one location (slots and variables filled, signature appended),
    and its findings; `content` is the translation to write it in (None: HQ's source text); `sources`,
    what `localized_sources` gives for the same arguments (the fan-out works them out once per chunk)."""
    values = location_values(location)
    texts: dict[str, str] = {}
    findings: list[dict[str, Any]] = []
    for network, source, original in sources or localized_sources(revision, rules, slot_values, content):
        text, missing = fill_variables(source, values, network, location.locale)
        texts[network] = text
        findings.extend(missing)
        findings.extend(lint_text(text, network, location.locale, rules, source=original))
    return texts, findings


def localized_sources(revision: PostRevision, rules: LintRules, slot_values: dict[str, str] | None = None,
                      content: Any = None) -> list[tuple[str, str, str | None]]:
    """Per network of the revision: its text before variables are filled in (slots filled, signature appended)
    and, for a translation, the source text it translates (the glossary checks the translation against it)."""
    content = content if content is not None else revision
    sources = []
    for network in revision.networks:
        source = fill_slots(translations.text_for(content, network), revision.slots or {}, slot_values)
        source = with_signature(source, network, rules.tone)
        original = (fill_slots(translations.text_for(revision, network), revision.slots or {})
                    if content is not revision else None)
        sources.append((network, source, original))
    return sources


async def fan_out_chunk(session: AsyncSession, chunk_id: str) -> int:
    """Create the proposals of one chunk; safe to run twice or concurrently (upsert on revision + location)."""
    others = aliased(Distribution)
    found = (await session.execute(
        select(DistributionChunk, Distribution, PostRevision, Post, Campaign,
               select(others.id).where(others.post_id == Distribution.post_id, others.id != Distribution.id)
               .exists().label("sent_before"))
        .join(Distribution, Distribution.id == DistributionChunk.distribution_id)
        .join(PostRevision, PostRevision.id == Distribution.post_revision_id)
        .join(Post, Post.id == PostRevision.post_id)
        .join(Campaign, Campaign.id == Post.campaign_id)
        .where(DistributionChunk.id == chunk_id)
        # The post held (FOR SHARE; chunks do not block each other) until the chunk commits: HQ's withdrawal
        # waits for it, then withdraws what it made, or went first and the chunk reads the post withdrawn.
        # Without it, a chunk that read the post just before a withdrawal committed left its proposals
        # waiting in the inboxes of a withdrawn post. (SQLite takes its one write lock instead.)
        .with_for_update(read=True, of=Post)
    )).first()
    if found is None or found.DistributionChunk.status == "done":
        return 0
    chunk, distribution, revision, post, campaign, sent_before = found
    now = utcnow()
    # The columns the fan-out reads, not Location objects: thousands a second, the ORM's bookkeeping shows.
    locations = (await session.execute(select(
        Location.id, Location.name, Location.code, Location.region, Location.variables, Location.locale,
        Location.timezone, Location.approval_policy,
    ).where(Location.id.in_(chunk.location_ids)))).all()
    rules = await lint_rules(session, post.brand_id)
    # The post's only distribution (its first send): no other fan-out made proposals of it, so the chunk's
    # locations have none but those a concurrent run of this chunk makes (the insert skips them). Not reading
    # them saves, while PostgreSQL has no statistics on a fresh proposals table, a scan of every proposal of
    # the revision per chunk. Asked here, not when queued: a later send may come before this chunk runs.
    earlier, current = (await _live_proposals(session, post.id, revision, chunk.location_ids) if sent_before
                        else ({}, {}))
    source = await translations.source_locale_of(session, revision, post.brand_id)
    approved = await translations.approved_translations(session, post.id)
    # What depends on the post and not on the location, worked out once per chunk.
    chains: dict[str, tuple[list[str], str | None]] = {}
    times: dict[str, tuple[datetime | None, list[dict[str, Any]]]] = {}
    sources: dict[tuple[str | None, tuple[tuple[str, str], ...]], list[tuple[str, str, str | None]]] = {}
    rows = []
    superseded: list[tuple[str, str]] = []
    rewritten: list[str] = []
    untranslated: set[str] = set()
    # HQ withdrew the post while it was being sent: the chunk completes without giving it to anyone.
    receiving = [] if post.status == "withdrawn" else locations
    for location in receiving:
        previous, started = earlier.get(location.id, (None, False))
        mine, mine_started = current.get(location.id, (None, False))
        if previous is not None and (started or previous.status not in REVISABLE):
            continue  # out already, or decided for good (rejected, expired): a new revision does not reopen it
        if mine is not None and (mine_started or mine.status not in REVISABLE):
            continue
        if location.locale not in chains:
            chain = translations.fallback_chain(location.locale, source, approved)
            chains[location.locale] = chain, translations.choose(chain, approved, source)
        chain, locale = chains[location.locale]
        slot_values = (mine or previous).slot_values if (mine or previous) is not None else {}
        policy = location.approval_policy or campaign.approval_policy
        if location.timezone not in times:
            times[location.timezone] = local_publish_time(revision, location.timezone)
        publish_at, time_findings = times[location.timezone]
        if locale is None:
            # No text in the location's language: it waits for a translation, never the source instead.
            untranslated.add(location.locale)
            if mine is not None:
                continue
            row = _awaiting_translation(post, campaign, revision, distribution, location, policy, chain, publish_at,
                                        slot_values, now)
            if previous is not None:
                superseded.append((previous.id, previous.status))
            rows.append(row)
            continue
        chain = chain[:chain.index(locale) + 1]  # the steps tried, up to the one that has a text
        translation = approved.get(locale)
        key = (translation.locale if translation is not None else None, tuple(sorted(slot_values.items())))
        if key not in sources:
            sources[key] = localized_sources(revision, rules, slot_values, translation)
        texts, findings = localize(revision, location, rules, slot_values, translation, sources[key])
        findings.extend(time_findings)
        findings.extend(_translation_findings(location, locale, translation))
        blocked = has_errors(findings)
        row = {
            "id": new_id(), "brand_id": post.brand_id, "campaign_id": campaign.id, "post_id": post.id,
            "post_revision_id": revision.id, "revision": revision.number, "location_id": location.id,
            "distribution_id": distribution.id, "policy": policy,
            "status": "auto_approved" if policy == "auto_publish" and not blocked else "pending",
            "decided_at": now if policy == "auto_publish" and not blocked else None, "decided_by": None,
            "hq_texts": texts, "texts": texts, "findings": findings, "blocked": blocked,
            "image_texts": {}, "slot_values": slot_values, "hq_changed": False, "hq_diff": {},
            "publish_at": publish_at, "deadline": campaign.decision_deadline, "created_at": now, "version": 1,
            "locale": locale, "fallback": chain,
        }
        if mine is not None:
            if mine.status != "needs_translation" and texts == mine.hq_texts and locale == mine.locale:
                continue  # nothing new for this location (a rerun, or another language's translation)
            if await _rewrite(session, mine, row, texts, blocked):
                rewritten.append(mine.id)
            continue
        if previous is not None:
            row.update(_carried_over(previous, texts, blocked))
            superseded.append((previous.id, previous.status))
        rows.append(row)
    if untranslated:
        await translations.notify_needs_translation(session, post, untranslated)
    for previous_id, status in superseded:
        # Compare-and-set: if the location decided in the meantime, its decision is not lost silently.
        await session.execute(update(Proposal).where(Proposal.id == previous_id, Proposal.status == status)
                              .values(status="superseded", version=Proposal.version + 1))
        await publishing.cancel_scheduled(session, previous_id)
    if rows or rewritten:
        # Skipping any a concurrent run of the chunk made first.
        insert = insert_many_ignoring_conflicts(session, Proposal.__table__, ["post_revision_id", "location_id"])
        made = list(await session.scalars(insert.returning(Proposal.id), rows)) if rows else []
        # The revision's proposals of the chunk: those just made and those it had; schedule_publications keeps
        # the ones going out. (Not asked by location: see `sent_before`.)
        await publishing.schedule_publications(session, made + [proposal.id for proposal, _ in current.values()])
    missing = len(chunk.location_ids) - len(locations)
    # Count the chunk once, whoever finishes it first (compare-and-set on its status).
    flipped = await session.execute(
        update(DistributionChunk).where(DistributionChunk.id == chunk.id, DistributionChunk.status == "pending")
        .values(status="done", failed=missing, finished_at=now).returning(DistributionChunk.id)
    )
    if flipped.scalar() is not None:
        # The distribution is marked running here, with the chunk's count, not when the chunk starts: that
        # write would lock its row until the chunk commits, and every other chunk starting meanwhile would wait.
        counted = (await session.execute(
            update(Distribution).where(Distribution.id == distribution.id)
            .values(done=Distribution.done + len(locations), failed=Distribution.failed + missing,
                    status=case((Distribution.status == "queued", "running"), else_=Distribution.status),
                    started_at=func.coalesce(Distribution.started_at, now))
            .returning(Distribution.done + Distribution.failed >= Distribution.total)
        )).scalar()
        finished = await session.execute(
            update(Distribution)
            .where(Distribution.id == distribution.id, Distribution.status != "done",
                   Distribution.done + Distribution.failed >= Distribution.total)
            .values(status="done", finished_at=now)
            .returning(Distribution.id)
        ) if counted else None
        if finished is not None and finished.scalar() is not None:
            done = await session.get(Distribution, distribution.id, populate_existing=True)
            await webhooks.emit(session, done.brand_id, "distribution.completed", *webhooks.distribution_completed(done))
    return len(locations)


async def redistribute_revision(session: AsyncSession, actor: Actor, post: Post, revision: PostRevision,
                                chunk_size: int) -> Distribution | None:
    """After a new revision of a post already sent: bring every location that has its proposal up to date."""
    location_ids = list(await session.scalars(
        select(Proposal.location_id).distinct().where(Proposal.post_id == post.id)))
    if not location_ids:
        return None
    return await distribute(session, actor, post, revision, Target(location_ids=location_ids), chunk_size)


# What a new revision of the post re-renders (a proposal not decided for good and not going out yet).
REVISABLE = ("pending", "approved", "auto_approved", "customized", "needs_translation")


async def _live_proposals(session: AsyncSession, post_id: str, revision: PostRevision, location_ids: list[str]
                          ) -> tuple[dict[str, tuple[Proposal, bool]], dict[str, tuple[Proposal, bool]]]:
    """Each location's live proposal of an earlier revision of the post (the latest), and of this revision
    (when this run re-localizes them: a translation approved since); each with whether it already started
    going out (then it stays as it is)."""
    # By revision id, so each (revision, location) is a probe of the proposals' unique index.
    revision_ids = select(PostRevision.id).where(PostRevision.post_id == post_id,
                                                 PostRevision.number <= revision.number)
    rows = list(await session.scalars(select(Proposal).where(
        Proposal.post_revision_id.in_(revision_ids), Proposal.location_id.in_(location_ids),
        Proposal.status != "superseded",
    ).order_by(Proposal.revision)))
    started = set(await session.scalars(select(Publication.proposal_id).where(
        Publication.proposal_id.in_([row.id for row in rows]),
        Publication.status.in_(("publishing", "published", "unconfirmed")),
    ))) if rows else set()
    earlier = {row.location_id: (row, row.id in started) for row in rows if row.revision < revision.number}
    current = {row.location_id: (row, row.id in started) for row in rows if row.revision == revision.number}
    return earlier, current


def _awaiting_translation(post: Post, campaign: Campaign, revision: PostRevision, distribution: Distribution,
                          location: Location, policy: str, chain: list[str], publish_at: datetime | None,
                          slot_values: dict[str, str], now: datetime) -> dict[str, Any]:
    """A proposal with no text yet: the location's language has no approved translation."""
    return {
        "id": new_id(), "brand_id": post.brand_id, "campaign_id": campaign.id, "post_id": post.id,
        "post_revision_id": revision.id, "revision": revision.number, "location_id": location.id,
        "distribution_id": distribution.id, "policy": policy, "status": "needs_translation",
        "decided_at": None, "decided_by": None, "hq_texts": {}, "texts": {}, "blocked": True,
        "findings": [finding(
            "translation.missing", "error", "all", location.locale, 0, 0,
            "This post has no approved {locale} translation yet: it comes to you once it is translated.",
            locale=location.locale)],
        "image_texts": {}, "slot_values": slot_values, "hq_changed": False, "hq_diff": {},
        "publish_at": publish_at, "deadline": campaign.decision_deadline, "created_at": now, "version": 1,
        "locale": None, "fallback": chain,
    }


def _translation_findings(location: Location, locale: str, translation: Any) -> list[dict[str, Any]]:
    """Warnings the location should see about the language its proposal is written in."""
    findings = []
    if locale != location.locale:
        findings.append(finding(
            "translation.fallback", "warning", "all", location.locale, 0, 0,
            "Written in {used}: there is no {locale} translation of this post yet.",
            used=locale, locale=location.locale))
    if translation is not None and translation.stale:
        findings.append(finding(
            "translation.stale", "warning", "all", location.locale, 0, 0,
            "HQ changed the post after its {locale} translation was made: the translation is being updated.",
            locale=locale))
    return findings


async def _rewrite(session: AsyncSession, proposal: Proposal, row: dict[str, Any], texts: dict[str, str],
                   blocked: bool) -> bool:
    """Write a proposal of the current revision again with new texts (a translation was approved), by the
    new-revision rules; compare-and-set on its version, so a decision made meanwhile is never lost."""
    values = {key: row[key] for key in ("hq_texts", "texts", "findings", "blocked", "locale", "fallback", "status",
                                        "decided_at", "decided_by", "hq_changed", "hq_diff", "distribution_id")}
    if proposal.status == "pending" and proposal.hq_changed:
        # A local wording still waiting for confirmation stays; the diff now shows HQ's latest change.
        values.update(_carried_over(SimpleNamespace(status="customized", texts=proposal.texts,
                                                    hq_texts=proposal.hq_texts, image_texts=proposal.image_texts),
                                    texts, blocked))
    elif proposal.status != "needs_translation":
        values.update(_carried_over(proposal, texts, blocked))
    result = await session.execute(
        update(Proposal).where(Proposal.id == proposal.id, Proposal.version == proposal.version)
        .values(version=Proposal.version + 1, **values).returning(Proposal.id))
    if result.scalar() is None:
        return False
    if values["status"] not in GOING_OUT:
        await publishing.cancel_scheduled(session, proposal.id)
    return True


def _carried_over(previous: Proposal, new_hq_texts: dict[str, str], blocked: bool) -> dict[str, Any]:
    """What a location's earlier decision gives its proposal of the new revision."""
    if previous.status == "customized":
        # The local wording stays; the location sees what HQ changed and confirms again.
        kept = {network: previous.texts.get(network, text) for network, text in new_hq_texts.items()}
        diff = {network: word_diff(previous.hq_texts.get(network, ""), text) for network, text in new_hq_texts.items()
                if previous.hq_texts.get(network) != text}
        return {"texts": kept, "status": "pending", "decided_at": None, "hq_changed": True, "hq_diff": diff,
                "image_texts": previous.image_texts}
    if previous.status in ("approved", "auto_approved") and not blocked:
        # Approved but not out yet: re-rendered with HQ's new text, still approved.
        return {"status": previous.status, "decided_at": previous.decided_at, "decided_by": previous.decided_by}
    return {}


async def unfinished_chunks(session: AsyncSession, older_than: datetime) -> list[str]:
    """Chunks the database says are not done, of distributions created before `older_than` (to re-queue)."""
    return list(await session.scalars(
        select(DistributionChunk.id).join(Distribution, Distribution.id == DistributionChunk.distribution_id)
        .where(DistributionChunk.status == "pending", Distribution.created_at < older_than)
    ))


async def get_distribution(session: AsyncSession, actor: Actor, distribution_id: str) -> Distribution:
    distribution = await session.scalar(select(Distribution).where(
        Distribution.id == distribution_id, Distribution.brand_id == actor.brand_id))
    if distribution is None or not actor.sees_whole_brand:
        raise NotFound("No distribution with id {id}.", id=distribution_id)
    return distribution


async def latest_distributions(session: AsyncSession, post_ids: list[str]) -> dict[str, Distribution]:
    """The newest distribution of each post (for the progress shown under it)."""
    if not post_ids:
        return {}
    rows = await session.scalars(
        select(Distribution).where(Distribution.post_id.in_(post_ids)).order_by(Distribution.created_at)
    )
    return {row.post_id: row for row in rows}


async def revision_of(session: AsyncSession, proposal: Proposal) -> PostRevision:
    """The post revision a proposal was made from."""
    return await session.get(PostRevision, proposal.post_revision_id)


def distribution_read(distribution: Distribution) -> dict[str, Any]:
    return {
        "id": distribution.id, "post_id": distribution.post_id, "status": distribution.status,
        "total": distribution.total, "done": distribution.done, "failed": distribution.failed,
        "started_at": distribution.started_at, "finished_at": distribution.finished_at,
    }


# ---------------------------------------------------------------- reading


async def get_proposal(session: AsyncSession, actor: Actor, proposal_id: str) -> Proposal:
    """A proposal of a location the actor may see; NotFound otherwise."""
    proposal = await session.scalar(
        select(Proposal).join(Location, Location.id == Proposal.location_id)
        .where(Proposal.id == proposal_id, visible_locations(actor))
    )
    if proposal is None:
        raise NotFound("No proposal with id {id}.", id=proposal_id)
    return proposal


def _proposals_query(actor: Actor, *, status: str | None, campaign_id: str | None, location_id: str | None,
                     network: str | None):
    """The proposals of the locations the actor may see, filtered (the count and the list share it)."""
    query = select(Proposal).join(Location, Location.id == Proposal.location_id).where(visible_locations(actor))
    # An earlier revision's proposal is history: shown only when asked for.
    query = query.where(Proposal.status == status) if status else query.where(Proposal.status != "superseded")
    if campaign_id:
        query = query.where(Proposal.campaign_id == campaign_id)
    if location_id:
        query = query.where(Proposal.location_id == location_id)
    if network:
        # A proposal goes to the networks it has a text for.
        query = query.where(Proposal.texts[network].as_string().is_not(None))
    return query


async def list_proposals(
    session: AsyncSession, actor: Actor, *, status: str | None = None, campaign_id: str | None = None,
    location_id: str | None = None, network: str | None = None, limit: int = 200, offset: int = 0,
    waiting_first: bool = False, only: Sequence[Any] = (),
) -> list[Proposal]:
    """Proposals of the locations the actor may see, soonest deadline first.

    With `waiting_first` (the inbox), the pending ones come first, soonest deadline first, then
    the decided ones, latest deadline first: a year of history does not push today's work down.
    `only`: the columns to load, for a list that shows a few of them (the others are not loaded).
    """
    query = _proposals_query(actor, status=status, campaign_id=campaign_id, location_id=location_id, network=network)
    if only:
        query = query.options(load_only(*only))
    if waiting_first:
        pending = Proposal.status == "pending"
        query = query.order_by(case((pending, 0), else_=1), Proposal.deadline.is_(None),
                               case((pending, Proposal.deadline)), case((~pending, Proposal.deadline)).desc(),
                               Proposal.created_at, Proposal.id)
    else:
        query = query.order_by(Proposal.deadline.is_(None), Proposal.deadline, Proposal.created_at, Proposal.id)
    return list(await session.scalars(query.limit(limit).offset(offset)))


async def count_proposals(
    session: AsyncSession, actor: Actor, *, status: str | None = None, campaign_id: str | None = None,
    location_id: str | None = None, network: str | None = None,
) -> int:
    """How many proposals list_proposals pages through with these filters."""
    query = _proposals_query(actor, status=status, campaign_id=campaign_id, location_id=location_id, network=network)
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


async def campaign_grid(session: AsyncSession, actor: Actor, campaign_id: str, *, page: int,
                        per_page: int) -> tuple[list[Any], int, int]:
    """A page of a campaign's proposals for its page, by status (in PROPOSAL_STATUSES' order) then location code,
    with only what the grid shows (location code and name, status, networks, decision time); their count, and
    the page shown (past the last one: the last one)."""
    live = (Proposal.campaign_id == campaign_id, Proposal.status != "superseded", visible_locations(actor))
    total = await session.scalar(select(func.count()).select_from(Proposal)
                                 .join(Location, Location.id == Proposal.location_id).where(*live)) or 0
    page = min(page, max(1, -(-total // per_page)))
    rows = list(await session.execute(
        select(Proposal.id, Proposal.status, Proposal.texts, Proposal.decided_at, Location.code, Location.name)
        .join(Location, Location.id == Proposal.location_id).where(*live)
        .order_by(case({status: index for index, status in enumerate(PROPOSAL_STATUSES)}, value=Proposal.status,
                       else_=len(PROPOSAL_STATUSES)), Location.code, Proposal.id)
        .limit(per_page).offset((page - 1) * per_page)))
    return rows, total, page


async def approval_matrix(
    session: AsyncSession, actor: Actor, campaign: Campaign, *, region: str | None = None, tag: str | None = None,
    country: str | None = None, status: str | None = None, limit: int = 50, offset: int = 0,
) -> dict[str, Any]:
    """Posts × locations of a campaign: each cell the location's current proposal (id and status).

    Rows are the locations the actor may see that match the filters (and, with `status`, have
    at least one proposal in that status), a page at a time, in code order.
    """
    posts = list(await session.scalars(select(Post).where(Post.campaign_id == campaign.id).order_by(Post.created_at)))
    rows_query = (select(Location).where(visible_locations(actor), Location.id.in_(
        select(Proposal.location_id).where(Proposal.campaign_id == campaign.id, Proposal.status != "superseded",
                                           *([Proposal.status == status] if status else [])))))
    if region:
        rows_query = rows_query.where(Location.region == region)
    if country:
        rows_query = rows_query.where(Location.country == country.upper())
    if tag:
        rows_query = rows_query.where(Location.id.in_(select(LocationTag.location_id).where(LocationTag.tag == tag)))
    total = await session.scalar(select(func.count()).select_from(rows_query.subquery()))
    locations = list(await session.scalars(rows_query.order_by(Location.code).limit(limit).offset(offset)))
    cells: dict[tuple[str, str], Proposal] = {}
    if locations:
        for proposal in await session.scalars(select(Proposal).where(
                Proposal.campaign_id == campaign.id, Proposal.status != "superseded",
                Proposal.location_id.in_([location.id for location in locations]))):
            cells[(proposal.location_id, proposal.post_id)] = proposal
    return {"posts": posts, "locations": locations, "cells": cells, "total": total}


async def history(session: AsyncSession, proposal_id: str) -> list[dict[str, Any]]:
    """The proposal's audit trail, oldest first."""
    events = await session.scalars(select(AuditEvent).where(
        AuditEvent.subject_type == "proposal", AuditEvent.subject_id == proposal_id).order_by(AuditEvent.created_at))
    return [{"action": event.action, "actor_id": event.actor_id, "at": event.created_at,
             "before": event.before, "after": event.after} for event in events]


async def mark_seen(session: AsyncSession, proposal: Proposal) -> None:
    """Note the first time the location opened the proposal (for the funnel)."""
    if proposal.seen_at is None:
        proposal.seen_at = utcnow()


# ---------------------------------------------------------------- deciding

DECIDABLE = ("pending",)


async def _transition(
    session: AsyncSession, proposal: Proposal, allowed: Sequence[str], values: dict[str, Any]
) -> None:
    """Move the proposal only if it is still in one of `allowed` (compare-and-set on status and version)."""
    result = await session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status.in_(allowed), Proposal.version == proposal.version)
        .values(version=Proposal.version + 1, **values)
        .returning(Proposal.id)
    )
    if result.scalar() is None:
        await session.refresh(proposal)
        raise Conflict("This proposal is already {status}: reload it to see its current state.", status=proposal.status)
    await session.refresh(proposal)


def _check_decider(actor: Actor) -> None:
    if actor.role == "viewer":
        raise Forbidden("Viewers cannot decide on proposals.")


async def approve(session: AsyncSession, actor: Actor, proposal: Proposal) -> Proposal:
    """Approve the HQ text as is; it goes out at its time."""
    _check_decider(actor)
    if proposal.blocked:
        raise Invalid("This proposal has blocking findings: customize the text to fix them before approving.",
                      errors=[item for item in proposal.findings if item["severity"] == "error"])
    before = proposal.status
    # Confirming a local wording kept across HQ's new revision approves that wording.
    status = "customized" if proposal.texts != proposal.hq_texts else "approved"
    await _transition(session, proposal, DECIDABLE, {"status": status, "decided_at": utcnow(),
                                                     "decided_by": actor.user.id, "hq_changed": False})
    await publishing.schedule_publications(session, [proposal.id])
    await webhooks.emit(session, proposal.brand_id, "proposal.decided", *webhooks.proposal_decided(proposal))
    record(session, brand_id=proposal.brand_id, actor_id=actor.user.id, action=f"proposal.{status}",
           subject_type="proposal", subject_id=proposal.id, before={"status": before}, after={"status": status})
    return proposal


BULK_LIMIT = 1000


async def bulk_approve(session: AsyncSession, actor: Actor, proposal_ids: list[str]) -> dict[str, Any]:
    """Approve many proposals at once (one statement), as they are; says why each other one was skipped."""
    _check_decider(actor)
    ids = list(dict.fromkeys(proposal_ids))
    if not ids:
        raise Invalid("Send the ids of the proposals to approve.", errors=[{"field": "ids", "message": "empty"}])
    if len(ids) > BULK_LIMIT:
        raise Invalid("Approve at most {limit} proposals at once: split the selection.", limit=BULK_LIMIT,
                      errors=[{"field": "ids", "message": f"at most {BULK_LIMIT}"}])
    now = utcnow()
    visible = select(Location.id).where(visible_locations(actor))
    approved = list(await session.scalars(
        update(Proposal)
        .where(Proposal.id.in_(ids), Proposal.status == "pending", Proposal.blocked.is_(False),
               Proposal.hq_changed.is_(False), Proposal.location_id.in_(visible))
        .values(status="approved", decided_at=now, decided_by=actor.user.id, version=Proposal.version + 1)
        .returning(Proposal.id)
    ))
    await publishing.schedule_publications(session, approved)
    await _emit_decisions(session, approved)
    session.add_all(
        AuditEvent(brand_id=actor.brand_id, actor_id=actor.user.id, action="proposal.approved", subject_type="proposal",
                   subject_id=proposal_id, before={"status": "pending"}, after={"status": "approved", "bulk": True})
        for proposal_id in approved
    )
    done = set(approved)
    others = {row.id: row for row in (await session.execute(
        select(Proposal.id, Proposal.location_id, Proposal.status, Proposal.blocked, Proposal.hq_changed)
        .join(Location, Location.id == Proposal.location_id)
        .where(Proposal.id.in_([i for i in ids if i not in done]), visible_locations(actor))
    )).all()}
    skipped = []
    for proposal_id in ids:
        if proposal_id in done:
            continue
        row = others.get(proposal_id)
        if row is None:
            reason = "not_found"
        elif row.status != "pending":
            reason = f"already_{row.status}"
        elif row.hq_changed:
            reason = "hq_changed"  # HQ changed the post after a local edit: the location confirms one by one
        else:
            reason = "blocked"
        # The location too, when it is one of the actor's: the inbox names it.
        skipped.append({"id": proposal_id, "reason": reason, **({"location_id": row.location_id} if row else {})})
    return {"approved": approved, "skipped": skipped}


async def customize(session: AsyncSession, actor: Actor, proposal: Proposal, texts: dict[str, str],
                    image_texts: dict[str, str] | None = None, slots: dict[str, str] | None = None) -> Proposal:
    """Approve with the location's own wording — any text for a "free" post, only the declared slots of
    a "slots" post — and image texts in the zones HQ left editable; refused (422 with findings) when it
    breaks a rule."""
    _check_decider(actor)
    revision = await revision_of(session, proposal)
    if revision.editable == "locked":
        raise Forbidden("HQ locked this post: approve or reject it as it is.")
    if revision.editable == "slots" and texts:
        raise Forbidden("HQ lets you change only these parts of this post: {slots}. Send them as 'slots'.",
                        slots=", ".join(revision.slots))
    if revision.editable == "free" and slots:
        raise Invalid("This post has no slots: send your wording as 'texts'.",
                      errors=[{"field": "slots", "message": "the post has no slots"}])
    unknown = [network for network in texts if network not in proposal.texts]
    if unknown:
        raise Invalid("This proposal is not for {networks}: customize only {allowed}.", networks=", ".join(unknown),
                      allowed=", ".join(proposal.texts), errors=[{"field": f"texts.{n}", "message": "network not in this proposal"} for n in unknown])
    if not texts and not image_texts and not slots:
        raise Invalid("Send at least one network's text to customize.", errors=[{"field": "texts", "message": "empty"}])
    location = await session.get(Location, proposal.location_id)
    rules = await lint_rules(session, proposal.brand_id)
    values = location_values(location)
    new_texts = dict(proposal.texts)
    new_slot_values = dict(proposal.slot_values or {})
    findings: list[dict[str, Any]] = []
    if slots:
        new_slot_values.update(_checked_slots(revision, slots))
        new_texts, findings = localize(revision, location, rules, new_slot_values)
    for network, text in texts.items():
        filled, missing = fill_variables(with_signature(text, network, rules.tone), values, network, location.locale)
        new_texts[network] = filled
        findings.extend(missing)
    if not slots:
        for network, text in new_texts.items():
            findings.extend(lint_text(text, network, location.locale, rules))
    new_image_texts = dict(proposal.image_texts or {})
    if image_texts:
        new_image_texts.update(await _checked_image_texts(session, proposal, revision, location, image_texts, rules))
    if has_errors(findings):
        raise Invalid("Your text breaks {n} rule(s): fix the findings and save again.",
                      n=sum(1 for item in findings if item["severity"] == "error"), errors=findings)
    if new_image_texts != (proposal.image_texts or {}):
        from hub.proposals.models import ProposalImage

        # New image texts: the old renders and their findings no longer describe this proposal.
        await session.execute(delete(ProposalImage).where(ProposalImage.proposal_id == proposal.id))
    before = {"status": proposal.status, "texts": proposal.texts}
    await _transition(session, proposal, DECIDABLE, {
        "status": "customized", "texts": new_texts, "findings": findings, "image_texts": new_image_texts,
        "slot_values": new_slot_values,
        "blocked": await _image_blocked(session, proposal.id) if new_image_texts == proposal.image_texts else False,
        "decided_at": utcnow(), "decided_by": actor.user.id,
    })
    await publishing.schedule_publications(session, [proposal.id])
    await webhooks.emit(session, proposal.brand_id, "proposal.decided", *webhooks.proposal_decided(proposal))
    record(session, brand_id=proposal.brand_id, actor_id=actor.user.id, action="proposal.customized",
           subject_type="proposal", subject_id=proposal.id, before=before, after={"status": "customized", "texts": new_texts})
    return proposal


async def reject(session: AsyncSession, actor: Actor, proposal: Proposal, reason: str, comment: str | None) -> Proposal:
    """Refuse the proposal with a reason; cancels what had not started going out."""
    _check_decider(actor)
    if reason not in REJECT_REASONS:
        raise Invalid("Unknown reason '{reason}': use one of {reasons}.", reason=reason, reasons=", ".join(REJECT_REASONS),
                      errors=[{"field": "reason", "message": f"one of {', '.join(REJECT_REASONS)}"}])
    if comment and len(comment) > 2000:
        raise Invalid("The comment is longer than 2000 characters: shorten it.",
                      errors=[{"field": "comment", "message": "at most 2000 characters"}])
    before = proposal.status
    # Until publish time a location may still cancel what was approved, automatically or not.
    await publishing.ensure_not_started(session, proposal.id)
    await _transition(session, proposal, ("pending", *GOING_OUT), {
        "status": "rejected", "reject_reason": reason, "reject_comment": comment or None,
        "decided_at": utcnow(), "decided_by": actor.user.id,
    })
    await publishing.cancel_scheduled(session, proposal.id)
    await webhooks.emit(session, proposal.brand_id, "proposal.decided", *webhooks.proposal_decided(proposal))
    record(session, brand_id=proposal.brand_id, actor_id=actor.user.id, action="proposal.rejected",
           subject_type="proposal", subject_id=proposal.id, before={"status": before},
           after={"status": "rejected", "reason": reason, "comment": comment})
    return proposal


async def _emit_decisions(session: AsyncSession, proposal_ids: list[str]) -> None:
    """The proposal.decided webhook event of each of these proposals (one insert per brand)."""
    if not proposal_ids:
        return
    by_brand: dict[str, list[Proposal]] = {}
    for proposal in await session.scalars(select(Proposal).where(Proposal.id.in_(proposal_ids))
                                          .execution_options(populate_existing=True)):
        by_brand.setdefault(proposal.brand_id, []).append(proposal)
    for brand_id, rows in by_brand.items():
        await webhooks.emit_many(session, brand_id, "proposal.decided", [webhooks.proposal_decided(p) for p in rows])


async def apply_deadlines(session: AsyncSession, now: datetime) -> dict[str, int]:
    """At each pending proposal's deadline: expire it (approval_required, or blocked) or approve it (opt_out)."""
    approved = list(await session.scalars(
        update(Proposal)
        .where(Proposal.status == "pending", Proposal.deadline <= now, Proposal.policy == "opt_out",
               Proposal.blocked.is_(False))
        .values(status="auto_approved", decided_at=now, version=Proposal.version + 1)
        .returning(Proposal.id)
    ))
    expired = list(await session.scalars(
        update(Proposal)
        .where(Proposal.status == "pending", Proposal.deadline <= now)
        .values(status="expired", decided_at=now, version=Proposal.version + 1)
        .returning(Proposal.id)
    ))
    await publishing.schedule_publications(session, approved)
    await _emit_decisions(session, approved + expired)
    return {"auto_approved": len(approved), "expired": len(expired)}


async def counts_by_status(session: AsyncSession, campaign_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(Proposal.status, func.count()).where(Proposal.campaign_id == campaign_id).group_by(Proposal.status)
    )
    return {status: count for status, count in rows}


def _checked_slots(revision: PostRevision, slots: dict[str, str]) -> dict[str, str]:
    """The location's slot values, each declared by HQ and within its length."""
    errors = []
    for name, value in slots.items():
        spec = (revision.slots or {}).get(name)
        if spec is None:
            errors.append({"field": f"slots.{name}", "message": f"no slot named {name}: use {', '.join(revision.slots)}"})
        elif len(value) > spec["max_length"]:
            errors.append({"field": f"slots.{name}",
                           "message": f"at most {spec['max_length']} characters ({len(value)} written)"})
    if errors:
        raise Invalid("Some slots are not right: fix each one listed.", errors=errors)
    return {name: value.strip() for name, value in slots.items()}


async def _checked_image_texts(session: AsyncSession, proposal: Proposal, revision: PostRevision, location: Location,
                               image_texts: dict[str, str], rules: LintRules) -> dict[str, str]:
    """The location's image texts, if the post has an image and HQ left those zones editable."""
    from hub.brandkit.service import get_kit
    from hub.linting.tone import lint_tone

    if not revision.image:
        raise Invalid("This post has no image: there is no image text to change.",
                      errors=[{"field": "image_texts", "message": "the post has no image"}])
    kit = await get_kit(session, proposal.brand_id)
    locked = [zone for zone in image_texts if zone not in kit.editable_zones]
    if locked:
        raise Forbidden("HQ locked the {zones} of the image: change only {editable}.", zones=", ".join(locked),
                        editable=", ".join(kit.editable_zones) or "—")
    values = location_values(location)
    network = next(iter(proposal.texts))
    filled = {}
    findings: list[dict[str, Any]] = []
    for zone, text in image_texts.items():
        if len(text) > 300:
            raise Invalid("Image texts are at most 300 characters: shorten the {zone}.", zone=zone,
                          errors=[{"field": f"image_texts.{zone}", "message": "at most 300 characters"}])
        filled[zone], missing = fill_variables(text, values, network, location.locale)
        findings.extend(missing)
        findings.extend(lint_tone(filled[zone], network, location.locale, rules.tone))
    if has_errors(findings):
        raise Invalid("Your text breaks {n} rule(s): fix the findings and save again.",
                      n=sum(1 for item in findings if item["severity"] == "error"), errors=findings)
    return filled


async def _image_blocked(session: AsyncSession, proposal_id: str) -> bool:
    """Whether a rendered image of the proposal has a blocking finding (the text's are checked apart)."""
    from hub.media.service import image_findings

    found = (await image_findings(session, [proposal_id]))[proposal_id]
    return has_errors(found)


def proposal_read(proposal: Proposal, language: str, history_rows: list[dict[str, Any]] | None = None,
                  images: dict[str, str] | None = None, extra_findings: list[dict[str, Any]] | None = None
                  ) -> dict[str, Any]:
    """A proposal as the API shows it, findings in the reader's language."""
    return {
        "id": proposal.id, "status": proposal.status, "location_id": proposal.location_id, "post_id": proposal.post_id,
        "campaign_id": proposal.campaign_id, "revision": proposal.revision, "policy": proposal.policy,
        "publish_at": proposal.publish_at, "deadline": proposal.deadline, "texts": proposal.texts,
        "hq_texts": proposal.hq_texts, "images": images or {},
        "findings": [finding_read(item, language) for item in [*proposal.findings, *(extra_findings or [])]],
        "blocked": proposal.blocked, "reject_reason": proposal.reject_reason, "reject_comment": proposal.reject_comment,
        "hq_changed": proposal.hq_changed, "hq_diff": proposal.hq_diff, "slot_values": proposal.slot_values,
        "decided_at": proposal.decided_at, "history": history_rows or [],
    }
