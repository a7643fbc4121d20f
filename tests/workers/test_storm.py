"""The storm: 500 locations × 3 networks due in the same minute, faults injected on every
network, and the worker killed with SIGKILL in the middle of it.

At the end every publication is `published` or `failed` with a reason, each stand-in holds
exactly one post per published publication (zero duplicates), and none is lost.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hub.brands.service import create_brand
from hub.db import utcnow
from hub.locations.models import Location
from hub.locations.schemas import LocationCreate
from hub.locations.service import create_location
from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from hub.publishing.models import Publication
from hub.publishing.service import connect_account
from tests.standins.facebook import FacebookStandIn
from tests.standins.linkedin import LinkedInStandIn
from tests.standins.x import XStandIn

ROOT = Path(__file__).resolve().parents[2]
LOCATIONS = int(os.environ.get("PIEUVRE_STORM_LOCATIONS", "500"))
NETWORKS = {"facebook": FacebookStandIn, "linkedin": LinkedInStandIn, "x": XStandIn}
SETTLED = ("published", "failed")


def _tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as output:
        return subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], cwd=ROOT, env=env, stdout=output,
                                stderr=subprocess.STDOUT)


async def _counts(database) -> dict[str, int]:
    async with database.session() as session:
        rows = await session.execute(select(Publication.status, func.count()).group_by(Publication.status))
    return dict(rows.all())


async def _stuck(database) -> str:
    """What is not settled yet and why (for a failing run's message)."""
    async with database.session() as session:
        rows = await session.execute(select(Publication.network, Publication.status, Publication.attempt,
                                            Publication.error).where(Publication.status != "published").limit(15))
    return "\n".join(str(tuple(row)) for row in rows)


async def _network(database, settings, standins) -> str:
    """A brand with LOCATIONS locations, each with an account on every stand-in; the HQ e-mail."""
    async with database.session() as session:
        brand, _ = await create_brand(session, "Storm", "hq@storm.test", "correct horse battery")
        for index in range(LOCATIONS):
            location = await create_location(session, brand.id, LocationCreate(
                code=f"S{index:04d}", name=f"Storm {index}", region="north", country="FR", locale="fr-FR",
                timezone="Europe/Paris", variables={"city": f"Ville{index}", "phone": f"+33 1 00 00 {index % 100:02d}"},
            ))
            for network, standin in standins.items():
                external_id = f"{1000 + index}"
                # A Facebook Page with its Page token; LinkedIn and X user tokens holding every scope.
                token = standin.add_page(external_id) if network == "facebook" else standin.issue_token(external_id)
                await connect_account(session, settings, location, network=network, external_id=external_id,
                                      access_token=token.value)
    return "hq@storm.test"


async def test_a_storm_with_faults_and_a_killed_worker_publishes_each_post_exactly_once(database, settings, client_as):
    with FacebookStandIn() as facebook, LinkedInStandIn() as linkedin, XStandIn() as x:
        standins = {"facebook": facebook, "linkedin": linkedin, "x": x}
        hq_email = await _network(database, settings, standins)
        hq = await client_as(hq_email, "correct horse battery")
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "Storm", "approval_policy": "auto_publish"})).json()
        post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": "Portes ouvertes à {city} ce samedi : passez nous voir, appelez le {phone}.",
            "networks": list(NETWORKS), "publish_at": utcnow().isoformat(),
        })).json()
        assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})).status_code == 202
        async with database.session() as session:
            chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
        for chunk_id in chunk_ids:
            async with database.session() as session:
                await fan_out_chunk(session, chunk_id)
        total = LOCATIONS * len(NETWORKS)
        assert await _counts(database) == {"scheduled": total}

        # Faults on every network's create call: 5xx (nothing created), lost answers (created,
        # answer never arrives), throttling with the network's own retry headers, slow answers.
        for network, standin in standins.items():
            standin.inject("server_error", times=None, probability=0.04)
            standin.inject("lost_response", times=None, probability=0.03, seconds=2.5)
            standin.inject("latency", times=None, probability=0.05, seconds=0.3)
            if network != "linkedin":
                # LinkedIn's 429 carries no retry header: its posts wait for midnight UTC, past the
                # test's end (tests/connectors/test_linkedin.py covers that wait).
                standin.inject("rate_limit", times=None, probability=0.02, retry_after=3)

        env = {**os.environ,
               **{f"PIEUVRE_{name.upper()}_API_URL": standin.url for name, standin in standins.items()},
               "PIEUVRE_NETWORK_TIMEOUT_SECONDS": "1", "PIEUVRE_PUBLISH_STUCK_AFTER": "15s",
               "PIEUVRE_PUBLISH_BACKOFF_SECONDS": "1", "PIEUVRE_PUBLISH_MAX_ATTEMPTS": "8",
               "PIEUVRE_STATS_OFFSETS": "7d"}
        log = Path(tempfile.mkdtemp(prefix="pieuvre-storm-")) / "worker.log"
        worker = _start_worker(env, log)
        try:
            # Kill the worker with SIGKILL once about a third is out: jobs in flight die with it.
            deadline = time.monotonic() + 300
            while (await _counts(database)).get("published", 0) < total // 3:
                assert worker.poll() is None, _tail(log)
                assert time.monotonic() < deadline, f"too slow: {await _counts(database)}\n{await _stuck(database)}\n{_tail(log, 20)}"
                await asyncio.sleep(0.2)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            killed_at = await _counts(database)
            worker = _start_worker(env, log)
            deadline = time.monotonic() + 420
            while True:
                counts = await _counts(database)
                if set(counts) <= set(SETTLED):
                    break
                assert worker.poll() is None, _tail(log)
                assert time.monotonic() < deadline, f"not settled: {counts} (at the kill: {killed_at})\n{await _stuck(database)}\n{_tail(log, 20)}"
                await asyncio.sleep(1)
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()

        async with database.session() as session:
            publications = list(await session.scalars(select(Publication)))
            codes = dict((await session.execute(select(Location.id, Location.code))).all())
        assert len(publications) == total  # none lost
        failed = [p for p in publications if p.status == "failed"]
        assert all(p.error for p in failed), "every failure says why"
        published = [p for p in publications if p.status == "published"]
        assert len(published) + len(failed) == total
        for network, standin in standins.items():
            posts = standin.all_posts()
            mine = [p for p in published if p.network == network]
            # Exactly one post per published publication: nothing twice, nothing extra.
            per_account = collections.Counter(post.account for post in posts)
            assert [account for account, count in per_account.items() if count > 1] == [], f"duplicates on {network}"
            assert len(posts) == len(mine), f"{network}: {len(posts)} posts for {len(mine)} published"
            by_id = {post.id: post for post in posts}
            for publication in mine:
                assert publication.external_id, publication.id
                stored = next((post for key, post in by_id.items() if publication.external_id.endswith(key)), None)
                assert stored is not None, f"{network} has no post {publication.external_id}"
                index = int(codes[publication.location_id][1:])
                assert stored.account == f"{1000 + index}" and f"Ville{index} " in stored.text
        # The faults did happen: the storm was a storm.
        assert killed_at.get("published", 0) < total
        assert len(published) >= total * 0.95, f"too many failures: {[p.error for p in failed][:5]}"
