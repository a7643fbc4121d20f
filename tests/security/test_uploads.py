"""Hostile uploads and remote addresses: every way in refuses a bad file with a 4xx saying what to fix, and
keeps nothing of it; a URL the server calls is called only on public addresses, within size and time limits.

Ways in: the API's /api/v1/media and /api/v1/brand-kit/fonts, the library page (/media), the brand kit's
logo and font forms, and the CSV import of locations. Bad files: wrong types, truncated ones, decompression
bombs, huge dimensions, and polyglots — a picture or video that is also a web page, a script or an archive.
The only URLs a user gives the server to call are webhooks (hub/webhooks/service.py).
"""

from __future__ import annotations

import asyncio
import io
import socket
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from hub.brandkit.models import BrandKit
from hub.locations.models import Location
from hub.locations.service import MAX_IMPORT_BYTES
from hub.media.models import BrandFont, Media
from hub.media.samples import photo_png
from hub.media.text import FONTS_DIR
from hub.webhooks import service as webhooks
from hub.webhooks.models import WebhookDelivery
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of, web_client  # noqa: F401 (fixture)

SCRIPT = b"<script>alert(document.cookie)</script>"
HTML_PAGE = b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>"


# ---------------------------------------------------------------- files


def image(kind: str, size: tuple[int, int] = (64, 48), **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, kind, **options)
    return buffer.getvalue()


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", HTML_PAGE)
    return buffer.getvalue()


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_segment(jpeg: bytes, segment: bytes) -> bytes:
    """The JPEG with `segment` right after its start-of-image marker."""
    return jpeg[:2] + segment + jpeg[2:]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims these dimensions over a few bytes of data."""
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b"")


def png_with_text(text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return image("PNG", pnginfo=info)


def mp4_box(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data) + 8) + kind + data


def mp4(*extra_boxes: bytes) -> bytes:
    """A small MP4 whose boxes fill the file: ftyp, the boxes given, then the media data."""
    return (mp4_box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + b"".join(extra_boxes)
            + mp4_box(b"mdat", bytes(range(256)) * 8))


def webm() -> bytes:
    """An EBML header and a Segment of known size: the top-level structure of a WebM."""
    header = b"\x1a\x45\xdf\xa3" + bytes([0x80 | 7]) + b"\x42\x82\x84webm"  # EBML, DocType "webm"
    segment_data = b"\xec" + bytes([0x80 | 16]) + b"\x00" * 16  # a Void element
    return header + b"\x18\x53\x80\x67" + bytes([0x80 | len(segment_data)]) + segment_data


BAD_IMAGES = {
    # (file name, bytes, status, words of the answer)
    "svg with a script": ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT + b"</svg>", 415, "SVG"),
    "html named .jpg": ("photo.jpg", HTML_PAGE, 415, "JPEG, PNG or WebP"),
    "gif that is also html": ("anim.gif", image("GIF") + HTML_PAGE, 415, "GIF"),
    "pdf named .png": ("flyer.png", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", 415, "JPEG, PNG or WebP"),
    "zip named .png": ("photos.png", zip_archive(), 415, "JPEG, PNG or WebP"),
    "truncated jpeg": ("cut.jpg", image("JPEG", (800, 600))[:400], 422, "damaged or truncated"),
    "truncated png": ("cut.png", photo_png(640, 480)[:3000], 422, "damaged or truncated"),
    "decompression bomb": ("bomb.png", None, 413, "too many pixels"),
    "huge dimensions": ("huge.png", png_claiming(100_000, 100_000), 413, "too many pixels"),
    "jpeg with a zip after its end": ("party.jpg", image("JPEG") + zip_archive(), 415, "another file (ZIP)"),
    "jpeg with html in a comment": ("party.jpg", with_segment(image("JPEG"), jpeg_segment(0xFE, HTML_PAGE)), 415,
                                    "another file (HTML)"),
    "jpeg with html after its end": ("party.jpg", image("JPEG") + HTML_PAGE, 415, "another file (HTML)"),
    "png with a script in a text chunk": ("party.png", png_with_text(SCRIPT.decode()), 415, "another file (HTML)"),
    "png with a pdf after its end": ("party.png", image("PNG") + b"%PDF-1.7\n", 415, "another file (PDF)"),
    "webp with a zip after its end": ("party.webp", image("WEBP") + zip_archive(), 415, "another file (ZIP)"),
}
BAD_VIDEOS = {
    "mp4 with a zip after its end": ("clip.mp4", mp4() + zip_archive(), 415, "another file (ZIP)"),
    "mp4 with html in a free box": ("clip.mp4", mp4(mp4_box(b"free", HTML_PAGE)), 415, "another file (HTML)"),
    "mp4 cut short": ("clip.mp4", mp4()[:-100], 422, "cut short"),
    "webm with a zip after its end": ("clip.webm", webm() + zip_archive(), 415, "another file (ZIP)"),
}


def bad_file(case: str) -> tuple[str, bytes, int, str]:
    name, data, status, words = {**BAD_IMAGES, **BAD_VIDEOS}[case]
    if data is None:  # made on demand: 400 million pixels in a few dozen KB
        buffer = io.BytesIO()
        Image.new("1", (20000, 20000)).save(buffer, "PNG")
        data = buffer.getvalue()
    return name, data, status, words


async def stored_nothing(database, settings) -> None:
    """No library row, no font row, no uploaded file on disk (renders of the brand's sample image aside)."""
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Media)) == 0
        assert await session.scalar(select(func.count()).select_from(BrandFont)) == 0
    for folder in ("library", "fonts"):
        kept = Path(settings.var_dir) / "media" / folder
        assert not kept.exists() or list(kept.iterdir()) == []


