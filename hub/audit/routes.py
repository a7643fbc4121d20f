"""The audit log through the API: who did what, when, with the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from hub.audit.models import AuditEvent
from hub.deps import ApiActor, SessionDep, require_hq
from hub.validation import MAX_OFFSET

router = APIRouter(prefix="/api/v1")


@router.get("/audit", tags=["audit"])
async def audit_log(
    actor: ApiActor, session: SessionDep, subject_type: str | None = None, subject_id: str | None = None,
    actor_id: str | None = None, action: str | None = None, since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200, offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    """The brand's audit events, newest first (HQ)."""
    require_hq(actor)
    query = select(AuditEvent).where(AuditEvent.brand_id == actor.brand_id)
    for column, value in ((AuditEvent.subject_type, subject_type), (AuditEvent.subject_id, subject_id),
                          (AuditEvent.actor_id, actor_id), (AuditEvent.action, action)):
        if value:
            query = query.where(column == value)
    if since:
        query = query.where(AuditEvent.created_at >= since)
    events = await session.scalars(query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                                   .limit(limit).offset(offset))
    return [{"id": event.id, "at": event.created_at, "actor_id": event.actor_id, "action": event.action,
             "subject_type": event.subject_type, "subject_id": event.subject_id, "before": event.before,
             "after": event.after} for event in events]
