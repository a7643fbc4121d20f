"""Approval deadlines: expire or auto-approve what the locations did not decide in time."""

from __future__ import annotations

from typing import Any

from hub.db import utcnow
from hub.proposals import service as proposals


async def apply_deadlines(ctx: dict[str, Any]) -> dict[str, int]:
    """Apply each campaign's policy to pending proposals whose deadline has passed."""
    async with ctx["database"].session() as session:
        return await proposals.apply_deadlines(session, utcnow())
