"""Fixtures of the comment and review-link tests: two brands, one post sent to brand A's locations."""

from __future__ import annotations

import pytest

from hub.accounts import service as accounts
from tests.factories import PASSWORD, Network, make_network
from tests.web.conftest import csrf_of, log_in, sent_campaign, web_client  # noqa: F401  (fixture re-exported)


@pytest.fixture
async def brand_a(database, settings) -> Network:
    return await make_network(database, settings, locations=2, slug="alpha", name="Alpha")


@pytest.fixture
async def brand_b(database, settings) -> Network:
    return await make_network(database, settings, locations=1, slug="bravo", name="Bravo")


@pytest.fixture
async def sent(database, settings, brand_a) -> dict[str, str]:
    """Campaign, post and one proposal per location of brand A (location id -> proposal id)."""
    return await sent_campaign(database, settings, brand_a)


@pytest.fixture
async def viewer_a(database, brand_a) -> str:
    """The e-mail of a brand-wide viewer of brand A."""
    async with database.session() as session:
        user = await accounts.create_user(session, email="viewer@alpha.test", password=PASSWORD)
        await accounts.add_membership(session, user, brand_a.brand_id, "viewer")
    return "viewer@alpha.test"
