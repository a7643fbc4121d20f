"""Connecting locations' social accounts (OAuth pages), the octopus map, and the accounts API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.deps import ApiActor, FormActor, PageActor, SessionDep
from hub.db import utcnow
from hub.errors import Forbidden
from hub.i18n import translate, translate_message
from hub.locations import service as locations
from hub.publishing import accounts
from hub.publishing.models import NETWORKS
from hub.templating import is_htmx, render
from hub.validation import MAX_PAGE

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["locations"])
PAGE = 50


# ---------------------------------------------------------------- a location's accounts


async def _accounts_page(request: Request, session: SessionDep, actor, location) -> HTMLResponse:
    now = utcnow()
    rows = [accounts.account_view(account, now) for account in await accounts.location_accounts(session, location.id)]
    connected = request.query_params.get("connected", "")
    just_connected = next((row for row in rows if row["id"] == connected), None)
    return render(request, "accounts/connect.html", {
        "location": location, "accounts": rows, "options": accounts.connect_options(request.app.state.settings),
        "may_manage": accounts.may_manage(actor, location), "just_connected": just_connected,
    })


@pages.get("/locations/{location_id}/accounts")
async def accounts_page(request: Request, location_id: str, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """A location's accounts with their health, and a Connect button per network."""
    location = await locations.get_location(session, actor, location_id)
    return await _accounts_page(request, session, actor, location)


@pages.get("/locations/{location_id}/accounts/connect/{network}")
async def connect(request: Request, location_id: str, network: str, actor: PageActor,
                  session: SessionDep) -> Response:
    """Start connecting a network: record the grant, send the browser to the network's consent page."""
    location = await locations.get_location(session, actor, location_id)
    url = await accounts.start_connect(session, request.app.state.settings, actor, location, network)
    return RedirectResponse(url, status_code=303)


@pages.get("/accounts/oauth/callback/{network}")
async def callback(request: Request, network: str, actor: PageActor, session: SessionDep, state: str = "",
                   code: str = "", error: str = "", error_description: str = "") -> Response:
    """Where the network sends the user back: connect, ask which page, or explain what went wrong."""
    outcome = await accounts.finish_connect(session, request.app.state.settings, actor, network, state=state,
                                            code=code, error=error, error_description=error_description)
    return _after(request, outcome)


def _after(request: Request, outcome: accounts.ConnectOutcome) -> Response:
    if outcome.kind == "connected":
        return RedirectResponse(f"/locations/{outcome.account.location_id}/accounts?connected={outcome.account.id}",
                                status_code=303)
    if outcome.kind == "choose":
        return RedirectResponse(f"/accounts/oauth/grants/{outcome.grant.id}", status_code=303)
    # The grant is used up (committed); the page says what happened and what to do.
    values = dict(outcome.values or {})
    if "reason" in values:  # the connector's own message, translated too
        values["reason"] = translate_message(str(values["reason"]), request.state.language)
    message = translate(outcome.message, request.state.language, **values)
    return render(request, "accounts/failed.html", {"message": message, "grant": outcome.grant}, status_code=400)


@pages.get("/accounts/oauth/grants/{grant_id}")
async def choose_page(request: Request, grant_id: str, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """The pages, organizations or channels the grant may publish to: pick the location's one."""
    grant = await accounts.authorized_grant(session, actor, grant_id)
    location = await locations.get_location(session, actor, grant.location_id)
    return render(request, "accounts/choose.html", {"grant": grant, "location": location})


@pages.post("/accounts/oauth/grants/{grant_id}")
async def choose(request: Request, grant_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Connect the picked target to the location."""
    form = await request.form()
    account = await accounts.choose_target(session, request.app.state.settings, actor, grant_id,
                                           str(form.get("external_id") or ""))
    return RedirectResponse(f"/locations/{account.location_id}/accounts?connected={account.id}", status_code=303)


@pages.post("/locations/{location_id}/accounts/{account_id}/disconnect")
async def disconnect(location_id: str, account_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Disconnect an account from the page (its publications stay in the history)."""
    location = await locations.get_location(session, actor, location_id)
    await accounts.disconnect(session, actor, location, account_id)
    return RedirectResponse(f"/locations/{location_id}/accounts", status_code=303)


# ---------------------------------------------------------------- the octopus map


@pages.get("/network")
async def octopus(
    request: Request, actor: PageActor, session: SessionDep, region: str = "", network: str = "", health: str = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    """Every location with its accounts' health and last publication, and the summary bar (HQ only)."""
    if not actor.is_hq:
        raise Forbidden("Only HQ (hq_admin or hq_editor) sees the octopus map.")
    network = network if network in NETWORKS else ""
    health = health if health in accounts.HEALTHS else ""
    found = await accounts.octopus_map(session, actor.brand_id, utcnow(), region=region.strip(), network=network,
                                       health_name=health, limit=PAGE, offset=(page - 1) * PAGE)
    context = {**found, "page": page, "pages": max(1, -(-found["total"] // PAGE)), "networks": NETWORKS,
               "healths": accounts.HEALTHS, "filters": {"region": region, "network": network, "health": health}}
    if is_htmx(request) and request.headers.get("HX-Target") == "octopus":
        return render(request, "accounts/octopus.html", context, block="octopus")
    return render(request, "accounts/octopus.html", context)


# ---------------------------------------------------------------- API


@api.get("/locations/{location_id}/accounts")
async def list_accounts(location_id: str, actor: ApiActor, session: SessionDep) -> list[dict[str, Any]]:
    """A location's accounts with their health (tokens are never returned)."""
    location = await locations.get_location(session, actor, location_id)
    now = utcnow()
    return [accounts.account_view(account, now) for account in await accounts.location_accounts(session, location.id)]


@api.delete("/locations/{location_id}/accounts/{account_id}", status_code=204)
async def delete_account(location_id: str, account_id: str, actor: ApiActor, session: SessionDep) -> Response:
    """Disconnect an account: its tokens are wiped, its publications stay in the history."""
    location = await locations.get_location(session, actor, location_id)
    await accounts.disconnect(session, actor, location, account_id)
    return Response(status_code=204)
