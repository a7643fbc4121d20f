"""The French catalogues stay tidy (tests/unit/test_translations.py checks that every string has French)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted((ROOT / "hub" / "i18n").glob("fr*.py"))


def _keys(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    table = next(node for node in ast.walk(tree) if isinstance(node, ast.Dict))
    return [key.value for key in table.keys]


def test_no_msgid_is_written_twice_in_or_across_the_catalogues():
    keys = [key for path in CATALOGUES for key in _keys(path)]
    twice = [key for key, count in Counter(keys).items() if count > 1]
    assert not twice
