"""Uploads checked by content, fonts checked by loading them, and each proposal's image rendered once."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from hub.db import utcnow
from hub.media.models import Media
from hub.media.text import FONTS_DIR
from hub.proposals.models import DistributionChunk
from hub.proposals.service import fan_out_chunk
from tests.factories import PASSWORD, make_network
from hub.media.samples import logo_png, photo_png


def jpeg_with_exif(width=400, height=300) -> bytes:
    image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS position
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def encoded(kind: str, size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, kind)
    return buffer.getvalue()


@pytest.fixture
async def hq(database, settings, client_as):
    network = await make_network(database, settings, locations=2, networks=("instagram", "facebook"))
    client = await client_as(network.hq_email, PASSWORD)
    client.network = network
    return client


async def media_count(database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Media))


async def upload(client, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return await client.post("/api/v1/media", files={"file": (name, data, content_type)})


class TestUploads:
    async def test_jpeg_is_turned_upright_and_stripped_of_its_metadata(self, hq, settings):
        response = await upload(hq, jpeg_with_exif())
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["width"], body["height"], body["content_type"]) == (300, 400, "image/jpeg")
        stored = next((Path(settings.var_dir) / "media" / "library").iterdir()).read_bytes()
        with Image.open(io.BytesIO(stored)) as image:
            assert image.size == (300, 400)
            assert not image.getexif()

    @pytest.mark.parametrize("kind", ["PNG", "WEBP"])
    async def test_png_and_webp_are_accepted(self, hq, kind):
        response = await upload(hq, encoded(kind), name="x.bin", content_type="application/octet-stream")
        assert response.status_code == 201, response.text
        assert response.json()["content_type"] == f"image/{kind.lower()}"

    async def test_the_same_picture_twice_is_stored_once(self, hq, database):
        first, second = (await upload(hq, encoded("PNG"))).json(), (await upload(hq, encoded("PNG"))).json()
        assert first["id"] == second["id"] and await media_count(database) == 1

    @pytest.mark.parametrize(("data", "name", "status", "words"), [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg", 415, "SVG"),
        (b"GIF89a" + b"\x00" * 40, "anim.jpg", 415, "JPEG"),
        (b"just some text renamed", "photo.jpg", 415, "JPEG, PNG or WebP"),
        (encoded("JPEG", (800, 600))[:300], "cut.jpg", 422, "damaged or truncated"),
        (b"%PDF-1.4 polyglot" + encoded("PNG"), "doc.png", 415, "JPEG, PNG or WebP"),
    ])
    async def test_bad_files_get_a_clear_4xx_and_nothing_is_stored(self, hq, database, settings, data, name, status, words):
        response = await upload(hq, data, name=name)
        assert response.status_code == status, response.text
        assert words in response.json()["detail"]
        assert await media_count(database) == 0
        assert not (Path(settings.var_dir) / "media" / "library").exists() or \
            not any((Path(settings.var_dir) / "media" / "library").iterdir())

    async def test_a_decompression_bomb_is_refused(self, hq, database):
        buffer = io.BytesIO()
        Image.new("1", (20000, 20000)).save(buffer, "PNG")  # 400 Mpx in a few dozen KB
        response = await upload(hq, buffer.getvalue(), name="bomb.png")
        assert response.status_code == 413, response.text
        assert "too many pixels" in response.json()["detail"]
        assert await media_count(database) == 0

    async def test_a_file_over_the_size_limit_is_refused(self, hq, app, database):
        app.state.settings = app.state.settings.model_copy(update={"media_max_bytes": 1000})
        response = await upload(hq, encoded("PNG", (400, 400)) + b"\x00" * 2000)
        assert response.status_code == 413
        assert await media_count(database) == 0

    async def test_a_missing_file_field_says_how_to_send_it(self, hq):
        response = await hq.post("/api/v1/media", data={"x": "1"})
        assert response.status_code == 422
        assert "multipart/form-data" in response.json()["detail"]


class TestFonts:
    async def test_a_real_font_is_loaded_and_named(self, hq):
        data = (FONTS_DIR / "NotoSans-Bold.ttf").read_bytes()
        response = await hq.post("/api/v1/brand-kit/fonts", params={"role": "heading"},
                                 files={"file": ("brand.ttf", data, "font/ttf")})
        assert response.status_code == 201, response.text
        assert response.json()["family"] == "Noto Sans" and response.json()["glyphs"] > 500
        assert [font["role"] for font in (await hq.get("/api/v1/brand-kit/fonts")).json()] == ["heading"]

    @pytest.mark.parametrize(("data", "status"), [
        (b"not a font at all", 415),
        ((FONTS_DIR / "NotoSans-Regular.ttf").read_bytes()[:2000], 422),
    ])
    async def test_broken_fonts_are_refused(self, hq, data, status):
        response = await hq.post("/api/v1/brand-kit/fonts", params={"role": "body"},
                                 files={"file": ("brand.ttf", data, "font/ttf")})
        assert response.status_code == status, response.text
        assert (await hq.get("/api/v1/brand-kit/fonts")).json() == []


async def _post_with_image(hq, database, headline="Vélo Lumière {city}", policy="auto_publish"):
    photo = (await upload(hq, photo_png(), name="photo.png")).json()
    logo = (await upload(hq, logo_png(), name="logo.png")).json()
    kit = (await hq.get("/api/v1/brand-kit")).json()
    await hq.put("/api/v1/brand-kit", json={**kit, "logo_media_id": logo["id"]})
    campaign = (await hq.post("/api/v1/campaigns", json={"name": "C", "approval_policy": policy})).json()
    response = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
        "body": "Le printemps à {city}", "networks": ["instagram", "facebook"], "media_id": photo["id"],
        "image_texts": {"headline": headline, "cta": "Réservez", "legal": "Offre soumise à conditions"}})
    assert response.status_code == 201, response.text
    post = response.json()
    await hq.post(f"/api/v1/posts/{post['id']}/distribute")
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id)))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)
    return post


def renders(settings) -> list[Path]:
    folder = Path(settings.var_dir) / "media" / "renders"
    return sorted(folder.glob("*.jpg")) if folder.exists() else []


class TestProposalImages:
    async def test_each_location_gets_its_image_at_each_network_size_rendered_once(self, hq, database, settings):
        for path in renders(settings):
            path.unlink()
        await _post_with_image(hq, database)
        proposals = (await hq.get("/api/v1/proposals")).json()
        assert len(proposals) == 2 and renders(settings) == []  # nothing rendered at fan-out
        detail = (await hq.get(f"/api/v1/proposals/{proposals[0]['id']}")).json()
        assert set(detail["images"]) == {"instagram", "facebook"}
        sizes = {}
        for network in ("instagram", "facebook"):
            response = await hq.get(f"/api/v1/proposals/{proposals[0]['id']}/images/{network}")
            assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
            sizes[network] = Image.open(io.BytesIO(response.content)).size
        assert sizes == {"instagram": (1080, 1350), "facebook": (1200, 630)}
        assert len(renders(settings)) == 2
        again = await hq.get(f"/api/v1/proposals/{proposals[0]['id']}/images/instagram")
        assert again.status_code == 200 and len(renders(settings)) == 2  # served from storage, not rendered again
        other = await hq.get(f"/api/v1/proposals/{proposals[1]['id']}/images/instagram")
        assert other.content != again.content and len(renders(settings)) == 3  # another city, another image

    async def test_published_posts_carry_a_signed_expiring_image_link(self, hq, database, settings, app):
        import httpx

        from hub.media.service import public_render_url
        from hub.publishing import service as publishing
        from hub.publishing.models import Publication, SandboxPost

        await _post_with_image(hq, database)
        async with database.session() as session:
            publication_ids = list(await session.scalars(select(Publication.id)))
        for publication_id in publication_ids:
            assert await publishing.publish(database, settings, publication_id) == "published"
        async with database.session() as session:
            urls = list(await session.scalars(select(SandboxPost.image_url)))
        assert len(urls) == 4 and all(url.startswith("http://testserver/renders/") for url in urls)
        assert all("expires=" in url and "signature=" in url for url in urls)
        path = urls[0].removeprefix("http://testserver")
        key = path.split("/renders/")[1].split(".jpg")[0]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as anonymous:
            response = await anonymous.get(path)
            assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
            assert response.headers["cache-control"].startswith("public")
            # Without the signature, a tampered one or an expired one, a stranger gets nothing.
            assert (await anonymous.get(f"/renders/{key}.jpg")).status_code in (302, 303, 401)
            assert (await anonymous.get(path[:-4] + "0000")).status_code in (302, 303, 401)
            expired = public_render_url(settings, key, now=utcnow() - timedelta(days=2)).removeprefix("http://testserver")
            assert (await anonymous.get(expired)).status_code in (302, 303, 401)
        # The public address is PIEUVRE_PUBLIC_URL when set (networks must reach it from outside).
        settings.public_url = "https://pieuvre.example.com/"
        try:
            assert public_render_url(settings, key).startswith(f"https://pieuvre.example.com/renders/{key}.jpg?expires=")
        finally:
            settings.public_url = None

    async def test_a_headline_that_cannot_fit_blocks_the_proposal(self, hq, database, settings):
        from hub.publishing import service as publishing
        from hub.publishing.models import Publication

        await _post_with_image(hq, database, headline=" ".join(["Anticonstitutionnellement"] * 11))
        [proposal, _] = (await hq.get("/api/v1/proposals")).json()
        assert (await hq.get(f"/api/v1/proposals/{proposal['id']}/images/instagram")).status_code == 200
        detail = (await hq.get(f"/api/v1/proposals/{proposal['id']}")).json()
        overflow = [item for item in detail["findings"] if item["rule"] == "image.text_overflow"]
        assert overflow and overflow[0]["severity"] == "error" and detail["blocked"] is True
        async with database.session() as session:
            publication_ids = list(await session.scalars(
                select(Publication.id).where(Publication.proposal_id == proposal["id"])))
        results = {await publishing.publish(database, settings, pid) for pid in publication_ids}
        assert results == {"failed"}

    async def test_another_brands_image_cannot_be_used_or_seen(self, hq, database, settings, client_as):
        other = await make_network(database, settings, locations=1, slug="other", name="Autre")
        other_hq = await client_as(other.hq_email, PASSWORD)
        photo = (await upload(hq, encoded("PNG"))).json()
        campaign = (await other_hq.post("/api/v1/campaigns", json={"name": "C"})).json()
        response = await other_hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": "Hi", "networks": ["facebook"], "media_id": photo["id"]})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "media_id"


async def test_images_due_soon_are_rendered_ahead_by_the_worker(hq, database, settings, redis_pool):
    from tests.workers.helpers import run_burst_worker, worker_context
    from workers.publishing import dispatch_due

    await _post_with_image(hq, database)  # auto_publish: due now
    from hub.proposals.models import ProposalImage

    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(ProposalImage)) == 0
    await dispatch_due(worker_context(database, settings, redis_pool))
    await run_burst_worker(settings)
    async with database.session() as session:
        rows = (await session.execute(select(ProposalImage.proposal_id, ProposalImage.network))).all()
    assert len(rows) == 4 and {network for _, network in rows} == {"instagram", "facebook"}
    assert len(renders(settings)) == 4


class TestLocalImageTexts:
    async def test_locations_change_only_the_zones_hq_left_editable(self, hq, database, settings, client_as):
        await _post_with_image(hq, database, policy="approval_required")
        kit = (await hq.get("/api/v1/brand-kit")).json()
        assert kit["editable_zones"] == ["headline", "subline", "cta"]
        await hq.put("/api/v1/brand-kit", json={**kit, "editable_zones": ["headline"],
                                                "tone": {"banned_terms": [{"term": "gratuit"}]}})
        location = hq.network.locations[0]
        local = await client_as(hq.network.local_emails[location.id], PASSWORD)
        [proposal] = (await local.get("/api/v1/proposals")).json()
        before = (await local.get(f"/api/v1/proposals/{proposal['id']}/images/facebook")).content

        locked = await local.post(f"/api/v1/proposals/{proposal['id']}/customize",
                                  json={"image_texts": {"legal": "Rien"}})
        assert locked.status_code == 403 and "legal" in locked.json()["detail"]
        banned = await local.post(f"/api/v1/proposals/{proposal['id']}/customize",
                                  json={"image_texts": {"headline": "Vélo gratuit à {city}"}})
        assert banned.status_code == 422 and banned.json()["errors"][0]["rule"] == "tone.banned_term"

        response = await local.post(f"/api/v1/proposals/{proposal['id']}/customize",
                                    json={"image_texts": {"headline": "Nos vélos à {city}"}})
        assert response.status_code == 200, response.text
        after = (await local.get(f"/api/v1/proposals/{proposal['id']}/images/facebook")).content
        assert after != before

    async def test_a_custom_template_is_validated(self, hq):
        kit = (await hq.get("/api/v1/brand-kit")).json()
        response = await hq.put("/api/v1/brand-kit", json={**kit, "image_template": {"name": "x", "bogus": 1}})
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "image_template"
        assert "bogus" in response.json()["errors"][0]["message"]
