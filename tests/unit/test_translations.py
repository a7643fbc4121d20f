"""Every user-visible string exists in French and English."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hub.i18n import translate
from hub.i18n import FRENCH

ROOT = Path(__file__).resolve().parents[2]
ERROR_CLASSES = {"HubError", "NotFound", "Invalid", "Conflict", "Forbidden", "Unauthorized", "UnsupportedMedia", "TooLarge"}
TEMPLATE_STRING = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def code_messages() -> set[str]:
    """English msgids raised as errors, written as findings, or translated in hub/."""
    found: set[str] = set()
    for path in (ROOT / "hub").rglob("*.py"):
        if "migrations" in path.parts or path.parent.name == "i18n":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            position = {"finding": 6, "translate": 0, "_": 0, **{cls: 0 for cls in ERROR_CLASSES}}.get(name)
            if position is None or len(node.args) <= position:
                continue
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
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


def test_every_message_has_french():
    missing = sorted((code_messages() | template_messages()) - set(FRENCH))
    assert missing == [], "add French for these to hub/i18n/fr.py:\n" + "\n".join(missing)


def test_french_keeps_the_placeholders():
    for english, french in FRENCH.items():
        assert set(re.findall(r"\{(\w+)\}", english)) == set(re.findall(r"\{(\w+)\}", french)), english


def test_translate_fills_values_in_both_languages():
    assert translate("No proposal with id {id}.", "en", id="x1") == "No proposal with id x1."
    assert translate("No proposal with id {id}.", "fr", id="x1") == FRENCH["No proposal with id {id}."].format(id="x1")
