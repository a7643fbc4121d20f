"""The brand kit through the API, and the same linter everywhere text is written."""

from __future__ import annotations

from sqlalchemy import select

from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from tests.factories import PASSWORD, make_network

KIT = {
    "palette": {"primary": "#112233", "secondary": "#0F172A", "accent": "#F59E0B", "text": "#FFFFFF",
                "background": "#F8FAFC"},
    "tone": {
        "banned_terms": [{"term": "pas cher", "replacement": "petit prix", "languages": ["fr"]}],
        "required_mentions": [{"text": "#VeloLumiere", "networks": ["instagram"]}],
        "max_exclamation_marks": 2,
        "formality": {"fr": "vous"},
        "signature": {"text": "— Vélo Lumière", "networks": ["facebook"]},
    },
    "networks": {"instagram_hashtag_cap": 3},
}


async def _hq(database, settings, client_as):
    network = await make_network(database, settings, locations=2, networks=("facebook", "instagram"))
    return network, await client_as(network.hq_email, PASSWORD)


async def _fan_out(database):
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)


class TestBrandKitApi:
    async def test_defaults_then_save_and_read_back(self, database, settings, client_as):
        _, hq = await _hq(database, settings, client_as)
        defaults = (await hq.get("/api/v1/brand-kit")).json()
        assert defaults["tone"]["banned_terms"] == [] and defaults["networks"]["instagram_hashtag_cap"] == 5
        response = await hq.put("/api/v1/brand-kit", json=KIT)
        assert response.status_code == 200, response.text
        saved = (await hq.get("/api/v1/brand-kit")).json()
        assert saved["tone"]["banned_terms"][0]["replacement"] == "petit prix"
        assert saved["palette"]["primary"] == "#112233" and saved["networks"]["instagram_hashtag_cap"] == 3

    async def test_bad_input_is_refused_with_the_field_and_nothing_changes(self, database, settings, client_as):
        _, hq = await _hq(database, settings, client_as)
        await hq.put("/api/v1/brand-kit", json=KIT)
        bad = {**KIT, "palette": {**KIT["palette"], "primary": "blue"}, "tone": {**KIT["tone"], "formality": {"fr": "Sie"}}}
        response = await hq.put("/api/v1/brand-kit", json=bad)
        assert response.status_code == 422
        fields = {error["field"] for error in response.json()["errors"]}
        assert {"palette.primary", "tone.formality"} <= fields
        assert "#RRGGBB" in str(response.json()["errors"])
        assert (await hq.get("/api/v1/brand-kit")).json()["palette"]["primary"] == "#112233"

    async def test_only_hq_admins_change_it_and_locals_do_not_read_it(self, database, settings, client_as):
        network, hq = await _hq(database, settings, client_as)
        from hub.accounts import service as accounts

        async with database.session() as session:
            editor = await accounts.create_user(session, email="editor@velo.test", password=PASSWORD)
            await accounts.add_membership(session, editor, network.brand_id, "hq_editor")
        editor_client = await client_as("editor@velo.test", PASSWORD)
        assert (await editor_client.get("/api/v1/brand-kit")).status_code == 200
        assert (await editor_client.put("/api/v1/brand-kit", json=KIT)).status_code == 403
        local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
        assert (await local.get("/api/v1/brand-kit")).status_code == 403


class TestOneLinterEverywhere:
    async def test_lint_endpoint_explains_each_finding_in_the_users_language(self, database, settings, client_as):
        _, hq = await _hq(database, settings, client_as)
        await hq.put("/api/v1/brand-kit", json=KIT)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "C"})).json()
        # Saving is refused while a blocking finding remains: the required hashtag is missing.
        refused = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                json={"body": "Vélos pas cher à {city} !", "networks": ["facebook", "instagram"]})
        assert refused.status_code == 422
        rules = sorted(item["rule"] for item in refused.json()["errors"])
        assert rules == ["tone.banned_term", "tone.banned_term", "tone.required_missing"]
        post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": "Vos vélos à {city} ! #VeloLumiere", "variants": {"facebook": "Ton vélo à {city} !"},
            "networks": ["facebook", "instagram"]})).json()
        response = await hq.post(f"/api/v1/posts/{post['id']}/lint", headers={"Accept-Language": "fr"})
        [item] = response.json()["findings"]
        assert (item["rule"], item["severity"], item["network"], item["start"], item["end"]) == (
            "tone.formality", "warning", "facebook", 0, 3)
        assert item["message"] == "La marque s'adresse aux lecteurs avec « vous » dans cette langue : « Ton » ne correspond pas."

    async def test_fan_out_appends_the_signature_and_customization_is_held_to_the_kit(self, database, settings, client_as):
        network, hq = await _hq(database, settings, client_as)
        await hq.put("/api/v1/brand-kit", json=KIT)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "C"})).json()
        post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": "Bienvenue à {city} #VeloLumiere", "networks": ["facebook", "instagram"]})).json()
        assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute")).status_code == 202
        await _fan_out(database)
        local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
        [proposal] = (await local.get("/api/v1/proposals")).json()
        assert proposal["texts"]["facebook"] == "Bienvenue à Ville0 #VeloLumiere\n\n— Vélo Lumière"
        assert proposal["texts"]["instagram"] == "Bienvenue à Ville0 #VeloLumiere"

        refused = await local.post(f"/api/v1/proposals/{proposal['id']}/customize",
                                   json={"texts": {"facebook": "Prix pas cher à {city}"}})
        assert refused.status_code == 422
        [banned] = [item for item in refused.json()["errors"] if item["rule"] == "tone.banned_term"]
        assert banned["fix"] == "petit prix"
        assert (await local.get(f"/api/v1/proposals/{proposal['id']}")).json()["status"] == "pending"

        accepted = await local.post(f"/api/v1/proposals/{proposal['id']}/customize",
                                    json={"texts": {"facebook": "Petit prix à {city}"}})
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["texts"]["facebook"] == "Petit prix à Ville0\n\n— Vélo Lumière"

    async def test_a_rule_added_after_approval_stops_the_post_before_publishing(self, database, settings, client_as):
        from hub.publishing import service as publishing
        from hub.publishing.models import Publication

        network, hq = await _hq(database, settings, client_as)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "C", "approval_policy": "auto_publish"})).json()
        post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": "Vélos pas cher à {city}", "networks": ["facebook"]})).json()
        await hq.post(f"/api/v1/posts/{post['id']}/distribute")
        await _fan_out(database)
        await hq.put("/api/v1/brand-kit", json=KIT)  # HQ bans "pas cher" after the proposals went out
        async with database.session() as session:
            publication_ids = list(await session.scalars(select(Publication.id)))
        assert len(publication_ids) == 2
        for publication_id in publication_ids:
            assert await publishing.publish(database, settings, publication_id) == "failed"
        publications = (await hq.get("/api/v1/publications")).json()
        assert {item["status"] for item in publications} == {"failed"}
        assert "customize it" in publications[0]["error"]
