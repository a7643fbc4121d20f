"""What every benchmark needs: a fresh PostgreSQL database, worker processes, the app on loopback driven by N
clients, a JSON report."""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
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


# ---------------------------------------------------------------- the app on loopback, driven by N clients

FLOOR_PATH = "/healthz"


def asyncpg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def database_facts(url: str) -> dict[str, Any]:
    """PostgreSQL's version, memory settings and the database's size."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        return {
            "engine": "postgresql",
            "version": await connection.fetchval("SHOW server_version"),
            "shared_buffers": await connection.fetchval("SHOW shared_buffers"),
            "work_mem": await connection.fetchval("SHOW work_mem"),
            "size": await connection.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))"),
        }
    finally:
        await connection.close()


def app_environment(admin_url: str, redis_url: str, database: str, prefix: str) -> tuple[dict[str, str], Path, int]:
    """The environment of an app served on a free loopback port over `database`, its var dir and the port.

    The bench process takes the same settings (a bench loads and reads through the app's code).
    """
    from hub.config import get_settings

    var_dir = Path(tempfile.mkdtemp(prefix=prefix))
    port = free_port()
    env = {**os.environ, "PIEUVRE_DATABASE_URL": admin_url.rsplit("/", 1)[0] + "/" + database,
           "PIEUVRE_REDIS_URL": redis_url, "PIEUVRE_VAR_DIR": str(var_dir),
           "PIEUVRE_BASE_URL": f"http://127.0.0.1:{port}",
           "PIEUVRE_SECRET_KEY": os.environ.get("PIEUVRE_SECRET_KEY", "bench-secret")}
    os.environ.update(env)
    get_settings.cache_clear()
    return env, var_dir, port


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(env: dict[str, str], port: int, processes: int, log_path: Path) -> subprocess.Popen:
    """The app served as `pieuvre serve` serves it (uvicorn, its options), ready to answer when this returns."""
    import httpx

    with log_path.open("wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "hub.app:create_app", "--factory",
                                   "--proxy-headers", "--host", "127.0.0.1", "--port", str(port),
                                   "--workers", str(processes)], env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the web server stopped at start:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{FLOOR_PATH}", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise RuntimeError(f"the web server did not answer {FLOOR_PATH} within 60 s:\n{log_path.read_text()[-3000:]}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def api_token(base_url: str, email: str, password: str) -> str:
    """An API token, from POST /api/v1/auth/token."""
    import httpx

    answer = httpx.post(f"{base_url}/api/v1/auth/token", json={"email": email, "password": password}, timeout=30)
    answer.raise_for_status()
    return answer.json()["token"]


def browser_session(base_url: str, email: str, password: str) -> str:
    """The session cookie of a browser logged in through the /login form, with its CSRF token."""
    import httpx

    from hub.deps import SESSION_COOKIE

    with httpx.Client(base_url=base_url, timeout=30) as client:
        form = client.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if match is None:
            raise RuntimeError("the login form has no csrf_token field: update hub/bench/common.py to the new form")
        answer = client.post("/login", data={"email": email, "password": password, "csrf_token": match.group(1),
                                             "next": "/"})
        if answer.status_code != 303 or SESSION_COOKIE not in client.cookies:
            raise RuntimeError(f"logging in as {email} through /login failed: {answer.status_code} "
                               f"{answer.text[:300]}")
        return client.cookies[SESSION_COOKIE]


Request = tuple[str, dict[str, str]]  # a GET: its path and headers


def measure(port: int, endpoints: dict[str, tuple[str, list[Request]]], clients: int, warmup: float, seconds: float,
            server_log: Path, log: Any) -> tuple[dict[str, dict[str, Any]], dict[str, list[float]]]:
    """Each endpoint in turn (name: the path shown, the requests drawn from at random), then its summary.

    Returns the summaries by name and the load average before and after.
    """
    load_average = {"before": [round(value, 2) for value in os.getloadavg()]}
    results = {}
    # The clients run in a process of their own, so they never share the server's event loop.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as clients_process:
        for name, (shown, requests) in endpoints.items():
            log(f"measuring {name}: {clients} clients, {warmup:g} s warm-up then {seconds:g} s")
            result = clients_process.submit(drive, port, requests, clients, warmup, seconds).result()
            results[name] = summary(shown, result)
            if result["errors"]:
                log(f"{name}: {len(result['errors'])} error(s); the server's log ends with:\n"
                    + "\n".join(server_log.read_text().splitlines()[-30:]))
    load_average["after"] = [round(value, 2) for value in os.getloadavg()]
    floor_p95 = results.get("floor", {}).get("p95_ms")
    for name, row in results.items():
        if name != "floor":
            row["p95_over_floor"] = round(row["p95_ms"] / floor_p95, 1) if row["p95_ms"] and floor_p95 else None
    return results, load_average


def drive(port: int, requests: list[Request], clients: int, warmup: float, seconds: float) -> dict[str, Any]:
    """In a process of its own: `clients` concurrent clients send random `requests` for warm-up + `seconds`.

    Returns the latencies of the requests started after the warm-up, and the errors among them.
    """
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_drive(port, requests, clients, warmup, seconds))


async def _drive(port: int, requests: list[Request], clients: int, warmup: float, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    raw = [(path, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n")
           for path, headers in requests]
    encoded = [(path, request.encode()) for path, request in raw]
    measured_from = time.perf_counter() + warmup
    end = measured_from + seconds

    async def one_client(seed: int) -> None:
        rng, connection = random.Random(seed), None
        while (started := time.perf_counter()) < end:
            path, request = rng.choice(encoded)
            try:
                connection = connection or await asyncio.open_connection("127.0.0.1", port)
                status, body, closes = await _exchange(*connection, request)
                failure = None if 200 <= status < 300 else f"{status} {path}: {body[:200].decode(errors='replace')}"
                if closes:
                    connection[1].close()
                    connection = None
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                failure, connection = f"{type(error).__name__} {path}: {error}", None
            if started >= measured_from:
                latencies.append(time.perf_counter() - started)
                if failure:
                    errors.append(failure)
        if connection:
            connection[1].close()

    await asyncio.gather(*(one_client(seed) for seed in range(clients)))
    return {"latencies": latencies, "errors": errors, "seconds": time.perf_counter() - measured_from}


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes,
                                                                                                         bool]:
    """One HTTP/1.1 request on a kept-alive connection: the status, the body, and whether the server closes it.

    A bare client rather than httpx: on a 2-core machine httpx spends ~5 ms per request and, not the
    server, bounds the floor.
    """
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(b":") for line in lines[1:])}
    if b"content-length" in fields:
        body = await reader.readexactly(int(fields[b"content-length"]))
    elif fields.get(b"transfer-encoding") == b"chunked":
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size + 2))
        await reader.readuntil(b"\r\n")
        body = b"".join(part[:-2] for part in parts)
    else:
        return status, await reader.read(), True
    return status, body, fields.get(b"connection") == b"close"


def summary(path: str, result: dict[str, Any]) -> dict[str, Any]:
    """Requests, requests per second, p50/p95/p99/max in ms and errors (with samples) of one endpoint."""
    latencies = sorted(result["latencies"])

    def percentile(share: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, math.ceil(share * len(latencies)) - 1)] * 1000, 1)

    row = {
        "path": path,
        "requests": len(latencies),
        "rps": round(len(latencies) / result["seconds"], 1),
        "p50_ms": percentile(0.50),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "max_ms": percentile(1.0),
        "errors": len(result["errors"]),
    }
    if result["errors"]:
        row["error_samples"] = result["errors"][:3]
    return row
