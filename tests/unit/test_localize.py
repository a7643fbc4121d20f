"""Filling a post's franchise variables with a location's values."""

from __future__ import annotations

import pytest

from hub.linting.service import LintRules
from hub.campaigns.models import PostRevision
from hub.i18n import translate
from hub.linting.service import has_errors
from hub.locations.models import Location
from hub.proposals.localize import fill_variables, location_values, raw_variables
from hub.proposals.service import localize


def make_location(**overrides) -> Location:
    fields = {
        "code": "FR-LYON-01", "name": "Vélo Lumière Lyon", "region": "aura", "country": "FR", "locale": "fr-FR",
        "timezone": "Europe/Paris",
        "variables": {"city": "Lyon", "phone": "+33 4 72 00 00 00", "opening_year": 1998, "discount": 15.5},
    }
    fields.update(overrides)
    return Location(**fields)


def fill(text: str, location: Location | None = None, network: str = "facebook", locale: str = "fr-FR"):
    return fill_variables(text, location_values(location or make_location()), network, locale)


def message(item: dict) -> str:
    return translate(item["message"], "en", **item["values"])


class TestFilledVariables:
    def test_city_phone_and_name_are_filled(self):
        text, findings = fill("{name} à {city} : appelez le {phone} !")

        assert text == "Vélo Lumière Lyon à Lyon : appelez le +33 4 72 00 00 00 !"
        assert findings == []

    def test_code_and_region_are_filled(self):
        text, findings = fill("{code} ({region})")

        assert text == "FR-LYON-01 (aura)"
        assert findings == []

    def test_typed_custom_variables_are_written_as_text(self):
        text, findings = fill("Depuis {opening_year}, -{discount} % pour les {opening_year} premiers")

        assert text == "Depuis 1998, -15.5 % pour les 1998 premiers"
        assert findings == []

    def test_a_variable_used_twice_is_filled_twice(self):
        text, _ = fill("{city}, {city}, {city}")

        assert text == "Lyon, Lyon, Lyon"

    def test_location_variable_overrides_builtin_name(self):
        location = make_location(variables={"name": "Chez Paulette"})

        text, findings = fill("Bienvenue chez {name}", location)

        assert text == "Bienvenue chez Chez Paulette"
        assert findings == []

    def test_empty_variable_does_not_hide_the_builtin_value(self):
        location = make_location(variables={"name": "", "city": "Lyon"})

        text, _ = fill("{name}", location)

        assert text == "Vélo Lumière Lyon"

    def test_a_value_that_looks_like_a_variable_is_not_filled_again(self):
        location = make_location(variables={"city": "{phone}", "phone": "0102030405", "slogan": "{{7*7}}"})

        text, findings = fill("{city} {slogan}", location)

        assert text == "{phone} {{7*7}}"
        assert findings == []

    def test_unicode_values_keep_their_text(self):
        location = make_location(locale="ar-AE", variables={"city": "دبي", "greeting": "مرحبا"})

        text, findings = fill("{greeting} {city}", location, locale="ar-AE")

        assert text == "مرحبا دبي"
        assert findings == []


class TestMissingVariables:
    def test_missing_variable_stays_raw_with_a_blocking_finding(self):
        text, findings = fill("Code promo : {promo_code}.")

        assert text == "Code promo : {promo_code}."
        (item,) = findings
        assert (item["rule"], item["severity"], item["network"], item["locale"]) == (
            "variable.missing", "error", "facebook", "fr-FR")
        assert text[item["start"]:item["end"]] == "{promo_code}"
        assert has_errors(findings)
        assert raw_variables(text) == ["promo_code"]

    def test_span_is_measured_in_the_filled_text(self):
        location = make_location(variables={"city": "Saint-Étienne-du-Rouvray"})

        text, findings = fill("{city} {phone} {city} {hours}!", location)

        assert text == "Saint-Étienne-du-Rouvray {phone} Saint-Étienne-du-Rouvray {hours}!"
        assert [text[item["start"]:item["end"]] for item in findings] == ["{phone}", "{hours}"]
        assert [item["values"]["variable"] for item in findings] == ["phone", "hours"]

    def test_each_occurrence_of_a_missing_variable_has_its_own_finding(self):
        text, findings = fill("{promo} et {promo}")

        assert [(item["start"], item["end"]) for item in findings] == [(0, 7), (11, 18)]
        assert all(text[item["start"]:item["end"]] == "{promo}" for item in findings)

    def test_message_names_the_variable_and_says_what_to_do(self):
        _, (item,) = fill("{promo}")

        text = message(item)
        assert "{promo}" in text
        assert "add it to the location" in text

    def test_empty_variable_counts_as_missing(self):
        location = make_location(variables={"city": "Lyon", "phone": ""})

        text, findings = fill("Tel {phone}", location)

        assert text == "Tel {phone}"
        assert [item["values"]["variable"] for item in findings] == ["phone"]

    def test_empty_region_counts_as_missing(self):
        location = make_location(region="")

        text, findings = fill("Région {region}", location)

        assert text == "Région {region}"
        assert [item["rule"] for item in findings] == ["variable.missing"]


class TestNothingIsEvaluated:
    @pytest.mark.parametrize("text", [
        "{{7*7}}",
        "{{city}}",
        "{% if city %}Lyon{% endif %}",
        "{{ config }}",
        "{city.__class__}",
        "{city!r}",
        "{city:>10}",
        "{0}",
        "{CITY}",
        "{}",
        "{ city }",
        "{city",
        "city}",
        "{{city}",
        "{city}}",
    ])
    def test_template_like_text_stays_literal_without_findings(self, text):
        filled, findings = fill(text)

        assert filled == text
        assert findings == []

    def test_literal_text_around_a_real_variable(self):
        text, findings = fill("{{7*7}} {city} {% raw %}{{city}}")

        assert text == "{{7*7}} Lyon {% raw %}{{city}}"
        assert findings == []


class TestLocalizeProposalTexts:
    def test_each_network_gets_its_variant_filled_and_linted(self):
        revision = PostRevision(number=1, body="Bonjour {city} !", networks=["facebook", "x"],
                                variants={"x": "{city} : " + "a" * 270})
        location = make_location(variables={"city": "Saint-Rémy-de-Provence"})

        texts, findings = localize(revision, location, LintRules())

        assert texts["facebook"] == "Bonjour Saint-Rémy-de-Provence !"
        assert texts["x"].startswith("Saint-Rémy-de-Provence : ")
        (too_long,) = findings
        assert (too_long["rule"], too_long["network"], too_long["locale"]) == ("network.too_long", "x", "fr-FR")
        assert too_long["values"]["over"] == len(texts["x"]) - 280

    def test_missing_variable_is_reported_per_network(self):
        revision = PostRevision(number=1, body="{promo}", networks=["facebook", "instagram"], variants={})

        texts, findings = localize(revision, make_location(), LintRules())

        assert texts == {"facebook": "{promo}", "instagram": "{promo}"}
        assert sorted(item["network"] for item in findings if item["rule"] == "variable.missing") == [
            "facebook", "instagram"]
