"""The fallback chain fan-out follows to pick each location's language (pure functions)."""

from __future__ import annotations

from hub.translations.service import choose, fallback_chain, script_of, translatable_locales


class TestFallbackChain:
    def test_region_then_language_then_the_source_when_it_is_the_same_language(self):
        assert fallback_chain("fr-BE", "fr-FR") == ["fr-BE", "fr", "fr-FR"]

    def test_other_regions_of_the_language_only_when_they_have_a_translation(self):
        chain = fallback_chain("de-CH", "fr-FR", available={"de-DE", "de-AT", "it-CH"})
        # de-DE first: CLDR's likely region of German; then the others by name; never Italian.
        assert chain == ["de-CH", "de", "de-DE", "de-AT"]

    def test_the_source_comes_before_other_regions(self):
        assert fallback_chain("en-AU", "en-US", available={"en-GB"}) == ["en-AU", "en", "en-US", "en-GB"]

    def test_traditional_chinese_never_falls_back_to_simplified(self):
        chain = fallback_chain("zh-Hant-TW", "fr-FR", available={"zh", "zh-CN", "zh-HK", "zh-Hans"})
        assert chain == ["zh-Hant-TW", "zh-Hant", "zh-HK"]
        assert script_of("zh") == "Hans" and script_of("zh-TW") == "Hant"

    def test_arabic_of_the_emirates(self):
        assert fallback_chain("ar-AE", "fr-FR", available={"ar-EG", "fa-IR"}) == ["ar-AE", "ar", "ar-EG"]

    def test_a_source_in_another_language_is_never_in_the_chain(self):
        assert "fr-FR" not in fallback_chain("nl-BE", "fr-FR", available={"fr-BE"})

    def test_choose_takes_the_first_step_that_has_a_text(self):
        chain = fallback_chain("fr-BE", "fr-FR", available={"fr"})
        assert choose(chain, {"fr"}, "fr-FR") == "fr"
        assert choose(chain, set(), "fr-FR") == "fr-FR"  # HQ's own French
        assert choose(fallback_chain("nl-BE", "fr-FR"), set(), "fr-FR") is None  # needs a translation


def test_translatable_locales_are_the_locations_and_their_language_steps_but_not_the_source():
    assert translatable_locales(["fr-BE", "nl-BE", "fr-FR", "zh-Hant-TW"], "fr-FR") == [
        "fr", "fr-BE", "nl", "nl-BE", "zh-Hant", "zh-Hant-TW"]
