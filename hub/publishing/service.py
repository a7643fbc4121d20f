"""Publishing: scheduling approved proposals on each account, sending each exactly once."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.accounts.security import settings_token_cipher
from hub.config import Settings, parse_duration
from hub.db import Database, insert_ignoring_conflicts, insert_many_ignoring_conflicts, new_id, utcnow
from hub.audit.service import record
from hub.errors import Conflict, Invalid
from hub.brandkit.service import lint_rules
from hub.linting.service import has_errors, lint_text
from hub.locations.models import Location
from hub.locations.service import visible_locations
from hub.proposals.localize import raw_variables
from hub.campaigns.models import Post, PostRevision
from hub.proposals.models import GOING_OUT, Proposal, ProposalImage
from hub.publishing.connectors import CONNECTORS, get_connector
from hub.publishing.connectors.base import (
    AccountBroken,
    OutcomeUnknown,
    OutgoingPost,
    PublishRefused,
    RateLimited,
    TransientBeforeSend,
)
from hub.publishing.models import NETWORKS, Cooldown, Publication, SandboxPost, SocialAccount
from hub.webhooks import service as webhooks

log = logging.getLogger("pieuvre.publishing")



async def connect_account(
    session: AsyncSession, settings: Settings, location: Location, *, network: str, external_id: str,
    access_token: str, refresh_token: str | None = None, expires_at: datetime | None = None,
    connector: str | None = None, display_name: str = "", actor: Actor | None = None,
) -> tuple[SocialAccount, bool]:
    """Attach an account to a location with tokens an admin already holds (stored encrypted), or
    reconnect it with new tokens when the location has it already; (account, created)."""
    if network not in NETWORKS:
        raise Invalid("Unknown network '{network}': use one of {networks}.", network=network, networks=", ".join(NETWORKS),
                      errors=[{"field": "network", "message": f"one of {', '.join(NETWORKS)}"}])
    connector = connector or network
    if connector not in CONNECTORS:
        raise Invalid("No connector named '{name}' yet: available are {names}.", name=connector,
                      names=", ".join(CONNECTORS), errors=[{"field": "connector", "message": "unknown connector"}])
    if connector != "sandbox" and not access_token.strip():
        raise Invalid("A {network} account needs the access_token the network gave for it (or connect it through "
                      "the location's accounts page).", network=network,
                      errors=[{"field": "access_token", "message": "required"}])
    cipher = settings_token_cipher(settings)
    values = {
        "connector": connector, "display_name": display_name or external_id,
        "access_token_encrypted": cipher.encrypt(access_token.encode()).decode() if access_token else "",
        "refresh_token_encrypted": cipher.encrypt(refresh_token.encode()).decode() if refresh_token else "",
        "expires_at": expires_at, "status": "active", "status_detail": "", "broken_notified_at": None,
    }
    account = await session.scalar(select(SocialAccount).where(
        SocialAccount.location_id == location.id, SocialAccount.network == network,
        SocialAccount.external_id == external_id,
    ))
    created = account is None
    before = None if created else {"status": account.status, "status_detail": account.status_detail}
    if created:
        account = SocialAccount(brand_id=location.brand_id, location_id=location.id, network=network,
                                external_id=external_id, **values)
        session.add(account)
    else:
        for name, value in values.items():
            setattr(account, name, value)
    await session.flush()
    record(session, brand_id=location.brand_id, actor_id=actor.user.id if actor else None,
           action="account.connected" if created else "account.reconnected", subject_type="social_account",
           subject_id=account.id, before=before,
           after={"network": network, "external_id": external_id, "location_id": location.id, "connector": connector})
    return account, created


def account_read(account: SocialAccount) -> dict[str, Any]:
    """An account as the API shows it: never its tokens."""
    return {
        "id": account.id, "location_id": account.location_id, "network": account.network,
        "connector": account.connector, "external_id": account.external_id, "display_name": account.display_name,
        "status": account.status, "status_detail": account.status_detail, "expires_at": account.expires_at,
        "created_at": account.created_at,
    }


async def schedule_publications(session: AsyncSession, proposal_ids: list[str]) -> int:
    """One scheduled publication per (proposal going out, active account on one of its networks); idempotent."""
    if not proposal_ids:
        return 0
    rows = await session.execute(
        select(Proposal.id, Proposal.brand_id, Proposal.campaign_id, Proposal.location_id, Proposal.texts,
               Proposal.publish_at, SocialAccount.id, SocialAccount.network)
        .join(SocialAccount, SocialAccount.location_id == Proposal.location_id)
        .where(Proposal.id.in_(proposal_ids), Proposal.status.in_(GOING_OUT), SocialAccount.status == "active")
    )
    now = utcnow()
    values = [
        {"id": new_id(), "brand_id": brand_id, "campaign_id": campaign_id, "proposal_id": proposal_id,
         "social_account_id": account_id, "location_id": location_id, "network": network, "status": "scheduled",
         "attempt": 0, "due_at": publish_at or now, "created_at": now}
        for proposal_id, brand_id, campaign_id, location_id, texts, publish_at, account_id, network in rows
        if network in texts
    ]
    if not values:
        return 0
    # Executed with the rows, as the fan-out inserts its proposals: compiled once, not for each chunk's rows.
    await session.execute(insert_many_ignoring_conflicts(session, Publication.__table__,
                                                         ["proposal_id", "social_account_id"]), values)
    return len(values)


async def ensure_not_started(session: AsyncSession, proposal_id: str) -> None:
    """Conflict when any of the proposal's publications has started going out."""
    started = await session.scalar(select(Publication.id).where(
        Publication.proposal_id == proposal_id,
        Publication.status.in_(("publishing", "published", "unconfirmed")),
    ).limit(1))
    if started:
        raise Conflict("This proposal is already being published or was published: it can no longer be cancelled.")


