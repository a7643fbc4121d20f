"""A worker killed with SIGKILL in the middle of a 2,000-location fan-out, then started again: the
distribution completes with exactly one proposal per location."""

from __future__ import annotations

import pytest

from tests.faults.scenario import Workers, brand_with_locations, distribute, fan_out_state, new_post, until

pytestmark = pytest.mark.slow

LOCATIONS = 2000
CHUNK = 100  # 20 chunks: the worker holds some, others wait in Redis, when it dies


async def test_a_worker_killed_mid_fan_out_leaves_exactly_one_proposal_per_location(
        database, settings, client_as, worker_env, tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "fanout_chunk_size", CHUNK)
    hq = await brand_with_locations(database, client_as, LOCATIONS)
    post = await new_post(hq, "Portes ouvertes à {city} samedi !", ["facebook", "x"])
    workers = Workers(worker_env, tmp_path)
    try:
        workers.start()
        distribution_id = await distribute(hq, post["id"])
        chunks = LOCATIONS // CHUNK

        async def state():
            return await fan_out_state(database, distribution_id)

        async def under_way():
            current = await state()
            return current if 0 < current["chunks_done"] < chunks - 2 else None

        at_kill = await until(under_way, within=120, why=state, workers=workers, every=0.05)
        workers.kill()
        workers.start()

        async def completed():
            current = await state()
            return current if current["status"] == "done" else None

        # The reconciler (each minute) re-queues chunks of distributions older than a minute.
        final = await until(completed, within=150, why=state, workers=workers)
    finally:
        workers.stop()
    assert 0 < at_kill["chunks_done"] < chunks, at_kill
    assert final == {"status": "done", "done": LOCATIONS, "failed": 0, "chunks_done": chunks, "chunks_pending": 0,
                     "proposals": LOCATIONS, "locations": LOCATIONS}
