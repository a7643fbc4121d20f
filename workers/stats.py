"""Stats task: read each published post's counters at the configured offsets."""

from __future__ import annotations

from typing import Any

from hub.stats import service as stats


async def collect(ctx: dict[str, Any]) -> int:
    """Take every reading that is due."""
    return await stats.collect_due(ctx["database"], ctx["settings"])
