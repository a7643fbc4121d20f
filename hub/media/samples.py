"""Deterministic sample photo and logo drawn with Pillow: for the demo brand, the benchmarks and the tests."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from hub.media.text import FONTS_DIR


def photo_png(width: int = 1600, height: int = 1200) -> bytes:
    """A landscape at sunset: sky gradient, sun, three hill ranges, a lake with reflections."""
    sky = Image.linear_gradient("L").resize((width, height))
    image = Image.merge("RGB", (
        sky.point(lambda v: 40 + v * 215 // 255),
        sky.point(lambda v: 70 + v * 100 // 255),
        sky.point(lambda v: 150 - v * 60 // 255),
    ))
    draw = ImageDraw.Draw(image)
    sun_x, sun_y, radius = width * 0.68, height * 0.5, height * 0.11
    glow = Image.new("L", (int(radius * 6), int(radius * 6)), 0)
    ImageDraw.Draw(glow).ellipse((radius * 1.6, radius * 1.6, radius * 4.4, radius * 4.4), fill=150)
    glow = glow.filter(ImageFilter.GaussianBlur(radius * 0.45))
    image.paste((255, 214, 140), (int(sun_x - radius * 3), int(sun_y - radius * 3)), glow)
    draw.ellipse((sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius), fill=(255, 238, 200))
    for index, (base, amplitude, period, shade) in enumerate((
            (0.58, 0.07, 0.9, (92, 62, 98)), (0.66, 0.05, 0.55, (60, 44, 80)), (0.74, 0.04, 0.35, (34, 30, 56)))):
        points = [(0, height)]
        for x in range(0, width + 8, 8):
            y = height * (base - amplitude * math.sin(x / width * math.tau / period + index * 1.7)
                          - amplitude * 0.3 * math.sin(x / width * math.tau * 3.1 + index))
            points.append((x, y))
        points.append((width, height))
        draw.polygon(points, fill=shade)
    lake_top = int(height * 0.82)
    draw.rectangle((0, lake_top, width, height), fill=(40, 50, 90))
    for row in range(lake_top + 6, height, 9):
        half = (row - lake_top) * 0.9 + 20
        draw.line((sun_x - half, row, sun_x + half, row), fill=(230, 170, 120), width=3)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def logo_png(name: str = "LUMIÈRE", colour: tuple[int, int, int] = (29, 53, 87)) -> bytes:
    """A wordmark with a round emblem on a transparent background."""
    font = ImageFont.truetype(str(FONTS_DIR / "NotoSans-Bold.ttf"), 120)
    text_w = math.ceil(font.getlength(name))
    image = Image.new("RGBA", (text_w + 220, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 20, 170, 180), fill=colour + (255,))
    draw.ellipse((55, 65, 125, 135), fill=(244, 162, 97, 255))
    draw.text((200, 100), name, font=font, fill=colour + (255,), anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