@pytest.fixture
async def network(database, settings):
    return await make_network(database, settings, locations=1)


# ---------------------------------------------------------------- images and videos


class TestMediaLibrary:
    @pytest.mark.parametrize("case", [*BAD_IMAGES, *BAD_VIDEOS])
    async def test_the_api_refuses_it_saying_why_and_keeps_nothing(self, database, settings, network, client_as, case):
        name, data, status, words = bad_file(case)
        client = await client_as(network.hq_email, PASSWORD)
        answer = await client.post("/api/v1/media", files={"file": (name, data, "application/octet-stream")})
        assert answer.status_code == status, answer.text
        assert words in answer.json()["detail"]
        await stored_nothing(database, settings)

    @pytest.mark.parametrize("case", ["svg with a script", "gif that is also html", "truncated png",
                                      "decompression bomb", "jpeg with html in a comment",
                                      "png with a pdf after its end", "mp4 with a zip after its end", "mp4 cut short"])
    async def test_the_library_page_names_the_file_and_the_reason_and_keeps_nothing(
            self, database, settings, network, web_client, case):
        name, data, status, words = bad_file(case)
        client = await web_client(network.local_emails[network.locations[0].id])
        token = csrf_of((await client.get("/media")).text)
        answer = await client.post("/media", data={"csrf_token": token}, files={"file": (name, data, "image/png")})
        assert answer.status_code == status
        refused = answer.text.split('data-testid="upload-refused"')[1].split("</div>")[0]
        assert name in refused and words in refused
        assert SCRIPT.decode() not in answer.text
        await stored_nothing(database, settings)

    @pytest.mark.parametrize("case", ["svg with a script", "jpeg with a zip after its end", "huge dimensions"])
    async def test_the_logo_form_refuses_it_and_the_kit_keeps_no_logo(self, database, settings, network, web_client,
                                                                      case):
        name, data, status, words = bad_file(case)
        client = await web_client(network.hq_email)
        token = csrf_of((await client.get("/brand-kit")).text)
        answer = await client.post("/brand-kit/logo", data={"csrf_token": token},
                                   files={"file": (name, data, "image/png")})
        assert answer.status_code == status
        assert words in answer.text
        async with database.session() as session:
            kit = await session.scalar(select(BrandKit).where(BrandKit.brand_id == network.brand_id))
            assert kit is None or kit.logo_media_id is None
        await stored_nothing(database, settings)

    async def test_ordinary_files_with_metadata_and_trailers_still_go_in(self, database, settings, network, client_as):
        """What cameras and editors write is not mistaken for a hidden file: XMP metadata, an EXIF block, a
        phone's trailer after the end of a JPEG (dropped when the image is re-encoded), a plain MP4 and WebM."""
        client = await client_as(network.hq_email, PASSWORD)
        xmp = (b"http://ns.adobe.com/xap/1.0/\x00<?xpacket begin=''?><x:xmpmeta xmlns:x='adobe:ns:meta/'>"
               b"<rdf:RDF><rdf:Description dc:title='Printemps &lt;2026&gt;'/></rdf:RDF></x:xmpmeta>")
        samples = [
            ("xmp.jpg", with_segment(image("JPEG"), jpeg_segment(0xE1, xmp))),
            ("phone.jpg", image("JPEG") + b"SEFH\x00\x00\x00\x00Image_UTC_Data1700000000000SEFT"),
            ("text.png", png_with_text("Printemps à Lyon < Paris")),
            ("photo.webp", image("WEBP")),
            ("clip.mp4", mp4(mp4_box(b"free", b"\x00" * 16))),
            ("clip.webm", webm()),
        ]
        for name, data in samples:
            answer = await client.post("/api/v1/media", files={"file": (name, data, "application/octet-stream")})
            assert answer.status_code == 201, (name, answer.text)
        stored = (Path(settings.var_dir) / "media" / "library")
        jpegs = [path.read_bytes() for path in stored.iterdir() if path.read_bytes()[:2] == b"\xff\xd8"]
        # Both JPEGs re-encode to the same picture, stored once, without the trailer nor the metadata.
        assert len(jpegs) == 1 and jpegs[0].endswith(b"\xff\xd9") and b"SEFT" not in jpegs[0]
        assert b"xmpmeta" not in jpegs[0]

    async def test_an_extreme_aspect_ratio_renders_without_error(self, database, settings, network, client_as):
        """A 20,000 × 2 picture is within the pixel limit: it goes in and renders into every network's image."""
        client = await client_as(network.hq_email, PASSWORD)
        strip = image("PNG", (20000, 2))
        answer = await client.post("/api/v1/media", files={"file": ("strip.png", strip, "image/png")})
        assert answer.status_code == 201, answer.text
        campaign = (await client.post("/api/v1/campaigns", json={"name": "Bandeau"})).json()
        post = await client.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": "Bonjour {city}", "networks": ["facebook", "instagram"], "media_id": answer.json()["id"],
            "image_texts": {"headline": "Printemps"}})
        assert post.status_code == 201, post.text
        from tests.api.test_revisions import _fan_out

        assert (await client.post(f"/api/v1/posts/{post.json()['id']}/distribute")).status_code == 202
        await _fan_out(database)
        [proposal] = (await client.get("/api/v1/proposals")).json()
        for network_name in ("facebook", "instagram"):
            rendered = await client.get(f"/api/v1/proposals/{proposal['id']}/images/{network_name}")
            assert rendered.status_code == 200 and rendered.headers["content-type"] == "image/jpeg"


