"""The shared layers of a post's images: its photo cover-cropped and its logo contained, per size.

Fan-out renders one post for thousands of locations at seven sizes; only the texts change
between locations, so the decoded, colour-managed and resampled photo and logo are computed
once per (content hash, size) and kept in an in-process LRU bounded by memory.
"""

from __future__ import annotations

import hashlib
import io
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from PIL import Image, ImageCms, ImageOps

_EXIF_ORIENTATION = 0x0112
_SWAPS_AXES = {5, 6, 7, 8}  # EXIF orientations that turn the picture a quarter


class Asset:
    """Image bytes (or a decoded image) with their content hash, computed once and reused."""

    __slots__ = ("data", "image", "sha256")

    def __init__(self, data: bytes | None = None, *, image: Image.Image | None = None,
                 sha256: str | None = None) -> None:
        if (data is None) == (image is None):
            raise ValueError("an Asset holds either bytes or an image")
        self.data = bytes(data) if data is not None else None
        self.image = image
        self.sha256 = sha256 or _digest(self.data, image)

    @classmethod
    def of(cls, source: Asset | bytes | bytearray | memoryview | Image.Image | None) -> Asset | None:
        """The asset for image bytes, a PIL image or an asset (returned as is); None stays None."""
        if source is None or isinstance(source, Asset):
            return source
        if isinstance(source, Image.Image):
            return cls(image=source)
        if isinstance(source, (bytes, bytearray, memoryview)):
            return cls(bytes(source))
        raise TypeError(f"expected image bytes or a PIL image, not {type(source).__name__}")

    def __repr__(self) -> str:
        return f"Asset(sha256={self.sha256[:12]}…)"


def _digest(data: bytes | None, image: Image.Image | None) -> str:
    if data is not None:
        return hashlib.sha256(data).hexdigest()
    assert image is not None
    h = hashlib.sha256(f"{image.mode}:{image.size[0]}x{image.size[1]}:".encode())
    h.update(image.tobytes())
    return h.hexdigest()


