"""A brand whose locations live on two clocks (Paris and New York), posts sent to them through the
real fan-out, and a helper to decide proposals as the locations would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select

from hub.accounts import service as accounts
from hub.accounts.models import User
from hub.campaigns import service as campaigns
from hub.campaigns.schemas import CampaignCreate, PostCreate, Target
from hub.locations.schemas import LocationCreate
from hub.locations.service import create_location
from hub.proposals import service as proposals
from hub.proposals.models import DistributionChunk, Proposal
from hub.publishing.service import connect_account
from tests.factories import PASSWORD, Network, make_network


@dataclass
class World:
    """Three Paris locations (regions south, north, south), one in New York (region east), and another brand."""

    network: Network
    paris: str
    paris_north: str
    new_york: str
    other_brand: Network

    @property
    def hq(self) -> str:
        return self.network.hq_email

    def local(self, location_id: str) -> str:
        return self.network.local_emails[location_id]


@pytest.fixture
async def world(database, settings) -> World:
    network = await make_network(database, settings, locations=3)
    async with database.session() as session:
        location = await create_location(session, network.brand_id, LocationCreate(
            code="VELO-NYC", name="Vélo Lumière Brooklyn", region="east", country="US", locale="fr-FR",
            timezone="America/New_York", variables={"city": "Brooklyn", "phone": "+1 718 000 0000"}, tags=["city"],
        ))
        user = await accounts.create_user(session, email="local-nyc@velo.test", password=PASSWORD)
        await accounts.add_membership(session, user, network.brand_id, "local_manager", [location.id])
        for name in ("facebook", "instagram"):
            await connect_account(session, settings, location, network=name, external_id=f"{name}-nyc",
                                  access_token="", connector="sandbox")
    network.locations.append(location)
    network.local_emails[location.id] = user.email
    other = await make_network(database, settings, name="Autre Marque", slug="autre", locations=1)
    return World(network, network.locations[0].id, network.locations[1].id, location.id, other)


async def actor_of(session, email: str):
    user = await session.scalar(select(User).where(User.email == email))
    return await accounts.actor_for(session, user, "en")


async def send_post(database, settings, world: World, campaign_name: str, *, body: str = "Bonjour {city} !",
                    networks: tuple[str, ...] = ("facebook", "instagram"), publish_at: datetime | None = None,
                    publish_at_local: str | None = None, approval_policy: str = "approval_required") -> dict[str, str]:
    """A campaign with one post sent to every location of the brand, fanned out here; returns the
    post id and each location's proposal id."""
    async with database.session() as session:
        actor = await actor_of(session, world.hq)
        campaign = await campaigns.create_campaign(session, actor, CampaignCreate(
            name=campaign_name, approval_policy=approval_policy))
        post, revision = await campaigns.create_post(session, actor, campaign, PostCreate(
            body=body, networks=list(networks), publish_at=publish_at, publish_at_local=publish_at_local))
        distribution = await proposals.distribute(session, actor, post, revision, Target(), settings.fanout_chunk_size)
        ids = {"campaign_id": campaign.id, "post_id": post.id, "distribution_id": distribution.id}
    async with database.session() as session:
        for chunk_id in await session.scalars(
                select(DistributionChunk.id).where(DistributionChunk.distribution_id == ids["distribution_id"])):
            await proposals.fan_out_chunk(session, chunk_id)
    async with database.session() as session:
        for proposal in await session.scalars(select(Proposal).where(Proposal.post_id == ids["post_id"])):
            ids[proposal.location_id] = proposal.id
    return ids


async def decide(database, world: World, location_id: str, proposal_id: str, decision: str) -> None:
    """The location's manager approves or rejects its proposal through the real service."""
    async with database.session() as session:
        actor = await actor_of(session, world.local(location_id))
        proposal = await proposals.get_proposal(session, actor, proposal_id)
        if decision == "approve":
            await proposals.approve(session, actor, proposal)
        else:
            await proposals.reject(session, actor, proposal, "wrong_timing", None)
