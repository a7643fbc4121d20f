"""Signed review links: HQ or the location shares one proposal; the link approves or rejects only that one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from hub.audit.models import AuditEvent
from hub.db import utcnow
from hub.proposals.models import Proposal
from hub.reviews.models import ReviewLink
from tests.factories import PASSWORD
from tests.reviews.conftest import csrf_of


async def status_of(database, proposal_id: str) -> str:
    async with database.session() as session:
        return await session.scalar(select(Proposal.status).where(Proposal.id == proposal_id))


async def create_link(client, proposal_id: str, **body) -> dict:
    response = await client.post(f"/api/v1/proposals/{proposal_id}/review-links", json=body or None)
    assert response.status_code == 201, response.text
    return response.json()


def token_of(link: dict) -> str:
    assert link["url"].startswith("http://testserver/review/")
    return link["url"].rsplit("/", 1)[1]


async def approve_through(client, token: str):
    """What a browser does: open the review page, then post its approve form with the page's token."""
    page = await client.get(f"/review/{token}")
    csrf = csrf_of(page.text) if page.status_code == 200 else "x" * 43
    return await client.post(f"/review/{token}/approve", data={"csrf_token": csrf})


class TestManagingLinks:
    async def test_hq_creates_lists_and_revokes_without_ever_showing_the_token_again(self, brand_a, sent, client_as):
        proposal_id = sent[brand_a.locations[0].id]
        hq = await client_as(brand_a.hq_email, PASSWORD)

        link = await create_link(hq, proposal_id, expires_in_hours=24, label="Owner on the road")
        listed = await hq.get(f"/api/v1/proposals/{proposal_id}/review-links")
        revoked = await hq.delete(f"/api/v1/proposals/{proposal_id}/review-links/{link['id']}")

        assert link["label"] == "Owner on the road" and link["expires_at"]
        assert listed.status_code == 200
        assert [row["id"] for row in listed.json()] == [link["id"]]
        assert "url" not in listed.json()[0] and token_of(link) not in listed.text
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] and not revoked.json()["active"]

    async def test_duration_must_be_between_1_and_720_hours(self, brand_a, sent, client_as):
        proposal_id = sent[brand_a.locations[0].id]
        hq = await client_as(brand_a.hq_email, PASSWORD)

        for hours in (0, 721):
            response = await hq.post(f"/api/v1/proposals/{proposal_id}/review-links", json={"expires_in_hours": hours})
            assert response.status_code == 422, hours
        default = await create_link(hq, proposal_id)
        assert default["expires_at"]

    async def test_local_manager_shares_own_proposal_only_and_viewer_not_at_all(
            self, brand_a, brand_b, sent, viewer_a, client_as):
        first, second = brand_a.locations
        local = await client_as(brand_a.local_emails[first.id], PASSWORD)
        viewer = await client_as(viewer_a, PASSWORD)
        other_brand = await client_as(brand_b.hq_email, PASSWORD)

        assert (await local.post(f"/api/v1/proposals/{sent[first.id]}/review-links", json={})).status_code == 201
        assert (await local.post(f"/api/v1/proposals/{sent[second.id]}/review-links", json={})).status_code == 404
        assert (await other_brand.post(f"/api/v1/proposals/{sent[first.id]}/review-links", json={})).status_code == 404
        assert (await other_brand.get(f"/api/v1/proposals/{sent[first.id]}/review-links")).status_code == 404
        assert (await viewer.post(f"/api/v1/proposals/{sent[first.id]}/review-links", json={})).status_code == 403

    async def test_the_token_is_not_stored_in_clear(self, database, brand_a, sent, client_as):
        hq = await client_as(brand_a.hq_email, PASSWORD)
        link = await create_link(hq, sent[brand_a.locations[0].id])
        token = token_of(link)

        async with database.session() as session:
            rows = (await session.execute(select(ReviewLink.__table__))).mappings().all()

        assert len(rows) == 1
        assert all(token not in str(value) for value in rows[0].values())
        import hashlib
        assert rows[0]["secret_hash"] == hashlib.sha256(token.encode()).hexdigest()


