"""Writing the audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.audit.models import AuditEvent


def record(
    session: AsyncSession,
    *,
    brand_id: str | None,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the session (committed with the change it describes)."""
    event = AuditEvent(
        brand_id=brand_id, actor_id=actor_id, action=action, subject_type=subject_type,
        subject_id=subject_id, before=before or {}, after=after or {},
    )
    session.add(event)
    return event
