"""The local manager's inbox: waiting first by deadline, filtered, paged, bulk approve with CSRF."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from hub.accounts import service as accounts
from hub.campaigns.models import Campaign, PostRevision
from hub.db import new_id
from hub.proposals.models import Proposal
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of, sent_campaign

HTMX = {"HX-Request": "true", "HX-Target": "inbox-rows"}
MANAGER = "two-shops@velo.test"


@dataclass
class Inbox:
    """A manager of locations 0 and 1; campaign "Printemps" (Facebook + Instagram) and "Été" (Facebook only)."""

    spring: dict[str, str]
    summer: dict[str, str]
    locations: list


def row_ids(html: str) -> list[str]:
    """The proposal ids of the inbox rows, in the order shown."""
    return re.findall(r'data-keyboard-item data-id="([0-9a-f]+)"', html)


async def build_inbox(database, settings, overdue: bool = True) -> Inbox:
    """The manager's inbox; with overdue=False its soonest deadline is ten minutes ahead rather than an hour
    past, for tests beside a live worker, whose deadline cron would expire that proposal mid-test."""
    network = await make_network(database, settings, locations=3)
    spring = await sent_campaign(database, settings, network, networks=("facebook", "instagram"))
    summer = await sent_campaign(database, settings, network, networks=("facebook",))
    first, second, third = network.locations
    now = datetime.now(UTC)
    deadlines = {  # soonest first: summer@0 (overdue), summer@1, spring@0, then spring@1 (none)
        summer[first.id]: now - timedelta(hours=1) if overdue else now + timedelta(minutes=10),
        summer[second.id]: now + timedelta(hours=3, minutes=10),
        spring[first.id]: now + timedelta(days=3, hours=1),
        spring[second.id]: None,
    }
    async with database.session() as session:
        await session.execute(update(Campaign).where(Campaign.id == summer["campaign_id"]).values(name="Été"))
        for proposal_id, deadline in deadlines.items():
            await session.execute(update(Proposal).where(Proposal.id == proposal_id).values(deadline=deadline))
        user = await accounts.create_user(session, email=MANAGER, password=PASSWORD)
        await accounts.add_membership(session, user, network.brand_id, "local_manager", [first.id, second.id])
    return Inbox(spring=spring, summer=summer, locations=[first, second, third])


async def statuses(database, ids: list[str]) -> dict[str, str]:
    async with database.session() as session:
        return dict((await session.execute(select(Proposal.id, Proposal.status).where(Proposal.id.in_(ids)))).all())


class TestInboxList:
    async def test_rows_are_the_managers_own_sorted_by_deadline(self, database, settings, web_client):
        inbox = await build_inbox(database, settings)
        first, second, third = inbox.locations
        page = await (await web_client(MANAGER)).get("/inbox")
        assert page.status_code == 200
        assert row_ids(page.text) == [inbox.summer[first.id], inbox.summer[second.id],
                                      inbox.spring[first.id], inbox.spring[second.id]]
        assert inbox.spring[third.id] not in page.text
        assert "Overdue" in page.text and "in 3 h" in page.text and "in 3 days" in page.text
        assert "No deadline" in page.text
        # The campaign filter offers the campaigns of the manager's proposals, by name.
        assert re.search(rf'<option value="{inbox.summer["campaign_id"]}"\s*>Été</option>', page.text)

    async def test_filters_by_campaign_network_and_status(self, database, settings, web_client):
        inbox = await build_inbox(database, settings)
        first, second, _ = inbox.locations
        client = await web_client(MANAGER)
        by_campaign = await client.get("/inbox", params={"campaign": inbox.summer["campaign_id"]})
        assert row_ids(by_campaign.text) == [inbox.summer[first.id], inbox.summer[second.id]]
        by_network = await client.get("/inbox", params={"network": "instagram"})
        assert row_ids(by_network.text) == [inbox.spring[first.id], inbox.spring[second.id]]

        token = csrf_of(by_network.text)
        approved = await client.post(f"/proposals/{inbox.spring[first.id]}/approve", data={"csrf_token": token})
        assert approved.status_code == 303
        by_status = await client.get("/inbox", params={"status": "approved"})
        assert row_ids(by_status.text) == [inbox.spring[first.id]]
        both = await client.get("/inbox", params={"status": "pending", "network": "instagram"})
        assert row_ids(both.text) == [inbox.spring[second.id]]
        nothing = await client.get("/inbox", params={"status": "approved", "campaign": inbox.summer["campaign_id"]})
        assert row_ids(nothing.text) == [] and "Nothing matches these filters." in nothing.text

    async def test_an_htmx_filter_change_swaps_only_the_rows(self, database, settings, web_client):
        inbox = await build_inbox(database, settings)
        first, second, _ = inbox.locations
        response = await (await web_client(MANAGER)).get("/inbox", params={"network": "instagram"}, headers=HTMX)
        assert response.text.lstrip().startswith('<div id="inbox-rows"') and "<html" not in response.text
        assert row_ids(response.text) == [inbox.spring[first.id], inbox.spring[second.id]]
        # The bulk form posts the filters back, so its answer keeps them.
        assert '<input type="hidden" name="network" value="instagram">' in response.text
        assert response.headers["vary"] == "HX-Request"

    async def test_one_row_is_served_alone_and_only_to_its_location(self, database, settings, web_client):
        inbox = await build_inbox(database, settings)
        first, _, third = inbox.locations
        client = await web_client(MANAGER)
        row = await client.get(f"/inbox/rows/{inbox.spring[first.id]}", headers={"HX-Request": "true"})
        assert row.status_code == 200
        assert row.text.lstrip().startswith(f'<tr id="row-{inbox.spring[first.id]}"')
        assert 'data-status="pending"' in row.text
        assert (await client.get(f"/inbox/rows/{inbox.spring[third.id]}")).status_code == 404


async def copies_of(database, proposal_id: str, count: int, start: timedelta = timedelta(days=4), **values) -> list[str]:
    """`count` more proposals like `proposal_id` (each on a revision of its own post: one proposal per
    revision and location), with `values` set, deadlines an hour apart from now + `start`; their ids."""
    now = datetime.now(UTC)
    ids = []
    async with database.session() as session:
        source = await session.get(Proposal, proposal_id)
        revision = await session.get(PostRevision, source.post_revision_id)
        numbers = await session.scalar(select(func.max(PostRevision.number)).where(PostRevision.post_id == revision.post_id))
        for index in range(count):
            copy = PostRevision(**{column.key: getattr(revision, column.key) for column in PostRevision.__table__.columns
                                   if column.key not in ("id", "number")}, id=new_id(), number=numbers + 1 + index)
            session.add(copy)
            await session.flush()
            proposal = Proposal(**{**{column.key: getattr(source, column.key) for column in Proposal.__table__.columns
                                      if column.key not in ("id", "post_revision_id")},
                                   "id": new_id(), "post_revision_id": copy.id,
                                   "deadline": now + start + timedelta(hours=index), **values})
            session.add(proposal)
            ids.append(proposal.id)
    return ids


class TestInboxPages:
    async def test_fifty_rows_a_page_waiting_first_and_a_pager_that_keeps_the_filters(self, database, settings,
                                                                                      web_client):
        inbox = await build_inbox(database, settings)
        first, second, _ = inbox.locations
        # 60 pending on Facebook only, 5 decided long ago with a past deadline.
        pending = await copies_of(database, inbox.summer[first.id], 60)
        decided = await copies_of(database, inbox.summer[second.id], 5, start=-timedelta(days=200), status="expired")
        client = await web_client(MANAGER)

        one = await client.get("/inbox")
        waiting = [inbox.summer[first.id], inbox.summer[second.id], inbox.spring[first.id]] + pending
        assert row_ids(one.text) == waiting[:50]
        assert "Proposals 1 to 50 of 69" in one.text and "Page 1 of 2" in one.text
        assert 'href="?status=&amp;campaign=&amp;network=&amp;page=2"' in one.text
        two = await client.get("/inbox", params={"page": 2})
        # The rest of the waiting ones (the one without a deadline last), then the decided ones, latest first.
        assert row_ids(two.text) == waiting[50:] + [inbox.spring[second.id]] + decided[::-1]
        assert "Proposals 51 to 69 of 69" in two.text
        # Past the end: the last page, not an empty one (its last rows were just decided away).
        assert row_ids((await client.get("/inbox", params={"page": 9})).text) == row_ids(two.text)
        assert (await client.get("/inbox", params={"page": 0})).status_code == 422

        # The network filter is the database's: Instagram's two proposals are found behind 60 on Facebook.
        instagram = await client.get("/inbox", params={"network": "instagram"}, headers=HTMX)
        assert row_ids(instagram.text) == [inbox.spring[first.id], inbox.spring[second.id]]
        assert "Page 1 of" not in instagram.text

        # The bulk form posts its page back: the answer is the same page.
        token = csrf_of(two.text)
        after = await client.post("/inbox/approve", data={"csrf_token": token, "ids": pending[-3:], "page": 2},
                                  headers=HTMX)
        assert "3 proposal(s) approved." in after.text and "Proposals 51 to 69 of 69" in after.text
        assert '<input type="hidden" name="page" value="2">' in after.text
        for odd in ("-3", "0", "two"):  # anything but a page number: the first page
            again = await client.post("/inbox/approve", data={"csrf_token": token, "page": odd}, headers=HTMX)
            assert "Select at least one proposal first." in again.text and "Proposals 1 to 50 of 69" in again.text

    async def test_the_pager_speaks_french(self, database, settings, web_client):
        inbox = await build_inbox(database, settings)
        await copies_of(database, inbox.summer[inbox.locations[0].id], 60)
        page = await (await web_client(MANAGER, language="fr")).get("/inbox", params={"page": 2})
        assert "Propositions 51 à 64 sur 64" in page.text and "Page 2 sur 2" in page.text and "Précédent" in page.text


class TestBulkApprove:
    async def test_approves_only_the_managers_own_and_says_why_not_the_others(self, database, settings, web_client):
        inbox = await build_inbox(database, settings)
        first, second, third = inbox.locations
        client = await web_client(MANAGER)
        token = csrf_of((await client.get("/inbox")).text)
        await client.post(f"/proposals/{inbox.summer[second.id]}/approve", data={"csrf_token": token})
        chosen = [inbox.summer[first.id], inbox.spring[first.id], inbox.spring[second.id],
                  inbox.summer[second.id], inbox.spring[third.id]]

        # Filtered on what waits: no row comes back (all approved now), the skipped one is named all the same.
        response = await client.post("/inbox/approve", data={"csrf_token": token, "ids": chosen, "status": "pending"},
                                     headers=HTMX)

        assert response.status_code == 200
        assert response.text.lstrip().startswith('<div id="inbox-rows"')
        assert '<div id="flash" hx-swap-oob="innerHTML">' in response.text
        toast = response.text[response.text.index('data-testid="inbox-toast"'):]
        assert "3 proposal(s) approved." in toast
        assert f"{second.name} — already approved" in toast
        assert f"{inbox.spring[third.id]} — not found among your locations" in toast
        assert await statuses(database, chosen) == {
            inbox.summer[first.id]: "approved", inbox.spring[first.id]: "approved", inbox.spring[second.id]: "approved",
            inbox.summer[second.id]: "approved", inbox.spring[third.id]: "pending"}
        assert row_ids(response.text) == [] and "Nothing with this status." in response.text

    async def test_without_javascript_the_form_answers_the_whole_page_with_the_result(self, database, settings,
                                                                                      web_client):
        inbox = await build_inbox(database, settings)
        first, _, _ = inbox.locations
        client = await web_client(MANAGER)
        token = csrf_of((await client.get("/inbox")).text)
        response = await client.post("/inbox/approve", data={
            "csrf_token": token, "ids": [inbox.spring[first.id]], "campaign": inbox.spring["campaign_id"]})
        assert response.status_code == 200 and "<html" in response.text
        assert "1 proposal(s) approved." in response.text
        # The one still waiting comes first, the approved one after it.
        assert row_ids(response.text) == [inbox.spring[inbox.locations[1].id], inbox.spring[first.id]]

    async def test_an_empty_selection_is_refused_in_words(self, database, settings, web_client):
        await build_inbox(database, settings)
        client = await web_client(MANAGER)
        token = csrf_of((await client.get("/inbox")).text)
        response = await client.post("/inbox/approve", data={"csrf_token": token}, headers=HTMX)
        assert response.status_code == 200 and "Select at least one proposal first." in response.text

    async def test_the_csrf_token_is_required(self, database, settings, web_client):
        inbox = await build_inbox(database, settings)
        first, _, _ = inbox.locations
        client = await web_client(MANAGER)
        await client.get("/inbox")
        ids = [inbox.spring[first.id], inbox.summer[first.id]]
        missing = await client.post("/inbox/approve", data={"ids": ids})
        forged = await client.post("/inbox/approve", data={"ids": ids, "csrf_token": "forged"})
        assert missing.status_code == 403 and forged.status_code == 403
        assert set((await statuses(database, ids)).values()) == {"pending"}

    async def test_the_page_speaks_french(self, database, settings, web_client):
        await build_inbox(database, settings)
        page = await (await web_client(MANAGER, language="fr")).get("/inbox")
        assert "Raccourcis clavier" in page.text and "Tous les réseaux" in page.text and "En retard" in page.text
