"""A job that cannot reach the database is tried again a little later (arq's Retry) instead of failing;
any other error still fails it."""

from __future__ import annotations

import pytest
from arq.worker import Retry
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from hub.db import Database
from tests.conftest import BACKEND
from tests.faults.private import free_port
from workers.fanout import fan_out_chunk
from workers.settings import retried_while_database_down


async def test_a_job_finding_the_database_down_is_tried_again_later(settings):
    stopped = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/pieuvre")  # nobody listens there
    job = retried_while_database_down(fan_out_chunk)
    try:
        for job_try, seconds in ((1, 5), (2, 10), (9, 30)):
            with pytest.raises(Retry) as retry:
                await job({"database": stopped, "settings": settings, "job_try": job_try}, "a-chunk")
            assert retry.value.defer_score == seconds * 1000
    finally:
        await stopped.dispose()


async def test_an_error_of_the_job_itself_is_not_taken_for_an_outage(database, settings):
    async def broken(ctx):
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await retried_while_database_down(broken)({"database": database, "settings": settings, "job_try": 1})


@pytest.mark.skipif(BACKEND != "postgres", reason="SQLite reports a wrong statement as an OperationalError")
async def test_a_wrong_statement_is_not_taken_for_an_outage(database, settings):
    async def wrong(ctx):
        async with ctx["database"].session() as session:
            await session.execute(text("SELECT no_such_column FROM users"))

    with pytest.raises(ProgrammingError):
        await retried_while_database_down(wrong)({"database": database, "settings": settings, "job_try": 1})
