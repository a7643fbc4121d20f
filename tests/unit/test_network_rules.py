"""How each network measures a post's text, and the findings when it is too long or empty."""

from __future__ import annotations

import pytest

from hub.i18n import translate
from hub.linting.networks import NETWORK_RULES, measured_length, x_weighted_length
from hub.linting.service import has_errors, lint_text

FRENCH = "Découvrez nos vélos électriques à Besançon : l'été arrive, profitez-en dès aujourd'hui ! Œuvre, garçon. "
GERMAN = "Größere Fahrräder für Straßen – Öffnungszeiten: Mo–Fr, „Überraschung“ für Kunden — jetzt bestellen! "
SPANISH = "¿Dónde está la bicicleta? ¡Aquí, señora! Año nuevo, vida nueva: pedalea con nosotros en Logroño. "
ARABIC = "دراجات كهربائية جديدة في دبي! اتصل بنا اليوم واحصل على خصم خاص. "
LONG_URL = "https://velo-lumiere.example/fr/campagnes/printemps-2026/offre?utm_source=x&utm_medium=social&id=" + "9" * 150


def of_length(sample: str, n: int) -> str:
    """`sample` repeated and cut to exactly `n` code points."""
    text = (sample * (n // len(sample) + 1))[:n]
    assert len(text) == n
    return text


def too_long(findings: list[dict]) -> list[dict]:
    return [item for item in findings if item["rule"] == "network.too_long"]


def message(item: dict) -> str:
    return translate(item["message"], "en", **item["values"])


class TestRuleTable:
    @pytest.mark.parametrize(("network", "limit", "counting"), [
        ("facebook", 63206, "characters"),
        ("instagram", 2200, "characters"),
        ("linkedin", 3000, "characters"),
        ("x", 280, "weighted"),
        ("google_business", 1500, "characters"),
        ("youtube", 5000, "bytes"),
    ])
    def test_limits_follow_the_networks_reference(self, network, limit, counting):
        rules = NETWORK_RULES[network]

        assert (rules.max_length, rules.counting) == (limit, counting)
        assert rules.source.startswith("networks.md")


class TestXWeightedLength:
    def test_ascii_counts_one_per_character(self):
        assert x_weighted_length("Hello, world!") == 13

    @pytest.mark.parametrize("text", [FRENCH, GERMAN, SPANISH, ARABIC])
    def test_latin_accents_punctuation_and_arabic_count_one_per_character(self, text):
        assert x_weighted_length(text) == len(text)

    def test_typographic_dashes_and_quotes_count_one(self):
        assert x_weighted_length("– — „“ ‘’ ″") == len("– — „“ ‘’ ″")
        assert x_weighted_length("…") == 2  # outside the light ranges

    @pytest.mark.parametrize(("text", "weight"), [
        ("東京", 4),
        ("自転車", 6),
        ("ひらがな", 8),
        ("자전거", 6),
        ("🙂", 2),
        ("🚲🚲🚲", 6),
        ("Vélo 🚲 Lyon", 11 + 1),
    ])
    def test_cjk_and_emoji_count_two(self, text, weight):
        assert x_weighted_length(text) == weight

    @pytest.mark.parametrize("emoji", [
        "👨\u200d👩\u200d👧\u200d👦",  # family: four people joined by ZWJ
        "🏳️\u200d🌈",               # flag with variation selector and ZWJ
        "👍🏽",                      # skin tone modifier
        "❤️",                        # heart with emoji presentation selector
        "🇫🇷",                      # two regional indicators
        "1️⃣",                       # keycap
    ])
    def test_an_emoji_sequence_counts_two_however_many_code_points(self, emoji):
        assert len(emoji) > 1
        assert x_weighted_length(emoji) == 2
        assert x_weighted_length(f"a{emoji}b") == 4

    @pytest.mark.parametrize("url", [
        "https://a.co",
        "http://velo.fr/",
        LONG_URL,
        "www.velo-lumiere.example/" + "x" * 80,
        "HTTPS://VELO.FR/PRINTEMPS",
    ])
    def test_a_url_counts_23_whatever_its_length(self, url):
        assert x_weighted_length(url) == 23
        assert x_weighted_length(f"Voir {url} maintenant") == 5 + 23 + 11

    def test_each_url_counts_23(self):
        assert x_weighted_length(f"{LONG_URL} et https://a.co") == 23 + 4 + 23

    def test_punctuation_after_a_url_is_text(self):
        assert x_weighted_length("Voir https://velo.fr.") == 5 + 23 + 1
        assert x_weighted_length("(https://velo.fr)") == 1 + 23 + 1
        assert x_weighted_length("https://fr.wikipedia.org/wiki/Lyon_(ville)") == 23

    def test_text_is_nfc_normalized_before_counting(self):
        decomposed = "e\u0301"  # 'e' + combining acute accent
        assert x_weighted_length(decomposed) == 1
        assert x_weighted_length("Cafe\u0301 de\u0301licieux") == len("Café délicieux")

    def test_empty_text_is_zero(self):
        assert x_weighted_length("") == 0


class TestMeasuredLength:
    def test_youtube_counts_utf8_bytes(self):
        assert measured_length("youtube", "abc") == 3
        assert measured_length("youtube", "é") == 2
        assert measured_length("youtube", "東") == 3
        assert measured_length("youtube", "🙂") == 4
        assert measured_length("youtube", ARABIC) == len(ARABIC.encode("utf-8"))

    @pytest.mark.parametrize("network", ["facebook", "instagram", "linkedin", "google_business"])
    def test_other_networks_count_characters(self, network):
        assert measured_length(network, FRENCH) == len(FRENCH)
        assert measured_length(network, "🙂東é") == 3

    def test_x_uses_the_weighted_length(self):
        assert measured_length("x", f"東 {LONG_URL}") == 2 + 1 + 23


class TestLimitsPerNetwork:
    @pytest.mark.parametrize("sample", [FRENCH, GERMAN, SPANISH, ARABIC], ids=["fr", "de", "es", "ar"])
    @pytest.mark.parametrize("network", ["facebook", "instagram", "linkedin", "x", "google_business"])
    def test_exactly_at_the_limit_passes_one_more_fails(self, network, sample):
        limit = NETWORK_RULES[network].max_length

        at_limit = lint_text(of_length(sample, limit), network, "fr-FR")
        over = lint_text(of_length(sample, limit + 1), network, "fr-FR")

        assert too_long(at_limit) == []
        (finding,) = too_long(over)
        assert finding["values"]["over"] == 1
        assert finding["values"]["length"] == limit + 1
        assert has_errors(over)

    def test_x_refuses_141_cjk_characters_but_takes_140(self):
        assert too_long(lint_text("東" * 140, "x", "ja-JP")) == []
        (finding,) = too_long(lint_text("東" * 141, "x", "ja-JP"))
        assert finding["values"]["over"] == 2

    def test_x_refuses_141_emoji_but_takes_140(self):
        assert too_long(lint_text("🚲" * 140, "x", "fr-FR")) == []
        assert too_long(lint_text("🚲" * 141, "x", "fr-FR"))[0]["values"]["over"] == 2

    def test_x_counts_a_long_link_as_23(self):
        fits = of_length(FRENCH, 280 - 24) + " " + LONG_URL
        overflows = of_length(FRENCH, 280 - 23) + " " + LONG_URL

        assert len(fits) > 280
        assert too_long(lint_text(fits, "x", "fr-FR")) == []
        assert too_long(lint_text(overflows, "x", "fr-FR"))[0]["values"]["over"] == 1

    def test_x_decomposed_accents_are_not_double_counted(self):
        assert too_long(lint_text("e\u0301" * 280, "x", "fr-FR")) == []

    @pytest.mark.parametrize(("char", "per_char", "fits"), [
        ("a", 1, 5000), ("é", 2, 2500), ("ß", 2, 2500), ("ñ", 2, 2500), ("د", 2, 2500), ("東", 3, 1666), ("🙂", 4, 1250),
    ])
    def test_youtube_limit_is_5000_bytes(self, char, per_char, fits):
        assert too_long(lint_text(char * fits, "youtube", "fr-FR")) == []
        (finding,) = too_long(lint_text(char * (fits + 1), "youtube", "fr-FR"))
        assert finding["values"]["over"] == (fits + 1) * per_char - 5000

    def test_french_text_that_fits_everywhere_but_youtube_in_bytes(self):
        text = of_length("é", 2600)

        assert too_long(lint_text(text, "linkedin", "fr-FR")) == []
        assert too_long(lint_text(text, "youtube", "fr-FR"))[0]["values"]["over"] == 200


class TestLintFindings:
    def test_too_long_finding_says_by_how_much_to_shorten(self):
        text = of_length(FRENCH, 290)

        (finding,) = lint_text(text, "x", "fr-FR")

        assert (finding["rule"], finding["severity"], finding["network"], finding["locale"]) == (
            "network.too_long", "error", "x", "fr-FR")
        assert (finding["start"], finding["end"]) == (0, 290)
        shown = message(finding)
        assert "X accepts 280" in shown
        assert "290" in shown
        assert "shorten it by 10" in shown

    def test_youtube_finding_speaks_of_bytes(self):
        (finding,) = lint_text("Titre\n" + "é" * 2510, "youtube", "fr-FR")

        shown = message(finding)
        assert "YouTube accepts 5000 bytes" in shown
        assert "shorten it by 26" in shown

    @pytest.mark.parametrize("text", ["", "   ", "\n\t"])
    def test_empty_text_is_a_blocking_finding(self, text):
        findings = lint_text(text, "instagram", "fr-FR")

        (finding,) = findings
        assert (finding["rule"], finding["severity"]) == ("text.empty", "error")
        assert "Instagram" in message(finding)
        assert has_errors(findings)

    @pytest.mark.parametrize("network", sorted(NETWORK_RULES))
    def test_a_normal_post_has_no_finding(self, network):
        assert lint_text("Bonjour Lyon ! 🚲 Rendez-vous au magasin.", network, "fr-FR") == []

    def test_warnings_alone_do_not_block(self):
        assert not has_errors([{"severity": "warning"}])
        assert has_errors([{"severity": "warning"}, {"severity": "error"}])
