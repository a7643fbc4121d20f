"""Background jobs: queued on a session, sent to arq only after that session commits.

A job sent before its rows are committed could run, find nothing and be lost; so services
call `enqueue_after_commit` and the session's owner (request or job) sends on commit.
Job ids are deterministic, so a job enqueued twice while the first is queued runs once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis import exceptions as redis_errors
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("pieuvre.queue")

_PENDING = "pieuvre.pending_jobs"
SEND_BATCH = 100


@dataclass
class PendingJob:
    name: str
    args: tuple[Any, ...]
    job_id: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def enqueue_after_commit(session: AsyncSession, name: str, *args: Any, job_id: str, **kwargs: Any) -> None:
    """Queue job `name` to be sent once `session` commits."""
    session.info.setdefault(_PENDING, []).append(PendingJob(name, args, job_id, kwargs))


def discard_pending(session: AsyncSession) -> None:
    """Forget the jobs of a rolled-back session."""
    session.info.pop(_PENDING, None)


async def send_pending(session: AsyncSession) -> None:
    """Send the jobs queued on a committed session."""
    jobs: list[PendingJob] = session.info.pop(_PENDING, [])
    if not jobs:
        return
    pool = await get_pool()
    # A hundred at a time, concurrently: one by one, the 400 chunks of a distribution to 100,000 locations
    # would wait for 1,200 round trips to Redis (each enqueue is three).
    for start in range(0, len(jobs), SEND_BATCH):
        await asyncio.gather(*(pool.enqueue_job(job.name, *job.args, _job_id=job.job_id, **job.kwargs)
                               for job in jobs[start:start + SEND_BATCH]))


def redis_settings(url: str | None = None) -> RedisSettings:
    """arq's RedisSettings for a redis:// or unix:// URL (the embedded Redis listens on a socket)."""
    from hub.config import get_settings

    url = url or get_settings().redis_url
    if not url:
        raise RuntimeError("PIEUVRE_REDIS_URL is not set: give a redis:// URL, or start Pieuvre with `pieuvre up`")
    if url.startswith("unix://"):
        path, _, query = url[len("unix://"):].partition("?")
        database = 0
        if query.startswith("db="):
            database = int(query[3:])
        settings = RedisSettings(unix_socket_path=path, database=database)
    else:
        settings = RedisSettings.from_dsn(url)
    # Through a Redis restart, commands are tried again for about ten seconds: without it, a worker
    # polling while Redis is down stops for good, and a request fails.
    settings.retry = Retry(ExponentialBackoff(cap=2, base=0.1), 8)
    settings.retry_on_error = [redis_errors.ConnectionError, redis_errors.TimeoutError]
    return settings


_pools: dict[str, ArqRedis] = {}


async def get_pool(url: str | None = None) -> ArqRedis:
    """The process-wide arq connection pool for this Redis URL."""
    from hub.config import get_settings

    url = url or get_settings().redis_url or ""
    if url not in _pools:
        _pools[url] = await create_pool(redis_settings(url or None))
    return _pools[url]


async def close_pools() -> None:
    """Close every Redis pool this process opened."""
    for pool in list(_pools.values()):
        await pool.aclose()
    _pools.clear()
