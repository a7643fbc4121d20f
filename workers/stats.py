"""Stats tasks: read posts' counters at their offsets, accounts' numbers daily, and refresh the scoreboards."""

from __future__ import annotations

from typing import Any

from hub.stats import scoreboard
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