async def cancel_scheduled(session: AsyncSession, proposal_id: str) -> None:
    """Cancel the proposal's publications that have not started going out."""
    await session.execute(
        update(Publication).where(Publication.proposal_id == proposal_id, Publication.status == "scheduled")
        .values(status="cancelled")
    )


def _cooling(now: datetime):
    """Publications whose network, or account, asked us to wait."""
    return select(Cooldown.key).where(Cooldown.until > now, or_(
        Cooldown.key == literal("network:") + Publication.network,
        Cooldown.key == literal("account:") + Publication.social_account_id,
    )).exists()


# A publish job not started this long after it was queued is presumed lost (its worker killed,
# Redis flushed): with dispatch every second, its new job exists within two minutes.
REQUEUE_AFTER = timedelta(seconds=90)


async def queue_due(session: AsyncSession, now: datetime, limit: int = 2000) -> list[tuple[str, datetime]]:
    """Mark the scheduled publications whose time has come as queued now, oldest first, except those
    whose network or account is cooling down or whose job was queued recently; their (id, queued_at).

    The caller enqueues one job per pair, with `queued_at` in the job id: a publication whose job
    was lost (worker killed) gets a new job after REQUEUE_AFTER; a job that runs twice is harmless,
    since the claim lets only one through."""
    ids = list(await session.scalars(
        select(Publication.id)
        .where(Publication.status == "scheduled", Publication.due_at <= now, ~_cooling(now),
               or_(Publication.queued_at.is_(None), Publication.queued_at < now - REQUEUE_AFTER))
        .order_by(Publication.due_at)
        .limit(limit)
    ))
    if ids:
        await session.execute(update(Publication).where(Publication.id.in_(ids)).values(queued_at=now))
    return [(publication_id, now) for publication_id in ids]


async def proposals_needing_images(session: AsyncSession, before: datetime, limit: int = 2000) -> list[str]:
    """Proposals with a scheduled publication due before `before` whose post has an image not rendered yet."""
    rows = await session.scalars(
        select(Proposal.id).distinct()
        .join(Publication, Publication.proposal_id == Proposal.id)
        .join(PostRevision, PostRevision.id == Proposal.post_revision_id)
        .where(Publication.status == "scheduled", Publication.due_at <= before, PostRevision.image != {},
               ~select(ProposalImage.id).where(ProposalImage.proposal_id == Proposal.id).exists())
        .limit(limit)
    )
    return list(rows)


async def claim(session: AsyncSession, publication_ids: list[str], now: datetime) -> list[Publication]:
    """Atomically take those of these publications that are due (scheduled -> publishing, attempt + 1),
    in one statement; not those another worker has, or whose network or account is cooling down."""
    return list(await session.scalars(
        update(Publication)
        .where(Publication.id.in_(publication_ids), Publication.status == "scheduled", Publication.due_at <= now,
               ~_cooling(now))
        .values(status="publishing", attempt=Publication.attempt + 1, claimed_at=now)
        .returning(Publication),
        execution_options={"synchronize_session": False},
    ))


