"""The arq worker: its functions, cron jobs and start-up."""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.worker import Worker, func

from hub.config import get_settings
from hub.db import get_database
from hub.queue import redis_settings
from workers import approvals, fanout, publishing, stats

EVERY_5_SECONDS = set(range(0, 60, 5))
EVERY_MINUTE = {0}


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    ctx["settings"] = settings
    ctx["database"] = get_database(settings.database_url)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["database"].dispose()


class WorkerSettings:
    """What every Pieuvre worker runs; `pieuvre worker` starts one."""

    functions = [
        func(fanout.fan_out_chunk, name="proposals.fan_out_chunk", max_tries=10),
        func(publishing.publish, name=publishing.PUBLISH_JOB, max_tries=3),
    ]
    cron_jobs = [
        cron(publishing.dispatch_due, name="publishing.dispatch_due", second=EVERY_5_SECONDS, unique=True),
        cron(approvals.apply_deadlines, name="proposals.apply_deadlines", second=EVERY_MINUTE, unique=True),
        cron(stats.collect, name="stats.collect", second=EVERY_MINUTE, unique=True),
        cron(publishing.reconcile, name="publishing.reconcile", second=EVERY_MINUTE, unique=True),
        cron(fanout.requeue_lost_chunks, name="proposals.requeue_lost_chunks", second={30}, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    # Many small jobs: poll often, and let one worker overlap its I/O-bound jobs.
    poll_delay = 0.1
    max_jobs = 20
    job_timeout = 300


def build_worker(redis_url: str | None = None, **overrides: Any) -> Worker:
    """An arq Worker with Pieuvre's functions and cron jobs (`burst=True` for tests)."""
    options: dict[str, Any] = {
        name: getattr(WorkerSettings, name)
        for name in ("functions", "cron_jobs", "on_startup", "on_shutdown", "poll_delay", "max_jobs", "job_timeout")
    }
    options.update(overrides)
    return Worker(redis_settings=redis_settings(redis_url), **options)
