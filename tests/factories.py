"""Builders of a brand's network for tests, through the same services the app uses."""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.accounts import service as accounts
from hub.brands.service import create_brand
from hub.db import Database
from hub.locations.models import Location
from hub.locations.schemas import LocationCreate
from hub.locations.service import create_location
from hub.publishing.service import connect_account

PASSWORD = "correct-horse-battery"


@dataclass
class Network:
    """A brand with its HQ admin, its locations and their local managers (e-mail per location id)."""

    brand_id: str
    hq_email: str
    locations: list[Location] = field(default_factory=list)
    local_emails: dict[str, str] = field(default_factory=dict)


async def make_network(
    database: Database, settings, *, name: str = "Vélo Lumière", locations: int = 3,
    networks: tuple[str, ...] = ("facebook", "instagram"), slug: str = "velo",
    variables: dict[str, str] | None = None,
) -> Network:
    """A brand, its HQ admin, `locations` locations each with a local manager and sandbox accounts."""
    async with database.session() as session:
        brand, _ = await create_brand(session, name, f"hq@{slug}.test", PASSWORD)
        result = Network(brand_id=brand.id, hq_email=f"hq@{slug}.test")
        for index in range(locations):
            location = await create_location(session, brand.id, LocationCreate(
                code=f"{slug.upper()}-{index:03d}", name=f"{name} {index}", region="north" if index % 2 else "south",
                country="FR", locale="fr-FR", timezone="Europe/Paris",
                variables=variables if variables is not None else {"city": f"Ville{index}", "phone": f"+33 1 00 00 {index:02d}"},
                tags=["city"] if index % 3 == 0 else ["mall"],
            ))
            result.locations.append(location)
            user = await accounts.create_user(session, email=f"local{index}@{slug}.test", password=PASSWORD)
            await accounts.add_membership(session, user, brand.id, "local_manager", [location.id])
            result.local_emails[location.id] = user.email
            for network in networks:
                await connect_account(session, settings, location, network=network, external_id=f"{network}-{location.code}",
                                      access_token="", connector="sandbox")
    return result
