"""Fan-out tasks: one job per chunk of a distribution."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.db import utcnow
from hub.proposals import service as proposals
from hub.queue import get_pool


async def fan_out_chunk(ctx: dict[str, Any], chunk_id: str) -> int:
    """Create the proposals of one chunk (idempotent: the job may run twice)."""
    async with ctx["database"].session() as session:
        return await proposals.fan_out_chunk(session, chunk_id)


async def requeue_lost_chunks(ctx: dict[str, Any]) -> int:
    """Re-queue chunks the database says are unfinished (Redis lost them, or a worker died)."""
    async with ctx["database"].session() as session:
        chunk_ids = await proposals.unfinished_chunks(session, utcnow() - timedelta(minutes=1))
    pool = ctx.get("redis") or await get_pool()
    for chunk_id in chunk_ids:
        await pool.enqueue_job(proposals.FAN_OUT_JOB, chunk_id, _job_id=proposals.fan_out_job_id(chunk_id))
    return len(chunk_ids)
