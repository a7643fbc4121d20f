"""The whole cycle through the API with a real burst worker: HQ writes, workers fan out, locals decide,
Pieuvre publishes on the sandbox, stats come back, and the report adds up exactly."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from hub.db import utcnow
from hub.proposals.service import apply_deadlines
from hub.publishing.connectors.sandbox import simulated_metrics
from hub.publishing.models import Publication, SandboxPost
from hub.stats.models import StatSnapshot
from hub.stats.service import collect_due
from tests.factories import PASSWORD, make_network
from tests.workers.helpers import run_burst_worker, worker_context
from workers.publishing import dispatch_due

NO_PHONE = (0, 1)  # these two locations lack {phone}: their proposals are blocked until customized


async def test_full_cycle_with_50_locations(database, settings, client_as, redis_pool):
    network = await make_network(database, settings, locations=50, networks=("facebook", "instagram"))
    from hub.locations.models import Location

    async with database.session() as session:
        for index in NO_PHONE:
            location = await session.get(Location, network.locations[index].id)
            location.variables = {"city": f"Ville{index}"}

    hq = await client_as(network.hq_email, PASSWORD)
    deadline = utcnow() + timedelta(days=2)
    campaign = (await hq.post("/api/v1/campaigns", json={
        "name": "Printemps", "objective": "promotion", "approval_policy": "approval_required",
        "decision_deadline": deadline.isoformat(),
    })).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
        "body": "Bonjour {city} ! Appelez le {phone}. {{7*7}}", "networks": ["facebook", "instagram"],
    })).json()

    response = await hq.post(f"/api/v1/posts/{post['id']}/distribute", json={})
    assert response.status_code == 202, response.text
    distribution_id = response.json()["distribution_id"]
    assert (await hq.get(f"/api/v1/distributions/{distribution_id}")).json()["status"] == "queued"

    await run_burst_worker(settings)

    distribution = (await hq.get(f"/api/v1/distributions/{distribution_id}")).json()
    assert (distribution["status"], distribution["total"], distribution["done"], distribution["failed"]) == ("done", 50, 50, 0)
    assert distribution["finished_at"] is not None

    # Every location received one localized proposal; user text was never evaluated.
    by_location = {}
    for location in network.locations:
        local = await client_as(network.local_emails[location.id], PASSWORD)
        items = (await local.get("/api/v1/proposals")).json()
        assert len(items) == 1
        by_location[location.id] = (local, items[0])
    index_of = {location.id: index for index, location in enumerate(network.locations)}
    for location_id, (_, proposal) in by_location.items():
        index = index_of[location_id]
        text = proposal["texts"]["facebook"]
        assert text.startswith(f"Bonjour Ville{index} !")
        assert text.endswith(". {{7*7}}")
        if index in NO_PHONE:
            assert proposal["blocked"] is True
            assert [item["rule"] for item in proposal["findings"]] == ["variable.missing", "variable.missing"]
        else:
            assert f"+33 1 00 00 {index:02d}" in text and proposal["blocked"] is False

    decisions = {"approved": 0, "customized": 0, "rejected": 0}
    for location in network.locations:
        index = index_of[location.id]
        local, proposal = by_location[location.id]
        url = f"/api/v1/proposals/{proposal['id']}"
        if index == 0 or 32 <= index <= 39:
            texts = {"facebook": f"Notre équipe de Ville{index} vous attend ! {{city}}", "instagram": "À bientôt 🚲"}
            response = await local.post(f"{url}/customize", json={"texts": texts})
            assert response.status_code == 200, response.text
            assert response.json()["texts"]["facebook"] == f"Notre équipe de Ville{index} vous attend ! Ville{index}"
            decisions["customized"] += 1
        elif index == 1 or index >= 45:
            if index == 1:  # a blocked proposal cannot be approved as is
                response = await local.post(f"{url}/approve")
                assert response.status_code == 422
                assert "customize" in response.json()["detail"]
        elif 40 <= index <= 44:
            reason = "off_brand" if index < 43 else "not_relevant"
            response = await local.post(f"{url}/reject", json={"reason": reason, "comment": "pas pour nous"})
            assert response.status_code == 200, response.text
            decisions["rejected"] += 1
        else:
            response = await local.post(f"{url}/approve")
            assert response.status_code == 200, response.text
            decisions["approved"] += 1
    assert decisions == {"approved": 30, "customized": 9, "rejected": 5}

    # A decided proposal cannot be approved twice; until publish time it can still be cancelled.
    local, proposal = by_location[network.locations[2].id]
    assert (await local.post(f"/api/v1/proposals/{proposal['id']}/approve")).status_code == 409
    cancelled = await local.post(f"/api/v1/proposals/{proposal['id']}/reject", json={"reason": "wrong_timing"})
    assert cancelled.status_code == 200, cancelled.text
    decisions["approved"] -= 1
    decisions["rejected"] += 1

    # The deadline passes: the 6 undecided proposals expire (approval_required is fail-closed).
    async with database.session() as session:
        assert await apply_deadlines(session, deadline + timedelta(seconds=1)) == {"auto_approved": 0, "expired": 6}

    # Publishing: the cron finds what is due, the worker sends each publication once.
    ctx = worker_context(database, settings, redis_pool)
    await dispatch_due(ctx)
    await run_burst_worker(settings)
    await dispatch_due(ctx)  # a second pass finds nothing left and sends nothing twice
    await run_burst_worker(settings)

    async with database.session() as session:
        statuses = dict((await session.execute(
            select(Publication.status, func.count()).group_by(Publication.status))).all())
        sandbox_posts = await session.scalar(select(func.count()).select_from(SandboxPost))
        raw = await session.scalar(select(func.count()).where(SandboxPost.text.like("%{phone}%")))
    going_out = decisions["approved"] + decisions["customized"]
    assert statuses == {"published": going_out * 2, "cancelled": 2}
    assert sandbox_posts == going_out * 2 and raw == 0

    publications = (await hq.get("/api/v1/publications", params={"status": "published"})).json()
    assert len(publications) == going_out * 2
    assert all(item["url"].startswith("http://testserver/sandbox/") and item["sandbox"] for item in publications)

    # Stats: 25 hours later the 1h and 24h readings are due, once each.
    published_at = max(item["published_at"] for item in publications)
    from datetime import datetime

    later = datetime.fromisoformat(published_at) + timedelta(hours=25)
    assert await collect_due(database, settings, now=later) == going_out * 2 * 2
    assert await collect_due(database, settings, now=later) == 0
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(StatSnapshot)) == going_out * 2 * 2

    expected = {"impressions": 0, "reach": 0, "engagements": 0}
    for item in publications:
        metrics = simulated_metrics(item["external_id"], "24h")
        for name in expected:
            expected[name] += metrics[name]

    report = (await hq.get(f"/api/v1/campaigns/{campaign['id']}/report")).json()
    funnel = report["funnel"]
    assert funnel["proposed"] == 50
    assert funnel["approved"] == 29
    assert funnel["customized"] == 9
    assert funnel["rejected"] == 6
    assert funnel["expired"] == 6
    assert funnel["pending"] == 0
    assert funnel["published"] == going_out
    assert funnel["failed"] == 0
    assert funnel["seen"] == 0
    assert funnel["rejected_by_reason"]["off_brand"] == 3
    assert funnel["rejected_by_reason"]["not_relevant"] == 2
    assert funnel["rejected_by_reason"]["wrong_timing"] == 1
    metrics = report["metrics"]
    assert {name: metrics[name] for name in expected} == expected
    assert metrics["engagement_rate"] == round(expected["engagements"] / expected["reach"], 4)
    assert metrics["formula"] == "engagements ÷ reach" and metrics["simulated"] is True
    assert {row["network"]: row["published"] for row in report["by_network"]} == {"facebook": going_out, "instagram": going_out}
    assert sum(row["reach"] for row in report["by_network"]) == expected["reach"]
    assert len(report["by_location"]) == 50
    assert sum(row["published"] for row in report["by_location"]) == going_out * 2
