"""The brand's tone of voice, checked in French, German, Spanish and Arabic."""

from __future__ import annotations

import pytest

from hub.brandkit.schemas import ToneRules
from hub.i18n import translate
from hub.linting.service import LintRules, has_errors, lint_text
from hub.linting.tone import fold, lint_tone, with_signature


def rules(**tone) -> LintRules:
    return LintRules(tone=ToneRules(**tone))


def rule_ids(findings):
    return [item["rule"] for item in findings]


class TestBannedTerms:
    kit = rules(banned_terms=[
        {"term": "pas cher", "replacement": "petit prix", "languages": ["fr"]},
        {"term": "Billig", "replacement": "günstig", "languages": ["de"]},
        {"term": "barato", "replacement": "económico"},
        {"term": "رخيص", "replacement": "بسعر مناسب", "languages": ["ar"]},
    ])

    def test_whole_words_case_and_accent_insensitive_with_the_exact_span(self):
        text = "Un vélo PAS  Chér pour tous"
        [item] = lint_text(text, "facebook", "fr-FR", self.kit)
        assert (item["rule"], item["severity"], item["fix"]) == ("tone.banned_term", "error", "petit prix")
        assert text[item["start"]:item["end"]] == "PAS  Chér"
        assert translate(item["message"], "fr", **item["values"]) == "La marque ne dit pas « PAS  Chér » : écrivez « petit prix » à la place."

    def test_part_of_a_longer_word_is_not_a_match(self):
        assert lint_text("Des pas chers?", "facebook", "fr-FR", self.kit) == []  # "chers" is another word
        assert lint_text("Ein billiger Preis", "facebook", "de-DE", self.kit) == []

    def test_terms_are_per_language(self):
        assert rule_ids(lint_text("Billig und gut", "facebook", "de-DE", self.kit)) == ["tone.banned_term"]
        assert lint_text("Billig und gut", "facebook", "fr-FR", self.kit) == []
        # A term without languages is banned in every language.
        assert rule_ids(lint_text("¡Muy BARATO!", "facebook", "es-ES", self.kit)) == ["tone.banned_term"]
        assert rule_ids(lint_text("Muy barato", "facebook", "fr-BE", self.kit)) == ["tone.banned_term"]

    def test_arabic(self):
        text = "دراجة رخيص في دبي"
        [item] = lint_text(text, "instagram", "ar-AE", self.kit)
        assert text[item["start"]:item["end"]] == "رخيص" and item["fix"] == "بسعر مناسب"

    def test_fold_maps_back_to_the_original_positions(self):
        folded, origin = fold("Éte\u0301")
        assert folded == "ete" and origin == [0, 1, 2]


class TestRequiredMentionsAndLimits:
    def test_a_required_hashtag_per_network(self):
        kit = rules(required_mentions=[{"text": "#VeloLumiere", "networks": ["instagram"]}])
        [item] = lint_text("Bonjour", "instagram", "fr-FR", kit)
        assert (item["rule"], item["severity"], item["fix"]) == ("tone.required_missing", "error", "#VeloLumiere")
        assert lint_text("Bonjour #velolumiere", "instagram", "fr-FR", kit) == []
        assert lint_text("Bonjour", "facebook", "fr-FR", kit) == []

    def test_brand_limits_are_warnings(self):
        kit = rules(max_hashtags=2, max_emoji=1, max_exclamation_marks=1, max_caps_words=1)
        text = "SUPER PROMO !!! 🚲🎉 #a #b #c"
        findings = lint_text(text, "facebook", "fr-FR", kit)
        assert sorted(rule_ids(findings)) == ["tone.too_many_caps", "tone.too_many_emoji", "tone.too_many_exclamations",
                                              "tone.too_many_hashtags"]
        assert not has_errors(findings)
        hashtags = next(item for item in findings if item["rule"] == "tone.too_many_hashtags")
        assert text[hashtags["start"]:hashtags["end"]] == "#c"

    def test_instagram_hashtag_cap_is_a_setting_and_blocks(self):
        text = " ".join(f"#tag{n}" for n in range(6))
        assert rule_ids(lint_text(text, "instagram", "fr-FR")) == ["network.too_many_hashtags"]
        assert has_errors(lint_text(text, "instagram", "fr-FR"))
        assert lint_text(text, "instagram", "fr-FR", LintRules(instagram_hashtag_cap=10)) == []
        assert lint_text(text, "facebook", "fr-FR") == []


