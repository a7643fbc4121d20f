"""Test fixtures: the real PostgreSQL (or SQLite) and the real Redis on loopback.

PIEUVRE_TEST_DATABASE=postgres (default) or sqlite picks the database. The schema comes from
the Alembic migrations, as in production. Each test starts from empty tables and an empty
Redis database. With CI set, an unreachable PostgreSQL or Redis fails the run instead of
skipping it.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator

import pytest

BACKEND = os.environ.get("PIEUVRE_TEST_DATABASE", "postgres")
PG_ADMIN_URL = os.environ.get("PIEUVRE_TEST_PG_ADMIN", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
# One database and one Redis db index per test process, so parallel runs never share state.
PG_TEST_DB = os.environ.get("PIEUVRE_TEST_PG_DB", f"pieuvre_test_{os.getpid()}")
REDIS_URL = os.environ.get("PIEUVRE_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}")

if BACKEND == "sqlite":
    _tmp = tempfile.mkdtemp(prefix="pieuvre-test-")
    DATABASE_URL = f"sqlite+aiosqlite:///{_tmp}/test.db"
else:
    DATABASE_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_TEST_DB

# Settings are read from the environment once per process: set them before hub is imported.
os.environ.update({
    "PIEUVRE_DATABASE_URL": DATABASE_URL,
    "PIEUVRE_REDIS_URL": REDIS_URL,
    "PIEUVRE_SECRET_KEY": "test-secret-key-not-for-production",
    "PIEUVRE_VAR_DIR": tempfile.mkdtemp(prefix="pieuvre-var-"),
    "PIEUVRE_BASE_URL": "http://testserver",
})

from hub.config import get_settings  # noqa: E402
from hub.db import Base, Database, get_database  # noqa: E402
from hub.migrate import upgrade  # noqa: E402

get_settings.cache_clear()


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def _require(service: str, host: str, port: int) -> None:
    if _reachable(host, port):
        return
    message = f"{service} is not reachable on {host}:{port}"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI needs it (start it as .ci/run does)", pytrace=False)
    pytest.skip(message)


async def _admin(statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def _drop_pg_database() -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{PG_TEST_DB}" WITH (FORCE)')


async def _create_pg_database() -> None:
    await _drop_pg_database()
    await _admin(f'CREATE DATABASE "{PG_TEST_DB}"')


@pytest.fixture(scope="session")
def settings():
    return get_settings()


@pytest.fixture(scope="session")
async def database(settings) -> AsyncIterator[Database]:
    """The migrated test database, shared by the whole run."""
    if BACKEND != "sqlite":
        _require("PostgreSQL", "127.0.0.1", 5432)
        await _create_pg_database()
    await upgrade(settings.database_url)
    database = get_database(settings.database_url)
    yield database
    await database.dispose()
    if BACKEND != "sqlite":
        await _drop_pg_database()


@pytest.fixture(scope="session")
async def redis_pool(settings):
    """The arq pool on the test Redis database."""
    from hub.queue import get_pool

    _require("Redis", "127.0.0.1", 6379)
    pool = await get_pool(settings.redis_url)
    yield pool


async def _empty_tables(database: Database) -> None:
    from sqlalchemy import text

    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            await connection.execute(text("TRUNCATE " + ", ".join(tables) + " CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(autouse=True)
async def clean(database, redis_pool, settings) -> AsyncIterator[None]:
    """Every test starts with empty tables, an empty Redis database and no stored media."""
    await redis_pool.flushdb()
    yield
    await _empty_tables(database)
    await redis_pool.flushdb()
    shutil.rmtree(settings.var_dir / "media", ignore_errors=True)


@pytest.fixture
async def session(database):
    """A session committed at the end of the `async with` blocks the test opens with database.session()."""
    async with database.session() as session:
        yield session


@pytest.fixture
def app(settings, database):
    from hub.app import create_app

    return create_app(settings)


@pytest.fixture
async def client(app):
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def client_as(app):
    """client_as(user_email, password) -> an httpx client carrying that user's bearer token."""
    import httpx

    clients: list[httpx.AsyncClient] = []

    async def make(email: str, password: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        response = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        client.headers["Authorization"] = f"Bearer {response.json()['token']}"
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
