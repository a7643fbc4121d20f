"""The brand glossary in the linter: terms kept as they are, or always translated the same way, per locale.

Matching is whole words, whatever the case and accents (like the tone rules' banned terms); a kept
term must then be written exactly as the glossary writes it.

Severities. An error when the text shows a wrong form that has a mechanical fix: a kept term
written differently ("velolumiere" for "VéloLumière"), or a term left untranslated where the brand
translates it; the finding carries the fix. A warning when the source mentions a term and the
translation has neither the kept term nor its forced translation: the translator may have
rephrased or inflected it (German and Polish decline nouns), so a person decides; nothing blocks.

Where no source text is given (HQ writing in the source language, a location's own wording), the
rules of the text's locale still apply to what the text contains: a kept term in the wrong case is
an error, a term the brand translates in this locale is an error.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from hub.brandkit.schemas import EVERY_LOCALE, GlossaryEntry, GlossaryRule
from hub.linting.findings import finding
from hub.linting.tone import fold, term_matches

# Like tone.banned_term, a finding with a fix has the text it replaces in its `term` value (the one-click fix
# looks it up again when the text moved).

Span = tuple[int, int]


def rule_for(entry: GlossaryEntry, locale: str) -> GlossaryRule | None:
    """The entry's rule for `locale`: the exact locale's, else its language's ("fr" for fr-BE), else "*"'s."""
    rules = entry.locale_rules
    language = locale.split("-")[0].lower()
    return rules.get(locale) or rules.get(language) or rules.get(EVERY_LOCALE)


def occurrences(term: str, text: str) -> list[Span]:
    """Where `term` is in `text`: whole words, whatever the case, accents and spacing; spans in `text`."""
    if not term.strip():
        return []
    folded, origin = fold(text)
    return [(origin[match.start()], origin[match.end() - 1] + 1) for match in term_matches(term, folded)]


def _same(written: str, term: str) -> bool:
    """True when `written` is `term` exactly (same letters, case and accents; any spacing)."""
    def canonical(value: str) -> str:
        return unicodedata.normalize("NFC", " ".join(value.split()))
    return canonical(written) == canonical(term)


def _inside(span: Span, others: Iterable[Span]) -> bool:
    """True when `span` lies within a longer span of `others` ("Pass" inside "Pass Vélo")."""
    return any(start <= span[0] and span[1] <= end and (end - start) > (span[1] - span[0]) for start, end in others)


def lint_glossary(text: str, network: str, locale: str, glossary: Iterable[GlossaryEntry],
                  source: str | None = None) -> list[dict[str, Any]]:
    """Findings of the brand glossary on one network's text in `locale`, translated from `source` when given."""
    entries = [(entry, rule) for entry in glossary if (rule := rule_for(entry, locale)) is not None]
    # Every glossary term and forced translation in the text: a shorter term inside a longer one is
    # the longer one's business ("Pass" inside "Pass Lumière").
    claimed: list[Span] = []
    for entry, rule in entries:
        claimed += occurrences(entry.term, text) + (occurrences(rule.translation, text) if rule.translation else [])

    # The terms of the source, a shorter one inside a longer one aside, counted per entry.
    in_sources: dict[int, int] = {}
    if source is not None:
        found_in_source = [occurrences(entry.term, source) for entry, _ in entries]
        every = [span for spans in found_in_source for span in spans]
        in_sources = {position: sum(not _inside(span, every) for span in spans)
                      for position, spans in enumerate(found_in_source)}

    findings: list[dict[str, Any]] = []
    for position, (entry, rule) in enumerate(entries):
        in_source = in_sources.get(position, 0)
        if rule.mode == "keep":
            found = [span for span in occurrences(entry.term, text) if not _inside(span, claimed)]
            for start, end in found:
                if not _same(text[start:end], entry.term):
                    findings.append(finding(
                        "glossary.keep", "error", network, locale, start, end,
                        "The brand writes “{kept}” exactly like this, never “{term}”: write “{kept}”.",
                        fix=entry.term, term=text[start:end], kept=entry.term))
            if len(found) < in_source:
                findings.append(finding(
                    "glossary.keep", "warning", network, locale, len(text), len(text),
                    "“{term}” is in the source {count} time(s) and here {found} time(s): keep it as it is, untranslated.",
                    term=entry.term, count=in_source, found=len(found)))
            continue
        # Translate: the untranslated term is wrong here, unless it is also the translation ("E-Bike").
        translated = occurrences(rule.translation, text)
        leftovers: list[Span] = []
        if source is None or in_source:
            same_word = fold(entry.term)[0].split() == fold(rule.translation)[0].split()
            leftovers = [] if same_word else [
                span for span in occurrences(entry.term, text) if not _inside(span, claimed)]
        for start, end in leftovers:
            findings.append(finding(
                "glossary.translation", "error", network, locale, start, end,
                "In this language the brand translates “{term}” as “{translation}”: write “{translation}”.",
                fix=rule.translation, term=text[start:end], translation=rule.translation))
        if len(translated) + len(leftovers) < in_source:
            findings.append(finding(
                "glossary.translation", "warning", network, locale, len(text), len(text),
                "“{term}” is in the source {count} time(s) and its translation “{translation}” here {found} "
                "time(s): write “{translation}”.",
                term=entry.term, translation=rule.translation, count=in_source, found=len(translated)))
    return findings