async def cool_down(session: AsyncSession, key: str, until: datetime, reason: str) -> None:
    """Hold everything behind `key` ("network:x", "account:id") until `until` (a later wait wins)."""
    existing = await session.get(Cooldown, key, populate_existing=True)
    if existing is None:
        await session.execute(insert_ignoring_conflicts(session, Cooldown, [{"key": key, "until": until,
                                                                             "reason": reason}], ["key"]))
    await session.execute(update(Cooldown).where(Cooldown.key == key, Cooldown.until < until)
                          .values(until=until, reason=reason))


async def _image(session: AsyncSession, settings: Settings, proposal: Proposal, revision: PostRevision,
                 network: str) -> tuple[str | None, bytes | None]:
    """The proposal's image on `network` (rendered now if nobody viewed it yet): a signed public
    link for networks that fetch by URL, and the bytes for those that take an upload."""
    from hub.media.service import proposal_image, public_render_url
    from hub.media.storage import get_storage

    if not revision.image:
        return None, None
    data, key = await proposal_image(session, get_storage(settings), proposal, network)
    return public_render_url(settings, key), data


async def _video(session: AsyncSession, settings: Settings, revision: PostRevision) -> tuple[bytes | None, str]:
    """The post's video and its content type (YouTube), or (None, "")."""
    from hub.media.models import Media
    from hub.media.storage import get_storage

    media = await session.get(Media, revision.video_id) if revision.video_id else None
    if media is None:
        return None, ""
    return await get_storage(settings).get(media.storage_key), media.content_type


def _google_time(value: str) -> tuple[dict[str, int], dict[str, int]]:
    moment = datetime.fromisoformat(value)
    return ({"year": moment.year, "month": moment.month, "day": moment.day},
            {"hours": moment.hour, "minutes": moment.minute})


def connector_options(network: str, options: dict[str, Any]) -> dict[str, Any]:
    """A post's choices for `network` in the shape the network's API takes."""
    if network != "google_business" or not options:
        return dict(options or {})
    result: dict[str, Any] = {"topic_type": options.get("topic_type", "STANDARD")}
    if options.get("call_to_action"):
        action = options["call_to_action"]
        result["call_to_action"] = {"actionType": action["action_type"], **({"url": action["url"]} if action.get("url") else {})}
    if options.get("event"):
        event = options["event"]
        (start_date, start_time), (end_date, end_time) = _google_time(event["start"]), _google_time(event["end"])
        result["event"] = {"title": event["title"], "schedule": {"startDate": start_date, "startTime": start_time,
                                                                 "endDate": end_date, "endTime": end_time}}
    if options.get("offer"):
        offer = options["offer"]
        result["offer"] = {"couponCode": offer.get("coupon_code", ""), "redeemOnlineUrl": offer.get("redeem_online_url", ""),
                           "termsConditions": offer.get("terms_conditions", "")}
    return result


def _progress_saver(database: Database, publication_id: str):
    """Saves a publication's progress while it is being published (only while this worker holds it)."""
    async def save(progress: dict[str, Any]) -> None:
        async with database.session() as session:
            await session.execute(update(Publication).where(Publication.id == publication_id,
                                                            Publication.status == "publishing")
                                  .values(progress=progress))
    return save


async def _finish(database: Database, publication_id: str, **values: Any) -> None:
    """Record how a send ended, only if this worker still holds the publication.

    A post that went out is recorded even if the sweeper took the publication meanwhile
    (`unconfirmed`): it is on the network, and the reconcile would find it anyway."""
    held = ("publishing", "unconfirmed") if values.get("status") == "published" else ("publishing",)
    async with database.session() as session:
        publication = await session.scalar(
            update(Publication).where(Publication.id == publication_id, Publication.status.in_(held))
            .values(**values).returning(Publication), execution_options={"synchronize_session": False})
        if publication is None:
            log.warning("publishing.claim_lost publication_id=%s outcome=%s", publication_id, values.get("status"))
            return
        if values.get("status") in ("published", "failed"):
            await _emit_settled(session, publication)


