"""A storm of publications: a brand whose every location has an account on the Facebook, LinkedIn
and X stand-ins, one auto-published post due for all of them at the same moment, and the count of
what the stand-ins then hold.

tests/workers/test_storm.py (faults and a killed worker) and `pieuvre bench publish` (latency and
the networks' concurrency caps) both start from it.
"""

from __future__ import annotations

import collections
from datetime import datetime

from sqlalchemy import func, select

from hub.accounts.service import actor_for
from hub.brands.service import create_brand
from hub.campaigns.schemas import CampaignCreate, PostCreate, Target
from hub.campaigns.service import create_campaign, create_post
from hub.locations.schemas import LocationCreate
from hub.locations.service import create_location
from hub.proposals.models import DistributionChunk
from hub.proposals.service import distribute, fan_out_chunk
from hub.publishing.models import Publication
from hub.publishing.service import connect_account
from tests.standins.base import StandIn
from tests.standins.facebook import FacebookStandIn
from tests.standins.linkedin import LinkedInStandIn
from tests.standins.x import XStandIn

NETWORKS: dict[str, type[StandIn]] = {"facebook": FacebookStandIn, "linkedin": LinkedInStandIn, "x": XStandIn}
HQ_EMAIL = "hq@storm.test"
HQ_PASSWORD = "correct horse battery"
BODY = "Portes ouvertes à {city} ce samedi : passez nous voir, appelez le {phone}."


def account_of(index: int) -> str:
    """The id of location `index`'s account on every network."""
    return f"{1000 + index}"


async def storm(database, settings, standins: dict[str, StandIn], locations: int, due_at: datetime) -> int:
    """Brand "Storm" with `locations` locations (S0000…, {city} = Ville<n>), each with an account on
    every stand-in, and one post on every network, auto-published and due at `due_at` for all of them,
    fanned out here; the number of scheduled publications."""
    async with database.session() as session:
        brand, admin = await create_brand(session, "Storm", HQ_EMAIL, HQ_PASSWORD)
        for index in range(locations):
            location = await create_location(session, brand.id, LocationCreate(
                code=f"S{index:04d}", name=f"Storm {index}", region="north", country="FR", locale="fr-FR",
                timezone="Europe/Paris", variables={"city": f"Ville{index}", "phone": f"+33 1 00 00 {index % 100:02d}"},
            ))
            for network, standin in standins.items():
                external_id = account_of(index)
                # A Facebook Page with its Page token; LinkedIn and X user tokens holding every scope.
                token = standin.add_page(external_id) if network == "facebook" else standin.issue_token(external_id)
                await connect_account(session, settings, location, network=network, external_id=external_id,
                                      access_token=token.value)
        actor = await actor_for(session, admin, "fr")
        campaign = await create_campaign(session, actor, CampaignCreate(name="Storm", approval_policy="auto_publish"))
        post, revision = await create_post(session, actor, campaign, PostCreate(
            body=BODY, networks=list(standins), publish_at=due_at))
        distribution = await distribute(session, actor, post, revision, Target(), settings.fanout_chunk_size)
        distribution_id = distribution.id
    async with database.session() as session:
        chunk_ids = list(await session.scalars(
            select(DistributionChunk.id).where(DistributionChunk.distribution_id == distribution_id)))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Publication)
                                    .where(Publication.status == "scheduled"))


def duplicates(standins: dict[str, StandIn]) -> dict[str, int]:
    """Per network, the posts beyond the first on any account (each account has one publication)."""
    return {network: sum(count - 1 for count in collections.Counter(post.account for post in standin.all_posts())
                         .values() if count > 1)
            for network, standin in standins.items()}
