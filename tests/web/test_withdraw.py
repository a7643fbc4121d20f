"""HQ withdraws a post from the campaign page: a POST form with its CSRF token behind a disclosure that
states what happens first (no script: keyboard and screen readers reach the warning before the button),
in French and English, shown to HQ only."""

from __future__ import annotations

import re

from sqlalchemy import select

from hub.accounts import service as accounts
from hub.campaigns.models import Post
from hub.proposals.models import Proposal
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of, sent_campaign


def _withdraw_form(html: str) -> str:
    match = re.search(r'<details class="post-withdraw".*?</details>', html, re.DOTALL)
    return match.group(0) if match else ""


async def _statuses(database, post_id: str) -> tuple[str, set[str]]:
    async with database.session() as session:
        post = await session.get(Post, post_id)
        proposals = set(await session.scalars(select(Proposal.status).where(Proposal.post_id == post_id)))
    return post.status, proposals


class TestWithdrawButton:
    async def test_hq_reads_the_warning_then_withdraws_the_post(self, database, settings, web_client):
        network = await make_network(database, settings, locations=2)
        ids = await sent_campaign(database, settings, network)
        hq = await web_client(network.hq_email)
        page = (await hq.get(f"/campaigns/{ids['campaign_id']}")).text
        form = _withdraw_form(page)
        assert f'action="/posts/{ids["post_id"]}/withdraw"' in form and 'name="csrf_token"' in form
        # The summary opens the warning; the button is described by it and comes after it.
        assert "<summary>Withdraw this post…</summary>" in form
        warning = f'id="withdraw-warning-{ids["post_id"]}"'
        assert warning in form and form.index(warning) < form.index('<button type="submit"')
        assert f'aria-describedby="withdraw-warning-{ids["post_id"]}"' in form
        assert "What is already on a network stays there. This cannot be undone." in form

        response = await hq.post(f"/posts/{ids['post_id']}/withdraw", data={"csrf_token": csrf_of(page)})
        assert response.status_code == 303
        assert response.headers["location"] == f"/campaigns/{ids['campaign_id']}#post-{ids['post_id']}"
        assert await _statuses(database, ids["post_id"]) == ("withdrawn", {"withdrawn"})
        again = (await hq.get(response.headers["location"])).text
        assert 'data-testid="post-withdrawn"' in again and _withdraw_form(again) == ""

    async def test_the_form_speaks_french(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        ids = await sent_campaign(database, settings, network)
        hq = await web_client(network.hq_email, language="fr")
        form = _withdraw_form((await hq.get(f"/campaigns/{ids['campaign_id']}")).text)
        assert "<summary>Retirer cette publication…</summary>" in form
        assert "Oui, retirer cette publication" in form and "Cette action est définitive." in form

    async def test_without_its_csrf_token_nothing_is_withdrawn(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        ids = await sent_campaign(database, settings, network)
        hq = await web_client(network.hq_email)
        assert (await hq.post(f"/posts/{ids['post_id']}/withdraw", data={})).status_code == 403
        assert (await _statuses(database, ids["post_id"]))[0] != "withdrawn"

    async def test_a_brand_viewer_sees_no_button_and_cannot_withdraw(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        ids = await sent_campaign(database, settings, network)
        async with database.session() as session:
            user = await accounts.create_user(session, email="viewer@velo.test", password=PASSWORD)
            await accounts.add_membership(session, user, network.brand_id, "viewer")
        viewer = await web_client("viewer@velo.test")
        page = await viewer.get(f"/campaigns/{ids['campaign_id']}")
        assert page.status_code == 200 and _withdraw_form(page.text) == ""
        refused = await viewer.post(f"/posts/{ids['post_id']}/withdraw", data={"csrf_token": csrf_of(page.text)})
        assert refused.status_code == 403
        assert (await _statuses(database, ids["post_id"]))[0] != "withdrawn"
