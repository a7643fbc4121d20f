"""Ids a user hands the server must name their own brand's objects: another brand's id is refused with a 4xx
naming the field, as if it did not exist, and nothing changes.

The ids people send: the brand kit's logo (API; the form keeps the saved one), a post's photo and video, a
campaign's and a distribution's target locations, the locations of a new local manager, the proposals of a
bulk approval. Each is tried with an object of another brand.
"""

from __future__ import annotations

from sqlalchemy import func, select

from hub.accounts.models import User
from hub.brandkit.models import BrandKit
from hub.campaigns.models import Campaign
from hub.media.samples import photo_png
from hub.proposals.models import Distribution
from tests.factories import PASSWORD, make_network
from tests.web.conftest import csrf_of, web_client  # noqa: F401 (fixture)
from tests.web.test_studio import kit_form

POST = {"body": "Bonjour {city} !", "networks": ["facebook"]}


async def _two_brands(database, settings, client_as):
    """Brand Alpha with one photo in its library, and brand Bravo's HQ admin (who must not use it)."""
    alpha = await make_network(database, settings, name="Alpha", slug="alpha", locations=1)
    bravo = await make_network(database, settings, name="Bravo", slug="bravo", locations=1)
    alpha_hq = await client_as(alpha.hq_email, PASSWORD)
    uploaded = await alpha_hq.post("/api/v1/media", files={"file": ("photo.png", photo_png(400, 300), "image/png")})
    assert uploaded.status_code == 201, uploaded.text
    return alpha, uploaded.json()["id"], await client_as(bravo.hq_email, PASSWORD)


async def _count(database, model) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


def _fields(response) -> set[str]:
    return {error["field"] for error in response.json().get("errors", [])}


class TestBrandKit:
    async def test_the_logo_must_be_an_image_of_the_brand(self, database, settings, client_as):
        _alpha, alpha_photo, bravo = await _two_brands(database, settings, client_as)
        kit = (await bravo.get("/api/v1/brand-kit")).json()
        response = await bravo.put("/api/v1/brand-kit", json={**kit, "logo_media_id": alpha_photo})
        assert response.status_code == 422, response.text
        assert _fields(response) == {"logo_media_id"} and "POST /api/v1/media" in response.json()["detail"]
        assert (await bravo.get("/api/v1/brand-kit")).json()["logo_media_id"] is None
        assert await _count(database, BrandKit) == 0
        # Its own image is taken.
        own = await bravo.post("/api/v1/media", files={"file": ("logo.png", photo_png(400, 300), "image/png")})
        saved = await bravo.put("/api/v1/brand-kit", json={**kit, "logo_media_id": own.json()["id"]})
        assert saved.status_code == 200 and saved.json()["logo_media_id"] == own.json()["id"]

    async def test_the_kit_form_keeps_the_saved_logo_whatever_id_it_is_sent(self, database, settings, client_as,
                                                                             web_client):
        _alpha, alpha_photo, _bravo = await _two_brands(database, settings, client_as)
        browser = await web_client("hq@bravo.test")
        token = csrf_of((await browser.get("/brand-kit")).text)
        saved = await browser.post("/brand-kit", data=kit_form(token, logo_media_id=alpha_photo))
        assert saved.status_code == 303
        async with database.session() as session:
            assert await session.scalar(select(BrandKit.logo_media_id)) is None


class TestPostsAndTargets:
    async def test_a_post_takes_no_photo_or_video_of_another_brand(self, database, settings, client_as):
        _alpha, alpha_photo, bravo = await _two_brands(database, settings, client_as)
        campaign = (await bravo.post("/api/v1/campaigns", json={"name": "C"})).json()
        for field in ("media_id", "video_id"):
            response = await bravo.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                        json={**POST, field: alpha_photo})
            assert response.status_code == 422 and _fields(response) == {field}, response.text
        assert (await bravo.get(f"/api/v1/campaigns/{campaign['id']}/posts")).json() == []

    async def test_a_campaign_targets_no_location_of_another_brand(self, database, settings, client_as):
        alpha, _photo, bravo = await _two_brands(database, settings, client_as)
        foreign = alpha.locations[0].id
        response = await bravo.post("/api/v1/campaigns", json={"name": "C", "target": {"location_ids": [foreign]}})
        assert response.status_code == 422, response.text
        assert _fields(response) == {"target.location_ids"} and foreign in response.json()["detail"]
        assert "GET /api/v1/locations" in response.json()["detail"]
        assert await _count(database, Campaign) == 0

    async def test_a_distribution_reaches_no_location_of_another_brand(self, database, settings, client_as):
        alpha, _photo, bravo = await _two_brands(database, settings, client_as)
        campaign = (await bravo.post("/api/v1/campaigns", json={"name": "C"})).json()
        post = (await bravo.post(f"/api/v1/campaigns/{campaign['id']}/posts", json=POST)).json()
        response = await bravo.post(f"/api/v1/posts/{post['id']}/distribute",
                                    json={"location_ids": [alpha.locations[0].id]})
        assert response.status_code == 422 and _fields(response) == {"location_ids"}, response.text
        assert await _count(database, Distribution) == 0

    async def test_a_local_manager_is_given_no_location_of_another_brand(self, database, settings, client_as):
        alpha, _photo, bravo = await _two_brands(database, settings, client_as)
        response = await bravo.post("/api/v1/users", json={
            "email": "new@bravo.test", "password": PASSWORD, "role": "local_manager",
            "location_ids": [alpha.locations[0].id]})
        assert response.status_code == 404, response.text
        async with database.session() as session:
            assert await session.scalar(select(User.id).where(User.email == "new@bravo.test")) is None
