"""Small checks shared by the input schemas."""

from __future__ import annotations

from collections.abc import Iterable


def only_known(values: Iterable[str], allowed: Iterable[str], what: str) -> list[str]:
    """`values` without repeats; ValueError naming the unknown ones and the allowed list."""
    allowed = list(allowed)
    values = list(dict.fromkeys(values))
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise ValueError(f"unknown {what}(s) {', '.join(unknown)}: use {', '.join(allowed)}")
    return values
