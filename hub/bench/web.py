"""`pieuvre bench web`: the pages of a location and of HQ on a network of 10,000 locations.

It works on the database of `pieuvre bench report` (a brand's year: 10,000 locations, each with
its local manager, 1,000,000 proposals in 100 campaigns, their publications and counters), reused
as it is by default, loaded by that bench otherwise. It starts the app as in production
(`pieuvre serve`), logs in local managers and HQ through the real login form, and drives the app
from another process with N concurrent clients on loopback, one endpoint after the other:

- floor: `GET /healthz` of the same app, same clients;
- location pages, each request as the manager of a location drawn at random: the inbox
  (`GET /inbox`, HTML) and a proposal page (`GET /proposals/{id}`, HTML, a proposal of that
  location the manager has already opened, so the page writes nothing);
- HQ pages, as HQ admin, a campaign drawn at random at each request: the approval matrix
  (`GET /campaigns/{id}/matrix`, HTML, first page of 50 locations), the campaign page with its
  report (`GET /campaigns/{id}`, HTML) and the campaign report of the API
  (`GET /api/v1/campaigns/{id}/report`, JSON).

Goal (issue 8): p95 at most 50 ms for the location pages and 250 ms for the HQ pages, no error.
"""

from __future__ import annotations

import random
from typing import Any

from hub.bench.common import (FLOOR_PATH, api_token, app_environment, asyncpg_url, browser_session, database_facts,
                              machine, measure, start_server, stop_server)
from hub.bench.report import (ADMIN_EMAIL, PASSWORD, Sizes, brand_and_campaigns, manager_email, prepare,
                              time_worker_refreshes)

LOCATION_GOAL_MS = 50.0
HQ_GOAL_MS = 250.0
# Location pages then HQ pages: name -> goal of its p95 in ms.
GOALS = {"inbox": LOCATION_GOAL_MS, "proposal_page": LOCATION_GOAL_MS, "approval_matrix": HQ_GOAL_MS,
         "campaign_page": HQ_GOAL_MS, "campaign_report_api": HQ_GOAL_MS}


