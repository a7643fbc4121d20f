"""The brand studio pages: brand kit, media library, and the live previews of the editor and of customization."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from hub.media.models import Media
from hub.media.samples import logo_png, photo_png
from hub.media.text import FONTS_DIR
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of, sent_campaign

HTMX = {"HX-Request": "true"}
RENDER = re.compile(r'src="(/renders/([0-9a-f]{64})\.jpg)"')
PALETTE = {"palette-primary": "#1D3557", "palette-secondary": "#0F172A", "palette-accent": "#F4A261",
           "palette-text": "#FFFFFF", "palette-background": "#F8FAFC"}
BANNED = "The brand does not say “pas cher”: write “petit prix” instead."


def kit_form(token: str, **fields: str | list[str]) -> dict[str, str | list[str]]:
    """The brand-kit form as a browser sends it: palette, one banned term, the limits, and `fields` on top."""
    return {"csrf_token": token, **PALETTE, "banned-0-term": "pas cher", "banned-0-replacement": "petit prix",
            "banned-0-languages": "fr", "mention-0-text": "#VeloLumiere", "mention-0-networks": ["instagram"],
            "max_hashtags": "", "max_emoji": "3", "max_exclamation_marks": "2", "max_caps_words": "",
            "formality-fr": "vous", "formality-de": "", "formality-es": "", "signature-text": "",
            "instagram_hashtag_cap": "5", **fields}


async def media_count(database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Media))


async def hq_editor(database, network) -> str:
    from hub.accounts import service as accounts

    async with database.session() as session:
        user = await accounts.create_user(session, email="editor@velo.test", password=PASSWORD)
        await accounts.add_membership(session, user, network.brand_id, "hq_editor")
    return user.email


async def campaign_page(client, database, settings, network) -> tuple[str, str]:
    """A campaign of the network (with one post sent), its id and the page's CSRF token."""
    ids = await sent_campaign(database, settings, network)
    page = await client.get(f"/campaigns/{ids['campaign_id']}")
    return ids["campaign_id"], csrf_of(page.text)


async def upload_photo(client, token: str) -> None:
    """A photo in the library, through the media page."""
    response = await client.post("/media", data={"csrf_token": token},
                                 files={"file": ("photo.png", photo_png(800, 600), "image/png")})
    assert response.status_code == 303, response.text


