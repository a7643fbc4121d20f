"""A brand with locations in five languages, two distributors, and helpers to run fan-outs here."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from hub.accounts import service as accounts
from hub.brands.service import create_brand
from hub.locations.schemas import LocationCreate
from hub.locations.service import create_location
from hub.proposals import service as proposals
from hub.proposals.models import DistributionChunk, Proposal
from tests.factories import PASSWORD
from tests.web.conftest import web_client  # noqa: F401  (the workspace tests log in through the real form)

# code -> (locale, kind, time zone)
PLACES = {
    "paris": ("fr-FR", "franchise", "Europe/Paris"),
    "bruxelles": ("fr-BE", "franchise", "Europe/Brussels"),
    "gent": ("nl-BE", "franchise", "Europe/Brussels"),
    "dist-be": ("fr-BE", "distributor", "Europe/Brussels"),
    "berlin": ("de-DE", "franchise", "Europe/Berlin"),
    "zurich": ("de-CH", "franchise", "Europe/Zurich"),
    "dist-de": ("de-DE", "distributor", "Europe/Berlin"),
    "dubai": ("ar-AE", "franchise", "Asia/Dubai"),
}
SOURCE = "Bonjour {city} ! Nos vélos de printemps sont arrivés."
GERMAN = "Hallo {city}! Unsere Frühlingsräder sind da."
DUTCH = "Hallo {city}! Onze lentefietsen zijn er."


@dataclass
class World:
    brand_id: str
    hq_email: str
    ids: dict[str, str] = field(default_factory=dict)  # location code -> id
    emails: dict[str, str] = field(default_factory=dict)  # who -> e-mail


@pytest.fixture
async def world(database) -> World:
    """Source fr-FR; the Belgian distributor serves fr-BE and nl-BE (its own and its shops' locales),
    the German one de-DE; nobody serves ar-AE; Paris has a plain local manager."""
    async with database.session() as session:
        brand, _admin = await create_brand(session, "Vélo Lumière", "hq@velo.test", PASSWORD)
        result = World(brand_id=brand.id, hq_email="hq@velo.test")
        for code, (locale, kind, zone) in PLACES.items():
            location = await create_location(session, brand.id, LocationCreate(
                code=code, name=code.title(), kind=kind, country=locale[-2:], locale=locale, timezone=zone,
                variables={"city": code.title()}))
            result.ids[code] = location.id
        for who, places in {"dist-be": ["dist-be", "bruxelles", "gent"], "dist-de": ["dist-de"],
                            "paris": ["paris"]}.items():
            user = await accounts.create_user(session, email=f"{who}@velo.test", password=PASSWORD)
            await accounts.add_membership(session, user, brand.id, "local_manager", [result.ids[p] for p in places])
            result.emails[who] = user.email
    return result


async def run_fan_out(database, distribution_id: str, times: int = 1) -> None:
    """Run every chunk of a distribution here, as the worker does (`times` times: jobs may run twice)."""
    for _ in range(times):
        async with database.session() as session:
            chunk_ids = list(await session.scalars(
                select(DistributionChunk.id).where(DistributionChunk.distribution_id == distribution_id)))
        for chunk_id in chunk_ids:
            async with database.session() as session:
                await proposals.fan_out_chunk(session, chunk_id)


async def proposals_by_code(database, world: World, post_id: str) -> dict[str, Proposal]:
    """The live proposal of each location, by location code."""
    codes = {location_id: code for code, location_id in world.ids.items()}
    async with database.session() as session:
        rows = await session.scalars(select(Proposal).where(Proposal.post_id == post_id,
                                                            Proposal.status != "superseded"))
        return {codes[row.location_id]: row for row in rows}