class TestUsingLinks:
    async def test_link_approves_its_proposal_and_the_use_is_audited(self, database, brand_a, sent, client_as, client):
        proposal_id = sent[brand_a.locations[0].id]
        hq = await client_as(brand_a.hq_email, PASSWORD)
        link = await create_link(hq, proposal_id, label="Mme Martin")
        token = token_of(link)

        page = await client.get(f"/review/{token}")
        assert page.status_code == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert 'data-testid="previews"' in page.text and "netcard--facebook" in page.text
        approved = await client.post(f"/review/{token}/approve", data={"csrf_token": csrf_of(page.text)})

        assert approved.status_code == 303
        assert await status_of(database, proposal_id) == "approved"
        async with database.session() as session:
            proposal = await session.get(Proposal, proposal_id)
            used = list(await session.scalars(select(AuditEvent).where(
                AuditEvent.action == "review_link.used", AuditEvent.subject_id == proposal_id)))
            decided = await session.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.approved"))
            stored = await session.get(ReviewLink, link["id"])
        assert proposal.decided_by is None
        assert decided is not None and decided.actor_id is None
        assert [event.after["action"] for event in used if event.after["action"] != "view"] == ["approve"]
        assert all(event.after["link_id"] == link["id"] and event.after["label"] == "Mme Martin" for event in used)
        assert stored.uses == len(used)
        after = await client.get(f"/review/{token}")
        assert 'data-testid="approve"' not in after.text

    async def test_link_rejects_with_a_reason(self, database, brand_a, sent, client_as, client):
        proposal_id = sent[brand_a.locations[0].id]
        hq = await client_as(brand_a.hq_email, PASSWORD)
        token = token_of(await create_link(hq, proposal_id))
        page = await client.get(f"/review/{token}")

        bad = await client.post(f"/review/{token}/reject", data={"csrf_token": csrf_of(page.text), "reason": "nope"})
        assert bad.status_code == 422 and await status_of(database, proposal_id) == "pending"
        rejected = await client.post(f"/review/{token}/reject", data={
            "csrf_token": csrf_of(page.text), "reason": "wrong_timing", "comment": "We are closed that week."})

        assert rejected.status_code == 303
        async with database.session() as session:
            proposal = await session.get(Proposal, proposal_id)
        assert (proposal.status, proposal.reject_reason, proposal.reject_comment) == (
            "rejected", "wrong_timing", "We are closed that week.")

    async def test_public_forms_need_the_double_submit_token(self, database, brand_a, sent, client_as, client):
        proposal_id = sent[brand_a.locations[0].id]
        hq = await client_as(brand_a.hq_email, PASSWORD)
        token = token_of(await create_link(hq, proposal_id))
        await client.get(f"/review/{token}")

        forged = await client.post(f"/review/{token}/approve", data={"csrf_token": "x" * 43})

        assert forged.status_code == 403
        assert await status_of(database, proposal_id) == "pending"

    async def test_expired_revoked_and_unknown_tokens_all_answer_the_same_404(
            self, database, brand_a, sent, client_as, client):
        proposal_id = sent[brand_a.locations[0].id]
        hq = await client_as(brand_a.hq_email, PASSWORD)
        expired = await create_link(hq, proposal_id, label="expired")
        revoked = await create_link(hq, proposal_id, label="revoked")
        async with database.session() as session:
            await session.execute(update(ReviewLink).where(ReviewLink.id == expired["id"])
                                  .values(expires_at=utcnow() - timedelta(minutes=1)))
        assert (await hq.delete(f"/api/v1/proposals/{proposal_id}/review-links/{revoked['id']}")).status_code == 200
        unknown = "A" * 43

        answers = []
        for token in (token_of(expired), token_of(revoked), unknown):
            page = await client.get(f"/review/{token}")
            approve = await approve_through(client, token)
            reject = await client.post(f"/review/{token}/reject", data={"csrf_token": "x" * 43, "reason": "legal"})
            assert (page.status_code, approve.status_code, reject.status_code) == (404, 404, 404)
            assert 'data-testid="review-gone"' in page.text
            answers.append(page.text.replace(token, ""))
        assert answers[0] == answers[1] == answers[2]
        assert await status_of(database, proposal_id) == "pending"
        async with database.session() as session:
            uses = await session.scalars(select(ReviewLink.uses))
            assert set(uses) == {0}

    async def test_a_link_never_acts_on_another_proposal(self, database, brand_a, sent, client_as, client):
        first, second = brand_a.locations
        hq = await client_as(brand_a.hq_email, PASSWORD)
        link = await create_link(hq, sent[first.id])

        # Its id does not reach the other proposal's links, and its token only knows its own proposal.
        wrong = await hq.delete(f"/api/v1/proposals/{sent[second.id]}/review-links/{link['id']}")
        approved = await approve_through(client, token_of(link))

        assert wrong.status_code == 404
        assert approved.status_code == 303
        assert await status_of(database, sent[first.id]) == "approved"
        assert await status_of(database, sent[second.id]) == "pending"
        listed = (await hq.get(f"/api/v1/proposals/{sent[first.id]}/review-links")).json()
        assert listed[0]["revoked_at"] is None
