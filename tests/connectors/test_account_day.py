"""An account's numbers of a day on each network: its followers now, its per-day counters, and what is missing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest

from hub.publishing.connectors import get_connector
from hub.publishing.connectors.base import AccountBroken, AccountDay, TransientBeforeSend
from hub.publishing.models import SocialAccount
from tests.connectors.conftest import connected_account, pointed_at
from tests.standins.base import StandIn, Token
from tests.standins.facebook import FacebookStandIn
from tests.standins.google import GoogleBusinessStandIn, YouTubeStandIn
from tests.standins.instagram import InstagramStandIn
from tests.standins.linkedin import LinkedInStandIn
from tests.standins.x import XStandIn

PAGE = "104857600"
IG_USER = "17841400000000001"
ORGANIZATION = "2414183"
X_USER = "1612345678901234567"
CHANNEL = "UCpizzalyon0001"
LOCATION = "accounts/111/locations/222"
DAY = date(2026, 11, 3)
FOLLOWERS = 1234

# Each network's stand-in with one account whose follower count is FOLLOWERS: (stand-in, external id, token).
NetworkSetUp = Iterator[tuple[StandIn, str, Token]]


@contextmanager
def _facebook(settings) -> NetworkSetUp:
    with FacebookStandIn() as standin, pointed_at(settings, facebook_api_url=standin.url):
        token = standin.add_page(PAGE, "Pizzeria Lyon")
        standin.set_followers(PAGE, FOLLOWERS)
        yield standin, PAGE, token


@contextmanager
def _instagram(settings) -> NetworkSetUp:
    with InstagramStandIn() as standin, pointed_at(settings, instagram_api_url=standin.url):
        token = standin.add_user(IG_USER, "pizzeria.lyon")
        standin.set_followers(IG_USER, FOLLOWERS)
        yield standin, IG_USER, token


@contextmanager
def _linkedin(settings) -> NetworkSetUp:
    with LinkedInStandIn() as standin, pointed_at(settings, linkedin_api_url=standin.url, linkedin_version="202605"):
        standin.organizations[ORGANIZATION] = "Pizzeria Lyon"
        standin.set_followers(ORGANIZATION, FOLLOWERS)
        token = standin.issue_token(ORGANIZATION, {"w_organization_social", "r_organization_social",
                                                   "rw_organization_admin"}, expires_in=3600)
        yield standin, ORGANIZATION, token


@contextmanager
def _x(settings) -> NetworkSetUp:
    with XStandIn() as standin, pointed_at(settings, x_api_url=standin.url):
        standin.users = {X_USER: "velo_lyon"}
        standin.set_followers(X_USER, FOLLOWERS)
        token = standin.issue_token(X_USER, {"tweet.read", "tweet.write", "users.read", "offline.access"},
                                    expires_in=7200, refresh=True)
        yield standin, X_USER, token


@contextmanager
def _youtube(settings) -> NetworkSetUp:
    with YouTubeStandIn() as standin, pointed_at(settings, youtube_api_url=standin.url):
        standin.add_channel(CHANNEL, "Pizza Lyon")
        standin.set_subscribers(CHANNEL, FOLLOWERS)
        yield standin, CHANNEL, standin.token_for(CHANNEL, expires_in=3600, refresh=True)


NETWORKS = {"facebook": _facebook, "instagram": _instagram, "linkedin": _linkedin, "x": _x, "youtube": _youtube}


@pytest.fixture(params=sorted(NETWORKS))
async def network(request, database, settings):
    """A network with followers: its connector, a connected account and the network's stand-in."""
    with NETWORKS[request.param](settings) as (standin, external_id, token):
        account = await connected_account(database, settings, request.param, external_id, token.value,
                                          refresh_token=token.refresh_token)
        yield get_connector(request.param, database, settings), account, standin


