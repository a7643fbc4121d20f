"""The brand studio's renderer: golden images, text fitting, right-to-left, fallback, contrast, keys."""

from __future__ import annotations

import dataclasses
import io
from collections import deque

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops, ImageDraw, ImageFont

from hub.linting.networks import NETWORK_RULES
from hub.media import text as textlayout
from hub.media.render import (
    NETWORK_SIZES,
    SIZES,
    Asset,
    BandZone,
    Box,
    Fonts,
    LockedZoneError,
    PhotoZone,
    RenderInputs,
    Template,
    TextStyle,
    TextZone,
    apply_edits,
    clear_layer_cache,
    contrast_ratio,
    default_template,
    editable_zones,
    layer_cache_info,
    render,
    render_key,
    resolve_palette,
    resolve_size,
    to_jpeg,
    to_png,
)
from hub.media.text import FONTS_DIR
from tests.media.conftest import assert_matches_golden, difference
from hub.media.samples import logo_png

LUMIERE = {"primary": "#1D3557", "accent": "#F4A261"}
CEDRE = {"primary": "#0E5E4E", "accent": "#F2C14E"}

FRENCH = {
    "headline": "Nouvelle boulangerie à Lyon Part-Dieu",
    "subline": "Venez goûter nos croissants au beurre, dès 7 h du matin.",
    "cta": "Réserver",
    "legal": "Offre valable jusqu'au 30/06 dans la limite des stocks.",
}
GERMAN = {
    "headline": "Großer Frühjahrsinventurausverkauf in der Filiale München-Schwabing",
    "subline": "Gartenmöbel, Grillzubehör und Pflanzkübel bis zu 40 % reduziert – nur solange der Vorrat reicht.",
    "cta": "Jetzt entdecken",
    "legal": "Angebot gültig bis 31.08. Keine Barauszahlung möglich.",
}
ARABIC = {
    "headline": "افتتاح مخبزنا الجديد في دبي",
    "subline": "تعالوا لتذوق الكرواسان بالزبدة ابتداءً من الساعة 7 صباحاً",
    "cta": "احجز الآن",
    "legal": "العرض ساري حتى 30/06 وحتى نفاد الكمية.",
}
HEBREW = {
    "headline": "מבצע קיץ: 20% הנחה על הכל",
    "subline": "בסניף תל אביב, עד 31.08 בלבד",
    "cta": "להזמנה 03-555-1234",
    "legal": "בכפוף לתקנון.",
}
LONG = {
    "headline": "Portes ouvertes samedi et dimanche : découvrez la collection printemps-été, les conseils "
                "de nos artisans et repartez avec un cadeau",
    "subline": "Atelier de dégustation gratuit toutes les heures, de 10 h à 18 h, sans réservation.",
    "cta": "Voir le programme",
    "legal": "Cadeau offert pour tout achat, un par foyer.",
}
OVERFLOW = {
    "headline": " ".join(["Une accroche interminable qui raconte toute l’histoire de la maison depuis 1920,"] * 6),
    "cta": "Réserver",
}


def inputs(texts, photo, logo, language, palette=None, **extra) -> RenderInputs:
    return RenderInputs(texts=texts, photo=photo, logo=logo, language=language, palette=palette or {}, **extra)


def ink_mask(image: Image.Image, box, background: tuple[int, int, int], threshold: int = 64) -> Image.Image:
    """1-bit-like mask (0/255) of the pixels in `box` that differ from the background colour."""
    crop = image.convert("RGB").crop(tuple(box))
    diff = ImageChops.difference(crop, Image.new("RGB", crop.size, background))
    red, green, blue = diff.split()
    strongest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    return strongest.point(lambda v: 255 if v >= threshold else 0)


def components(mask: Image.Image) -> int:
    """Number of 8-connected blobs of ink in the mask."""
    width, height = mask.size
    ink = mask.load()
    seen = set()
    count = 0
    for y in range(height):
        for x in range(width):
            if ink[x, y] and (x, y) not in seen:
                count += 1
                queue = deque([(x, y)])
                seen.add((x, y))
                while queue:
                    cx, cy = queue.popleft()
                    for dx in (-1, 0, 1):
                        for dy in (-1, 0, 1):
                            nx, ny = cx + dx, cy + dy
                            if 0 <= nx < width and 0 <= ny < height and ink[nx, ny] and (nx, ny) not in seen:
                                seen.add((nx, ny))
                                queue.append((nx, ny))
    return count


