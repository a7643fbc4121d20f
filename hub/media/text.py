"""Text in the brand studio's images: per-glyph font fallback, bidi, wrapping and shrink-to-fit.

Pillow draws one string with one font. A brand font rarely covers Arabic, Hebrew or even
every symbol, so each line is cut into runs: every character goes to the first font of the
chain (brand fonts, then the bundled Noto and DejaVu) whose cmap has it, and runs are drawn
one after the other on one baseline. When a line mixes fonts, the Unicode bidirectional
algorithm (rules W1–W7, N1–N2, I1–I2, L2) orders the runs; inside a run, and for a line in
a single font, libraqm (FriBiDi + HarfBuzz) shapes and orders the glyphs itself.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont, TTLibError
from PIL import ImageDraw, ImageFont, features

HAVE_RAQM: bool = bool(features.check("raqm"))
_LAYOUT = ImageFont.Layout.RAQM if HAVE_RAQM else ImageFont.Layout.BASIC

FONTS_DIR = Path(__file__).with_name("fonts")
BUNDLED_REGULAR = ("NotoSans-Regular.ttf", "NotoSansArabic-Regular.ttf", "NotoSansHebrew-Regular.ttf",
                   "DejaVuSans.ttf")
BUNDLED_BOLD = ("NotoSans-Bold.ttf", "NotoSansArabic-Bold.ttf", "NotoSansHebrew-Bold.ttf", "DejaVuSans.ttf")

RTL_LANGUAGES = frozenset({"ar", "he", "iw", "fa", "ur", "ps", "sd", "ug", "yi", "dv", "ckb"})
ELLIPSIS = "\u2026"
HYPHEN = "-"


class FontFile:
    """One font: brand font bytes, or a font bundled with Pieuvre (FreeType maps it from its path)."""

    __slots__ = ("data", "index", "key", "path")

    def __init__(self, *, key: str, data: bytes | None = None, path: str | None = None, index: int = 0) -> None:
        self.key, self.data, self.path, self.index = key, data, path, index

    @classmethod
    def from_bytes(cls, data: bytes, index: int = 0) -> FontFile:
        """A brand font from its file's bytes (TTF, OTF; `index` picks a face in a TTC)."""
        data = bytes(data)
        return cls(key=f"sha256:{hashlib.sha256(data).hexdigest()}:{index}", data=data, index=index)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FontFile) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"FontFile({self.key[:20]})"


@cache
def bundled_font(name: str) -> FontFile:
    """A font shipped in hub/media/fonts/."""
    path = FONTS_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"bundled font {name} is missing from {FONTS_DIR}")
    return FontFile(key=f"bundled:{name}", path=str(path))


def bundled_chain(bold: bool) -> tuple[FontFile, ...]:
    """The bundled fallback fonts, Latin first, DejaVu Sans last."""
    return tuple(bundled_font(name) for name in (BUNDLED_BOLD if bold else BUNDLED_REGULAR))


@dataclass(frozen=True)
class Fonts:
    """The brand's fonts by role ("heading", "body"), tried before the bundled ones."""

    roles: Mapping[str, tuple[FontFile, ...]] = field(default_factory=dict)

    @classmethod
    def from_bytes(cls, roles: Mapping[str, bytes | Sequence[bytes]]) -> Fonts:
        """Fonts from font-file bytes per role; a role may list several files, tried in order."""
        parsed: dict[str, tuple[FontFile, ...]] = {}
        for role, files in roles.items():
            items = [files] if isinstance(files, (bytes, bytearray)) else list(files)
            parsed[role] = tuple(f if isinstance(f, FontFile) else FontFile.from_bytes(f) for f in items)
        return cls(parsed)

    def chain(self, role: str, bold: bool) -> tuple[FontFile, ...]:
        """The fonts tried for a text in `role`, in order: the brand's, then the bundled ones.

        A bold text looks for "<role>_bold" first ("body_bold"), then the role, then "body".
        """
        names = ([f"{role}_bold"] if bold else []) + [role] + (["body_bold"] if bold else []) + ["body"]
        brand = next((self.roles[name] for name in names if self.roles.get(name)), ())
        return tuple(brand) + bundled_chain(bold)

    def describe(self) -> dict[str, list[str]]:
        """The fonts' identities (content hashes), for cache keys."""
        return {role: [f.key for f in files] for role, files in sorted(self.roles.items())}


