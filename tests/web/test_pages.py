"""The server-rendered pages over HTTP: login, CSRF, scope, language, forms and HTMX fragments."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from hub.campaigns.models import Campaign
from hub.deps import SESSION_COOKIE
from hub.proposals.models import Proposal
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of, log_in, sent_campaign

HTMX = {"HX-Request": "true"}


def status_badge(html: str) -> str:
    match = re.search(r'data-status="([a-z_]+)" data-testid="proposal-status"', html)
    assert match, "no proposal status badge in the answer"
    return match.group(1)


class TestLogin:
    async def test_wrong_password_shows_an_error_and_starts_no_session(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client()
        response = await log_in(client, network.hq_email, "not-the-password")
        assert response.status_code == 401
        assert 'data-testid="login-error"' in response.text
        assert "Wrong e-mail or password" in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
        assert SESSION_COOKIE not in client.cookies
        assert (await client.get("/campaigns")).status_code == 303

    async def test_login_form_without_its_token_is_refused(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client()
        await client.get("/login")
        response = await client.post("/login", data={"email": network.hq_email, "password": PASSWORD,
                                                     "csrf_token": "forged"})
        assert response.status_code == 403
        assert SESSION_COOKIE not in client.cookies

    async def test_login_sets_a_hardened_cookie_and_lands_on_the_right_page(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client()
        response = await log_in(client, network.hq_email)
        assert response.status_code == 303
        cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith(SESSION_COOKIE))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert (await client.get("/")).headers["location"] == "/campaigns"
        local = await web_client(network.local_emails[network.locations[0].id])
        assert (await local.get("/")).headers["location"] == "/inbox"

    async def test_login_brings_people_back_to_the_page_they_asked_for(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client()
        asked = await client.get("/locations")
        assert asked.status_code == 303 and asked.headers["location"] == "/login?next=/locations"
        form = await client.get(asked.headers["location"])
        assert 'name="next" value="/locations"' in form.text
        response = await client.post("/login", data={"email": network.hq_email, "password": PASSWORD,
                                                     "csrf_token": csrf_of(form.text), "next": "/locations"})
        assert response.headers["location"] == "/locations"

    async def test_each_login_gets_a_new_session_and_ends_the_previous_one(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        first = client.cookies[SESSION_COOKIE]
        await log_in(client, network.hq_email)
        second = client.cookies[SESSION_COOKIE]
        assert first != second
        stale = await web_client()
        stale.cookies.set(SESSION_COOKIE, first)
        assert (await stale.get("/campaigns")).status_code == 303

    async def test_logout_ends_the_session_on_the_server(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        secret = client.cookies[SESSION_COOKIE]
        page = await client.get("/campaigns")
        response = await client.post("/logout", data={"csrf_token": csrf_of(page.text)})
        assert response.status_code == 303 and response.headers["location"] == "/login"
        replay = await web_client()
        replay.cookies.set(SESSION_COOKIE, secret)
        assert (await replay.get("/campaigns")).status_code == 303


class TestCsrf:
    async def test_a_post_without_the_csrf_token_is_refused(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        response = await client.post("/campaigns", data={"name": "Sneaky", "objective": "visibility",
                                                         "approval_policy": "approval_required"})
        assert response.status_code == 403
        assert "reload the page" in response.text
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Campaign)) == 0

    async def test_logout_without_the_token_keeps_the_session(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        assert (await client.post("/logout")).status_code == 403
        assert (await client.get("/campaigns")).status_code == 200


class TestScope:
    async def test_a_local_manager_gets_404_for_another_locations_proposal(self, database, settings, web_client):
        network = await make_network(database, settings, locations=2)
        ids = await sent_campaign(database, settings, network)
        mine, theirs = network.locations
        client = await web_client(network.local_emails[mine.id])
        assert (await client.get(f"/proposals/{ids[theirs.id]}")).status_code == 404
        assert (await client.get(f"/sandbox/{theirs.id}")).status_code == 404
        own = await client.get(f"/proposals/{ids[mine.id]}")
        assert own.status_code == 200
        assert mine.name in own.text and theirs.name not in own.text

    async def test_a_local_manager_cannot_open_campaigns(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        ids = await sent_campaign(database, settings, network)
        client = await web_client(network.local_emails[network.locations[0].id])
        assert (await client.get("/campaigns")).status_code == 403
        assert (await client.get(f"/campaigns/{ids['campaign_id']}")).status_code == 404

    async def test_the_inbox_lists_only_the_managers_own_proposals(self, database, settings, web_client):
        network = await make_network(database, settings, locations=3)
        ids = await sent_campaign(database, settings, network)
        mine = network.locations[1]
        page = await (await web_client(network.local_emails[mine.id])).get("/inbox")
        assert page.status_code == 200
        linked = set(re.findall(r'href="/proposals/([0-9a-f]+)"', page.text))
        assert linked == {ids[mine.id]}


    async def test_the_status_filter_swaps_only_the_rows(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        ids = await sent_campaign(database, settings, network)
        location = network.locations[0]
        client = await web_client(network.local_emails[location.id])
        pending = await client.get("/inbox", params={"status": "pending"}, headers={**HTMX, "HX-Target": "inbox-rows"})
        assert pending.text.lstrip().startswith('<div id="inbox-rows"')
        assert f'/proposals/{ids[location.id]}' in pending.text and "<html" not in pending.text
        approved = await client.get("/inbox", params={"status": "approved"}, headers={**HTMX, "HX-Target": "inbox-rows"})
        assert "/proposals/" not in approved.text and "Nothing with this status." in approved.text


class TestLanguage:
    async def test_the_language_switch_shows_french(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email, language="en")
        assert "Log out" in (await client.get("/campaigns")).text
        response = await client.get("/language", params={"lang": "fr", "next": "/campaigns"})
        assert response.status_code == 303 and response.headers["location"] == "/campaigns"
        page = await client.get("/campaigns")
        assert '<html lang="fr" dir="ltr">' in page.text
        assert "Se déconnecter" in page.text and "Nouvelle campagne" in page.text
        assert "Log out" not in page.text

    async def test_the_login_page_follows_the_switch_too(self, web_client):
        client = await web_client(language=None)
        await client.get("/language", params={"lang": "fr", "next": "/login"})
        assert "Mot de passe" in (await client.get("/login")).text

    async def test_the_switch_never_sends_people_off_site(self, web_client):
        client = await web_client()
        response = await client.get("/language", params={"lang": "fr", "next": "//evil.example/"})
        assert response.headers["location"] == "/"


class TestCampaignForms:
    async def test_a_campaign_is_created_and_opened(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        page = await client.get("/campaigns")
        response = await client.post("/campaigns", data={
            "csrf_token": csrf_of(page.text), "name": "Portes ouvertes", "objective": "promotion",
            "approval_policy": "opt_out", "decision_deadline": "2030-05-01T18:00",
        })
        assert response.status_code == 303
        async with database.session() as session:
            campaign = await session.scalar(select(Campaign))
        assert response.headers["location"] == f"/campaigns/{campaign.id}"
        assert campaign.approval_policy == "opt_out"
        assert campaign.decision_deadline.isoformat() == "2030-05-01T18:00:00+00:00"
        opened = await client.get(response.headers["location"])
        assert "Portes ouvertes" in opened.text

    async def test_a_wrong_campaign_form_comes_back_with_the_errors_and_the_input(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        page = await client.get("/campaigns")
        response = await client.post("/campaigns", data={
            "csrf_token": csrf_of(page.text), "name": "Soldes", "objective": "world_domination",
            "approval_policy": "approval_required", "decision_deadline": "tomorrow-ish",
        })
        assert response.status_code == 422
        assert "Write the deadline as a date and a time" in response.text
        assert 'value="Soldes"' in response.text and 'value="tomorrow-ish"' in response.text
        response = await client.post("/campaigns", data={
            "csrf_token": csrf_of(page.text), "name": "Soldes", "objective": "world_domination",
            "approval_policy": "approval_required",
        })
        assert response.status_code == 422
        assert "Pick one of the objectives in the list." in response.text

    async def test_a_post_breaking_a_network_rule_shows_the_findings_on_the_form(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        ids = await sent_campaign(database, settings, network)
        client = await web_client(network.hq_email)
        page = await client.get(f"/campaigns/{ids['campaign_id']}")
        body = "Trop long " * 40
        response = await client.post(f"/campaigns/{ids['campaign_id']}/posts", data={
            "csrf_token": csrf_of(page.text), "body": body, "networks": ["x", "facebook"], "editable": "free",
        })
        assert response.status_code == 422
        assert "X accepts 280 weighted" in response.text
        assert body.strip() in response.text
        assert re.search(r'value="x"\s+checked', response.text)

    async def test_a_post_is_added_and_locked_when_unticked(self, database, settings, web_client):
        from hub.campaigns.models import PostRevision

        network = await make_network(database, settings, locations=1)
        ids = await sent_campaign(database, settings, network)
        client = await web_client(network.hq_email)
        page = await client.get(f"/campaigns/{ids['campaign_id']}")
        response = await client.post(f"/campaigns/{ids['campaign_id']}/posts", data={
            "csrf_token": csrf_of(page.text), "body": "Nouveau à {city}", "networks": ["linkedin"],
            "editable": "locked", "publish_at": "2030-01-02T09:30",
        })
        assert response.status_code == 303
        async with database.session() as session:
            revision = await session.scalar(select(PostRevision).where(PostRevision.body == "Nouveau à {city}"))
        assert revision.editable == "locked" and revision.networks == ["linkedin"]
        assert revision.publish_at.isoformat() == "2030-01-02T09:30:00+00:00"


class TestDistribution:
    async def test_sending_returns_a_progress_bar_that_stops_polling_when_done(self, database, settings, web_client):
        from hub.proposals import service as proposals
        from hub.proposals.models import DistributionChunk

        network = await make_network(database, settings, locations=3)
        client = await web_client(network.hq_email)
        page = await client.get("/campaigns")
        created = await client.post("/campaigns", data={"csrf_token": csrf_of(page.text), "name": "Été"})
        campaign_page = await client.get(created.headers["location"])
        token = csrf_of(campaign_page.text)
        await client.post(created.headers["location"] + "/posts",
                          data={"csrf_token": token, "body": "Bel été à {city}", "networks": ["facebook"]})
        post_id = re.search(r'/posts/([0-9a-f]+)/distribute', (await client.get(created.headers["location"])).text).group(1)

        response = await client.post(f"/posts/{post_id}/distribute", data={"csrf_token": token}, headers=HTMX)
        assert response.status_code == 200
        assert 'data-testid="distribution-progress"' in response.text
        assert 'hx-trigger="every 500ms"' in response.text and "0/3" in response.text
        poll_url = re.search(r'hx-get="(/distributions/[0-9a-f]+/progress)"', response.text).group(1)

        async with database.session() as session:
            chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
        async with database.session() as session:
            for chunk_id in chunk_ids:
                await proposals.fan_out_chunk(session, chunk_id)

        done = await client.get(poll_url, headers=HTMX)
        assert 'data-status="done"' in done.text and "3/3" in done.text
        assert "hx-trigger" not in done.text.split('id="report"')[0]
        assert 'id="report"' in done.text and 'hx-swap-oob="true"' in done.text

    async def test_a_target_that_matches_nothing_says_so(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        ids = await sent_campaign(database, settings, network)
        client = await web_client(network.hq_email)
        token = csrf_of((await client.get(f"/campaigns/{ids['campaign_id']}")).text)
        response = await client.post(f"/posts/{ids['post_id']}/distribute",
                                     data={"csrf_token": token, "regions": "atlantis"}, headers=HTMX)
        assert response.status_code == 422
        assert "No location matches this target" in response.text


class TestDecisions:
    async def _open(self, database, settings, web_client):
        network = await make_network(database, settings, locations=2)
        ids = await sent_campaign(database, settings, network)
        location = network.locations[0]
        client = await web_client(network.local_emails[location.id])
        page = await client.get(f"/proposals/{ids[location.id]}")
        return client, ids[location.id], csrf_of(page.text), page

    async def test_opening_marks_the_proposal_seen_and_previews_each_network(self, database, settings, web_client):
        client, proposal_id, _, page = await self._open(database, settings, web_client)
        assert "netcard--facebook" in page.text and "netcard--instagram" in page.text
        assert "Bonjour Ville0 !" in page.text
        async with database.session() as session:
            assert (await session.get(Proposal, proposal_id)).seen_at is not None

    async def test_approve_answers_the_decision_block_in_place(self, database, settings, web_client):
        client, proposal_id, token, _ = await self._open(database, settings, web_client)
        response = await client.post(f"/proposals/{proposal_id}/approve", headers={**HTMX, "X-CSRF-Token": token})
        assert response.status_code == 200
        assert response.text.lstrip().startswith('<section id="decision"')
        assert status_badge(response.text) == "approved"
        assert 'id="publications"' in response.text and 'hx-swap-oob="true"' in response.text
        again = await client.post(f"/proposals/{proposal_id}/approve", headers={**HTMX, "X-CSRF-Token": token})
        assert again.status_code == 409 and "already approved" in again.text

    async def test_a_customized_text_breaking_a_rule_comes_back_with_the_text(self, database, settings, web_client):
        client, proposal_id, token, _ = await self._open(database, settings, web_client)
        text = "Venez à {ville} " + "x" * 2300
        response = await client.post(f"/proposals/{proposal_id}/customize", headers=HTMX, data={
            "csrf_token": token, "text_facebook": "Court et bon", "text_instagram": text,
        })
        assert response.status_code == 422
        assert status_badge(response.text) == "pending"
        assert "Instagram accepts 2200 characters" in response.text
        assert "This location has no value for {ville}" in response.text
        assert text in response.text and "Court et bon" in response.text
        async with database.session() as session:
            assert (await session.get(Proposal, proposal_id)).status == "pending"

    async def test_customize_keeps_the_local_text_beside_hqs(self, database, settings, web_client):
        client, proposal_id, token, _ = await self._open(database, settings, web_client)
        response = await client.post(f"/proposals/{proposal_id}/customize", headers=HTMX, data={
            "csrf_token": token, "text_facebook": "Chez nous à {city}, c'est la fête", "text_instagram": "Fête !",
        })
        assert response.status_code == 200 and status_badge(response.text) == "customized"
        page = await client.get(f"/proposals/{proposal_id}")
        assert "Chez nous à Ville0, c&#39;est la fête" in page.text and "HQ text" in page.text

    async def test_reject_with_a_reason_and_no_javascript(self, database, settings, web_client):
        client, proposal_id, token, _ = await self._open(database, settings, web_client)
        response = await client.post(f"/proposals/{proposal_id}/reject", data={
            "csrf_token": token, "reason": "wrong_timing", "comment": "Fermé en août",
        })
        assert response.status_code == 303 and response.headers["location"] == f"/proposals/{proposal_id}"
        page = await client.get(response.headers["location"])
        assert status_badge(page.text) == "rejected"
        assert "Wrong timing" in page.text and "Fermé en août" in page.text

    async def test_an_htmx_request_out_of_scope_gets_a_toast_not_a_page(self, database, settings, web_client):
        network = await make_network(database, settings, locations=2)
        ids = await sent_campaign(database, settings, network)
        mine, theirs = network.locations
        client = await web_client(network.local_emails[mine.id])
        token = csrf_of((await client.get(f"/proposals/{ids[mine.id]}")).text)
        response = await client.post(f"/proposals/{ids[theirs.id]}/approve", headers={**HTMX, "X-CSRF-Token": token})
        assert response.status_code == 404
        assert response.headers["HX-Retarget"] == "#flash"
        assert "toast" in response.text and "<html" not in response.text
        async with database.session() as session:
            assert (await session.get(Proposal, ids[theirs.id])).status == "pending"


class TestSandboxAndLocations:
    async def test_an_approved_post_shows_in_the_locations_sandbox_feed(self, database, settings, web_client):
        from hub.db import utcnow
        from hub.publishing import service as publishing

        network = await make_network(database, settings, locations=2)
        ids = await sent_campaign(database, settings, network)
        location = network.locations[0]
        client = await web_client(network.local_emails[location.id])
        token = csrf_of((await client.get(f"/proposals/{ids[location.id]}")).text)
        await client.post(f"/proposals/{ids[location.id]}/approve", data={"csrf_token": token})
        async with database.session() as session:
            due = await publishing.queue_due(session, utcnow())
        assert len(due) == 2
        for publication_id, _queued_at in due:
            assert await publishing.publish(database, settings, publication_id) == "published"

        page = await client.get(f"/proposals/{ids[location.id]}")
        assert page.text.count('data-status="published"') == 2
        feed = await client.get(f"/sandbox/{location.id}")
        assert feed.status_code == 200
        assert "Sandbox — not a real network" in feed.text
        assert feed.text.count("Bonjour Ville0 ! Appelez-nous au +33 1 00 00 00.") == 2
        assert "netcard--facebook" in feed.text and "netcard--instagram" in feed.text

    async def test_hq_lists_every_location(self, database, settings, web_client):
        network = await make_network(database, settings, locations=3)
        client = await web_client(network.hq_email)
        page = await client.get("/locations")
        assert page.status_code == 200
        for location in network.locations:
            assert location.code in page.text
        found = await client.get("/locations", params={"q": "VELO-002"})
        assert "VELO-002" in found.text and "VELO-001" not in found.text
