"""`pieuvre bench publish`: a storm of publications due at the same moment, sent by real worker
processes to the loopback stand-ins of Facebook, LinkedIn and X, against the minimum the
networks' concurrency caps allow.

Every call a publication makes to a stand-in answers after `latency` seconds. Each worker
process lets at most `network_cap(network)` publications of a network be in flight
(PIEUVRE_NETWORK_CONCURRENCY), so with P processes no schedule can send a network's N
publications faster than ceil(N / (cap × P)) rounds of `requests per publication × latency`:
that is the floor, for the slowest network. Goals (issue 8): the last post out within 1.3× the
floor after the moment they were due, lateness p95 under 60 s, zero duplicates.

The stand-ins live in tests/standins/ (they are test parts): this is a developer's benchmark,
run from a checkout with its tests, not from an installed package.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from hub.bench.common import fresh_database, machine

# A text post is one call on each network: Facebook's /{page}/feed, LinkedIn's /rest/posts, X's /2/tweets.
REQUESTS_PER_PUBLICATION = {"facebook": 1, "linkedin": 1, "x": 1}
# Operations of the stand-ins a publication may call (tests/standins/base.py): all of them answer late.
OPERATIONS = ("create", "upload", "status", "read")
# Workers are started with the storm due far ahead; once they are ready it is made due this soon.
DUE_AFTER_READY = timedelta(seconds=2)


def _reach_tests() -> None:
    """Make the checkout's tests package (stand-ins, the storm, worker processes) importable."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "tests" / "standins" / "storm.py").is_file():
        raise RuntimeError(f"`pieuvre bench publish` needs the stand-ins of tests/standins/, not found under {root}: "
                           "run it from a checkout of Pieuvre with its tests.")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far, in clock ticks (from /proc/stat)."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks) - idle, sum(ticks)


async def _start_workers(count: int, env: dict[str, str], logs: Path, start_worker: Any) -> list[Any]:
    """`count` worker processes, each logging to a file in `logs`, once they have started."""
    workers = [start_worker(env, logs / f"worker-{number}.log") for number in range(count)]
    deadline = time.monotonic() + 30
    for number, worker in enumerate(workers):
        log = logs / f"worker-{number}.log"
        while "Starting worker" not in (log.read_text() if log.exists() else ""):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"A worker did not start; its log: {log}")
            await asyncio.sleep(0.1)
    return workers


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def floor(publications: dict[str, int], caps: dict[str, int], processes: int, latency: float) -> dict[str, Any]:
    """The least time each network's publications can take under its cap, and the slowest network's."""
    networks = {}
    for network, count in publications.items():
        slots = caps[network] * processes
        rounds = math.ceil(count / slots)
        networks[network] = {"publications": count, "cap_per_process": caps[network], "slots": slots,
                             "requests_per_publication": REQUESTS_PER_PUBLICATION[network], "rounds": rounds,
                             "seconds": round(rounds * REQUESTS_PER_PUBLICATION[network] * latency, 3)}
    return {"seconds": max(item["seconds"] for item in networks.values()), "networks": networks}


async def _settled(database: Any, total: int, timeout: float) -> dict[str, int]:
    """Wait until no publication is scheduled, publishing or unconfirmed; the counts by status."""
    from hub.publishing.models import Publication

    deadline = time.monotonic() + timeout
    while True:
        async with database.session() as session:
            counts = dict((await session.execute(
                select(Publication.status, func.count()).group_by(Publication.status))).all())
        if sum(counts.get(status, 0) for status in ("published", "failed", "cancelled")) >= total:
            return counts
        if time.monotonic() > deadline:
            raise RuntimeError(f"The storm did not settle within {timeout:.0f} s: {counts}")
        await asyncio.sleep(0.1)


