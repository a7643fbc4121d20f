"""Fixtures of the renderer tests: a brand's photo, logo and fonts, and golden-image comparison.

Set PIEUVRE_UPDATE_GOLDEN=1 to (re)write the golden PNGs in tests/media/golden/ from the
current renderer, then look at them before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from hub.media.render import Asset, Fonts
from hub.media.text import FONTS_DIR
from hub.media.samples import logo_png, photo_png

GOLDEN_DIR = Path(__file__).with_name("golden")
UPDATE_GOLDEN = os.environ.get("PIEUVRE_UPDATE_GOLDEN") == "1"
# FreeType and HarfBuzz releases move anti-aliased edges by a level or two; a changed
# layout moves whole glyphs. These bounds let the first through and catch the second.
MAX_MEAN_DIFFERENCE = 1.0
MAX_SHARE_DIFFERING = 0.005
DIFFERING = 32


@pytest.fixture(autouse=True)
def clean():
    """The renderer is pure: these tests need neither the database nor Redis (overrides tests/conftest.py)."""
    yield


@pytest.fixture(scope="session")
def photo() -> Asset:
    return Asset(photo_png())


@pytest.fixture(scope="session")
def logo() -> Asset:
    return Asset(logo_png())


@pytest.fixture(scope="session")
def hebrew_brand_fonts() -> Fonts:
    """A brand whose fonts are Noto Sans Hebrew: Hebrew letters only, no digits, no Latin, no %."""
    return Fonts.from_bytes({
        "heading": (FONTS_DIR / "NotoSansHebrew-Bold.ttf").read_bytes(),
        "body": (FONTS_DIR / "NotoSansHebrew-Regular.ttf").read_bytes(),
        "body_bold": (FONTS_DIR / "NotoSansHebrew-Bold.ttf").read_bytes(),
    })


def difference(actual: Image.Image, expected: Image.Image) -> tuple[float, float]:
    """(mean absolute difference per channel, share of pixels with a channel off by more than DIFFERING)."""
    diff = ImageChops.difference(actual.convert("RGB"), expected.convert("RGB"))
    pixels = diff.width * diff.height
    histogram = diff.histogram()
    total = sum(level * count for channel in range(3)
                for level, count in enumerate(histogram[channel * 256:(channel + 1) * 256]))
    red, green, blue = diff.split()
    worst = ImageChops.lighter(ImageChops.lighter(red, green), blue).histogram()
    return total / (pixels * 3), sum(worst[DIFFERING + 1:]) / pixels


def assert_matches_golden(image: Image.Image, name: str, tmp_path: Path) -> None:
    """The image equals tests/media/golden/<name>.png within the tolerance."""
    path = GOLDEN_DIR / f"{name}.png"
    if UPDATE_GOLDEN:
        GOLDEN_DIR.mkdir(exist_ok=True)
        image.convert("RGB").save(path, "PNG", optimize=True)
        return
    assert path.exists(), f"no golden image {path.name}: run with PIEUVRE_UPDATE_GOLDEN=1 and review it"
    with Image.open(path) as golden:
        expected = golden.convert("RGB")
    assert image.size == expected.size, f"{name}: size {image.size} instead of {expected.size}"
    mean, share = difference(image, expected)
    if mean >= MAX_MEAN_DIFFERENCE or share >= MAX_SHARE_DIFFERING:
        image.save(tmp_path / f"{name}.actual.png")
        ImageChops.difference(image.convert("RGB"), expected).save(tmp_path / f"{name}.diff.png")
        pytest.fail(f"{name} differs from its golden image: mean difference {mean:.3f}, "
                    f"{share:.3%} of pixels off by more than {DIFFERING}; see {tmp_path}. If the change "
                    "is intended, rerun with PIEUVRE_UPDATE_GOLDEN=1 and review the new image.")
