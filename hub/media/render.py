"""The brand studio's image renderer: a template, a location's texts and a size in, an image out.

Pure functions on Pillow: no I/O but reading the font and image bytes they are given (and
the fonts bundled in hub/media/fonts/). A template's zones are placed in fractions of the
width and height, so one template renders at every network size; font sizes are pixels on
a 1080×1080 image, scaled with the square root of the image's area.

Every render returns findings in the linter's shape (`rule`, `severity`, `zone`, `message`
as an English msgid with `{placeholders}`, `values`): text that does not fit even at its
smallest size and unreadable contrast block the post; characters no font has are dropped
and reported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw

from hub.media import text as textlayout
from hub.media.layers import LAYERS, Asset, logo_layer, normalise_focus, photo_layer
from hub.media.text import FontFile, Fonts

__all__ = [
    "DEFAULT_PALETTE",
    "NETWORK_SIZES",
    "RENDERER_VERSION",
    "SIZES",
    "TEXT_ZONES",
    "ZONES",
    "Asset",
    "BandZone",
    "Box",
    "FontFile",
    "Fonts",
    "LockedZoneError",
    "LogoZone",
    "PhotoZone",
    "RenderInputs",
    "RenderResult",
    "Template",
    "TextStyle",
    "TextZone",
    "apply_edits",
    "clear_layer_cache",
    "contrast_ratio",
    "default_template",
    "editable_zones",
    "layer_cache_info",
    "logo_layer",
    "photo_layer",
    "render",
    "render_key",
    "resolve_palette",
    "resolve_size",
    "size_for_network",
    "to_jpeg",
    "to_png",
]

# Bump when a change to this package changes the pixels for the same inputs: it is part of
# every render_key, so stored renders are not reused across the change.
RENDERER_VERSION = "1"

# The one table of image sizes, in pixels (width, height).
SIZES: dict[str, tuple[int, int]] = {
    "instagram_square": (1080, 1080),
    "instagram_portrait": (1080, 1350),
    "facebook": (1200, 630),
    "linkedin": (1200, 627),
    "x": (1200, 675),
    "google_business": (1200, 900),
    "youtube": (1280, 720),
}

# The size a post's image gets on each network unless the post says otherwise. Instagram's
# feed shows 4:5 portraits larger than squares.
NETWORK_SIZES: dict[str, str] = {
    "instagram": "instagram_portrait",
    "facebook": "facebook",
    "linkedin": "linkedin",
    "x": "x",
    "google_business": "google_business",
    "youtube": "youtube",
}

ZONES = ("photo", "logo", "band", "headline", "subline", "cta", "legal")
TEXT_ZONES = ("headline", "subline", "cta", "legal")

DEFAULT_PALETTE: dict[str, str] = {"primary": "#1D3557", "accent": "#F4A261", "surface": "#FFFFFF"}

_REFERENCE = 1080  # font sizes are pixels on a 1080×1080 image
_H_ALIGN = ("start", "end", "left", "center", "right")
_V_ALIGN = ("top", "middle", "bottom")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_DARK_TEXT, _LIGHT_TEXT = "#111827", "#FFFFFF"


# ---------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class Box:
    """A zone's rectangle in fractions of the image: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    def pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in pixels for an image of width × height."""
        return (round(self.x * width), round(self.y * height),
                round((self.x + self.w) * width), round((self.y + self.h) * height))

    def mirrored(self) -> Box:
        """The box flipped left-right, for right-to-left layouts."""
        return Box(round(1.0 - self.x - self.w, 6), self.y, self.w, self.h)


@dataclass(frozen=True)
class TextStyle:
    """How a text zone draws: font role, weight, colour, alignment and the sizes it may use."""

    font: str = "body"  # brand font role: "heading" or "body"
    bold: bool = False
    colour: str = "on_primary"  # a palette role or "#RRGGBB[AA]"
    opacity: float = 1.0
    align: str = "start"  # start (left, or right in RTL), end, left, center, right
    valign: str = "top"
    max_size: float = 48.0  # px on a 1080×1080 image
    min_size: float = 24.0
    line_height: float = 1.2
    max_lines: int | None = None
    uppercase: bool = False
    balance: bool = True  # lines of even length rather than a long line and a lone word


@dataclass(frozen=True)
class PhotoZone:
    """The photo, scaled to cover its box and cropped around the post's focal point."""

    box: Box
    wide_box: Box | None = None  # used instead of `box` on landscape sizes (see Template.wide_ratio)
    locked: bool = True
    fill: str = "primary"  # colour of the zone when the post has no photo


