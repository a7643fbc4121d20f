"""Every UI string has its French, with the same {placeholders}."""

from __future__ import annotations

import ast
import re
import string
from collections import Counter
from pathlib import Path

from hub.i18n.fr import FRENCH

ROOT = Path(__file__).resolve().parents[2]
# _("…") or _('…') in templates and in the pages module (N_("…") marks one for later).
MSGID = re.compile(r"""\b(?:N_|_)\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
# Messages the services raise (HubError subclasses) and the linter's findings reach the pages too.
RAISED = re.compile(r"""(?:NotFound|Invalid|Conflict|Forbidden|Unauthorized|HubError)\(\s*"((?:[^"\\]|\\.)*)\"""")


def ui_msgids() -> set[str]:
    found: set[str] = set()
    for path in [*sorted((ROOT / "templates").rglob("*.html")), ROOT / "hub" / "web" / "pages.py"]:
        for match in MSGID.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) if match.group(1) is not None else match.group(2))
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_ui_string_has_french():
    msgids = ui_msgids()
    assert len(msgids) > 150, "the scan found too few strings: is the pattern still right?"
    missing = sorted(msgid for msgid in msgids if msgid not in FRENCH)
    assert not missing, f"add these to hub/i18n/fr.py: {missing}"


def test_every_page_error_message_has_french():
    raised: set[str] = set()
    for path in [ROOT / "hub" / "web" / "pages.py", ROOT / "hub" / "proposals" / "service.py",
                 ROOT / "hub" / "campaigns" / "service.py", ROOT / "hub" / "accounts" / "service.py"]:
        raised.update(RAISED.findall(path.read_text(encoding="utf-8")))
    missing = sorted(message for message in raised if message not in FRENCH)
    assert not missing, f"add these to hub/i18n/fr.py: {missing}"


def test_french_keeps_the_placeholders_of_the_english():
    wrong = {english: french for english, french in FRENCH.items() if placeholders(english) != placeholders(french)}
    assert not wrong


def test_no_msgid_is_written_twice():
    tree = ast.parse((ROOT / "hub" / "i18n" / "fr.py").read_text(encoding="utf-8"))
    table = next(node for node in ast.walk(tree) if isinstance(node, ast.Dict))
    twice = [key for key, count in Counter(key.value for key in table.keys).items() if count > 1]
    assert not twice
