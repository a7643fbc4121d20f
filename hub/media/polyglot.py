"""Uploads that are two files at once: a picture or a video that is also a web page, a script or an archive.

A "polyglot" opens as an image in Pillow and as HTML in a browser, or as a ZIP in an unzip tool: the
other file hides where a decoder does not look — in the metadata (JPEG segments, PNG and WebP chunks, MP4
boxes other than the media data) or after the media's own end. These functions walk each format's
structure, so only those places are searched, never the pixel or sample data, where any byte pattern
can occur by chance.
"""

from __future__ import annotations

import re

# Markup a browser runs, as it would have to appear in a file read as a page.
_MARKUP = re.compile(rb"<(?:script|iframe|object|embed|svg|html|body|!doctype|\?php)[\s>/]", re.IGNORECASE)
# Files that other programs recognise by their signature, wherever it sits (a ZIP is read from its end).
_SIGNATURES = {b"PK\x03\x04": "ZIP", b"PK\x05\x06": "ZIP", b"%PDF-": "PDF", b"Rar!\x1a\x07": "RAR",
               b"7z\xbc\xaf\x27\x1c": "7z"}
# Boxes of an MP4 or QuickTime file that hold samples, not metadata.
_SAMPLE_BOXES = (b"mdat",)


def _found(metadata: bytes, after_end: bytes) -> str | None:
    """What the hidden places of a file carry: an archive or document's name, "HTML" for markup, or None."""
    for signature, name in _SIGNATURES.items():
        if signature in after_end:
            return name
    if _MARKUP.search(metadata) or _MARKUP.search(after_end):
        return "HTML"
    return None


def _jpeg_parts(raw: bytes) -> tuple[bytes, bytes]:
    """(segments other than the scans, bytes after the end-of-image marker) of a JPEG."""
    metadata: list[bytes] = []
    position, size = 2, len(raw)
    while position + 1 < size:
        if raw[position] != 0xFF:
            break  # not a marker where one must be: the rest is not part of the image
        marker = raw[position + 1]
        if marker == 0xFF:
            position += 1  # fill byte before a marker
            continue
        if marker == 0xD9:
            return b"".join(metadata), raw[position + 2:]
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        length = int.from_bytes(raw[position + 2:position + 4], "big")
        if marker != 0xDA:
            metadata.append(raw[position + 4:position + 2 + length])
        position += 2 + length
        if marker == 0xDA:
            # The scan's entropy-coded data ends at the first 0xFF that is neither stuffed (0xFF00),
            # a restart marker (0xFFD0-D7) nor a fill byte.
            while True:
                position = raw.find(b"\xff", position)
                if position < 0 or position + 1 >= size:
                    return b"".join(metadata), b""
                following = raw[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    position += 2
                elif following == 0xFF:
                    position += 1
                else:
                    break
    return b"".join(metadata), raw[position:]


def _png_parts(raw: bytes) -> tuple[bytes, bytes]:
    """(chunks other than the image data, bytes after the IEND chunk) of a PNG."""
    metadata: list[bytes] = []
    position, size = 8, len(raw)
    while position + 12 <= size:
        length = int.from_bytes(raw[position:position + 4], "big")
        kind = raw[position + 4:position + 8]
        if kind != b"IDAT":
            metadata.append(raw[position + 8:position + 8 + length])
        position += 12 + length
        if kind == b"IEND":
            break
    return b"".join(metadata), raw[position:]


def _webp_parts(raw: bytes) -> tuple[bytes, bytes]:
    """(chunks other than the bitstreams, bytes after the RIFF container) of a WebP."""
    end = min(len(raw), 8 + int.from_bytes(raw[4:8], "little"))
    metadata: list[bytes] = []
    position = 12
    while position + 8 <= end:
        kind = raw[position:position + 4]
        length = int.from_bytes(raw[position + 4:position + 8], "little")
        if kind not in (b"VP8 ", b"VP8L", b"ALPH", b"ANMF"):
            metadata.append(raw[position + 8:position + 8 + length])
        position += 8 + length + (length & 1)
    return b"".join(metadata), raw[end + (end & 1):]


def image_extra(raw: bytes, kind: str) -> str | None:
    """What else a JPEG, PNG or WebP that Pillow read carries in its metadata or after its end (see `_found`)."""
    parts = {"JPEG": _jpeg_parts, "PNG": _png_parts, "WEBP": _webp_parts}[kind](raw)
    return _found(*parts)


def _iso_boxes(raw: bytes) -> tuple[list[tuple[bytes, bytes]], int, bool]:
    """The top-level boxes of an MP4 or QuickTime file as (type, content); where the walk stopped; and
    whether it stopped on a box that claims more bytes than the file has (a file cut short)."""
    boxes: list[tuple[bytes, bytes]] = []
    position, size = 0, len(raw)
    while position + 8 <= size:
        length = int.from_bytes(raw[position:position + 4], "big")
        kind = raw[position + 4:position + 8]
        header = 8
        if length == 1:
            length, header = int.from_bytes(raw[position + 8:position + 16], "big"), 16
        elif length == 0:
            length = size - position  # the last box runs to the end of the file
        if not all(0x20 <= byte < 0x7F for byte in kind) or length < header:
            break  # no box here: what follows is not part of the video
        if position + length > size:
            return boxes, position, True
        boxes.append((kind, raw[position + header:position + length]))
        position += length
    return boxes, position, False


def _ebml_number(raw: bytes, position: int) -> tuple[int, int, bool] | None:
    """An EBML variable-size integer at `position`: (value without its length marker, bytes used,
    all value bits set — the "unknown size" of an element), or None where there is none."""
    if position >= len(raw) or raw[position] == 0:
        return None
    used = 9 - raw[position].bit_length()
    if position + used > len(raw):
        return None
    value = int.from_bytes(raw[position:position + used], "big") & ((1 << (7 * used)) - 1)
    return value, used, value == (1 << (7 * used)) - 1


def _ebml_end(raw: bytes) -> int:
    """Where the top-level EBML elements of a WebM end (the file's end when they fill it)."""
    position = 0
    while position < len(raw):
        identifier = _ebml_number(raw, position)
        length = identifier and _ebml_number(raw, position + identifier[1])
        if not identifier or not length:
            break
        if length[2]:
            return len(raw)  # a Segment of unknown size runs to the end of the file
        end = position + identifier[1] + length[1] + length[0]
        if end > len(raw):
            break
        position = end
    return position


def video_extra(raw: bytes, content_type: str) -> tuple[str | None, bool]:
    """What else an MP4, QuickTime or WebM video carries outside its samples (see `_found`), and whether the
    file is cut short (its last box claims more bytes than were sent)."""
    if content_type == "video/webm":
        return _found(b"", raw[_ebml_end(raw):]), False
    boxes, stopped, cut = _iso_boxes(raw)
    metadata = b"".join(content for kind, content in boxes if kind not in _SAMPLE_BOXES)
    return _found(metadata, b"" if cut else raw[stopped:]), cut
