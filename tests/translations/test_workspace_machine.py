"""The translation workspace's machine draft: the button only when machine translation is on, the
target filled and saved as a draft (never approved), the service's refusal shown in place with
nothing changed. LibreTranslate runs as its loopback stand-in (tests/standins/translators.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.translations import machine
from hub.translations.models import Translation
from tests.connectors.conftest import pointed_at
from tests.factories import PASSWORD
from tests.standins.translators import LibreTranslateStandIn
from tests.translations.conftest import World, run_fan_out
from tests.web.conftest import csrf_of

ENGLISH = "Hello {city}! Visit our new shop today."
INSTAGRAM = "Hello {city}! Our summer sale #summer"
FRENCH = "Bonjour {city} ! Visitez notre nouvelle boutique aujourd'hui."


@pytest.fixture(autouse=True)
def fresh_pairs():
    """Each stand-in lives on its own port: forget the language pairs another test's stand-in listed."""
    machine._pairs_cache.clear()
    yield
    machine._pairs_cache.clear()


def libre(settings, standin: LibreTranslateStandIn):
    return pointed_at(settings, machine_translator="libretranslate", libretranslate_url=standin.url,
                      libretranslate_api_key="")


async def _english_post(world: World, client_as, database, body: str = ENGLISH, instagram: str = INSTAGRAM) -> str:
    """HQ sends an English post (its own Instagram text) everywhere; every location waits for its language."""
    hq = await client_as(world.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "Summer"})).json()
    r = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                      json={"body": body, "networks": ["facebook", "instagram"], "source_locale": "en",
                            "variants": {"instagram": instagram}})
    assert r.status_code == 201, r.text
    post_id = r.json()["id"]
    r = await hq.post(f"/api/v1/posts/{post_id}/distribute", json={})
    assert r.status_code == 202, r.text
    await run_fan_out(database, r.json()["distribution_id"])
    return post_id


async def _translations(database) -> list[Translation]:
    async with database.session() as session:
        return list(await session.scalars(select(Translation)))


