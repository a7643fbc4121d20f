"""Webhook tasks: deliver one event to one webhook, and re-queue deliveries the queue lost."""

from __future__ import annotations

from typing import Any

from hub.db import utcnow
from hub.queue import get_pool
from hub.webhooks import service as webhooks

DELIVER_JOB = webhooks.DELIVER_JOB


async def deliver(ctx: dict[str, Any], delivery_id: str) -> str:
    """Make the next attempt of a delivery; on failure, queue the following one at its backoff time."""
    status, attempts, retry_at = await webhooks.deliver(ctx["database"], ctx["settings"], delivery_id)
    if retry_at is not None:
        # The row already says when; this job is only the fast path (retry_due finds it otherwise).
        pool = ctx.get("redis") or await get_pool()
        await pool.enqueue_job(DELIVER_JOB, delivery_id, _job_id=webhooks.deliver_job_id(delivery_id, attempts),
                               _defer_until=retry_at)
    return status


async def retry_due(ctx: dict[str, Any]) -> int:
    """Queue every pending delivery whose attempt is due: the database is the truth, Redis may have lost them."""
    async with ctx["database"].session() as session:
        due = await webhooks.due_deliveries(session, utcnow())
    pool = ctx.get("redis") or await get_pool()
    for delivery_id, attempts in due:
        await pool.enqueue_job(DELIVER_JOB, delivery_id, _job_id=webhooks.deliver_job_id(delivery_id, attempts))
    return len(due)
