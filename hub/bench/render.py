"""`pieuvre bench render`: Pieuvre's render path (queue, workers, cache, storage) against bare Pillow.

Both sides make the same distinct images (one post, N locations, each network's size) on the
same number of processes. The floor is the bare renderer — hub.media.render.render + to_jpeg
in a tight loop, in a process pool. Goal: Pieuvre's path at ≥ 80 % of the bare throughput,
and a cold preview of one proposal's image in under 2× one bare render.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select

from hub.bench.common import fresh_database, machine, start_workers, stop_workers

NETWORKS = ("instagram", "facebook")


def _bare_batch(jobs: list[Any]) -> int:
    from hub.media.service import render_job

    for job in jobs:
        render_job(job)
    return len(jobs)


async def _setup(url: str, locations: int, var_dir: str) -> dict[str, Any]:
    """A brand, N locations, a photo and logo, one post with an image, fanned out (not timed)."""
    from hub.accounts.service import actor_for
    from hub.brandkit.schemas import BrandKitData
    from hub.brandkit.service import put_kit
    from hub.brands.service import create_brand
    from hub.campaigns.schemas import CampaignCreate, PostCreate
    from hub.campaigns.service import create_campaign, create_post
    from hub.config import get_settings
    from hub.db import get_database
    from hub.locations.service import import_locations
    from hub.media.service import upload_media
    from hub.media.storage import get_storage
    from hub.proposals.models import DistributionChunk
    from hub.campaigns.schemas import Target
    from hub.proposals.service import distribute, fan_out_chunk
    from hub.media.samples import logo_png, photo_png

    settings = get_settings()
    database = get_database(url)
    storage = get_storage(settings)
    async with database.session() as session:
        brand, admin = await create_brand(session, "Bench", "bench@example.org", "bench-password-123")
        actor = await actor_for(session, admin, "en")
        lines = ["code,name,country,locale,timezone,city"]
        lines += [f"L{index:05d},Store {index},FR,fr-FR,Europe/Paris,Ville numéro {index}" for index in range(locations)]
        await import_locations(session, brand.id, "\n".join(lines).encode())
        photo = await upload_media(session, storage, settings, actor, photo_png(), "photo.png")
        logo = await upload_media(session, storage, settings, actor, logo_png(), "logo.png")
        await put_kit(session, actor, BrandKitData(logo_media_id=logo.id))
        campaign = await create_campaign(session, actor, CampaignCreate(name="Bench"))
        post, revision = await create_post(session, actor, campaign, PostCreate(
            body="Bonjour {city}", networks=list(NETWORKS), media_id=photo.id,
            image_texts={"headline": "Le printemps à {city}", "subline": "Révision offerte", "cta": "Réservez"}))
        distribution = await distribute(session, actor, post, revision, Target(), 500)
        distribution_id = distribution.id
    async with database.session() as session:
        session_chunks = list(await session.scalars(
            select(DistributionChunk.id).where(DistributionChunk.distribution_id == distribution_id)))
    for chunk_id in session_chunks:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)
    return {"brand_id": brand.id, "admin_email": "bench@example.org"}


async def _jobs(url: str) -> tuple[list[str], list[Any]]:
    """Every proposal id, and the image jobs of every (proposal, network)."""
    from hub.config import get_settings
    from hub.db import get_database
    from hub.locations.models import Location
    from hub.media.service import image_context
    from hub.media.storage import get_storage
    from hub.proposals.models import Proposal
    from hub.proposals.service import revision_of

    database = get_database(url)
    storage = get_storage(get_settings())
    jobs = []
    async with database.session() as session:
        proposals = list(await session.scalars(select(Proposal).order_by(Proposal.id)))
        context = await image_context(session, storage, proposals[0].brand_id,
                                      (await revision_of(session, proposals[0])).image)
        for proposal in proposals:
            location = await session.get(Location, proposal.location_id)
            for network in NETWORKS:
                jobs.append(context.job(location, network))
    return [proposal.id for proposal in proposals], jobs


async def _pieuvre_path(url: str, proposal_ids: list[str], processes: int, env: dict[str, str]) -> float:
    """Seconds for `processes` workers to render every image through the queue, into storage."""
    from hub.db import get_database
    from hub.proposals.models import ProposalImage
    from hub.queue import get_pool
    from workers.publishing import RENDER_BATCH
    from workers.render import RENDER_JOB, RENDER_QUEUE

    database = get_database(url)
    pool = await get_pool()
    workers = start_workers(processes, env)
    try:
        started = time.perf_counter()
        for start in range(0, len(proposal_ids), RENDER_BATCH):
            batch = proposal_ids[start:start + RENDER_BATCH]
            await pool.enqueue_job(RENDER_JOB, batch, _job_id=f"{RENDER_JOB}:{batch[0]}:{len(batch)}",
                                   _queue_name=RENDER_QUEUE)
        while True:
            async with database.session() as session:
                made = await session.scalar(select(func.count()).select_from(ProposalImage))
            if made >= len(proposal_ids) * len(NETWORKS):
                break
            await asyncio.sleep(0.05)
        return time.perf_counter() - started
    finally:
        stop_workers(workers)


def _bare(jobs: list[Any], processes: int) -> float:
    """Seconds for a pool of `processes` to render and encode the same images in a tight loop."""
    chunks = [jobs[index::processes] for index in range(processes)]
    with ProcessPoolExecutor(processes) as executor:
        list(executor.map(_bare_batch, [jobs[:2]] * processes))  # warm the processes (imports, fonts)
        started = time.perf_counter()
        list(executor.map(_bare_batch, chunks))
        return time.perf_counter() - started


async def _cold_preview(url: str, jobs: list[Any]) -> dict[str, float]:
    """Median time of a first view of a proposal's image through the app, and of one bare render."""
    import httpx

    from hub.app import create_app
    from hub.config import get_settings
    from hub.db import get_database
    from hub.media.service import render_job
    from hub.proposals.models import Proposal, ProposalImage

    settings = get_settings()
    app = create_app(settings)
    bare = []
    for job in jobs[:12]:
        started = time.perf_counter()
        render_job(job)
        bare.append(time.perf_counter() - started)
    # Forget earlier renders so these views are cold.
    storage_root = Path(settings.var_dir) / "media" / "renders"
    for path in storage_root.glob("*"):
        path.unlink()
    database = get_database(url)
    async with database.session() as session:
        await session.execute(delete(ProposalImage))
        proposal_ids = list(await session.scalars(select(Proposal.id).order_by(Proposal.id).limit(12)))
    views = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        token = (await client.post("/api/v1/auth/token", json={"email": "bench@example.org",
                                                                "password": "bench-password-123"})).json()["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        await client.get(f"/api/v1/proposals/{proposal_ids[0]}/images/instagram")  # warm the app, not the image
        for proposal_id in proposal_ids[1:]:
            started = time.perf_counter()
            response = await client.get(f"/api/v1/proposals/{proposal_id}/images/instagram")
            views.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
    return {"cold_view_median_s": statistics.median(views), "bare_render_median_s": statistics.median(bare)}


async def run(admin_url: str, redis_url: str, locations: int, processes: int) -> dict[str, Any]:
    var_dir = tempfile.mkdtemp(prefix="pieuvre-bench-")
    url = await fresh_database(admin_url, "pieuvre_bench_render")
    env = {**os.environ, "PIEUVRE_DATABASE_URL": url, "PIEUVRE_REDIS_URL": redis_url, "PIEUVRE_VAR_DIR": var_dir,
           "PIEUVRE_SECRET_KEY": os.environ.get("PIEUVRE_SECRET_KEY", "bench-secret")}
    os.environ.update(env)
    from hub.config import get_settings
    from hub.queue import get_pool

    get_settings.cache_clear()
    await (await get_pool()).flushdb()
    await _setup(url, locations, var_dir)
    proposal_ids, jobs = await _jobs(url)
    images = len(jobs)
    bare_seconds = _bare(jobs, processes)
    pieuvre_seconds = await _pieuvre_path(url, proposal_ids, processes, env)
    preview = await _cold_preview(url, jobs)
    bare_rate, pieuvre_rate = images / bare_seconds, images / pieuvre_seconds
    return {
        "benchmark": "render",
        "machine": machine(),
        "database": "postgresql",
        "locations": locations,
        "networks": list(NETWORKS),
        "images": images,
        "processes": processes,
        "floor": {"what": "hub.media.render.render + to_jpeg in a tight loop, process pool",
                  "seconds": round(bare_seconds, 3), "images_per_s": round(bare_rate, 1)},
        "pieuvre": {"what": "arq jobs on worker processes: load, render, store, record",
                    "seconds": round(pieuvre_seconds, 3), "images_per_s": round(pieuvre_rate, 1)},
        "throughput_ratio": round(pieuvre_rate / bare_rate, 3),
        "goal_throughput_ratio": ">= 0.80",
        "cold_preview": {k: round(v, 4) for k, v in preview.items()},
        "cold_preview_ratio": round(preview["cold_view_median_s"] / preview["bare_render_median_s"], 2),
        "goal_cold_preview_ratio": "< 2.0",
    }
