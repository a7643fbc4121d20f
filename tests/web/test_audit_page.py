"""HQ's audit log page: the brand's events newest first, with what changed, filtered and paged."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.audit.service import record
from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from hub.web.audit import changes
from tests.factories import PASSWORD, make_network


async def _login(app, email):
    import httpx

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    return client


async def _decided_network(database, settings, client_as):
    """A two-location network whose first location approved its proposal and second rejected it."""
    network = await make_network(database, settings, locations=2, networks=("facebook",))
    hq = await client_as(network.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "Printemps"})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": "Bonjour {city}", "networks": ["facebook"]})).json()
    assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute")).status_code < 300
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)
    decided = {}
    for location, verb, body in ((network.locations[0], "approve", None),
                                 (network.locations[1], "reject", {"reason": "legal"})):
        local = await client_as(network.local_emails[location.id], PASSWORD)
        [proposal] = (await local.get("/api/v1/proposals")).json()
        response = await local.post(f"/api/v1/proposals/{proposal['id']}/{verb}", json=body)
        assert response.status_code == 200, response.text
        decided[verb] = proposal["id"]
    return network, decided


async def test_hq_reads_the_decisions_with_before_after_and_links(database, settings, client_as, app):
    network, decided = await _decided_network(database, settings, client_as)
    other = await make_network(database, settings, name="Autre", slug="autre", locations=1, networks=("facebook",))
    async with database.session() as session:
        record(session, brand_id=other.brand_id, actor_id=None, action="secret.other_brand",
               subject_type="proposal", subject_id="otherbrandsubject", before={"x": 1}, after={"x": 2})

    page = await _login(app, network.hq_email)
    response = await page.get("/audit")
    assert response.status_code == 200
    html = response.text
    assert 'href="/audit"' in html  # the nav link
    assert "proposal.approved" in html and "proposal.rejected" in html and "post.distributed" in html
    assert f'href="/proposals/{decided["approve"]}"' in html and f'href="/proposals/{decided["reject"]}"' in html
    assert '<span class="code">status</span>: pending → approved' in html
    assert '<span class="code">status</span>: pending → rejected' in html
    assert '<span class="code">reason</span>: — → legal' in html
    # Who: the local managers' e-mails (they have no name).
    assert network.local_emails[network.locations[0].id] in html
    # Newest first: the rejection came after the approval, which came after the distribution.
    table = html.split('data-testid="audit-table"', 1)[1]
    assert table.index("proposal.rejected") < table.index("proposal.approved") < table.index("post.distributed")
    # Another brand's events never show, not even in the action filter.
    assert "otherbrandsubject" not in html and "secret.other_brand" not in html
    searched = await page.get("/audit", params={"subject_id": "otherbrandsubject"})
    assert 'data-testid="audit-event"' not in searched.text and "secret.other_brand" not in searched.text

    rejected = await page.get("/audit", params={"action": "proposal.rejected"})
    assert rejected.text.count('data-testid="audit-event"') == 1
    by_subject = await page.get("/audit", params={"subject_id": decided["approve"]})
    assert by_subject.text.count('data-testid="audit-event"') >= 1
    assert "proposal.rejected" not in by_subject.text.split('id="audit"', 1)[1]
    fragment = await page.get("/audit", headers={"HX-Request": "true", "HX-Target": "audit"})
    assert fragment.text.lstrip().startswith('<section id="audit"')
    assert "<script" not in html.split("</head>", 1)[1] and "style=" not in html

    page.cookies.set("lang", "fr")
    french = await page.get("/audit")
    assert "Journal d'audit" in french.text or "Journal d&#39;audit" in french.text
    await page.aclose()


async def test_local_managers_get_403_and_anonymous_users_the_login(database, settings, client_as, app):
    network = await make_network(database, settings, locations=1, networks=("facebook",))
    local = await _login(app, network.local_emails[network.locations[0].id])
    response = await local.get("/audit")
    assert response.status_code == 403
    assert 'href="/audit"' not in (await local.get("/inbox")).text
    await local.aclose()
    import httpx

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as anonymous:
        assert (await anonymous.get("/audit")).status_code == 303


async def test_the_page_pages_by_100(database, settings, app):
    network = await make_network(database, settings, locations=1, networks=("facebook",))
    async with database.session() as session:
        for index in range(105):
            record(session, brand_id=network.brand_id, actor_id=None, action="test.event", subject_type="post",
                   subject_id=f"subject{index:03d}")
    page = await _login(app, network.hq_email)
    first = await page.get("/audit", params={"action": "test.event"})
    assert first.text.count('data-testid="audit-event"') == 100 and "Page 1 of 2" in first.text
    second = await page.get("/audit", params={"action": "test.event", "page": 2})
    assert second.text.count('data-testid="audit-event"') == 5
    await page.aclose()


def test_changes_list_only_the_keys_that_differ():
    assert changes({"status": "pending", "same": 1}, {"status": "approved", "same": 1, "reason": None}) == [
        {"key": "status", "old": "pending", "new": "approved"}]
    assert changes({}, {"tags": ["a", "b"]}) == [{"key": "tags", "old": "—", "new": '["a", "b"]'}]
    assert changes(None, None) == []
