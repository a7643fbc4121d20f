"""Translation memory suggestions: exact and fuzzy matches of earlier approved translations, and their panel."""

from __future__ import annotations

import random
import time
from datetime import timedelta

from sqlalchemy import insert

from hub.db import new_id, utcnow
from hub.templating import environment
from hub.i18n import Translator
from hub.translations import memory
from hub.translations.memory import CANDIDATES, fuzzy_candidates, length_window, source_hash, suggest
from hub.translations.models import TranslationMemory
from tests.factories import make_network

SOURCE = "Découvrez nos vélos électriques en boutique ce week-end, essai gratuit sur place."


def entry(brand_id: str, source: str, target: str, *, source_locale: str = "fr-FR", target_locale: str = "de-DE",
          age_days: int = 0) -> dict:
    return {"id": new_id(), "brand_id": brand_id, "source_locale": source_locale, "target_locale": target_locale,
            "source_text": source, "source_hash": source_hash(source), "target_text": target,
            "created_at": utcnow() - timedelta(days=age_days)}


async def remember(database, *rows: dict) -> None:
    async with database.session() as session:
        await session.execute(insert(TranslationMemory), list(rows))


async def brand(database, settings, slug: str = "velo") -> str:
    return (await make_network(database, settings, locations=0, slug=slug)).brand_id


class TestSuggestions:
    async def test_an_exact_source_gives_its_translation_first_then_similar_ones_best_first(self, database, settings):
        brand_id = await brand(database, settings)
        await remember(
            database,
            entry(brand_id, SOURCE, "Entdecken Sie unsere E-Bikes im Laden."),
            entry(brand_id, SOURCE.replace("gratuit", "offert"), "… Probefahrt geschenkt."),
            entry(brand_id, SOURCE.replace("ce week-end", "ce samedi"), "… am Samstag."),
            entry(brand_id, "Nos horaires changent pour l'été : ouverts de 9 h à 19 h.", "Neue Öffnungszeiten."),
        )
        async with database.session() as session:
            found = await suggest(session, brand_id, "fr-FR", "de-DE", {"facebook": SOURCE, "x": SOURCE})
        assert found["facebook"] == found["x"]
        exact, first, second = found["facebook"]
        assert (exact["kind"], exact["score"], exact["target_text"]) == ("exact", 1.0, "Entdecken Sie unsere E-Bikes im Laden.")
        assert (first["kind"], first["target_text"]) == ("fuzzy", "… Probefahrt geschenkt.")
        assert (second["kind"], second["target_text"]) == ("fuzzy", "… am Samstag.")
        assert 1.0 > first["score"] > second["score"] >= memory.THRESHOLD
        assert first["score"] == round(memory.score(SOURCE, first["source_text"]), 3) == 0.938  # 15 of 16 tokens
        assert first["source_text"] == SOURCE.replace("gratuit", "offert")

    async def test_the_threshold_and_the_limit(self, database, settings):
        brand_id = await brand(database, settings)
        close = [SOURCE.replace("gratuit", word) for word in ("offert", "libre", "ouvert", "possible")]
        await remember(database, *[entry(brand_id, text, f"Ziel {index}") for index, text in enumerate(close)],
                       entry(brand_id, "Découvrez nos casques ce mois-ci.", "Helme"))
        async with database.session() as session:
            default = await suggest(session, brand_id, "fr-FR", "de-DE", {"facebook": SOURCE})
            wide = await suggest(session, brand_id, "fr-FR", "de-DE", {"facebook": SOURCE}, limit=10)
            strict = await suggest(session, brand_id, "fr-FR", "de-DE", {"facebook": SOURCE}, threshold=0.999)
            loose = await suggest(session, brand_id, "fr-FR", "de-DE", {"facebook": SOURCE}, threshold=0.1, limit=10)
        assert len(default["facebook"]) == memory.LIMIT == 3
        assert {item["target_text"] for item in wide["facebook"]} == {"Ziel 0", "Ziel 1", "Ziel 2", "Ziel 3"}
        assert [item["score"] for item in wide["facebook"]] == sorted((item["score"] for item in wide["facebook"]), reverse=True)
        assert strict == {"facebook": []}
        # The short helmet text is far below the default threshold, found only with a loose one (it shares "Découvrez").
        assert "Helme" in {item["target_text"] for item in loose["facebook"]}
        assert memory.score(SOURCE, "Découvrez nos casques ce mois-ci.") < memory.THRESHOLD

    async def test_the_target_locale_first_then_its_language_never_another_language_or_brand(self, database, settings):
        brand_id = await brand(database, settings)
        other_brand = await brand(database, settings, slug="autre")
        await remember(
            database,
            entry(brand_id, SOURCE, "Version France", target_locale="fr-FR", source_locale="en", age_days=1),
            entry(brand_id, SOURCE, "Version Belgique", target_locale="fr-BE", source_locale="en", age_days=5),
            entry(brand_id, SOURCE, "Version fr", target_locale="fr", source_locale="en-GB"),
            entry(brand_id, SOURCE, "Deutsche Fassung", target_locale="de-DE", source_locale="en"),
            entry(brand_id, SOURCE, "Version Belgique", target_locale="fr-CA", source_locale="en"),
            entry(other_brand, SOURCE, "Autre marque", target_locale="fr-BE", source_locale="en"),
        )
        async with database.session() as session:
            found = await suggest(session, brand_id, "en", "fr-BE", {"instagram": SOURCE}, limit=10)
        # Exact locale first, then the language's other variants newest first; one row per translation.
        assert [(item["target_text"], item["target_locale"]) for item in found["instagram"]] == [
            ("Version Belgique", "fr-BE"), ("Version fr", "fr"), ("Version France", "fr-FR")]
        assert {item["kind"] for item in found["instagram"]} == {"exact"}

    async def test_no_text_no_memory(self, database, settings):
        brand_id = await brand(database, settings)
        async with database.session() as session:
            assert await suggest(session, brand_id, "fr-FR", "de-DE", {"facebook": "  ", "x": SOURCE}) == {
                "facebook": [], "x": []}
            assert await suggest(session, brand_id, "fr-FR", "de-DE", {}) == {}


