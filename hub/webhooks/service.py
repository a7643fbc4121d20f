"""Outbound webhooks: register them, record events in an outbox, deliver each one signed, retry with backoff.

The database is the truth: `emit()` writes one WebhookDelivery per subscribed webhook in the
caller's transaction, and the job sent after commit only carries its id. A delivery that Redis
lost is found again by `due_deliveries()` (the `webhooks.retry_due` cron).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.accounts.security import settings_token_cipher
from hub.config import Settings
from hub.db import Database, insert_ignoring_conflicts, new_id, utcnow
from hub.errors import Forbidden, Invalid, NotFound
from hub.i18n import N_
from hub.queue import enqueue_after_commit
from hub.webhooks.models import DELIVERY_STATUSES, WEBHOOK_EVENTS, Webhook, WebhookDelivery

log = logging.getLogger("pieuvre.webhooks")

DELIVER_JOB = "webhooks.deliver"
MAX_ATTEMPTS = 8
# Each network step (connect, each read) of an attempt; the whole attempt, however slowly the receiver
# drips its answer, ends well within CLAIM_LEASE, so no other worker takes the delivery meanwhile.
TIMEOUT_SECONDS = 5.0
ATTEMPT_SECONDS = 15.0
MIN_SECRET_LENGTH = 16
# A claimed attempt holds the delivery this long; a worker that died mid-send frees it after that.
CLAIM_LEASE = timedelta(minutes=2)
# The "recent" deliveries counted next to each webhook.
RECENT = timedelta(days=7)
# Enough of the receiver's answer to explain a failure, not a whole error page.
ERROR_EXCERPT = 300

# Field messages are English msgids (French in hub/i18n/fr_webhooks.py); pages translate them.
URL_MESSAGE = N_("Give an http:// or https:// URL of your server, e.g. https://example.com/pieuvre.")
PRIVATE_URL_MESSAGE = N_("This URL points to a private, loopback or link-local address: give a public address.")
EVENTS_MESSAGE = N_("Pick at least one event among: {events}.")
SECRET_MESSAGE = N_("The secret needs at least {n} characters.")


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … at most 1 h."""
    return timedelta(seconds=min(30 * 2 ** (max(attempts, 1) - 1), 3600))


def deliver_job_id(delivery_id: str, attempts: int) -> str:
    """The arq job id of a delivery's next attempt: the same attempt is never queued twice."""
    return f"{DELIVER_JOB}:{delivery_id}:{attempts}"


def _cipher(settings: Settings):
    return settings_token_cipher(settings)


# ---------------------------------------------------------------- addresses


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _host_is_private_literal(host: str) -> bool:
    """True for 'localhost' names and for IP literals outside the public internet."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return _is_private(host)
    except ValueError:
        return False  # a name: checked again, resolved, when delivering


def check_url(url: str, allow_private: bool) -> list[dict[str, str]]:
    """The field errors of a webhook URL (empty when it is acceptable)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return [{"field": "url", "message": URL_MESSAGE}]
    if parts.scheme not in ("http", "https") or not host or len(url) > 2000:
        return [{"field": "url", "message": URL_MESSAGE}]
    if not allow_private and _host_is_private_literal(host):
        return [{"field": "url", "message": PRIVATE_URL_MESSAGE}]
    return []


async def _addresses(host: str, allow_private: bool) -> tuple[list[str], str | None]:
    """The addresses of `host`, resolved at each delivery (DNS may change), and the reason not to send when
    there is none or when any of them is not public."""
    refused = f"Refused: {host} resolves to a private, loopback or link-local address."
    if not allow_private and _host_is_private_literal(host):
        return [], refused
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as failure:
        return [], f"Could not find the address of {host}: {failure}"
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private and any(_is_private(address) for address in addresses):
        return [], refused
    return addresses, None