class TestFormality:
    @pytest.mark.parametrize(("locale", "register", "text", "word"), [
        ("fr-FR", "vous", "Viens essayer ton vélo, on t'attend !", "ton"),
        ("fr-BE", "vous", "Tu vas adorer.", "Tu"),
        ("de-DE", "Sie", "Hol dir dein neues Rad!", "dir"),
        ("es-ES", "usted", "¿Quieres probar tu bici?", "tu"),
        ("fr-FR", "tu", "Venez découvrir votre vélo.", "votre"),
        ("de-DE", "du", "Testen Sie Ihr neues Rad.", "Sie"),
        ("es-ES", "tú", "Usted merece lo mejor.", "Usted"),
    ])
    def test_the_other_register_is_flagged(self, locale, register, text, word):
        language = locale[:2]
        findings = lint_text(text, "facebook", locale, rules(formality={language: register}))
        assert findings and {item["rule"] for item in findings} == {"tone.formality"}
        assert word in [text[item["start"]:item["end"]] for item in findings]
        assert not has_errors(findings)

    @pytest.mark.parametrize(("locale", "register", "text"), [
        ("fr-FR", "vous", "Venez essayer votre vélo, nous vous attendons."),
        ("de-DE", "Sie", "Sie finden uns in Berlin. Testen Sie Ihr neues Rad."),
        ("es-ES", "usted", "Venga a probar su bicicleta."),
        ("de-DE", "du", "Sie ist neu: hol dir dein Rad."),  # "Sie" at the start of a sentence is "she"
    ])
    def test_the_right_register_passes(self, locale, register, text):
        assert lint_text(text, "facebook", locale, rules(formality={locale[:2]: register})) == []

    def test_a_register_for_another_language_is_not_applied(self):
        assert lint_text("Tu vas adorer.", "facebook", "de-DE", rules(formality={"fr": "vous"})) == []

    def test_bad_registers_are_refused(self):
        with pytest.raises(ValueError):
            ToneRules(formality={"fr": "Sie"})
        with pytest.raises(ValueError):
            ToneRules(formality={"it": "lei"})


class TestSignature:
    def test_appended_once_where_it_applies(self):
        tone = ToneRules(signature={"text": "— L'équipe Vélo Lumière", "networks": ["facebook"]})
        signed = with_signature("Bonjour", "facebook", tone)
        assert signed == "Bonjour\n\n— L'équipe Vélo Lumière"
        assert with_signature(signed, "facebook", tone) == signed
        assert with_signature("Bonjour", "x", tone) == "Bonjour"


class TestNetworkRules:
    def test_google_business_rejects_phone_numbers_but_not_dates(self):
        text = "Appelez le +33 4 72 00 00 02 ou le 04 72 00 00 02 avant le 01/12/2026."
        findings = lint_text(text, "google_business", "fr-FR")
        assert [text[item["start"]:item["end"]] for item in findings] == ["+33 4 72 00 00 02", "04 72 00 00 02"]
        assert {item["severity"] for item in findings} == {"error"}
        assert "networks.md §6" in findings[0]["values"]["source"]
        assert lint_text(text, "facebook", "fr-FR") == []

    def test_youtube_forbids_angle_brackets_and_long_titles(self):
        findings = lint_text("Nouveau <vélo>\nDescription", "youtube", "fr-FR")
        assert rule_ids(findings) == ["network.forbidden_character", "network.forbidden_character"]
        findings = lint_text("T" * 101 + "\nDescription", "youtube", "fr-FR")
        assert rule_ids(findings) == ["network.title_too_long"]
        assert lint_text("T" * 100 + "\nDescription", "youtube", "fr-FR") == []

    def test_instagram_links_are_not_clickable(self):
        text = "Offre sur https://velo.fr/printemps."
        [item] = lint_text(text, "instagram", "fr-FR")
        assert (item["rule"], item["severity"]) == ("network.link_not_clickable", "warning")
        assert text[item["start"]:item["end"]] == "https://velo.fr/printemps"

    def test_arabic_text_counts_and_links(self):
        text = "عرض الربيع في دبي 🚲 https://velo.ae"
        assert lint_text(text, "x", "ar-AE") == []
        assert rule_ids(lint_text(text, "instagram", "ar-AE")) == ["network.link_not_clickable"]

    def test_every_rule_names_its_source(self):
        text = "<" + "#a " * 40 + "+33 4 72 00 00 02 https://x.fr\n" + "é" * 70000
        for network in ("facebook", "instagram", "linkedin", "x", "google_business", "youtube"):
            for item in lint_text(text, network, "fr-FR"):
                assert item["values"].get("source", "").startswith("networks.md"), item


def test_lint_tone_alone_without_rules_finds_nothing():
    assert lint_tone("TOUT EN CAPITALES !!!", "facebook", "fr-FR", ToneRules()) == []