# ---------------------------------------------------------------- fonts


BAD_FONTS = {
    "html named .ttf": (HTML_PAGE, 415, "not a TTF or OTF font"),
    "zip named .ttf": (zip_archive(), 415, "not a TTF or OTF font"),
    "png named .ttf": (image("PNG"), 415, "not a TTF or OTF font"),
    "truncated font": ((FONTS_DIR / "NotoSans-Regular.ttf").read_bytes()[:5000], 422, "damaged"),
}


class TestFonts:
    @pytest.mark.parametrize("case", BAD_FONTS)
    async def test_the_api_refuses_it_and_keeps_nothing(self, database, settings, network, client_as, case):
        data, status, words = BAD_FONTS[case]
        client = await client_as(network.hq_email, PASSWORD)
        answer = await client.post("/api/v1/brand-kit/fonts", params={"role": "heading"},
                                   files={"file": ("brand.ttf", data, "font/ttf")})
        assert answer.status_code == status, answer.text
        assert words in answer.json()["detail"]
        await stored_nothing(database, settings)

    @pytest.mark.parametrize("case", ["html named .ttf", "truncated font"])
    async def test_the_brand_kit_form_refuses_it_in_place(self, database, settings, network, web_client, case):
        data, status, words = BAD_FONTS[case]
        client = await web_client(network.hq_email)
        token = csrf_of((await client.get("/brand-kit")).text)
        answer = await client.post("/brand-kit/fonts", data={"csrf_token": token, "role": "body"},
                                   files={"file": ("brand.ttf", data, "font/ttf")})
        assert answer.status_code == status
        assert words in answer.text and SCRIPT.decode() not in answer.text
        await stored_nothing(database, settings)