def below_the_rule(result) -> tuple[int, int, int, int]:
    """The band under its accent rule: where the texts are."""
    left, top, right, bottom = result.layout["band"]["box"]
    return (left, top + 20, right, bottom)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


GOLDEN_CASES = {
    # name: (texts, language, palette, size, brand fonts?, expected rules)
    **{f"fr_{size}": (FRENCH, "fr", LUMIERE, size, False, []) for size in SIZES},
    "de_instagram_portrait": (GERMAN, "de", CEDRE, "instagram_portrait", False, []),
    "ar_instagram_square": (ARABIC, "ar", LUMIERE, "instagram_square", False, []),
    "ar_youtube": (ARABIC, "ar", LUMIERE, "youtube", False, []),
    "he_instagram_square_brand_font_without_digits": (HEBREW, "he", CEDRE, "instagram_square", True, []),
    "fr_long_text_shrinks_linkedin": (LONG, "fr", LUMIERE, "linkedin", False, []),
    "fr_overflow_instagram_square": (OVERFLOW, "fr", LUMIERE, "instagram_square", False,
                                     [("image.text_overflow", "error", "headline")]),
}


class TestGoldenImages:
    @pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
    def test_render_matches_its_golden_image(self, name, photo, logo, hebrew_brand_fonts, tmp_path):
        texts, language, palette, size, brand_fonts, expected = GOLDEN_CASES[name]
        result = render(default_template(palette), inputs(texts, photo, logo, language), size,
                        hebrew_brand_fonts if brand_fonts else None)
        assert result.image.size == SIZES[size]
        assert [(f["rule"], f["severity"], f["zone"]) for f in result.findings] == expected
        assert_matches_golden(result.image, name, tmp_path)

    def test_the_comparison_sees_a_changed_word(self, photo, logo):
        template = default_template(LUMIERE)
        one = render(template, inputs(FRENCH, photo, logo, "fr"), "instagram_square").image
        other = render(template, inputs(FRENCH | {"cta": "Commander"}, photo, logo, "fr"),
                       "instagram_square").image
        mean, share = difference(one, other)
        assert share > 0 and mean > 0
        assert difference(one, one) == (0.0, 0.0)


class TestTextFit:
    def test_long_text_shrinks_to_fit_and_stays_whole(self, photo, logo):
        result = render(default_template(LUMIERE), inputs(LONG, photo, logo, "fr"), "linkedin")
        headline = result.layout["headline"]
        scale = (1200 * 627) ** 0.5 / 1080
        assert headline["size"] < round(70 * scale)
        assert headline["fitted"]
        assert " ".join(headline["lines"]) == LONG["headline"]
        assert result.findings == []

    def test_text_too_long_even_at_minimum_is_cut_with_an_ellipsis_and_blocks(self, photo, logo):
        result = render(default_template(LUMIERE), inputs(OVERFLOW, photo, logo, "fr"), "instagram_square")
        headline = result.layout["headline"]
        assert headline["size"] == 34  # the template's minimum on a 1080×1080 image
        assert not headline["fitted"]
        assert headline["lines"][-1].endswith("…")
        [finding] = result.findings
        assert finding == {
            "rule": "image.text_overflow", "severity": "error", "zone": "headline",
            "message": "The {zone} does not fit its zone even at {size}px: shorten it.",
            "values": {"zone": "headline", "size": 34, "length": len(OVERFLOW["headline"]),
                       "shown": finding["values"]["shown"]},
        }
        assert 0 < finding["values"]["shown"] < len(OVERFLOW["headline"])
        top, bottom = headline["text_box"][1], headline["text_box"][3]
        assert bottom - top <= headline["box"][3] - headline["box"][1] + 1

    def test_a_word_longer_than_the_zone_is_hyphenated_at_the_minimum_size(self, photo):
        template = default_template(LUMIERE)
        word = "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz"
        result = render(template, RenderInputs(texts={"headline": word}, photo=photo, language="de"),
                        (400, 400))
        headline = result.layout["headline"]
        assert headline["fitted"]
        assert len(headline["lines"]) > 1 and headline["lines"][0].endswith("-")
        assert "".join(line.rstrip("-") for line in headline["lines"]) == word
        box = headline["box"]
        assert headline["text_box"][2] <= box[2] + 1

    def test_call_to_action_stays_on_one_line(self, photo):
        result = render(default_template(LUMIERE),
                        RenderInputs(texts={"headline": "Soldes", "cta": "Je réserve ma place pour l’atelier"},
                                     photo=photo, language="fr"), "instagram_square")
        assert len(result.layout["cta"]["lines"]) == 1

    def test_hard_line_breaks_are_kept(self, photo):
        result = render(default_template(LUMIERE),
                        RenderInputs(texts={"headline": "Ouvert\nle dimanche"}, photo=photo, language="fr"),
                        "instagram_square")
        assert result.layout["headline"]["lines"] == ["Ouvert", "le dimanche"]

    def test_following_zones_close_up_under_a_short_headline(self, photo):
        template = default_template(LUMIERE)
        short = render(template, RenderInputs(texts={"headline": "Soldes", "subline": "Tout le magasin"},
                                              photo=photo, language="fr"), "instagram_square")
        headline, subline = short.layout["headline"], short.layout["subline"]
        gap = subline["text_box"][1] - headline["text_box"][3]
        assert 0 <= gap <= 0.012 * 1080 + 1


