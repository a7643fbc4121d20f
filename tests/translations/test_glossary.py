"""The brand glossary: kept and forced terms per locale, enforced by the linter, edited in the brand kit."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from hub.brandkit import service as brandkit
from hub.brandkit.schemas import BrandKitData
from hub.i18n import translate
from hub.linting.service import LintRules, has_errors, lint_text
from hub.translations.glossary import hints
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of, web_client  # noqa: F401 (the fixture)

GLOSSARY = [
    {"term": "VéloLumière", "locale_rules": {"*": {"mode": "keep"}}},
    {"term": "Click & Collect", "locale_rules": {
        "fr": {"mode": "translate", "translation": "Retrait en magasin"},
        "fr-CA": {"mode": "translate", "translation": "Cueillette en magasin"},
        "de": {"mode": "keep"}}},
    {"term": "e-bike", "locale_rules": {
        "fr": {"mode": "translate", "translation": "vélo électrique"},
        "de": {"mode": "translate", "translation": "E-Bike"},
        "es": {"mode": "translate", "translation": "bicicleta eléctrica"}}},
    {"term": "Pass", "locale_rules": {"fr": {"mode": "translate", "translation": "Abonnement"}}},
    {"term": "Pass Lumière", "locale_rules": {"*": {"mode": "keep"}}},
]
KIT = BrandKitData(glossary=GLOSSARY)
RULES = LintRules(glossary=tuple(KIT.glossary))


def lint(text: str, locale: str, source: str | None = None, network: str = "facebook") -> list[dict]:
    return lint_text(text, network, locale, RULES, source=source)


def spans(text: str, findings: list[dict]) -> list[tuple[str, str, str]]:
    return [(item["rule"], item["severity"], text[item["start"]:item["end"]]) for item in findings]


class TestKeptTerms:
    def test_a_kept_term_in_another_case_or_without_its_accents_is_an_error_with_the_fix(self):
        text = "Chez velolumiere et VELOLUMIÈRE, VéloLumière vous attend."
        findings = lint(text, "fr-FR")
        assert spans(text, findings) == [("glossary.keep", "error", "velolumiere"),
                                         ("glossary.keep", "error", "VELOLUMIÈRE")]
        assert [item["fix"] for item in findings] == ["VéloLumière", "VéloLumière"]
        assert has_errors(findings)
        assert translate(findings[0]["message"], "fr", **findings[0]["values"]) == (
            "La marque écrit « VéloLumière » exactement ainsi, jamais « velolumiere » : écrivez « VéloLumière ».")
        assert translate(findings[0]["message"], "en", **findings[0]["values"]) == (
            "The brand writes “VéloLumière” exactly like this, never “velolumiere”: write “VéloLumière”.")

    def test_whole_words_only(self):
        assert lint("Les VeloLumieres et unevelolumiere", "fr-FR") == []

    def test_the_star_rule_applies_in_every_locale_and_to_every_network(self):
        for locale in ("de-DE", "es-ES", "ar-AE", "en"):
            text = "Velolumière"
            [item] = lint(text, locale, network="x")
            assert (item["rule"], item["locale"], item["network"]) == ("glossary.keep", locale, "x")

    def test_a_translation_that_drops_a_kept_term_gets_a_warning_per_missing_count(self):
        source = "VéloLumière rides. Every VéloLumière shop is open."
        text = "VéloLumière fährt. Jeder Laden ist offen."
        [item] = lint(text, "de-DE", source)
        assert (item["rule"], item["severity"], item["start"], item["end"]) == ("glossary.keep", "warning", len(text), len(text))
        assert item["values"] == {"term": "VéloLumière", "count": 2, "found": 1}
        assert translate(item["message"], "fr", **item["values"]) == (
            "« VéloLumière » figure 2 fois dans la source et 1 fois ici : gardez-le tel quel, sans le traduire.")
        assert not has_errors([item])
        assert lint("VéloLumière fährt. Jeder VéloLumière-Laden ist offen.", "de-DE", source) == []

    def test_a_shorter_term_inside_a_kept_longer_one_is_not_reported(self):
        # "Pass" is translated in French, but "Pass Lumière" is a kept name: the longer term decides.
        assert lint("Le Pass Lumière est là.", "fr-FR", "The Pass Lumière is here.") == []
        text = "Le pass lumiere est là."
        assert spans(text, lint(text, "fr-FR")) == [("glossary.keep", "error", "pass lumiere")]


class TestForcedTranslations:
    def test_the_untranslated_term_is_an_error_whose_fix_is_the_brands_translation(self):
        source = "Try Click & Collect today."
        text = "Essayez le click &  collect aujourd'hui."
        [item] = lint(text, "fr-FR", source)
        assert (item["rule"], item["severity"], text[item["start"]:item["end"]], item["fix"]) == (
            "glossary.translation", "error", "click &  collect", "Retrait en magasin")
        assert translate(item["message"], "fr", **item["values"]) == (
            "Dans cette langue, la marque traduit « click &  collect » par « Retrait en magasin » : "
            "écrivez « Retrait en magasin ».")

    def test_the_forced_translation_matches_whatever_its_case_and_accents(self):
        source = "Click & Collect: order online."
        assert lint("RETRAIT EN MAGASIN : commandez en ligne.", "fr-FR", source) == []
        assert lint("retrait en magasin : commandez en ligne.", "fr-BE", source) == []

    def test_the_exact_locale_rule_wins_over_its_language(self):
        source = "Click & Collect: order online."
        [item] = lint("Retrait en magasin : commandez en ligne.", "fr-CA", source)
        assert (item["rule"], item["severity"]) == ("glossary.translation", "warning")
        assert item["values"]["translation"] == "Cueillette en magasin"
        assert lint("Cueillette en magasin : commandez en ligne.", "fr-CA", source) == []
        # German keeps the English name as it is.
        assert lint("Click & Collect: online bestellen.", "de-DE", source) == []
        text = "click & collect: online bestellen."
        assert spans(text, lint(text, "de-DE", source)) == [("glossary.keep", "error", "click & collect")]

    def test_several_occurrences_are_counted(self):
        source = "An e-bike for you, an e-bike for them."
        assert lint("Un vélo électrique pour vous, un vélo électrique pour eux.", "fr-FR", source) == []
        one = "Un vélo électrique pour vous, un autre pour eux."
        [missing] = lint(one, "fr-FR", source)
        assert (missing["severity"], missing["values"]["count"], missing["values"]["found"]) == ("warning", 2, 1)
        mixed = "Un vélo electrique pour vous, un e-bike pour eux."
        assert spans(mixed, lint(mixed, "fr-FR", source)) == [("glossary.translation", "error", "e-bike")]
        spanish = "Una E-BIKE para ti, una bicicleta electrica para ellos."
        assert spans(spanish, lint(spanish, "es-ES", source)) == [("glossary.translation", "error", "E-BIKE")]

    def test_a_translation_that_is_the_term_itself_is_not_an_untranslated_term(self):
        # German writes "E-Bike": the same word, case aside.
        assert lint("Ein e-bike für dich.", "de-DE", "An e-bike for you.") == []

    def test_without_a_source_the_texts_own_locale_rules_apply(self):
        text = "Commandez en Click & Collect, votre e-bike vous attend."
        assert spans(text, lint(text, "fr-FR")) == [("glossary.translation", "error", "Click & Collect"),
                                                    ("glossary.translation", "error", "e-bike")]
        # HQ writing in English: no English rule for these terms, only the brand name's exact case.
        english = "Order with Click & Collect, your e-bike from Velolumiere awaits."
        assert spans(english, lint(english, "en-GB")) == [("glossary.keep", "error", "Velolumiere")]

    def test_a_term_the_source_does_not_have_is_left_alone_in_a_translation(self):
        # The translator may use the English word on purpose when the source did not say it.
        assert lint("Le Click & Collect, c'est simple.", "fr-FR", "Ordering online is simple.") == []


class TestHints:
    def test_each_term_of_the_source_with_what_to_write_in_reading_order(self):
        source = "The Pass Lumière and the e-bike of VéloLumière, with Click & Collect."
        found = hints(KIT, source, "en", "fr-BE")
        assert [(source[h["start"]:h["end"]], h["mode"], h["translation"]) for h in found] == [
            ("Pass Lumière", "keep", "Pass Lumière"),
            ("e-bike", "translate", "vélo électrique"),
            ("VéloLumière", "keep", "VéloLumière"),
            ("Click & Collect", "translate", "Retrait en magasin"),
        ]
        assert found[0]["term"] == "Pass Lumière"
        assert [h["translation"] for h in hints(RULES, source, "en", "fr-CA")][3] == "Cueillette en magasin"
        assert [h["mode"] for h in hints(KIT.glossary, source, "en", "de-DE")] == ["keep", "translate", "keep", "keep"]

    def test_no_hint_for_the_source_locale_itself_or_a_locale_without_rules(self):
        assert hints(KIT, "VéloLumière", "fr-FR", "fr-FR") == []
        assert hints(KIT, "An e-bike", "en", "it-IT") == []


class TestGlossarySchema:
    def test_locales_are_written_in_their_bcp47_form(self):
        kit = BrandKitData(glossary=[{"term": "  Vélo   Lumière ", "locale_rules": {
            "fr_be": {"mode": "keep"}, "DE": {"mode": "translate", "translation": "Velo Licht"}}}])
        assert kit.glossary[0].term == "Vélo Lumière"
        assert list(kit.glossary[0].locale_rules) == ["fr-BE", "de"]

    @pytest.mark.parametrize(("entry", "says"), [
        ({"term": "X1", "locale_rules": {"fr": {"mode": "translate"}}}, "a term to translate needs its translation"),
        ({"term": "X1", "locale_rules": {"fr": {"mode": "keep", "translation": "Y"}}}, "empty the translation"),
        ({"term": "X1", "locale_rules": {"french": {"mode": "keep"}}}, "'french' is not a locale"),
        ({"term": "X1", "locale_rules": {"fr-be": {"mode": "keep"}, "fr_BE": {"mode": "keep"}}}, "fr-BE is given twice"),
        ({"term": "X1", "locale_rules": {"fr": {"mode": "drop"}}}, "'keep' or 'translate'"),
        ({"term": "X1", "locale_rules": {}}, "at least 1 item"),
        ({"term": "!!", "locale_rules": {"fr": {"mode": "keep"}}}, "at least one letter or digit"),
    ])
    def test_a_wrong_entry_says_what_to_fix(self, entry, says):
        with pytest.raises(ValidationError) as error:
            BrandKitData(glossary=[entry])
        assert says in str(error.value)

    def test_a_term_given_twice_whatever_its_case_and_accents_is_refused(self):
        with pytest.raises(ValidationError, match="'velolumiere' is in the glossary twice"):
            BrandKitData(glossary=[{"term": "VéloLumière", "locale_rules": {"*": {"mode": "keep"}}},
                                   {"term": "velolumiere", "locale_rules": {"fr": {"mode": "keep"}}}])


API_KIT = {
    "tone": {"banned_terms": [{"term": "pas cher", "replacement": "petit prix", "languages": ["fr"]}],
             "formality": {"fr": "vous"}},
    "glossary": [
        {"term": "VéloLumière", "locale_rules": {"*": {"mode": "keep"}}},
        {"term": "e-bike", "locale_rules": {"fr": {"mode": "translate", "translation": "vélo électrique"},
                                            "de-DE": {"mode": "keep"}}},
    ],
}


class TestBrandKitApi:
    async def test_the_glossary_round_trips_beside_the_tone_rules(self, database, settings, client_as):
        network = await make_network(database, settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        assert (await hq.get("/api/v1/brand-kit")).json()["glossary"] == []
        response = await hq.put("/api/v1/brand-kit", json=API_KIT)
        assert response.status_code == 200, response.text
        saved = (await hq.get("/api/v1/brand-kit")).json()
        assert saved["glossary"] == [
            {"term": "VéloLumière", "locale_rules": {"*": {"mode": "keep", "translation": ""}}},
            {"term": "e-bike", "locale_rules": {"fr": {"mode": "translate", "translation": "vélo électrique"},
                                                "de-DE": {"mode": "keep", "translation": ""}}},
        ]
        assert "glossary" not in saved["tone"] and saved["tone"]["banned_terms"][0]["term"] == "pas cher"
        # Saving it again (the GET's own shape) changes nothing.
        assert (await hq.put("/api/v1/brand-kit", json=saved)).json()["glossary"] == saved["glossary"]
        async with database.session() as session:
            rules = await brandkit.lint_rules(session, network.brand_id)
        assert [entry.term for entry in rules.glossary] == ["VéloLumière", "e-bike"]

    async def test_a_wrong_glossary_is_refused_with_its_field_and_nothing_changes(self, database, settings, client_as):
        network = await make_network(database, settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        await hq.put("/api/v1/brand-kit", json=API_KIT)
        bad = {**API_KIT, "glossary": [{"term": "e-bike", "locale_rules": {"fr": {"mode": "translate"}}}]}
        response = await hq.put("/api/v1/brand-kit", json=bad)
        assert response.status_code == 422
        [error] = response.json()["errors"]
        assert error["field"] == "glossary.0.locale_rules.fr"
        assert error["message"] == "a term to translate needs its translation: write it, or choose keep"
        assert len((await hq.get("/api/v1/brand-kit")).json()["glossary"]) == 2

    async def test_the_linter_holds_hq_posts_to_the_glossary(self, database, settings, client_as):
        network = await make_network(database, settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        await hq.put("/api/v1/brand-kit", json=API_KIT)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "C"})).json()
        # The brand writes in fr-FR: a mis-cased brand name and an untranslated "e-bike" are refused.
        refused = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                json={"body": "Votre e-bike Velolumière à {city}", "networks": ["facebook"]})
        assert refused.status_code == 422
        assert sorted((item["rule"], item.get("fix")) for item in refused.json()["errors"]) == [
            ("glossary.keep", "VéloLumière"), ("glossary.translation", "vélo électrique")]
        accepted = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                 json={"body": "Votre vélo électrique VéloLumière à {city}", "networks": ["facebook"]})
        assert accepted.status_code == 201, accepted.text


def glossary_form(token: str, **fields: str) -> dict[str, str]:
    """The brand-kit form with the default palette and network settings, and `fields` on top."""
    return {"csrf_token": token, "palette-primary": "#4F46E5", "palette-secondary": "#0F172A",
            "palette-accent": "#F59E0B", "palette-text": "#FFFFFF", "palette-background": "#F8FAFC",
            "instagram_hashtag_cap": "5", **fields}


class TestGlossaryEditor:
    async def test_rows_of_one_term_become_one_entry_and_come_back_as_rows(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        page = await client.get("/brand-kit")
        assert 'data-testid="glossary-rows"' in page.text and 'data-add-row="glossary"' in page.text
        assert 'id="glossary-template"' in page.text and "glossary-__index__-term" in page.text
        saved = await client.post("/brand-kit", data=glossary_form(csrf_of(page.text), **{
            "glossary-0-term": "e-bike", "glossary-0-mode": "translate", "glossary-0-translation": "vélo électrique",
            "glossary-0-locale": "fr",
            "glossary-1-term": "E-Bike", "glossary-1-mode": "keep", "glossary-1-locale": "de_de",
            "glossary-2-term": "VéloLumière", "glossary-2-mode": "keep", "glossary-2-locale": "",
            "glossary-3-term": "Old term", "glossary-3-mode": "keep", "glossary-3-remove": "1",
            "glossary-4-term": "", "glossary-4-mode": "keep", "glossary-4-locale": "",
        }))
        assert saved.status_code == 303, saved.text
        async with database.session() as session:
            kit = await brandkit.get_kit(session, network.brand_id)
        assert [entry.model_dump() for entry in kit.glossary] == [
            {"term": "e-bike", "locale_rules": {"fr": {"mode": "translate", "translation": "vélo électrique"},
                                                "de-DE": {"mode": "keep", "translation": ""}}},
            {"term": "VéloLumière", "locale_rules": {"*": {"mode": "keep", "translation": ""}}},
        ]
        again = (await client.get("/brand-kit")).text
        assert re.search(r'name="glossary-1-locale" value="de-DE"', again)
        assert re.search(r'name="glossary-0-translation" value="vélo électrique"', again)
        assert re.search(r'<option value="translate"\s+selected>', again)
        assert "Old term" not in again

    async def test_wrong_rows_come_back_with_their_message_and_nothing_is_saved(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email, language="fr")
        token = csrf_of((await client.get("/brand-kit")).text)
        response = await client.post("/brand-kit", data=glossary_form(token, **{
            "glossary-0-term": "e-bike", "glossary-0-mode": "translate", "glossary-0-locale": "fr",
            "glossary-1-term": "VéloLumière", "glossary-1-mode": "keep", "glossary-1-locale": "french",
            "glossary-2-term": "E-BIKE", "glossary-2-mode": "keep", "glossary-2-locale": "FR",
            "glossary-3-term": "", "glossary-3-mode": "keep", "glossary-3-translation": "orphelin",
        }))
        assert response.status_code == 422
        html = response.text
        assert 'data-testid="kit-error"' in html
        assert re.search(r'id="glossary-0-translation" name="glossary-0-translation" value=""[^>]*aria-invalid="true"', html)
        assert "Écrivez la traduction (100 caractères au plus), ou choisissez « Garder tel quel »." in html
        assert 'id="glossary-1-locale-errors"' in html and 'value="french"' in html
        assert "Écrivez une langue comme fr ou fr-BE" in html
        assert 'id="glossary-3-term-errors"' in html
        async with database.session() as session:
            assert (await brandkit.get_kit(session, network.brand_id)).glossary == []

    async def test_one_rule_per_term_and_locale(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        token = csrf_of((await client.get("/brand-kit")).text)
        response = await client.post("/brand-kit", data=glossary_form(token, **{
            "glossary-0-term": "e-bike", "glossary-0-mode": "keep", "glossary-0-locale": "fr",
            "glossary-1-term": "E-bike", "glossary-1-mode": "translate", "glossary-1-translation": "vélo",
            "glossary-1-locale": "fr"}))
        assert response.status_code == 422
        assert 'id="glossary-1-locale-errors"' in response.text
        assert "“e-bike” already has a rule for this locale: keep one row per locale." in response.text

    async def test_the_editor_reads_in_french(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email, language="fr")
        html = (await client.get("/brand-kit")).text
        for french in ("Glossaire", "+ Ajouter un terme au glossaire", "Garder tel quel", "Traduire par",
                       "Traduction imposée"):
            assert french in html
