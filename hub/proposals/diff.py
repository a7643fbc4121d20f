"""Word-level differences between two texts, as people read them."""

from __future__ import annotations

import difflib
import re

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def word_diff(old: str, new: str) -> list[list[str]]:
    """[[op, text], …] with op "equal", "delete" (only in `old`) or "insert" (only in `new`)."""
    before, after = _TOKEN.findall(old), _TOKEN.findall(new)
    pieces: list[list[str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(["equal", "".join(before[i1:i2])])
            continue
        if i2 > i1:
            pieces.append(["delete", "".join(before[i1:i2])])
        if j2 > j1:
            pieces.append(["insert", "".join(after[j1:j2])])
    return pieces