VOCABULARY = ("vélo électrique boutique promotion printemps atelier réparation casque batterie autonomie "
              "essai gratuit location famille enfants balade week-end samedi dimanche ouverture horaires "
              "nouveauté collection accessoires entretien révision garantie livraison commande ville "
              "montagne route gravel cargo pliant urbain sportif confort sécurité éclairage antivol "
              "remise fidélité carte cadeau anniversaire événement sortie club randonnée itinéraire").split()


class TestLargeMemory:
    async def test_twenty_thousand_entries_are_never_read_whole(self, database, settings):
        brand_id = await brand(database, settings)
        rng = random.Random(6)
        rows = []
        for index in range(20_000):
            words = [rng.choice(VOCABULARY) for _ in range(rng.randint(8, 30))]
            text = f"{' '.join(words).capitalize()} n°{index}."
            rows.append(entry(brand_id, text, f"Übersetzung {index}", age_days=rng.randint(0, 700)))
        # The near match is among the oldest entries: the prefilter must find it by its words, not its age.
        planted = "Nouveau : le vélo cargo Lumière Famille, essai gratuit chez votre revendeur samedi."
        rows.append(entry(brand_id, planted, "Neu: das Lastenrad Lumière Famille", age_days=900))
        for start in range(0, len(rows), 5_000):
            await remember(database, *rows[start:start + 5_000])

        asked = "Nouveau : le vélo cargo Lumière Famille, essai gratuit chez votre revendeur dimanche."
        async with database.session() as session:
            candidates = await fuzzy_candidates(session, brand_id, "fr-FR", "de-DE", asked)
            started = time.perf_counter()
            found = await suggest(session, brand_id, "fr-FR", "de-DE",
                                  {"facebook": asked, "instagram": asked, "x": rows[123]["source_text"]})
            elapsed = time.perf_counter() - started
        print(f"\ntranslation memory: 20,001 entries, suggest() for 2 distinct texts took {elapsed * 1000:.0f} ms; "
              f"{len(candidates)} candidates scored for one text")
        assert len(candidates) <= CANDIDATES
        assert planted in {candidate.source_text for candidate in candidates}
        assert found["facebook"][0]["target_text"] == "Neu: das Lastenrad Lumière Famille"
        assert found["facebook"][0]["kind"] == "fuzzy" and found["facebook"][0]["score"] > 0.9
        assert found["x"][0] == {**found["x"][0], "kind": "exact", "target_text": "Übersetzung 123"}
        # About 0.3 s here (two distinct texts); the bound leaves room for a busy test machine.
        assert elapsed < 2.0, f"suggest() took {elapsed:.2f} s on 20,000 entries"

    def test_the_length_window_keeps_every_text_that_can_reach_the_threshold(self):
        low, high = length_window(100, 0.75)
        assert (low, high) == (48, 200)
        base = " ".join(["vélo"] * 20)  # 99 characters, 20 words
        assert memory.score(base, " ".join(["vélo"] * 12)) >= 0.75 > memory.score(base, " ".join(["vélo"] * 11))
        assert len(" ".join(["vélo"] * 12)) >= low
        assert memory.score(base, " ".join(["vélo"] * 33)) >= 0.75 > memory.score(base, " ".join(["vélo"] * 34))
        assert len(" ".join(["vélo"] * 33)) <= high

class TestSuggestionsPanel:
    def render(self, language: str, **context) -> str:
        template = environment.get_template("translations/_suggestions.html")
        return template.render(_=Translator(language), key="body", target_id="target-body", locale="de-DE", **context)

    def test_hints_and_suggestions_with_buttons_that_fill_the_target(self):
        html = self.render("en", hints=[
            {"term": "VéloLumière", "mode": "keep", "translation": "VéloLumière", "start": 0, "end": 11},
            {"term": "e-bike", "mode": "translate", "translation": "E-Bike", "start": 20, "end": 26}],
            suggestions=[
                {"source_text": SOURCE, "target_text": "Entdecken Sie <b>E-Bikes</b>", "score": 1.0, "kind": "exact",
                 "target_locale": "de-DE"},
                {"source_text": "Découvrez nos vélos", "target_text": "Entdecken Sie Räder", "score": 0.816,
                 "kind": "fuzzy", "target_locale": "de-AT"}])
        assert 'data-testid="suggestions-body"' in html
        assert 'data-insert-into="target-body" data-insert-mode="cursor"\n                data-insert-text="E-Bike"' in html
        assert "Keep as is" in html and "Insert “VéloLumière”" in html
        assert 'data-insert-mode="replace"\n                data-insert-text="Entdecken Sie &lt;b&gt;E-Bikes&lt;/b&gt;"' in html
        assert "Exact match" in html and "82% similar" in html and "Approved for de-AT" in html
        assert "<b>" not in html

    def test_in_french_and_when_there_is_nothing(self):
        html = self.render("fr", hints=[], suggestions=[
            {"source_text": "x", "target_text": "y", "score": 0.8, "kind": "fuzzy", "target_locale": "de-DE"}])
        assert "Aucun terme du glossaire dans ce texte source." in html
        assert "Similaire à 80 %" in html and "Utiliser cette traduction" in html and "Validée pour de-DE" in html
        empty = self.render("en", hints=[], suggestions=[])
        assert "No earlier translation of a text like this one." in empty