class TestRightToLeft:
    def test_the_server_can_shape_complex_scripts(self):
        assert textlayout.HAVE_RAQM, (
            "Pillow has no libraqm layout: install FriBiDi (Debian: libfribidi0), which Pillow's wheels load")

    def test_arabic_is_shaped_into_joined_letters(self, photo):
        text = "سلام عليكم"
        template = default_template(LUMIERE)
        result = render(template, RenderInputs(texts={"headline": text}, photo=photo, language="ar"),
                        "instagram_square")
        headline = result.layout["headline"]
        band = rgb(resolve_palette(LUMIERE)["primary"])
        shaped = ink_mask(result.image, below_the_rule(result), band)
        shaped = shaped.crop(shaped.getbbox())

        # The same code points drawn one by one in their isolated forms, right to left, unjoined.
        font = ImageFont.truetype(str(FONTS_DIR / "NotoSansArabic-Bold.ttf"), headline["size"],
                                  layout_engine=ImageFont.Layout.BASIC)
        unshaped = Image.new("RGB", (2000, 300), band)
        ImageDraw.Draw(unshaped).text((20, 200), text[::-1], font=font, fill=(255, 255, 255), anchor="ls")
        unshaped_mask = ink_mask(unshaped, (0, 0, 2000, 300), band)
        unshaped_mask = unshaped_mask.crop(unshaped_mask.getbbox())

        assert shaped.getbbox() is not None
        assert components(shaped) < components(unshaped_mask) - 3
        assert shaped.size != unshaped_mask.size

    def test_arabic_matches_libraqm_drawing_the_whole_line(self, photo):
        text = "خصم على كل المنتجات"
        result = render(default_template(LUMIERE), RenderInputs(texts={"headline": text}, photo=photo,
                                                                language="ar"), "instagram_square")
        headline = result.layout["headline"]
        band = rgb(resolve_palette(LUMIERE)["primary"])
        font = ImageFont.truetype(str(FONTS_DIR / "NotoSansArabic-Bold.ttf"), headline["size"],
                                  layout_engine=ImageFont.Layout.RAQM)
        reference = Image.new("RGB", (1080, 300), band)
        ImageDraw.Draw(reference).text((50, 200), text, font=font, fill=(255, 255, 255), anchor="ls",
                                       direction="rtl", language="ar")
        ours = ink_mask(result.image, below_the_rule(result), band)
        theirs = ink_mask(reference, (0, 0, 1080, 300), band)
        ours, theirs = ours.crop(ours.getbbox()), theirs.crop(theirs.getbbox())
        assert ours.size == theirs.size
        assert difference(ours, theirs)[0] < 2

    @pytest.mark.parametrize("language, texts", [
        ("ar", ARABIC | {"headline": "عروض الصيف"}), ("he", HEBREW | {"headline": "מבצע קיץ"})])
    def test_right_to_left_text_is_right_aligned_and_the_layout_mirrored(self, language, texts, photo, logo):
        result = render(default_template(LUMIERE), inputs(texts, photo, logo, language), "instagram_square")
        headline = result.layout["headline"]
        assert headline["rtl"] and headline["align"] == "right"
        band = rgb(resolve_palette(LUMIERE)["primary"])
        left, _, right, _ = headline["box"]
        mask = ink_mask(result.image, (left, headline["text_box"][1], right, headline["text_box"][3]), band)
        ink_left, _, ink_right, _ = mask.getbbox()
        assert right - left - ink_right <= 4  # the ink reaches the zone's right edge
        assert ink_left > (right - left) / 3  # and leaves the left side empty
        logo_box = result.layout["logo"]["placed"]
        assert logo_box[0] > 1080 / 2  # the logo moved to the top right corner
        assert result.layout["legal"]["align"] == "left"  # "end" is left in right-to-left

    def test_direction_can_be_forced(self, photo):
        result = render(default_template(LUMIERE),
                        RenderInputs(texts={"headline": "Pieuvre"}, photo=photo, direction="rtl"),
                        "instagram_square")
        assert result.layout["headline"]["align"] == "right"

    def test_without_a_language_the_direction_comes_from_the_text(self, photo):
        result = render(default_template(LUMIERE), RenderInputs(texts={"headline": "שלום"}, photo=photo),
                        "instagram_square")
        assert result.layout["headline"]["rtl"]

    def test_a_server_without_libraqm_blocks_arabic(self, photo, monkeypatch):
        monkeypatch.setattr(textlayout, "HAVE_RAQM", False)
        result = render(default_template(LUMIERE), RenderInputs(texts={"headline": "سلام"}, photo=photo,
                                                                language="ar"), "instagram_square")
        assert [(f["rule"], f["severity"]) for f in result.findings] == [("image.no_shaping", "error")]


