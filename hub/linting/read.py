"""Findings as users read them: the message in their language."""

from __future__ import annotations

from typing import Any

from hub.i18n import N_, translate

# How each network counts its limit, in words (hub.linting.networks.NetworkRules.counting).
COUNTING_WORDS = {"characters": N_("characters"), "weighted": N_("weighted characters"), "bytes": N_("bytes")}


def finding_message(item: dict[str, Any], language: str) -> str:
    """A finding's message in `language`, its values filled in."""
    values = dict(item.get("values") or {})
    if values.get("counting") in COUNTING_WORDS:
        values["counting"] = translate(COUNTING_WORDS[values["counting"]], language)
    return translate(item["message"], language, **values)


def finding_read(item: dict[str, Any], language: str) -> dict[str, Any]:
    """A finding as the API shows it: rule, severity, network, locale, span, message, fix, source."""
    values = item.get("values") or {}
    read = {key: value for key, value in item.items() if key != "values"}
    read["message"] = finding_message(item, language)
    if "source" in values:
        read["source"] = values["source"]
    return read
