"""Through the pages: HQ gives a post its YouTube video and its Google Business Profile options;
the media library lists videos; the locations list links to each location's accounts."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from hub.campaigns.models import Post
from hub.media.samples import photo_png
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of

# An MP4 by its container signature (what the library checks), with some bytes after it.
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
NETWORKS = ("facebook", "google_business", "youtube")


async def _campaign(client_as, web_client, network, language: str = "en"):
    """A campaign made through the API, a video uploaded through the library page, and HQ's browser on the campaign."""
    api = await client_as(network.hq_email, PASSWORD)
    campaign = (await api.post("/api/v1/campaigns", json={"name": "Printemps"})).json()
    hq = await web_client(network.hq_email, language=language)
    token = csrf_of((await hq.get("/media")).text)
    uploaded = await hq.post("/media", data={"csrf_token": token},
                             files={"file": ("atelier.mp4", VIDEO, "video/mp4")})
    assert uploaded.status_code == 303, uploaded.text
    page = await hq.get(f"/campaigns/{campaign['id']}")
    video_id = re.search(r'name="video_id" value="([0-9a-f]+)"', page.text).group(1)
    return api, hq, campaign, video_id, csrf_of(page.text)


def _offer_form(token: str, video_id: str, **fields: str) -> dict:
    """The new-post form with YouTube and Google ticked, a video and a Google offer with its button."""
    return {"csrf_token": token, "body": "Les vélos de printemps arrivent à {city}.", "networks": list(NETWORKS),
            "editable": "free", "media_id": "", "video_id": video_id,
            "google_topic_type": "OFFER", "google_action_type": "SHOP", "google_action_url": "https://velo.test/printemps",
            "google_event_title": "Semaine du vélo", "google_event_start": "2026-04-01T09:00",
            "google_event_end": "2026-04-07 19:00", "google_coupon_code": "VELO10",
            "google_redeem_url": "https://velo.test/offre", "google_terms": "Une remise par client.", **fields}


async def _posts(database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Post))


async def test_a_post_gets_its_video_and_google_offer_from_the_form(database, settings, client_as, web_client):
    network = await make_network(database, settings, locations=1, networks=NETWORKS)
    api, hq, campaign, video_id, token = await _campaign(client_as, web_client, network)
    page = await hq.get(f"/campaigns/{campaign['id']}")
    assert 'data-testid="post-video"' not in page.text  # no post yet
    picker = page.text.split('data-testid="post-video-picker"')[1].split("</fieldset>")[0]
    assert f'value="{video_id}"' in picker and "atelier.mp4" in picker and "MP4" in picker

    created = await hq.post(f"/campaigns/{campaign['id']}/posts", data=_offer_form(token, video_id))
    assert created.status_code == 303, created.text
    [post] = (await api.get(f"/api/v1/campaigns/{campaign['id']}/posts")).json()
    assert post["video_id"] == video_id
    assert post["options"] == {"google_business": {
        "topic_type": "OFFER",
        "call_to_action": {"action_type": "SHOP", "url": "https://velo.test/printemps"},
        # The end was typed with a space: the page writes it as the API wants it.
        "event": {"title": "Semaine du vélo", "start": "2026-04-01T09:00", "end": "2026-04-07T19:00"},
        "offer": {"coupon_code": "VELO10", "redeem_online_url": "https://velo.test/offre",
                  "terms_conditions": "Une remise par client."},
    }}

    # The campaign page names the video and the Google choices; the edit form holds them.
    page = (await hq.get(f"/campaigns/{campaign['id']}")).text
    assert "Video: atelier.mp4" in page
    assert "Google Business Profile: Offer, button Buy" in page
    edit = page.split('data-testid="post-edit-form"')[1].split("</form>")[0]
    assert f'value="{video_id}" checked' in edit
    assert '<option value="OFFER" selected>' in edit and '<option value="SHOP" selected>' in edit
    assert 'value="VELO10"' in edit and 'value="2026-04-07T19:00"' in edit


async def test_the_edit_form_changes_the_google_button_and_keeps_the_video(database, settings, client_as, web_client):
    network = await make_network(database, settings, locations=1, networks=NETWORKS)
    api, hq, campaign, video_id, token = await _campaign(client_as, web_client, network)
    assert (await hq.post(f"/campaigns/{campaign['id']}/posts", data=_offer_form(token, video_id))).status_code == 303
    [post] = (await api.get(f"/api/v1/campaigns/{campaign['id']}/posts")).json()

    # A CALL button dials the phone: the link the browser still sends (no CSS) is left out.
    revised = await hq.post(f"/posts/{post['id']}/revise", data=_offer_form(
        token, video_id, google_topic_type="STANDARD", google_action_type="CALL"))
    assert revised.status_code == 303, revised.text
    now = (await api.get(f"/api/v1/posts/{post['id']}")).json()
    assert now["revision"] == 2 and now["video_id"] == video_id
    assert now["options"] == {"google_business": {"topic_type": "STANDARD", "call_to_action": {"action_type": "CALL"}}}

    # Google unticked: its options go, whatever the hidden fields still hold.
    revised = await hq.post(f"/posts/{post['id']}/revise", data=_offer_form(
        token, video_id, networks=["facebook", "youtube"]))
    assert revised.status_code == 303, revised.text
    now = (await api.get(f"/api/v1/posts/{post['id']}")).json()
    assert now["revision"] == 3 and now["options"] == {} and now["video_id"] == video_id


