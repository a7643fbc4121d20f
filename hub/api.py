"""The JSON API v1: one router per domain, mounted under /api/v1."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from hub.accounts import service as accounts
from hub.accounts import throttle
from hub.brands import service as brands
from hub.brandkit import service as brandkit
from hub.brandkit.schemas import BrandKitData
from hub.brandkit.service import lint_rules
from hub.campaigns import service as campaigns
from hub.campaigns.schemas import CampaignCreate, CampaignRead, DistributeRequest, PostCreate, PostRead
from hub.deps import ApiActor, SessionDep, client_address, require_brand, require_hq
from hub.errors import Forbidden, Invalid, UnsupportedMedia
from hub.linting.read import finding_read
from hub.locations import service as locations
from hub.media import service as media
from hub.locations.schemas import LocationCreate, LocationRead
from hub.proposals import service as proposals
from hub.publishing import service as publishing
from hub.db import utcnow
from hub.stats.report import LOCATION_SORTS, campaign_report
from hub.stats.report import silent_arms as find_silent_arms
from hub.stats.scoreboard import location_report as build_location_report
from hub.stats.scoreboard import network_scoreboard
from hub.validation import MAX_OFFSET

router = APIRouter(prefix="/api/v1")


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str
    password: str


class BrandCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    admin_email: str
    admin_password: str
    admin_name: str = ""


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str
    password: str
    name: str = ""
    role: str
    location_ids: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    ui_language: str | None = None


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    network: str
    external_id: str = Field(min_length=1, max_length=200)
    access_token: str = ""
    refresh_token: str | None = None
    expires_at: AwareDatetime | None = None
    connector: str | None = Field(default=None, description="'sandbox' for Pieuvre's own feed; default: the network's")
    display_name: str = ""


class CustomizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    texts: dict[str, str] = Field(default_factory=dict)
    image_texts: dict[str, str] = Field(default_factory=dict, description="headline, subline, cta, legal: the editable ones")
    slots: dict[str, str] = Field(default_factory=dict, description="For a post with editable='slots': its [[slots]]")


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str
    comment: str | None = None


@router.post("/auth/token", tags=["auth"])
async def issue_token(data: TokenRequest, request: Request, session: SessionDep) -> dict[str, Any]:
    """Exchange an e-mail and password for a bearer token (429 with Retry-After after too many failures)."""
    user = await throttle.authenticate(session, request.app.state.settings, data.email, data.password,
                                       client_address(request))
    secret, row = await accounts.open_session(session, user, "api", accounts.API_TOKEN_DAYS)
    return {"token": secret, "token_type": "bearer", "expires_at": row.expires_at}


@router.delete("/auth/token", status_code=204, tags=["auth"])
async def revoke_token(request: Request, actor: ApiActor, session: SessionDep, everywhere: bool = False) -> Response:
    """End the bearer token of this call at once: a leaked token is cut off. `everywhere=true` ends every API
    token of the user, this one included (for a token you no longer hold: get a new one, then call this)."""
    if everywhere:
        await accounts.close_api_tokens(session, actor.user.id)
    else:
        await accounts.close_session(session, request.headers["Authorization"].partition(" ")[2].strip())
    return Response(status_code=204)


@router.get("/me", tags=["auth"])
async def me(actor: ApiActor) -> dict[str, Any]:
    """Who the token belongs to: user, brand, role and scope."""
    return accounts.describe_user(actor)


@router.post("/brands", status_code=201, tags=["brands"])
async def create_brand(data: BrandCreate, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Create a brand and its HQ admin (deployment admins only)."""
    if not actor.user.is_deployment_admin:
        raise Forbidden("Only a deployment admin can create brands (see PIEUVRE_BOOTSTRAP_ADMIN_EMAIL).")
    brand, admin = await brands.create_brand(session, data.name, data.admin_email, data.admin_password, data.admin_name)
    return {"id": brand.id, "name": brand.name, "slug": brand.slug, "admin_id": admin.id}


