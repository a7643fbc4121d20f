"""Webhooks through the API (/api/v1/webhooks) and the HQ admin's page (/webhooks)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from hub.accounts.actor import Actor
from hub.deps import ApiActor, FormActor, PageActor, SessionDep, require_brand
from hub.errors import HubError
from hub.i18n import translate
from hub.queue import discard_pending
from hub.templating import render
from hub.webhooks import service as webhooks
from hub.webhooks.models import DELIVERY_STATUSES, WEBHOOK_EVENTS

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
pages = APIRouter(include_in_schema=False)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2000)
    events: list[str]
    secret: str = Field(max_length=500)


# ---------------------------------------------------------------- API


@router.post("/webhooks", status_code=201)
async def create_webhook(data: WebhookCreate, request: Request, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Register a URL for some events (hq_admin); the secret signs deliveries and is never shown again."""
    require_brand(actor)
    webhook = await webhooks.create_webhook(session, request.app.state.settings, actor,
                                            url=data.url, events=data.events, secret=data.secret)
    return webhooks.webhook_read(webhook, dict.fromkeys(DELIVERY_STATUSES, 0))


@router.get("/webhooks")
async def list_webhooks(actor: ApiActor, session: SessionDep) -> list[dict[str, Any]]:
    """The brand's webhooks, each with its deliveries of the last 7 days counted by status (hq_admin)."""
    require_brand(actor)
    return [webhooks.webhook_read(webhook, counts) for webhook, counts in await webhooks.list_webhooks(session, actor)]


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, actor: ApiActor, session: SessionDep) -> Response:
    """Remove a webhook and its deliveries (hq_admin)."""
    require_brand(actor)
    await webhooks.delete_webhook(session, actor, webhook_id)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries")
async def list_deliveries(
    webhook_id: str, actor: ApiActor, session: SessionDep, status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """A webhook's deliveries, newest first, with their attempts and last answer (hq_admin)."""
    require_brand(actor)
    rows = await webhooks.list_deliveries(session, actor, webhook_id=webhook_id, status=status, limit=limit)
    return [webhooks.delivery_read(delivery) for delivery in rows]


# ---------------------------------------------------------------- page


async def _page(request: Request, session: SessionDep, actor: Actor, *, values: dict[str, Any] | None = None,
                summary: str = "", field_errors: dict[str, list[str]] | None = None,
                status_code: int = 200) -> HTMLResponse:
    rows = await webhooks.list_webhooks(session, actor)
    deliveries = await webhooks.list_deliveries(session, actor, limit=50)
    urls = {webhook.id: webhook.url for webhook, _counts in rows}
    return render(request, "webhooks/list.html", {
        "webhooks": rows, "deliveries": deliveries, "urls": urls, "events": WEBHOOK_EVENTS,
        "values": values or {"url": "", "events": list(WEBHOOK_EVENTS)},
        "summary": summary, "field_errors": field_errors or {}, "min_secret": webhooks.MIN_SECRET_LENGTH,
    }, status_code=status_code)


@pages.get("/webhooks")
async def webhooks_page(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """The brand's webhooks, their recent deliveries and the form to add one (hq_admin)."""
    require_brand(actor)
    return await _page(request, session, actor)


@pages.post("/webhooks")
async def add_webhook(request: Request, actor: FormActor, session: SessionDep) -> Response:
    """Register a webhook from the form; the form comes back with its errors otherwise."""
    require_brand(actor)
    form = await request.form()
    values = {"url": str(form.get("url") or "").strip(), "events": [str(e) for e in form.getlist("events")]}
    try:
        await webhooks.create_webhook(session, request.app.state.settings, actor, url=values["url"],
                                      events=values["events"], secret=str(form.get("secret") or ""))
    except HubError as error:
        if error.status_code != 422:
            raise
        await session.rollback()
        discard_pending(session)
        language = actor.language
        field_errors: dict[str, list[str]] = {}
        for item in error.errors:
            field_errors.setdefault(item["field"], []).append(_field_message(item["message"], language))
        return await _page(request, session, actor, values=values, status_code=422, field_errors=field_errors,
                           summary=translate(error.message, language, **error.values))
    return RedirectResponse("/webhooks", status_code=303)


@pages.post("/webhooks/{webhook_id}/delete")
async def remove_webhook(webhook_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Delete a webhook from the page."""
    require_brand(actor)
    await webhooks.delete_webhook(session, actor, webhook_id)
    return RedirectResponse("/webhooks", status_code=303)


def _field_message(message: str, language: str) -> str:
    """A service's field message in the reader's language (its values were filled in English)."""
    for msgid, values in ((webhooks.EVENTS_MESSAGE, {"events": ", ".join(WEBHOOK_EVENTS)}),
                          (webhooks.SECRET_MESSAGE, {"n": webhooks.MIN_SECRET_LENGTH})):
        if message == msgid.format(**values):
            return translate(msgid, language, **values)
    return translate(message, language)