async def _heartbeat(database: Database, settings: Settings, publication_id: str) -> None:
    """While a send runs, keep the claim fresh so the sweeper never takes a slow but live send
    (a large YouTube upload) for a dead worker's."""
    every = parse_duration(settings.publish_stuck_after).total_seconds() / 3
    while True:
        await asyncio.sleep(every)
        async with database.session() as session:
            await session.execute(update(Publication).where(Publication.id == publication_id,
                                                            Publication.status == "publishing")
                                  .values(claimed_at=utcnow()))


async def _emit_settled(session: AsyncSession, publication: Publication) -> None:
    """The publication.published or publication.failed webhook event."""
    await webhooks.emit(session, publication.brand_id, *webhooks.publication_settled(publication))


@dataclass
class _Ready:
    """A claimed publication that passed its last checks, and what goes out."""

    publication_id: str
    network: str
    attempt: int
    account: SocialAccount
    outgoing: OutgoingPost


@dataclass(eq=False)
class _Waiting:
    """A publication waiting in its lane for a slot, and who waits for its outcome."""

    publication_id: str
    now: datetime | None
    database: Database
    settings: Settings
    outcome: asyncio.Future[str]


class _Lane:
    """This worker process's way onto one network: at most the network's cap of publications in
    flight (PIEUVRE_NETWORK_CONCURRENCY). A publication waiting for a slot is still "scheduled", so
    a cancellation still wins; whenever slots free up, as many waiting publications are claimed
    together, in one transaction (one by one, the database work cost more than the sending)."""

    def __init__(self, cap: int) -> None:
        self.free = cap
        self.waiting: list[_Waiting] = []
        self.changed = asyncio.Event()
        self.runner: asyncio.Task[None] | None = None
        self.sending: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    async def publish(self, database: Database, settings: Settings, publication_id: str, now: datetime | None) -> str:
        waiting = _Waiting(publication_id, now, database, settings, asyncio.get_running_loop().create_future())
        self.waiting.append(waiting)
        self.changed.set()
        if self.runner is None or self.runner.done():
            self.runner = asyncio.create_task(self._run())
        return await waiting.outcome

    async def _run(self) -> None:
        while True:
            self.waiting = [waiting for waiting in self.waiting if not waiting.outcome.done()]  # callers gone
            if not self.waiting:
                return
            if not self.free:
                self.changed.clear()
                await self.changed.wait()
                continue
            # The publications of the same moment (a job's batch, sends ending together) join this claim.
            await asyncio.sleep(0)
            first = self.waiting[0]
            batch = [waiting for waiting in self.waiting if waiting.now == first.now
                     and waiting.database is first.database and waiting.settings is first.settings][:self.free]
            taken = set(map(id, batch))
            self.waiting = [waiting for waiting in self.waiting if id(waiting) not in taken]
            self.free -= len(batch)
            try:
                prepared = await _claim_and_check(first.database, first.settings,
                                                  [waiting.publication_id for waiting in batch], first.now)
            except Exception as error:
                self.free += len(batch)
                for waiting in batch:
                    if not waiting.outcome.done():
                        waiting.outcome.set_exception(error)
                continue
            sent: set[str] = set()
            for waiting in batch:
                outcome = prepared[waiting.publication_id]
                if waiting.publication_id in sent:
                    # The same publication twice in one claim (a job redelivered while the first waited):
                    # one claim, so one send; the other is not ours, as for a second worker.
                    self._done(waiting, "skipped")
                elif isinstance(outcome, str):
                    self._done(waiting, outcome)
                else:
                    sent.add(waiting.publication_id)
                    sending = asyncio.create_task(self._send(waiting, outcome))
                    self.sending.add(sending)
                    sending.add_done_callback(self.sending.discard)

    async def _send(self, waiting: _Waiting, ready: _Ready) -> None:
        try:
            status = await _send(waiting.database, waiting.settings, ready, waiting.now)
        except Exception as error:  # the slot is given back whatever happened
            self._done(waiting, error)
        else:
            self._done(waiting, status)

    def _done(self, waiting: _Waiting, outcome: str | Exception) -> None:
        self.free += 1
        self.changed.set()
        if not waiting.outcome.done():
            if isinstance(outcome, Exception):
                waiting.outcome.set_exception(outcome)
            else:
                waiting.outcome.set_result(outcome)


_lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Lane]] = weakref.WeakKeyDictionary()


def _lane(settings: Settings, network: str) -> _Lane:
    """This worker process's lane onto `network`."""
    lanes = _lanes.setdefault(asyncio.get_running_loop(), {})
    if network not in lanes:
        lanes[network] = _Lane(settings.network_cap(network))
    return lanes[network]


async def publish(database: Database, settings: Settings, publication_id: str, now: datetime | None = None) -> str:
    """Send one due publication exactly once; returns its new status (or 'skipped' when not ours)."""
    [status] = await publish_many(database, settings, [publication_id], now)
    return status


async def publish_many(database: Database, settings: Settings, publication_ids: list[str],
                       now: datetime | None = None) -> list[str]:
    """Send due publications, each exactly once, each through its network's lane; their new statuses
    in the same order ('skipped' for those that are not ours)."""
    async with database.session() as session:
        networks = dict((await session.execute(select(Publication.id, Publication.network)
                                               .where(Publication.id.in_(publication_ids)))).all())

    async def one(publication_id: str) -> str:
        if publication_id not in networks:
            return "skipped"
        return await _lane(settings, networks[publication_id]).publish(database, settings, publication_id, now)

    return list(await asyncio.gather(*(one(publication_id) for publication_id in publication_ids)))


async def _claim_and_check(database: Database, settings: Settings, publication_ids: list[str],
                           now: datetime | None) -> dict[str, str | _Ready]:
    """Claim these publications together and make each one's last checks; for each, what goes out
    (`_Ready`) or its status when nothing does."""
    now = now or utcnow()
    outcomes: dict[str, str | _Ready] = {}
    async with database.session() as session:
        await _hold_posts(session, publication_ids)
        claimed = await claim(session, publication_ids, now)
        others = [publication_id for publication_id in publication_ids
                  if publication_id not in {publication.id for publication in claimed}]
        if others:
            # Not ours, not due, or cooling down: if it still waits, the next dispatch queues it again
            # (rather than after REQUEUE_AFTER).
            await session.execute(update(Publication).where(Publication.id.in_(others),
                                                            Publication.status == "scheduled")
                                  .values(queued_at=None))
            outcomes.update(dict.fromkeys(others, "skipped"))
        # What the checks read, for all of them in one query.
        context = {row[0]: row[1:] for row in await session.execute(
            select(Publication.id, Post.status, Proposal, PostRevision, SocialAccount, Location)
            .select_from(Publication)
            .outerjoin(Proposal, Proposal.id == Publication.proposal_id)
            .outerjoin(Post, Post.id == Proposal.post_id)
            .outerjoin(PostRevision, PostRevision.id == Proposal.post_revision_id)
            .outerjoin(SocialAccount, SocialAccount.id == Publication.social_account_id)
            .outerjoin(Location, Location.id == Publication.location_id)
            .where(Publication.id.in_([publication.id for publication in claimed])))} if claimed else {}
        rules: dict[str, Any] = {}
        for publication in claimed:
            outcomes[publication.id] = await _check(session, database, settings, publication,
                                                    *context[publication.id], rules)
    return outcomes


async def _hold_posts(session: AsyncSession, publication_ids: list[str]) -> None:
    """Hold the posts of these publications (FOR SHARE) until the claim commits, taken before the
    publications themselves, in the order HQ's withdrawal takes them (the post, then its publications).

    A withdrawal in progress holds its post: the claim waits for it to commit, then reads the post
    withdrawn. A claim in progress makes the withdrawal wait: it then finds the publications
    claimed and counts them as gone out. Without it, a claim reading the post just before a
    withdrawal committed would send publications the withdrawal cancels. (A fan-out chunk holds its
    post the same way: hub.proposals.service.fan_out_chunk. SQLite takes its one write lock instead.)
    """
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            select(Post.id).where(Post.id.in_(
                select(Proposal.post_id).join(Publication, Publication.proposal_id == Proposal.id)
                .where(Publication.id.in_(publication_ids))))
            .order_by(Post.id).with_for_update(read=True))


