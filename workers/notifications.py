"""Notification jobs: reminders before deadlines, escalations after them, the daily e-mail digest."""

from __future__ import annotations

from typing import Any

from hub.db import utcnow
from hub.notifications import service as notifications


async def remind(ctx: dict[str, Any]) -> int:
    """Record the reminders due now for the local managers of pending proposals."""
    async with ctx["database"].session() as session:
        return await notifications.record_reminders(session, ctx["settings"], utcnow())


async def escalate(ctx: dict[str, Any]) -> int:
    """Record an escalation to the regional managers of each proposal left unanswered at its deadline."""
    async with ctx["database"].session() as session:
        return await notifications.record_escalations(session, utcnow())


async def digest(ctx: dict[str, Any]) -> dict[str, int]:
    """Send each user whose local digest hour has come their one digest of the day."""
    return await notifications.send_digests(ctx["database"], ctx["settings"], utcnow())
