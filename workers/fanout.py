"""Fan-out tasks: one job per chunk of a distribution."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arq.jobs import Job, JobStatus

from hub.db import utcnow
from hub.proposals import service as proposals
from hub.queue import get_pool


async def fan_out_chunk(ctx: dict[str, Any], chunk_id: str) -> int:
    """Create the proposals of one chunk (idempotent: the job may run twice)."""
    async with ctx["database"].session() as session:
        return await proposals.fan_out_chunk(session, chunk_id)


async def requeue_lost_chunks(ctx: dict[str, Any]) -> int:
    """Re-queue the chunks the database says are unfinished and whose job no longer waits in Redis:
    Redis lost it (restart, flush), or its run ended without finishing the chunk (worker killed, error)."""
    now = utcnow()
    async with ctx["database"].session() as session:
        chunk_ids = await proposals.unfinished_chunks(session, now - timedelta(minutes=1))
    pool = ctx.get("redis") or await get_pool()
    requeued = 0
    for chunk_id in chunk_ids:
        job_id = proposals.fan_out_job_id(chunk_id)
        if await Job(job_id, pool).status() in (JobStatus.queued, JobStatus.deferred):
            continue  # waiting its turn
        # Under the chunk's own id arq would refuse the new job: a killed worker's job stays "in
        # progress" for the longest job timeout, a failed one keeps its result for an hour.
        await pool.enqueue_job(proposals.FAN_OUT_JOB, chunk_id, _job_id=f"{job_id}:{now.timestamp():.0f}")
        requeued += 1
    return requeued
