"""French and English for every user-visible string.

Strings are written in English in the code and templates (`_("…")`); `fr.py` holds the
French of the UI's, `fr_messages.py` that of the domain's errors and findings, and each
`fr_<domain>.py` that of one domain. A test scans the code and templates and fails when a
string has no French.
"""

from __future__ import annotations

from typing import Any

import importlib
import pkgutil

from hub.i18n.fr import FRENCH as _UI_FRENCH


def _catalogue() -> dict[str, str]:
    """fr.py (the UI's) and every fr_<domain>.py (a MESSAGES dict per domain), merged."""
    merged = dict(_UI_FRENCH)
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("fr_"):
            merged.update(importlib.import_module(f"{__name__}.{module.name}").MESSAGES)
    return merged


FRENCH = _catalogue()

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "en"


def translate(message: str, language: str, **values: Any) -> str:
    """`message` in `language`, with `{placeholders}` filled from `values`."""
    text = FRENCH.get(message, message) if language == "fr" else message
    return text.format(**values) if values else text


def pick_language(accept_language: str | None, preferred: str | None = None) -> str:
    """The UI language: the user's choice, else the browser's first supported language, else English."""
    if preferred in LANGUAGES:
        return preferred  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANGUAGE


class Translator:
    """`_` for one language, as handed to templates."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, message: str, **values: Any) -> str:
        return translate(message, self.language, **values)