# ---------------------------------------------------------------- CSV import of locations


HEADER = b"code,name,country,locale,timezone,city\n"


class TestLocationImport:
    @pytest.mark.parametrize(("content_type", "body", "status", "words"), [
        ("application/json", HEADER + b"LYON,Lyon,FR,fr-FR,Europe/Paris,Lyon\n", 415, "text/csv"),
        ("text/csv", image("PNG"), 422, "not UTF-8"),
        ("text/csv", zip_archive(), 422, "not UTF-8"),
        ("text/csv", HEADER + b'LYON,"Lyon,FR,fr-FR,Europe/Paris,Lyon\n' + b"PARIS,Paris,FR,fr-FR,Europe/Paris,"
         + b"x" * 140_000 + b"\n", 422, "check its quotes"),
        ("text/csv", HEADER + b"LYON,Lyon,FR,fr-FR,Europe/Paris," + b"x" * (MAX_IMPORT_BYTES + 10) + b"\n", 422,
         "larger than 5 MB"),
    ], ids=["json", "png", "zip", "quote left open", "over 5 MB"])
    async def test_a_bad_file_is_refused_saying_why_and_nothing_is_imported(
            self, database, settings, network, client_as, content_type, body, status, words):
        client = await client_as(network.hq_email, PASSWORD)
        answer = await client.post("/api/v1/locations/import", content=body, headers={"Content-Type": content_type})
        assert answer.status_code == status, answer.text[:500]
        assert words in answer.text
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Location)) == 1  # the network's own

    async def test_the_line_of_a_quote_left_open_is_named(self, database, settings, network, client_as):
        client = await client_as(network.hq_email, PASSWORD)
        body = (HEADER + b"LYON,Lyon,FR,fr-FR,Europe/Paris,Lyon\n" + b'NICE,"Nice,FR,fr-FR,Europe/Paris,Nice\n'
                + b"x" * 140_000 + b"\n")
        answer = await client.post("/api/v1/locations/import", content=body, headers={"Content-Type": "text/csv"})
        assert answer.status_code == 422
        assert [(error["line"], error["field"]) for error in answer.json()["errors"]] == [(3, "")]


# ---------------------------------------------------------------- URLs the server calls


class Receiver:
    """An HTTP server on loopback: records requests and answers with `behaviour(handler)`."""

    def __init__(self, behaviour) -> None:
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"path": self.path, "host": self.headers.get("Host")})
                try:
                    behaviour(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client had read enough and left

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def answer(status: int, body: bytes = b"ok", headers: dict[str, str] | None = None):
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
    return behave


def drip(handler: BaseHTTPRequestHandler) -> None:
    """A 500 whose body comes one byte every half second, for a minute."""
    handler.send_response(500)
    handler.send_header("Content-Length", "120")
    handler.end_headers()
    for _ in range(120):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(0.5)


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    started: list[Receiver] = []
    yield started
    for receiver in started:
        receiver.close()


async def deliver_once(database, settings, network, url: str) -> WebhookDelivery:
    """Register `url` (with loopback allowed, so it is accepted), emit one event, make one attempt with `settings`."""
    async with database.session() as session:
        webhook = await webhooks.create_webhook(
            session, settings.model_copy(update={"webhooks_allow_private": True}),
            await _hq_actor(session, network), url=url, events=["proposal.decided"], secret="s" * 24)
        await webhooks.emit(session, network.brand_id, "proposal.decided", "proposal.decided:p1", {"proposal_id": "p1"})
    async with database.session() as session:
        delivery = await session.scalar(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id))
    await webhooks.deliver(database, settings, delivery.id)
    async with database.session() as session:
        return await session.get(WebhookDelivery, delivery.id)


