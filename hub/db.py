"""Database plumbing: declarative base, id and time types, engine and sessions."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, String, TypeDecorator, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """An opaque, time-ordered id: 12 hex digits of milliseconds then 20 random ones.

    Time order keeps new rows at the end of indexes, which matters at a million proposals.
    """
    return f"{int(time.time() * 1000):012x}{os.urandom(10).hex()}"


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timestamp always stored and returned in UTC (SQLite forgets the zone on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database: attach a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# JSONB on PostgreSQL (indexable, compact), JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Base of every table, with constraint names that migrations can rely on."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONType, list[Any]: JSONType}


class IdMixin:
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web app read while a worker writes; the busy timeout makes writers queue
    # instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        self.url = url
        if url.startswith("sqlite"):
            _ensure_sqlite_folder(url)
            engine_options.setdefault("connect_args", {"timeout": 30})
        else:
            engine_options.setdefault("pool_size", 10)
            engine_options.setdefault("max_overflow", 20)
            engine_options.setdefault("pool_pre_ping", True)
        self.engine: AsyncEngine = create_async_engine(url, **engine_options)
        if url.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session committed on success (then its queued jobs are sent), rolled back on error."""
        from hub import queue

        async with self.sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                queue.discard_pending(session)
                raise
        await queue.send_pending(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)


# SQLSTATE classes of a server that cannot serve now: 08 connection exception, 57P operator
# intervention (shutting down, crashed, starting up).
_UNREACHABLE_SQLSTATES = ("08", "57P")


def database_unreachable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached right now (stopped, restarting, connection
    lost) rather than that the statement is wrong: the work can be tried again once it is back."""
    if isinstance(error, ConnectionError):
        return True  # refused before any session began (asyncpg raises the socket's error as is)
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return (error.connection_invalidated or isinstance(error, (OperationalError, InterfaceError))
            or sqlstate.startswith(_UNREACHABLE_SQLSTATES))


# PostgreSQL's text cannot hold the NUL character, whatever the column (SQLSTATE 22021, "invalid byte
# sequence for encoding UTF8: 0x00"), nor compare with it: such a request is the sender's to fix.
_TEXT_REFUSED_SQLSTATES = ("22021", "22P05")


def database_refused_text(error: BaseException) -> bool:
    """Whether `error` is the database refusing a character of the text it was given (a NUL)."""
    return isinstance(error, DBAPIError) and (getattr(error.orig, "sqlstate", None) or "") in _TEXT_REFUSED_SQLSTATES


_databases: dict[str, Database] = {}


def get_database(url: str | None = None) -> Database:
    """The process-wide Database for this URL (default: the configured one)."""
    from hub.config import get_settings

    url = url or get_settings().database_url
    if url not in _databases:
        _databases[url] = Database(url)
    return _databases[url]


async def dispose_all() -> None:
    """Close every engine this process opened."""
    for database in list(_databases.values()):
        await database.dispose()
    _databases.clear()


def insert_ignoring_conflicts(session_or_dialect: Any, model: type, rows: list[dict[str, Any]], keys: list[str]):
    """An INSERT of `rows` that skips rows whose natural key `keys` already exists (PostgreSQL and SQLite)."""
    return insert_many_ignoring_conflicts(session_or_dialect, model, keys).values(rows)


def insert_many_ignoring_conflicts(session_or_dialect: Any, model: Any, keys: list[str]):
    """`insert_ignoring_conflicts` without its rows, to execute with a list of them: compiled once and sent in
    batches (rows in the statement are compiled again each time, a thousand bound values for a hundred rows)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session_or_dialect if isinstance(session_or_dialect, str) else session_or_dialect.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing(index_elements=keys)


def upsert(session_or_dialect: Any, model: type, rows: list[dict[str, Any]], keys: list[str], update: list[str]):
    """An INSERT of `rows` that updates the `update` columns of rows whose natural key `keys` exists."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session_or_dialect if isinstance(session_or_dialect, str) else session_or_dialect.bind.dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model).values(rows)
    return insert.on_conflict_do_update(index_elements=keys, set_={name: insert.excluded[name] for name in update})
