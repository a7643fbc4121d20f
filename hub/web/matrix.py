"""HQ's approval matrix: every post of a campaign against every location, one cell per proposal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from hub.campaigns import service as campaigns
from hub.campaigns.models import PostRevision
from hub.deps import PageActor, SessionDep
from hub.errors import Forbidden
from hub.locations.models import Location, LocationTag
from hub.locations.service import visible_locations
from hub.proposals import service as proposals
from hub.proposals.models import PROPOSAL_STATUSES
from hub.templating import is_htmx, render
from hub.validation import MAX_PAGE

router = APIRouter(include_in_schema=False)
PAGE = 50


@router.get("/campaigns/{campaign_id}/matrix")
async def matrix_page(
    request: Request, campaign_id: str, actor: PageActor, session: SessionDep, region: str = "", tag: str = "",
    country: str = "", status: str = "", page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    """Posts × locations, filterable by region, tag, country and status; a cell opens the proposal."""
    if not actor.sees_whole_brand:
        raise Forbidden("Only HQ sees campaigns and the list of locations: your proposals are in your inbox.")
    campaign = await campaigns.get_campaign(session, actor, campaign_id)
    status = status if status in PROPOSAL_STATUSES else ""
    matrix = await proposals.approval_matrix(
        session, actor, campaign, region=region or None, tag=tag or None, country=country or None,
        status=status or None, limit=PAGE, offset=(page - 1) * PAGE)
    revisions = {revision.post_id: revision for revision in await session.scalars(
        select(PostRevision).where(PostRevision.post_id.in_([post.id for post in matrix["posts"]])))}
    # Each value once from the database: a brand of 10,000 locations has some twenty regions.
    choices = {
        "regions": sorted(set(await session.scalars(
            select(Location.region).where(visible_locations(actor)).distinct())) - {""}),
        "countries": sorted(await session.scalars(select(Location.country).where(visible_locations(actor)).distinct())),
        "tags": sorted(await session.scalars(
            select(LocationTag.tag).where(LocationTag.brand_id == actor.brand_id).distinct())),
    }
    context = {
        "campaign": campaign, **matrix, "revisions": revisions, "choices": choices, "page": page,
        "pages": max(1, -(-matrix["total"] // PAGE)),
        "filters": {"region": region, "tag": tag, "country": country, "status": status},
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "matrix":
        return render(request, "campaigns/matrix.html", context, block="matrix")
    return render(request, "campaigns/matrix.html", context)
