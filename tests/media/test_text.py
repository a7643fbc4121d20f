"""Text layout: the bidi algorithm that orders font runs, the per-glyph fallback, wrapping."""

from __future__ import annotations

import pytest

from hub.media import text as textlayout
from hub.media.text import Fonts, Paragraph, bidi_levels, bundled_chain, visual_order, wrap


class TestBidi:
    @pytest.mark.parametrize("text, base, levels", [
        ("abc", 0, [0, 0, 0]),
        ("אבג", 1, [1, 1, 1]),
        ("אב 12", 1, [1, 1, 1, 2, 2]),  # European digits in right-to-left text stay left-to-right
        ("אב 20%", 1, [1, 1, 1, 2, 2, 2]),  # and take their % sign (W5)
        ("ab אב cd", 0, [0, 0, 0, 1, 1, 0, 0, 0]),
        ("אב ab אב", 1, [1, 1, 1, 2, 2, 1, 1, 1]),
        ("سعر 20", 1, [1, 1, 1, 1, 2, 2]),  # Arabic context: digits become Arabic numbers (W2), still LTR
        ("12-3", 1, [2, 2, 2, 2]),  # a separator between numbers joins them (W4)
        ("אב ", 1, [1, 1, 1]),
        ("ab ", 1, [2, 2, 1]),  # trailing space back at the paragraph level (L1)
    ])
    def test_levels(self, text, base, levels):
        assert bidi_levels(text, base) == levels

    def test_visual_order_reverses_right_to_left_runs(self):
        assert visual_order([1, 1, 1, 2, 2, 1, 1]) == [6, 5, 3, 4, 2, 1, 0]
        assert visual_order([0, 0, 1, 1, 0]) == [0, 1, 3, 2, 4]
        assert visual_order([0, 0]) == [0, 1]

    def test_a_hebrew_line_with_fallback_digits_is_ordered_right_to_left(self, hebrew_brand_fonts):
        chain = hebrew_brand_fonts.chain("heading", True)
        paragraph = Paragraph.build("מבצע 20% הנחה", chain, rtl=True, language="he")
        line = paragraph.line(0, len(paragraph.text))
        runs = [(text, font.key.split(":")[0], rtl) for text, font, rtl in paragraph.runs(line)]
        # Left to right on the image: the last Hebrew word, then 20% (in the Latin fallback), then the first.
        assert runs == [("הנחה", "sha256", True), (" ", "bundled", True), ("20%", "bundled", False),
                        ("מבצע ", "sha256", True)]


class TestFallback:
    def test_digits_and_punctuation_stay_in_the_arabic_font(self):
        chain = bundled_chain(False)  # NotoSans, NotoSansArabic, NotoSansHebrew, DejaVu
        paragraph = Paragraph.build("خصم 20، الآن", chain, rtl=True, language="ar")
        assert set(paragraph.fonts) == {1}

    def test_letters_take_the_first_font_that_has_them(self):
        chain = bundled_chain(False)
        paragraph = Paragraph.build("Prix 20 € שלום", chain, rtl=False, language="fr")
        fonts = dict(zip(paragraph.text, paragraph.fonts, strict=True))
        assert fonts["P"] == 0 and fonts["2"] == 0 and fonts["€"] == 0 and fonts["ש"] == 2

    def test_combining_marks_stay_with_their_letter(self):
        chain = bundled_chain(False)
        paragraph = Paragraph.build("שָׁלוֹם", chain, rtl=True, language="he")
        assert set(paragraph.fonts) == {2}
        assert paragraph.missing == []

    def test_characters_no_font_has_are_reported(self):
        paragraph = Paragraph.build("Bonjour 🐙🐙", bundled_chain(False), rtl=False, language="fr")
        assert paragraph.text == "Bonjour " and paragraph.missing == ["🐙"]

    def test_bold_text_prefers_the_brands_bold_font(self, hebrew_brand_fonts):
        assert hebrew_brand_fonts.chain("body", True)[0] == hebrew_brand_fonts.roles["body_bold"][0]
        assert hebrew_brand_fonts.chain("body", False)[0] == hebrew_brand_fonts.roles["body"][0]
        assert Fonts().chain("heading", True) == bundled_chain(True)


class TestWrap:
    def paragraph(self, text: str) -> Paragraph:
        return Paragraph.build(text, bundled_chain(False), rtl=False, language="fr")

    def test_words_wrap_to_the_width(self):
        paragraph = self.paragraph("un deux trois quatre cinq six sept huit neuf dix")
        lines = wrap(paragraph, 40, 300, break_words=False)
        assert len(lines) > 1
        assert all(paragraph.width(line, 40) <= 300 for line in lines)
        assert " ".join(line.text for line in lines) == paragraph.text

    def test_a_long_word_is_cut_with_hyphens_only_when_asked(self):
        paragraph = self.paragraph("Anticonstitutionnellement")
        assert [line.text for line in wrap(paragraph, 40, 200, break_words=False)] == [paragraph.text]
        pieces = wrap(paragraph, 40, 200, break_words=True)
        assert len(pieces) > 1 and all(p.text.endswith("-") for p in pieces[:-1])
        assert all(paragraph.width(line, 40) <= 200 for line in pieces)

    def test_balanced_lines_are_even(self):
        paragraph = self.paragraph("Offre valable jusqu'au 30/06 dans la limite des stocks.")
        block = textlayout.fit(paragraph, 420, 200, 20, 20, 1.2, None, balance=True)
        assert len(block.lines) == 2
        assert min(block.widths) > 0.7 * max(block.widths)

    def test_sizes_step_down_to_the_minimum(self):
        sizes = textlayout.sizes_to_try(70, 34)
        assert sizes[0] == 70 and sizes[-1] == 34 and sizes == sorted(sizes, reverse=True)
        assert textlayout.sizes_to_try(12, 12) == [12]
