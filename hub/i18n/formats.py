"""Dates, times and numbers as a reader of a language writes them (Babel, CLDR), and the direction of a script.

"26 nov. 2026, 14:05" and "1 234" in French, "Nov 26, 2026, 2:05 PM" and "1,234" in English.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers

EMPTY = "—"


@cache
def locale_of(tag: str | None) -> Locale:
    """The Babel locale of a BCP 47 tag ("fr", "fr-BE", "ar-AE"); English when the tag is unknown."""
    try:
        return Locale.parse((tag or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


@cache
def dir_of(tag: str | None) -> str:
    """"rtl" for a locale whose script runs right to left (Arabic, Hebrew, Persian, Urdu…), else "ltr"."""
    if not tag:
        return "ltr"
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return "ltr"
    return "rtl" if locale.character_order == "right-to-left" else "ltr"


def _zone(zone: str | None):
    if not zone:
        return UTC
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _moment(value: datetime, zone: str | None) -> datetime:
    """`value` on the clock of `zone` (UTC without one); a naive value from the database is UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_zone(zone))


def format_datetime(value: datetime | None, language: str, zone: str | None = None) -> str:
    """A moment as a date and an hour to the minute: "26 nov. 2026, 14:05", "Nov 26, 2026, 2:05 PM"."""
    if value is None:
        return EMPTY
    locale = locale_of(language)
    moment = _moment(value, zone)
    # Babel's "medium" date-time carries seconds; nobody reads a schedule to the second, so the
    # locale's medium date and short time are joined with the locale's own pattern, as Babel does.
    pattern = babel_dates.get_datetime_format("medium", locale=locale).replace("'", "")
    return (pattern.replace("{1}", babel_dates.format_date(moment, "medium", locale=locale))
            .replace("{0}", babel_dates.format_time(moment, "short", locale=locale)))


def format_date(value: date | datetime | None, language: str, zone: str | None = None,
                format: str = "medium") -> str:
    """A day: "26 nov. 2026", "Nov 26, 2026" (a moment is first put on the clock of `zone`)."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = _moment(value, zone)
    return babel_dates.format_date(value, format, locale=locale_of(language))


def format_time(value: time | datetime | None, language: str, zone: str | None = None) -> str:
    """An hour to the minute: "14:05", "2:05 PM"."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = _moment(value, zone)
    return babel_dates.format_time(value, "short", locale=locale_of(language))


def format_number(value: float | int | None, language: str) -> str:
    """A count or amount with the language's separators: "1 234,5" in French, "1,234.5" in English."""
    if value is None:
        return EMPTY
    return babel_numbers.format_decimal(value, locale=locale_of(language))


def format_percent(ratio: float | None, language: str, digits: int = 0) -> str:
    """A ratio (0.25) as a percentage: "25 %" in French, "25%" in English."""
    if ratio is None:
        return EMPTY
    locale = locale_of(language)
    # The locale's own pattern ("#,##0 %" in French), with `digits` decimals.
    pattern = babel_numbers.parse_pattern(locale.percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(ratio, locale)
