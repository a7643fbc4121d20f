"""The world the security tests act in: two brands, someone in every role, and one of every object.

Brand Alpha has three locations: A (south), B (north) and C (east, German); a local manager for A,
another for B, a regional manager of the east, and its HQ admin. Brand Bravo has one location and an
HQ editor. Alpha sent one post with a photo to its three locations; each object a route can name
exists once (campaign, post, distribution, proposal of A, publication, media, webhook, translation,
review link, social account, OAuth grants, render, calendar feed). People get their sessions and API
tokens straight from the accounts service: every argon2 hash would cost most of a second.

The world is made once per test run; each later test gets its rows and stored files put back.
"""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import select

from hub.accounts import service as accounts
from hub.accounts.models import User
from hub.accounts.security import hash_password, secret_digest, settings_token_cipher
from hub.brands.models import Brand
from hub.calendars.service import feed_token
from hub.campaigns import service as campaigns
from hub.campaigns.schemas import CampaignCreate, PostCreate, Target
from hub.db import Base, Database, utcnow
from hub.locations.schemas import LocationCreate
from hub.locations.service import create_location
from hub.media import service as media
from hub.media.samples import photo_png
from hub.media.storage import get_storage
from hub.proposals import service as proposals
from hub.proposals.models import DistributionChunk, Proposal
from hub.publishing.accounts import redirect_uri
from hub.publishing.models import OAuthGrant
from hub.publishing.service import connect_account
from hub.reviews import service as reviews
from hub.translations import service as translations
from hub.webhooks import service as webhooks
from tests.conftest import _empty_tables
from tests.factories import PASSWORD

ANONYMOUS = "anonymous"
LOCAL_A = "local manager of A"
LOCAL_B = "local manager of B"
REGIONAL = "regional manager of another region"
OTHER_HQ = "HQ editor of another brand"
HQ_ADMIN = "HQ admin"
ROLES = (ANONYMOUS, LOCAL_A, LOCAL_B, REGIONAL, OTHER_HQ, HQ_ADMIN)

EMAILS = {LOCAL_A: "local-a@alpha.test", LOCAL_B: "local-b@alpha.test", REGIONAL: "east@alpha.test",
          OTHER_HQ: "editor@bravo.test", HQ_ADMIN: "hq@alpha.test"}
# The state an OAuth consent page would send back to Pieuvre for the world's pending grant.
GRANT_STATE = "world-grant-state-0123456789abcdefghijklmnopqrstuv"


@cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD, shared by everyone in the world."""
    return hash_password(PASSWORD)


@cache
def photo() -> bytes:
    """The photo of the world's post, and of every upload the tests make."""
    return photo_png(800, 600)


@dataclass
class Person:
    """What a person's browser and API client hold: the session cookie, its CSRF token, an API token."""

    email: str
    cookie: str
    csrf: str
    token: str


@dataclass
class World:
    ids: dict[str, str]  # the value of each path parameter, and the other objects' ids
    people: dict[str, Person]
    hidden: dict[str, list[str]] = field(default_factory=dict)  # what each person may not read anywhere

    def person(self, role: str) -> Person | None:
        return self.people.get(role)


async def _person(session, email: str, brand_id: str, role: str, *, location_ids=(), regions=()) -> User:
    user = User(email=email, name=email.split("@")[0], password_hash=password_hash())
    session.add(user)
    await session.flush()
    await accounts.add_membership(session, user, brand_id, role, list(location_ids), list(regions))
    return user


def _location(code: str, name: str, region: str, **overrides) -> LocationCreate:
    values = {"code": code, "name": name, "region": region, "country": "FR", "locale": "fr-FR",
              "timezone": "Europe/Paris", "variables": {"city": name, "phone": "+33 4 00 00 00 01"}, "tags": ["city"]}
    return LocationCreate(**{**values, **overrides})


