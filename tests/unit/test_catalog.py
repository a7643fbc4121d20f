"""The catalogue machinery on a small project of its own: extraction, merge, check;
and dates, numbers and directions per locale."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.i18n import Translator, dir_of
from hub.i18n.catalog import check, extract, read_catalog, translations, update, write_catalog
from hub.templating import environment

SERVICE = '''
from hub.errors import Invalid, NotFound
from hub.i18n import N_, translate
from hub.linting.findings import finding

WRITTEN_ELSEWHERE = N_("Kept in a constant.")


class ShopGone(NotFound):
    """An error of this domain: its first argument is a msgid like its parent's."""


class ShopBurnt(ShopGone):
    pass


def check(name, language):
    if not name:
        raise Invalid("Give the shop a name.")
    label = f"{translate('Shop', language)}: {name}"
    item = finding("rule", "error", "x", "fr", 0, 1, "The shop {name} is closed.", name=name)
    if name == "old":
        raise ShopBurnt("The shop burnt down.")
    raise NotFound(f"No shop {name}.")  # an f-string: nothing to extract
'''

PUBLISHING = '''
def give_up(publication, attempt, error):
    publication.error = "Gave up after {attempt} attempts: {error}".format(attempt=attempt, error=error)
    return {"status": "failed", "error": "Cancelled by HQ."}