class TestBrandKitPage:
    async def test_saved_tone_rules_are_enforced_on_the_next_post(self, database, settings, web_client):
        network = await make_network(database, settings, locations=2)
        client = await web_client(network.hq_email)
        campaign_id, token = await campaign_page(client, database, settings, network)
        page = await client.get("/brand-kit")
        assert page.status_code == 200 and 'data-testid="brand-kit-form"' in page.text
        saved = await client.post("/brand-kit", data=kit_form(csrf_of(page.text)))
        assert saved.status_code == 303 and saved.headers["location"] == "/brand-kit?saved=saved"
        again = await client.get(saved.headers["location"])
        assert 'value="pas cher"' in again.text and 'value="petit prix"' in again.text
        assert 'data-testid="kit-notice"' in again.text
        assert re.search(r'<option value="vous"\s+selected>', again.text)

        response = await client.post(f"/campaigns/{campaign_id}/posts", data={
            "csrf_token": token, "body": "Des vélos pas cher à {city}", "networks": ["facebook"], "editable": "free"})
        assert response.status_code == 422
        assert BANNED in response.text
        assert "Des vélos pas cher à {city}" in response.text  # the text is kept to be fixed

    async def test_wrong_fields_come_back_beside_their_input(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        token = csrf_of((await client.get("/brand-kit")).text)
        response = await client.post("/brand-kit", data=kit_form(
            token, **{"palette-primary": "blue", "max_emoji": "lots", "banned-0-languages": "French",
                      "mention-0-networks": ["myspace"]}))
        assert response.status_code == 422
        html = response.text
        assert 'data-testid="kit-error"' in html
        assert re.search(r'id="palette-primary" name="palette-primary" value="blue"[^>]*aria-invalid="true"', html)
        assert 'id="palette-primary-errors"' in html and "Write colours as #RRGGBB" in html
        assert 'id="max_emoji-errors"' in html and 'value="lots"' in html
        assert 'id="banned-0-languages-errors"' in html and 'value="French"' in html
        assert 'id="mention-0-networks-errors"' in html
        # Nothing was saved.
        kit_page = await client.get("/brand-kit")
        assert 'value="pas cher"' not in kit_page.text

    async def test_an_hq_editor_reads_the_kit_but_cannot_save_it(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        admin = await web_client(network.hq_email)
        await admin.post("/brand-kit", data=kit_form(csrf_of((await admin.get("/brand-kit")).text)))
        editor = await web_client(await hq_editor(database, network))
        page = await editor.get("/brand-kit")
        assert page.status_code == 200
        assert 'data-testid="read-only"' in page.text and 'value="pas cher"' in page.text
        assert 'data-testid="save-kit"' not in page.text and " disabled" in page.text
        refused = await editor.post("/brand-kit", data=kit_form(csrf_of(page.text), **{"banned-0-term": "bon marché"}))
        assert refused.status_code == 403
        logo = await editor.post("/brand-kit/logo", data={"csrf_token": csrf_of(page.text)},
                                 files={"file": ("logo.png", logo_png(), "image/png")})
        assert logo.status_code == 403 and await media_count(database) == 0
        assert 'value="pas cher"' in (await admin.get("/brand-kit")).text

    async def test_locals_do_not_see_the_brand_kit(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        local = await web_client(network.local_emails[network.locations[0].id])
        assert (await local.get("/brand-kit")).status_code == 403

    async def test_the_logo_is_uploaded_and_shown_and_a_bad_font_says_why(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        token = csrf_of((await client.get("/brand-kit")).text)
        response = await client.post("/brand-kit/logo", data={"csrf_token": token},
                                     files={"file": ("logo.png", logo_png(), "image/png")})
        assert response.status_code == 303
        page = await client.get(response.headers["location"])
        logo_id = re.search(r'<img src="/media/([0-9a-f]+)" alt="The brand logo">', page.text).group(1)
        assert (await client.get(f"/media/{logo_id}")).headers["content-type"] == "image/png"
        assert RENDER.search(page.text), "the sample image of the brand template is shown"

        bad = await client.post("/brand-kit/fonts", data={"csrf_token": token, "role": "heading"},
                                files={"file": ("brand.ttf", b"definitely not a font", "font/ttf")})
        assert bad.status_code == 415
        assert 'data-testid="font-error"' in bad.text and "This is not a TTF or OTF font file" in bad.text
        good = await client.post("/brand-kit/fonts", data={"csrf_token": token, "role": "heading"},
                                 files={"file": ("brand.ttf", (FONTS_DIR / "NotoSans-Bold.ttf").read_bytes(), "font/ttf")})
        assert good.status_code == 303
        fonts = await client.get("/brand-kit")
        row = fonts.text.split('data-testid="font-heading"')[1].split("</li>")[0]
        assert "Noto Sans" in row and "Bold" in row and re.search(r"\d[\d,]* characters", row)


class TestMediaPage:
    async def test_an_svg_is_refused_with_the_clear_message_and_nothing_is_stored(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        page = await client.get("/media")
        assert page.status_code == 200 and "The library is empty." in page.text
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        response = await client.post("/media", data={"csrf_token": csrf_of(page.text)},
                                     files={"file": ("logo.svg", svg, "image/svg+xml")})
        assert response.status_code == 415
        refused = response.text.split('data-testid="upload-refused"')[1].split("</div>")[0]
        assert "logo.svg" in refused and "SVG and other formats are refused" in refused
        assert "<script>alert(1)</script>" not in response.text
        assert await media_count(database) == 0
        library = Path(settings.var_dir) / "media" / "library"
        assert not library.exists() or not any(library.iterdir())

    async def test_uploaded_images_fill_the_grid(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        local = await web_client(network.local_emails[network.locations[0].id])
        token = csrf_of((await local.get("/media")).text)
        response = await local.post("/media", data={"csrf_token": token}, files=[
            ("file", ("sunset.png", photo_png(640, 480), "image/png")),
            ("file", ("notes.txt", b"hello", "text/plain")),
        ])
        assert response.status_code == 415  # one refused: said in place, the other kept
        assert "1 file(s) added" in response.text and "notes.txt" in response.text
        page = await local.get("/media")
        item = page.text.split('data-testid="library-item"')[1]
        assert "sunset.png" in item and "640 × 480" in item and "PNG" in item
        assert await media_count(database) == 1

    async def test_a_video_larger_than_the_image_limit_is_kept_whole(self, database, settings, web_client):
        from hub.media.models import Media

        network = await make_network(database, settings, locations=1)
        hq = await web_client(network.hq_email)
        token = csrf_of((await hq.get("/media")).text)
        video = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * (settings.media_max_bytes + 1000)
        response = await hq.post("/media", data={"csrf_token": token},
                                 files={"file": ("spring.mp4", video, "video/mp4")})
        assert response.status_code == 303, response.text
        async with database.session() as session:
            [item] = list(await session.scalars(select(Media)))
        assert (item.content_type, item.size_bytes) == ("video/mp4", len(video))

    async def test_viewers_cannot_open_it(self, database, settings, web_client):
        from hub.accounts import service as accounts

        network = await make_network(database, settings, locations=1)
        async with database.session() as session:
            user = await accounts.create_user(session, email="viewer@velo.test", password=PASSWORD)
            await accounts.add_membership(session, user, network.brand_id, "viewer")
        viewer = await web_client("viewer@velo.test")
        assert (await viewer.get("/media")).status_code == 403


class TestEditorPreview:
    async def test_the_preview_counts_and_highlights_a_banned_term(self, database, settings, web_client):
        network = await make_network(database, settings, locations=2)
        client = await web_client(network.hq_email)
        campaign_id, token = await campaign_page(client, database, settings, network)
        await client.post("/brand-kit", data=kit_form(token))
        body = "Vélos pas cher à {city} <b>!</b>"
        response = await client.post(f"/campaigns/{campaign_id}/posts/preview", headers={**HTMX, "X-CSRF-Token": token},
                                     data={"body": body, "networks": ["x", "facebook"]})
        assert response.status_code == 200
        html = response.text
        assert html.lstrip().startswith('<div id="post-preview"')
        assert f'<mark class="finding finding--error" title="{BANNED}">pas cher</mark>' in html
        # Everything else is escaped, and the variable shows the sample location's value.
        assert "&lt;b&gt;!&lt;/b&gt;" in html and "<b>" not in html
        assert '<mark class="var" title="{city}">Ville0</mark>' in html
        assert "Preview for Vélo Lumière 0" in html
        counter = html.split('data-testid="usage-x"')[1].split("</span>\n</span>")[0]
        assert f"<strong>{len(body)}</strong> / 280" in counter
        assert 'data-testid="preview-facebook"' in html and 'data-testid="preview-instagram"' not in html
        assert "netcard--x" in html and "netcard--facebook" in html

    async def test_a_too_long_x_text_marks_only_what_goes_past_the_limit(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        campaign_id, token = await campaign_page(client, database, settings, network)
        body = "a" * 275 + "🚲" * 10  # X counts each emoji 2: 295
        response = await client.post(f"/campaigns/{campaign_id}/posts/preview", headers={**HTMX, "X-CSRF-Token": token},
                                     data={"body": body, "networks": ["x"]})
        assert "<strong>295</strong> / 280" in response.text and "usage--over" in response.text
        marked = re.search(r'<mark class="finding finding--error" title="X accepts 280[^"]*">([^<]*)</mark>', response.text)
        assert marked and marked.group(1) == "🚲" * 8  # 275 + 2 bikes = 279 fit, the third would make 281

    async def test_a_photo_gives_each_network_its_rendered_image_once(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        campaign_id, token = await campaign_page(client, database, settings, network)
        await upload_photo(client, token)
        page = await client.get(f"/campaigns/{campaign_id}")
        media_id = re.search(r'name="media_id" value="([0-9a-f]+)"', page.text).group(1)
        form = {"body": "Printemps à {city}", "networks": ["x", "instagram"], "media_id": media_id,
                "image_headline": "Le printemps à {city}", "image_cta": "Réservez"}
        response = await client.post(f"/campaigns/{campaign_id}/posts/preview",
                                     headers={**HTMX, "X-CSRF-Token": token}, data=form)
        assert response.status_code == 200
        x_card = response.text.split('data-testid="preview-x"')[1].split('data-testid="preview-instagram"')[0]
        url, key = RENDER.search(x_card).groups()
        image = await client.get(url)
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
        with Image.open(io.BytesIO(image.content)) as picture:
            assert picture.format == "JPEG" and picture.size == (1200, 675)
        instagram_key = RENDER.search(response.text.split('data-testid="preview-instagram"')[1]).group(2)
        with Image.open(io.BytesIO((await client.get(f"/renders/{instagram_key}.jpg")).content)) as picture:
            assert picture.size == (1080, 1350)

        # The same inputs again: the same stored render, not a new one.
        stored = Path(settings.var_dir) / "media" / "renders" / f"{key}.jpg"
        written = stored.stat().st_mtime_ns
        again = await client.post(f"/campaigns/{campaign_id}/posts/preview",
                                  headers={**HTMX, "X-CSRF-Token": token}, data=form)
        assert RENDER.search(again.text.split('data-testid="preview-x"')[1]).group(2) == key
        assert stored.stat().st_mtime_ns == written
        renders = [path for path in stored.parent.iterdir() if path.suffix == ".jpg"]
        assert len(renders) == 2  # one per network, nothing more

    async def test_the_form_creates_the_post_with_its_photo_and_image_texts(self, database, settings, web_client):
        from hub.campaigns.models import PostRevision

        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        campaign_id, token = await campaign_page(client, database, settings, network)
        await upload_photo(client, token)
        page = await client.get(f"/campaigns/{campaign_id}")
        media_id = re.search(r'name="media_id" value="([0-9a-f]+)"', page.text).group(1)
        response = await client.post(f"/campaigns/{campaign_id}/posts", data={
            "csrf_token": token, "body": "Le printemps à {city}", "networks": ["facebook"], "editable": "free",
            "media_id": media_id, "image_headline": "Printemps", "image_subline": "", "image_cta": "Réservez",
            "image_legal": ""})
        assert response.status_code == 303, response.text
        async with database.session() as session:
            revision = await session.scalar(select(PostRevision).where(PostRevision.body == "Le printemps à {city}"))
        assert revision.image == {"media_id": media_id, "texts": {"headline": "Printemps", "cta": "Réservez"}}

    async def test_an_unknown_photo_comes_back_on_the_form(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email)
        campaign_id, token = await campaign_page(client, database, settings, network)
        response = await client.post(f"/campaigns/{campaign_id}/posts", data={
            "csrf_token": token, "body": "Bonjour", "networks": ["facebook"], "media_id": "f" * 32})
        assert response.status_code == 422
        assert 'id="media_id-errors"' in response.text and "Bonjour</textarea>" in response.text
        assert "Pick the photo again" in response.text.split('id="media_id-errors"')[1]

    async def test_locals_cannot_use_the_editor_preview(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        hq = await web_client(network.hq_email)
        campaign_id, _token = await campaign_page(hq, database, settings, network)
        local = await web_client(network.local_emails[network.locations[0].id])
        token = csrf_of((await local.get("/inbox")).text)
        response = await local.post(f"/campaigns/{campaign_id}/posts/preview", headers={**HTMX, "X-CSRF-Token": token},
                                    data={"body": "x", "networks": ["x"]})
        assert response.status_code == 404


class TestProposalLiveLint:
    async def test_a_too_long_x_text_shows_its_findings_and_counter_while_typing(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1, networks=("x", "facebook"))
        ids = await sent_campaign(database, settings, network, body="Bonjour {city}", networks=("x", "facebook"))
        location = network.locations[0]
        client = await web_client(network.local_emails[location.id])
        page = await client.get(f"/proposals/{ids[location.id]}")
        assert 'data-testid="live-x"' in page.text and "<strong>14</strong> / 280" in page.text
        assert 'hx-post="/proposals/' in page.text
        typed = "Chez nous à {city} " + "x" * 300
        response = await client.post(f"/proposals/{ids[location.id]}/preview",
                                     headers={**HTMX, "X-CSRF-Token": csrf_of(page.text)},
                                     data={"text_x": typed, "text_facebook": "Court"})
        assert response.status_code == 200
        html = response.text
        live_x = html.split('<div id="live-x"')[1].split('<div id="live-facebook"')[0]
        filled = "Chez nous à Ville0 " + "x" * 300
        assert 'hx-swap-oob="true"' in live_x and "usage--over" in live_x
        assert f"<strong>{len(filled)}</strong> / 280" in live_x
        assert "X accepts 280 weighted characters; this text has 319: shorten it by 39." in live_x
        assert '<mark class="finding finding--error"' in html.split('<div id="live-x"')[0]  # in the preview card
        assert "Court" in html and "Ready" in html.split('<div id="live-facebook"')[1]
        # Nothing was decided: the live check only reads.
        from hub.proposals.models import Proposal

        async with database.session() as session:
            assert (await session.get(Proposal, ids[location.id])).status == "pending"

    async def test_the_proposal_shows_its_image_when_the_post_has_one(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        hq = await web_client(network.hq_email)
        campaign_id, token = await campaign_page(hq, database, settings, network)
        await upload_photo(hq, token)
        page = await hq.get(f"/campaigns/{campaign_id}")
        media_id = re.search(r'name="media_id" value="([0-9a-f]+)"', page.text).group(1)
        created = await hq.post(f"/campaigns/{campaign_id}/posts", data={
            "csrf_token": token, "body": "Photo à {city}", "networks": ["facebook"], "media_id": media_id,
            "image_headline": "Bonjour {city}"})
        assert created.status_code == 303
        post_id = created.headers["location"].split("#post-")[1]
        from hub.proposals import service as proposals
        from hub.proposals.models import DistributionChunk, Proposal

        sent = await hq.post(f"/posts/{post_id}/distribute", data={"csrf_token": token})
        assert sent.status_code == 303
        async with database.session() as session:
            for chunk_id in list(await session.scalars(select(DistributionChunk.id))):
                await proposals.fan_out_chunk(session, chunk_id)
        async with database.session() as session:
            proposal = await session.scalar(select(Proposal).where(Proposal.post_id == post_id))
        local = await web_client(network.local_emails[network.locations[0].id])
        page = await local.get(f"/proposals/{proposal.id}")
        src = f"/proposals/{proposal.id}/images/facebook.jpg"
        assert f'src="{src}"' in page.text
        image = await local.get(src)
        assert image.status_code == 200
        with Image.open(io.BytesIO(image.content)) as picture:
            assert picture.size == (1200, 630)


class TestHighlight:
    def test_overlapping_spans_never_cross_and_everything_is_escaped(self):
        from hub.web.pages import router  # noqa: F401  (pages first: it includes the studio)
        from hub.web.studio import highlight

        text = "<i>AB</i> CD EF"
        findings = [
            {"rule": "r1", "severity": "warning", "network": "facebook", "start": 7, "end": 12,
             "message": "first", "values": {}},
            {"rule": "r2", "severity": "error", "network": "facebook", "start": 10, "end": 15,
             "message": "second", "values": {}},
            {"rule": "r3", "severity": "error", "network": "facebook", "start": 15, "end": 15,
             "message": "nowhere", "values": {}},
        ]
        html = str(highlight(text, findings, "en"))
        assert html == ('&lt;i&gt;AB&lt;/'
                        '<mark class="finding finding--warning" title="first">i&gt; </mark>'
                        '<mark class="finding finding--error" title="first · second">CD</mark>'
                        '<mark class="finding finding--error" title="second"> EF</mark>')

    def test_a_span_on_a_variable_covers_its_value(self):
        from hub.web.pages import router  # noqa: F401
        from hub.web.studio import highlight

        findings = [{"rule": "network.phone_number", "severity": "error", "network": "google_business",
                     "start": 9, "end": 14, "message": "no {number}", "values": {"number": "{phone}"}}]
        html = str(highlight("Appelez {phone} !", findings, "en", {"phone": "+33 1 23 45 67 89"}))
        assert html == ('Appelez <mark class="finding finding--error" title="no {phone}">'
                        '<mark class="var" title="{phone}">+33 1 23 45 67 89</mark></mark> !')


@pytest.mark.parametrize("path", ["/brand-kit", "/media"])
async def test_hq_finds_the_studio_in_the_menu(database, settings, web_client, path):
    network = await make_network(database, settings, locations=1)
    client = await web_client(network.hq_email)
    page = await client.get(path)
    assert re.search(rf'<a href="{path}" aria-current="page">', page.text)
    local = await web_client(network.local_emails[network.locations[0].id])
    assert f'href="{path}"' not in (await local.get("/inbox")).text


async def test_the_studio_speaks_french(database, settings, web_client):
    network = await make_network(database, settings, locations=1)
    client = await web_client(network.hq_email, language="fr")
    campaign_id, token = await campaign_page(client, database, settings, network)
    kit = await client.get("/brand-kit")
    assert kit.status_code == 200 and "Charte de marque" in kit.text and "Termes interdits" in kit.text
    assert "Médiathèque" in (await client.get("/media")).text
    await client.post("/brand-kit", data=kit_form(token))
    preview = await client.post(f"/campaigns/{campaign_id}/posts/preview", headers={**HTMX, "X-CSRF-Token": token},
                                data={"body": "Vélos pas cher !", "networks": ["x"]})
    assert "Aperçu pour Vélo Lumière 0" in preview.text
    assert "caractères pondérés" in preview.text and "1 bloquante(s)" in preview.text
    assert "Mettre « petit prix »" in preview.text
