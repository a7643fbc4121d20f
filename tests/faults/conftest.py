"""Fixtures of the fault tests: a PostgreSQL cluster and a Redis server of their own, which the tests
stop, flush and restart under running `pieuvre worker` and `pieuvre serve` processes.

The shared PostgreSQL and Redis of tests/conftest.py serve other people's test runs at the same
time, so they are never restarted nor flushed here. These tests need PostgreSQL: on a SQLite run
they are skipped.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from hub.config import Settings, get_settings
from hub.db import Database, get_database
from hub.migrate import upgrade
from tests.conftest import BACKEND, _empty_tables
from tests.faults.private import PG_BIN, REDIS_SERVER, PrivatePostgres, PrivateRedis


def _missing(what: str) -> None:
    message = f"{what} is not installed: the fault tests start their own"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI needs it)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the test run's own, on a free loopback port."""
    if BACKEND == "sqlite":
        pytest.skip("the fault tests need PostgreSQL (they restart a private cluster): this run is on SQLite")
    if not (PG_BIN / "pg_ctl").exists():
        _missing(f"PostgreSQL's server ({PG_BIN}/pg_ctl)")
    cluster = PrivatePostgres()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server of the test run's own, on a free loopback port, keeping nothing on disk."""
    if BACKEND == "sqlite":
        pytest.skip("the fault tests need PostgreSQL (they restart a private cluster): this run is on SQLite")
    if not os.path.exists(REDIS_SERVER):
        _missing("redis-server")
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="package")
async def settings(private_postgres, private_redis) -> AsyncIterator[Settings]:
    """The process's settings pointed at the private PostgreSQL (migrated) and Redis while these tests run.

    The settings object is shared by the whole session (tests elsewhere change it in place and expect
    the worker code, which reads get_settings(), to see it): it is changed in place, then put back.
    """
    url = private_postgres.url("pieuvre")
    engine = create_async_engine(private_postgres.url(), isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text('DROP DATABASE IF EXISTS "pieuvre" WITH (FORCE)'))
        await connection.execute(text('CREATE DATABASE "pieuvre"'))
    await engine.dispose()
    await upgrade(url)
    shared = get_settings()
    saved = {"database_url": shared.database_url, "redis_url": shared.redis_url}
    shared.database_url, shared.redis_url = url, private_redis.url
    try:
        yield shared
    finally:
        for name, value in saved.items():
            setattr(shared, name, value)


@pytest.fixture(scope="package")
async def database(settings) -> AsyncIterator[Database]:
    database = get_database(settings.database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="package")
async def redis_pool(settings):
    from hub.queue import _pools, get_pool

    pool = await get_pool(settings.redis_url)
    yield pool
    _pools.pop(settings.redis_url, None)
    await pool.aclose()


@pytest.fixture(autouse=True)
async def clean(database, redis_pool, private_redis) -> AsyncIterator[None]:
    """Every test starts with empty tables and an empty private Redis."""
    private_redis.client().flushall()
    yield
    await _empty_tables(database)
    private_redis.client().flushall()


@pytest.fixture
def worker_env(settings) -> dict[str, str]:
    """The environment of the worker and web processes a test starts: the private PostgreSQL and Redis."""
    return {**os.environ, "PIEUVRE_DATABASE_URL": settings.database_url, "PIEUVRE_REDIS_URL": settings.redis_url}