async def test_refusals_show_in_french_under_their_fields_and_change_nothing(database, settings, client_as, web_client):
    network = await make_network(database, settings, locations=1, networks=NETWORKS)
    _api, hq, campaign, video_id, token = await _campaign(client_as, web_client, network, language="fr")
    url = f"/campaigns/{campaign['id']}/posts"

    def errors_under(page: str, field: str) -> str:
        return html.unescape(page.split(f'id="{field}-errors"')[1].split("</ul>")[0])

    # YouTube without a video.
    refused = await hq.post(url, data=_offer_form(token, ""))
    assert refused.status_code == 422
    assert "YouTube ne publie que des vidéos : choisissez une vidéo, ou décochez YouTube." in errors_under(refused.text, "video_id")
    assert 'value="VELO10"' in refused.text and 'value="Semaine du vélo"' in refused.text  # kept as typed

    # A button without a link, an event title too long, an end before the start: each under its input.
    refused = await hq.post(url, data=_offer_form(token, video_id, google_action_url="",
                                                  google_event_title="x" * 59))
    assert refused.status_code == 422
    assert "Ce bouton a besoin d'une adresse web commençant par https://" in errors_under(refused.text, "google_action_url")
    assert "Donnez à l'événement un titre de 58 caractères au plus." in errors_under(refused.text, "google_event_title")
    assert 'aria-invalid="true" aria-describedby="google_event_title-errors"' in refused.text
    refused = await hq.post(url, data=_offer_form(token, video_id, google_event_end="2026-03-01T10:00"))
    assert "La fin doit venir après le début." in errors_under(refused.text, "google_event_end")
    refused = await hq.post(url, data=_offer_form(token, video_id, google_event_start="demain"))
    assert "Écrivez une date et une heure" in errors_under(refused.text, "google_event_start")
    assert 'value="demain"' in refused.text

    # An event without its dates; a coupon code too long.
    refused = await hq.post(url, data=_offer_form(token, video_id, google_topic_type="EVENT", google_event_title="",
                                                  google_event_start="", google_event_end=""))
    assert "Un événement ou une offre a besoin d'un titre, d'un début et d'une fin." in errors_under(refused.text, "google_event")
    assert '<option value="EVENT" selected>' in refused.text
    refused = await hq.post(url, data=_offer_form(token, video_id, google_coupon_code="C" * 59))
    assert "Le code promo fait 58 caractères au plus." in errors_under(refused.text, "google_coupon_code")

    # A video that is not one of the library's (a photo's id).
    photo = await hq.post("/media", data={"csrf_token": token}, files={"file": ("p.png", photo_png(400, 300), "image/png")})
    assert photo.status_code == 303
    photo_id = re.search(r'name="media_id" value="([0-9a-f]+)"', (await hq.get(f"/campaigns/{campaign['id']}")).text).group(1)
    refused = await hq.post(url, data=_offer_form(token, photo_id))
    assert refused.status_code == 422
    assert "Choisissez de nouveau la vidéo" in errors_under(refused.text, "video_id")
    assert await _posts(database) == 0


async def test_the_library_lists_videos_and_serves_them(database, settings, client_as, web_client):
    network = await make_network(database, settings, locations=1, networks=NETWORKS)
    _api, hq, _campaign_, video_id, _token = await _campaign(client_as, web_client, network)
    page = (await hq.get("/media")).text
    [item] = re.findall(r'data-testid="library-video">(.*?)</li>', page, re.S)
    assert f'<video src="/media/{video_id}" controls' in item and "atelier.mp4" in item and "MP4" in item
    assert "1 video(s)" in page and "0 image(s)" in page
    served = await hq.get(f"/media/{video_id}")
    assert served.status_code == 200 and served.headers["content-type"] == "video/mp4" and served.content == VIDEO
    # The photo picker of the post form does not offer it.
    campaign_page = (await hq.get(f"/campaigns/{_campaign_['id']}")).text
    assert f'name="media_id" value="{video_id}"' not in campaign_page


async def test_each_location_links_to_its_accounts(database, settings, web_client):
    network = await make_network(database, settings, locations=2)
    hq = await web_client(network.hq_email)
    page = (await hq.get("/locations")).text
    for location in network.locations:
        assert f'<a href="/locations/{location.id}/accounts" data-testid="location-accounts"' in page
    accounts = await hq.get(f"/locations/{network.locations[0].id}/accounts")
    assert accounts.status_code == 200
    french = await web_client(network.hq_email, language="fr")
    assert ">Comptes</a>" in (await french.get("/locations")).text
