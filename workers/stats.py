"""Stats tasks: read posts' counters at their offsets, accounts' numbers daily, and refresh the scoreboards
and the campaign reports."""

from __future__ import annotations

from typing import Any

from hub.stats import report, scoreboard
from hub.stats import service as stats


async def collect(ctx: dict[str, Any]) -> int:
    """Take every reading that is due."""
    return await stats.collect_due(ctx["database"], ctx["settings"])


async def collect_account_days(ctx: dict[str, Any]) -> int:
    """Read today's followers of every account not read yet today (hourly, so a failed read is retried)."""
    return await stats.collect_account_days(ctx["database"], ctx["settings"])


async def refresh_scoreboards(ctx: dict[str, Any]) -> int:
    """Recompute every brand's scoreboard from the database."""
    return await scoreboard.refresh_all(ctx["database"])


async def refresh_campaign_figures(ctx: dict[str, Any]) -> int:
    """Recompute the stored figures of campaigns whose proposals or publications changed."""
    return await report.refresh_campaign_figures(ctx["database"])
