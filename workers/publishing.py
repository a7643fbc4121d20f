"""Publishing tasks: find due publications, send each once, settle unknown outcomes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from hub.db import utcnow
from hub.publishing import service as publishing
from hub.queue import get_pool
from workers.render import RENDER_JOB, RENDER_QUEUE

PUBLISH_JOB = "publishing.publish"
# Images of publications due within this delay are rendered ahead, a batch of proposals per job.
RENDER_AHEAD = timedelta(minutes=15)
RENDER_BATCH = 5
ENQUEUE_BATCH = 100


async def dispatch_due(ctx: dict[str, Any]) -> int:
    """Queue one publish job per due publication (the job itself claims it atomically), and the
    renders of images due soon, so publishing does not wait for them."""
    now = utcnow()
    async with ctx["database"].session() as session:
        due = await publishing.queue_due(session, now)
        soon = await publishing.proposals_needing_images(session, now + RENDER_AHEAD)
    pool = ctx.get("redis") or await get_pool()
    # Enqueued a hundred at a time, concurrently: one by one, a storm of thousands takes tens of seconds.
    for start in range(0, len(due), ENQUEUE_BATCH):
        await asyncio.gather(*(
            pool.enqueue_job(PUBLISH_JOB, publication_id, _job_id=f"{PUBLISH_JOB}:{publication_id}:{queued_at.timestamp():.3f}")
            for publication_id, queued_at in due[start:start + ENQUEUE_BATCH]
        ))
    for start in range(0, len(soon), RENDER_BATCH):
        batch = soon[start:start + RENDER_BATCH]
        await pool.enqueue_job(RENDER_JOB, batch, _job_id=f"{RENDER_JOB}:{batch[0]}:{len(batch)}",
                               _queue_name=RENDER_QUEUE)
    return len(due)


async def publish(ctx: dict[str, Any], publication_id: str) -> str:
    """Send one publication, exactly once."""
    return await publishing.publish(ctx["database"], ctx["settings"], publication_id)


async def reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    """Settle publications whose outcome is unknown by reading the accounts back."""
    return await publishing.reconcile(ctx["database"], ctx["settings"])
