"""Tenant and location isolation, authentication and roles on the JSON API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from hub.accounts import service as accounts
from hub.accounts.models import AuthSession, Membership, User
from hub.brands.models import Brand
from hub.campaigns.models import Campaign
from hub.db import utcnow
from hub.locations.models import Location
from hub.proposals.models import Distribution, DistributionChunk, Proposal
from hub.proposals.service import fan_out_chunk
from tests.factories import PASSWORD, Network, make_network

ASK_FOR_TOKEN = "POST /api/v1/auth/token"


@dataclass
class Distributed:
    """A campaign of one brand with one post sent to every location, its proposals made."""

    campaign_id: str
    post_id: str
    distribution_id: str
    proposals: dict[str, str]  # location id -> proposal id


async def run_fan_out(database, distribution_id: str) -> None:
    """What the workers do: run every chunk of the distribution."""
    async with database.session() as session:
        chunk_ids = list(await session.scalars(
            select(DistributionChunk.id).where(DistributionChunk.distribution_id == distribution_id)))
    assert chunk_ids
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)


async def distribute(database, hq, body: str = "Bonjour {city} ! Appelez le {phone}.") -> Distributed:
    campaign = await hq.post("/api/v1/campaigns", json={"name": "Printemps", "approval_policy": "approval_required"})
    assert campaign.status_code == 201, campaign.text
    post = await hq.post(f"/api/v1/campaigns/{campaign.json()['id']}/posts",
                         json={"body": body, "networks": ["facebook", "instagram"]})
    assert post.status_code == 201, post.text
    sent = await hq.post(f"/api/v1/posts/{post.json()['id']}/distribute", json={})
    assert sent.status_code == 202, sent.text
    distribution_id = sent.json()["distribution_id"]
    await run_fan_out(database, distribution_id)
    listed = await hq.get("/api/v1/proposals", params={"campaign_id": campaign.json()["id"]})
    assert listed.status_code == 200
    return Distributed(campaign.json()["id"], post.json()["id"], distribution_id,
                       {row["location_id"]: row["id"] for row in listed.json()})


async def count(database, model, *conditions) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions))


async def proposal_status(database, proposal_id: str) -> str:
    async with database.session() as session:
        return await session.scalar(select(Proposal.status).where(Proposal.id == proposal_id))


@pytest.fixture
async def brand_a(database, settings) -> Network:
    return await make_network(database, settings, locations=2, slug="alpha", name="Alpha")


@pytest.fixture
async def brand_b(database, settings) -> Network:
    return await make_network(database, settings, locations=1, slug="bravo", name="Bravo")


@pytest.fixture
async def sent_a(database, brand_a, client_as) -> Distributed:
    return await distribute(database, await client_as(brand_a.hq_email, PASSWORD))


def resource_paths(network: Network, sent: Distributed) -> dict[str, str]:
    location_id = network.locations[0].id
    return {
        "location": f"/api/v1/locations/{location_id}",
        "campaign": f"/api/v1/campaigns/{sent.campaign_id}",
        "campaign posts": f"/api/v1/campaigns/{sent.campaign_id}/posts",
        "post": f"/api/v1/posts/{sent.post_id}",
        "distribution": f"/api/v1/distributions/{sent.distribution_id}",
        "proposal": f"/api/v1/proposals/{sent.proposals[location_id]}",
        "report": f"/api/v1/campaigns/{sent.campaign_id}/report",
    }


RESOURCES = ["location", "campaign", "campaign posts", "post", "distribution", "proposal", "report"]


class TestBrandIsolation:
    @pytest.mark.parametrize("resource", RESOURCES)
    async def test_own_hq_reads_the_resource(self, brand_a, sent_a, client_as, resource):
        hq_a = await client_as(brand_a.hq_email, PASSWORD)

        response = await hq_a.get(resource_paths(brand_a, sent_a)[resource])

        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("resource", RESOURCES)
    async def test_other_brands_hq_gets_404_like_an_unknown_id(self, brand_a, brand_b, sent_a, client_as, resource):
        hq_b = await client_as(brand_b.hq_email, PASSWORD)
        path = resource_paths(brand_a, sent_a)[resource]
        object_id = path.split("/")[4]

        response = await hq_b.get(path)
        unknown = await hq_b.get(path.replace(object_id, "0" * len(object_id)))

        assert response.status_code == 404, response.text
        assert unknown.status_code == 404
        assert response.json()["detail"] == unknown.json()["detail"].replace("0" * len(object_id), object_id)
        assert "Alpha" not in response.text

    async def test_lists_hold_nothing_of_the_other_brand(self, brand_a, brand_b, sent_a, client_as):
        hq_b = await client_as(brand_b.hq_email, PASSWORD)
        ids_a = {location.id for location in brand_a.locations}

        locations = (await hq_b.get("/api/v1/locations")).json()
        proposals = (await hq_b.get("/api/v1/proposals")).json()
        by_campaign = (await hq_b.get("/api/v1/proposals", params={"campaign_id": sent_a.campaign_id})).json()
        by_location = (await hq_b.get("/api/v1/proposals", params={"location_id": brand_a.locations[0].id})).json()
        campaigns = (await hq_b.get("/api/v1/campaigns")).json()
        publications = (await hq_b.get("/api/v1/publications")).json()

        assert [row["id"] for row in locations] == [brand_b.locations[0].id]
        assert not {row["location_id"] for row in proposals} & ids_a
        assert by_campaign == [] and by_location == []
        assert sent_a.campaign_id not in {row["id"] for row in campaigns}
        assert publications == []

    async def test_other_brands_hq_cannot_act_on_its_resources(self, database, brand_a, brand_b, sent_a, client_as):
        hq_b = await client_as(brand_b.hq_email, PASSWORD)
        location_a = brand_a.locations[0].id
        proposal_id = sent_a.proposals[location_a]

        approve = await hq_b.post(f"/api/v1/proposals/{proposal_id}/approve")
        reject = await hq_b.post(f"/api/v1/proposals/{proposal_id}/reject", json={"reason": "off_brand"})
        customize = await hq_b.post(f"/api/v1/proposals/{proposal_id}/customize", json={"texts": {"facebook": "Hacked"}})
        new_post = await hq_b.post(f"/api/v1/campaigns/{sent_a.campaign_id}/posts",
                                   json={"body": "Hacked", "networks": ["facebook"]})
        redistribute = await hq_b.post(f"/api/v1/posts/{sent_a.post_id}/distribute", json={})
        lint = await hq_b.post(f"/api/v1/posts/{sent_a.post_id}/lint")
        account = await hq_b.post(f"/api/v1/locations/{location_a}/accounts",
                                  json={"network": "x", "external_id": "hijack", "access_token": "t"})

        for response in (approve, reject, customize, new_post, redistribute, lint, account):
            assert response.status_code == 404, response.text
        assert await proposal_status(database, proposal_id) == "pending"
        assert await count(database, Distribution) == 1

    async def test_other_brands_location_ids_are_unknown_in_targets_and_users(
        self, database, brand_a, brand_b, client_as,
    ):
        hq_b = await client_as(brand_b.hq_email, PASSWORD)
        campaign = (await hq_b.post("/api/v1/campaigns", json={"name": "B"})).json()
        post = (await hq_b.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                json={"body": "Hello", "networks": ["facebook"]})).json()
        location_a = brand_a.locations[0].id

        sent = await hq_b.post(f"/api/v1/posts/{post['id']}/distribute", json={"location_ids": [location_a]})
        user = await hq_b.post("/api/v1/users", json={
            "email": "spy@bravo.test", "password": PASSWORD, "role": "local_manager", "location_ids": [location_a]})

        assert sent.status_code == 422
        assert location_a in sent.json()["detail"]
        assert user.status_code == 404
        assert await count(database, User, User.email == "spy@bravo.test") == 0


class TestLocationScope:
    async def test_local_manager_reads_own_proposal_but_404_for_a_neighbours(self, brand_a, sent_a, client_as):
        mine, neighbour = brand_a.locations
        local = await client_as(brand_a.local_emails[mine.id], PASSWORD)

        own = await local.get(f"/api/v1/proposals/{sent_a.proposals[mine.id]}")
        other = await local.get(f"/api/v1/proposals/{sent_a.proposals[neighbour.id]}")

        assert own.status_code == 200
        assert own.json()["texts"]["facebook"] == "Bonjour Ville0 ! Appelez le +33 1 00 00 00."
        assert other.status_code == 404

    async def test_local_manager_cannot_decide_a_neighbours_proposal(self, database, brand_a, sent_a, client_as):
        mine, neighbour = brand_a.locations
        local = await client_as(brand_a.local_emails[mine.id], PASSWORD)
        theirs = sent_a.proposals[neighbour.id]

        approve = await local.post(f"/api/v1/proposals/{theirs}/approve")
        reject = await local.post(f"/api/v1/proposals/{theirs}/reject", json={"reason": "other"})
        customize = await local.post(f"/api/v1/proposals/{theirs}/customize", json={"texts": {"facebook": "Mine now"}})

        assert (approve.status_code, reject.status_code, customize.status_code) == (404, 404, 404)
        assert await proposal_status(database, theirs) == "pending"
        hq = await client_as(brand_a.hq_email, PASSWORD)
        assert (await hq.get(f"/api/v1/proposals/{theirs}")).json()["status"] == "pending"

    async def test_local_manager_approves_own_proposal(self, database, brand_a, sent_a, client_as):
        mine = brand_a.locations[0]
        local = await client_as(brand_a.local_emails[mine.id], PASSWORD)

        response = await local.post(f"/api/v1/proposals/{sent_a.proposals[mine.id]}/approve")

        assert response.status_code == 200, response.text
        assert await proposal_status(database, sent_a.proposals[mine.id]) == "approved"

    async def test_local_manager_lists_only_own_proposals(self, brand_a, sent_a, client_as):
        mine, neighbour = brand_a.locations
        local = await client_as(brand_a.local_emails[mine.id], PASSWORD)

        everything = (await local.get("/api/v1/proposals")).json()
        filtered = (await local.get("/api/v1/proposals", params={"location_id": neighbour.id})).json()

        assert [row["id"] for row in everything] == [sent_a.proposals[mine.id]]
        assert filtered == []

    @pytest.mark.parametrize("resource", ["campaign", "post", "distribution", "report", "location"])
    async def test_local_manager_gets_404_on_hq_resources(self, brand_a, sent_a, client_as, resource):
        mine, neighbour = brand_a.locations
        local = await client_as(brand_a.local_emails[mine.id], PASSWORD)
        paths = resource_paths(brand_a, sent_a)
        paths["location"] = f"/api/v1/locations/{neighbour.id}"

        response = await local.get(paths[resource])

        assert response.status_code == 404, response.text


class TestAuthentication:
    @pytest.mark.parametrize(("method", "path"), [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/locations"),
        ("POST", "/api/v1/campaigns"),
        ("GET", "/api/v1/proposals"),
        ("POST", "/api/v1/brands"),
    ])
    async def test_anonymous_call_is_401_and_says_how_to_authenticate(self, client, method, path):
        response = await client.request(method, path, json={})

        assert response.status_code == 401
        detail = response.json()["detail"]
        assert "Authorization: Bearer" in detail and ASK_FOR_TOKEN in detail

    @pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc"])
    async def test_malformed_authorization_header_is_401(self, client, header):
        response = await client.get("/api/v1/me", headers={"Authorization": header})

        assert response.status_code == 401
        assert ASK_FOR_TOKEN in response.json()["detail"]

    async def test_unknown_token_is_401(self, client):
        response = await client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-real-token"})

        assert response.status_code == 401
        assert "unknown or expired" in response.json()["detail"]

    async def test_expired_token_is_401(self, database, brand_b, client):
        token = (await client.post("/api/v1/auth/token", json={"email": brand_b.hq_email, "password": PASSWORD})).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
        async with database.session() as session:
            await session.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))

        response = await client.get("/api/v1/me", headers=headers)

        assert response.status_code == 401
        assert "expired" in response.json()["detail"]

    async def test_token_for_right_password_works_and_email_case_is_ignored(self, brand_b, client):
        response = await client.post("/api/v1/auth/token", json={"email": "  HQ@Bravo.TEST ", "password": PASSWORD})

        assert response.status_code == 200, response.text
        token = response.json()["token"]
        me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == "hq@bravo.test"

    async def test_wrong_password_and_unknown_email_get_the_same_401(self, brand_b, client):
        wrong = await client.post("/api/v1/auth/token", json={"email": brand_b.hq_email, "password": "wrong-password-1"})
        unknown = await client.post("/api/v1/auth/token", json={"email": "nobody@bravo.test", "password": PASSWORD})

        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert "token" not in wrong.json()
        assert "e-mail or password" in wrong.json()["detail"]


class TestRoles:
    async def test_local_manager_cannot_create_campaigns_or_locations(self, database, brand_a, client_as):
        local = await client_as(brand_a.local_emails[brand_a.locations[0].id], PASSWORD)
        before = await count(database, Location)

        campaign = await local.post("/api/v1/campaigns", json={"name": "Mine"})
        location = await local.post("/api/v1/locations", json={
            "code": "NEW-1", "name": "New", "country": "FR", "locale": "fr-FR", "timezone": "Europe/Paris"})

        assert campaign.status_code == 403 and location.status_code == 403
        assert "HQ" in campaign.json()["detail"]
        assert await count(database, Campaign) == 0
        assert await count(database, Location) == before

    async def test_only_deployment_admins_create_brands(self, database, brand_a, client_as):
        hq = await client_as(brand_a.hq_email, PASSWORD)
        payload = {"name": "Café Gourmand", "admin_email": "boss@cafe.test", "admin_password": PASSWORD}

        refused = await hq.post("/api/v1/brands", json=payload)

        assert refused.status_code == 403
        assert "deployment admin" in refused.json()["detail"]
        assert await count(database, Brand) == 1
        assert await count(database, User, User.email == "boss@cafe.test") == 0

        async with database.session() as session:
            await accounts.create_user(session, email="root@deploy.test", password=PASSWORD, is_deployment_admin=True)
        admin = await client_as("root@deploy.test", PASSWORD)
        created = await admin.post("/api/v1/brands", json=payload)

        assert created.status_code == 201, created.text
        assert created.json()["name"] == "Café Gourmand"
        assert created.json()["slug"] == "cafe-gourmand"
        boss = await client_as("boss@cafe.test", PASSWORD)
        me = (await boss.get("/api/v1/me")).json()
        assert (me["brand_id"], me["role"]) == (created.json()["id"], "hq_admin")
        assert (await boss.get("/api/v1/locations")).json() == []

    async def test_me_describes_role_and_scope(self, brand_a, client_as):
        location = brand_a.locations[1]
        hq = await client_as(brand_a.hq_email, PASSWORD)
        local = await client_as(brand_a.local_emails[location.id], PASSWORD)

        hq_me = (await hq.get("/api/v1/me")).json()
        local_me = (await local.get("/api/v1/me")).json()

        assert hq_me["email"] == brand_a.hq_email
        assert (hq_me["brand_id"], hq_me["role"]) == (brand_a.brand_id, "hq_admin")
        assert hq_me["is_deployment_admin"] is False
        assert local_me["email"] == brand_a.local_emails[location.id]
        assert (local_me["brand_id"], local_me["role"]) == (brand_a.brand_id, "local_manager")
        assert local_me["scope"] == {"location_ids": [location.id], "regions": []}
        assert "password_hash" not in hq_me and "password_hash" not in local_me

    async def test_hq_admin_adds_a_local_manager_who_can_log_in(self, database, brand_a, client_as):
        hq = await client_as(brand_a.hq_email, PASSWORD)
        location = brand_a.locations[1]

        response = await hq.post("/api/v1/users", json={
            "email": "Nouveau@Alpha.test", "password": "another-long-secret", "name": "Nina",
            "role": "local_manager", "location_ids": [location.id]})

        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["email"], body["name"], body["role"], body["location_ids"]) == (
            "nouveau@alpha.test", "Nina", "local_manager", [location.id])
        assert "password" not in body and "password_hash" not in body
        newcomer = await client_as("nouveau@alpha.test", "another-long-secret")
        me = (await newcomer.get("/api/v1/me")).json()
        assert (me["role"], me["scope"]["location_ids"]) == ("local_manager", [location.id])
        assert [row["id"] for row in (await newcomer.get("/api/v1/locations")).json()] == [location.id]

    async def test_hq_admin_adds_a_regional_manager_scoped_to_regions(self, brand_a, client_as):
        hq = await client_as(brand_a.hq_email, PASSWORD)

        response = await hq.post("/api/v1/users", json={
            "email": "north@alpha.test", "password": PASSWORD, "role": "regional_manager", "regions": ["north"]})

        assert response.status_code == 201, response.text
        regional = await client_as("north@alpha.test", PASSWORD)
        rows = (await regional.get("/api/v1/locations")).json()
        assert [row["region"] for row in rows] == ["north"]

    @pytest.mark.parametrize("password", ["short", "123456789", ""])
    async def test_weak_password_is_422_and_creates_nobody(self, database, brand_a, client_as, password):
        hq = await client_as(brand_a.hq_email, PASSWORD)
        users_before = await count(database, User)

        response = await hq.post("/api/v1/users", json={
            "email": "weak@alpha.test", "password": password, "role": "hq_editor"})

        assert response.status_code == 422
        (error,) = response.json()["errors"]
        assert error["field"] == "password" and "10" in error["message"]
        assert await count(database, User) == users_before

    @pytest.mark.parametrize("email", [
        "not-an-email", "someone@localhost", "a b@c", "someone@alpha.",
        "@alpha.test", "a b@alpha.test", "x@@alpha.test",
    ])
    async def test_bad_email_is_422_and_creates_nobody(self, database, brand_a, client_as, email):
        hq = await client_as(brand_a.hq_email, PASSWORD)
        users_before = await count(database, User)

        response = await hq.post("/api/v1/users", json={"email": email, "password": PASSWORD, "role": "hq_editor"})

        assert response.status_code == 422, response.text
        assert [item["field"] for item in response.json()["errors"]] == ["email"]
        assert await count(database, User) == users_before

    async def test_unknown_role_is_422_and_creates_nobody(self, database, brand_a, client_as):
        hq = await client_as(brand_a.hq_email, PASSWORD)
        users_before = await count(database, User)

        response = await hq.post("/api/v1/users", json={"email": "x@alpha.test", "password": PASSWORD, "role": "owner"})

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "role"
        assert await count(database, User) == users_before
        assert await count(database, Membership) == users_before

    async def test_local_manager_without_locations_is_422(self, database, brand_a, client_as):
        hq = await client_as(brand_a.hq_email, PASSWORD)

        response = await hq.post("/api/v1/users", json={
            "email": "x@alpha.test", "password": PASSWORD, "role": "local_manager"})

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "location_ids"
        assert await count(database, User, User.email == "x@alpha.test") == 0

    async def test_existing_email_is_a_conflict(self, brand_a, client_as):
        hq = await client_as(brand_a.hq_email, PASSWORD)

        response = await hq.post("/api/v1/users", json={
            "email": brand_a.hq_email.upper(), "password": PASSWORD, "role": "hq_editor"})

        assert response.status_code == 409

    async def test_only_hq_admin_adds_users(self, database, brand_a, client_as):
        hq = await client_as(brand_a.hq_email, PASSWORD)
        assert (await hq.post("/api/v1/users", json={
            "email": "editor@alpha.test", "password": PASSWORD, "role": "hq_editor"})).status_code == 201
        editor = await client_as("editor@alpha.test", PASSWORD)
        local = await client_as(brand_a.local_emails[brand_a.locations[0].id], PASSWORD)
        payload = {"email": "sneaky@alpha.test", "password": PASSWORD, "role": "hq_admin"}

        by_editor = await editor.post("/api/v1/users", json=payload)
        by_local = await local.post("/api/v1/users", json=payload)

        assert by_editor.status_code == 403 and by_local.status_code == 403
        assert await count(database, User, User.email == "sneaky@alpha.test") == 0
