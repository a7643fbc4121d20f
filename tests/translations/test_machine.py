"""Machine translation: off by default, three adapters, placeholders kept, drafts only.

DeepL and LibreTranslate run against their loopback stand-ins (tests/standins/translators.py);
Apertium runs for real (Debian's `apertium` with the Spanish-Catalan pair), skipped when absent.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.config import Settings
from hub.errors import Invalid
from hub.i18n import FRENCH, translate
from hub.translations import machine
from hub.translations.machine import (
    ApertiumTranslator,
    DeepLTranslator,
    LibreTranslateTranslator,
    MachineTranslationUnavailable,
    machine_draft,
    machine_translation_status,
    parse_tag,
    protected_parts,
    translator_for,
)
from tests.connectors.conftest import pointed_at
from tests.standins.translators import DeepLStandIn, LibreTranslateStandIn, dictionary_translate

POST = "Hello {city}! Visit our new shop today: https://example.com/shop/summer-sale. Follow @octopus #summer [[slot]]"
KEPT = ["{city}", "https://example.com/shop/summer-sale", "@octopus", "#summer", "[[slot]]"]


@pytest.fixture(autouse=True)
def fresh_pairs():
    """Each stand-in lives on its own port, but a test may change what one lists: forget cached pairs."""
    machine._pairs_cache.clear()
    yield
    machine._pairs_cache.clear()


def deepl(settings, standin: DeepLStandIn, **more):
    values = {"machine_translator": "deepl", "deepl_api_url": standin.url, "deepl_api_key": standin.key}
    return pointed_at(settings, **{**values, **more})


def libre(settings, standin: LibreTranslateStandIn, key: str = "", **more):
    return pointed_at(settings, machine_translator="libretranslate", libretranslate_url=standin.url,
                      libretranslate_api_key=key, **more)


def fast(translator):
    """Backoff in tenths of seconds, so retry tests stay quick (the delays still double)."""
    translator.backoff_seconds = 0.05
    return translator


class TestOffByDefault:
    def test_the_default_is_none_and_nothing_is_called(self, settings):
        assert Settings().machine_translator == "none"
        assert translator_for(settings) is None
        status = machine_translation_status(settings)
        assert not status.enabled and "PIEUVRE_MACHINE_TRANSLATOR" in status.note

    async def test_a_draft_when_off_says_how_to_turn_it_on_and_calls_no_service(self, settings):
        with DeepLStandIn() as standin, pointed_at(settings, deepl_api_url=standin.url, deepl_api_key=standin.key):
            with pytest.raises(MachineTranslationUnavailable) as raised:
                await machine_draft(settings, {"facebook": "Hello"}, "en", "fr")
            assert standin.calls == []
        assert "PIEUVRE_MACHINE_TRANSLATOR" in str(raised.value)
        assert raised.value.status_code == 503

    def test_an_unknown_translator_is_refused_with_the_choices(self):
        with pytest.raises(ValidationError, match="none, deepl, libretranslate, apertium"):
            Settings(machine_translator="google")

    def test_status_names_the_service_and_says_draft(self, settings):
        with pointed_at(settings, machine_translator="apertium"):
            status = machine_translation_status(settings)
        assert status.enabled and status.label == "Apertium"
        assert translate(status.note, "fr", **status.values).startswith("La traduction automatique par Apertium")


class TestLanguageTags:
    def test_parses_bcp47(self):
        assert parse_tag("fr-BE") == machine.LanguageTag("fr", None, "BE")
        assert parse_tag("zh_hant_tw") == machine.LanguageTag("zh", "Hant", "TW")
        assert parse_tag("ca-ES-valencia") == machine.LanguageTag("ca", None, "ES", ("valencia",))
        assert str(parse_tag("es-419")) == "es-419"

    def test_a_bad_tag_says_how_to_write_one(self):
        with pytest.raises(Invalid, match="such as fr, fr-BE or pt-BR"):
            parse_tag("French")

    @pytest.mark.parametrize(("tag", "source", "target"), [
        ("fr-BE", "FR", "FR"), ("en", "EN", "EN-GB"), ("en-US", "EN", "EN-US"), ("en-AU", "EN", "EN-GB"),
        ("pt-BR", "PT", "PT-BR"), ("pt", "PT", "PT-PT"), ("zh-TW", "ZH", "ZH-HANT"), ("zh", "ZH", "ZH-HANS"),
        ("es-MX", "ES", "ES-419"), ("es-ES", "ES", "ES"),
    ])
    async def test_deepl_codes(self, settings, tag, source, target):
        with DeepLStandIn() as standin, deepl(settings, standin):
            translator = translator_for(settings)
            other = "de" if not tag.startswith("de") else "fr"
            assert (await translator.codes(tag, other))[0] == source
            assert (await translator.codes(other, tag))[1] == target

    async def test_libretranslate_codes_and_pairs(self, settings):
        with LibreTranslateStandIn() as standin, libre(settings, standin):
            translator = translator_for(settings)
            assert await translator.codes("en-GB", "fr-BE") == ("en", "fr")
            assert await translator.codes("en", "pt-BR") == ("en", "pb")
            assert await translator.codes("en", "pt-PT") == ("en", "pt")
            assert ("en", "pt-BR") in await translator.pairs()
            assert await translator.supports("fr-CA", "en")
            assert not await translator.supports("fr", "de")


class TestProtectedParts:
    def test_finds_placeholders_links_handles_and_tags(self):
        assert protected_parts(POST) == KEPT
        assert protected_parts("Write to hello@shop.example.com, or www.example.com/a?b=1.") == [
            "hello@shop.example.com", "www.example.com/a?b=1"]
        assert protected_parts("50% off & more, 3 #1s? no: #1s is a hashtag") == ["#1s", "#1s"]

    def test_the_stand_in_would_translate_them_unprotected(self):
        # The control: sent as plain words, the stand-in's dictionary changes every protected part.
        translated = dictionary_translate(POST, "en", "fr")
        assert not any(part in translated for part in KEPT)


class TestDeepL:
    async def test_sends_the_documented_request_and_keeps_protected_parts(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin):
            drafts = await machine_draft(settings, {"facebook": POST, "x": "Summer sale in {city}"}, "en-GB", "fr-BE")
        assert drafts == {
            "facebook": "Bonjour {city}! Visitez notre nouvelle boutique aujourd'hui: "
                        "https://example.com/shop/summer-sale. Suivez @octopus #summer [[slot]]",
            "x": "Été soldes à {city}",
        }
        [request] = standin.requests
        assert request["headers"]["authorization"] == f"DeepL-Auth-Key {standin.key}"
        assert request["headers"]["content-type"] == "application/json"
        body = request["body"]
        assert body["source_lang"] == "EN" and body["target_lang"] == "FR"
        assert body["tag_handling"] == "xml" and body["ignore_tags"] == ["x"]
        assert body["text"][1] == "Summer sale in <x>0</x>"
        assert "{city}" not in body["text"][0] and "<x>4</x>" in body["text"][0]

    async def test_xml_special_characters_round_trip(self, settings):
        text = 'Hello & welcome <to> "our" shop in {city}'
        with DeepLStandIn() as standin, deepl(settings, standin):
            [draft] = await translator_for(settings).translate([text], "en", "fr")
        assert draft == 'Bonjour & bienvenue <à> "notre" boutique à {city}'
        assert standin.requests[0]["body"]["text"] == ["Hello &amp; welcome &lt;to&gt; \"our\" shop in <x>0</x>"]

    async def test_identical_texts_are_sent_once_and_blank_ones_not_at_all(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin):
            drafts = await machine_draft(settings, {"facebook": "Hello", "instagram": "Hello", "x": "  "}, "en", "de")
        assert drafts == {"facebook": "Hallo", "instagram": "Hallo", "x": "  "}
        assert standin.requests[0]["body"]["text"] == ["Hello"]

    async def test_line_breaks_around_a_placeholder_are_kept(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin):
            [draft] = await translator_for(settings).translate(["\nHello\n\n{city}\n"], "en", "fr")
        assert draft == "\nBonjour\n\n{city}\n"

    async def test_a_bad_key_says_which_settings_to_check(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin, deepl_api_key="not-a-key"):
            with pytest.raises(MachineTranslationUnavailable, match="PIEUVRE_DEEPL_API_KEY"):
                await translator_for(settings).translate(["Hello"], "en", "fr")

    async def test_an_expired_key_is_a_refused_key(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin):
            translator = translator_for(settings)
            await translator.service_pairs()
            standin.inject("expired_token", "translate")
            with pytest.raises(MachineTranslationUnavailable, match="DeepL refused the API key"):
                await translator.translate(["Hello"], "en", "fr")

    async def test_no_key_is_refused_before_any_call(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin, deepl_api_key=""):
            with pytest.raises(MachineTranslationUnavailable, match="set PIEUVRE_DEEPL_API_KEY"):
                await translator_for(settings).translate(["Hello"], "en", "fr")
            assert standin.calls == []

    async def test_quota_exceeded_is_456(self, settings):
        with DeepLStandIn(character_limit=10) as standin, deepl(settings, standin):
            translator = translator_for(settings)
            assert await translator.translate(["Hello"], "en", "fr") == ["Bonjour"]
            with pytest.raises(MachineTranslationUnavailable, match="quota is used up"):
                await translator.translate(["Hello, welcome"], "en", "fr")
        assert standin.characters == 5

    async def test_too_many_requests_is_retried_with_backoff(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin):
            translator = fast(translator_for(settings))
            standin.inject("rate_limit", "translate", times=2)
            started = time.monotonic()
            assert await translator.translate(["Hello"], "en", "fr") == ["Bonjour"]
            waited = time.monotonic() - started
        assert [call for call in standin.calls if call[0] == "translate"] == [("translate", "")] * 3
        assert waited >= 0.05 + 0.1  # two waits, the second twice the first

    async def test_too_many_requests_for_too_long_gives_up(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin):
            translator = fast(translator_for(settings))
            standin.inject("rate_limit", "translate", times=None)
            with pytest.raises(MachineTranslationUnavailable, match="too many requests"):
                await translator.translate(["Hello"], "en", "fr")
        assert len([call for call in standin.calls if call[0] == "translate"]) == translator.attempts

    async def test_server_errors_are_retried_then_reported(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin):
            translator = fast(translator_for(settings))
            standin.inject("server_error", "translate", times=1)
            assert await translator.translate(["Hello"], "en", "fr") == ["Bonjour"]
            standin.inject("server_error", "translate", times=None)
            with pytest.raises(MachineTranslationUnavailable, match=r"not available right now \(HTTP 503\)"):
                await translator.translate(["Hello"], "en", "fr")

    async def test_a_silent_service_is_unavailable(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin, network_timeout_seconds=0.5):
            translator = translator_for(settings)
            await translator.service_pairs()
            standin.inject("latency", "translate", seconds=2)
            with pytest.raises(MachineTranslationUnavailable, match="did not answer in time"):
                await translator.translate(["Hello"], "en", "fr")

    async def test_an_unsupported_pair_is_refused_before_translating(self, settings):
        with DeepLStandIn() as standin, deepl(settings, standin):
            with pytest.raises(MachineTranslationUnavailable) as raised:
                await translator_for(settings).translate(["Hello"], "en", "ja")
        assert "cannot translate from en to ja" in str(raised.value) and "en → fr" in str(raised.value)
        assert {operation for operation, _ in standin.calls} == {"languages"}


class TestLibreTranslate:
    async def test_sends_the_documented_request_and_keeps_protected_parts(self, settings):
        with LibreTranslateStandIn(require_key=True) as standin, libre(settings, standin, key=standin.key):
            drafts = await machine_draft(settings, {"linkedin": POST}, "en", "fr-FR")
        assert drafts["linkedin"] == ("Bonjour {city}! Visitez notre nouvelle boutique aujourd'hui: "
                                      "https://example.com/shop/summer-sale. Suivez @octopus #summer [[slot]]")
        body = standin.requests[0]["body"]
        assert body["source"] == "en" and body["target"] == "fr" and body["format"] == "text"
        assert body["api_key"] == standin.key
        assert body["q"] == ["Hello ⟦0⟧! Visit our new shop today: ⟦1⟧. Follow ⟦2⟧ ⟦3⟧ ⟦4⟧"]

    async def test_markers_rewritten_by_the_service_fall_back_to_pieces(self, settings):
        with LibreTranslateStandIn(rewrites_brackets=True) as standin, libre(settings, standin):
            [draft] = await translator_for(settings).translate(["Hello {city}, visit our shop #summer"], "en", "fr")
        assert draft == "Bonjour {city}, visitez notre boutique #summer"
        # First the whole text with markers, then only the pieces around the protected parts.
        assert standin.requests[1]["body"]["q"] == ["Hello", ", visit our shop"]

    async def test_a_missing_key_names_the_setting(self, settings):
        with LibreTranslateStandIn(require_key=True) as standin, libre(settings, standin):
            with pytest.raises(MachineTranslationUnavailable, match="asks for an API key .*LIBRETRANSLATE_API_KEY"):
                await translator_for(settings).translate(["Hello"], "en", "fr")

    async def test_a_bad_key_is_403(self, settings):
        with LibreTranslateStandIn() as standin, libre(settings, standin, key="wrong"):
            with pytest.raises(MachineTranslationUnavailable, match=r"refused access \(Invalid API key\)"):
                await translator_for(settings).translate(["Hello"], "en", "fr")

    async def test_slowdown_and_crashes(self, settings):
        with LibreTranslateStandIn() as standin, libre(settings, standin):
            translator = fast(translator_for(settings))
            standin.inject("rate_limit", "translate", times=1)
            assert await translator.translate(["Hello"], "en", "de") == ["Hallo"]
            standin.inject("rate_limit", "translate", times=None)
            with pytest.raises(MachineTranslationUnavailable, match="too many requests"):
                await translator.translate(["Hello"], "en", "de")
            standin.clear_faults()
            standin.inject("server_error", "translate", times=None)
            with pytest.raises(MachineTranslationUnavailable, match=r"HTTP 500"):
                await translator.translate(["Hello"], "en", "de")

    async def test_no_server_address_says_which_setting(self, settings):
        with pointed_at(settings, machine_translator="libretranslate", libretranslate_url=""):
            with pytest.raises(MachineTranslationUnavailable, match="PIEUVRE_LIBRETRANSLATE_URL"):
                await machine_draft(settings, {"x": "Hello"}, "en", "fr")


def apertium_pairs() -> str:
    if shutil.which("apertium") is None:
        return ""
    return subprocess.run(["apertium", "-l"], capture_output=True, text=True, timeout=30).stdout


needs_apertium = pytest.mark.skipif("spa-cat" not in apertium_pairs().split(),
                                    reason="Apertium with the Spanish-Catalan pair is not installed "
                                           "(apt-get install apertium apertium-spa-cat apertium-lex-tools cg3)")


@needs_apertium
class TestApertium:
    """The real `apertium` command and Debian's apertium-spa-cat data."""

    async def test_lists_the_installed_pairs_as_language_tags(self, settings):
        pairs = await ApertiumTranslator(settings).pairs()
        assert {("es", "ca"), ("ca", "es"), ("es", "ca-valencia")} <= pairs

    async def test_translates_spanish_to_catalan_keeping_protected_parts(self, settings):
        text = "Este verano, ven a {city}: la casa es grande. Reserva en https://example.com/reserva #verano @pieuvre"
        with pointed_at(settings, machine_translator="apertium"):
            drafts = await machine_draft(settings, {"facebook": text, "x": "Tenemos que salir ahora."}, "es-ES", "ca")
        assert drafts["facebook"].startswith("Aquest estiu")
        assert "la casa és gran" in drafts["facebook"]
        for part in ("{city}", "https://example.com/reserva", "#verano", "@pieuvre"):
            assert part in drafts["facebook"]
        assert drafts["x"] == "Hem de sortir ara."

    async def test_a_valencian_tag_picks_the_valencian_mode(self, settings):
        with pointed_at(settings, machine_translator="apertium"):
            drafts = await machine_draft(settings, {"x": "Tenemos que salir ahora."}, "es", "ca-ES-valencia")
        assert drafts["x"] == "Hem d'eixir ara."

    async def test_a_pair_not_installed_lists_the_installed_ones(self, settings):
        with pytest.raises(MachineTranslationUnavailable, match="cannot translate from es to fr.*es → ca"):
            await ApertiumTranslator(settings).translate(["Hola"], "es", "fr")

    async def test_a_run_past_the_timeout_is_stopped(self, settings):
        with pointed_at(settings, apertium_timeout_seconds=0.01):
            translator = ApertiumTranslator(settings)
            with pytest.raises(MachineTranslationUnavailable, match="longer than 0.01 s"):
                await translator.send(["Hola " * 2000], "spa", "cat")