async def _post(url: str, body: bytes, headers: dict[str, str], allow_private: bool) -> tuple[int | None, str | None]:
    """POST a delivery: the receiver's status code, and the error when it is not a success.

    The request goes to the very addresses that were checked: the URL's host is resolved once and the
    connection made to its address, with the name kept in the Host header and for TLS. Resolving it again
    to connect would let a name that answers a public address to the check and a private one a moment later
    (DNS rebinding) reach the server's own network. Redirects are not followed; only the first bytes of
    the answer are read, within ATTEMPT_SECONDS.
    """
    target = httpx.URL(url)
    host = target.raw_host.decode("ascii")
    addresses, error = await _addresses(host, allow_private)
    if error:
        return None, error
    headers = {**headers, "Host": target.netloc.decode("ascii")}
    try:
        async with asyncio.timeout(ATTEMPT_SECONDS), \
                httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
            for address in addresses:
                try:
                    async with client.stream("POST", target.copy_with(host=address), content=body, headers=headers,
                                             extensions={"sni_hostname": host}) as response:
                        excerpt = b""
                        async for chunk in response.aiter_bytes():
                            excerpt += chunk
                            if len(excerpt) >= ERROR_EXCERPT:
                                break
                    break
                except httpx.ConnectError:
                    if address == addresses[-1]:
                        raise  # nothing was sent to this address: the next one is tried, as browsers do
    except httpx.HTTPError as failure:
        return None, f"{type(failure).__name__}: {failure}"[:ERROR_EXCERPT]
    except TimeoutError:
        return None, f"No complete answer within {ATTEMPT_SECONDS:g} s."
    if not 200 <= response.status_code < 300:
        text = excerpt[:ERROR_EXCERPT].decode(response.encoding or "utf-8", errors="replace")
        return response.status_code, f"HTTP {response.status_code}: {text}"
    return response.status_code, None


# ---------------------------------------------------------------- registering


def _require_admin(actor: Actor) -> str:
    if actor.role != "hq_admin":
        raise Forbidden("Only an hq_admin can manage webhooks.")
    return str(actor.brand_id)


async def create_webhook(session: AsyncSession, settings: Settings, actor: Actor, *, url: str, events: list[str],
                         secret: str) -> Webhook:
    """Register a URL for some of the brand's events; refused with every field's error at once."""
    brand_id = _require_admin(actor)
    errors = check_url(url, settings.webhooks_allow_private)
    chosen = list(dict.fromkeys(events))
    if not chosen or any(event not in WEBHOOK_EVENTS for event in chosen):
        errors.append({"field": "events", "message": EVENTS_MESSAGE.format(events=", ".join(WEBHOOK_EVENTS))})
    if len(secret) < MIN_SECRET_LENGTH:
        errors.append({"field": "secret", "message": SECRET_MESSAGE.format(n=MIN_SECRET_LENGTH)})
    if errors:
        raise Invalid("The webhook has {n} problem(s): fix each field listed.", n=len(errors), errors=errors)
    webhook = Webhook(brand_id=brand_id, url=url.strip(), events=chosen, active=True, created_by=actor.user.id,
                      secret_encrypted=_cipher(settings).encrypt(secret.encode()).decode())
    session.add(webhook)
    await session.flush()
    return webhook


async def get_webhook(session: AsyncSession, actor: Actor, webhook_id: str) -> Webhook:
    """One of the brand's webhooks; 404 for any other id."""
    brand_id = _require_admin(actor)
    webhook = await session.get(Webhook, webhook_id)
    if webhook is None or webhook.brand_id != brand_id:
        raise NotFound("No webhook with id {id}.", id=webhook_id)
    return webhook


async def delete_webhook(session: AsyncSession, actor: Actor, webhook_id: str) -> None:
    """Remove a webhook and its deliveries (queued jobs then find nothing to send)."""
    webhook = await get_webhook(session, actor, webhook_id)
    await session.execute(delete(Webhook).where(Webhook.id == webhook.id))


async def list_webhooks(session: AsyncSession, actor: Actor) -> list[tuple[Webhook, dict[str, int]]]:
    """The brand's webhooks, newest first, each with its deliveries of the last 7 days counted by status."""
    brand_id = _require_admin(actor)
    webhooks = list(await session.scalars(
        select(Webhook).where(Webhook.brand_id == brand_id).order_by(Webhook.created_at.desc(), Webhook.id)))
    counts: dict[str, dict[str, int]] = {webhook.id: dict.fromkeys(DELIVERY_STATUSES, 0) for webhook in webhooks}
    if webhooks:
        rows = await session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.status, func.count())
            .where(WebhookDelivery.brand_id == brand_id, WebhookDelivery.created_at >= utcnow() - RECENT)
            .group_by(WebhookDelivery.webhook_id, WebhookDelivery.status))
        for webhook_id, status, count in rows:
            if webhook_id in counts:
                counts[webhook_id][status] = count
    return [(webhook, counts[webhook.id]) for webhook in webhooks]


