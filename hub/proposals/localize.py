"""Filling a post's franchise variables with a location's values — never evaluating user text."""

from __future__ import annotations

import re
from typing import Any

from hub.linting.service import finding
from hub.locations.models import Location

# `{city}` is a variable; `{{city}}`, `{{7*7}}` or `{% … %}` are not and stay literal.
VARIABLE = re.compile(r"(?<!\{)\{([a-z][a-z0-9_]{0,39})\}(?!\})")


def location_values(location: Location) -> dict[str, str]:
    """The values a location offers to posts: its name and code, then its own variables."""
    # An empty value is a missing one: "{region}" must not silently become "".
    values = {key: value for key, value in (("name", location.name), ("code", location.code),
                                            ("region", location.region)) if value}
    values.update({key: str(value) for key, value in (location.variables or {}).items() if value != ""})
    return values


def fill_variables(
    text: str, values: dict[str, str], network: str, locale: str
) -> tuple[str, list[dict[str, Any]]]:
    """`text` with each known `{variable}` replaced; each unknown one left raw with a blocking finding.

    Replacement is a plain string substitution: no template engine ever sees user text.
    """
    findings: list[dict[str, Any]] = []
    pieces: list[str] = []
    position = 0
    for match in VARIABLE.finditer(text):
        pieces.append(text[position:match.start()])
        name = match.group(1)
        start = sum(len(piece) for piece in pieces)
        if name in values:
            pieces.append(values[name])
        else:
            pieces.append(match.group(0))
            findings.append(finding(
                "variable.missing", "error", network, locale, start, start + len(match.group(0)),
                "This location has no value for {{{variable}}}: add it to the location, or customize the text.",
                variable=name,
            ))
        position = match.end()
    pieces.append(text[position:])
    return "".join(pieces), findings


def raw_variables(text: str) -> list[str]:
    """The `{variable}` names still present in a text (a proposal must have none to go out)."""
    return VARIABLE.findall(text)


SLOT = re.compile(r"\[\[([a-z][a-z0-9_]{0,39})\]\]")


def fill_slots(text: str, slot_specs: dict[str, Any], values: dict[str, str] | None = None) -> str:
    """`text` with each [[slot]] replaced by the location's value, else HQ's default (plain substitution)."""
    values = values or {}
    return SLOT.sub(lambda match: values.get(match.group(1), (slot_specs.get(match.group(1)) or {}).get("default", "")),
                    text)
