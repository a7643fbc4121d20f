"""Each account's followers, read once a day, and the brand's followers per network and month."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, update

from hub.publishing.connectors.sandbox import simulated_followers
from hub.publishing.models import SocialAccount
from hub.stats.models import AccountDay
from hub.stats.scoreboard import refresh_scoreboard
from hub.stats.service import collect_account_days
from tests.connectors.conftest import connected_account, pointed_at
from tests.factories import make_network
from tests.standins.google import GoogleBusinessStandIn


async def test_followers_are_read_once_a_day_and_summed_per_network(database, settings):
    network = await make_network(database, settings, locations=3, networks=("facebook", "instagram"))
    async with database.session() as session:
        # A broken account is not read (its token would be refused); it comes back once reconnected.
        broken = await session.scalar(select(SocialAccount).where(SocialAccount.location_id == network.locations[2].id,
                                                                  SocialAccount.network == "instagram"))
        await session.execute(update(SocialAccount).where(SocialAccount.id == broken.id).values(status="expired"))
    today = date.today()
    assert await collect_account_days(database, settings, today) == 5
    assert await collect_account_days(database, settings, today) == 0  # the hourly run again: nothing twice
    async with database.session() as session:
        rows = list(await session.scalars(select(AccountDay)))
        assert len(rows) == 5 and all(row.simulated and row.day == today for row in rows)
        assert {row.social_account_id: row.followers for row in rows} == {
            row.social_account_id: simulated_followers(row.social_account_id, today) for row in rows}
        assert await session.scalar(select(func.count()).where(AccountDay.social_account_id == broken.id)) == 0

    report = await refresh_scoreboard(database, network.brand_id)
    followers = {row["network"]: row for row in report["followers_by_month"] if row["month"] == today.strftime("%Y-%m")}
    facebook = [row for row in rows if row.network == "facebook"]
    assert followers["facebook"]["followers"] == sum(row.followers for row in facebook)
    assert followers["facebook"]["accounts"] == 3 and followers["instagram"]["accounts"] == 2


async def test_google_business_days_are_read_again_while_google_fills_them_in(database, settings):
    location = "accounts/111/locations/222"
    today = date(2026, 11, 20)
    with GoogleBusinessStandIn() as standin, pointed_at(settings, google_performance_api_url=standin.url):
        standin.add_location(location, "Pizza Lyon")
        token = standin.token_for(location, expires_in=3600, refresh=True)
        account = await connected_account(database, settings, "google_business", location, token.value,
                                          refresh_token=token.refresh_token)
        standin.set_daily_metric("222", "CALL_CLICKS", today - timedelta(days=3), 4)
        assert await collect_account_days(database, settings, today - timedelta(days=1)) == 1
        # Google adds the day before's calls late; the next daily reading revises that day.
        standin.set_daily_metric("222", "CALL_CLICKS", today - timedelta(days=1), 9)
        assert await collect_account_days(database, settings, today) == 1
    async with database.session() as session:
        days = {row.day: row for row in await session.scalars(
            select(AccountDay).where(AccountDay.social_account_id == account.id))}
    assert sorted(days) == [today - timedelta(days=back) for back in range(6, -1, -1)]
    assert days[today - timedelta(days=3)].metrics == {"CALL_CLICKS": 4}
    assert days[today - timedelta(days=1)].metrics == {"CALL_CLICKS": 9}
    assert days[today].metrics == {} and all(row.followers is None for row in days.values())
