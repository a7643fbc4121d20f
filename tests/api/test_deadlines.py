"""The deadline passing while a location is still editing: the policy decides, the late edit gets a clear 409."""

from __future__ import annotations

from datetime import timedelta

from hub.db import utcnow
from hub.proposals.service import apply_deadlines
from tests.api.test_revisions import _fan_out
from tests.factories import PASSWORD, make_network


async def _proposal(database, settings, client_as, policy):
    network = await make_network(database, settings, locations=1, networks=("facebook",))
    hq = await client_as(network.hq_email, PASSWORD)
    deadline = utcnow() + timedelta(hours=1)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "C", "approval_policy": policy,
                                                          "decision_deadline": deadline.isoformat()})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": "Bonjour {city}", "networks": ["facebook"]})).json()
    await hq.post(f"/api/v1/posts/{post['id']}/distribute")
    await _fan_out(database)
    local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
    [proposal] = (await local.get("/api/v1/proposals")).json()
    return local, proposal, deadline


async def test_an_edit_sent_after_the_deadline_expired_the_proposal_is_refused(database, settings, client_as):
    local, proposal, deadline = await _proposal(database, settings, client_as, "approval_required")
    # The location opened the proposal and is typing; meanwhile the deadline passes.
    async with database.session() as session:
        assert await apply_deadlines(session, deadline) == {"auto_approved": 0, "expired": 1}
    response = await local.post(f"/api/v1/proposals/{proposal['id']}/customize",
                                json={"texts": {"facebook": "Mon texte à moi"}})
    assert response.status_code == 409
    assert "expired" in response.json()["detail"]
    after = (await local.get(f"/api/v1/proposals/{proposal['id']}")).json()
    assert after["status"] == "expired" and after["texts"]["facebook"] == "Bonjour Ville0"


async def test_under_opt_out_a_late_rejection_can_still_cancel_before_publishing(database, settings, client_as):
    local, proposal, deadline = await _proposal(database, settings, client_as, "opt_out")
    async with database.session() as session:
        assert await apply_deadlines(session, deadline) == {"auto_approved": 1, "expired": 0}
    response = await local.post(f"/api/v1/proposals/{proposal['id']}/reject", json={"reason": "wrong_timing"})
    assert response.status_code == 200 and response.json()["status"] == "rejected"
    publications = (await local.get("/api/v1/publications", params={"proposal_id": proposal["id"]})).json()
    assert {item["status"] for item in publications} == {"cancelled"}
