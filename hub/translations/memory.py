"""Translation memory suggestions: earlier approved translations of the same or a similar source text.

Exact matches come from the source text's hash; fuzzy ones from a similarity score at or above a
threshold: difflib's ratio on the texts' words and punctuation, case aside (word by word, as
translators count a fuzzy match; it is also much faster than character by character). The memory of a
large brand is never read whole: SQL keeps, for each source text, the entries whose length could
reach the threshold and that share one of the text's longest words, those sharing the most first, at
most `CANDIDATES` of them; only those are scored in Python. Measured with 20,000 entries of one brand
and locale pair (tests/translations/test_memory.py): 0.15 to 0.3 s per distinct source text on
PostgreSQL and SQLite, nearly all of it the SQL prefilter scanning the brand's rows (a trigram index
would cut it, at the price of the pg_trgm extension).

Language variants: a target locale uses its own memory first, then its language's (fr-BE uses fr-BE,
then fr and fr-FR, fr-CA…): the wording of a sister locale is a better start than nothing, and each
suggestion says its locale so the translator sees where it comes from. At the same score the exact
locale comes first, then the newest entry. Source locales match by language in the same way.
"""

from __future__ import annotations

import hashlib
import math
import re
from difflib import SequenceMatcher
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.translations.models import TranslationMemory

THRESHOLD = 0.75
LIMIT = 3
# Fuzzy candidates scored per source text; the SQL prefilter puts the likeliest first.
CANDIDATES = 100
# How many of the source's longest words the prefilter looks for (long words are the rare ones).
KEY_WORDS = 4
_WORD = re.compile(r"\w{4,}")
_TOKEN = re.compile(r"\w+|[^\w\s]")
# The score counts words, the SQL window characters: words differ in length, so the window is this much wider.
_LENGTH_MARGIN = 0.2


def source_hash(text: str) -> str:
    """The memory's key of a source text: sha256 hex of its UTF-8 bytes, as stored in `source_hash`."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _same_language(column: Any, locale: str) -> ColumnElement[bool]:
    """`column` is `locale`, its language alone, or another variant of its language."""
    language = locale.split("-")[0].lower()
    return or_(column == locale, column == language, column.like(f"{language}-%"))


def tokens(text: str) -> list[str]:
    """A text's words and punctuation marks, case aside: what the fuzzy score compares."""
    return _TOKEN.findall(text.casefold())


def score(source: str, candidate: str) -> float:
    """How alike two source texts are, from 0 to 1, word by word."""
    return SequenceMatcher(None, tokens(source), tokens(candidate), autojunk=False).ratio()


def length_window(length: int, threshold: float) -> tuple[int, int]:
    """The lengths (in characters) a text may have to reach `threshold` against a text of `length`.

    difflib's ratio is 2·M / (a + b) with M ≤ min(a, b), so b ≥ a·t / (2 − t) and b ≤ a·(2 − t) / t, in
    words; characters follow words with `_LENGTH_MARGIN` on each side.
    """
    low = length * threshold / (2 - threshold) * (1 - _LENGTH_MARGIN)
    high = length * (2 - threshold) / threshold * (1 + _LENGTH_MARGIN)
    return math.floor(low), math.ceil(high)


def key_words(text: str) -> list[str]:
    """The text's longest distinct words, the prefilter's bait."""
    words = list(dict.fromkeys(word.casefold() for word in _WORD.findall(text)))
    return sorted(words, key=len, reverse=True)[:KEY_WORDS]


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _base(brand_id: str, source_locale: str, target_locale: str) -> Any:
    return select(TranslationMemory).where(
        TranslationMemory.brand_id == brand_id,
        _same_language(TranslationMemory.source_locale, source_locale),
        _same_language(TranslationMemory.target_locale, target_locale))


async def fuzzy_candidates(session: AsyncSession, brand_id: str, source_locale: str, target_locale: str,
                           text: str, threshold: float = THRESHOLD) -> list[TranslationMemory]:
    """The entries worth scoring against `text` (its exact match aside), at most CANDIDATES."""
    low, high = length_window(len(text), threshold)
    length = func.length(TranslationMemory.source_text)
    query = _base(brand_id, source_locale, target_locale).where(
        length >= low, length <= high, TranslationMemory.source_hash != source_hash(text))
    words = key_words(text)
    if words:
        matches = [TranslationMemory.source_text.ilike(_like(word), escape="\\") for word in words]
        # The entries sharing the most of those words first.
        shared = case((matches[0], 1), else_=0)
        for match in matches[1:]:
            shared = shared + case((match, 1), else_=0)
        query = query.where(or_(*matches)).order_by(shared.desc())
    query = query.order_by(TranslationMemory.created_at.desc(), TranslationMemory.id).limit(CANDIDATES)
    return list(await session.scalars(query))


def _suggestion(entry: TranslationMemory, value: float, kind: str) -> dict[str, Any]:
    return {"source_text": entry.source_text, "target_text": entry.target_text, "score": round(value, 3),
            "kind": kind, "source_locale": entry.source_locale, "target_locale": entry.target_locale,
            "created_at": entry.created_at}


async def suggest(session: AsyncSession, brand_id: str, source_locale: str, target_locale: str,
                  texts: dict[str, str], *, threshold: float = THRESHOLD,
                  limit: int = LIMIT) -> dict[str, list[dict[str, Any]]]:
    """For each network's source text, earlier approved translations: exact then fuzzy, best first, at most `limit`.

    Each suggestion: source_text, target_text, score (1.0 for exact), kind ("exact" or "fuzzy"), and the
    locales and date of the memory entry it comes from.
    """
    distinct = list(dict.fromkeys(text for text in texts.values() if text.strip()))
    hashes = {source_hash(text): text for text in distinct}
    exact: dict[str, list[TranslationMemory]] = {text: [] for text in distinct}
    if hashes:
        for entry in await session.scalars(
                _base(brand_id, source_locale, target_locale).where(TranslationMemory.source_hash.in_(hashes))):
            if entry.source_text == hashes[entry.source_hash]:
                exact[entry.source_text].append(entry)

    by_text: dict[str, list[dict[str, Any]]] = {}
    for text in distinct:
        found = [_suggestion(entry, 1.0, "exact") for entry in exact[text]]
        words = tokens(text)
        for entry in await fuzzy_candidates(session, brand_id, source_locale, target_locale, text, threshold):
            matcher = SequenceMatcher(None, words, tokens(entry.source_text), autojunk=False)
            # The cheap upper bounds first: most candidates stop there.
            if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
                continue
            value = matcher.ratio()
            if value >= threshold:
                found.append(_suggestion(entry, value, "fuzzy"))
        found.sort(key=lambda item: (-item["score"], item["kind"] != "exact", item["target_locale"] != target_locale,
                                     -item["created_at"].timestamp()))
        unique: dict[str, dict[str, Any]] = {}
        for item in found:  # the same translation stored for two locales is offered once, its best
            unique.setdefault(item["target_text"], item)
        by_text[text] = list(unique.values())[:limit]
    return {network: by_text.get(text, []) for network, text in texts.items()}
