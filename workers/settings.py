"""The arq worker: its functions, cron jobs and start-up."""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.worker import Worker, func

from hub.config import get_settings
from hub.db import get_database
from hub.queue import redis_settings
from workers import accounts, approvals, fanout, notifications, publishing, render, stats, webhooks

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
        func(webhooks.deliver, name=webhooks.DELIVER_JOB, max_tries=3),
    ]
    cron_jobs = [
        cron(publishing.dispatch_due, name="publishing.dispatch_due", second=EVERY_5_SECONDS, unique=True),
        cron(approvals.apply_deadlines, name="proposals.apply_deadlines", second=EVERY_MINUTE, unique=True),
        cron(stats.collect, name="stats.collect", second=EVERY_MINUTE, unique=True),
        cron(stats.collect_account_days, name="stats.collect_account_days", minute={10}, second={10}, unique=True),
        # The network page reads the stored scoreboard: figures are at most five minutes old.
        cron(stats.refresh_scoreboards, name="stats.refresh_scoreboards", minute=set(range(0, 60, 5)), second={40},
             unique=True, timeout=900),
        # Unknown outcomes are settled soon: the post is either live already or waits for its resend.
        cron(publishing.reconcile, name="publishing.reconcile", second={0, 15, 30, 45}, unique=True),
        cron(notifications.remind, name="notifications.remind", second=EVERY_MINUTE, unique=True),
        cron(notifications.escalate, name="notifications.escalate", second=EVERY_MINUTE, unique=True),
        cron(notifications.digest, name="notifications.digest", minute={0, 15, 30, 45}, second=EVERY_MINUTE,
             unique=True),
        cron(fanout.requeue_lost_chunks, name="proposals.requeue_lost_chunks", second={30}, unique=True),
        cron(webhooks.retry_due, name="webhooks.retry_due", second={0, 15, 30, 45}, unique=True),
        cron(accounts.refresh_tokens, name=accounts.REFRESH_JOB, second={20}, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    # Many small jobs: poll often, and let one worker overlap its I/O-bound jobs.
    poll_delay = 0.1
    max_jobs = 20
    job_timeout = 300


class RenderWorkerSettings:
    """Image renders, on their own queue: CPU-bound, so each process takes one job at a time and
    leaves the rest to the other processes (arq's main queue hands a worker up to max_jobs at once)."""

    functions = [func(render.render_proposals, name=render.RENDER_JOB, max_tries=3)]
    queue_name = render.RENDER_QUEUE
    max_jobs = 1
    poll_delay = 0.05
    job_timeout = 600


def build_worker(redis_url: str | None = None, **overrides: Any) -> Worker:
    """An arq Worker with Pieuvre's functions and cron jobs (`burst=True` for tests)."""
    options: dict[str, Any] = {
        name: getattr(WorkerSettings, name)
        for name in ("functions", "cron_jobs", "on_startup", "on_shutdown", "poll_delay", "max_jobs", "job_timeout")
    }
    options.update(overrides)
    return Worker(redis_settings=redis_settings(redis_url), **options)


def build_render_worker(redis_url: str | None = None, **overrides: Any) -> Worker:
    """The arq Worker of the render queue."""
    options: dict[str, Any] = {
        "functions": RenderWorkerSettings.functions, "queue_name": RenderWorkerSettings.queue_name,
        "max_jobs": RenderWorkerSettings.max_jobs, "poll_delay": RenderWorkerSettings.poll_delay,
        "job_timeout": RenderWorkerSettings.job_timeout, "on_startup": startup, "on_shutdown": shutdown,
        "handle_signals": False,
    }
    options.update(overrides)
    return Worker(redis_settings=redis_settings(redis_url), **options)


async def run_workers(redis_url: str | None = None, burst: bool = False, **overrides: Any) -> None:
    """The main worker and the render worker of one process, side by side in one event loop.

    The main worker owns the signal handlers; when it stops, the render worker stops too.
    """
    import asyncio
    import contextlib

    main = build_worker(redis_url, burst=burst, **overrides)
    renders = build_render_worker(redis_url, burst=burst, **{k: v for k, v in overrides.items() if k != "cron_jobs"})
    render_task = asyncio.create_task(renders.async_run())
    try:
        with contextlib.suppress(asyncio.CancelledError):
            await main.async_run()
        if burst:
            await render_task
    finally:
        render_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await render_task
        await main.close()
        await renders.close()
