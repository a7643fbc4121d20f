"""The local manager's inbox: what waits first, soonest deadline first; filters, pages, keyboard, bulk approve.

pages.py includes this router at its end, next to the studio's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from hub.accounts.actor import Actor
from hub.campaigns.models import Campaign
from hub.deps import FormActor, PageActor, SessionDep
from hub.errors import Invalid
from hub.i18n import Translator
from hub.locations import service as locations
from hub.locations.models import Location
from hub.locations.service import visible_locations
from hub.proposals import service as proposals
from hub.proposals.models import PROPOSAL_STATUSES, Proposal
from hub.publishing.models import NETWORKS
from hub.templating import is_htmx, render
from hub.validation import MAX_PAGE

router = APIRouter()

TEMPLATE = "proposals/inbox.html"
# A page: a screenful and a bit more, so "select all" covers a real bulk decision (bulk_approve takes 1000).
INBOX_PAGE = 50
# What a row shows: its other columns (the HQ texts, findings, diffs…) are not read.
ROW_COLUMNS = (Proposal.id, Proposal.location_id, Proposal.campaign_id, Proposal.status, Proposal.deadline,
               Proposal.texts)


def relative_deadline(deadline: datetime | None, now: datetime, _: Translator) -> tuple[str, str]:
    """How long is left to decide, as people say it, and its urgency ("none", "overdue", "soon", "later")."""
    if deadline is None:
        return _("No deadline"), "none"
    if deadline.tzinfo is None:  # SQLite hands back naive UTC
        deadline = deadline.replace(tzinfo=UTC)
    seconds = (deadline - now).total_seconds()
    if seconds <= 0:
        return _("Overdue"), "overdue"
    minutes = int(seconds // 60)
    if minutes < 60:
        return _("in {n} min", n=max(minutes, 1)), "soon"
    hours = minutes // 60
    if hours < 48:
        return _("in {n} h", n=hours), "soon" if hours < 24 else "later"
    return _("in {n} days", n=hours // 24), "later"


def _filters(status: str, campaign: str, network: str) -> dict[str, str]:
    """The filters as given, with unknown values dropped."""
    return {"status": status if status in PROPOSAL_STATUSES else "", "campaign": campaign.strip(),
            "network": network if network in NETWORKS else ""}


async def _campaign_names(session: SessionDep, actor: Actor) -> dict[str, str]:
    """The campaigns that sent proposals to the user's locations, by id (the campaign filter's choices)."""
    sent_here = (select(Proposal.campaign_id).join(Location, Location.id == Proposal.location_id)
                 .where(visible_locations(actor)).distinct())
    rows = await session.execute(select(Campaign.id, Campaign.name).where(Campaign.id.in_(sent_here))
                                 .order_by(Campaign.name))
    return {row.id: row.name for row in rows}


async def _places(session: SessionDep, actor: Actor, location_ids: Iterable[str]) -> dict[str, Location]:
    """The locations the page names (its rows', the skipped ones'), by id: not all the user's (a regional
    manager may have hundreds)."""
    return {location.id: location for location in await session.scalars(
        select(Location).where(Location.id.in_(set(location_ids)), visible_locations(actor)))}


async def _inbox_context(request: Request, session: SessionDep, actor: Actor, filters: dict[str, str],
                         page: int) -> dict[str, Any]:
    """A page of rows (waiting first, soonest deadline first), their places, campaigns and relative deadlines."""
    chosen = {"status": filters["status"] or None, "campaign_id": filters["campaign"] or None,
              "network": filters["network"] or None}
    total = await proposals.count_proposals(session, actor, **chosen)
    pages = max(1, -(-total // INBOX_PAGE))
    page = min(page, pages)  # past the end (the last rows were just decided away): the last page
    rows = await proposals.list_proposals(session, actor, **chosen, limit=INBOX_PAGE, offset=(page - 1) * INBOX_PAGE,
                                          waiting_first=True, only=ROW_COLUMNS)
    _ = Translator(getattr(request.state, "language", "en"))
    now = datetime.now(UTC)
    return {
        "rows": rows,
        "places": await _places(session, actor, (row.location_id for row in rows)),
        "campaign_names": await _campaign_names(session, actor),
        "deadlines": {row.id: relative_deadline(row.deadline, now, _) for row in rows},
        "filters": filters,
        "filtered": any(filters.values()),
        "page": page,
        "pages": pages,
        "total": total,
        "first": (page - 1) * INBOX_PAGE + 1,
        "can_decide": actor.role not in (None, "viewer"),
        "toast": None,
        "oob": False,
    }


def _rows_and_toast(request: Request, context: dict[str, Any]) -> HTMLResponse:
    """The rows block, and the toast swapped into #flash out of band."""
    body = (render(request, TEMPLATE, context, block="rows").body.decode()
            + render(request, TEMPLATE, {**context, "oob": True}, block="toast").body.decode())
    response = HTMLResponse(body)
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/inbox")
async def inbox(request: Request, actor: PageActor, session: SessionDep, status: str = "", campaign: str = "",
                network: str = "", page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1) -> HTMLResponse:
    """The proposals of the user's locations, those waiting first, soonest deadline first, filtered, a page at a time."""
    context = await _inbox_context(request, session, actor, _filters(status, campaign, network), page)
    if is_htmx(request) and request.headers.get("HX-Target") == "inbox-rows":
        return render(request, TEMPLATE, context, block="rows")
    return render(request, TEMPLATE, context)


@router.get("/inbox/rows/{proposal_id}")
async def inbox_row(request: Request, proposal_id: str, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """One row of the inbox as it stands now (after a decision taken from the keyboard)."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    location = await locations.get_location(session, actor, proposal.location_id)
    campaign = await session.get(Campaign, proposal.campaign_id)
    _ = Translator(getattr(request.state, "language", "en"))
    context = {
        "row": proposal,
        "places": {location.id: location},
        "campaign_names": {campaign.id: campaign.name} if campaign else {},
        "deadlines": {proposal.id: relative_deadline(proposal.deadline, datetime.now(UTC), _)},
        "can_decide": actor.role not in (None, "viewer"),
    }
    return render(request, TEMPLATE, context, block="row")


@router.post("/inbox/approve")
async def bulk_approve(request: Request, actor: FormActor, session: SessionDep) -> Response:
    """Approve the selected proposals as they are; say how many went through and why the others did not."""
    form = await request.form()
    ids = [str(value) for value in form.getlist("ids") if str(value).strip()]
    filters = _filters(str(form.get("status") or ""), str(form.get("campaign") or ""), str(form.get("network") or ""))
    page = str(form.get("page") or "")
    _ = Translator(getattr(request.state, "language", "en"))
    toast: dict[str, Any] = {"approved": 0, "skipped": [], "error": ""}
    if not ids:
        toast["error"] = _("Select at least one proposal first.")
    else:
        try:
            result = await proposals.bulk_approve(session, actor, ids)
            toast.update(approved=len(result["approved"]), skipped=result["skipped"])
        except Invalid as error:  # too many at once
            await session.rollback()
            toast["error"] = _(error.message, **error.values)
    # The page the form was sent from (a hidden field; anything else: the first).
    context = await _inbox_context(request, session, actor, filters,
                                   min(int(page), MAX_PAGE) if page.isdigit() and int(page) > 0 else 1)
    context["places"].update(await _places(session, actor, (item["location_id"] for item in toast["skipped"]
                                                            if "location_id" in item)))
    context["toast"] = toast
    if is_htmx(request):
        return _rows_and_toast(request, context)
    return render(request, TEMPLATE, context)