class LayerCache:
    """A thread-safe LRU of rendered layers, bounded by the bytes of the images it holds."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[Any, ...], Image.Image] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_make(self, key: tuple[Any, ...], make: Callable[[], Image.Image]) -> Image.Image:
        """The cached image for `key`, made by `make()` on a miss. Callers must not modify it."""
        with self._lock:
            image = self._items.get(key)
            if image is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return image
            self.misses += 1
        image = make()  # outside the lock: two threads may make the same layer once each, harmlessly
        cost = _cost(image)
        with self._lock:
            if key not in self._items and cost <= self.max_bytes:
                self._items[key] = image
                self._bytes += cost
                while self._bytes > self.max_bytes:
                    _, old = self._items.popitem(last=False)
                    self._bytes -= _cost(old)
        return image

    def info(self) -> dict[str, int]:
        """Hits, misses, entries and bytes held, for metrics and tests."""
        with self._lock:
            return {"hits": self.hits, "misses": self.misses, "entries": len(self._items),
                    "bytes": self._bytes, "max_bytes": self.max_bytes}

    def clear(self) -> None:
        """Forget every layer and reset the counters."""
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = 0


def _cost(image: Image.Image) -> int:
    return image.size[0] * image.size[1] * len(image.getbands())


LAYERS = LayerCache()


def photo_layer(photo: Asset | bytes | Image.Image, size: tuple[int, int],
                focus: tuple[float, float] | None = None) -> Image.Image:
    """The photo scaled to cover `size` and cropped around `focus` (fractions; centre by default), in sRGB."""
    asset = Asset.of(photo)
    assert asset is not None
    fx, fy = normalise_focus(focus)
    width, height = max(1, int(size[0])), max(1, int(size[1]))
    key = ("photo", asset.sha256, width, height, fx, fy)
    return LAYERS.get_or_make(key, lambda: _cover(asset, (width, height), (fx, fy)))


def logo_layer(logo: Asset | bytes | Image.Image, size: tuple[int, int]) -> Image.Image:
    """The logo (RGBA, sRGB) scaled to fit inside `size` with its proportions kept."""
    asset = Asset.of(logo)
    assert asset is not None
    width, height = max(1, int(size[0])), max(1, int(size[1]))
    key = ("logo", asset.sha256, width, height)
    return LAYERS.get_or_make(key, lambda: _contain(asset, (width, height)))


def normalise_focus(focus: tuple[float, float] | None) -> tuple[float, float]:
    """The focal point clamped to the photo and rounded; the centre when there is none."""
    if focus is None:
        return (0.5, 0.5)
    fx, fy = (min(max(float(v), 0.0), 1.0) for v in focus)
    return (round(fx, 4), round(fy, 4))


def _open(asset: Asset, target: tuple[int, int], cover: bool) -> tuple[Image.Image, bytes | None]:
    """The decoded picture upright, decoded at a reduced scale when a JPEG allows, and its ICC profile."""
    if asset.image is not None:
        image = asset.image
        return image, image.info.get("icc_profile")
    image = Image.open(io.BytesIO(asset.data or b""))
    icc = image.info.get("icc_profile")
    orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    if image.format == "JPEG":
        # Decoding a 12-megapixel JPEG at 1/4 or 1/8 scale (DCT scaling) is several times faster
        # and still leaves at least the pixels the target needs.
        w, h = image.size
        tw, th = (target[1], target[0]) if orientation in _SWAPS_AXES else target
        scale = max(tw / w, th / h) if cover else min(tw / w, th / h)
        image.draft(image.mode if image.mode in ("L", "CMYK") else "RGB",
                    (math.ceil(w * scale), math.ceil(h * scale)))
    image = ImageOps.exif_transpose(image) if orientation != 1 else image
    image.load()
    return image, icc


def _normalise_mode(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        return image.convert("RGBA") if image.mode != "RGBA" else image
    if image.mode in ("RGB", "CMYK"):
        return image
    if image.mode.startswith("I;16"):  # 16-bit greys (PNG): scale to 8 bits rather than clip
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The image converted from its embedded ICC profile (Display P3, Adobe RGB, CMYK…) to sRGB."""
    out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode=out_mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the numbers as they are, as browsers do
    return image if image.mode == out_mode else image.convert(out_mode)


_SRGB: list[ImageCms.ImageCmsProfile] = []


def _srgb_profile() -> ImageCms.ImageCmsProfile:
    if not _SRGB:
        _SRGB.append(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")))
    return _SRGB[0]


def _cover(asset: Asset, size: tuple[int, int], focus: tuple[float, float]) -> Image.Image:
    image, icc = _open(asset, size, cover=True)
    image = _normalise_mode(image)
    width, height = image.size
    tw, th = size
    scale = max(tw / width, th / height)
    crop_w, crop_h = tw / scale, th / scale
    left = min(max(focus[0] * width - crop_w / 2, 0.0), width - crop_w)
    top = min(max(focus[1] * height - crop_h / 2, 0.0), height - crop_h)
    if image.mode == "CMYK":
        image = _to_srgb(image, icc)
        icc = None
    resized = image.resize(size, Image.Resampling.LANCZOS, box=(left, top, left + crop_w, top + crop_h),
                           reducing_gap=3.0)
    return _to_srgb(resized, icc)


def _contain(asset: Asset, size: tuple[int, int]) -> Image.Image:
    image, icc = _open(asset, size, cover=False)
    image = _normalise_mode(image)
    if image.mode == "CMYK":
        image = _to_srgb(image, icc)
        icc = None
    image = image.convert("RGBA") if image.mode != "RGBA" else image
    width, height = image.size
    scale = min(size[0] / width, size[1] / height)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    # Pillow resamples RGBA premultiplied, so transparent edges do not bleed dark fringes.
    resized = image.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _to_srgb(resized, icc)
