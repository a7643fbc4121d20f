"""The comment thread between a location and HQ: who reads it, who writes in it, and its page."""

from __future__ import annotations

from sqlalchemy import func, select

from hub.audit.models import AuditEvent
from hub.comments.models import Comment
from tests.factories import PASSWORD
from tests.reviews.conftest import csrf_of


async def count_comments(database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Comment))


class TestCommentsApi:
    async def test_location_and_hq_write_and_read_the_same_thread(self, database, brand_a, sent, client_as):
        location = brand_a.locations[0]
        proposal_id = sent[location.id]
        local = await client_as(brand_a.local_emails[location.id], PASSWORD)
        hq = await client_as(brand_a.hq_email, PASSWORD)

        asked = await local.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "Can we say Lyon instead?"})
        answered = await hq.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "Yes, adapt the wording."})

        assert asked.status_code == 201, asked.text
        assert answered.status_code == 201, answered.text
        for client in (local, hq):
            thread = await client.get(f"/api/v1/proposals/{proposal_id}/comments")
            assert thread.status_code == 200
            assert [row["body"] for row in thread.json()] == ["Can we say Lyon instead?", "Yes, adapt the wording."]
            assert [row["author_role"] for row in thread.json()] == ["local_manager", "hq_admin"]
        async with database.session() as session:
            events = list(await session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.created")))
        assert {event.subject_id for event in events} == {proposal_id}
        assert {event.after["comment_id"] for event in events} == {asked.json()["id"], answered.json()["id"]}

    async def test_other_location_and_other_brand_get_404(self, database, brand_a, brand_b, sent, client_as):
        first, second = brand_a.locations
        proposal_id = sent[first.id]
        hq = await client_as(brand_a.hq_email, PASSWORD)
        assert (await hq.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "Secret plan"})).status_code == 201
        neighbour = await client_as(brand_a.local_emails[second.id], PASSWORD)
        other_brand = await client_as(brand_b.hq_email, PASSWORD)

        for client in (neighbour, other_brand):
            read = await client.get(f"/api/v1/proposals/{proposal_id}/comments")
            write = await client.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "Hello"})
            assert read.status_code == 404, read.text
            assert write.status_code == 404, write.text
            assert "Secret plan" not in read.text
        assert await count_comments(database) == 1

    async def test_viewer_reads_but_may_not_write(self, database, brand_a, sent, viewer_a, client_as):
        proposal_id = sent[brand_a.locations[0].id]
        viewer = await client_as(viewer_a, PASSWORD)

        assert (await viewer.get(f"/api/v1/proposals/{proposal_id}/comments")).status_code == 200
        refused = await viewer.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "Nice"})

        assert refused.status_code == 403
        assert await count_comments(database) == 0

    async def test_body_must_hold_1_to_2000_characters(self, database, brand_a, sent, client_as):
        proposal_id = sent[brand_a.locations[0].id]
        hq = await client_as(brand_a.hq_email, PASSWORD)

        empty = await hq.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "   "})
        too_long = await hq.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "x" * 2001})
        longest = await hq.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "x" * 2000})

        assert (empty.status_code, too_long.status_code, longest.status_code) == (422, 422, 201)
        assert await count_comments(database) == 1


class TestCommentsPage:
    async def test_thread_on_the_proposal_page_and_htmx_post_swaps_it(self, database, brand_a, sent, web_client):
        location = brand_a.locations[0]
        proposal_id = sent[location.id]
        browser = await web_client(brand_a.local_emails[location.id])
        page = await browser.get(f"/proposals/{proposal_id}")
        assert page.status_code == 200
        assert 'id="comments"' in page.text and 'hx-post="/proposals/' in page.text

        posted = await browser.post(f"/proposals/{proposal_id}/comments", data={"body": "<b>Lyon</b> please"},
                                    headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(page.text)})

        assert posted.status_code == 200, posted.text
        assert posted.text.lstrip().startswith('<section id="comments"')
        assert "&lt;b&gt;Lyon&lt;/b&gt; please" in posted.text
        assert "<html" not in posted.text
        again = await browser.get(f"/proposals/{proposal_id}")
        assert "&lt;b&gt;Lyon&lt;/b&gt; please" in again.text

    async def test_post_without_csrf_is_refused(self, database, brand_a, sent, web_client):
        location = brand_a.locations[0]
        browser = await web_client(brand_a.local_emails[location.id])

        refused = await browser.post(f"/proposals/{sent[location.id]}/comments", data={"body": "Hello"})

        assert refused.status_code == 403
        assert await count_comments(database) == 0

    async def test_empty_comment_comes_back_with_its_error(self, database, brand_a, sent, web_client):
        location = brand_a.locations[0]
        proposal_id = sent[location.id]
        browser = await web_client(brand_a.local_emails[location.id])
        page = await browser.get(f"/proposals/{proposal_id}")

        refused = await browser.post(f"/proposals/{proposal_id}/comments", data={"body": " ", "csrf_token": csrf_of(page.text)},
                                     headers={"HX-Request": "true"})

        assert refused.status_code == 422
        assert 'data-testid="comment-error"' in refused.text
        assert await count_comments(database) == 0
