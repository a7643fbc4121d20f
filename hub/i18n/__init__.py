"""French and English for every user-visible string, and dates, times and numbers per locale.

Strings are written in English in the code and templates (`_("…")`): they are the msgids. Their French is
in the gettext catalogue `locales/fr/LC_MESSAGES/messages.po`, extracted and checked with Babel
(`hub/i18n/catalog.py`, `pieuvre i18n extract|check`), read directly from the `.po` at start-up.
A test extracts the code and templates and fails when a string has no French.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cache
from typing import Any

from hub.i18n.catalog import translations
from hub.i18n.formats import (dir_of, format_date, format_datetime, format_number, format_percent,
                              format_time, locale_of)

__all__ = ["FRENCH", "LANGUAGES", "N_", "Translator", "dir_of", "format_date", "format_datetime",
           "format_number", "format_percent", "format_time", "locale_of", "pick_language", "translate",
           "translate_message"]


def N_(message: str) -> str:
    """Marks a msgid for extraction where it is written; it is translated later, from a variable."""
    return message


FRENCH = translations("fr")

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "en"


def translate(message: str, language: str, **values: Any) -> str:
    """`message` in `language`, with `{placeholders}` filled from `values`."""
    text = FRENCH.get(message, message) if language == "fr" else message
    return text.format(**values) if values else text


PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Placeholders holding one of our own messages (e.g. "Gave up after {attempt} attempts: {error}",
# "{network} refused the connection: {reason}"): their value is translated too. Any other
# placeholder holds a name, a number or a network's own words.
NESTED_MESSAGES = ("error", "reason")


@cache
def _templated_messages() -> list[tuple[re.Pattern[str], str]]:
    """Every msgid with `{placeholders}` as a whole-string pattern, most specific first: those that begin
    with more literal text, then those with more literal text in all. (A msgid that begins with a
    placeholder, "{network} failed …", would otherwise swallow a message wrapping another one,
    "Gave up after 5 attempts: Facebook failed …", into its first placeholder.)"""
    patterns = []
    for english in FRENCH:
        literal = PLACEHOLDER.sub("", english)
        if literal == english or len(literal.strip()) < 3:
            continue  # no placeholder, or nothing but placeholders: it would match any text
        seen: set[str] = set()
        parts = []
        position = 0
        for match in PLACEHOLDER.finditer(english):
            parts.append(re.escape(english[position:match.start()]))
            name = match.group(1)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
            seen.add(name)
            position = match.end()
        parts.append(re.escape(english[position:]))
        prefix = english.index("{")
        patterns.append(((-prefix, -len(literal)), re.compile("".join(parts), re.DOTALL), english))
    patterns.sort(key=lambda item: item[0])
    return [(pattern, english) for _, pattern, english in patterns]


def translate_message(text: str, language: str) -> str:
    """An English message already filled in (as stored in `Publication.error` or an account's
    `status_detail`) in `language`: the msgid's translation when it is one, else the French of the
    msgid whose `{placeholders}` it fills, with the same values; unknown text stays as it is."""
    if language != "fr" or not text:
        return text
    if text in FRENCH:
        return FRENCH[text]
    for pattern, english in _templated_messages():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = match.groupdict()
        for name in NESTED_MESSAGES:
            if name in values:
                values[name] = translate_message(values[name], language)
        try:
            return FRENCH[english].format(**values)
        except (KeyError, IndexError, ValueError):
            return text  # a French text whose placeholders differ (a test guards against it)
    return text


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

    def message(self, text: str | None) -> str:
        """A stored English message (a publication's error, an account's status detail) in this language."""
        return translate_message(text or "", self.language)

    @property
    def dir(self) -> str:
        """The direction of the UI's language, for `<html dir>`."""
        return dir_of(self.language)

    def datetime(self, value: datetime | None, zone: str | None = None) -> str:
        """A moment in this language, on the clock of `zone` (UTC without one)."""
        return format_datetime(value, self.language, zone)

    def date(self, value: date | datetime | None, zone: str | None = None, format: str = "medium") -> str:
        """A day in this language ("medium": 26 nov. 2026; "long": 26 novembre 2026)."""
        return format_date(value, self.language, zone, format)

    def time(self, value: time | datetime | None, zone: str | None = None) -> str:
        """An hour to the minute in this language."""
        return format_time(value, self.language, zone)

    def number(self, value: float | int | None) -> str:
        """A count with this language's thousands separator."""
        return format_number(value, self.language)

    def percent(self, ratio: float | None, digits: int = 0) -> str:
        """A ratio as a percentage in this language."""
        return format_percent(ratio, self.language, digits)
