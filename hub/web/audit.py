"""HQ's audit log page: who did what, when, with what changed, newest first."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from hub.accounts.models import User
from hub.audit.models import AuditEvent
from hub.deps import PageActor, SessionDep
from hub.errors import Forbidden
from hub.templating import is_htmx, render
from hub.validation import MAX_PAGE

router = APIRouter(include_in_schema=False)
PAGE = 100
VALUE_LENGTH = 80


def _show(value: Any) -> str:
    """A before/after value, short enough for a table cell ("—" when absent)."""
    if value is None or value == "":
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= VALUE_LENGTH else text[: VALUE_LENGTH - 1] + "…"


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[dict[str, str]]:
    """The keys whose value differs between before and after, each as key, old and new."""
    before, after = before or {}, after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [{"key": key, "old": _show(before.get(key)), "new": _show(after.get(key))}
            for key in keys if before.get(key) != after.get(key)]


@router.get("/audit")
async def audit_page(
    request: Request, actor: PageActor, session: SessionDep, action: str = "", subject_id: str = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    """The brand's audit events, newest first, filterable by action and subject id, 100 a page."""
    if not actor.is_hq:
        raise Forbidden("Only HQ (hq_admin or hq_editor) can read the audit log.")
    action, subject_id = action.strip(), subject_id.strip()
    conditions = [AuditEvent.brand_id == actor.brand_id]
    if action:
        conditions.append(AuditEvent.action == action)
    if subject_id:
        conditions.append(AuditEvent.subject_id == subject_id)
    total = await session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    rows = (await session.execute(
        select(AuditEvent, User.name, User.email)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*conditions)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(PAGE).offset((page - 1) * PAGE)
    )).all()
    events = [{"event": event, "who": name or email or "", "changes": changes(event.before, event.after)}
              for event, name, email in rows]
    actions = sorted(set(await session.scalars(
        select(AuditEvent.action).where(AuditEvent.brand_id == actor.brand_id).distinct())))
    context = {
        "events": events, "actions": actions, "total": total, "page": page,
        "pages": max(1, -(-total // PAGE)), "filters": {"action": action, "subject_id": subject_id},
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "audit":
        return render(request, "audit/list.html", context, block="audit")
    return render(request, "audit/list.html", context)
