"""The one table of network rules, used by the editor, the fan-out, the linter and the connectors.

Every fact comes from ../shared/reference/networks.md (its section is named in `source`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkRules:
    """What one network accepts in a post's text."""

    network: str
    label: str
    max_length: int
    counting: str  # "characters", "weighted" (X) or "bytes"
    source: str


NETWORK_RULES: dict[str, NetworkRules] = {
    rules.network: rules
    for rules in (
        NetworkRules("facebook", "Facebook", 63206, "characters", "networks.md §1 Text limit (third-party figure)"),
        NetworkRules("instagram", "Instagram", 2200, "characters", "networks.md §2 Caption"),
        NetworkRules("linkedin", "LinkedIn", 3000, "characters", "networks.md §3 Text (about 3000)"),
        NetworkRules("x", "X", 280, "weighted", "networks.md §4 Text (twitter-text weighting)"),
        NetworkRules("google_business", "Google Business Profile", 1500, "characters", "networks.md §6"),
        NetworkRules("youtube", "YouTube", 5000, "bytes", "networks.md §5 description (5000 bytes)"),
    )
}

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
# twitter-text: these code point ranges weigh 1, everything else 2 (networks.md §4 Text).
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_URL_WEIGHT = 23


def _weight(char: str) -> int:
    point = ord(char)
    return 1 if any(low <= point <= high for low, high in _LIGHT_RANGES) else 2


def x_weighted_length(text: str) -> int:
    """The length X counts: NFC text, each URL 23, light code points 1, others (CJK, emoji) 2."""
    text = unicodedata.normalize("NFC", text)
    length = 0
    position = 0
    for match in _URL.finditer(text):
        length += sum(_weight(char) for char in text[position:match.start()]) + X_URL_WEIGHT
        position = match.end()
    return length + sum(_weight(char) for char in text[position:])


def measured_length(network: str, text: str) -> int:
    """The length of `text` as `network` counts it."""
    counting = NETWORK_RULES[network].counting
    if counting == "weighted":
        return x_weighted_length(text)
    if counting == "bytes":
        return len(text.encode("utf-8"))
    return len(text)