'''

TEMPLATE = '''{% extends "base.html" %}
{% block main %}
<h1>{{ _("Shops") }}</h1>
<p>{{ _("Decide by {date}", date=proposal.deadline|when(location.timezone)) }}</p>
<p>{{ _.message(publication.error) }} {{ _(variable) }}</p>
{% endblock %}
'''


@pytest.fixture
def project(tmp_path):
    """hub/ and templates/ of a small project, and where its catalogues go."""
    (tmp_path / "hub" / "shops").mkdir(parents=True)
    (tmp_path / "hub" / "shops" / "service.py").write_text(SERVICE)
    (tmp_path / "hub" / "publishing").mkdir()
    (tmp_path / "hub" / "publishing" / "service.py").write_text(PUBLISHING)
    (tmp_path / "hub" / "migrations").mkdir()
    (tmp_path / "hub" / "migrations" / "0001.py").write_text('_("In a migration")\n')
    (tmp_path / "templates" / "shops").mkdir(parents=True)
    (tmp_path / "templates" / "shops" / "list.html").write_text(TEMPLATE)
    return tmp_path


def po_of(project):
    return project / "locales" / "fr" / "LC_MESSAGES" / "messages.po"


class TestExtract:
    def test_finds_each_kind_of_msgid_where_it_is_used(self, project):
        found = {message.id: [path for path, _ in message.locations] for message in extract(project) if message.id}
        assert found == {
            "Give the shop a name.": ["hub/shops/service.py"],  # an error class's first argument
            "Shop": ["hub/shops/service.py"],  # translate() inside an f-string
            "The shop {name} is closed.": ["hub/shops/service.py"],  # finding()'s 7th argument
            "Kept in a constant.": ["hub/shops/service.py"],  # N_()
            "The shop burnt down.": ["hub/shops/service.py"],  # a class derived from an error class
            "Gave up after {attempt} attempts: {error}": ["hub/publishing/service.py"],  # .error = "…".format()
            "Cancelled by HQ.": ["hub/publishing/service.py"],  # {"error": …}
            "Shops": ["templates/shops/list.html"],
            "Decide by {date}": ["templates/shops/list.html"],  # _() with keyword arguments
        }


class TestUpdateAndCheck:
    def test_merge_keeps_translations_adds_new_msgids_empty_and_drops_unused_ones(self, project):
        update(project, project / "locales")
        catalog = read_catalog(po_of(project), "fr")
        assert {message.id for message in catalog if message.id} == {message.id for message in extract(project) if message.id}
        assert all(message.string == "" for message in catalog if message.id)
        catalog["Shops"].string = "Boutiques"
        catalog.add("Used nowhere", "Utilisé nulle part")
        write_catalog(catalog, po_of(project))
        (project / "templates" / "shops" / "list.html").write_text(TEMPLATE.replace("Shops", "All shops") + '{{ _("Shops") }}')

        result = check("fr", project, project / "locales")
        assert "Give the shop a name." in result.missing and "Shops" not in result.missing
        assert result.unused == ["Used nowhere"] and "All shops" in result.missing

        counts = update(project, project / "locales")
        assert counts["fr added"] == 1 and counts["fr dropped"] == 1
        merged = read_catalog(po_of(project), "fr")
        assert merged["Shops"].string == "Boutiques" and merged["All shops"].string == ""
        assert merged.get("Used nowhere") is None
        assert (project / "locales" / "messages.pot").exists()

    def test_fuzzy_and_empty_entries_are_not_translations(self, project):
        update(project, project / "locales")
        catalog = read_catalog(po_of(project), "fr")
        catalog["Shops"].string = "Boutiques"
        catalog["Shop"].string = "Magasin ?"
        catalog["Shop"].flags.add("fuzzy")
        write_catalog(catalog, po_of(project))
        assert translations("fr", project / "locales") == {"Shops": "Boutiques"}
        assert "Shop" in check("fr", project, project / "locales").missing

    def test_a_translation_that_changes_placeholders_is_named(self, project):
        update(project, project / "locales")
        catalog = read_catalog(po_of(project), "fr")
        catalog["Decide by {date}"].string = "Décidez avant le {jour}"
        write_catalog(catalog, po_of(project))
        assert check("fr", project, project / "locales").placeholders == ["Decide by {date}"]


MOMENT = datetime(2026, 11, 26, 13, 5, tzinfo=UTC)


class TestFormats:
    def test_dates_and_times_per_language_and_zone(self):
        french, english = Translator("fr"), Translator("en")
        assert french.datetime(MOMENT, "Europe/Paris") == "26 nov. 2026, 14:05"
        assert english.datetime(MOMENT, "Europe/Paris") == "Nov 26, 2026, 2:05\u202fPM"
        assert french.datetime(MOMENT) == "26 nov. 2026, 13:05"  # no zone: UTC
        assert french.datetime(MOMENT.replace(tzinfo=None), "America/New_York") == "26 nov. 2026, 08:05"  # naive is UTC
        assert french.date(date(2026, 3, 1)) == "1 mars 2026" and english.date(MOMENT, format="long") == "November 26, 2026"
        assert french.time(MOMENT, "Asia/Dubai") == "17:05" and english.time(MOMENT, "Asia/Dubai") == "5:05\u202fPM"
        assert french.datetime(None) == "—"

    def test_numbers_and_percentages_per_language(self):
        french, english = Translator("fr"), Translator("en")
        assert french.number(1234567) == "1\u202f234\u202f567" and english.number(1234567) == "1,234,567"
        assert french.number(1234.5) == "1\u202f234,5"
        assert french.percent(0.256) == "26\xa0%" and english.percent(0.256) == "26%"
        assert french.percent(0.0423, 1) == "4,2\xa0%" and english.percent(None) == "—"

    def test_template_filters_follow_the_readers_language(self):
        template = environment.from_string(
            "{{ n|number }} · {{ r|percent }} · {{ m|when('Europe/Paris') }} · {{ m|date }} · {{ m|time('Europe/Paris') }}")
        values = {"n": 1234, "r": 0.5, "m": MOMENT}
        assert template.render(language="fr", **values) == "1\u202f234 · 50\xa0% · 26 nov. 2026, 14:05 · 26 nov. 2026 · 14:05"
        assert template.render(language="en", **values) == "1,234 · 50% · Nov 26, 2026, 2:05\u202fPM · Nov 26, 2026 · 2:05\u202fPM"

    @pytest.mark.parametrize(("locale", "direction"), [
        ("ar-AE", "rtl"), ("ar", "rtl"), ("he-IL", "rtl"), ("fa-IR", "rtl"), ("ur-PK", "rtl"),
        ("fr-BE", "ltr"), ("en", "ltr"), ("zh-Hant-TW", "ltr"), ("", "ltr"), (None, "ltr"), ("not a locale", "ltr"),
    ])
    def test_direction_of_a_locale(self, locale, direction):
        assert dir_of(locale) == direction

    def test_the_ui_direction_follows_its_language(self):
        assert Translator("fr").dir == "ltr" and Translator("ar").dir == "rtl"