class TestFontFallback:
    def _alone(self, image: Image.Image, layout: dict, background: tuple[int, int, int]) -> Image.Image:
        mask = ink_mask(image, layout["text_box"], background)
        return mask.crop(mask.getbbox())

    def test_digits_missing_from_the_brand_font_come_from_a_fallback_not_tofu(self, photo, hebrew_brand_fonts):
        assert not {ord(c) for c in "20%"} & textlayout.coverage(hebrew_brand_fonts.roles["heading"][0])
        template = default_template(CEDRE)
        result = render(template, RenderInputs(texts={"headline": "20%"}, photo=photo, language="he"),
                        "instagram_square", hebrew_brand_fonts)
        band = rgb(resolve_palette(CEDRE)["primary"])
        ours = self._alone(result.image, result.layout["headline"], band)
        size = result.layout["headline"]["size"]

        def drawn_with(font_file: str) -> Image.Image:
            font = ImageFont.truetype(str(FONTS_DIR / font_file), size, layout_engine=ImageFont.Layout.RAQM)
            canvas = Image.new("RGB", (800, 300), band)
            ImageDraw.Draw(canvas).text((50, 200), "20%", font=font, fill=(255, 255, 255), anchor="ls")
            mask = ink_mask(canvas, (0, 0, 800, 300), band)
            return mask.crop(mask.getbbox())

        tofu = drawn_with("NotoSansHebrew-Bold.ttf")  # what Pillow draws without fallback: .notdef boxes
        digits = drawn_with("NotoSans-Bold.ttf")
        assert ours.getbbox() is not None
        assert ours.size == digits.size and difference(ours, digits)[0] < 1
        assert ours.size != tofu.size or difference(ours, tofu)[0] > 20

    def test_a_mixed_line_in_a_hebrew_brand_font_looks_as_with_the_bundled_fonts(self, photo, hebrew_brand_fonts):
        texts = {"headline": HEBREW["headline"], "cta": HEBREW["cta"]}
        brand = render(default_template(CEDRE), RenderInputs(texts=texts, photo=photo, language="he"),
                       "instagram_square", hebrew_brand_fonts)
        bundled = render(default_template(CEDRE), RenderInputs(texts=texts, photo=photo, language="he"),
                         "instagram_square")
        assert brand.findings == bundled.findings == []
        assert difference(brand.image, bundled.image) == (0.0, 0.0)

    def test_a_subset_latin_brand_font_without_digits_falls_back_on_one_baseline(self, photo):
        font = TTFont(str(FONTS_DIR / "NotoSans-Regular.ttf"))
        options = subset.Options()
        options.notdef_outline = True  # keep the tofu box, so a missed fallback would show
        subsetter = subset.Subsetter(options)
        subsetter.populate(text="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzéèà :")
        subsetter.subset(font)
        buffer = io.BytesIO()
        font.save(buffer)
        brand = Fonts.from_bytes({"body": buffer.getvalue()})
        assert ord("2") not in textlayout.coverage(brand.roles["body"][0])

        template = Template(
            band=BandZone(box=Box(0, 0, 1, 1), rule=None),
            subline=TextZone(box=Box(0.05, 0.3, 0.9, 0.4),
                             style=TextStyle(font="body", max_size=60, min_size=60, colour="on_primary")))
        texts = RenderInputs(texts={"subline": "Soldes : 20% sur 150 articles"}, language="fr")
        with_subset = render(template, texts, (1080, 400), brand)
        bundled = render(template, texts, (1080, 400))
        assert with_subset.layout["subline"]["baselines"] == bundled.layout["subline"]["baselines"]
        mean, share = difference(with_subset.image, bundled.image)
        assert mean < 0.2 and share < 0.002

    def test_characters_no_font_has_are_left_out_and_reported(self, photo):
        template = default_template(LUMIERE)
        with_emoji = render(template, RenderInputs(texts={"headline": "Promo 🎉 d’été"}, photo=photo,
                                                   language="fr"), "instagram_square")
        assert [(f["rule"], f["severity"], f["values"]["characters"]) for f in with_emoji.findings] == [
            ("image.missing_glyph", "warning", "🎉")]
        assert with_emoji.layout["headline"]["lines"] == ["Promo  d’été"]


