"""Jobs leave for Redis only once the transaction that made their rows has committed."""

from __future__ import annotations

import pytest
from arq.jobs import Job

from hub.queue import enqueue_after_commit


async def _queued(redis_pool) -> list[str]:
    return sorted(job.job_id for job in await redis_pool.queued_jobs())


async def test_a_job_is_sent_after_commit_with_its_deterministic_id(database, redis_pool):
    async with database.session() as session:
        enqueue_after_commit(session, "proposals.fan_out_chunk", "chunk-1", job_id="proposals.fan_out_chunk:chunk-1")
        assert await _queued(redis_pool) == []  # not before the commit
    assert await _queued(redis_pool) == ["proposals.fan_out_chunk:chunk-1"]
    info = await Job("proposals.fan_out_chunk:chunk-1", redis_pool).info()
    assert info.function == "proposals.fan_out_chunk" and info.args == ("chunk-1",)


async def test_a_rolled_back_transaction_sends_nothing(database, redis_pool):
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            enqueue_after_commit(session, "proposals.fan_out_chunk", "chunk-2", job_id="proposals.fan_out_chunk:chunk-2")
            raise RuntimeError("the request failed after queuing")
    assert await _queued(redis_pool) == []


async def test_the_same_job_id_is_queued_once(database, redis_pool):
    for _ in range(2):
        async with database.session() as session:
            enqueue_after_commit(session, "proposals.fan_out_chunk", "chunk-3", job_id="proposals.fan_out_chunk:chunk-3")
    assert await _queued(redis_pool) == ["proposals.fan_out_chunk:chunk-3"]


async def test_startup_creates_the_bootstrap_admin_once(database, settings):
    from sqlalchemy import func, select

    from hub.accounts.models import User
    from hub.app import create_app

    configured = settings.model_copy(update={
        "bootstrap_admin_email": "Root@Example.org", "bootstrap_admin_password": "a-long-enough-password",
    })
    for _ in range(2):
        app = create_app(configured)
        async with app.router.lifespan_context(app):
            pass
    async with database.session() as session:
        users = list(await session.scalars(select(User).where(User.email == "root@example.org")))
        assert len(users) == 1 and users[0].is_deployment_admin
        assert await session.scalar(select(func.count()).select_from(User)) == 1
