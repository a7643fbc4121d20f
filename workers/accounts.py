"""Account jobs: refresh tokens before they expire, and tell people of accounts that broke."""

from __future__ import annotations

from typing import Any

from hub.db import utcnow
from hub.publishing import accounts

REFRESH_JOB = "accounts.refresh_tokens"


async def refresh_tokens(ctx: dict[str, Any]) -> dict[str, int]:
    """Refresh the tokens expiring within token_refresh_ahead; e-mail and webhook once per broken account."""
    return await accounts.refresh_due(ctx["database"], ctx["settings"], utcnow())
