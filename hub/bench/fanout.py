"""`pieuvre bench fanout`: one post to N locations, from the API call to the distribution's `done`.

The post has franchise variables ({city}, {address}, {phone}), per-network variants, a German
translation, a local publish time and a branded image whose texts use variables; the brand kit has
tone rules, a signature and a glossary, so the linter has real work. Locations are mostly fr-FR, with
fr-BE (falls back to French), de-DE (HQ's translation) and it-IT (no translation: waits for one);
one in ten publishes automatically and has an account on each network; one in fifty has no phone.

Timed: `POST /api/v1/posts/{id}/distribute` through the app (in-process ASGI client), then the
worker processes' jobs, until the distribution is `done` (texts filled in and linted, image
specifications ready, publications of the automatic ones scheduled). Checked afterwards: every
location has its proposal, and a local manager sees theirs through `GET /api/v1/proposals`.

The floor is a bulk insert, with SQLAlchemy Core on one connection, of the very rows the fan-out
wrote (proposals and publications: same columns, same sizes), into the same tables and indexes.
Both sides are also counted in CPU seconds (the workers and their PostgreSQL backends; the floor's
client and backend): on a machine others use too, that ratio moves less than the wall-clock one.
`--compare-processes` runs it with one worker process, then two, and prints the second's gain.
Goal (issue 8): ≤ 2 s for 10,000 locations (≥ 5,000 proposals/s), ≤ 25 s for 100,000, worker
memory under 300 MB; a second worker process adds ≥ 60 % throughput.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import func, insert, select, text

from hub.bench.common import fresh_database, machine, stop_workers

NETWORKS = ("facebook", "instagram", "linkedin", "x", "google_business")
PASSWORD = "bench-password-123"
HQ_EMAIL = "hq@bench-fanout.test"
LOCAL_EMAIL = "local@bench-fanout.test"

BODY = ("Le printemps arrive chez VéloLumière {city} ! Venez essayer nos vélos électriques au {address}, "
        "ou appelez-nous au {phone} pour réserver votre essai. #velo #printemps")
VARIANTS = {
    "instagram": "Le printemps arrive chez VéloLumière {city} ! Essais gratuits au {address}, lien en bio. "
                 "#velo #printemps",
    "x": "Le printemps arrive à {city} ! Essais gratuits au {address}. #velo",
    "google_business": "Le printemps arrive chez VéloLumière {city} : essais gratuits au {address}.",
}
GERMAN = {
    "body": "Der Frühling kommt zu VéloLumière {city}! Testen Sie unsere E-Bikes in {address} oder rufen "
            "Sie uns an: {phone}. #velo #fruehling",
    "variants": {
        "instagram": "Der Frühling kommt zu VéloLumière {city}! Probefahrten in {address}, Link in der Bio. "
                     "#velo #printemps",
        "x": "Der Frühling kommt nach {city}! Probefahrten in {address}. #velo",
        "google_business": "Der Frühling kommt zu VéloLumière {city}: Probefahrten in {address}.",
    },
}
IMAGE_TEXTS = {"headline": "Le printemps à {city}", "subline": "{address}", "cta": "Réservez au {phone}"}
# (locale, time zone) of every 100 locations: 90 French, 5 Belgian, 4 German, 1 Italian.
LOCALES = [("fr-FR", "Europe/Paris")] * 90 + [("fr-BE", "Europe/Brussels")] * 5 + \
          [("de-DE", "Europe/Berlin")] * 4 + [("it-IT", "Europe/Rome")]


def _kit(logo_id: str):
    from hub.brandkit.schemas import BrandKitData

    return BrandKitData.model_validate({
        "logo_media_id": logo_id,
        "editable_zones": ["headline", "subline", "cta"],
        "tone": {
            "banned_terms": [{"term": "pas cher", "replacement": "abordable"}, {"term": "gratos"}],
            "required_mentions": [{"text": "#printemps", "networks": ["instagram"]}],
            "max_hashtags": 4, "max_emoji": 3, "max_exclamation_marks": 2, "max_caps_words": 2,
            "formality": {"fr": "vous", "de": "Sie"},
            "signature": {"text": "— L'équipe VéloLumière", "networks": ["facebook", "linkedin"]},
        },
        "glossary": [{"term": "VéloLumière", "locale_rules": {"*": {"mode": "keep"}}},
                     {"term": "vélos électriques", "locale_rules": {"de": {"mode": "translate",
                                                                          "translation": "E-Bikes"}}}],
    })


async def _insert_locations(session, brand_id: str, count: int, networks: tuple[str, ...]) -> list[str]:
    """`count` locations (and the accounts of the automatic ones) with Core inserts: setup, not measured."""
    from hub.db import new_id, utcnow
    from hub.locations.models import Location
    from hub.publishing.models import SocialAccount

    now = utcnow()
    ids = [new_id() for _ in range(count)]
    rows = []
    accounts = []
    for index, location_id in enumerate(ids):
        locale, zone = LOCALES[index % len(LOCALES)]
        variables = {"city": f"Ville {index}", "address": f"{index % 200 + 1} rue de la République"}
        if index % 50 != 7:  # one in fifty has no phone: its proposal is blocked until it is given
            variables["phone"] = f"+33 4 {index % 100:02d} {index // 100 % 100:02d} {index % 97:02d} 00"
        automatic = index % 10 == 3
        rows.append({"id": location_id, "brand_id": brand_id, "code": f"L{index:06d}", "name": f"Store {index}",
                     "kind": "store", "region": f"Region {index % 20}", "country": locale[-2:], "locale": locale,
                     "timezone": zone, "variables": variables, "tags": [],
                     "approval_policy": "auto_publish" if automatic else None, "created_at": now})
        if automatic:
            accounts += [{"id": new_id(), "brand_id": brand_id, "location_id": location_id, "network": network,
                          "connector": "sandbox", "external_id": f"{network}-{index}", "display_name": f"Store {index}",
                          "status": "active", "created_at": now} for network in networks]
    for start in range(0, len(rows), 5000):
        await session.execute(insert(Location), rows[start:start + 5000])
    for start in range(0, len(accounts), 5000):
        await session.execute(insert(SocialAccount), accounts[start:start + 5000])
    return ids


async def _setup(url: str, locations: int, networks: tuple[str, ...]) -> dict[str, Any]:
    """The brand, its kit, photo and logo, N locations, one local manager, one campaign (not timed)."""
    from hub.accounts import service as accounts
    from hub.accounts.service import actor_for
    from hub.brandkit.service import put_kit
    from hub.brands.service import create_brand
    from hub.campaigns.schemas import CampaignCreate
    from hub.campaigns.service import create_campaign
    from hub.config import get_settings
    from hub.db import get_database, utcnow
    from hub.media.samples import logo_png, photo_png
    from hub.media.service import upload_media
    from hub.media.storage import get_storage

    settings = get_settings()
    database = get_database(url)
    storage = get_storage(settings)
    async with database.session() as session:
        brand, admin = await create_brand(session, "VéloLumière", HQ_EMAIL, PASSWORD)
        actor = await actor_for(session, admin, "fr")
        photo = await upload_media(session, storage, settings, actor, photo_png(), "photo.png")
        logo = await upload_media(session, storage, settings, actor, logo_png(), "logo.png")
        await put_kit(session, actor, _kit(logo.id))
        location_ids = await _insert_locations(session, brand.id, locations, networks)
        local = await accounts.create_user(session, email=LOCAL_EMAIL, password=PASSWORD)
        await accounts.add_membership(session, local, brand.id, "local_manager", [location_ids[0]])
        campaign = await create_campaign(session, actor, CampaignCreate(
            name="Printemps", approval_policy="opt_out", decision_deadline=utcnow() + timedelta(days=7)))
        return {"brand_id": brand.id, "campaign_id": campaign.id, "photo_id": photo.id,
                "local_location_id": location_ids[0]}


def _post_payload(setup: dict[str, Any], networks: tuple[str, ...]) -> dict[str, Any]:
    from hub.db import utcnow

    publish_local = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT10:00")
    return {
        "body": BODY, "networks": list(networks), "media_id": setup["photo_id"], "image_texts": IMAGE_TEXTS,
        "variants": {network: text for network, text in VARIANTS.items() if network in networks},
        "publish_at_local": publish_local, "source_locale": "fr-FR",
        "translations": {"de-DE": {"body": GERMAN["body"], "variants": {
            network: text for network, text in GERMAN["variants"].items() if network in networks}}},
    }


class _Watch:
    """The highest resident memory of each of some processes, sampled every 20 ms in a thread, and the CPU
    seconds each used while watched (on a shared machine, what the run itself cost)."""

    def __init__(self, pids: list[int]) -> None:
        self.processes = [psutil.Process(pid) for pid in pids]
        self.peaks = [process.memory_info().rss for process in self.processes]
        self.at_start = list(self.peaks)
        self.cpu = [_cpu_seconds(process) for process in self.processes]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            for index, process in enumerate(self.processes):
                try:
                    self.peaks[index] = max(self.peaks[index], process.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass

    def __enter__(self) -> _Watch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = [_cpu_seconds(process) - before for process, before in zip(self.processes, self.cpu)]


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _start_workers(count: int, env: dict[str, str], log_dir: str) -> list[subprocess.Popen]:
    """`count` `pieuvre worker` processes logging to files in `log_dir` (a pipe nobody reads would stall a
    worker once 64 KB of its job log are written), ready when this returns."""
    processes = []
    for index in range(count):
        with open(Path(log_dir) / f"worker-{index}.log", "w") as log:
            processes.append(subprocess.Popen([sys.executable, "-m", "hub.cli", "worker"], env=env,
                                              stdout=subprocess.DEVNULL, stderr=log))
    deadline = time.monotonic() + 30
    for index, process in enumerate(processes):
        # Ready once it logged its start (imports done, Redis connected).
        while "Starting worker" not in _log_tail(log_dir, index):
            if process.poll() is not None or time.monotonic() > deadline:
                stop_workers(processes)
                raise RuntimeError(f"a worker did not start: {_log_tail(log_dir, index)}")
            time.sleep(0.05)
    time.sleep(0.3)  # its first poll
    return processes


def _log_tail(log_dir: str, index: int) -> str:
    return (Path(log_dir) / f"worker-{index}.log").read_text()[-3000:]


async def _database_cpu(database) -> dict[int, float]:
    """CPU seconds used so far by each PostgreSQL backend serving this database (same machine)."""
    async with database.engine.connect() as connection:
        pids = list(await connection.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))
    used = {}
    for pid in pids:
        try:
            used[pid] = _cpu_seconds(psutil.Process(pid))
        except psutil.Error:
            pass
    return used


async def _token(client, email: str) -> str:
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


async def _fan_out(url: str, app, setup: dict[str, Any], locations: int, networks: tuple[str, ...], processes: int,
                   env: dict[str, str]) -> dict[str, Any]:
    """One timed distribution of a new post with `processes` workers: seconds, peak memory, its ids."""
    import httpx

    from hub.db import get_database
    from hub.proposals.models import Distribution

    database = get_database(url)
    log_dir = tempfile.mkdtemp(prefix="pieuvre-bench-fanout-logs-")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        client.headers["Authorization"] = f"Bearer {await _token(client, HQ_EMAIL)}"
        response = await client.post(f"/api/v1/campaigns/{setup['campaign_id']}/posts",
                                     json=_post_payload(setup, networks))
        assert response.status_code in (200, 201), response.text
        post_id = response.json()["id"]
        workers = _start_workers(processes, env, log_dir)
        try:
            database_before = await _database_cpu(database)
            with _Watch([worker.pid for worker in workers]) as watch:
                started = time.perf_counter()
                response = await client.post(f"/api/v1/posts/{post_id}/distribute", json={})
                assert response.status_code == 202, response.text
                distribution_id = response.json()["distribution_id"]
                accepted = time.perf_counter() - started
                deadline = time.monotonic() + 120 + locations / 20
                while True:
                    async with database.session() as session:
                        distribution = (await session.execute(select(Distribution.status, Distribution.done)
                                                              .where(Distribution.id == distribution_id))).one()
                    if distribution.status == "done":
                        break
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"the distribution is not done ({distribution.done} of {locations} "
                                           f"locations): see the workers' logs in {log_dir}")
                    await asyncio.sleep(0.01)
                seconds = time.perf_counter() - started
            database_after = await _database_cpu(database)
        finally:
            stop_workers(workers)
    return {"post_id": post_id, "distribution_id": distribution_id, "seconds": seconds, "api_seconds": accepted,
            "worker_rss_start_mb": [round(rss / 2**20, 1) for rss in watch.at_start],
            "worker_rss_peak_mb": [round(rss / 2**20, 1) for rss in watch.peaks],
            "worker_cpu_seconds": [round(cpu, 2) for cpu in watch.cpu], "log_dir": log_dir,
            "database_cpu_seconds": round(sum(cpu - database_before.get(pid, 0)
                                              for pid, cpu in database_after.items()), 2)}


async def _check(url: str, app, setup: dict[str, Any], run: dict[str, Any], locations: int,
                 networks: tuple[str, ...]) -> dict[str, Any]:
    """Every location has its proposal (SQL), the local manager sees theirs (API), with texts and image filled."""
    import httpx

    from hub.config import get_settings
    from hub.db import get_database
    from hub.locations.models import Location
    from hub.media.service import image_context
    from hub.media.storage import get_storage
    from hub.proposals.models import Proposal
    from hub.proposals.service import revision_of
    from hub.publishing.models import Publication

    database = get_database(url)
    async with database.session() as session:
        without = await session.scalar(select(func.count()).select_from(Location).where(
            Location.brand_id == setup["brand_id"],
            ~Location.id.in_(select(Proposal.location_id).where(Proposal.post_id == run["post_id"]))))
        statuses = dict((await session.execute(select(Proposal.status, func.count())
                                               .where(Proposal.post_id == run["post_id"])
                                               .group_by(Proposal.status))).all())
        blocked = await session.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.post_id == run["post_id"], Proposal.blocked.is_(True)))
        publications = await session.scalar(select(func.count()).select_from(Publication).join(
            Proposal, Proposal.id == Publication.proposal_id).where(Proposal.post_id == run["post_id"]))
    if without or sum(statuses.values()) != locations:
        raise AssertionError(f"{without} location(s) without a proposal; proposals by status: {statuses}")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        client.headers["Authorization"] = f"Bearer {await _token(client, LOCAL_EMAIL)}"
        inbox = (await client.get("/api/v1/proposals", params={"campaign_id": setup["campaign_id"]})).json()
    mine = [item for item in inbox if item["post_id"] == run["post_id"]]
    if len(mine) != 1 or set(mine[0]["texts"]) != set(networks) or "Ville 0" not in mine[0]["texts"]["facebook"]:
        raise AssertionError(f"the local manager's inbox does not show their proposal filled in: {inbox}")
    async with database.session() as session:
        proposal = await session.get(Proposal, mine[0]["id"])
        location = await session.get(Location, proposal.location_id)
        context = await image_context(session, get_storage(get_settings()), proposal.brand_id,
                                      (await revision_of(session, proposal)).image)
        headline = context.job(location, networks[0], proposal.image_texts).inputs.texts["headline"]
    if headline != "Le printemps à Ville 0":
        raise AssertionError(f"the image's headline is not filled in: {headline!r}")
    return {"proposals_by_status": statuses, "blocked": blocked, "publications": publications,
            "local_inbox": len(mine), "image_headline": headline}


async def _floor(url: str, post_id: str) -> dict[str, float]:
    """Seconds to bulk-insert the run's own proposal and publication rows again, with Core, in one transaction,
    and the CPU seconds it took here and in its database backend."""
    from hub.db import get_database
    from hub.proposals.models import Proposal
    from hub.publishing.models import Publication

    database = get_database(url)
    proposals_table, publications_table = Proposal.__table__, Publication.__table__
    mine = select(proposals_table.c.id).where(proposals_table.c.post_id == post_id)
    async with database.engine.connect() as connection:
        proposals = [dict(row._mapping) for row in await connection.execute(
            select(proposals_table).where(proposals_table.c.post_id == post_id))]
        publications = [dict(row._mapping) for row in await connection.execute(
            select(publications_table).where(publications_table.c.proposal_id.in_(mine)))]
        # The same starting point as the fan-out's: empty tables (their indexes included).
        await connection.execute(text("TRUNCATE publications, proposals CASCADE"))
        backend = psutil.Process(await connection.scalar(text("SELECT pg_backend_pid()")))
        await connection.commit()
        backend_before, client_before = _cpu_seconds(backend), time.process_time()
        started = time.perf_counter()
        async with connection.begin():
            await connection.execute(insert(proposals_table), proposals)
            if publications:
                await connection.execute(insert(publications_table), publications)
        return {"seconds": time.perf_counter() - started, "client_cpu_seconds": time.process_time() - client_before,
                "database_cpu_seconds": _cpu_seconds(backend) - backend_before}


async def _clear(url: str) -> None:
    """Forget the proposals and distributions of earlier runs, so each run starts from the same tables."""
    from hub.db import get_database

    async with get_database(url).engine.begin() as connection:
        await connection.execute(text("TRUNCATE publications, proposals, distribution_chunks, distributions CASCADE"))


async def run(admin_url: str, redis_url: str, locations: int, network_count: int, processes_list: list[int],
              log=lambda message: None) -> dict[str, Any]:
    """Set up once, then one timed fan-out (and its floor) per entry of `processes_list`."""
    if not 1 <= network_count <= len(NETWORKS):
        raise ValueError(f"--networks is 1 to {len(NETWORKS)} ({', '.join(NETWORKS)})")
    networks = NETWORKS[:network_count]
    var_dir = tempfile.mkdtemp(prefix="pieuvre-bench-fanout-")
    url = await fresh_database(admin_url, "pieuvre_bench_fanout")
    env = {**os.environ, "PIEUVRE_DATABASE_URL": url, "PIEUVRE_REDIS_URL": redis_url, "PIEUVRE_VAR_DIR": var_dir,
           "PIEUVRE_SECRET_KEY": os.environ.get("PIEUVRE_SECRET_KEY", "bench-secret")}
    os.environ.update(env)
    from hub.app import create_app
    from hub.config import get_settings
    from hub.db import get_database
    from hub.queue import get_pool

    get_settings.cache_clear()
    await (await get_pool()).flushdb()
    async with get_database(url).engine.connect() as connection:
        server = await connection.scalar(text("SHOW server_version"))
    started = time.perf_counter()
    setup = await _setup(url, locations, networks)
    log(f"set up {locations} locations in {time.perf_counter() - started:.1f} s")
    app = create_app(get_settings())
    runs = []
    for number, processes in enumerate(processes_list):
        if number:
            await _clear(url)
        load = os.getloadavg()[0]
        result = await _fan_out(url, app, setup, locations, networks, processes, env)
        checked = await _check(url, app, setup, result, locations, networks)
        floor = await _floor(url, result["post_id"])
        log(f"{processes} process(es): {result['seconds']:.2f} s, floor {floor['seconds']:.2f} s")
        cpu = sum(result["worker_cpu_seconds"]) + result["database_cpu_seconds"]
        floor_cpu = floor["client_cpu_seconds"] + floor["database_cpu_seconds"]
        runs.append({
            "processes": processes, "seconds": round(result["seconds"], 3),
            "api_call_seconds": round(result["api_seconds"], 3),
            "proposals_per_s": round(locations / result["seconds"], 1),
            "floor": {"what": "Core bulk insert of the same proposal and publication rows, one transaction",
                      "seconds": round(floor["seconds"], 3), "proposals_per_s": round(locations / floor["seconds"], 1),
                      "client_cpu_seconds": round(floor["client_cpu_seconds"], 2),
                      "database_cpu_seconds": round(floor["database_cpu_seconds"], 2)},
            "ratio": round(result["seconds"] / floor["seconds"], 2),
            # CPU seconds spent (workers and their database backends, against the floor's client and backend):
            # on a shared machine, steadier than the wall-clock ratio.
            "cpu_seconds": round(cpu, 2), "cpu_ratio": round(cpu / floor_cpu, 2),
            "cores_used": round(cpu / result["seconds"], 2),  # well under the cores: others had the machine
            "worker_rss_start_mb": result["worker_rss_start_mb"], "worker_rss_peak_mb": result["worker_rss_peak_mb"],
            "worker_cpu_seconds": result["worker_cpu_seconds"], "database_cpu_seconds": result["database_cpu_seconds"],
            "load_average_1m_before": round(load, 2), "load_average_1m_after": round(os.getloadavg()[0], 2),
            "checked": checked, "worker_logs": result["log_dir"],
        })
    report: dict[str, Any] = {
        "benchmark": "fanout", "machine": machine(), "database": f"postgresql {server}", "locations": locations,
        "networks": list(networks), "chunk_size": get_settings().fanout_chunk_size,
        "goal": "<= 2 s for 10,000 (>= 5,000 proposals/s), <= 25 s for 100,000; worker RSS < 300 MB; "
                "a second process adds >= 60 %",
        "runs": runs,
    }
    by_processes = {item["processes"]: item for item in runs}
    if 1 in by_processes and 2 in by_processes:
        gain = by_processes[2]["proposals_per_s"] / by_processes[1]["proposals_per_s"] - 1
        report["second_process_gain"] = f"{gain:+.0%}"
    return report
