"""The arq worker: its functions, cron jobs and start-up."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from arq import cron
from arq.worker import Retry, Worker, func
from redis import exceptions as redis_errors

from hub.config import get_settings
from hub.db import database_unreachable, get_database
from hub.logs import redact_secrets_in_logs
from hub.queue import redis_settings
from workers import accounts, approvals, fanout, notifications, publishing, render, stats, webhooks

EVERY_SECOND = set(range(60))
EVERY_MINUTE = {0}
REDIS_DOWN = (redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.WatchError)

log = logging.getLogger("pieuvre.worker")


class SteadyWorker(Worker):
    """arq's Worker riding out a Redis restart: a poll that loses Redis is tried again at the next one
    instead of stopping the worker (arq lets the error end its loop); the reconcilers re-create the
    jobs Redis lost."""

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except REDIS_DOWN as error:
            log.warning("worker.redis_unavailable error=%s", error)

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        for job_id in job_ids:
            try:
                await super().start_jobs([job_id])
            except REDIS_DOWN:
                # arq took a slot for the job before Redis failed: give it back (the job stays queued).
                self.job_counter -= 1
                self.sem.release()
                raise


def retried_while_database_down(task: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """The job `task`, tried again a little later (up to its max_tries) when the database cannot be
    reached, instead of failing: PostgreSQL restarting or failing over loses no job. Every job may run
    twice, so a try cut short is harmless."""
    @functools.wraps(task)
    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        try:
            return await task(ctx, *args)
        except Exception as error:
            if not database_unreachable(error):
                raise
            log.warning("worker.database_unavailable job=%s try=%s error=%s", task.__name__, ctx["job_try"], error)
            raise Retry(defer=min(5 * ctx["job_try"], 30)) from error
    return run


async def startup(ctx: dict[str, Any]) -> None:
    redact_secrets_in_logs()
    settings = get_settings()
    ctx["settings"] = settings
    ctx["database"] = get_database(settings.database_url)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["database"].dispose()


class WorkerSettings:
    """What every Pieuvre worker runs; `pieuvre worker` starts one."""

    functions = [
        func(retried_while_database_down(fanout.fan_out_chunk), name="proposals.fan_out_chunk", max_tries=10),
        func(retried_while_database_down(publishing.publish), name=publishing.PUBLISH_JOB, max_tries=3),
        func(retried_while_database_down(webhooks.deliver), name=webhooks.DELIVER_JOB, max_tries=3),
    ]
    cron_jobs = [
        # Every second: a post due at 10:00:00 goes out at 10:00:01, not up to five seconds late.
        cron(publishing.dispatch_due, name="publishing.dispatch_due", second=EVERY_SECOND, unique=True),
        cron(approvals.apply_deadlines, name="proposals.apply_deadlines", second=EVERY_MINUTE, unique=True),
        cron(stats.collect, name="stats.collect", second=EVERY_MINUTE, unique=True),
        cron(stats.collect_account_days, name="stats.collect_account_days", minute={10}, second={10}, unique=True),
        # The network page reads the stored scoreboard: figures are at most five minutes old.
        cron(stats.refresh_scoreboards, name="stats.refresh_scoreboards", minute=set(range(0, 60, 5)), second={40},
             unique=True, timeout=900),
        # Campaign reports read stored figures: recomputed here after a change rather than by the next reader.
        cron(stats.refresh_campaign_figures, name="stats.refresh_campaign_figures", second={50}, unique=True),
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

    functions = [func(retried_while_database_down(render.render_proposals), name=render.RENDER_JOB, max_tries=3)]
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
    return SteadyWorker(redis_settings=redis_settings(redis_url), **options)


def build_render_worker(redis_url: str | None = None, **overrides: Any) -> Worker:
    """The arq Worker of the render queue."""
    options: dict[str, Any] = {
        "functions": RenderWorkerSettings.functions, "queue_name": RenderWorkerSettings.queue_name,
        "max_jobs": RenderWorkerSettings.max_jobs, "poll_delay": RenderWorkerSettings.poll_delay,
        "job_timeout": RenderWorkerSettings.job_timeout, "on_startup": startup, "on_shutdown": shutdown,
        "handle_signals": False,
    }
    options.update(overrides)
    return SteadyWorker(redis_settings=redis_settings(redis_url), **options)


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