class TestContrast:
    @staticmethod
    def template() -> Template:
        return Template(
            band=BandZone(box=Box(0, 0, 1, 1), rule=None),
            headline=TextZone(box=Box(0.05, 0.05, 0.9, 0.4),
                              style=TextStyle(bold=True, max_size=40, min_size=40, colour="on_primary")),
            subline=TextZone(box=Box(0.05, 0.55, 0.9, 0.4),
                             style=TextStyle(max_size=20, min_size=20, colour="on_primary")))

    def render(self, primary: str, on_primary: str):
        texts = RenderInputs(texts={"headline": "Grand titre", "subline": "Petit texte"},
                             palette={"primary": primary, "on_primary": on_primary})
        return render(self.template(), texts, (1080, 1080))

    def test_contrast_ratio_follows_wcag(self):
        assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
        assert contrast_ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)

    def test_readable_colours_give_no_finding(self):
        assert self.render("#1D3557", "#FFFFFF").findings == []

    def test_between_3_and_4_5_small_text_gets_a_warning_and_large_text_passes(self):
        findings = self.render("#888888", "#FFFFFF").findings  # 3.54:1
        assert [(f["rule"], f["severity"], f["zone"]) for f in findings] == [
            ("image.low_contrast", "warning", "subline")]
        assert findings[0]["values"] == {"zone": "subline", "ratio": 3.54, "required": 4.5, "colour": "#FFFFFF",
                                         "background": "#888888", "size": 20}
        assert "{ratio}" in findings[0]["message"] and "{required}" in findings[0]["message"]

    def test_below_3_is_an_error_for_every_text(self):
        findings = self.render("#AAAAAA", "#FFFFFF").findings  # 2.32:1
        assert [(f["zone"], f["severity"], f["values"]["required"]) for f in findings] == [
            ("headline", "error", 3.0), ("subline", "error", 4.5)]

    def test_text_over_a_photo_is_measured_against_the_photo(self):
        template = Template(photo=PhotoZone(box=Box(0, 0, 1, 1)),
                            headline=TextZone(box=Box(0.1, 0.1, 0.8, 0.3),
                                              style=TextStyle(bold=True, colour="#FFFFFF", max_size=60)))
        light, dark = io.BytesIO(), io.BytesIO()
        Image.new("RGB", (300, 300), (245, 240, 230)).save(light, "PNG")
        Image.new("RGB", (300, 300), (20, 20, 40)).save(dark, "PNG")
        on_light = render(template, RenderInputs(texts={"headline": "Été"}, photo=light.getvalue()), (800, 800))
        on_dark = render(template, RenderInputs(texts={"headline": "Été"}, photo=dark.getvalue()), (800, 800))
        assert [(f["rule"], f["severity"]) for f in on_light.findings] == [("image.low_contrast", "error")]
        assert on_dark.findings == []

    def test_changing_primary_without_on_primary_keeps_text_readable(self):
        palette = resolve_palette({"primary": "#1D3557", "on_primary": "#FFFFFF"}, {"primary": "#F5E6C8"})
        assert palette["on_primary"] == "#111827"