async def list_deliveries(session: AsyncSession, actor: Actor, *, webhook_id: str | None = None,
                          status: str | None = None, limit: int = 100) -> list[WebhookDelivery]:
    """The brand's deliveries, newest first (of one webhook when given)."""
    brand_id = _require_admin(actor)
    query = select(WebhookDelivery).where(WebhookDelivery.brand_id == brand_id)
    if webhook_id:
        await get_webhook(session, actor, webhook_id)
        query = query.where(WebhookDelivery.webhook_id == webhook_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    return list(await session.scalars(
        query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit)))


def webhook_read(webhook: Webhook, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """A webhook as the API shows it: never its secret."""
    read: dict[str, Any] = {"id": webhook.id, "url": webhook.url, "events": list(webhook.events or []),
                            "active": webhook.active, "created_by": webhook.created_by,
                            "created_at": webhook.created_at}
    if counts is not None:
        read["deliveries"] = counts
    return read


def delivery_read(delivery: WebhookDelivery) -> dict[str, Any]:
    """A delivery as the API shows it."""
    return {"id": delivery.id, "webhook_id": delivery.webhook_id, "event": delivery.event,
            "event_id": delivery.event_id, "status": delivery.status, "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at if delivery.status == "pending" else None,
            "last_status_code": delivery.last_status_code, "last_error": delivery.last_error,
            "created_at": delivery.created_at, "delivered_at": delivery.delivered_at, "payload": delivery.payload}


# ---------------------------------------------------------------- the outbox


async def emit(session: AsyncSession, brand_id: str, event: str, event_id: str, payload: dict) -> None:
    """Record `event` for every active webhook of the brand subscribed to it, in the caller's transaction.

    `event_id` names the occurrence (e.g. f"proposal.decided:{proposal.id}:{proposal.version}"): emitting
    the same one twice delivers it once. The delivery jobs are sent after the caller commits.
    """
    await emit_many(session, brand_id, event, [(event_id, payload)])


async def emit_many(session: AsyncSession, brand_id: str, event: str, occurrences: list[tuple[str, dict]]) -> None:
    """`emit()` for many occurrences of one event (bulk approvals, deadlines): one query, one insert."""
    if event not in WEBHOOK_EVENTS:
        raise ValueError(f"unknown webhook event {event!r}: one of {', '.join(WEBHOOK_EVENTS)}")
    if not occurrences:
        return
    webhooks = await session.execute(
        select(Webhook.id, Webhook.events).where(Webhook.brand_id == brand_id, Webhook.active.is_(True)))
    now = utcnow()
    rows = [{"id": new_id(), "webhook_id": webhook_id, "brand_id": brand_id, "event": event, "event_id": event_id,
             "payload": payload, "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}
            for webhook_id, events in webhooks if event in (events or [])
            for event_id, payload in occurrences]
    if not rows:
        return
    inserted = await session.scalars(
        insert_ignoring_conflicts(session, WebhookDelivery, rows, ["webhook_id", "event_id"])
        .returning(WebhookDelivery.id))
    for delivery_id in inserted.all():
        enqueue_after_commit(session, DELIVER_JOB, delivery_id, job_id=deliver_job_id(delivery_id, 0))


# Payloads of the product's events: what an integrator needs to fetch the rest through the API.


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def proposal_decided(proposal: Any) -> tuple[str, dict]:
    """(event_id, payload) of a proposal's decision (approved, customized, rejected, auto_approved, expired)."""
    return f"proposal.decided:{proposal.id}:{proposal.version}", {
        "proposal_id": proposal.id, "campaign_id": proposal.campaign_id, "post_id": proposal.post_id,
        "revision": proposal.revision, "location_id": proposal.location_id, "status": proposal.status,
        "reject_reason": getattr(proposal, "reject_reason", None), "decided_by": getattr(proposal, "decided_by", None),
        "decided_at": _iso(getattr(proposal, "decided_at", None)),
    }


def publication_settled(publication: Any) -> tuple[str, str, dict]:
    """(event, event_id, payload) of a publication that went out ("publication.published") or failed."""
    event = f"publication.{publication.status}"
    # A failed publication may be rescheduled and fail again: each failure is its own occurrence.
    event_id = f"{event}:{publication.id}" + (f":{publication.attempt}" if publication.status == "failed" else "")
    return event, event_id, {
        "publication_id": publication.id, "proposal_id": publication.proposal_id,
        "campaign_id": publication.campaign_id, "location_id": publication.location_id,
        "network": publication.network, "status": publication.status, "attempt": publication.attempt,
        "external_id": publication.external_id, "url": publication.url,
        "published_at": _iso(publication.published_at), "error": publication.error,
    }


def distribution_completed(distribution: Any) -> tuple[str, dict]:
    """(event_id, payload) of a fan-out run that reached every targeted location."""
    return f"distribution.completed:{distribution.id}", {
        "distribution_id": distribution.id, "post_id": distribution.post_id,
        "post_revision_id": distribution.post_revision_id, "total": distribution.total, "done": distribution.done,
        "failed": distribution.failed, "started_at": _iso(distribution.started_at),
        "finished_at": _iso(distribution.finished_at),
    }


async def due_deliveries(session: AsyncSession, now: datetime, limit: int = 500) -> list[tuple[str, int]]:
    """(id, attempts) of pending deliveries whose next attempt is due, oldest first."""
    rows = await session.execute(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at).limit(limit))
    return [(row[0], row[1]) for row in rows]


# ---------------------------------------------------------------- delivering


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Pieuvre-Signature value: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}" keyed by the secret>."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The JSON the receiver gets: the event's envelope with its payload under "data"."""
    envelope = {"id": delivery.id, "event": delivery.event, "event_id": delivery.event_id,
                "brand_id": delivery.brand_id, "created_at": delivery.created_at.isoformat(),
                "data": delivery.payload}
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False, default=str).encode()


