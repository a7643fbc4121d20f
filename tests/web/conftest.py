"""Helpers for the web UI tests: log in through the real form, read CSRF tokens, build proposals."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from tests.factories import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_FIELD.search(html)
    assert match, "the page has no form with a csrf_token"
    return match.group(1)


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Log in through the login form, as a browser does (GET the form, POST it back with its token)."""
    page = await client.get("/login")
    return await client.post("/login", data={
        "email": email, "password": password, "csrf_token": csrf_of(page.text), "next": "/",
    })


@pytest.fixture
async def web_client(app) -> AsyncIterator[Callable[..., Awaitable[httpx.AsyncClient]]]:
    """web_client(email=None) -> a fresh cookie-keeping client, logged in when an e-mail is given."""
    clients: list[httpx.AsyncClient] = []

    async def make(email: str | None = None, language: str | None = "en") -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
        clients.append(client)
        if language:
            client.cookies.set("lang", language)
        if email:
            response = await log_in(client, email)
            assert response.status_code == 303, response.text
        return client

    yield make
    for client in clients:
        await client.aclose()


async def sent_campaign(database, settings, network, *, body: str = "Bonjour {city} ! Appelez-nous au {phone}.",
                        networks: tuple[str, ...] = ("facebook", "instagram")) -> dict[str, str]:
    """A campaign with one post sent to every location, its fan-out run here (no worker needed).

    Returns the campaign id, post id and the proposal id of each location.
    """
    from sqlalchemy import select

    from hub.accounts import service as accounts
    from hub.accounts.models import User
    from hub.campaigns import service as campaigns
    from hub.campaigns.schemas import CampaignCreate, PostCreate, Target
    from hub.proposals import service as proposals
    from hub.proposals.models import DistributionChunk, Proposal

    async with database.session() as session:
        user = await session.scalar(select(User).where(User.email == network.hq_email))
        actor = await accounts.actor_for(session, user, "en")
        campaign = await campaigns.create_campaign(session, actor, CampaignCreate(name="Printemps"))
        post, revision = await campaigns.create_post(session, actor, campaign,
                                                     PostCreate(body=body, networks=list(networks)))
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
