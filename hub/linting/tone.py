"""Tone-of-voice rules of the brand kit: banned terms, required mentions, limits, formality."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from hub.brandkit.schemas import ToneRules
from hub.linting.networks import EMOJI, EMOJI_PART, NETWORK_RULES
from hub.linting.findings import finding

# A # not after a letter or another #; written with the # first so the regex engine looks for # alone.
HASHTAG = re.compile(r"#(?<![\w#]#)\w+")
CAPS_WORD = re.compile(r"\b[^\W\d_]{3,}\b")
# Three characters in a row each A-Z or not ASCII: every word in capitals has such a run.
_CAPS_RUN = re.compile("[A-Z\u0080-\U0010FFFF]{3}")
EXCLAMATION = re.compile("[!¡]")

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


@lru_cache(maxsize=None)
def _fold_char(char: str) -> str:
    """One character without accents and case (possibly none, or more than one: "ß" → "ss")."""
    return "".join(part.casefold() for part in unicodedata.normalize("NFD", char) if not unicodedata.combining(part))


# What `fold` learnt of the characters it met: those that fold to exactly one character, and the
# combining marks of their decompositions (which it drops).
_EVEN: set[str] = set()
_MARKS: set[str] = set()


@lru_cache(maxsize=4)
def _marks_pattern(count: int) -> re.Pattern[str]:
    """The marks learnt so far (`count` of them) as one character class."""
    return re.compile("[" + "".join(re.escape(mark) for mark in sorted(_MARKS)) + "]" if _MARKS else "(?!)")


def fold(text: str) -> tuple[str, Sequence[int]]:
    """`text` without accents and case, and for each folded character the index it came from."""
    folded, origin = _fold(text)
    return folded, origin if isinstance(origin, range) else list(origin)


# The linter folds each text once for the tone rules and once per glossary term: the last few are kept.
@lru_cache(maxsize=64)
def _fold(text: str) -> tuple[str, range | tuple[int, ...]]:
    if text.isascii():
        return text.lower(), range(len(text))
    characters = set(text)
    for char in characters - _EVEN:
        if len(_fold_char(char)) == 1:
            _EVEN.add(char)
            _MARKS.update(part for part in unicodedata.normalize("NFD", char) if unicodedata.combining(part))
    if characters <= _EVEN:
        # Each character folds to one: whole-string C calls give the same text, and indexes do not move
        # (the fan-out folds every location's texts several times).
        decomposed = unicodedata.normalize("NFD", text)
        return _marks_pattern(len(_MARKS)).sub("", decomposed).casefold(), range(len(text))
    pieces = [_fold_char(char) for char in text]
    return "".join(pieces), tuple(index for index, piece in enumerate(pieces) for _ in piece)


@lru_cache(maxsize=1024)
def term_pattern(term: str) -> re.Pattern[str]:
    """A pattern finding `term` as whole words in a `fold`ed text, any spacing between its words."""
    words = fold(term.strip())[0].split()
    if not words:
        return re.compile(r"(?<!\w)(?!\w)")
    # "Not after a letter" is checked once the first letter matched, so the regex engine can look for
    # that letter alone (a pattern starting with a lookbehind is tried at every position).
    first, rest = words[0][0], [words[0][1:], *words[1:]]
    return re.compile(re.escape(first) + r"(?<!\w.)" + r"\s+".join(re.escape(word) for word in rest) + r"(?!\w)",
                      re.DOTALL)


@lru_cache(maxsize=1024)
def _first_word(term: str) -> str:
    words = fold(term.strip())[0].split()
    return words[0] if words else ""


def term_matches(term: str, folded: str) -> list[re.Match[str]]:
    """The matches of `term_pattern(term)` in a `fold`ed text."""
    # Most texts do not hold the term at all: a plain substring test says so without the regex.
    if _first_word(term) not in folded:
        return []
    return list(term_pattern(term).finditer(folded))


@lru_cache(maxsize=None)
def _register_pattern(language: str, formal_wanted: bool) -> re.Pattern[str]:
    """The words of the register the brand does not use in `language`."""
    pattern = _INFORMAL[language] if formal_wanted else _FORMAL[language]
    flags = re.IGNORECASE if (formal_wanted or language != "de") else 0
    return re.compile(pattern, flags | re.MULTILINE)


def _language(locale: str) -> str:
    return locale.split("-")[0].lower()


def lint_tone(text: str, network: str, locale: str, tone: ToneRules) -> list[dict[str, Any]]:
    """Findings of the brand's tone rules on one network's text in one locale."""
    findings: list[dict[str, Any]] = []
    language = _language(locale)
    label = NETWORK_RULES[network].label

    banned_here = [banned for banned in tone.banned_terms if not banned.languages or language in banned.languages]
    folded, origin = fold(text) if banned_here else ("", [])
    for banned in banned_here:
        for match in term_matches(banned.term, folded):
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

    # Each limit is counted only when the brand sets it: the fan-out lints every location's texts.
    hashtags = list(HASHTAG.finditer(text)) if tone.max_hashtags is not None else []
    if tone.max_hashtags is not None and len(hashtags) > tone.max_hashtags:
        extra = hashtags[tone.max_hashtags]
        findings.append(finding(
            "tone.too_many_hashtags", "warning", network, locale, extra.start(), hashtags[-1].end(),
            "The brand uses at most {limit} hashtags; this text has {count}: remove {over}.",
            limit=tone.max_hashtags, count=len(hashtags), over=len(hashtags) - tone.max_hashtags))

    emoji = list(EMOJI.finditer(text)) if tone.max_emoji is not None and EMOJI_PART.search(text) else []
    if tone.max_emoji is not None and len(emoji) > tone.max_emoji:
        extra = emoji[tone.max_emoji]
        findings.append(finding(
            "tone.too_many_emoji", "warning", network, locale, extra.start(), emoji[-1].end(),
            "The brand uses at most {limit} emoji; this text has {count}: remove {over}.",
            limit=tone.max_emoji, count=len(emoji), over=len(emoji) - tone.max_emoji))

    marks = [match.start() for match in EXCLAMATION.finditer(text)] if tone.max_exclamation_marks is not None else []
    if tone.max_exclamation_marks is not None and len(marks) > tone.max_exclamation_marks:
        findings.append(finding(
            "tone.too_many_exclamations", "warning", network, locale, marks[tone.max_exclamation_marks],
            marks[-1] + 1, "The brand uses at most {limit} exclamation marks; this text has {count}.",
            limit=tone.max_exclamation_marks, count=len(marks)))

    shouting = ([match for match in CAPS_WORD.finditer(text) if match.group().isupper()]
                if tone.max_caps_words is not None and _CAPS_RUN.search(text) else [])
    if tone.max_caps_words is not None and len(shouting) > tone.max_caps_words:
        extra = shouting[tone.max_caps_words]
        findings.append(finding(
            "tone.too_many_caps", "warning", network, locale, extra.start(), shouting[-1].end(),
            "The brand writes at most {limit} words in capitals; this text has {count}: write them in lower case.",
            limit=tone.max_caps_words, count=len(shouting)))

    register = tone.formality.get(language)
    if register:
        for match in _register_pattern(language, register == _FORMAL_REGISTER[language]).finditer(text):
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