@lru_cache(maxsize=128)
def coverage(font: FontFile) -> frozenset[int]:
    """The code points the font has a glyph for (its best cmap)."""
    source = io.BytesIO(font.data) if font.data is not None else font.path
    try:
        ttf = TTFont(source, lazy=True, fontNumber=font.index)
        try:
            return frozenset(ttf.getBestCmap() or ())
        finally:
            ttf.close()
    except (TTLibError, AssertionError, KeyError, ValueError, OSError) as e:
        raise ValueError(f"not a usable font file ({font.key}): {e}") from e


_FACES_PER_THREAD = 256
_threads = threading.local()


def truetype(font: FontFile, size: int) -> ImageFont.FreeTypeFont:
    """The FreeType face of `font` at `size` pixels, kept per thread (a FreeType face is not thread-safe)."""
    faces: OrderedDict[tuple[FontFile, int], ImageFont.FreeTypeFont] | None = getattr(_threads, "faces", None)
    if faces is None:
        faces = _threads.faces = OrderedDict()
    face = faces.get((font, size))
    if face is not None:
        faces.move_to_end((font, size))
        return face
    source = io.BytesIO(font.data) if font.data is not None else font.path
    face = ImageFont.truetype(source, size, index=font.index, layout_engine=_LAYOUT)
    faces[(font, size)] = face
    if len(faces) > _FACES_PER_THREAD:
        faces.popitem(last=False)
    return face


def _layout_kwargs(rtl: bool, language: str | None) -> dict[str, str]:
    if not HAVE_RAQM:
        return {}  # basic layout refuses direction and language
    kwargs = {"direction": "rtl" if rtl else "ltr"}
    if language:
        kwargs["language"] = language
    return kwargs


@lru_cache(maxsize=16384)
def advance(font: FontFile, size: int, text: str, rtl: bool, language: str | None) -> float:
    """The shaped width of `text` in `font` at `size`."""
    return truetype(font, size).getlength(text, **_layout_kwargs(rtl, language))


# ---------------------------------------------------------------------------------------------
# Font runs


@dataclass(frozen=True)
class Line:
    """One laid-out line: its characters in logical order and the font (chain index) of each."""

    text: str
    fonts: tuple[int, ...]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """The text normalised (NFC), newlines unified, tabs as spaces, control characters dropped."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\t", " ").replace("\u2028", "\n").replace("\u2029", "\n")
    return _CONTROL.sub("", text)


def _choose_font(ch: str, current: int, covers: Sequence[frozenset[int]]) -> int:
    """The chain index drawing `ch`, or -1 when no font has it.

    Letters take the first font that has them (brand first). Spaces, digits, punctuation,
    symbols and combining marks stay in the current run's font when it has them, so digits in
    Arabic text keep the Arabic design and marks stay with their base letter.
    """
    cp = ord(ch)
    category = unicodedata.category(ch)
    if category == "Cf":  # joiners, bidi marks, soft hyphen: invisible; HarfBuzz hides them in any font
        return max(current, 0)
    if category[0] != "L" and current >= 0 and cp in covers[current]:
        return current
    for index, cover in enumerate(covers):
        if cp in cover:
            return index
    return -1


@dataclass
class Paragraph:
    """A zone's text ready to lay out: characters no font has removed, a font chosen for each."""

    text: str
    fonts: tuple[int, ...]
    chain: tuple[FontFile, ...]
    rtl: bool
    language: str | None
    missing: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, text: str, chain: tuple[FontFile, ...], rtl: bool, language: str | None) -> Paragraph:
        covers = [coverage(font) for font in chain]
        chars: list[str] = []
        fonts: list[int] = []
        missing: list[str] = []
        current = -1
        for ch in text:
            if ch == "\n":
                chars.append(ch)
                fonts.append(max(current, 0))
                continue
            chosen = _choose_font(ch, current, covers)
            if chosen < 0:
                if ch not in missing:
                    missing.append(ch)
                continue
            chars.append(ch)
            fonts.append(chosen)
            current = chosen
        return cls("".join(chars), tuple(fonts), chain, rtl, language, missing)

    def line(self, start: int, end: int, suffix: str = "") -> Line:
        """The line of characters start..end, with `suffix` (hyphen, ellipsis) appended."""
        fonts = list(self.fonts[start:end])
        if suffix:
            covers = [coverage(font) for font in self.chain]
            current = fonts[-1] if fonts else -1
            for ch in suffix:
                chosen = _choose_font(ch, current, covers)
                current = chosen if chosen >= 0 else len(self.chain) - 1  # DejaVu, last, has "-" and "…"
                fonts.append(current)
        return Line(self.text[start:end] + suffix, tuple(fonts))

    def main_font(self) -> FontFile:
        """The font of the first letter: its ascent and descent set the line metrics."""
        for ch, index in zip(self.text, self.fonts, strict=True):
            if unicodedata.category(ch)[0] == "L":
                return self.chain[index]
        return self.chain[self.fonts[0]] if self.fonts else self.chain[0]

    def runs(self, line: Line) -> list[tuple[str, FontFile, bool]]:
        """The line's runs in visual order, left to right: (text, font, right-to-left)."""
        return [(text, self.chain[index], rtl) for text, index, rtl in visual_runs(line, self.rtl)]

    def width(self, line: Line, size: int) -> float:
        """The line's width at `size`."""
        return sum(advance(font, size, text, rtl, self.language) for text, font, rtl in self.runs(line))


