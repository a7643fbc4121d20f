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
# Publications per publish job: claimed together by the worker's lanes, yet small enough that the
# worker processes share a storm evenly (each takes up to max_jobs jobs at a time).
PUBLISH_BATCH = 4
ENQUEUE_BATCH = 100


async def dispatch_due(ctx: dict[str, Any]) -> int:
    """Queue publish jobs for the due publications, a few per job (the job claims each atomically),
    and the renders of images due soon, so publishing does not wait for them."""
    now = utcnow()
    async with ctx["database"].session() as session:
        due = await publishing.queue_due(session, now)
        soon = await publishing.proposals_needing_images(session, now + RENDER_AHEAD)
    pool = ctx.get("redis") or await get_pool()
    batches = [due[start:start + PUBLISH_BATCH] for start in range(0, len(due), PUBLISH_BATCH)]
    # Enqueued a hundred at a time, concurrently: one by one, a storm of thousands takes tens of seconds.
    for start in range(0, len(batches), ENQUEUE_BATCH):
        await asyncio.gather(*(
            pool.enqueue_job(PUBLISH_JOB, [publication_id for publication_id, _ in batch],
                             _job_id=f"{PUBLISH_JOB}:{batch[0][0]}:{batch[0][1].timestamp():.3f}")
            for batch in batches[start:start + ENQUEUE_BATCH]
        ))
    for start in range(0, len(soon), RENDER_BATCH):
        batch = soon[start:start + RENDER_BATCH]
        await pool.enqueue_job(RENDER_JOB, batch, _job_id=f"{RENDER_JOB}:{batch[0]}:{len(batch)}",
                               _queue_name=RENDER_QUEUE)
    return len(due)


async def publish(ctx: dict[str, Any], publication_ids: list[str]) -> list[str]:
    """Send these publications, each exactly once."""
    return await publishing.publish_many(ctx["database"], ctx["settings"], publication_ids)


async def reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    """Settle publications whose outcome is unknown by reading the accounts back."""
    return await publishing.reconcile(ctx["database"], ctx["settings"])
