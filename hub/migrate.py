"""Applying the schema: Alembic migrations are the only way tables are created."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration for this package, aimed at `url` (default: the settings)."""
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.attributes["url"] = url
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`, from an async caller."""
    from hub.db import _ensure_sqlite_folder

    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
    engine = create_async_engine(url)
    async with engine.begin() as connection:

        def run(sync_connection) -> None:
            config = alembic_config(url)
            config.attributes["connection"] = sync_connection
            command.upgrade(config, revision)

        await connection.run_sync(run)
    await engine.dispose()
