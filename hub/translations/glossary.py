"""Glossary hints for the translation workspace: which brand terms of the source to keep or translate how.

The linter enforces the same rules on the target (hub/linting/glossary.py); these hints show them
beside the source before the translator writes anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.brandkit.schemas import BrandKitData, GlossaryEntry
from hub.linting.glossary import occurrences, rule_for
from hub.linting.service import LintRules


def _entries(kit_or_rules: BrandKitData | LintRules | Iterable[GlossaryEntry]) -> list[GlossaryEntry]:
    if isinstance(kit_or_rules, (BrandKitData, LintRules)):
        return list(kit_or_rules.glossary)
    return list(kit_or_rules)


def hints(kit_or_rules: BrandKitData | LintRules | Iterable[GlossaryEntry], source_text: str, source_locale: str,
          target_locale: str) -> list[dict[str, Any]]:
    """Each glossary term in the source text with what to write in `target_locale`, in reading order.

    `translation` is what the target must say: the term itself when it is kept. A term inside a longer
    term ("Pass" in "Pass Vélo") is left out: the longer one decides. Nothing is hinted when the target
    is the source's own locale.
    """
    if target_locale == source_locale:
        return []
    found: list[dict[str, Any]] = []
    for entry in _entries(kit_or_rules):
        rule = rule_for(entry, target_locale)
        if rule is None:
            continue
        translation = entry.term if rule.mode == "keep" else rule.translation
        for start, end in occurrences(entry.term, source_text):
            found.append({"term": entry.term, "mode": rule.mode, "translation": translation,
                          "start": start, "end": end})
    kept = [hint for hint in found if not any(
        other["start"] <= hint["start"] and hint["end"] <= other["end"]
        and other["end"] - other["start"] > hint["end"] - hint["start"] for other in found)]
    return sorted(kept, key=lambda hint: (hint["start"], hint["end"]))