# The world once made, per database: its rows table by table, and a copy of its stored files.
_MADE: dict[str, tuple[World, dict[str, list[dict]], Path]] = {}


async def build_world(database: Database, settings) -> World:
    """The world, in an empty database."""
    media_dir = Path(settings.var_dir) / "media"
    made = _MADE.get(settings.database_url)
    if made is None:
        world = await _make_world(database, settings)
        async with database.engine.connect() as connection:
            rows = {table.name: [dict(row._mapping) for row in await connection.execute(select(table))]
                    for table in Base.metadata.sorted_tables}
        files = Path(settings.var_dir) / "security-world"
        shutil.copytree(media_dir, files, dirs_exist_ok=True)
        _MADE[settings.database_url] = (world, rows, files)
        return copy.deepcopy(world)
    world, rows, files = made
    async with database.engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if rows[table.name]:
                await connection.execute(table.insert(), rows[table.name])
    shutil.copytree(files, media_dir, dirs_exist_ok=True)
    return copy.deepcopy(world)


async def _make_world(database: Database, settings) -> World:
    storage = get_storage(settings)
    ids: dict[str, str] = {}
    people: dict[str, Person] = {}
    async with database.session() as session:
        alpha, bravo = Brand(name="Alpha", slug="alpha"), Brand(name="Bravo", slug="bravo")
        session.add_all([alpha, bravo])
        await session.flush()
        location_a = await create_location(session, alpha.id, _location("ALPHA-A", "Alpha Lyon", "south"))
        location_b = await create_location(session, alpha.id, _location("ALPHA-B", "Alpha Lille", "north"))
        location_c = await create_location(session, alpha.id, _location(
            "ALPHA-C", "Alpha Berlin", "east", country="DE", locale="de-DE", timezone="Europe/Berlin"))
        await create_location(session, bravo.id, _location("BRAVO-1", "Bravo Nantes", "west"))
        users = {
            LOCAL_A: await _person(session, EMAILS[LOCAL_A], alpha.id, "local_manager", location_ids=[location_a.id]),
            LOCAL_B: await _person(session, EMAILS[LOCAL_B], alpha.id, "local_manager", location_ids=[location_b.id]),
            REGIONAL: await _person(session, EMAILS[REGIONAL], alpha.id, "regional_manager", regions=["east"]),
            OTHER_HQ: await _person(session, EMAILS[OTHER_HQ], bravo.id, "hq_editor"),
            HQ_ADMIN: await _person(session, EMAILS[HQ_ADMIN], alpha.id, "hq_admin"),
        }
        for role, user in users.items():
            cookie, row = await accounts.open_session(session, user, "web", 1)
            token, _row = await accounts.open_session(session, user, "api", 1)
            people[role] = Person(user.email, cookie, row.csrf_token, token)
        hq = await accounts.actor_for(session, users[HQ_ADMIN], "en")
        accounts_of_a = []
        for location in (location_a, location_b, location_c):
            for network in ("facebook", "instagram"):
                account, _created = await connect_account(
                    session, settings, location, network=network, external_id=f"{network}-{location.code}",
                    access_token="", connector="sandbox")
                if location is location_a:
                    accounts_of_a.append(account)
        image = await media.upload_media(session, storage, settings, hq, photo(), "photo.png")
        campaign = await campaigns.create_campaign(session, hq, CampaignCreate(name="Printemps Alpha"))
        post, revision = await campaigns.create_post(session, hq, campaign, PostCreate(
            body="Bonjour {city} ! Appelez le {phone}.", networks=["facebook", "instagram"], media_id=image.id,
            image_texts={"headline": "Printemps"}))
        distribution = await proposals.distribute(session, hq, post, revision, Target(), settings.fanout_chunk_size)
        webhook = await webhooks.create_webhook(session, settings, hq, url="https://hooks.example.com/alpha",
                                                events=["proposal.decided"], secret="w" * 32)
        ids.update(brand_alpha=alpha.id, brand_bravo=bravo.id, location_id=location_a.id, location_b=location_b.id,
                   location_c=location_c.id, campaign_id=campaign.id, post_id=post.id,
                   distribution_id=distribution.id, media_id=image.id, webhook_id=webhook.id,
                   account_id=accounts_of_a[0].id, hq_user=users[HQ_ADMIN].id)
    async with database.session() as session:
        for chunk_id in await session.scalars(
                select(DistributionChunk.id).where(DistributionChunk.distribution_id == ids["distribution_id"])):
            await proposals.fan_out_chunk(session, chunk_id)
    async with database.session() as session:
        found = {row.location_id: row for row in await session.scalars(
            select(Proposal).where(Proposal.post_id == ids["post_id"]))}
        proposal_a = found[ids["location_id"]]
        user = await session.get(User, ids["hq_user"])
        hq = await accounts.actor_for(session, user, "en")
        # B's proposal approved: it has publications.
        await proposals.approve(session, hq, found[ids["location_b"]])
        post, revision = await campaigns.get_post(session, hq, ids["post_id"])
        await translations.save_translation(session, hq, post, revision, "de-DE", translations.TranslationTexts(
            body="Hallo {city}! Rufen Sie {phone} an.", variants={}), "draft", set())
        link, review_token = await reviews.create_link(session, hq, proposal_a.id)
        _data, render_key = await media.proposal_image(session, storage, proposal_a, "facebook")
        pending = OAuthGrant(brand_id=ids["brand_alpha"], user_id=ids["hq_user"], location_id=ids["location_id"],
                             network="facebook", state_digest=secret_digest(GRANT_STATE),
                             redirect_uri=redirect_uri(settings, "facebook"), expires_at=utcnow() + timedelta(hours=1))
        tokens = {"user": {"access_token": "user-token", "refresh_token": None, "expires_at": None}, "targets": {}}
        authorized = OAuthGrant(
            brand_id=ids["brand_alpha"], user_id=ids["hq_user"], location_id=ids["location_id"], network="facebook",
            state_digest=secret_digest(GRANT_STATE + "-used"), redirect_uri=redirect_uri(settings, "facebook"),
            expires_at=utcnow() + timedelta(hours=1), status="authorized",
            targets=[{"external_id": "page-1", "display_name": "Alpha Lyon page"}],
            tokens_encrypted=settings_token_cipher(settings).encrypt(json.dumps(tokens).encode()).decode())
        session.add_all([pending, authorized])
        await session.flush()
        ids.update(proposal_id=proposal_a.id, proposal_b=found[ids["location_b"]].id,
                   proposal_c=found[ids["location_c"]].id, link_id=link.id, token=review_token, key=render_key,
                   grant_id=authorized.id, pending_grant=pending.id,
                   feed_token=feed_token(settings, ids["location_id"], 0))
    places = {"A": [ids["location_id"], ids["proposal_id"], "ALPHA-A", "Alpha Lyon"],
              "B": [ids["location_b"], ids["proposal_b"], "ALPHA-B", "Alpha Lille"],
              "C": [ids["location_c"], ids["proposal_c"], "ALPHA-C", "Alpha Berlin"]}
    names = [text for place in places.values() for text in place[2:]]  # codes and names: the ids are in `ids`
    alpha = [value for name, value in ids.items() if name != "brand_bravo"] + names
    hidden = {LOCAL_A: places["B"] + places["C"], LOCAL_B: places["A"] + places["C"],
              REGIONAL: places["A"] + places["B"], OTHER_HQ: alpha}
    return World(ids=ids, people=people, hidden=hidden)


async def rebuild_world(database: Database, settings, redis_pool) -> World:
    """The world again, from empty tables and an empty Redis (after a request changed it)."""
    await _empty_tables(database)
    await redis_pool.flushdb()
    return await build_world(database, settings)
