"""Small checks shared by the input schemas."""

from __future__ import annotations

from collections.abc import Iterable

# How far a list may be paged: no table has that many rows, and a larger number than PostgreSQL's
# bigint (2**63) fails in the database, a server error instead of an empty page.
MAX_OFFSET = 1_000_000_000
MAX_PAGE = 1_000_000


def only_known(values: Iterable[str], allowed: Iterable[str], what: str) -> list[str]:
    """`values` without repeats; ValueError naming the unknown ones and the allowed list."""
    allowed = list(allowed)
    values = list(dict.fromkeys(values))
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ValueError(f"unknown {what}(s) {', '.join(unknown)}: use {', '.join(allowed)}")
    return values


def is_web_link(url: str | None) -> bool:
    """Whether `url` is an http(s) link, the only kind a page turns into a link: a `javascript:` or `data:`
    URL (from a network's answer, say) would run or show something of its own when clicked."""
    return bool(url) and url.lower().startswith(("https://", "http://"))
