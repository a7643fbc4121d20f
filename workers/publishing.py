"""Publishing tasks: find due publications, send each once, settle unknown outcomes."""

from __future__ import annotations

from typing import Any

from hub.db import utcnow
from hub.publishing import service as publishing
from hub.queue import get_pool

PUBLISH_JOB = "publishing.publish"


async def dispatch_due(ctx: dict[str, Any]) -> int:
    """Queue one publish job per due publication (the job itself claims it atomically)."""
    async with ctx["database"].session() as session:
        due = await publishing.due_publications(session, utcnow())
    pool = ctx.get("redis") or await get_pool()
    for publication_id, attempt in due:
        await pool.enqueue_job(PUBLISH_JOB, publication_id, _job_id=f"{PUBLISH_JOB}:{publication_id}:{attempt}")
    return len(due)


async def publish(ctx: dict[str, Any], publication_id: str) -> str:
    """Send one publication, exactly once."""
    return await publishing.publish(ctx["database"], ctx["settings"], publication_id)


async def reconcile(ctx: dict[str, Any]) -> dict[str, int]:
    """Settle publications whose outcome is unknown by reading the accounts back."""
    return await publishing.reconcile(ctx["database"], ctx["settings"])
