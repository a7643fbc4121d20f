"""Tone-of-voice rules of the brand kit: banned terms, required mentions, limits, formality."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from hub.brandkit.schemas import ToneRules
from hub.linting.networks import EMOJI, NETWORK_RULES
from hub.linting.findings import finding

HASHTAG = re.compile(r"(?<![\w#])#\w+")
CAPS_WORD = re.compile(r"\b[^\W\d_]{3,}\b")

# Pronouns and possessives of each register, by language: (informal, formal).
# French "vous" and German "ihr" may be plural, so those findings are warnings that say so.
_INFORMAL = {
    "fr": r"\b(?:tu|toi|te|ton|ta|tes|tien|tienne|tiens|tiennes)\b|\bt['’](?=\w)",
    "de": r"\b(?:du|dich|dir|dein|deine|deinen|deinem|deiner|deines|euch|euer|eure|euren|eurem|eurer)\b",
    "es": r"\b(?:tú|tu|tus|te|ti|contigo|tuyo|tuya|tuyos|tuyas|vosotros|vosotras|os|vuestro|vuestra|vuestros|vuestras)\b",
}
_FORMAL = {
    "fr": r"\b(?:vous|votre|vos|vôtre|vôtres)\b",
    "de": r"(?<![.!?]\s)(?<!^)\b(?:Sie|Ihnen|Ihr|Ihre|Ihren|Ihrem|Ihrer|Ihres)\b",
    "es": r"\b(?:usted|ustedes)\b",
}
_FORMAL_REGISTER = {"fr": "vous", "de": "Sie", "es": "usted"}


def fold(text: str) -> tuple[str, list[int]]:
    """`text` without accents and case, and for each folded character the index it came from."""
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for part in unicodedata.normalize("NFD", char):
            if unicodedata.combining(part):
                continue
            for lower in part.casefold():
                folded.append(lower)
                origin.append(index)
    return "".join(folded), origin


def term_pattern(term: str) -> re.Pattern[str]:
    """A pattern finding `term` as whole words in a `fold`ed text, any spacing between its words."""
    folded, _ = fold(term.strip())
    body = r"\s+".join(re.escape(word) for word in folded.split())
    return re.compile(rf"(?<!\w){body}(?!\w)")


def _language(locale: str) -> str:
    return locale.split("-")[0].lower()


def lint_tone(text: str, network: str, locale: str, tone: ToneRules) -> list[dict[str, Any]]:
    """Findings of the brand's tone rules on one network's text in one locale."""
    findings: list[dict[str, Any]] = []
    language = _language(locale)
    label = NETWORK_RULES[network].label

    folded, origin = fold(text)
    for banned in tone.banned_terms:
        if banned.languages and language not in banned.languages:
            continue
        for match in term_pattern(banned.term).finditer(folded):
            start, end = origin[match.start()], origin[match.end() - 1] + 1
            if banned.replacement:
                findings.append(finding(
                    "tone.banned_term", "error", network, locale, start, end,
                    "The brand does not say “{term}”: write “{replacement}” instead.",
                    fix=banned.replacement, term=text[start:end], replacement=banned.replacement))
            else:
                findings.append(finding(
                    "tone.banned_term", "error", network, locale, start, end,
                    "The brand does not say “{term}”: rephrase it.", term=text[start:end]))

    lowered = text.casefold()
    for required in tone.required_mentions:
        if required.networks and network not in required.networks:
            continue
        if required.text.casefold() not in lowered:
            findings.append(finding(
                "tone.required_missing", "error", network, locale, len(text), len(text),
                "{network} posts must mention {mention}: add it.", fix=required.text, network=label,
                mention=required.text))

    hashtags = list(HASHTAG.finditer(text))
    if tone.max_hashtags is not None and len(hashtags) > tone.max_hashtags:
        extra = hashtags[tone.max_hashtags]
        findings.append(finding(
            "tone.too_many_hashtags", "warning", network, locale, extra.start(), hashtags[-1].end(),
            "The brand uses at most {limit} hashtags; this text has {count}: remove {over}.",
            limit=tone.max_hashtags, count=len(hashtags), over=len(hashtags) - tone.max_hashtags))

    emoji = list(EMOJI.finditer(text))
    if tone.max_emoji is not None and len(emoji) > tone.max_emoji:
        extra = emoji[tone.max_emoji]
        findings.append(finding(
            "tone.too_many_emoji", "warning", network, locale, extra.start(), emoji[-1].end(),
            "The brand uses at most {limit} emoji; this text has {count}: remove {over}.",
            limit=tone.max_emoji, count=len(emoji), over=len(emoji) - tone.max_emoji))

    marks = [index for index, char in enumerate(text) if char in "!¡"]
    if tone.max_exclamation_marks is not None and len(marks) > tone.max_exclamation_marks:
        findings.append(finding(
            "tone.too_many_exclamations", "warning", network, locale, marks[tone.max_exclamation_marks],
            marks[-1] + 1, "The brand uses at most {limit} exclamation marks; this text has {count}.",
            limit=tone.max_exclamation_marks, count=len(marks)))

    shouting = [match for match in CAPS_WORD.finditer(text) if match.group().isupper()]
    if tone.max_caps_words is not None and len(shouting) > tone.max_caps_words:
        extra = shouting[tone.max_caps_words]
        findings.append(finding(
            "tone.too_many_caps", "warning", network, locale, extra.start(), shouting[-1].end(),
            "The brand writes at most {limit} words in capitals; this text has {count}: write them in lower case.",
            limit=tone.max_caps_words, count=len(shouting)))

    register = tone.formality.get(language)
    if register:
        formal_wanted = register == _FORMAL_REGISTER[language]
        pattern = _INFORMAL[language] if formal_wanted else _FORMAL[language]
        flags = re.IGNORECASE if (formal_wanted or language != "de") else 0
        for match in re.finditer(pattern, text, flags | re.MULTILINE):
            findings.append(finding(
                "tone.formality", "warning", network, locale, match.start(), match.end(),
                "The brand addresses readers with “{register}” in this language: “{word}” does not match.",
                register=register, word=match.group()))
    return findings


def with_signature(text: str, network: str, tone: ToneRules) -> str:
    """The text with the brand's signature appended (once) where it applies."""
    signature = tone.signature
    if not signature.text or (signature.networks and network not in signature.networks):
        return text
    if signature.text.strip() in text:
        return text
    return f"{text.rstrip()}\n\n{signature.text.strip()}"
