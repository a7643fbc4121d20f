"""The one table of network rules, used by the editor, the fan-out, the linter and the connectors.

Every fact comes from ../shared/reference/networks.md (its section is named in `source`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class NetworkRules:
    """What one network accepts in a post's text, each fact with its source."""

    network: str
    label: str
    max_length: int
    counting: str  # "characters", "weighted" (X) or "bytes"
    source: str
    # Default cap on hashtags (a brand kit may set its own); None: no network cap.
    hashtag_cap: int | None = None
    links_clickable: bool = True
    forbids_phone_numbers: bool = False
    forbidden_characters: str = ""
    # YouTube: the first line of the text is the video title.
    title_max_length: int | None = None
    # Image size the network shows best, (width, height) in pixels.
    image_size: tuple[int, int] = (1200, 630)
    image_source: str = ""


NETWORK_RULES: dict[str, NetworkRules] = {
    rules.network: rules
    for rules in (
        NetworkRules("facebook", "Facebook", 63206, "characters", "networks.md §1 Text limit (third-party figure)",
                     image_size=(1200, 630), image_source="networks.md §1 Image spec (1.91:1)"),
        NetworkRules("instagram", "Instagram", 2200, "characters",
                     "networks.md §2 Caption (2200 characters; 5-hashtag cap announced Dec 2025, API enforcement unconfirmed)",
                     hashtag_cap=5, links_clickable=False, image_size=(1080, 1350),
                     image_source="networks.md §2 Image spec (1080×1080 or 1080×1350, JPEG)"),
        NetworkRules("linkedin", "LinkedIn", 3000, "characters", "networks.md §3 Text (about 3000)",
                     image_size=(1200, 627), image_source="networks.md §3 Image spec (1200×627)"),
        NetworkRules("x", "X", 280, "weighted", "networks.md §4 Text (twitter-text weighting)",
                     image_size=(1200, 675), image_source="networks.md §4 Image spec (16:9)"),
        NetworkRules("google_business", "Google Business Profile", 1500, "characters",
                     "networks.md §6 Text (1500 characters); Google rejects posts with phone numbers",
                     forbids_phone_numbers=True, image_size=(1200, 900),
                     image_source="networks.md §6 Text/image (4:3, 1200×900)"),
        NetworkRules("youtube", "YouTube", 5000, "bytes", "networks.md §5 Text (title 100 characters, description "
                     "5000 bytes, no < or >)", forbidden_characters="<>", title_max_length=100,
                     image_size=(1280, 720), image_source="networks.md §5 Image spec (thumbnail 1280×720)"),
    )
}

URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
# twitter-text: these code point ranges weigh 1, everything else 2 (networks.md §4 Text).
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_URL_WEIGHT = 23


# A character that weighs 2 (outside the light ranges).
_HEAVY = re.compile("[^" + "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in _LIGHT_RANGES) + "]")


def _weight(char: str) -> int:
    point = ord(char)
    return 1 if any(low <= point <= high for low, high in _LIGHT_RANGES) else 2


# An emoji weighs 2 however many code points draw it (networks.md §4: "emoji ZWJ sequences
# count 2"): flags (two regional indicators), keycaps, and pictographs with their variation
# selectors, skin tones and tag characters, joined by zero-width joiners.
_PICTOGRAPH = (r"[\u203C\u2049\u2122\u2139\u2194-\u21AA\u231A-\u23FF\u24C2\u25AA-\u27BF\u2934\u2935"
               r"\u2B05-\u2B55\u3030\u303D\u3297\u3299\U0001F000-\U0001FAFF]")
_EMOJI_MODIFIERS = r"[\uFE0E\uFE0F\u20E3\U0001F3FB-\U0001F3FF\U000E0020-\U000E007F]*"
EMOJI = re.compile(
    r"[\U0001F1E6-\U0001F1FF]{2}"
    r"|[0-9#*]\uFE0F?\u20E3"
    r"|[\u00A9\u00AE]\uFE0F"
    rf"|{_PICTOGRAPH}{_EMOJI_MODIFIERS}(?:\u200D{_PICTOGRAPH}{_EMOJI_MODIFIERS})*"
)
# Every emoji has one of these characters: most texts have none, and this class says so faster than EMOJI.
EMOJI_PART = re.compile(r"[\u00A9\u00AE\u20E3\U0001F1E6-\U0001F1FF" + _PICTOGRAPH[1:-1] + "]")
X_EMOJI_WEIGHT = 2
# Punctuation right after a link is text, not part of the link ("Voir https://velo.fr.").
_URL_TRAILING = ".,;:!?'\"»”’…"


def _plain_length(text: str) -> int:
    if not _HEAVY.search(text):
        return len(text)  # every character weighs 1, and every emoji has a character that does not
    length = 0
    position = 0
    for match in EMOJI.finditer(text):
        length += sum(_weight(char) for char in text[position:match.start()]) + X_EMOJI_WEIGHT
        position = match.end()
    return length + sum(_weight(char) for char in text[position:])


def link_end(url: str) -> int:
    """How much of a `\\S+` match is the link: trailing punctuation and an unbalanced ')' are not."""
    end = len(url)
    while end > 0 and (url[end - 1] in _URL_TRAILING
                       or (url[end - 1] == ")" and url.count("(", 0, end) < url.count(")", 0, end))):
        end -= 1
    return end


def x_weighted_length(text: str) -> int:
    """The length X counts: NFC text, each URL 23, each emoji 2, light code points 1, others (CJK) 2."""
    text = unicodedata.normalize("NFC", text)
    length = 0
    position = 0
    for match in URL.finditer(text):
        length += _plain_length(text[position:match.start()]) + X_URL_WEIGHT
        position = match.start() + link_end(match.group())
    return length + _plain_length(text[position:])


def measured_length(network: str, text: str) -> int:
    """The length of `text` as `network` counts it."""
    counting = NETWORK_RULES[network].counting
    if counting == "weighted":
        return x_weighted_length(text)
    if counting == "bytes":
        return len(text.encode("utf-8"))
    return len(text)