async def _check(session: AsyncSession, database: Database, settings: Settings, publication: Publication,
                 post_status: str | None, proposal: Proposal | None, revision: PostRevision | None,
                 account: SocialAccount | None, location: Location, rules: dict[str, Any]) -> str | _Ready:
    """A claimed publication's last checks (`rules`: the brands' rules read so far); what goes out, or
    the status it ends with."""
    # Checked again under the claim, from the database: a withdrawal of the post (even one that came while
    # its fan-out ran, before this proposal existed), a rejection or an edit made before now wins.
    text = (proposal.texts or {}).get(publication.network) if proposal else None
    if proposal is None or post_status == "withdrawn" or proposal.status not in GOING_OUT or text is None:
        publication.status = "cancelled"
        return "cancelled"
    # The last check: the brand's rules may have changed since the proposal was decided.
    if publication.brand_id not in rules:
        rules[publication.brand_id] = await lint_rules(session, publication.brand_id)
    if raw_variables(text) or proposal.blocked or has_errors(lint_text(text, publication.network, location.locale,
                                                                       rules[publication.brand_id])):
        publication.status = "failed"
        publication.error = "The text breaks a rule (an unfilled {variable}, a network limit or the brand's tone): customize it."
        await session.flush()
        await _emit_settled(session, publication)
        return "failed"
    if account is None or account.status != "active":
        publication.status, publication.error = "failed", "The account is not connected any more: reconnect it, then reschedule."
        await session.flush()
        await _emit_settled(session, publication)
        return "failed"
    image_url, image = await _image(session, settings, proposal, revision, publication.network)
    video, video_type = await _video(session, settings, revision) if publication.network == "youtube" else (None, "")
    if proposal.blocked:
        publication.status = "failed"
        publication.error = "The image breaks a rule (its text does not fit, or cannot be read): fix it, then reschedule."
        await session.flush()
        await _emit_settled(session, publication)
        return "failed"
    outgoing = OutgoingPost(publication_id=publication.id, network=publication.network, text=text,
                            image_url=image_url, image=image, video=video, video_type=video_type or "video/mp4",
                            locale=location.locale,
                            options=connector_options(publication.network,
                                                      (revision.options or {}).get(publication.network, {})),
                            progress=dict(publication.progress or {}),
                            save_progress=_progress_saver(database, publication.id))
    return _Ready(publication.id, publication.network, publication.attempt, account, outgoing)


async def _send(database: Database, settings: Settings, ready: _Ready, now: datetime | None) -> str:
    """Send a claimed publication through its account's connector and record what came back."""
    now = now or utcnow()
    publication_id, account, outgoing, attempt = ready.publication_id, ready.account, ready.outgoing, ready.attempt
    connector = get_connector(account.connector, database, settings)
    heartbeat = asyncio.create_task(_heartbeat(database, settings, publication_id))
    try:
        result = await connector.create_post(account, outgoing)
    except RateLimited as error:
        # The network asked us to wait: nothing was sent, so this try does not count.
        until = now + timedelta(seconds=error.retry_after)
        key = f"network:{ready.network}" if error.scope == "network" else f"account:{account.id}"
        async with database.session() as session:
            await cool_down(session, key, until, str(error))
        await _finish(database, publication_id, status="scheduled", due_at=until, attempt=attempt - 1,
                      queued_at=None, error=str(error))
        log.info("publishing.rate_limited publication_id=%s key=%s seconds=%.0f", publication_id, key,
                 error.retry_after)
        return "scheduled"
    except TransientBeforeSend as error:
        delay = error.retry_after or min(settings.publish_backoff_seconds * 2 ** (attempt - 1), 3600)
        if attempt >= settings.publish_max_attempts:
            await _finish(database, publication_id, status="failed",
                          error="Gave up after {attempt} attempts: {error}".format(attempt=attempt, error=error))
            return "failed"
        await _finish(database, publication_id, status="scheduled", due_at=now + timedelta(seconds=delay),
                      queued_at=None, error=str(error))
        return "scheduled"
    except OutcomeUnknown as error:
        await _finish(database, publication_id, status="unconfirmed", error=str(error))
        return "unconfirmed"
    except AccountBroken as error:
        await _finish(database, publication_id, status="failed", error=str(error))
        async with database.session() as session:
            await session.execute(update(SocialAccount).where(SocialAccount.id == account.id)
                                  .values(status=error.account_status, status_detail=str(error)))
        return "failed"
    except PublishRefused as error:
        await _finish(database, publication_id, status="failed", error=str(error))
        return "failed"
    finally:
        heartbeat.cancel()
    await _finish(database, publication_id, status="published", external_id=result.external_id, url=result.url,
                  published_at=result.published_at, error=None)
    log.info("publishing.published publication_id=%s external_id=%s", publication_id, result.external_id)
    return "published"