@dataclass(frozen=True)
class LogoZone:
    """The brand's logo, contained in its box, optionally on a rounded plate."""

    box: Box
    wide_box: Box | None = None
    locked: bool = True
    align: str = "start"
    valign: str = "top"
    plate: str | None = "surface"  # colour of the plate behind the logo; None: no plate
    padding: float = 0.16  # around the logo on its plate, fraction of the box's height
    radius: float = 0.25  # plate corner radius, fraction of the plate's shorter side


@dataclass(frozen=True)
class BandZone:
    """The colour band the texts sit on, with a thin accent rule on its inner edge."""

    box: Box
    wide_box: Box | None = None
    locked: bool = True
    colour: str = "primary"
    opacity: float = 1.0
    rule: str | None = "accent"
    rule_size: float = 0.008  # fraction of the image's shorter side


@dataclass(frozen=True)
class TextZone:
    """A text: headline, sub-line, call to action or legal mention."""

    box: Box
    wide_box: Box | None = None
    locked: bool = False
    style: TextStyle = field(default_factory=TextStyle)
    button: str | None = None  # colour of a rounded button hugging the text (call to action)
    radius: float = 0.5  # button corner radius, fraction of its height (0.5: a pill)
    follows: str | None = None  # a text zone above: this one moves up under that text when it is short
    gap: float = 0.0  # space kept under the followed text, fraction of the image's height


_ZONE_TYPES: dict[str, type] = {
    "photo": PhotoZone, "logo": LogoZone, "band": BandZone,
    "headline": TextZone, "subline": TextZone, "cta": TextZone, "legal": TextZone,
}


