"""Every user-visible string exists in French and English: the same Babel extraction as `pieuvre i18n extract`,
checked against the French catalogue (hub/i18n/locales/fr/LC_MESSAGES/messages.po)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from hub.i18n import FRENCH, translate
from hub.i18n.catalog import PUBLISHING_ERRORS, TEMPLATE_CATALOG, _called, check, extract, po_path, read_catalog

ROOT = Path(__file__).resolve().parents[2]


@cache
def extracted() -> dict[str, list[str]]:
    """msgid → the files using it, as `pieuvre i18n extract` finds them."""
    return {message.id: [path for path, _line in message.locations] for message in extract() if message.id}


@cache
def french_check():
    return check("fr")


def _python_files():
    for path in (ROOT / "hub").rglob("*.py"):
        if "migrations" in path.parts or path.parent.name == "i18n":
            continue
        yield path, ast.parse(path.read_text())


def non_constant_publishing_errors(tree: ast.AST, where: str = "") -> list[str]:
    """Publishing errors raised with anything but a constant msgid (an f-string, a variable, a sum):
    their text could not be found in the catalogue, so it would reach French users in English."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in PUBLISHING_ERRORS:
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                found.append(f"{where}:{node.lineno} {_called(node)}")
    return found


class TestExtraction:
    def test_sees_code_and_templates(self):
        messages = extracted()
        assert "hub/proposals/service.py" in messages["No proposal with id {id}."]  # NotFound(...)
        assert sum(any(path.startswith("templates/") for path in paths) for paths in messages.values()) > 300

    def test_sees_template_calls_with_keyword_arguments(self):
        # components/ui.html: _("Decide by {date}", date=proposal.deadline|when(location.timezone))
        assert "templates/components/ui.html" in extracted()["Decide by {date}"]

    def test_sees_publishing_errors_and_what_the_service_stores(self):
        messages = extracted()
        assert "{network} refused: {detail}. Fix what it says, then reschedule." in messages  # facebook.py
        assert "X refused the post: {detail} (HTTP {status}). Fix the post or the account, then publish again." in messages
        assert messages["Gave up after {attempt} attempts: {error}"] == ["hub/publishing/service.py"] * 2
        assert "The account is not connected any more: reconnect it, then reschedule." in messages
        # ConnectFailed(HubError), declared in hub/publishing/accounts.py: a derived error class is a keyword too.
        assert "hub/publishing/accounts.py" in messages[
            "{network} accounts cannot be connected through OAuth yet: attach them with tokens through the API "
            "(POST /api/v1/locations/<id>/accounts)."]

    def test_sees_a_call_inside_an_f_string_and_findings(self):
        messages = extracted()
        assert "hub/publishing/accounts.py" in messages["What the network said"]  # f"{_('What the network said')}: …"
        assert any(path.startswith("hub/linting/") for path in messages["The brand does not say “{term}”: rephrase it."])

    def test_the_pot_is_up_to_date(self):
        written = {message.id for message in read_catalog(TEMPLATE_CATALOG) if message.id}
        assert written == set(extracted()), ("run `pieuvre i18n extract`, messages.pot differs from the code: "
                                             + ", ".join(sorted(written ^ set(extracted()))[:10]))


class TestFrenchCatalogue:
    def test_every_message_has_french(self):
        assert french_check().missing == [], (
            f"add French for these to {po_path('fr').relative_to(ROOT)} (run `pieuvre i18n extract` first):\n"
            + "\n".join(french_check().missing))

    def test_no_message_is_unused(self):
        # An unused entry is dead weight that nobody keeps up; a msgid kept in a constant and translated
        # from a variable is marked where it is written, N_("…").
        assert french_check().unused == [], ("used nowhere: run `pieuvre i18n extract` to drop them, or mark them "
                                             "with N_():\n" + "\n".join(french_check().unused))

    def test_nothing_is_fuzzy(self):
        # A fuzzy entry is a guess nobody checked: it is not used, so it counts as missing French
        # (an empty one is a msgid `extract` just added: test_every_message_has_french names it).
        catalog = read_catalog(po_path("fr"), "fr")
        assert [message.id for message in catalog if message.id and message.fuzzy] == []

    def test_french_keeps_the_placeholders(self):
        assert french_check().placeholders == []

    def test_translate_fills_values_in_both_languages(self):
        assert translate("No proposal with id {id}.", "en", id="x1") == "No proposal with id x1."
        assert translate("No proposal with id {id}.", "fr", id="x1") == "Aucune proposition avec l'identifiant x1."
        assert FRENCH["No proposal with id {id}."] == "Aucune proposition avec l'identifiant {id}."


class TestPublishingErrors:
    def test_are_raised_with_constant_msgids(self):
        found = [item for path, tree in _python_files()
                 for item in non_constant_publishing_errors(tree, str(path.relative_to(ROOT)))]
        assert found == [], (
            "raise these with a constant msgid and its values as keywords, e.g. "
            'PublishRefused("{network} refused: {detail}.", network=label, detail=message):\n' + "\n".join(found))

    def test_the_check_catches_an_f_string_and_a_variable(self):
        tree = ast.parse('raise PublishRefused(f"X refused {what}")\nraise RateLimited(reason, 60)\n'
                         'raise OutcomeUnknown("{network} did not answer.", network=label)')
        assert len(non_constant_publishing_errors(tree)) == 2
