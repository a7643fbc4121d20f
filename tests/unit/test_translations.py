"""Every user-visible string exists in French and English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hub.i18n import translate
from hub.i18n import FRENCH

ROOT = Path(__file__).resolve().parents[2]
ERROR_CLASSES = {"HubError", "NotFound", "Invalid", "Conflict", "Forbidden", "Unauthorized", "UnsupportedMedia", "TooLarge"}
# Publishing errors (hub/publishing/connectors/base.py) take a msgid like HubError; their English text is
# stored in Publication.error and an account's status_detail, and translated when shown.
PUBLISHING_ERRORS = {"PublishRefused", "AccountBroken", "TransientBeforeSend", "RateLimited", "OutcomeUnknown"}
TEMPLATE_STRING = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _python_files():
    for path in (ROOT / "hub").rglob("*.py"):
        if "migrations" in path.parts or path.parent.name == "i18n":
            continue
        yield path, ast.parse(path.read_text())


def _constant(node: ast.AST) -> str | None:
    """The string of a constant, or of a constant's `.format(...)` (a msgid filled in place)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        node = node.func.value
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def code_messages() -> set[str]:
    """English msgids raised as errors, written as findings, or translated in hub/."""
    found: set[str] = set()
    positions = {"finding": 6, "translate": 0, "_": 0, **{cls: 0 for cls in ERROR_CLASSES | PUBLISHING_ERRORS}}
    for _path, tree in _python_files():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            position = positions.get(_name(node.func))
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
    return found | publication_errors()


def publication_errors() -> set[str]:
    """The messages hub/publishing/service.py writes into Publication.error itself
    (`error=…`, `.error = …`, `{"error": …}`)."""
    found: set[str] = set()
    tree = ast.parse((ROOT / "hub" / "publishing" / "service.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "error":
            values = [node.value]
        elif isinstance(node, ast.Dict):
            values = [value for key, value in zip(node.keys, node.values)
                      if isinstance(key, ast.Constant) and key.value == "error"]
        elif isinstance(node, ast.Assign):
            values = []
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "error":
                    values.append(node.value)
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    values += [value for name, value in zip(target.elts, node.value.elts)
                               if isinstance(name, ast.Attribute) and name.attr == "error"]
        else:
            continue
        found.update(text for value in values if (text := _constant(value)) is not None)
    return found


def non_constant_publishing_errors() -> list[str]:
    """Publishing errors raised with anything but a constant msgid (an f-string, a variable, a sum):
    their text could not be found in the catalogue, so it would reach French users in English."""
    found: list[str] = []
    for path, tree in _python_files():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in PUBLISHING_ERRORS:
                first = node.args[0] if node.args else None
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {_name(node.func)}")
    return found


def template_messages() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "templates").rglob("*.html"):
        for match in TEMPLATE_STRING.finditer(path.read_text()):
            found.add(match.group(1) if match.group(1) is not None else match.group(2))
    return found


def test_the_scanner_sees_code_and_templates():
    assert "No proposal with id {id}." in code_messages()
    assert len(template_messages()) > 20


def test_the_scanner_sees_publishing_errors():
    messages = code_messages()
    assert "{network} refused: {detail}. Fix what it says, then reschedule." in messages  # facebook.py
    assert "X refused the post: {detail} (HTTP {status}). Fix the post or the account, then publish again." in messages
    assert "Gave up after {attempt} attempts: {error}" in messages  # service.py, written into Publication.error
    assert "The account is not connected any more: reconnect it, then reschedule." in messages


def test_publishing_errors_are_raised_with_constant_msgids():
    assert non_constant_publishing_errors() == [], (
        "raise these with a constant msgid and its values as keywords, e.g. "
        'PublishRefused("{network} refused: {detail}.", network=label, detail=message):\n'
        + "\n".join(non_constant_publishing_errors()))


def test_the_constant_msgid_check_catches_an_f_string():
    tree = ast.parse('raise PublishRefused(f"X refused {what}")\nraise RateLimited(reason, 60)')
    flagged = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and _name(node.func) in PUBLISHING_ERRORS
               and not (isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str))]
    assert len(flagged) == 2


def test_every_message_has_french():
    missing = sorted((code_messages() | template_messages()) - set(FRENCH))
    assert missing == [], "add French for these to hub/i18n/fr.py:\n" + "\n".join(missing)


def test_french_keeps_the_placeholders():
    for english, french in FRENCH.items():
        assert set(re.findall(r"\{(\w+)\}", english)) == set(re.findall(r"\{(\w+)\}", french)), english


def test_translate_fills_values_in_both_languages():
    assert translate("No proposal with id {id}.", "en", id="x1") == "No proposal with id x1."
    assert translate("No proposal with id {id}.", "fr", id="x1") == FRENCH["No proposal with id {id}."].format(id="x1")