@lru_cache(maxsize=4096)
def visual_runs(line: Line, base_rtl: bool) -> tuple[tuple[str, int, bool], ...]:
    """(text, font index, rtl) runs of the line in visual order."""
    if not line.text:
        return ()
    if len(set(line.fonts)) == 1:
        # One font: libraqm applies the whole bidi algorithm itself.
        return ((line.text, line.fonts[0], base_rtl),)
    levels = bidi_levels(line.text, 1 if base_rtl else 0)
    groups: list[list] = []
    for ch, font, level in zip(line.text, line.fonts, levels, strict=True):
        if groups and groups[-1][1] == font and groups[-1][2] == level:
            groups[-1][0] += ch
        else:
            groups.append([ch, font, level])
    order = visual_order([group[2] for group in groups])
    return tuple((groups[i][0], groups[i][1], groups[i][2] % 2 == 1) for i in order)


# ---------------------------------------------------------------------------------------------
# The Unicode bidirectional algorithm (UAX #9), for one line without explicit embeddings:
# enough to order runs of different fonts; the glyphs inside each run are ordered by libraqm.

_NEUTRAL = frozenset({"B", "S", "WS", "ON"})
_EXPLICIT = frozenset({"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI", "BN"})
_TRAILING = frozenset({"WS", "S", "B"}) | _EXPLICIT


def bidi_levels(text: str, base: int) -> list[int]:
    """The resolved embedding level of each character (0/2 left-to-right, 1 right-to-left)."""
    n = len(text)
    sor = "R" if base % 2 else "L"
    types = []
    for ch in text:
        t = unicodedata.bidirectional(ch) or "L"
        types.append("ON" if t in _EXPLICIT else t)
    previous = sor
    for i, t in enumerate(types):  # W1: marks take the type of what they combine with
        if t == "NSM":
            types[i] = previous
        previous = types[i]
    last_strong = sor
    for i, t in enumerate(types):  # W2: European digits after Arabic letters are Arabic numbers
        if t in ("L", "R", "AL"):
            last_strong = t
        elif t == "EN" and last_strong == "AL":
            types[i] = "AN"
    types = ["R" if t == "AL" else t for t in types]  # W3
    for i in range(1, n - 1):  # W4: one separator between two numbers joins them
        before, after = types[i - 1], types[i + 1]
        if types[i] == "ES" and before == after == "EN":
            types[i] = "EN"
        elif types[i] == "CS" and before == after and before in ("EN", "AN"):
            types[i] = before
    i = 0
    while i < n:  # W5: terminators (%, €, #) next to European numbers belong to them
        if types[i] == "ET":
            j = i
            while j < n and types[j] == "ET":
                j += 1
            if (i > 0 and types[i - 1] == "EN") or (j < n and types[j] == "EN"):
                types[i:j] = ["EN"] * (j - i)
            i = j
        else:
            i += 1
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]  # W6
    last_strong = sor
    for i, t in enumerate(types):  # W7: European numbers in left-to-right context are L
        if t in ("L", "R"):
            last_strong = t
        elif t == "EN" and last_strong == "L":
            types[i] = "L"
    i = 0
    while i < n:  # N1, N2: neutrals between same-direction text take it; else the paragraph's
        if types[i] in _NEUTRAL:
            j = i
            while j < n and types[j] in _NEUTRAL:
                j += 1
            before = sor if i == 0 else ("L" if types[i - 1] == "L" else "R")
            after = sor if j == n else ("L" if types[j] == "L" else "R")
            types[i:j] = [before if before == after else sor] * (j - i)
            i = j
        else:
            i += 1
    levels = []
    for t in types:  # I1, I2
        if base % 2 == 0:
            levels.append(base + (1 if t == "R" else 2 if t in ("AN", "EN") else 0))
        else:
            levels.append(base + (1 if t in ("L", "EN", "AN") else 0))
    j = n  # L1: trailing whitespace goes back to the paragraph level
    while j > 0 and unicodedata.bidirectional(text[j - 1]) in _TRAILING:
        j -= 1
        levels[j] = base
    return levels