async def claim(session: AsyncSession, delivery_id: str, now: datetime) -> WebhookDelivery | None:
    """Atomically take the next attempt of a due delivery (attempts + 1, held for CLAIM_LEASE); None if not ours."""
    claimed = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
               WebhookDelivery.next_attempt_at <= now)
        .values(attempts=WebhookDelivery.attempts + 1, next_attempt_at=now + CLAIM_LEASE)
        .returning(WebhookDelivery.id))
    if claimed.scalar() is None:
        return None
    return await session.get(WebhookDelivery, delivery_id, populate_existing=True)


async def deliver(database: Database, settings: Settings, delivery_id: str, now: datetime | None = None,
                  ) -> tuple[str, int, datetime | None]:
    """Make one attempt at a delivery; returns its new status, the attempts made and, while pending, when to retry."""
    now = now or utcnow()
    async with database.session() as session:
        delivery = await claim(session, delivery_id, now)
        if delivery is None:
            return "skipped", 0, None
        webhook = await session.get(Webhook, delivery.webhook_id)
        attempt = delivery.attempts
        body = delivery_body(delivery)
        url, secret = webhook.url, _cipher(settings).decrypt(webhook.secret_encrypted.encode()).decode()
        event = delivery.event
    timestamp = int(utcnow().timestamp())
    headers = {"Content-Type": "application/json", "User-Agent": "Pieuvre-Webhooks/1",
               "X-Pieuvre-Event": event, "X-Pieuvre-Delivery": delivery_id,
               "X-Pieuvre-Timestamp": str(timestamp), "X-Pieuvre-Signature": signature(secret, timestamp, body)}
    status_code, error = await _post(url, body, headers, settings.webhooks_allow_private)
    finished = utcnow()
    values: dict[str, Any] = {"last_status_code": status_code, "last_error": error}
    if error is None:
        values |= {"status": "delivered", "delivered_at": finished}
    elif attempt >= MAX_ATTEMPTS:
        values |= {"status": "failed"}
    else:
        values |= {"next_attempt_at": finished + backoff(attempt)}
    async with database.session() as session:
        # Only the holder of this attempt writes its outcome.
        await session.execute(update(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
            WebhookDelivery.attempts == attempt).values(**values))
    new_status = values.get("status", "pending")
    log.info("webhooks.attempt delivery_id=%s attempt=%s status=%s code=%s", delivery_id, attempt, new_status,
             status_code)
    return new_status, attempt, values.get("next_attempt_at")