@dataclass(frozen=True)
class Template:
    """A brand image template: zones in relative coordinates, each locked or editable by locations."""

    name: str = "default"
    photo: PhotoZone | None = None
    logo: LogoZone | None = None
    band: BandZone | None = None
    headline: TextZone | None = None
    subline: TextZone | None = None
    cta: TextZone | None = None
    legal: TextZone | None = None
    palette: Mapping[str, str] = field(default_factory=dict)
    background: str = "surface"
    wide_ratio: float = 1.4  # width/height from which zones use their wide_box
    mirror_rtl: bool = True  # right-to-left texts flip the layout left-right
    stack_valign: str = "top"  # where zones that follow each other sit when their texts are short

    def zones(self) -> dict[str, Any]:
        """The template's zones by name, in drawing order."""
        return {name: getattr(self, name) for name in ZONES if getattr(self, name) is not None}

    def to_dict(self) -> dict[str, Any]:
        """The template as plain JSON-ready data."""
        return dataclasses.asdict(self) | {"palette": dict(self.palette)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Template:
        """A template from `to_dict()` data, validated (ValueError names the problems)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown template fields: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key in _ZONE_TYPES:
                values[key] = None if value is None else _zone_from_dict(key, value)
            elif key == "palette":
                values[key] = dict(value or {})
            else:
                values[key] = value
        template = cls(**values)
        template.validate()
        return template

    def validate(self) -> None:
        """Raise ValueError listing every problem of the template."""
        problems: list[str] = []
        for role, colour in self.palette.items():
            if not _ROLE.match(role) or not _HEX.match(str(colour)):
                problems.append(f"palette: {role!r}: {colour!r} is not a #RRGGBB colour")
        _check_colour(problems, "background", self.background)
        if self.stack_valign not in _V_ALIGN:
            problems.append(f"stack_valign must be one of {', '.join(_V_ALIGN)}")
        if not 0.5 <= self.wide_ratio <= 10:
            problems.append("wide_ratio must be between 0.5 and 10")
        for name, zone in self.zones().items():
            for label, box in (("box", zone.box), ("wide_box", zone.wide_box)):
                if box is not None and not _box_ok(box):
                    problems.append(f"{name}.{label} must lie within the image with a positive size")
            if isinstance(zone, PhotoZone):
                _check_colour(problems, f"{name}.fill", zone.fill)
            elif isinstance(zone, LogoZone):
                if zone.plate is not None:
                    _check_colour(problems, f"{name}.plate", zone.plate)
                if zone.align not in _H_ALIGN or zone.valign not in _V_ALIGN:
                    problems.append(f"{name}: unknown alignment")
                if not (0 <= zone.padding < 0.5 and 0 <= zone.radius <= 0.5):
                    problems.append(f"{name}: padding must be in [0, 0.5) and radius in [0, 0.5]")
            elif isinstance(zone, BandZone):
                _check_colour(problems, f"{name}.colour", zone.colour)
                if zone.rule is not None:
                    _check_colour(problems, f"{name}.rule", zone.rule)
                if not (0 <= zone.opacity <= 1 and 0 <= zone.rule_size <= 0.1):
                    problems.append(f"{name}: opacity must be in [0, 1] and rule_size in [0, 0.1]")
            elif isinstance(zone, TextZone):
                style = zone.style
                _check_colour(problems, f"{name}.style.colour", style.colour)
                if zone.button is not None:
                    _check_colour(problems, f"{name}.button", zone.button)
                if style.align not in _H_ALIGN or style.valign not in _V_ALIGN:
                    problems.append(f"{name}: unknown alignment")
                if not 1 <= style.min_size <= style.max_size <= 1000:
                    problems.append(f"{name}: font sizes must satisfy 1 <= min_size <= max_size <= 1000")
                if not (0.7 <= style.line_height <= 3 and 0 <= style.opacity <= 1):
                    problems.append(f"{name}: line_height must be in [0.7, 3] and opacity in [0, 1]")
                if style.max_lines is not None and style.max_lines < 1:
                    problems.append(f"{name}: max_lines must be at least 1")
                if zone.follows is not None and (
                        zone.follows not in TEXT_ZONES
                        or TEXT_ZONES.index(zone.follows) >= TEXT_ZONES.index(name)):
                    problems.append(f"{name} may only follow a text zone above it in "
                                    f"{', '.join(TEXT_ZONES)}")
        if problems:
            raise ValueError("; ".join(problems))


def _zone_from_dict(name: str, data: Mapping[str, Any]) -> Any:
    zone_type = _ZONE_TYPES[name]
    known = {f.name for f in dataclasses.fields(zone_type)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{name}: unknown fields {', '.join(sorted(unknown))}")
    values = dict(data)
    for key in ("box", "wide_box"):
        if values.get(key) is not None:
            values[key] = Box(**values[key])
    if "style" in values:
        style = values["style"]
        styles = {f.name for f in dataclasses.fields(TextStyle)}
        if set(style) - styles:
            raise ValueError(f"{name}.style: unknown fields {', '.join(sorted(set(style) - styles))}")
        values["style"] = TextStyle(**style)
    return zone_type(**values)


def _box_ok(box: Box) -> bool:
    eps = 1e-6
    return (box.w > 0 and box.h > 0 and box.x >= -eps and box.y >= -eps
            and box.x + box.w <= 1 + eps and box.y + box.h <= 1 + eps)


def _check_colour(problems: list[str], where: str, value: str) -> None:
    if not (isinstance(value, str) and (_HEX.match(value) or _ROLE.match(value))):
        problems.append(f"{where}: {value!r} is neither a palette role nor a #RRGGBB colour")


def default_template(palette: Mapping[str, str] | None = None) -> Template:
    """The studio's starting template: photo on top, brand band under it with headline,
    sub-line and call-to-action button, logo on a plate in the corner, legal mention at the foot.

    On landscape sizes the photo takes the left side and the band the right one; right-to-left
    texts mirror it. `palette` gives the brand's roles (primary, accent, surface…).
    """
    return Template(
        name="default",
        palette=dict(palette or {}),
        stack_valign="middle",
        photo=PhotoZone(box=Box(0, 0, 1, 0.6), wide_box=Box(0, 0, 0.56, 1)),
        band=BandZone(box=Box(0, 0.6, 1, 0.4), wide_box=Box(0.56, 0, 0.44, 1), colour="primary",
                      rule="accent", rule_size=0.009),
        logo=LogoZone(box=Box(0.045, 0.04, 0.26, 0.1), wide_box=Box(0.03, 0.055, 0.2, 0.15),
                      plate="surface", padding=0.2, radius=0.22),
        headline=TextZone(
            box=Box(0.07, 0.645, 0.86, 0.15), wide_box=Box(0.6, 0.1, 0.36, 0.37),
            style=TextStyle(font="heading", bold=True, colour="on_primary", max_size=70, min_size=34,
                            line_height=1.1)),
        subline=TextZone(
            box=Box(0.07, 0.8, 0.86, 0.08), wide_box=Box(0.6, 0.48, 0.36, 0.2),
            follows="headline", gap=0.012,
            style=TextStyle(font="body", colour="on_primary", opacity=0.9, max_size=32, min_size=20,
                            line_height=1.25)),
        cta=TextZone(
            box=Box(0.07, 0.885, 0.5, 0.058), wide_box=Box(0.6, 0.7, 0.36, 0.095),
            follows="subline", gap=0.022, button="accent", radius=0.5,
            style=TextStyle(font="body", bold=True, colour="on_accent", max_size=27, min_size=17,
                            line_height=1.15, max_lines=1)),
        legal=TextZone(
            box=Box(0.6, 0.885, 0.33, 0.075), wide_box=Box(0.6, 0.84, 0.36, 0.12),
            locked=True,
            style=TextStyle(font="body", colour="on_primary", opacity=0.75, align="end", valign="bottom",
                            max_size=15, min_size=11, line_height=1.25)),
    )


# ---------------------------------------------------------------------------------------------
# Sizes, colours and palettes


def resolve_size(size: str | tuple[int, int]) -> tuple[int, int]:
    """(width, height) for a size name of SIZES, a network name, or a (width, height) pair."""
    if isinstance(size, str):
        if size in SIZES:
            return SIZES[size]
        if size in NETWORK_SIZES:
            return SIZES[NETWORK_SIZES[size]]
        raise ValueError(f"unknown image size {size!r}")
    width, height = (int(v) for v in size)
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise ValueError(f"image size {width}×{height} is out of range (16 to 8192 pixels)")
    return width, height


def size_for_network(network: str) -> tuple[int, int]:
    """The default image size on a network."""
    return SIZES[NETWORK_SIZES[network]]


def _hex_to_rgba(value: str) -> tuple[int, int, int, int]:
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    if len(digits) == 6:
        digits += "ff"
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16), int(digits[6:8], 16))


def _hex(rgb: tuple[int, ...]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb[:3])


def colour(value: str, palette: Mapping[str, str]) -> tuple[int, int, int, int]:
    """RGBA of a "#RRGGBB[AA]" colour or of a palette role."""
    if value.startswith("#"):
        if not _HEX.match(value):
            raise ValueError(f"{value!r} is not a #RRGGBB colour")
        return _hex_to_rgba(value)
    if value not in palette:
        raise ValueError(f"the palette has no {value!r} colour")
    return _hex_to_rgba(palette[value])


_LINEAR = [((c / 255) / 12.92) if c / 255 <= 0.04045 else (((c / 255) + 0.055) / 1.055) ** 2.4
           for c in range(256)]


def relative_luminance(rgb: tuple[int, ...]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    r, g, b = rgb[:3]
    return 0.2126 * _LINEAR[r] + 0.7152 * _LINEAR[g] + 0.0722 * _LINEAR[b]


def contrast_ratio(first: tuple[int, ...], second: tuple[int, ...]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours, from 1 to 21."""
    a, b = relative_luminance(first), relative_luminance(second)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def _readable_on(background: str) -> str:
    rgb = _hex_to_rgba(background)
    dark = contrast_ratio(rgb, _hex_to_rgba(_DARK_TEXT))
    light = contrast_ratio(rgb, _hex_to_rgba(_LIGHT_TEXT))
    return _LIGHT_TEXT if light >= dark else _DARK_TEXT


def resolve_palette(template_palette: Mapping[str, str] | None = None,
                    input_palette: Mapping[str, str] | None = None) -> dict[str, str]:
    """The colours a render uses: defaults, then the template's, then the post's.

    Each `on_<role>` colour (text on that role) is derived, white or near-black for the best
    contrast, unless the same or a later palette sets it: a post that changes `primary`
    without `on_primary` gets text readable on its new primary.
    """
    resolved: dict[str, str] = {}
    set_by: dict[str, int] = {}
    for layer, palette in enumerate((DEFAULT_PALETTE, template_palette or {}, input_palette or {})):
        for role, value in palette.items():
            if not _HEX.match(str(value)):
                raise ValueError(f"palette colour {role!r} is not #RRGGBB: {value!r}")
            resolved[role] = _hex(_hex_to_rgba(value)) if len(value) != 9 else value.upper()
            set_by[role] = layer
    for role in [r for r in resolved if not r.startswith("on_")]:
        on = f"on_{role}"
        if on not in resolved or set_by[on] < set_by[role]:
            resolved[on] = _readable_on(resolved[role])
    return dict(sorted(resolved.items()))


# ---------------------------------------------------------------------------------------------
# Inputs and results


@dataclass(frozen=True)
class RenderInputs:
    """What one location's image is made of: texts per zone, photo, logo, palette, language."""

    texts: Mapping[str, str] = field(default_factory=dict)  # headline, subline, cta, legal
    photo: Asset | bytes | Image.Image | None = None
    photo_focus: tuple[float, float] | None = None  # fractions of the photo; None: its centre
    logo: Asset | bytes | Image.Image | None = None  # PNG with alpha
    palette: Mapping[str, str] = field(default_factory=dict)  # overrides the template's roles
    language: str | None = None  # BCP 47: "fr", "ar", "he"…; shapes text and sets the direction
    direction: str | None = None  # "ltr" or "rtl"; None: from the language, else from the text


@dataclass
class RenderResult:
    """The rendered image, its findings, and where each zone's text went."""

    image: Image.Image
    findings: list[dict[str, Any]]
    layout: dict[str, dict[str, Any]] = field(default_factory=dict)


class LockedZoneError(ValueError):
    """A location tried to change a zone the template locks."""

    def __init__(self, zone: str) -> None:
        super().__init__(f"the {zone} zone is locked by the template")
        self.zone = zone


def _(msgid: str) -> str:
    """Mark an English msgid for the translation scanner; it is translated where it is shown."""
    return msgid


def _finding(rule: str, severity: str, zone: str, message: str, /, **values: Any) -> dict[str, Any]:
    """A finding on a zone, in the linter's shape; `message` is an English msgid filled with `values`."""
    return {"rule": rule, "severity": severity, "zone": zone, "message": message, "values": values}


def editable_zones(template: Template) -> list[str]:
    """The zones locations may change."""
    return [name for name, zone in template.zones().items() if not zone.locked]


def apply_edits(template: Template, inputs: RenderInputs, edits: Mapping[str, Any]) -> RenderInputs:
    """The inputs with a location's edits (texts by zone, "photo", "photo_focus"); LockedZoneError
    for a zone the template locks."""
    texts = dict(inputs.texts)
    changes: dict[str, Any] = {}
    for name, value in edits.items():
        zone_name = "photo" if name == "photo_focus" else name
        zone = getattr(template, zone_name, None) if zone_name in ZONES else None
        if zone is None:
            raise ValueError(f"the template has no {zone_name!r} zone")
        if zone.locked:
            raise LockedZoneError(zone_name)
        if name in TEXT_ZONES:
            texts[name] = str(value)
        elif name in ("photo", "photo_focus", "logo"):
            changes[name] = value
        else:
            raise ValueError(f"the {name} zone has no content to edit")
    return dataclasses.replace(inputs, texts=texts, **changes)


def clear_layer_cache() -> None:
    """Forget the cached photo and logo layers."""
    LAYERS.clear()


def layer_cache_info() -> dict[str, int]:
    """Hits, misses and memory of the photo and logo layer cache."""
    return LAYERS.info()


# ---------------------------------------------------------------------------------------------
# Render


def _texts(template: Template, inputs: RenderInputs) -> dict[str, str]:
    texts = {}
    for name in TEXT_ZONES:
        value = textlayout.clean_text(str(inputs.texts.get(name) or "")).strip()
        if value and getattr(template, name) is not None:
            texts[name] = value
    return texts


def render_key(template: Template, inputs: RenderInputs, size: str | tuple[int, int],
               fonts: Fonts | None = None) -> str:
    """The sha256 naming this render: equal keys give equal images, so none is rendered twice.

    It covers the template (without its name), the resolved palette, the texts as drawn,
    the photo and logo by content hash, the language and direction, the brand fonts by
    content hash, the size and RENDERER_VERSION.
    """
    width, height = resolve_size(size)
    photo, logo = Asset.of(inputs.photo), Asset.of(inputs.logo)
    layout = template.to_dict()
    del layout["name"], layout["palette"]
    document = {
        "renderer": RENDERER_VERSION,
        "size": [width, height],
        "template": layout,
        "palette": resolve_palette(template.palette, inputs.palette),
        "texts": _texts(template, inputs),
        "photo": photo.sha256 if photo and template.photo else None,
        "focus": list(normalise_focus(inputs.photo_focus)) if photo and template.photo else None,
        "logo": logo.sha256 if logo and template.logo else None,
        "language": inputs.language or None,
        "direction": inputs.direction or None,
        "fonts": (fonts or Fonts()).describe(),
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def render(template: Template, inputs: RenderInputs, size: str | tuple[int, int],
           fonts: Fonts | None = None) -> RenderResult:
    """Render the template with a location's inputs at `size` (a SIZES name, network or pair)."""
    width, height = resolve_size(size)
    fonts = fonts or Fonts()
    palette = resolve_palette(template.palette, inputs.palette)
    texts = _texts(template, inputs)
    main_text = next(iter(texts.values()), "")
    rtl_layout = textlayout.is_rtl(main_text, inputs.language, inputs.direction)
    wide = width / height >= template.wide_ratio

    def pixels(zone: Any) -> tuple[int, int, int, int]:
        box = zone.wide_box if wide and zone.wide_box is not None else zone.box
        if rtl_layout and template.mirror_rtl:
            box = box.mirrored()
        return box.pixels(width, height)

    canvas = Image.new("RGB", (width, height), colour(template.background, palette)[:3])
    draw = ImageDraw.Draw(canvas, "RGBA")
    findings: list[dict[str, Any]] = []
    layout: dict[str, dict[str, Any]] = {}

    if template.photo is not None:
        left, top, right, bottom = pixels(template.photo)
        photo = Asset.of(inputs.photo)
        if photo is not None and right > left and bottom > top:
            layer = photo_layer(photo, (right - left, bottom - top), inputs.photo_focus)
            canvas.paste(layer, (left, top), layer if layer.mode == "RGBA" else None)
        else:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=colour(template.photo.fill, palette))
        layout["photo"] = {"box": [left, top, right, bottom]}

    if template.band is not None:
        band = template.band
        box = pixels(band)
        _draw_band(canvas, draw, band, box, (width, height), palette)
        layout["band"] = {"box": list(box)}

    if template.logo is not None and inputs.logo is not None:
        box = pixels(template.logo)
        placed = _draw_logo(canvas, template.logo, box, Asset.of(inputs.logo), palette, rtl_layout)
        layout["logo"] = {"box": list(box), "placed": list(placed)}

    scale = math.sqrt(width * height) / _REFERENCE
    plans: dict[str, _TextPlan] = {}
    flow_bottom: dict[str, float | None] = {}
    for name in TEXT_ZONES:
        zone: TextZone | None = getattr(template, name)
        if zone is None:
            continue
        followed = flow_bottom.get(zone.follows) if zone.follows else None
        if name not in texts:
            flow_bottom[name] = followed  # an empty zone lets the next one take its place
            continue
        box = pixels(zone)
        shift = 0
        if followed is not None:  # move up (never down) to sit under the followed text
            shift = max(0, box[1] - round(followed + zone.gap * height))
        plans[name] = _layout_text(name, zone, texts[name], box, shift, scale, fonts, inputs)
        flow_bottom[name] = plans[name].bottom
    _align_stacks(template, plans, {name: pixels(getattr(template, name)) for name in plans})
    for name, plan in plans.items():
        report, zone_findings = _paint_text(canvas, draw, plan, palette)
        layout[name] = report
        findings.extend(zone_findings)
    return RenderResult(canvas, findings, layout)


def _draw_band(canvas: Image.Image, draw: ImageDraw.ImageDraw, band: BandZone, box: tuple[int, int, int, int],
               size: tuple[int, int], palette: Mapping[str, str]) -> None:
    left, top, right, bottom = box
    if right <= left or bottom <= top:
        return
    r, g, b, a = colour(band.colour, palette)
    alpha = round(a * band.opacity)
    if alpha == 255:
        canvas.paste((r, g, b), (left, top, right, bottom))  # opaque: a plain fill, no blending
    else:
        draw.rectangle((left, top, right - 1, bottom - 1), fill=(r, g, b, alpha))
    if band.rule is None or band.rule_size <= 0:
        return
    width, height = size
    thickness = max(2, round(band.rule_size * min(width, height)))
    rule = colour(band.rule, palette)
    # The rule goes on the band's inner edge: the one that does not touch the image's border.
    if top > 0:
        draw.rectangle((left, top, right - 1, top + thickness - 1), fill=rule)
    elif left > 0:
        draw.rectangle((left, top, left + thickness - 1, bottom - 1), fill=rule)
    elif right < width:
        draw.rectangle((right - thickness, top, right - 1, bottom - 1), fill=rule)
    elif bottom < height:
        draw.rectangle((left, bottom - thickness, right - 1, bottom - 1), fill=rule)


@lru_cache(maxsize=256)
def _rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    """An anti-aliased rounded-rectangle mask (drawn at 4× and reduced)."""
    factor = 4
    big = Image.new("L", (width * factor, height * factor), 0)
    ImageDraw.Draw(big).rounded_rectangle((0, 0, width * factor - 1, height * factor - 1),
                                          radius=radius * factor, fill=255)
    return big.reduce(factor)


def _fill_rounded(canvas: Image.Image, box: tuple[int, int, int, int], radius: int,
                  fill: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    if width <= 0 or height <= 0:
        return
    mask = _rounded_mask(width, height, max(0, min(radius, width // 2, height // 2)))
    if fill[3] < 255:
        mask = mask.point(lambda v: v * fill[3] // 255)
    canvas.paste(fill[:3], box, mask)


def _horizontal(align: str, rtl: bool) -> str:
    if align == "start":
        return "right" if rtl else "left"
    if align == "end":
        return "left" if rtl else "right"
    return align


def _draw_logo(canvas: Image.Image, zone: LogoZone, box: tuple[int, int, int, int], logo: Asset | None,
               palette: Mapping[str, str], rtl: bool) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    box_w, box_h = right - left, bottom - top
    pad = round(zone.padding * box_h) if zone.plate is not None else 0
    if logo is None or box_w - 2 * pad <= 0 or box_h - 2 * pad <= 0:
        return (left, top, left, top)
    layer = logo_layer(logo, (box_w - 2 * pad, box_h - 2 * pad))
    plate_w, plate_h = layer.size[0] + 2 * pad, layer.size[1] + 2 * pad
    align = _horizontal(zone.align, rtl)
    x = {"left": left, "right": right - plate_w, "center": left + (box_w - plate_w) // 2}[align]
    y = {"top": top, "bottom": bottom - plate_h, "middle": top + (box_h - plate_h) // 2}[zone.valign]
    if zone.plate is not None:
        radius = round(zone.radius * min(plate_w, plate_h))
        _fill_rounded(canvas, (x, y, x + plate_w, y + plate_h), radius, colour(zone.plate, palette))
    canvas.paste(layer, (x + pad, y + pad), layer)
    return (x, y, x + plate_w, y + plate_h)


_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")


@dataclass
class _TextPlan:
    """A text zone laid out and not yet painted."""

    name: str
    zone: TextZone
    box: tuple[int, int, int, int]
    paragraph: textlayout.Paragraph
    block: textlayout.TextBlock
    rtl: bool
    align: str  # of the lines in their area: left, center or right
    area: tuple[float, float, float]  # left, top, width of the lines' area
    button: tuple[int, int, int, int] | None
    findings: list[dict[str, Any]]

    @property
    def bottom(self) -> float:
        """Where the zone's visible content ends: the button's foot or the last line box's."""
        return float(self.button[3]) if self.button else self.area[1] + self.block.height

    def move_down(self, dy: int) -> None:
        left, top, right, bottom = self.box
        self.box = (left, top + dy, right, bottom + dy)
        self.area = (self.area[0], self.area[1] + dy, self.area[2])
        if self.button:
            self.button = (self.button[0], self.button[1] + dy, self.button[2], self.button[3] + dy)


def _layout_text(name: str, zone: TextZone, text: str, box: tuple[int, int, int, int], shift: int,
                 scale: float, fonts: Fonts, inputs: RenderInputs) -> _TextPlan:
    style = zone.style
    findings: list[dict[str, Any]] = []
    left, top, right, bottom = box[0], box[1] - shift, box[2], box[3] - shift
    rtl = textlayout.is_rtl(text, inputs.language, inputs.direction)
    if style.uppercase:
        text = textlayout.upper(text, inputs.language)
    if textlayout.needs_shaping(text) and not textlayout.HAVE_RAQM:
        findings.append(_finding(
            "image.no_shaping", "error", name,
            _("The {zone} is in a script this server cannot shape (libraqm is missing): it would be "
              "drawn with broken letters."), zone=name))
    paragraph = textlayout.Paragraph.build(text, fonts.chain(style.font, style.bold), rtl, inputs.language)
    if paragraph.missing:
        findings.append(_finding(
            "image.missing_glyph", "warning", name,
            _("The {zone} has characters no font can draw ({characters}): they were left out of the image."),
            zone=name, characters=" ".join(paragraph.missing)))
    max_px = max(1, round(style.max_size * scale))
    min_px = max(1, min(max_px, round(style.min_size * scale)))
    # Arabic letters reach further above and below than Latin ones: give its lines more room.
    line_height = style.line_height * (1.2 if _ARABIC_SCRIPT.search(text) else 1.0)
    box_w, box_h = right - left, bottom - top
    pad_x, pad_y = (round(box_h * 0.5), round(box_h * 0.2)) if zone.button is not None else (0, 0)
    area_w, area_h = max(1, box_w - 2 * pad_x), max(1, box_h - 2 * pad_y)
    block = textlayout.fit(paragraph, area_w, area_h, max_px, min_px, line_height, style.max_lines,
                           balance=style.balance)
    if not block.fitted:
        findings.append(_finding(
            "image.text_overflow", "error", name,
            _("The {zone} does not fit its zone even at {size}px: shorten it."),
            zone=name, size=block.size, length=len(paragraph.text),
            shown=sum(len(line.text) for line in block.lines)))
    align = _horizontal(style.align, rtl)
    button = None
    if zone.button is not None:
        button_w = min(box_w, math.ceil(block.width) + 2 * pad_x)
        button_x = {"left": left, "right": right - button_w, "center": left + (box_w - button_w) // 2}[align]
        button = (button_x, top, button_x + button_w, bottom)
        area = (float(button_x + pad_x), top + (box_h - block.height) / 2, float(button_w - 2 * pad_x))
        align = "center"
    else:
        text_top = {"top": top, "middle": top + (box_h - block.height) / 2,
                    "bottom": bottom - block.height}[style.valign]
        area = (float(left), text_top, float(box_w))
    return _TextPlan(name, zone, (left, top, right, bottom), paragraph, block, rtl, align, area, button,
                     findings)


def _align_stacks(template: Template, plans: dict[str, _TextPlan],
                  boxes: dict[str, tuple[int, int, int, int]]) -> None:
    """Move each stack of following zones (headline, sub-line, button) down into the space short
    texts left, as the template's stack_valign says."""
    factor = {"top": 0.0, "middle": 0.5, "bottom": 1.0}[template.stack_valign]
    if factor == 0:
        return
    heads: dict[str, str] = {}
    for name in TEXT_ZONES:
        zone = getattr(template, name)
        if zone is not None:
            heads[name] = heads.get(zone.follows, zone.follows) if zone.follows else name
    stacks: dict[str, list[str]] = {}
    for name in plans:
        stacks.setdefault(heads[name], []).append(name)
    for members in stacks.values():
        if len(members) < 2:
            continue
        limit = max(boxes[name][3] for name in members)
        leftover = limit - max(plans[name].bottom for name in members)
        dy = math.floor(leftover * factor)
        if dy > 0:
            for name in members:
                plans[name].move_down(dy)


def _paint_text(canvas: Image.Image, draw: ImageDraw.ImageDraw, plan: _TextPlan,
                palette: Mapping[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    zone, style, block = plan.zone, plan.zone.style, plan.block
    findings = list(plan.findings)
    if plan.button is not None:
        _fill_rounded(canvas, plan.button, round(zone.radius * (plan.button[3] - plan.button[1])),
                      colour(zone.button or "", palette))
    fill = colour(style.colour, palette)
    fill = (fill[0], fill[1], fill[2], round(fill[3] * style.opacity))
    left, top, width = plan.area
    placed = textlayout.place_lines(block, left, top, width, plan.align)
    text_box = (math.floor(min(x for x, _, _ in placed)), math.floor(top),
                math.ceil(max(x + w for x, _, w in placed)), math.ceil(top + block.height))
    ratio, background = _worst_contrast(canvas, text_box, fill, block.size)
    large = block.size >= 32 or (style.bold and block.size >= 24)
    required = 3.0 if large else 4.5
    if ratio is not None and ratio < required:
        findings.append(_finding(
            "image.low_contrast", "error" if ratio < 3.0 else "warning", plan.name,
            _("The {zone} has a contrast of {ratio}:1 with its background; {required}:1 is needed to read "
              "it easily: change the text or background colour."),
            zone=plan.name, ratio=round(ratio, 2), required=required, colour=_hex(fill),
            background=_hex(background), size=block.size))
    textlayout.draw_block(draw, plan.paragraph, block, placed, fill)
    report = {
        "box": list(plan.box), "size": block.size, "lines": [line.text for line in block.lines],
        "fitted": block.fitted, "rtl": plan.rtl, "align": plan.align, "text_box": list(text_box),
        "button": list(plan.button) if plan.button else None,
        "baselines": [round(baseline, 2) for _, baseline, _ in placed],
        "contrast": None if ratio is None else round(ratio, 2),
    }
    return report, findings


def _worst_contrast(canvas: Image.Image, box: tuple[int, int, int, int], fill: tuple[int, int, int, int],
                    size: int) -> tuple[float | None, tuple[int, int, int]]:
    """The lowest contrast of the text colour against the background under the text, cell by cell.

    Cells about one line high average out specks of a photo but keep its dark or light areas.
    """
    left, top, right, bottom = (max(0, box[0]), max(0, box[1]),
                                min(canvas.width, box[2]), min(canvas.height, box[3]))
    if right <= left or bottom <= top:
        return None, (0, 0, 0)
    cell = max(4, size)
    columns, rows = max(1, round((right - left) / cell)), max(1, round((bottom - top) / cell))
    cells = canvas.crop((left, top, right, bottom)).resize((columns, rows), Image.Resampling.BOX)
    alpha = fill[3] / 255
    worst: tuple[float, tuple[int, int, int]] | None = None
    data = cells.tobytes()
    for pixel in sorted({tuple(data[i:i + 3]) for i in range(0, len(data), 3)}):
        ink = tuple(round(fill[i] * alpha + pixel[i] * (1 - alpha)) for i in range(3))
        ratio = contrast_ratio(ink, pixel)
        if worst is None or ratio < worst[0]:
            worst = (ratio, pixel)
    assert worst is not None
    return worst


# ---------------------------------------------------------------------------------------------
# Encoding


def to_jpeg(image: Image.Image, quality: int = 88) -> bytes:
    """The image as a progressive sRGB JPEG without metadata (4:4:4 so coloured text stays crisp)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    buffer = io.BytesIO()
    rgb.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True, subsampling="4:4:4")
    return buffer.getvalue()


def to_png(image: Image.Image) -> bytes:
    """The image as a PNG without metadata (deterministic: equal pixels give equal bytes)."""
    out = image if image.mode in ("RGB", "RGBA", "L", "LA") else image.convert("RGBA")
    buffer = io.BytesIO()
    out.save(buffer, "PNG", compress_level=6, icc_profile=None)
    return buffer.getvalue()
