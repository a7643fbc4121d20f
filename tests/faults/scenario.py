"""What the fault tests share: a brand with many locations, its posts, worker processes, and
waiting for a state of the database (never for a fixed time)."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from hub.brands.service import create_brand
from hub.locations.models import Location
from hub.proposals.models import Distribution, DistributionChunk, Proposal
from hub.publishing.models import Publication
from hub.publishing.service import connect_account
from tests.factories import PASSWORD
from tests.workers.helpers import start_worker, stop_worker, tail


class Workers:
    """The `pieuvre worker` processes of one test, writing to one log; all stopped at its end."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.log = folder / "workers.log"
        self.processes: list[subprocess.Popen] = []

    def start(self, count: int = 1, **env: str) -> None:
        for _ in range(count):
            self.processes.append(start_worker({**self.env, **env}, self.log))

    def kill(self) -> None:
        """SIGKILL every worker: the jobs they were running die with them, mid-way."""
        for process in self.processes:
            os.kill(process.pid, signal.SIGKILL)
        for process in self.processes:
            process.wait()
        self.processes = []

    def check(self) -> None:
        """Fail at once, with the log's end, when a worker stopped on its own."""
        for process in self.processes:
            assert process.poll() is None, f"a worker stopped (exit {process.returncode}):\n{tail(self.log)}"

    def stop(self) -> None:
        for process in self.processes:
            stop_worker(process)
        self.processes = []


async def until(check: Callable[[], Awaitable[Any]], *, within: float, why: Callable[[], Awaitable[str]],
                workers: Workers | None = None, every: float = 0.2) -> Any:
    """Poll `check` until it returns something truthy, and return that; after `within` seconds fail
    with what `why` says of the state then (and the workers' log)."""
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found:
            return found
        if workers is not None:
            workers.check()
        if time.monotonic() > deadline:
            log = tail(workers.log, 25) if workers is not None else ""
            raise AssertionError(f"not reached within {within:.0f} s: {await why()}\n{log}")
        await asyncio.sleep(every)


async def brand_with_locations(database, client_as, count: int, slug: str = "faults") -> httpx.AsyncClient:
    """A brand with `count` locations (imported as HQ does, from a CSV); its HQ admin's API client."""
    async with database.session() as session:
        await create_brand(session, f"Brand {slug}", f"hq@{slug}.test", PASSWORD)
    hq = await client_as(f"hq@{slug}.test", PASSWORD)
    lines = ["code,name,country,locale,timezone,city"]
    lines += [f"L{index:05d},Store {index},FR,fr-FR,Europe/Paris,Ville{index}" for index in range(count)]
    response = await hq.post("/api/v1/locations/import", content="\n".join(lines).encode(),
                             headers={"Content-Type": "text/csv"})
    assert response.status_code == 200 and response.json()["created"] == count, response.text
    return hq


async def new_post(hq: httpx.AsyncClient, body: str, networks: list[str], policy: str = "approval_required",
                   **fields: Any) -> dict[str, Any]:
    """A post of a new campaign with this approval policy, as the API shows it."""
    campaign = (await hq.post("/api/v1/campaigns", json={"name": body[:40], "approval_policy": policy})).json()
    response = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                             json={"body": body, "networks": networks, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def distribute(hq: httpx.AsyncClient, post_id: str, location_ids: list[str] | None = None) -> str:
    """Send the post to these locations (default: all; the fan-out jobs are queued); the distribution's id."""
    response = await hq.post(f"/api/v1/posts/{post_id}/distribute",
                             json={"location_ids": location_ids} if location_ids else {})
    assert response.status_code == 202, response.text
    return response.json()["distribution_id"]


async def fan_out_state(database, distribution_id: str) -> dict[str, Any]:
    """Where a fan-out stands: its status and counters, its chunks done, its proposals (and distinct locations)."""
    async with database.session() as session:
        distribution = await session.get(Distribution, distribution_id, populate_existing=True)
        chunks = dict((await session.execute(
            select(DistributionChunk.status, func.count()).where(DistributionChunk.distribution_id == distribution_id)
            .group_by(DistributionChunk.status))).all())
        proposals, locations = (await session.execute(
            select(func.count(), func.count(func.distinct(Proposal.location_id)))
            .where(Proposal.distribution_id == distribution_id))).one()
    return {"status": distribution.status, "done": distribution.done, "failed": distribution.failed,
            "chunks_done": chunks.get("done", 0), "chunks_pending": chunks.get("pending", 0),
            "proposals": proposals, "locations": locations}


async def publication_counts(database) -> dict[str, int]:
    """How many publications are in each status."""
    async with database.session() as session:
        rows = await session.execute(select(Publication.status, func.count()).group_by(Publication.status))
    return dict(rows.all())


async def connect_x_accounts(database, settings, x, count: int) -> dict[str, str]:
    """An X account (a user of the X stand-in, with its token) on each of the first `count` locations;
    the X user of each of those locations."""
    users = {}
    async with database.session() as session:
        for index, location in enumerate(await session.scalars(select(Location).order_by(Location.code).limit(count))):
            user = f"{1000 + index}"
            await connect_account(session, settings, location, network="x", external_id=user,
                                  access_token=x.issue_token(user).value)
            users[location.id] = user
    return users


async def approve_all(hq: httpx.AsyncClient, post: dict[str, Any]) -> list[str]:
    """HQ approves every proposal of the post at once (they go out at its time); the ids approved."""
    proposals = (await hq.get("/api/v1/proposals", params={"campaign_id": post["campaign_id"], "limit": 1000})).json()
    response = await hq.post("/api/v1/proposals/bulk-approve", json={"ids": [p["id"] for p in proposals]})
    assert response.status_code == 200, response.text
    return response.json()["approved"]


def posts_by_account(posts) -> dict[str, int]:
    """How many posts a stand-in holds on each account."""
    return dict(collections.Counter(post.account for post in posts))


def queued_jobs(redis_client, prefix: str) -> int:
    """How many jobs whose id starts with `prefix` wait in arq's queue."""
    return sum(1 for job_id in redis_client.zrange("arq:queue", 0, -1) if job_id.decode().startswith(prefix))
