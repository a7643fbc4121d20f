"""What every benchmark needs: a fresh PostgreSQL database, worker processes, a JSON report."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create database `name` next to `admin_url`, migrate it, and return its URL."""
    from hub.migrate import upgrade

    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    await upgrade(url)
    return url


def start_workers(count: int, env: dict[str, str]) -> list[subprocess.Popen]:
    """`count` worker processes with this environment, ready (their Redis connection made) when this returns."""
    processes = [subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(count)]
    time.sleep(2.5)  # import, connect, first poll
    for process in processes:
        if process.poll() is not None:
            raise RuntimeError(f"a worker stopped at start: {process.stderr.read()[-2000:]}")
    return processes


def stop_workers(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def machine() -> dict[str, Any]:
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def report(data: dict[str, Any]) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