def visual_order(levels: Sequence[int]) -> list[int]:
    """L2: the logical indexes in visual order, reversing runs from the highest level down."""
    order = list(range(len(levels)))
    odd = [level for level in levels if level % 2]
    if not odd:
        return order
    for level in range(max(levels), min(odd) - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


# ---------------------------------------------------------------------------------------------
# Wrapping and fitting

_WORD = re.compile(r"\S+")


@dataclass
class TextBlock:
    """A zone's text laid out at one size."""

    size: int
    lines: list[Line]
    widths: list[float]
    advance: float  # distance between baselines
    ascent: int
    descent: int
    fitted: bool  # False: even the smallest size overflowed and the text was truncated

    @property
    def height(self) -> float:
        return len(self.lines) * self.advance

    @property
    def width(self) -> float:
        return max(self.widths, default=0.0)


def wrap(paragraph: Paragraph, size: int, width: float, break_words: bool) -> list[Line]:
    """The text broken into lines no wider than `width` at `size` (hard line breaks kept).

    Words wider than a line overflow unless `break_words`, which cuts them with a hyphen.
    """
    lines: list[Line] = []
    text = paragraph.text
    offset = 0
    for hard in text.split("\n"):
        start = end = -1
        for match in _WORD.finditer(hard):
            ws, we = offset + match.start(), offset + match.end()
            if start >= 0 and paragraph.width(paragraph.line(start, we), size) <= width:
                end = we
                continue
            if start >= 0:
                lines.append(paragraph.line(start, end))
            start, end = ws, we
            if break_words and paragraph.width(paragraph.line(ws, we), size) > width:
                pieces = _break_word(paragraph, ws, we, size, width)
                lines.extend(pieces[:-1])
                start = we - len(pieces[-1].text)
        if start >= 0:
            lines.append(paragraph.line(start, end))
        else:
            lines.append(Line("", ()))  # a blank line between paragraphs
        offset += len(hard) + 1
    while lines and not lines[-1].text:
        lines.pop()
    return lines


def _break_word(paragraph: Paragraph, start: int, end: int, size: int, width: float) -> list[Line]:
    """A word too long for the line cut into hyphenated pieces; the last piece has no hyphen."""
    pieces: list[Line] = []
    while paragraph.width(paragraph.line(start, end), size) > width and end - start > 1:
        low, high = 1, end - start - 1  # the longest prefix that fits with its hyphen
        while low < high:
            mid = (low + high + 1) // 2
            if paragraph.width(paragraph.line(start, start + mid, HYPHEN), size) <= width:
                low = mid
            else:
                high = mid - 1
        cut = start + low
        while cut > start + 1 and unicodedata.category(paragraph.text[cut])[0] == "M":
            cut -= 1  # never separate a combining mark from its letter
        pieces.append(paragraph.line(start, cut, HYPHEN))
        start = cut
    pieces.append(paragraph.line(start, end))
    return pieces


def sizes_to_try(max_size: int, min_size: int) -> list[int]:
    """Font sizes from the largest down to the smallest, in steps of about 3 %."""
    max_size = max(max_size, min_size)
    step = max(1, round(max_size / 32))
    sizes = list(range(max_size, min_size, -step))
    sizes.append(min_size)
    return sizes


def fit(paragraph: Paragraph, width: float, height: float, max_size: int, min_size: int,
        line_height: float, max_lines: int | None, balance: bool = False) -> TextBlock:
    """The text at the largest size that fits the box, else truncated with an ellipsis at the smallest.

    With `balance`, lines are made about even (as CSS `text-wrap: balance`) at the size found.
    """

    def block(size: int, lines: list[Line], fitted: bool) -> TextBlock:
        ascent, descent = truetype(paragraph.main_font(), size).getmetrics()
        widths = [paragraph.width(line, size) for line in lines]
        return TextBlock(size, lines, widths, size * line_height, ascent, descent, fitted)

    def fits(size: int, lines: list[Line]) -> bool:
        if max_lines is not None and len(lines) > max_lines:
            return False
        if len(lines) * size * line_height > height + 0.5:
            return False
        return all(paragraph.width(line, size) <= width + 0.01 for line in lines)

    for size in sizes_to_try(max_size, min_size):
        lines = wrap(paragraph, size, width, break_words=False)
        if fits(size, lines):
            if balance and len(lines) > 1:
                lines = _balanced(paragraph, size, width, lines)
            return block(size, lines, True)
    lines = wrap(paragraph, min_size, width, break_words=True)
    if fits(min_size, lines):
        return block(min_size, lines, True)
    room = max(1, int((height + 0.5) // (min_size * line_height)))
    if max_lines is not None:
        room = min(room, max_lines)
    kept = lines[:room]
    if len(lines) > room:
        kept[-1] = _with_ellipsis(paragraph, kept[-1], min_size, width)
    return block(min_size, kept, False)


def _balanced(paragraph: Paragraph, size: int, width: float, lines: list[Line]) -> list[Line]:
    """The same number of lines, wrapped at the narrowest width that keeps that number."""
    count = len(lines)
    low = sum(paragraph.width(line, size) for line in lines) / count
    high, best = width, lines
    for _ in range(7):  # the width search to within 1 % of the zone
        if high - low < width * 0.01:
            break
        middle = (low + high) / 2
        candidate = wrap(paragraph, size, middle, break_words=False)
        if len(candidate) <= count and all(paragraph.width(line, size) <= middle for line in candidate):
            high, best = middle, candidate
        else:
            low = middle
    return best


def _with_ellipsis(paragraph: Paragraph, line: Line, size: int, width: float) -> Line:
    """The line shortened, word by word then letter by letter, until it fits with an ellipsis."""
    text, fonts = line.text.rstrip(HYPHEN).rstrip(), list(line.fonts)
    covers = [coverage(font) for font in paragraph.chain]

    def candidate(t: str) -> Line:
        fs = fonts[:len(t)]
        current = fs[-1] if fs else -1
        chosen = _choose_font(ELLIPSIS, current, covers)
        return Line(t + ELLIPSIS, tuple(fs) + (chosen if chosen >= 0 else len(covers) - 1,))

    while text and paragraph.width(candidate(text), size) > width:
        cut = text.rstrip()
        space = cut.rfind(" ")
        text = cut[:space].rstrip() if space > 0 else cut[:-1]
    return candidate(text)


# ---------------------------------------------------------------------------------------------
# Drawing


def place_lines(block: TextBlock, left: float, top: float, width: float,
                align: str) -> list[tuple[float, float, float]]:
    """(x, baseline, width) of each line of the block set from (left, top); align: left, center, right.

    Each line box is `advance` high with the font's ascent and descent centred in it (CSS
    half-leading), so every run of a line, whatever its font, sits on the same baseline.
    """
    placed = []
    half_leading = (block.advance - (block.ascent + block.descent)) / 2
    for index, line_width in enumerate(block.widths):
        baseline = top + index * block.advance + half_leading + block.ascent
        if align == "right":
            x = left + width - line_width
        elif align == "center":
            x = left + (width - line_width) / 2
        else:
            x = left
        placed.append((x, baseline, line_width))
    return placed


def draw_block(draw: ImageDraw.ImageDraw, paragraph: Paragraph, block: TextBlock,
               placed: Sequence[tuple[float, float, float]], fill: tuple[int, int, int, int]) -> None:
    """Draw the block's lines at the places `place_lines` gave, run after run on each baseline."""
    for line, (x, baseline, _) in zip(block.lines, placed, strict=True):
        cursor = x
        for text, font, rtl in paragraph.runs(line):
            face = truetype(font, block.size)
            draw.text((cursor, baseline), text, fill=fill, font=face, anchor="ls",
                      **_layout_kwargs(rtl, paragraph.language))
            cursor += advance(font, block.size, text, rtl, paragraph.language)


_COMPLEX_SCRIPT = re.compile(
    "[\u0590-\u08ff\u0900-\u0dff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\ufb1d-\ufdff\ufe70-\ufeff]")


def needs_shaping(text: str) -> bool:
    """True when the text is in a script that cannot be drawn without libraqm (Arabic, Hebrew, Indic…)."""
    return bool(_COMPLEX_SCRIPT.search(text))


def first_strong_rtl(text: str) -> bool | None:
    """The direction of the first strongly directional character (UAX #9 P2), None when there is none."""
    for ch in text:
        t = unicodedata.bidirectional(ch)
        if t == "L":
            return False
        if t in ("R", "AL"):
            return True
    return None


def is_rtl(text: str, language: str | None, direction: str | None) -> bool:
    """Whether the text's paragraph runs right to left: the given direction, else the language, else the text."""
    if direction in ("rtl", "ltr"):
        return direction == "rtl"
    if language:
        return language.split("-")[0].split("_")[0].lower() in RTL_LANGUAGES
    return bool(first_strong_rtl(text))


def upper(text: str, language: str | None) -> str:
    """Upper case, with the Turkish and Azeri dotted i."""
    if language and language.split("-")[0].lower() in ("tr", "az"):
        text = text.replace("i", "\u0130")
    return text.upper()