async def _managers(url: str, brand_id: str, count: int) -> list[dict[str, Any]]:
    """`count` locations drawn at random (always the same ones), each with its manager's e-mail, the number of
    its proposals and the ids of those its manager has already opened."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        locations = await connection.fetch("SELECT id, code FROM locations WHERE brand_id = $1 ORDER BY code",
                                           brand_id)
        drawn = random.Random(8).sample(list(locations), min(count, len(locations)))
        seen = await connection.fetch(
            "SELECT location_id, id FROM proposals WHERE location_id = ANY($1::text[]) AND seen_at IS NOT NULL "
            "AND status <> 'superseded'", [location["id"] for location in drawn])
        proposals = await connection.fetch(
            "SELECT location_id, count(*) AS n FROM proposals WHERE location_id = ANY($1::text[]) "
            "AND status <> 'superseded' GROUP BY location_id", [location["id"] for location in drawn])
    finally:
        await connection.close()
    counts = {row["location_id"]: row["n"] for row in proposals}
    opened: dict[str, list[str]] = {}
    for row in seen:
        opened.setdefault(row["location_id"], []).append(row["id"])
    return [{"email": manager_email(location["code"]), "proposals": counts.get(location["id"], 0),
             "opened": sorted(opened.get(location["id"], []))} for location in drawn]


async def _worker_figures(url: str, brand_id: str, log: Any) -> dict[str, float] | None:
    """What the stats worker would have stored before anyone looks (the scoreboard, the campaigns' figures),
    computed now, not timed with the pages, when the database does not hold it yet; their seconds."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_url(url))
    try:
        stored = await connection.fetchval("SELECT count(*) FROM scoreboards WHERE brand_id = $1", brand_id)
    finally:
        await connection.close()
    if stored:
        return None
    log("computing the scoreboard and the campaigns' figures, as the stats worker does after a load")
    scoreboard, figures, _campaigns = await time_worker_refreshes(url, brand_id)
    return {"scoreboard": round(scoreboard, 1), "campaign_figures": round(figures, 1)}


async def run(admin_url: str, redis_url: str, sizes: Sizes, clients: int, seconds: float, web_processes: int,
              managers: int, reuse: bool, database: str, log: Any) -> dict[str, Any]:
    """Reuse (or load) the report bench's database, then measure the floor, the location pages and HQ's."""
    from hub.deps import SESSION_COOKIE

    env, var_dir, port = app_environment(admin_url, redis_url, database, "pieuvre-bench-web-")
    url, loaded = await prepare(admin_url, database, sizes, reuse, log)
    brand_id, campaign_ids = await brand_and_campaigns(url)
    worker = await _worker_figures(url, brand_id, log)
    places = await _managers(url, brand_id, managers)
    if not any(place["opened"] for place in places):
        raise RuntimeError(f"none of the {len(places)} managers drawn has opened a proposal: load a larger "
                           "database (more proposals per location)")

    server = start_server(env, port, web_processes, var_dir / "server.log")
    warmup = min(5.0, seconds / 4)
    try:
        base_url = f"http://127.0.0.1:{port}"
        accept = {"Accept-Language": "fr-FR,fr;q=0.9"}
        log(f"logging in {len(places)} local managers and HQ through /login")
        for place in places:
            cookie = f"{SESSION_COOKIE}={browser_session(base_url, place['email'], PASSWORD)}"
            place["headers"] = {**accept, "Cookie": cookie}
        hq = {**accept, "Cookie": f"{SESSION_COOKIE}={browser_session(base_url, ADMIN_EMAIL, PASSWORD)}"}
        api = {**accept, "Authorization": f"Bearer {api_token(base_url, ADMIN_EMAIL, PASSWORD)}"}
        # name: (path shown, requests drawn from at random); the proposal page: one proposal per manager.
        endpoints = {
            "floor": (FLOOR_PATH, [(FLOOR_PATH, accept)]),
            "inbox": ("/inbox", [("/inbox", place["headers"]) for place in places]),
            "proposal_page": ("/proposals/{id}", [(f"/proposals/{random.Random(index).choice(place['opened'])}",
                                                   place["headers"])
                                                  for index, place in enumerate(places) if place["opened"]]),
            "approval_matrix": ("/campaigns/{id}/matrix",
                                [(f"/campaigns/{campaign_id}/matrix", hq) for campaign_id in campaign_ids]),
            "campaign_page": ("/campaigns/{id}", [(f"/campaigns/{campaign_id}", hq) for campaign_id in campaign_ids]),
            "campaign_report_api": ("/api/v1/campaigns/{id}/report",
                                    [(f"/api/v1/campaigns/{campaign_id}/report", api)
                                     for campaign_id in campaign_ids]),
        }
        results, load_average = measure(port, endpoints, clients, warmup, seconds, var_dir / "server.log", log)
    finally:
        stop_server(server)
    for name, goal in GOALS.items():
        row = results[name]
        row["goal_p95_ms"] = goal
        row["goal_met"] = row["errors"] == 0 and row["p95_ms"] is not None and row["p95_ms"] <= goal
    return {
        "benchmark": "web",
        "machine": {**machine(), "load_average_1_5_15": load_average},
        "database": {**await database_facts(url), "name": database, **loaded},
        "sizes": {"locations": sizes.locations, "proposals": sizes.proposals, "snapshots": sizes.snapshots,
                  "campaigns": len(campaign_ids)},
        "managers": {"logged_in": len(places),
                     "proposals_in_inbox": sorted({place["proposals"] for place in places})},
        "worker_figures_computed_s": worker,
        "web_processes": web_processes,
        "clients": clients,
        "warmup_s": warmup,
        "seconds": seconds,
        **results,
        "goal": f"p95 <= {LOCATION_GOAL_MS:.0f} ms for the location pages (inbox, proposal page), "
                f"<= {HQ_GOAL_MS:.0f} ms for HQ's (approval matrix, campaign page, campaign report), no error",
        "passed": all(results[name]["goal_met"] for name in GOALS),
    }