async def run(admin_url: str, redis_url: str, locations: int, processes: int, latency: float) -> dict[str, Any]:
    """Set up the storm (not timed), make it due, wait until it is sent; the report's numbers."""
    from hub.config import get_settings
    from hub.db import get_database, utcnow
    from hub.publishing.models import Publication
    from hub.queue import get_pool

    _reach_tests()
    from tests.standins import storm
    from tests.standins.observers import Requests
    from tests.workers.helpers import start_worker, stop_worker

    url = await fresh_database(admin_url, "pieuvre_bench_publish")
    standins = {network: standin_class() for network, standin_class in storm.NETWORKS.items()}
    requests = {network: Requests(standin, None, ".*") for network, standin in standins.items()}
    with contextlib.ExitStack() as stack:
        for standin in standins.values():
            standin.start()
            stack.callback(standin.stop)
            for operation in OPERATIONS:
                standin.inject("latency", operation, times=None, seconds=latency)
        env = {**os.environ, "PIEUVRE_DATABASE_URL": url, "PIEUVRE_REDIS_URL": redis_url,
               "PIEUVRE_VAR_DIR": tempfile.mkdtemp(prefix="pieuvre-bench-"),
               "PIEUVRE_SECRET_KEY": os.environ.get("PIEUVRE_SECRET_KEY", "bench-secret"),
               **{f"PIEUVRE_{network.upper()}_API_URL": standin.url for network, standin in standins.items()}}
        os.environ.update(env)
        get_settings.cache_clear()
        settings = get_settings()
        database = get_database(url)
        pool = await get_pool()
        await pool.flushdb()
        # Set up (not timed): due in an hour, so nothing goes out before the workers are ready.
        total = await storm.storm(database, settings, standins, locations, utcnow() + timedelta(hours=1))
        await pool.flushdb()  # the fan-out jobs the set-up queued: it ran them itself
        logs = Path(tempfile.mkdtemp(prefix="pieuvre-bench-publish-"))
        workers = await _start_workers(processes, env, logs, start_worker)
        try:
            load_before = os.getloadavg()
            due_at = utcnow() + DUE_AFTER_READY
            async with database.session() as session:
                await session.execute(update(Publication).values(due_at=due_at))
            cpu_before = [_cpu_seconds(worker.pid) for worker in workers]
            bench_before, machine_before = time.process_time(), _machine_busy()
            counts = await _settled(database, total, timeout=120 + 20 * total * latency / processes)
            cpu = sum(_cpu_seconds(worker.pid) - before for worker, before in zip(workers, cpu_before))
            bench_cpu = time.process_time() - bench_before
            machine_after = _machine_busy()
            load_after = os.getloadavg()
        finally:
            for worker in workers:
                stop_worker(worker)
        async with database.session() as session:
            rows = (await session.execute(select(Publication.network, Publication.published_at)
                                          .where(Publication.status == "published"))).all()
    caps = {network: settings.network_cap(network) for network in standins}
    per_network = {network: sum(1 for row in rows if row.network == network) for network in standins}
    minimum = floor({network: locations for network in standins}, caps, processes, latency)
    lateness = [(row.published_at - due_at).total_seconds() for row in rows]
    makespan = max(lateness) if lateness else float("nan")
    return {
        "benchmark": "publish",
        "machine": machine(),
        "load_average": {"before": [round(value, 2) for value in load_before],
                         "after": [round(value, 2) for value in load_after]},
        "machine_busy_share": round((machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1]),
                                    3),
        "database": "postgresql",
        "locations": locations,
        "networks": list(standins),
        "publications": total,
        "processes": processes,
        "latency_s": latency,
        "caps": caps,
        "outcome": counts,
        "floor": {"what": "per network ceil(publications / (cap × processes)) × requests × latency; the slowest",
                  **minimum},
        "pieuvre": {"what": "real worker processes: dispatch, claim, send; from the moment due to the last published",
                    "seconds": round(makespan, 3),
                    "first_published_s": round(min(lateness), 3) if lateness else None,
                    "last_published_s": {network: round(max((row.published_at - due_at).total_seconds()
                                                            for row in rows if row.network == network), 3)
                                         for network in standins if per_network[network]}},
        "cpu_ms_per_publication": {
            "workers": round(cpu / total * 1000, 2),
            "stand_ins_and_bench": round(bench_cpu / total * 1000, 2)},
        "worker_logs": str(logs),
        "ratio": round(makespan / minimum["seconds"], 3),
        "goal_ratio": "<= 1.3",
        "lateness_s": {"p50": round(_percentile(lateness, 0.5), 3), "p95": round(_percentile(lateness, 0.95), 3),
                       "max": round(makespan, 3)} if lateness else None,
        "goal_lateness_p95_s": "< 60",
        "posts": {network: len(standin.all_posts()) for network, standin in standins.items()},
        "published": per_network,
        "duplicates": storm.duplicates(standins),
        "goal_duplicates": 0,
        "requests": {network: observed.total for network, observed in requests.items()},
        "max_in_flight": {network: observed.most for network, observed in requests.items()},
        "cap_in_flight": {network: caps[network] * processes for network in standins},
    }