async def _hq_actor(session, network):
    from hub.accounts import service as accounts
    from hub.accounts.models import User

    user = await session.scalar(select(User).where(User.email == network.hq_email))
    return await accounts.actor_for(session, user, "en")


class TestRemoteUrls:
    async def test_loopback_targets_are_refused_when_registered_and_when_delivering(
            self, database, settings, network, client_as, receivers):
        receiver = Receiver(answer(200))
        receivers.append(receiver)
        client = await client_as(network.hq_email, PASSWORD)
        for url in (receiver.url, f"http://localhost:{receiver.port}/", f"http://[::1]:{receiver.port}/",
                    f"http://[::ffff:127.0.0.1]:{receiver.port}/", "http://169.254.169.254/latest/meta-data/",
                    "http://10.0.0.1/", "http://0.0.0.0/"):
            refused = await client.post("/api/v1/webhooks", json={"url": url, "events": ["proposal.decided"],
                                                                   "secret": "s" * 24})
            assert refused.status_code == 422, url
        # A name is checked where it leads, at each delivery: this machine's own name leads to loopback.
        name = socket.gethostname()
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
        if not any(webhooks._is_private(address) for address in addresses):
            pytest.skip(f"{name} resolves to a public address here")
        delivery = await deliver_once(database, settings, network, f"http://{name}:{receiver.port}/hooks")
        assert settings.webhooks_allow_private is False
        assert delivery.status == "pending" and "private, loopback or link-local" in delivery.last_error
        assert receiver.requests == []

    async def test_a_redirect_is_never_followed(self, database, settings, network, client_as, receivers):
        inside = Receiver(answer(200))
        outside = Receiver(answer(307, headers={"Location": inside.url}))
        receivers.extend([inside, outside])
        allowed = settings.model_copy(update={"webhooks_allow_private": True})
        delivery = await deliver_once(database, allowed, network, outside.url)
        assert len(outside.requests) == 1 and inside.requests == []
        assert delivery.status == "pending" and delivery.last_status_code == 307

    async def test_the_connection_goes_to_the_address_checked_under_the_name_given(
            self, database, settings, network, client_as, receivers):
        receiver = Receiver(answer(200))
        receivers.append(receiver)
        allowed = settings.model_copy(update={"webhooks_allow_private": True})
        delivery = await deliver_once(database, allowed, network, f"http://localhost:{receiver.port}/hooks")
        assert delivery.status == "delivered"
        # Resolved once and connected to by address; the receiver still sees the name it was given.
        assert receiver.requests == [{"path": "/hooks", "host": f"localhost:{receiver.port}"}]

    async def test_only_the_start_of_a_huge_answer_is_read(self, database, settings, network, client_as, receivers):
        receiver = Receiver(answer(500, b"<html>" + b"x" * 20_000_000))
        receivers.append(receiver)
        allowed = settings.model_copy(update={"webhooks_allow_private": True})
        started = time.monotonic()
        delivery = await deliver_once(database, allowed, network, receiver.url)
        assert time.monotonic() - started < 10
        assert delivery.last_status_code == 500 and len(delivery.last_error) <= webhooks.ERROR_EXCERPT + 20

    async def test_a_receiver_that_drips_its_answer_is_left_after_the_attempts_time(
            self, database, settings, network, client_as, receivers, monkeypatch):
        monkeypatch.setattr(webhooks, "ATTEMPT_SECONDS", 2.0)
        receiver = Receiver(drip)
        receivers.append(receiver)
        allowed = settings.model_copy(update={"webhooks_allow_private": True})
        started = time.monotonic()
        delivery = await asyncio.wait_for(deliver_once(database, allowed, network, receiver.url), 30)
        assert time.monotonic() - started < 10
        assert delivery.status == "pending" and delivery.last_error == "No complete answer within 2 s."