class TestFollowers:
    async def test_the_follower_count_is_read_from_the_network(self, network):
        connector, account, _ = network
        assert await connector.read_account_day(account, DAY) == AccountDay(followers=FOLLOWERS)

    async def test_an_expired_token_breaks_the_account(self, network):
        connector, account, standin = network
        standin.inject("expired_token", "followers")
        with pytest.raises(AccountBroken) as raised:
            await connector.read_account_day(account, DAY)
        assert raised.value.account_status == "expired"

    async def test_a_server_error_is_retried_later(self, network):
        connector, account, standin = network
        standin.inject("server_error", "followers")
        with pytest.raises(TransientBeforeSend) as raised:
            await connector.read_account_day(account, DAY)
        assert type(raised.value) is TransientBeforeSend  # neither a rate limit nor an unknown outcome


class TestYouTube:
    async def test_a_hidden_subscriber_count_is_missing_not_zero(self, database, settings):
        with _youtube(settings) as (standin, _, token):
            standin.set_subscribers(CHANNEL, FOLLOWERS, hidden=True)
            account = await connected_account(database, settings, "youtube", CHANNEL, token.value,
                                              refresh_token=token.refresh_token)
            day = await get_connector("youtube", database, settings).read_account_day(account, DAY)
        assert day == AccountDay(followers=None)


class TestGoogleBusinessProfile:
    @pytest.fixture
    def standin(self, settings):
        with GoogleBusinessStandIn() as standin, pointed_at(settings, google_performance_api_url=standin.url):
            standin.add_location(LOCATION, "Pizza Lyon")
            yield standin

    @pytest.fixture
    async def account(self, database, settings, standin):
        token = standin.token_for(LOCATION, expires_in=3600, refresh=True)
        return await connected_account(database, settings, "google_business", LOCATION, token.value,
                                       refresh_token=token.refresh_token)

    @pytest.fixture
    def connector(self, database, settings):
        return get_connector("google_business", database, settings)

    async def test_the_days_counters_under_googles_names_and_no_followers(self, standin, account, connector):
        standin.set_daily_metric("222", "CALL_CLICKS", DAY, 3)
        standin.set_daily_metric("222", "CALL_CLICKS", date(2026, 11, 2), 40)  # the day before
        standin.set_daily_metric("222", "CALL_CLICKS", date(2026, 11, 4), 50)  # the day after
        standin.set_daily_metric("222", "BUSINESS_IMPRESSIONS_MOBILE_MAPS", DAY, 250)
        # A zero comes as a datapoint without a value: it is a 0, not a missing number.
        standin.set_daily_metric("222", "WEBSITE_CLICKS", DAY, 0)
        standin.set_daily_metric("999", "BUSINESS_DIRECTION_REQUESTS", DAY, 7)  # another location
        day = await connector.read_account_day(account, DAY)
        assert day == AccountDay(followers=None, metrics={
            "CALL_CLICKS": 3, "BUSINESS_IMPRESSIONS_MOBILE_MAPS": 250, "WEBSITE_CLICKS": 0,
        })

    async def test_a_day_google_gives_no_datapoint_for_has_no_counters(self, standin, account, connector):
        standin.set_daily_metric("222", "CALL_CLICKS", date(2026, 11, 2), 40)
        assert await connector.read_account_day(account, DAY) == AccountDay(followers=None, metrics={})

    async def test_an_expired_token_breaks_the_account(self, standin, account, connector):
        standin.inject("expired_token", "stats")
        with pytest.raises(AccountBroken) as raised:
            await connector.read_account_day(account, DAY)
        assert raised.value.account_status == "expired"

    async def test_a_server_error_is_retried_later(self, standin, account, connector):
        standin.inject("server_error", "stats")
        with pytest.raises(TransientBeforeSend) as raised:
            await connector.read_account_day(account, DAY)
        assert type(raised.value) is TransientBeforeSend


class TestSandbox:
    async def test_followers_are_simulated_the_same_every_time_and_grow_by_the_day(self, database, settings):
        sandbox = get_connector("sandbox", database, settings)
        lyon, nice = SocialAccount(id="account-lyon"), SocialAccount(id="account-nice")
        march = await sandbox.read_account_day(lyon, date(2026, 3, 1))
        assert march == await sandbox.read_account_day(lyon, date(2026, 3, 1))
        assert march.simulated and march.metrics == {} and march.followers > 0
        september = await sandbox.read_account_day(lyon, date(2026, 9, 1))
        assert september.followers > march.followers
        assert (await sandbox.read_account_day(nice, date(2026, 3, 1))).followers != march.followers