@router.post("/users", status_code=201, tags=["users"])
async def create_user(data: UserCreate, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Add a user to the brand with a role and a scope (HQ admins only)."""
    brand_id = require_brand(actor)
    if actor.role != "hq_admin":
        raise Forbidden("Only an hq_admin can add users.")
    if data.role == "local_manager" and not data.location_ids:
        raise Invalid("A local manager needs at least one location: give location_ids.",
                      errors=[{"field": "location_ids", "message": "required for local_manager"}])
    if data.role == "regional_manager" and not data.regions:
        raise Invalid("A regional manager needs at least one region: give regions.",
                      errors=[{"field": "regions", "message": "required for regional_manager"}])
    for location_id in data.location_ids:
        await locations.get_location(session, actor, location_id)
    user = await accounts.create_user(session, email=data.email, password=data.password, name=data.name,
                                      ui_language=data.ui_language if data.ui_language in ("fr", "en") else None)
    membership = await accounts.add_membership(session, user, brand_id, data.role, data.location_ids, data.regions)
    return {"id": user.id, "email": user.email, "name": user.name, "role": membership.role,
            "location_ids": membership.location_ids, "regions": membership.regions}


@router.post("/locations", status_code=201, tags=["locations"])
async def create_location(data: LocationCreate, actor: ApiActor, session: SessionDep) -> LocationRead:
    """Add a location to the network."""
    require_hq(actor)
    return LocationRead.model_validate(await locations.create_location(session, actor.brand_id, data))


@router.post("/locations/import", tags=["locations"], openapi_extra={
    "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
})
async def import_locations(request: Request, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Create or update locations from a CSV; any bad line refuses the whole file."""
    require_hq(actor)
    if not request.headers.get("content-type", "").startswith("text/csv"):
        raise UnsupportedMedia("Send the file with 'Content-Type: text/csv'.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > locations.MAX_IMPORT_BYTES:
            break  # enough to refuse the file: the rest of it is never held in memory
    return await locations.import_locations(session, actor.brand_id, bytes(body))


@router.get("/locations", tags=["locations"])
async def list_locations(
    actor: ApiActor, session: SessionDep, tag: str | None = None, region: str | None = None, q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500, offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[LocationRead]:
    """Locations you may see (HQ: all; locals: their own)."""
    rows = await locations.list_locations(session, actor, tag=tag, region=region, q=q, limit=limit, offset=offset)
    return [LocationRead.model_validate(row) for row in rows]


@router.get("/locations/{location_id}", tags=["locations"])
async def get_location(location_id: str, actor: ApiActor, session: SessionDep) -> LocationRead:
    return LocationRead.model_validate(await locations.get_location(session, actor, location_id))


@router.post("/locations/{location_id}/accounts", status_code=201, tags=["locations"])
async def connect_account(location_id: str, data: AccountCreate, request: Request, response: Response,
                          actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Connect a social account with tokens an admin already holds (the tokens are never returned).
    The same account again reconnects it with the new tokens (200)."""
    location = await locations.get_location(session, actor, location_id)
    require_hq(actor)
    account, created = await publishing.connect_account(
        session, request.app.state.settings, location, network=data.network, external_id=data.external_id,
        access_token=data.access_token, refresh_token=data.refresh_token, expires_at=data.expires_at,
        connector=data.connector, display_name=data.display_name, actor=actor,
    )
    if not created:
        response.status_code = 200
    return publishing.account_read(account)


@router.get("/brand-kit", tags=["brand kit"])
async def get_brand_kit(actor: ApiActor, session: SessionDep) -> BrandKitData:
    """The brand's palette, tone-of-voice rules and network settings."""
    require_hq(actor)
    return await brandkit.get_kit(session, actor.brand_id)


@router.put("/brand-kit", tags=["brand kit"])
async def put_brand_kit(data: BrandKitData, actor: ApiActor, session: SessionDep) -> BrandKitData:
    """Replace the brand kit (HQ admins); every text written from now on is held to it."""
    require_hq(actor)
    if actor.role != "hq_admin":
        raise Forbidden("Only an hq_admin can change the brand kit.")
    return await brandkit.put_kit(session, actor, data)


@router.post("/campaigns", status_code=201, tags=["campaigns"])
async def create_campaign(data: CampaignCreate, actor: ApiActor, session: SessionDep) -> CampaignRead:
    require_hq(actor)
    return CampaignRead.model_validate(await campaigns.create_campaign(session, actor, data))


@router.get("/campaigns", tags=["campaigns"])
async def list_campaigns(actor: ApiActor, session: SessionDep) -> list[CampaignRead]:
    if not actor.sees_whole_brand:
        return []
    return [CampaignRead.model_validate(row) for row in await campaigns.list_campaigns(session, actor)]


@router.get("/campaigns/{campaign_id}", tags=["campaigns"])
async def get_campaign(campaign_id: str, actor: ApiActor, session: SessionDep) -> CampaignRead:
    return CampaignRead.model_validate(await campaigns.get_campaign(session, actor, campaign_id))


@router.post("/campaigns/{campaign_id}/posts", status_code=201, tags=["campaigns"])
async def create_post(campaign_id: str, data: PostCreate, actor: ApiActor, session: SessionDep) -> PostRead:
    campaign = await campaigns.get_campaign(session, actor, campaign_id)
    require_hq(actor)
    post, revision = await campaigns.create_post(session, actor, campaign, data)
    return campaigns.post_read(post, revision)


@router.get("/campaigns/{campaign_id}/posts", tags=["campaigns"])
async def list_posts(campaign_id: str, actor: ApiActor, session: SessionDep) -> list[PostRead]:
    campaign = await campaigns.get_campaign(session, actor, campaign_id)
    return [campaigns.post_read(post, revision) for post, revision in await campaigns.list_posts(session, campaign)]


@router.get("/posts/{post_id}", tags=["campaigns"])
async def get_post(post_id: str, actor: ApiActor, session: SessionDep) -> PostRead:
    return campaigns.post_read(*await campaigns.get_post(session, actor, post_id))


@router.put("/posts/{post_id}", tags=["campaigns"])
async def revise_post(post_id: str, data: PostCreate, request: Request, actor: ApiActor,
                      session: SessionDep) -> dict[str, Any]:
    """Publish a new revision of the post. Locations that have it get it re-rendered: pending and
    approved ones with HQ's new text; customized ones keep their text, see what HQ changed, and confirm
    again; published ones stay as they are."""
    post, _ = await campaigns.get_post(session, actor, post_id)
    require_hq(actor)
    revision = await campaigns.revise_post(session, actor, post, data)
    distribution = await proposals.redistribute_revision(session, actor, post, revision,
                                                         request.app.state.settings.fanout_chunk_size)
    return {**campaigns.post_read(post, revision).model_dump(mode="json"),
            "distribution_id": distribution.id if distribution else None}


@router.post("/posts/{post_id}/lint", tags=["campaigns"])
async def lint_post(post_id: str, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """The findings on HQ's text (variables are checked per location at fan-out)."""
    post, revision = await campaigns.get_post(session, actor, post_id)
    require_hq(actor)
    rules = await lint_rules(session, post.brand_id)
    findings = campaigns.lint_post(revision, rules, await campaigns.source_locale(session, post.brand_id))
    return {"findings": [finding_read(item, actor.language) for item in findings]}


@router.post("/posts/{post_id}/distribute", status_code=202, tags=["campaigns"])
async def distribute(post_id: str, request: Request, actor: ApiActor, session: SessionDep,
                     data: DistributeRequest | None = None) -> dict[str, Any]:
    """Send the post to the network: one localized proposal per targeted location, made by workers."""
    post, revision = await campaigns.get_post(session, actor, post_id)
    require_hq(actor)
    distribution = await proposals.distribute(session, actor, post, revision, data or DistributeRequest(),
                                              request.app.state.settings.fanout_chunk_size)
    return {"distribution_id": distribution.id, "total": distribution.total}


@router.post("/posts/{post_id}/withdraw", tags=["campaigns"])
async def withdraw_post(post_id: str, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Take the post back: nothing of it goes out any more (publications not started are cancelled, proposals
    withdrawn); what is already on a network stays there ('already_out' counts those proposals)."""
    post, revision = await campaigns.get_post(session, actor, post_id)
    require_hq(actor)
    counts = await campaigns.withdraw_post(session, actor, post)
    return {**campaigns.post_read(post, revision).model_dump(mode="json"), **counts}


@router.get("/distributions/{distribution_id}", tags=["campaigns"])
async def get_distribution(distribution_id: str, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Progress of a fan-out."""
    return proposals.distribution_read(await proposals.get_distribution(session, actor, distribution_id))


@router.get("/proposals", tags=["proposals"])
async def list_proposals(
    actor: ApiActor, session: SessionDep, status: str | None = None, campaign_id: str | None = None,
    location_id: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[dict[str, Any]]:
    """Proposals of the locations you may see, soonest deadline first."""
    rows = await proposals.list_proposals(session, actor, status=status, campaign_id=campaign_id,
                                          location_id=location_id, limit=limit, offset=offset)
    return [proposals.proposal_read(row, actor.language) for row in rows]


class BulkApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[str]


@router.post("/proposals/bulk-approve", tags=["proposals"])
async def bulk_approve(data: BulkApproveRequest, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """Approve a selection of proposals as they are; each one not approved comes back with its reason."""
    return await proposals.bulk_approve(session, actor, data.ids)


@router.get("/proposals/{proposal_id}", tags=["proposals"])
async def get_proposal(proposal_id: str, request: Request, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    if not actor.sees_whole_brand:
        await proposals.mark_seen(session, proposal)
    images = {}
    if (await proposals.revision_of(session, proposal)).image:
        base = request.app.state.settings.base_url.rstrip("/")
        images = {network: f"{base}/api/v1/proposals/{proposal.id}/images/{network}" for network in proposal.texts}
    found = (await media.image_findings(session, [proposal.id]))[proposal.id]
    read = proposals.proposal_read(proposal, actor.language, await proposals.history(session, proposal.id), images, found)
    # The language it is written in (None while it needs a translation) and the fallback chain tried.
    return {**read, "locale": proposal.locale, "fallback": proposal.fallback or []}


@router.post("/proposals/{proposal_id}/approve", tags=["proposals"])
async def approve(proposal_id: str, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    proposal = await proposals.approve(session, actor, await proposals.get_proposal(session, actor, proposal_id))
    return proposals.proposal_read(proposal, actor.language)


@router.post("/proposals/{proposal_id}/customize", tags=["proposals"])
async def customize(proposal_id: str, data: CustomizeRequest, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    proposal = await proposals.customize(session, actor, proposal, data.texts, data.image_texts, data.slots)
    return proposals.proposal_read(proposal, actor.language)


@router.post("/proposals/{proposal_id}/reject", tags=["proposals"])
async def reject(proposal_id: str, data: RejectRequest, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    proposal = await proposals.reject(session, actor, proposal, data.reason, data.comment)
    return proposals.proposal_read(proposal, actor.language)


@router.get("/publications", tags=["publishing"])
async def list_publications(actor: ApiActor, session: SessionDep, proposal_id: str | None = None,
                            status: str | None = None) -> list[dict[str, Any]]:
    rows = await publishing.list_publications(session, actor, proposal_id=proposal_id, status=status)
    return [publishing.publication_read(row, connector) for row, connector in rows]


@router.get("/reports/silent-arms", tags=["stats"])
async def silent_arms(actor: ApiActor, session: SessionDep,
                      days: Annotated[int, Query(ge=1, le=365)] = 14) -> list[dict[str, Any]]:
    """Locations with proposals waiting that have not decided anything for `days` days (HQ)."""
    require_hq(actor)
    return await find_silent_arms(session, actor.brand_id, days, utcnow())


@router.get("/campaigns/{campaign_id}/report", tags=["stats"])
async def report(campaign_id: str, request: Request, actor: ApiActor, session: SessionDep,
                 limit: Annotated[int, Query(ge=1, le=1000, description="Rows of the table by location.")] = 100,
                 offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                 sort: Annotated[str, Query(pattern="^(" + "|".join(LOCATION_SORTS) + ")$",
                                            description="Column the table by location is sorted by.")] = "code",
                 descending: bool = False) -> dict[str, Any]:
    """Funnel, adoption, metrics (each rate with its formula) and tables by network, region and location.

    The table by location is paged (`limit`, `offset`, `sort`, `descending`; `locations_total` says how many
    rows there are); the page's CSV export gives every row.
    """
    campaign = await campaigns.get_campaign(session, actor, campaign_id)
    return await campaign_report(session, campaign, limit=limit, offset=offset, sort=sort, descending=descending,
                                 recheck_seconds=request.app.state.settings.report_recheck_seconds)


@router.get("/reports/network", tags=["stats"])
async def network_report(request: Request, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """The network's scoreboard: adoption over time, counters per network, top posts and locations, silent arms.

    Computed by the stats worker every few minutes (`computed_at` says when); HQ and brand-wide viewers only.
    """
    if not actor.sees_whole_brand:
        raise Forbidden("Only HQ and brand-wide viewers can read the network report.")
    return await network_scoreboard(request.app.state.database, session, require_brand(actor))


@router.get("/locations/{location_id}/report", tags=["stats"])
async def location_report(request: Request, location_id: str, actor: ApiActor, session: SessionDep) -> dict[str, Any]:
    """A location's figures month by month and over the last 90 days, against the network median, with its rank."""
    location = await locations.get_location(session, actor, location_id)
    return await build_location_report(request.app.state.database, session, location)