class TestDeterminism:
    def test_same_inputs_give_the_same_png_bytes(self, photo, logo):
        template = default_template(LUMIERE)
        first = to_png(render(template, inputs(ARABIC, photo, logo, "ar"), "instagram_square").image)
        clear_layer_cache()
        second = to_png(render(template, inputs(ARABIC, photo.data, logo_png(), "ar"), "instagram_square").image)
        third = to_png(render(template, inputs(ARABIC, photo, logo, "ar"), "instagram_square").image)
        assert first == second == third

    def test_renders_in_threads_equal_renders_in_sequence(self, photo, logo):
        from concurrent.futures import ThreadPoolExecutor

        template = default_template(LUMIERE)
        jobs = [(texts, language, size) for texts, language in ((FRENCH, "fr"), (ARABIC, "ar"), (HEBREW, "he"))
                for size in ("instagram_square", "facebook", "youtube")]

        def job(args) -> bytes:
            texts, language, size = args
            return to_png(render(template, inputs(texts, photo, logo, language), size).image)

        in_sequence = [job(args) for args in jobs]
        clear_layer_cache()
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert list(pool.map(job, jobs)) == in_sequence

    def test_photo_and_logo_layers_are_made_once_per_size(self, photo, logo):
        clear_layer_cache()
        template = default_template(LUMIERE)
        render(template, inputs(FRENCH, photo, logo, "fr"), "facebook")
        assert layer_cache_info()["misses"] == 2
        for city in ("Lyon", "Lille", "Nantes"):
            render(template, inputs(FRENCH | {"headline": f"Ouverture à {city}"}, photo, logo, "fr"), "facebook")
        info = layer_cache_info()
        assert info["misses"] == 2 and info["hits"] == 6
        render(template, inputs(FRENCH, photo, logo, "fr"), "x")
        assert layer_cache_info()["misses"] == 4


