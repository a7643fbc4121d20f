"""The sandbox: "publishes" into Pieuvre's own feed page of each location, with simulated stats.

It lets a brand try the whole cycle with no credentials. Everything it shows is labelled
sandbox, and its counters are labelled simulated: they are a deterministic function of the
post and the reading offset, so a demo and a test see the same numbers every time.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import select

from hub.config import parse_duration
from hub.publishing.connectors.base import AccountDay, Connector, Metrics, OutgoingPost, PublishedPost, TokenSet
from hub.publishing.models import SandboxPost, SocialAccount


def simulated_metrics(external_id: str, offset_label: str) -> dict[str, int]:
    """Deterministic counters for a sandbox post at one reading offset; they only grow with time."""
    seed = int(hashlib.sha256(external_id.encode()).hexdigest()[:8], 16)
    hours = parse_duration(offset_label).total_seconds() / 3600
    # Reach grows quickly then levels off, as organic reach does (half of it in the first ~day).
    growth = hours / (hours + 24) if hours > 0 else 0.0
    audience = 200 + seed % 800
    reach = round(audience * growth)
    impressions = round(reach * (1.3 + (seed >> 10) % 40 / 100))
    reactions = round(reach * (2 + (seed >> 16) % 5) / 100)
    comments = round(reach * ((seed >> 20) % 3) / 200)
    shares = round(reach * ((seed >> 22) % 2) / 200)
    return {
        "impressions": impressions, "reach": reach, "reactions": reactions,
        "comments": comments, "shares": shares, "engagements": reactions + comments + shares,
    }


# The day simulated audiences start from: a sandbox account has its starting followers on this day.
SIMULATION_START = date(2026, 1, 1)


def simulated_followers(account_id: str, day: date) -> int:
    """Deterministic followers of a sandbox account on `day`: a starting audience that grows a little each day."""
    seed = int(hashlib.sha256(account_id.encode()).hexdigest()[:8], 16)
    days = max(0, (day - SIMULATION_START).days)
    # Between 0.2 and 1.8 new followers a day, counted in tenths so every account grows at its own pace.
    return 150 + seed % 1850 + days * (2 + (seed >> 12) % 17) // 10


class SandboxConnector(Connector):
    """Writes posts to the sandbox feed table, reads simulated counters."""

    name = "sandbox"
    label = "Sandbox"

    def _url(self, location_id: str, post_id: str) -> str:
        return f"{self.settings.base_url.rstrip('/')}/sandbox/{location_id}#post-{post_id}"

    async def create_post(self, account: SocialAccount, post: OutgoingPost) -> PublishedPost:
        async with self.database.session() as session:
            row = SandboxPost(
                social_account_id=account.id, location_id=account.location_id, network=account.network,
                text=post.text, content_hash=post.content_hash, image_url=post.image_url,
            )
            session.add(row)
            await session.flush()
            return PublishedPost(external_id=row.id, url=self._url(account.location_id, row.id), published_at=row.created_at)

    async def read_stats(self, account: SocialAccount, external_id: str, offset_label: str) -> Metrics:
        return Metrics(values=simulated_metrics(external_id, offset_label), simulated=True)

    async def read_account_day(self, account: SocialAccount, day: date) -> AccountDay:
        return AccountDay(followers=simulated_followers(account.id, day), simulated=True)

    async def find_post(self, account: SocialAccount, post: OutgoingPost, since: datetime) -> PublishedPost | None:
        async with self.database.session() as session:
            row = await session.scalar(
                select(SandboxPost)
                .where(SandboxPost.social_account_id == account.id, SandboxPost.content_hash == post.content_hash,
                       SandboxPost.created_at >= since)
                .order_by(SandboxPost.created_at)
                .limit(1)
            )
        if row is None:
            return None
        return PublishedPost(external_id=row.id, url=self._url(account.location_id, row.id), published_at=row.created_at)

    async def refresh_token(self, account: SocialAccount) -> TokenSet | None:
        return None  # sandbox accounts have no token to refresh


