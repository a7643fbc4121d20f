"""Through the pages: HQ declares slots and edits a sent post; a location fills the slots."""

from __future__ import annotations

from sqlalchemy import select

from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of


async def _fan_out(database):
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id).where(DistributionChunk.status == "pending")))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)


def _slot_form(token: str, body: str, **extra) -> dict:
    return {"csrf_token": token, "body": body, "networks": ["facebook"], "editable": "slots",
            "slot_name": ["offre", ""], "slot_label": ["Votre offre", ""], "slot_max": ["20", ""],
            "slot_default": ["un café offert", ""], **extra}


async def test_hq_declares_slots_and_a_location_fills_them(database, settings, client_as, web_client):
    network = await make_network(database, settings, locations=2, networks=("facebook",))
    api = await client_as(network.hq_email, PASSWORD)
    campaign = (await api.post("/api/v1/campaigns", json={"name": "Printemps"})).json()
    hq = await web_client(network.hq_email)
    page = await hq.get(f"/campaigns/{campaign['id']}")
    assert 'data-testid="post-editable-slots"' in page.text
    token = csrf_of(page.text)

    # A slot declared but missing from the text: the form comes back with the schema's reason.
    refused = await hq.post(f"/campaigns/{campaign['id']}/posts", data=_slot_form(token, "Bonjour {city} !"))
    assert refused.status_code == 422
    assert 'data-testid="post-form-error"' in refused.text and "must match" in refused.text
    assert 'value="Votre offre"' in refused.text  # the rows come back as typed

    created = await hq.post(f"/campaigns/{campaign['id']}/posts",
                            data=_slot_form(token, "Bonjour {city} : [[offre]] cette semaine."))
    assert created.status_code == 303, created.text
    [post] = (await api.get(f"/api/v1/campaigns/{campaign['id']}/posts")).json()
    assert post["editable"] == "slots"
    assert post["slots"] == {"offre": {"max_length": 20, "default": "un café offert", "label": "Votre offre"}}
    assert "Locations fill the slots: offre" in (await hq.get(f"/campaigns/{campaign['id']}")).text
    assert (await hq.post(f"/posts/{post['id']}/distribute", data={"csrf_token": token})).status_code == 303
    await _fan_out(database)

    location = network.locations[0]
    local_api = await client_as(network.local_emails[location.id], PASSWORD)
    [proposal] = (await local_api.get("/api/v1/proposals")).json()
    local = await web_client(network.local_emails[location.id])
    html = (await local.get(f"/proposals/{proposal['id']}")).text
    assert 'data-testid="slot-inputs"' in html and 'name="text_facebook"' not in html
    assert 'maxlength="20"' in html and 'value="un café offert"' in html and "Votre offre" in html
    token = csrf_of(html)

    too_long = await local.post(f"/proposals/{proposal['id']}/customize", headers={"HX-Request": "true"},
                                data={"csrf_token": token, "slot_offre": "une remise de 50 % sur tout"})
    assert too_long.status_code == 422
    assert 'data-testid="decision-error"' in too_long.text and "at most 20 characters" in too_long.text
    assert 'value="une remise de 50 % sur tout"' in too_long.text  # what the location typed stays

    saved = await local.post(f"/proposals/{proposal['id']}/customize",
                             data={"csrf_token": token, "slot_offre": "-10 % sur les vélos"})
    assert saved.status_code == 303
    now = (await local_api.get(f"/api/v1/proposals/{proposal['id']}")).json()
    assert now["status"] == "customized"
    assert "-10 % sur les vélos cette semaine" in now["texts"]["facebook"]
    assert "-10 % sur les vélos cette semaine" in (await local.get(f"/proposals/{proposal['id']}")).text


async def test_hq_edits_a_sent_post_and_the_pending_proposal_follows(database, settings, client_as, web_client):
    from tests.api.test_revisions import _setup

    network, _api, campaign, post, locals_, _proposals = await _setup(
        database, settings, client_as, "Bonjour {city}, venez nous voir.", locations=2)
    hq = await web_client(network.hq_email)
    page = await hq.get(f"/campaigns/{campaign['id']}")
    assert 'data-testid="post-edit-form"' in page.text and "Revision 1" in page.text
    assert "Bonjour {city}, venez nous voir.</textarea>" in page.text  # prefilled with the current revision
    token = csrf_of(page.text)

    refused = await hq.post(f"/posts/{post['id']}/revise",
                            data={"csrf_token": token, "body": "  ", "networks": ["facebook"], "editable": "free"})
    assert refused.status_code == 422
    assert 'data-testid="post-edit-error"' in refused.text and "Write the text of the post." in refused.text

    saved = await hq.post(f"/posts/{post['id']}/revise", data={
        "csrf_token": token, "body": "Bonjour {city}, venez essayer.", "networks": ["facebook"], "editable": "free"})
    assert saved.status_code == 303, saved.text
    html = (await hq.get(f"/campaigns/{campaign['id']}")).text
    assert "Revision 2" in html
    assert 'data-testid="distribution-progress"' in html and "hx-get=\"/distributions/" in html  # the new fan-out, polled

    await _fan_out(database)
    [current] = (await locals_[0].get("/api/v1/proposals")).json()
    assert (current["revision"], current["status"]) == (2, "pending")
    local = await web_client(network.local_emails[network.locations[0].id])
    html = (await local.get(f"/proposals/{current['id']}")).text
    assert "venez essayer." in html and "venez nous voir" not in html
