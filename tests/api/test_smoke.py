from tests.factories import PASSWORD, make_network


async def test_hq_creates_campaign_and_post(database, settings, client_as):
    network = await make_network(database, settings)
    hq = await client_as(network.hq_email, PASSWORD)
    r = await hq.post("/api/v1/campaigns", json={"name": "Printemps", "approval_policy": "approval_required"})
    assert r.status_code == 201, r.text
    r = await hq.post(f"/api/v1/campaigns/{r.json()['id']}/posts", json={"body": "Bonjour {city}", "networks": ["facebook"]})
    assert r.status_code == 201, r.text
    r = await hq.post(f"/api/v1/posts/{r.json()['id']}/distribute", json={})
    assert r.status_code == 202, r.text