class TestRenderKey:
    @pytest.fixture
    def base(self, photo, logo):
        return default_template(LUMIERE), inputs(FRENCH, photo, logo, "fr"), "instagram_square"

    def test_the_key_is_a_sha256_and_stable(self, base):
        key = render_key(*base)
        assert len(key) == 64 and int(key, 16) >= 0
        assert render_key(*base) == key

    @pytest.mark.parametrize("change", [
        "headline", "cta", "photo", "focus", "logo", "palette", "language", "direction", "size", "zone",
        "locked", "fonts", "no_logo",
    ])
    def test_any_change_of_input_changes_the_key(self, base, change, hebrew_brand_fonts):
        template, given, size = base
        fonts = None
        if change in ("headline", "cta"):
            given = dataclasses.replace(given, texts=given.texts | {change: "Autre texte"})
        elif change == "photo":
            given = dataclasses.replace(given, photo=Asset(b"other photo bytes"))
        elif change == "focus":
            given = dataclasses.replace(given, photo_focus=(0.2, 0.5))
        elif change == "logo":
            given = dataclasses.replace(given, logo=Asset(logo_png("AUTRE")))
        elif change == "no_logo":
            given = dataclasses.replace(given, logo=None)
        elif change == "palette":
            given = dataclasses.replace(given, palette={"accent": "#E76F51"})
        elif change == "language":
            given = dataclasses.replace(given, language="fr-BE")
        elif change == "direction":
            given = dataclasses.replace(given, direction="rtl")
        elif change == "size":
            size = "instagram_portrait"
        elif change == "zone":
            template = dataclasses.replace(template, cta=dataclasses.replace(
                template.cta, style=dataclasses.replace(template.cta.style, max_size=28)))
        elif change == "locked":
            template = dataclasses.replace(template, headline=dataclasses.replace(template.headline, locked=True))
        elif change == "fonts":
            fonts = hebrew_brand_fonts
        assert render_key(template, given, size, fonts) != render_key(*base)

    def test_what_does_not_change_the_image_does_not_change_the_key(self, base, photo, logo):
        template, given, size = base
        key = render_key(*base)
        same = [
            (dataclasses.replace(template, name="Été 2025"), given, size),
            (template, dataclasses.replace(given, photo=photo.data, logo=logo.data), size),
            (template, dataclasses.replace(given, photo_focus=(0.5, 0.5)), size),
            (template, dataclasses.replace(given, palette={"primary": "#1d3557"}), size),
            (template, dataclasses.replace(given, texts=FRENCH | {"headline": "  " + FRENCH["headline"] + "\n"}),
             size),
            (template, dataclasses.replace(given, texts=FRENCH | {"unknown": "x", "cta": FRENCH["cta"]}), size),
            (template, given, (1080, 1080)),
            (template, given, "instagram_square"),
        ]
        decomposed = "Nouvelle boulangerie a\u0300 Lyon Part-Dieu"
        same.append((template, dataclasses.replace(given, texts=FRENCH | {"headline": decomposed}), size))
        for arguments in same:
            assert render_key(*arguments) == key
        assert render_key(template, given, size, Fonts()) == key


