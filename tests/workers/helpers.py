"""Running the real worker in tests: a burst arq Worker on the test Redis."""

from __future__ import annotations

from typing import Any

from workers.settings import run_workers


async def run_burst_worker(settings, **overrides: Any) -> None:
    """Run queued jobs (main and render queues) until both are empty, with no cron job (tests call those)."""
    await run_workers(settings.redis_url, burst=True, cron_jobs=[], poll_delay=0.05, **overrides)


def worker_context(database, settings, pool=None) -> dict[str, Any]:
    """The ctx an arq job receives, for calling a task function directly."""
    return {"database": database, "settings": settings, "redis": pool}