async def reconcile(database: Database, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Settle publications whose outcome is unknown by reading the account back; never resend blindly."""
    now = now or utcnow()
    counts = {"published": 0, "rescheduled": 0, "unsettled": 0}
    async with database.session() as session:
        # The sweeper: a publication "publishing" for this long lost its worker (killed, crashed).
        await session.execute(
            update(Publication).where(Publication.status == "publishing",
                                      Publication.claimed_at < now - parse_duration(settings.publish_stuck_after))
            .values(status="unconfirmed", error="The worker stopped while publishing; checking the account.")
        )
        rows = (await session.execute(
            select(Publication, SocialAccount, Proposal)
            .join(SocialAccount, SocialAccount.id == Publication.social_account_id)
            .join(Proposal, Proposal.id == Publication.proposal_id)
            .where(Publication.status == "unconfirmed")
        )).all()
    for publication, account, proposal in rows:
        outgoing = OutgoingPost(publication.id, publication.network, proposal.texts.get(publication.network, ""),
                                progress=dict(publication.progress or {}))
        connector = get_connector(account.connector, database, settings)
        try:
            found = await connector.find_post(account, outgoing, since=publication.claimed_at or publication.created_at)
        except (TransientBeforeSend, OutcomeUnknown, PublishRefused) as error:
            # The account could not be read now: the publication stays unconfirmed, never resent blindly.
            log.info("publishing.reconcile_deferred publication_id=%s reason=%s", publication.id, error)
            counts["unsettled"] += 1
            continue
        async with database.session() as session:
            if found:
                values = {"status": "published", "external_id": found.external_id, "url": found.url,
                          "published_at": found.published_at, "error": None}
                counts["published"] += 1
            elif publication.attempt >= settings.publish_max_attempts:
                values = {"status": "failed", "error": "Gave up after {attempt} attempts: {error}".format(
                    attempt=publication.attempt, error=publication.error or "")}
                counts["failed"] = counts.get("failed", 0) + 1
            else:
                values = {"status": "scheduled", "due_at": now, "queued_at": None}
                counts["rescheduled"] += 1
            settled = await session.scalar(
                update(Publication).where(Publication.id == publication.id, Publication.status == "unconfirmed")
                .values(**values).returning(Publication), execution_options={"synchronize_session": False})
            if settled is not None and values["status"] in ("published", "failed"):
                await _emit_settled(session, settled)
    return counts


async def list_publications(
    session: AsyncSession, actor: Actor, *, proposal_id: str | None = None, status: str | None = None,
    limit: int = 500,
) -> list[tuple[Publication, str]]:
    """Publications of the locations the actor may see, each with the connector that sends it."""
    query = (select(Publication, SocialAccount.connector)
             .join(Location, Location.id == Publication.location_id)
             .join(SocialAccount, SocialAccount.id == Publication.social_account_id)
             .where(visible_locations(actor)).order_by(Publication.created_at).limit(limit))
    if proposal_id:
        query = query.where(Publication.proposal_id == proposal_id)
    if status:
        query = query.where(Publication.status == status)
    return [(row[0], row[1]) for row in await session.execute(query)]


async def list_sandbox_posts(session: AsyncSession, location_id: str, limit: int = 200) -> list[SandboxPost]:
    """What the sandbox connector "published" for a location, newest first."""
    return list(await session.scalars(
        select(SandboxPost).where(SandboxPost.location_id == location_id)
        .order_by(SandboxPost.created_at.desc()).limit(limit)
    ))


def publication_read(publication: Publication, connector: str) -> dict[str, Any]:
    """A publication as the API shows it; `sandbox` says it went to Pieuvre's own feed, not the network."""
    return {
        "id": publication.id, "proposal_id": publication.proposal_id, "network": publication.network,
        "connector": connector, "sandbox": connector == "sandbox",
        "status": publication.status, "attempt": publication.attempt, "due_at": publication.due_at,
        "external_id": publication.external_id, "url": publication.url, "published_at": publication.published_at,
        "error": publication.error, "social_account_id": publication.social_account_id,
    }