class TestLayers:
    @staticmethod
    def halves(width: int = 400, height: int = 200, fmt: str = "PNG", **save) -> bytes:
        image = Image.new("RGB", (width, height), (220, 30, 30))
        ImageDraw.Draw(image).rectangle((width // 2, 0, width, height), fill=(30, 30, 220))
        buffer = io.BytesIO()
        image.save(buffer, fmt, **save)
        return buffer.getvalue()

    def test_the_photo_is_cover_cropped_around_its_focal_point(self):
        from hub.media.layers import photo_layer

        data = self.halves()
        assert photo_layer(data, (100, 100), (0.1, 0.5)).getpixel((90, 50))[0] > 200  # all red
        assert photo_layer(data, (100, 100), (0.9, 0.5)).getpixel((10, 50))[2] > 200  # all blue
        centred = photo_layer(data, (100, 100))
        assert centred.size == (100, 100)
        assert centred.getpixel((10, 50))[0] > 200 and centred.getpixel((90, 50))[2] > 200

    def test_exif_orientation_is_applied(self):
        from hub.media.layers import photo_layer

        exif = Image.Exif()
        exif[0x0112] = 6  # stored sideways: turn 90° clockwise to show
        data = self.halves(fmt="JPEG", exif=exif.tobytes(), quality=95)
        layer = photo_layer(data, (100, 200))
        assert layer.getpixel((50, 20))[0] > 180 and layer.getpixel((50, 180))[2] > 180

    def test_a_cmyk_jpeg_becomes_rgb(self):
        from hub.media.layers import photo_layer

        buffer = io.BytesIO()
        Image.new("CMYK", (64, 64), (255, 0, 0, 0)).save(buffer, "JPEG", quality=95)
        red, green, blue = photo_layer(buffer.getvalue(), (32, 32)).getpixel((16, 16))
        assert red < 60 and green > 200 and blue > 200

    def test_the_logo_is_contained_with_its_proportions(self):
        from hub.media.layers import logo_layer

        image = Image.new("RGBA", (400, 100), (200, 0, 0, 255))
        layer = logo_layer(image, (200, 200))
        assert layer.size == (200, 50) and layer.mode == "RGBA"

    def test_the_logo_lands_inside_its_zone_on_a_plate(self, photo, logo):
        result = render(default_template(LUMIERE), inputs(FRENCH, photo, logo, "fr"), "instagram_square")
        box, placed = result.layout["logo"]["box"], result.layout["logo"]["placed"]
        assert box[0] <= placed[0] < placed[2] <= box[2] and box[1] <= placed[1] < placed[3] <= box[3]
        assert result.image.getpixel((placed[0] + 8, placed[1] + (placed[3] - placed[1]) // 2)) == (255, 255, 255)


class TestSizes:
    def test_the_sizes_table(self):
        assert SIZES == {
            "instagram_square": (1080, 1080), "instagram_portrait": (1080, 1350), "facebook": (1200, 630),
            "linkedin": (1200, 627), "x": (1200, 675), "google_business": (1200, 900), "youtube": (1280, 720),
        }

    def test_every_network_has_a_default_size(self):
        assert set(NETWORK_SIZES) == set(NETWORK_RULES)
        assert all(name in SIZES for name in NETWORK_SIZES.values())
        assert resolve_size("instagram") == (1080, 1350)
        assert resolve_size((640, 480)) == (640, 480)
        with pytest.raises(ValueError):
            resolve_size("myspace")
        with pytest.raises(ValueError):
            resolve_size((0, 480))

    @pytest.mark.parametrize("size", sorted(SIZES))
    def test_one_template_renders_every_size_inside_the_image(self, size, photo, logo):
        result = render(default_template(LUMIERE), inputs(FRENCH, photo, logo, "fr"), size)
        width, height = SIZES[size]
        assert result.image.size == (width, height) and result.image.mode == "RGB"
        for name in ("headline", "subline", "cta", "legal"):
            left, top, right, bottom = result.layout[name]["text_box"]
            assert 0 <= left < right <= width and 0 <= top < bottom <= height, name


class TestTemplate:
    def test_round_trips_through_plain_data(self):
        template = default_template(LUMIERE)
        data = template.to_dict()
        assert Template.from_dict(data) == template
        import json
        assert Template.from_dict(json.loads(json.dumps(data))) == template

    @pytest.mark.parametrize("change, message", [
        (lambda d: d["headline"]["box"].update(w=1.5), "headline.box"),
        (lambda d: d["cta"].update(follows="legal"), "cta may only follow"),
        (lambda d: d["subline"]["style"].update(min_size=50), "font sizes"),
        (lambda d: d["band"].update(colour="not a colour!"), "band.colour"),
        (lambda d: d.update(palette={"primary": "blue"}), "palette"),
        (lambda d: d["headline"].update(shadow=True), "unknown fields"),
    ])
    def test_invalid_templates_are_refused_with_the_reason(self, change, message):
        data = default_template(LUMIERE).to_dict()
        change(data)
        with pytest.raises(ValueError, match=message):
            Template.from_dict(data)

    def test_locations_edit_only_unlocked_zones(self):
        template = default_template(LUMIERE)
        assert editable_zones(template) == ["headline", "subline", "cta"]
        edited = apply_edits(template, RenderInputs(texts=FRENCH), {"headline": "Ouverture à Lille"})
        assert edited.texts["headline"] == "Ouverture à Lille" and edited.texts["legal"] == FRENCH["legal"]
        with pytest.raises(LockedZoneError):
            apply_edits(template, RenderInputs(texts=FRENCH), {"legal": "Rien à signaler"})
        with pytest.raises(LockedZoneError):
            apply_edits(template, RenderInputs(texts=FRENCH), {"photo": b"..."})


class TestEncoding:
    def test_jpeg_is_progressive_rgb_without_metadata(self, photo, logo):
        image = render(default_template(LUMIERE), inputs(FRENCH, photo, logo, "fr"), "facebook").image
        data = to_jpeg(image)
        decoded = Image.open(io.BytesIO(data))
        assert decoded.format == "JPEG" and decoded.mode == "RGB" and decoded.size == (1200, 630)
        assert decoded.info.get("progressive") or decoded.info.get("progression")
        assert "exif" not in decoded.info and "icc_profile" not in decoded.info
        assert difference(decoded, image)[0] < 3
        assert len(to_jpeg(image, quality=60)) < len(data)

    def test_png_keeps_the_pixels_and_no_metadata(self):
        image = Image.new("RGB", (32, 32), (10, 20, 30))
        image.info["icc_profile"] = b"not kept"
        decoded = Image.open(io.BytesIO(to_png(image)))
        assert decoded.format == "PNG" and "icc_profile" not in decoded.info
        assert difference(decoded, image) == (0.0, 0.0)
