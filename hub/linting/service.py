"""The linter: one engine for every text written in Pieuvre (HQ editor, fan-out, customization,
translation, and a last check before publishing). Findings carry a rule id, a severity, the
network, the locale, a character span, a message and, where one exists, a suggested fix."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hub.brandkit.schemas import GlossaryEntry, ToneRules
from hub.linting.findings import finding, has_errors
from hub.linting.glossary import lint_glossary
from hub.linting.networks import NETWORK_RULES, URL, link_end, measured_length
from hub.linting.tone import HASHTAG, lint_tone

__all__ = ["LintRules", "finding", "has_errors", "lint_text"]

# A phone number: starts with + or 0, 8 to 15 digits in groups (networks.md §6: Google rejects them).
_PHONE = re.compile(r"(?<![\w+])(?:\+|0)\d[\d .\-()/]{5,}\d(?!\w)")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")


@dataclass(frozen=True)
class LintRules:
    """The brand's rules the linter applies on top of the networks' own."""

    tone: ToneRules = field(default_factory=ToneRules)
    instagram_hashtag_cap: int = 5
    glossary: tuple[GlossaryEntry, ...] = ()


DEFAULT_RULES = LintRules()


def phone_numbers(text: str) -> list[re.Match[str]]:
    """Phone numbers in a text (not dates)."""
    found = []
    for match in _PHONE.finditer(text):
        digits = sum(char.isdigit() for char in match.group())
        if 8 <= digits <= 15 and not _DATE.match(match.group()):
            found.append(match)
    return found


@lru_cache(maxsize=None)
def _forbidden(characters: str) -> re.Pattern[str]:
    """A pattern matching any one of `characters` (none: a pattern that never matches)."""
    return re.compile(f"[{re.escape(characters)}]" if characters else r"(?!)")


def _network_findings(text: str, network: str, locale: str, rules: LintRules) -> list[dict[str, Any]]:
    facts = NETWORK_RULES[network]
    findings: list[dict[str, Any]] = []
    if not text.strip():
        findings.append(finding("text.empty", "error", network, locale, 0, 0,
                                "The text for {network} is empty: write something or drop this network.",
                                network=facts.label))
    length = measured_length(network, text)
    if length > facts.max_length:
        findings.append(finding(
            "network.too_long", "error", network, locale, 0, len(text),
            "{network} accepts {limit} {counting}; this text has {length}: shorten it by {over}.",
            network=facts.label, limit=facts.max_length, counting=facts.counting, length=length,
            over=length - facts.max_length, source=facts.source,
        ))
    cap = rules.instagram_hashtag_cap if network == "instagram" else facts.hashtag_cap
    if cap is not None:
        hashtags = list(HASHTAG.finditer(text))
        if len(hashtags) > cap:
            findings.append(finding(
                "network.too_many_hashtags", "error", network, locale, hashtags[cap].start(), hashtags[-1].end(),
                "{network} takes at most {limit} hashtags; this text has {count}: remove {over}.",
                network=facts.label, limit=cap, count=len(hashtags), over=len(hashtags) - cap, source=facts.source))
    if not facts.links_clickable:
        for match in URL.finditer(text):
            end = match.start() + link_end(match.group())
            findings.append(finding(
                "network.link_not_clickable", "warning", network, locale, match.start(), end,
                "Links are not clickable on {network}: say “link in bio” or drop it.", network=facts.label,
                source=facts.source))
    if facts.forbids_phone_numbers:
        for match in phone_numbers(text):
            findings.append(finding(
                "network.phone_number", "error", network, locale, match.start(), match.end(),
                "{network} rejects posts with a phone number: remove {number} (use the call button instead).",
                fix="", network=facts.label, number=match.group(), source=facts.source))
    for match in _forbidden(facts.forbidden_characters).finditer(text):
        findings.append(finding(
            "network.forbidden_character", "error", network, locale, match.start(), match.end(),
            "{network} does not accept the character {character}: remove it.", network=facts.label,
            character=match.group(), source=facts.source))
    if facts.title_max_length is not None:
        title = text.split("\n", 1)[0]
        if len(title) > facts.title_max_length:
            findings.append(finding(
                "network.title_too_long", "error", network, locale, 0, len(title),
                "The first line is the {network} title: at most {limit} characters, it has {length}.",
                network=facts.label, limit=facts.title_max_length, length=len(title), source=facts.source))
    return findings


def lint_text(text: str, network: str, locale: str, rules: LintRules | None = None, *,
              source: str | None = None) -> list[dict[str, Any]]:
    """Every finding of the network's rules, the brand's tone and its glossary on one text; `source` is the
    text it was translated from, when it is a translation (the glossary then checks each term of the source)."""
    rules = rules or DEFAULT_RULES
    return (_network_findings(text, network, locale, rules) + lint_tone(text, network, locale, rules.tone)
            + lint_glossary(text, network, locale, rules.glossary, source=source))