class TestMachineDraft:
    async def test_the_distributor_drafts_with_machine_translation_saved_as_a_draft(
            self, world: World, client_as, web_client, database, settings):
        post_id = await _english_post(world, client_as, database)
        browser = await web_client(world.emails["dist-be"])
        url = f"/posts/{post_id}/translations/fr-BE"
        with LibreTranslateStandIn() as standin, libre(settings, standin):
            page = await browser.get(url)
            assert 'data-testid="machine-draft"' in page.text
            assert "Machine translation by LibreTranslate gives a draft" in page.text
            token = csrf_of(page.text)

            r = await browser.post(f"{url}/machine", data={"csrf_token": "forged"})
            assert r.status_code == 403 and standin.requests == []

            r = await browser.post(f"{url}/machine", data={"csrf_token": token, "body": "", "variant-instagram": ""})
            assert r.status_code == 303, r.text
            assert r.headers["location"] == f"{url}?saved=machine"
            assert {request["body"]["target"] for request in standin.requests} == {"fr"}

        saved = await _translations(database)
        assert len(saved) == 1
        draft = saved[0]
        assert (draft.locale, draft.status, draft.approved_by) == ("fr-BE", "draft", None)
        assert draft.body == "Bonjour {city}! Visitez notre nouvelle boutique aujourd'hui."
        # The placeholder and the hashtag come back as they were; the words around them are translated.
        assert draft.variants == {"instagram": "Bonjour {city}! Notre été soldes #summer"}

        page = await browser.get(f"{url}?saved=machine")
        assert 'data-testid="translation-notice"' in page.text and "Machine draft saved" in page.text
        assert "Draft: it does not go out until it is approved" in page.text
        assert "Visitez notre nouvelle boutique" in page.text

    async def test_off_shows_how_to_turn_it_on_and_drafts_nothing(self, world: World, client_as, web_client,
                                                                  database, settings):
        post_id = await _english_post(world, client_as, database)
        browser = await web_client(world.emails["dist-be"])
        url = f"/posts/{post_id}/translations/fr-BE"
        assert settings.machine_translator == "none"
        page = await browser.get(url)
        assert 'data-testid="machine-draft"' not in page.text
        assert "PIEUVRE_MACHINE_TRANSLATOR" in page.text

        r = await browser.post(f"{url}/machine", data={"csrf_token": csrf_of(page.text), "body": "Mon texte"})
        assert r.status_code == 503
        assert 'data-testid="machine-error"' in r.text and "PIEUVRE_MACHINE_TRANSLATOR" in r.text
        assert "Mon texte" in r.text  # what the translator had typed stays in the field
        assert await _translations(database) == []

    async def test_a_refusing_service_is_shown_in_place_and_changes_nothing(self, world: World, client_as,
                                                                             web_client, database, settings):
        post_id = await _english_post(world, client_as, database)
        browser = await web_client(world.emails["dist-be"])
        url = f"/posts/{post_id}/translations/fr-BE"
        page = await browser.get(url)
        token = csrf_of(page.text)
        r = await browser.post(url, data={"csrf_token": token, "body": FRENCH, "action": "draft"})
        assert r.status_code == 303
        # A keyed server without a key answers 400 "contact the server operator".
        with LibreTranslateStandIn(require_key=True) as standin, libre(settings, standin):
            r = await browser.post(f"{url}/machine", data={"csrf_token": token, "body": FRENCH})
            assert len(standin.requests) >= 1
        assert r.status_code == 503
        assert 'data-testid="machine-error"' in r.text and "key" in r.text.lower()
        [kept] = await _translations(database)
        assert (kept.status, kept.body) == ("draft", FRENCH)

    async def test_an_approved_translation_is_not_replaced_by_the_machine(self, world: World, client_as,
                                                                          web_client, database, settings):
        post_id = await _english_post(world, client_as, database)
        browser = await web_client(world.emails["dist-be"])
        url = f"/posts/{post_id}/translations/fr-BE"
        token = csrf_of((await browser.get(url)).text)
        approved = "Bonjour {city} ! Découvrez notre nouvelle boutique."
        r = await browser.post(url, data={"csrf_token": token, "body": approved, "action": "approve"})
        assert r.status_code == 303
        with LibreTranslateStandIn() as standin, libre(settings, standin):
            r = await browser.post(f"{url}/machine", data={"csrf_token": token})
        assert r.status_code == 409
        assert "Visitez notre nouvelle boutique" in r.text  # the draft is in the field, for a person to approve
        [kept] = await _translations(database)
        assert (kept.status, kept.body) == ("approved", approved)


class TestGlossaryFixes:
    async def test_the_checks_offer_the_glossary_fix_on_the_field_of_each_network(
            self, world: World, client_as, web_client, database):
        hq = await client_as(world.hq_email, PASSWORD)
        kit = (await hq.get("/api/v1/brand-kit")).json()
        kit["glossary"] = [{"term": "VéloLumière", "locale_rules": {"*": {"mode": "keep"}}},
                           {"term": "e-bike", "locale_rules": {"fr-BE": {"mode": "translate",
                                                                       "translation": "vélo électrique"}}}]
        assert (await hq.put("/api/v1/brand-kit", json=kit)).status_code == 200
        post_id = await _english_post(world, client_as, database, body="The VéloLumière e-bike is in {city}.",
                                      instagram="Hello {city}! The e-bike is here #summer")
        browser = await web_client(world.emails["dist-be"])
        url = f"/posts/{post_id}/translations/fr-BE"
        token = csrf_of((await browser.get(url)).text)
        r = await browser.post(f"{url}/lint", headers={"HX-Request": "true"}, data={
            "csrf_token": token, "body": "Bonjour {city} ! Le e-bike de velolumiere est là.",
            "variant-instagram": "Bonjour {city} ! Le e-bike #summer"})
        assert r.status_code == 200
        facebook = r.text[r.text.index('data-testid="check-facebook"'):r.text.index('data-testid="check-instagram"')]
        instagram = r.text[r.text.index('data-testid="check-instagram"'):]
        # Facebook reads the body, Instagram its own text: each fix writes into the field the text comes from.
        assert 'data-fix-for="target-body"' in facebook and 'data-fix-for="target-variant-instagram"' in instagram
        assert 'data-fix-term="velolumiere" data-fix="VéloLumière"' in facebook
        assert 'data-fix-term="e-bike" data-fix="vélo électrique"' in facebook
        assert 'data-fix-term="e-bike" data-fix="vélo électrique"' in instagram