async def test_apertium_absent_says_how_to_install_it(settings):
    with pointed_at(settings, machine_translator="apertium", apertium_command="/nonexistent/apertium"):
        with pytest.raises(MachineTranslationUnavailable, match="apt-get install apertium"):
            await machine_draft(settings, {"x": "Hola"}, "es", "ca")


def test_every_message_is_a_constant_with_french():
    source = Path(machine.__file__).read_text()
    tree = ast.parse(source)
    def text_of(value: ast.AST) -> str | None:
        """A string constant, or one marked for extraction with N_("…")."""
        if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "N_" and value.args:
            value = value.args[0]
        return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else None

    constants = {node.targets[0].id: text_of(node.value) for node in tree.body
                 if isinstance(node, ast.Assign) and text_of(node.value) is not None}
    messages, not_constant = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in {"MachineTranslationUnavailable",
                                                                              "Invalid"}:
            first = node.args[0]
            if isinstance(first, ast.Constant):
                messages.add(first.value)
            elif isinstance(first, ast.Name) and first.id in constants:
                messages.add(constants[first.id])
            else:
                not_constant.append(node.lineno)
    messages.add(machine.DRAFT_NOTE)
    assert not_constant == []
    assert len(messages) >= 15
    assert sorted(messages - set(FRENCH)) == []
    for message in messages:
        assert set(re.findall(r"\{(\w+)\}", message)) == set(re.findall(r"\{(\w+)\}", FRENCH[message])), message
