"""The server-rendered UI (Jinja2 + HTMX): one template per page, HTMX regions as named blocks."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import ValidationError
from sqlalchemy import select

from hub.accounts import service as accounts
from hub.accounts import throttle
from hub.accounts.actor import Actor
from hub.accounts.security import new_secret, same
from hub.campaigns import service as campaigns
from hub.campaigns.models import APPROVAL_POLICIES, OBJECTIVES, Campaign
from hub.campaigns.schemas import GBP_ACTIONS, GBP_TOPICS, IMAGE_TEXT_ZONES, CampaignCreate, PostCreate, Target
from hub.comments import service as comments
from hub.reviews import service as reviews
from hub.deps import SESSION_COOKIE, FormActor, PageActor, SessionDep, client_address, require_hq
from hub.errors import Forbidden, HubError, Unauthorized
from hub.i18n import Translator, pick_language
from hub.linting.networks import NETWORK_RULES
from hub.linting.read import finding_message as read_finding_message
from hub.locations import service as locations
from hub.media import service as media
from hub.media.models import Media
from hub.proposals import service as proposals
from hub.proposals.diff import word_diff
from hub.proposals.localize import VARIABLE
from hub.proposals.models import GOING_OUT, PROPOSAL_STATUSES, REJECT_REASONS, Distribution, Proposal
from hub.publishing import service as publishing
from hub.publishing.models import NETWORKS
from hub.queue import discard_pending
from hub.stats.report import campaign_report
from hub.stats.scoreboard import SILENT_DAYS
from hub.templating import environment, is_htmx, render
from hub.validation import MAX_PAGE

router = APIRouter(include_in_schema=False)  # public pages: login, language

LOGIN_CSRF_COOKIE = "pieuvre_login_csrf"
LOGIN_CSRF_SECONDS = 3600
LANGUAGE_COOKIE_SECONDS = 365 * 86400
# The funnel, in the order people read it (keys of campaign_report()["funnel"]).
# Days without a decision after which a location with proposals waiting counts as a silent arm.
# The campaign page's grid of proposals: a page of them (a campaign of 10,000 locations has 10,000).
GRID_PAGE = 50
FUNNEL_STEPS = ("proposed", "seen", "pending", "approved", "customized", "rejected", "expired", "auto_approved",
                "published", "failed")
# Franchise variables every location offers (hub.proposals.localize.location_values), plus the usual ones.
POST_VARIABLES = ("{name}", "{city}", "{phone}", "{code}", "{region}")

# Facts the templates need everywhere; pages.py is the only user of these templates.
environment.globals.update(
    NETWORKS=NETWORKS,
    NETWORK_LABELS={name: rules.label for name, rules in NETWORK_RULES.items()},
    NETWORK_LIMITS={name: rules.max_length for name, rules in NETWORK_RULES.items()},
    OBJECTIVES=OBJECTIVES,
    APPROVAL_POLICIES=APPROVAL_POLICIES,
    REJECT_REASONS=REJECT_REASONS,
    PROPOSAL_STATUSES=PROPOSAL_STATUSES,
    POST_VARIABLES=POST_VARIABLES,
    IMAGE_TEXT_ZONES=IMAGE_TEXT_ZONES,
    GBP_TOPICS=GBP_TOPICS,
    GBP_ACTIONS=GBP_ACTIONS,
)


def _percent_class(value: int, largest: int) -> str:
    """A width class (w-0 … w-100, steps of 5) for a bar of `value` out of `largest`; never 0 for a non-zero value."""
    if not value or not largest:
        return "w-0"
    return f"w-{max(5, round(value * 20 / largest) * 5)}"


def _highlight_variables(text: str) -> Markup:
    """HQ's text with its {variables} marked, so people see what each location fills in."""
    return Markup(VARIABLE.sub(r'<mark class="var">{\1}</mark>', str(escape(text))))


def finding_message(_: Translator, item: dict[str, Any]) -> str:
    """A linter finding in the reader's language (its msgid filled with its values)."""
    return read_finding_message(item, _.language)


environment.globals["finding_message"] = finding_message
environment.globals["word_diff"] = word_diff
environment.filters["bar_width"] = _percent_class
environment.filters["variables"] = _highlight_variables


# Every page behind the login.
member_pages = APIRouter()


def error_page(request: Request, status_code: int, message: str, errors: list[dict[str, Any]]):
    """A page (or HTMX fragment) explaining what went wrong and what to do."""
    _ensure_language(request)
    context: dict[str, Any] = {"status_code": status_code, "message": message, "errors": errors}
    if is_htmx(request):
        # A fragment for the page's message area, wherever the request meant to swap.
        return render(request, "error.html", context, block="toast", status_code=status_code,
                      headers={"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    return render(request, "error.html", context, status_code=status_code)


# ---------------------------------------------------------------- helpers


def _ensure_language(request: Request) -> str:
    """The page language when no logged-in user set it: the `lang` cookie, else the browser's."""
    if not getattr(request.state, "language", None):
        request.state.language = pick_language(request.headers.get("Accept-Language"), request.cookies.get("lang"))
    return request.state.language


def _translator(request: Request) -> Translator:
    return Translator(_ensure_language(request))


def _safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything pointing off-site becomes `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _require_whole_brand(actor: Actor) -> None:
    """Campaign and location pages are for HQ and brand-wide viewers."""
    if not actor.sees_whole_brand:
        raise Forbidden("Only HQ sees campaigns and the list of locations: your proposals are in your inbox.")


def _field(form: Any, name: str) -> str:
    return str(form.get(name) or "").strip()


def _split_list(text: str) -> list[str]:
    """'city, mall ,north' -> ['city', 'mall', 'north']."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _parse_utc(text: str) -> datetime | None:
    """A datetime-local field ('2026-12-01T10:00'), read as UTC; None when empty, ValueError when unreadable."""
    if not text:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class FormErrors:
    """Errors of one form: a summary line and messages per field (all already translated)."""

    def __init__(self) -> None:
        self.summary = ""
        self.fields: dict[str, list[str]] = {}

    def __bool__(self) -> bool:
        return bool(self.summary or self.fields)

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def from_validation(self, error: ValidationError, messages: dict[str, str], _: Translator) -> None:
        """Pydantic errors, each shown with our own sentence for its field when we have one."""
        for item in error.errors():
            field = str(item["loc"][0]) if item["loc"] else ""
            self.add(field, messages.get(field) or str(item["msg"]).removeprefix("Value error, "))
        self.summary = _("Some fields need your attention: see the messages below.")

    def from_hub_error(self, error: HubError, _: Translator) -> None:
        """A service's refusal: its message on top, and each finding or field error where it belongs."""
        self.summary = _(error.message, **error.values)
        for item in error.errors:
            if "rule" in item:  # a linter finding: shown under its network
                self.add(f"text_{item['network']}", finding_message(_, item))
            elif item.get("field"):
                self.add(str(item["field"]), str(item["message"]))


async def _undo(session: SessionDep, actor: Actor) -> None:
    """Forget what a refused mutation may already have written, before rendering its form again."""
    await session.rollback()
    discard_pending(session)


def _render_blocks(request: Request, template: str, context: dict[str, Any], blocks: list[str],
                   status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """Several blocks of one page in one HTMX answer (the first swaps in place, the others out of band)."""
    parts = [render(request, template, {**context, "oob": index > 0}, block=block).body.decode()
             for index, block in enumerate(blocks)]
    response = HTMLResponse("".join(parts), status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    return response


# ---------------------------------------------------------------- login, logout, language


def _login_form(request: Request, *, email: str = "", next_url: str = "/", error: str = "",
                status_code: int = 200) -> HTMLResponse:
    """The login form with its double-submit CSRF token (a cookie and the same value in a hidden field)."""
    _ensure_language(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if len(token) < 32:
        token = new_secret()
    response = render(request, "accounts/login.html",
                      {"email": email, "next_url": next_url, "error": error, "login_token": token},
                      status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=LOGIN_CSRF_SECONDS, path="/login", httponly=True,
                        samesite="strict", secure=request.app.state.settings.cookie_secure)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> HTMLResponse:
    """The login form."""
    return _login_form(request, next_url=_safe_next(next))


@router.post("/login")
async def login(request: Request, session: SessionDep) -> Response:
    """Check the e-mail and password, start a new session (a new secret every time) and go on."""
    form = await request.form()
    _ = _translator(request)
    email, next_url = _field(form, "email"), _safe_next(_field(form, "next"))
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    sent_token = str(form.get("csrf_token") or "")
    if not cookie_token or not sent_token or not same(cookie_token, sent_token):
        return _login_form(request, email=email, next_url=next_url, status_code=403,
                           error=_("This form has expired or did not come from Pieuvre: reload the page and try again."))
    settings = request.app.state.settings
    try:
        user = await throttle.authenticate(session, settings, email, str(form.get("password") or ""),
                                           client_address(request))
    except Unauthorized as error:
        return _login_form(request, email=email, next_url=next_url, status_code=401, error=_(error.message))
    except throttle.TooManyLogins as error:
        response = _login_form(request, email=email, next_url=next_url, status_code=429,
                               error=_(error.message, **error.values))
        response.headers.update(error.headers)
        return response
    # Rotate: whatever session this browser had ends, and the new one gets a fresh secret.
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        await accounts.close_session(session, previous)
    secret, _row = await accounts.open_session(session, user, "web", settings.session_days)
    response = _see_other(next_url)
    response.set_cookie(SESSION_COOKIE, secret, max_age=settings.session_days * 86400, path="/", httponly=True,
                        samesite="lax", secure=settings.cookie_secure)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@member_pages.post("/logout")
async def logout(request: Request, actor: FormActor, session: SessionDep) -> Response:
    """End the session on the server and forget its cookie."""
    await accounts.close_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = _see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=request.app.state.settings.cookie_secure)
    return response


@router.get("/language")
async def switch_language(lang: str, next: str = "/") -> Response:
    """Remember the UI language (fr or en) in a cookie and go back to the page."""
    response = _see_other(_safe_next(next))
    if lang in ("fr", "en"):
        response.set_cookie("lang", lang, max_age=LANGUAGE_COOKIE_SECONDS, path="/", samesite="lax")
    return response


@member_pages.get("/")
async def home(actor: PageActor) -> Response:
    """HQ and viewers land on their campaigns, local and regional managers on their inbox."""
    return _see_other("/campaigns" if actor.sees_whole_brand else "/inbox")


# ---------------------------------------------------------------- campaigns


async def _campaigns_page(request: Request, session: SessionDep, actor: Actor, *, values: dict[str, str] | None = None,
                          errors: FormErrors | None = None, status_code: int = 200) -> HTMLResponse:
    rows = await campaigns.list_campaigns(session, actor)
    return render(request, "campaigns/list.html", {
        "campaigns": rows,
        "values": values or {"objective": "visibility", "approval_policy": "approval_required"},
        "errors": errors or FormErrors(),
    }, status_code=status_code)


@member_pages.get("/campaigns")
async def campaigns_page(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """The brand's campaigns and the form to start one."""
    _require_whole_brand(actor)
    return await _campaigns_page(request, session, actor)


@member_pages.post("/campaigns")
async def create_campaign(request: Request, actor: FormActor, session: SessionDep) -> Response:
    """Create a campaign from the form, then open it; the form comes back with its errors otherwise."""
    require_hq(actor)
    _ = _translator(request)
    form = await request.form()
    values = {name: _field(form, name) for name in ("name", "objective", "approval_policy", "decision_deadline")}
    errors = FormErrors()
    deadline = None
    try:
        deadline = _parse_utc(values["decision_deadline"])
    except ValueError:
        errors.add("decision_deadline", _("Write the deadline as a date and a time, e.g. 2026-12-01 18:00."))
    if not values["name"]:
        errors.add("name", _("Give the campaign a name."))
    if errors:
        errors.summary = _("Some fields need your attention: see the messages below.")
        return await _campaigns_page(request, session, actor, values=values, errors=errors, status_code=422)
    try:
        data = CampaignCreate(name=values["name"], objective=values["objective"] or "visibility",
                              approval_policy=values["approval_policy"] or "approval_required",
                              decision_deadline=deadline)
        campaign = await campaigns.create_campaign(session, actor, data)
    except ValidationError as error:
        errors.from_validation(error, {
            "name": _("Give the campaign a name of at most 200 characters."),
            "objective": _("Pick one of the objectives in the list."),
            "approval_policy": _("Pick one of the approval policies in the list."),
        }, _)
    except HubError as error:
        await _undo(session, actor)
        errors.from_hub_error(error, _)
    if errors:
        return await _campaigns_page(request, session, actor, values=values, errors=errors, status_code=422)
    return _see_other(f"/campaigns/{campaign.id}")


async def _report_context(session: SessionDep, actor: Actor, campaign: Campaign, *, sort: str = "code",
                          direction: str = "asc", page: int = 1, recheck_seconds: float = 0,
                          grid_page: int = 1) -> dict[str, Any]:
    """The adoption, metrics and tables of a campaign's report (a page of the one by location), and a page of
    its proposals."""
    sorting = stats.location_sorting(campaign.id, sort, direction, page)

    async def report_page() -> dict[str, Any]:
        return await campaign_report(session, campaign, limit=stats.LOCATIONS_PAGE,
                                     offset=(sorting.page - 1) * stats.LOCATIONS_PAGE, sort=sorting.sort,
                                     descending=sorting.descending, recheck_seconds=recheck_seconds)

    report = await report_page()
    sorting.pages = max(1, -(-report["locations_total"] // stats.LOCATIONS_PAGE))
    if sorting.page > sorting.pages:  # past the last page (a bookmark, fewer locations since): the last one
        sorting.page = sorting.pages
        report = await report_page()
    grid, grid_total, grid_page = await proposals.campaign_grid(session, actor, campaign.id, page=grid_page,
                                                                per_page=GRID_PAGE)
    funnel = report["funnel"]
    _ = Translator(actor.language)
    tables = stats.campaign_tables(report, _, FUNNEL_STEPS, sorting)
    return {
        "report": report,
        "tables": tables,
        "reason_bars": [{"label": cells[0].text, "value": cells[1].value, "name": "rejected"}
                        for cells in tables["reasons"].rows],
        # The brand's, as its scoreboard has them: recomputing them reads every pending proposal of the brand.
        "silent": await stats.stored_silent_arms(session, campaign.brand_id),
        "silent_days": SILENT_DAYS,
        "funnel_rows": [(step, funnel.get(step, 0)) for step in FUNNEL_STEPS],
        "funnel_max": max([funnel.get(step, 0) for step in FUNNEL_STEPS] + [1]),
        "grid": grid,
        "grid_page": grid_page,
        "grid_pages": max(1, -(-grid_total // GRID_PAGE)),
        "grid_total": grid_total,
        "grid_first": (grid_page - 1) * GRID_PAGE + 1,
        "table_filters": {"sort": sorting.sort, "dir": "desc" if sorting.descending else "asc", "page": sorting.page},
    }


async def _campaign_page(request: Request, session: SessionDep, actor: Actor, campaign: Campaign, *,
                         values: dict[str, Any] | None = None, errors: FormErrors | None = None,
                         edit_post_id: str = "", edit_values: dict[str, Any] | None = None,
                         edit_errors: FormErrors | None = None, status_code: int = 200,
                         table: dict[str, Any] | None = None) -> HTMLResponse:
    posts = await campaigns.list_posts(session, campaign)
    values = values or {"networks": ["facebook", "instagram"], "editable": "free", "media_id": "", "image_texts": {},
                        "slots": [], "video_id": "", "google": {}}
    # Each post's edit form: its current revision, or what HQ typed when that form comes back with errors.
    edit_forms = {post.id: {"body": revision.body, "networks": list(revision.networks), "editable": revision.editable,
                            "slots": _slot_rows_of(revision.slots), "video_id": revision.video_id or "",
                            "google": _google_values_of(revision.options)} for post, revision in posts}
    if edit_post_id and edit_values is not None:
        edit_forms[edit_post_id] = edit_values
    # The library's videos: offered by the post forms, and named on the posts that have one.
    videos = await _library_videos(session, campaign.brand_id, {
        values.get("video_id") or "", *(form.get("video_id") or "" for form in edit_forms.values()),
        *(revision.video_id or "" for _post, revision in posts)})
    editor: dict[str, Any] = {}
    if actor.is_hq:
        # The editor's photo choice and, when the form comes back, its preview as it was.
        photos = await studio.editor_library(session, campaign.brand_id, values.get("media_id") or "")
        editor = {
            "library": [item for item in photos if not item.content_type.startswith("video/")],
            "preview": await studio.post_preview(session, request.app.state.settings, actor, campaign, values,
                                                 _ensure_language(request)),
        }
    return render(request, "campaigns/detail.html", {
        "campaign": campaign,
        "posts": posts,
        "distributions": await proposals.latest_distributions(session, [post.id for post, _revision in posts]),
        "values": values,
        "errors": errors or FormErrors(),
        "edit_forms": edit_forms,
        "edit_post_id": edit_post_id,
        "edit_errors": edit_errors or FormErrors(),
        "no_errors": FormErrors(),
        "slot_rows": SLOT_ROWS,
        "videos": videos,
        "video_names": {item.id: item.original_name or item.id for item in videos},
        **editor,
        **await _report_context(session, actor, campaign, **(table or {})),
    }, status_code=status_code)


@member_pages.get("/campaigns/{campaign_id}")
async def campaign_page(request: Request, campaign_id: str, actor: PageActor, session: SessionDep,
                        sort: str = "code", direction: Annotated[str, Query(alias="dir")] = "asc",
                        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
                        proposals_page: Annotated[int, Query(alias="proposals", ge=1, le=MAX_PAGE)] = 1,
                        ) -> HTMLResponse:
    """A campaign: its posts, the new-post form, its report (the table by location sorted and paged by `sort`,
    `dir` and `page`) and its locations' proposals, a page at a time (`proposals`)."""
    campaign = await campaigns.get_campaign(session, actor, campaign_id)
    # Viewing (not acting): stored figures checked at most every few seconds, as the API's report.
    table = {"sort": sort, "direction": direction, "page": page, "grid_page": proposals_page,
             "recheck_seconds": request.app.state.settings.report_recheck_seconds}
    target = request.headers.get("HX-Target") if is_htmx(request) else None
    if target in ("report", "report-locations"):
        return render(request, "campaigns/detail.html", {"campaign": campaign,
                                                          **await _report_context(session, actor, campaign, **table)},
                      block="report" if target == "report" else "report_locations")
    return await _campaign_page(request, session, actor, campaign, table=table)


SLOT_ROWS = 3  # blank rows the slot declaration offers (besides those already declared)


def _slot_rows(form: Any) -> list[dict[str, str]]:
    """The slot declaration rows as typed (name, label, max length, default), blank rows dropped."""
    columns = [[str(value) for value in form.getlist(f"slot_{part}")] for part in ("name", "label", "max", "default")]
    size = max(len(column) for column in columns)
    rows = []
    for index in range(size):
        name, label, maximum, default = (column[index] if index < len(column) else "" for column in columns)
        row = {"name": name.strip(), "label": label.strip(), "max_length": maximum.strip(), "default": default}
        if row["name"] or row["label"] or row["max_length"] or row["default"].strip():
            rows.append(row)
    return rows


def _slot_rows_of(slots: dict[str, Any]) -> list[dict[str, str]]:
    """A revision's declared slots as form rows."""
    return [{"name": name, "label": str(spec.get("label") or ""), "max_length": str(spec.get("max_length") or ""),
             "default": str(spec.get("default") or "")} for name, spec in (slots or {}).items()]


# The Google Business Profile fields of the post forms, each named google_<name>.
GOOGLE_FIELDS = ("topic_type", "action_type", "action_url", "event_title", "event_start", "event_end",
                 "coupon_code", "redeem_url", "terms")
VIDEOS_IN_EDITOR = 24
# How the schema wants an event's start and end: a wall-clock time on each location's clock.
WALL_CLOCK = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")


def _post_form_values(form: Any) -> dict[str, Any]:
    """The post form as typed: the editor's fields, the slot rows, the video and the Google options."""
    values = studio.editor_values(form)
    if values["editable"] not in ("locked", "slots", "free"):
        values["editable"] = "free"
    values["slots"] = _slot_rows(form)
    values["video_id"] = _field(form, "video_id")
    values["google"] = {name: _field(form, f"google_{name}") for name in GOOGLE_FIELDS}
    return values


def _google_values_of(options: dict[str, Any] | None) -> dict[str, str]:
    """A revision's Google Business Profile options as the form's fields."""
    google = (options or {}).get("google_business") or {}
    button = google.get("call_to_action") or {}
    event = google.get("event") or {}
    offer = google.get("offer") or {}
    return {"topic_type": google.get("topic_type") or "", "action_type": button.get("action_type") or "",
            "action_url": button.get("url") or "", "event_title": event.get("title") or "",
            "event_start": event.get("start") or "", "event_end": event.get("end") or "",
            "coupon_code": offer.get("coupon_code") or "", "redeem_url": offer.get("redeem_online_url") or "",
            "terms": offer.get("terms_conditions") or ""}


async def _library_videos(session: SessionDep, brand_id: str, chosen: set[str]) -> list[Media]:
    """The brand's videos the post forms offer: the newest, and those already chosen if they are older."""
    newest = select(Media).where(Media.brand_id == brand_id, Media.content_type.startswith("video/"))
    rows = list(await session.scalars(newest.order_by(Media.created_at.desc(), Media.id).limit(VIDEOS_IN_EDITOR)))
    older = chosen - {row.id for row in rows} - {""}
    if older:
        rows += list(await session.scalars(newest.where(Media.id.in_(older)).order_by(Media.created_at.desc())))
    return rows


def _wall_clock(text: str) -> str:
    """A date and time as typed ('2026-12-01 10:00', or a browser's '2026-12-01T10:00:00') written as the
    schema wants it (2026-12-01T10:00); anything else unchanged, for the schema to refuse with its reason."""
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return text
    return text if moment.tzinfo else moment.strftime("%Y-%m-%dT%H:%M")


def _post_choices(values: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The post's video and per-network options, from the form.

    What does not apply is left out, as the page hides it: the video without YouTube, the Google
    options without Google, the event without an EVENT or OFFER, the offer without an OFFER, the
    button's link for CALL (it dials the location's phone). A Google post with neither a type nor a
    button keeps no options, as an API post without them.
    """
    networks = values["networks"]
    video_id = (values["video_id"] or None) if "youtube" in networks else None
    google = values["google"]
    topic = google["topic_type"] or "STANDARD"
    if "google_business" not in networks or (topic == "STANDARD" and not google["action_type"]):
        return video_id, {}
    chosen: dict[str, Any] = {"topic_type": topic}
    if google["action_type"]:
        chosen["call_to_action"] = {"action_type": google["action_type"],
                                    "url": None if google["action_type"] == "CALL" else google["action_url"] or None}
    if topic in ("EVENT", "OFFER") and (google["event_title"] or google["event_start"] or google["event_end"]):
        chosen["event"] = {"title": google["event_title"], "start": _wall_clock(google["event_start"]),
                           "end": _wall_clock(google["event_end"])}
    if topic == "OFFER" and (google["coupon_code"] or google["redeem_url"] or google["terms"]):
        chosen["offer"] = {"coupon_code": google["coupon_code"], "redeem_online_url": google["redeem_url"],
                           "terms_conditions": google["terms"]}
    return video_id, {"google_business": chosen}


def _post_slots(values: dict[str, Any], errors: FormErrors, _: Translator) -> dict[str, dict[str, Any]]:
    """The slots to declare (only for editable='slots'); row problems go to the form's 'slots' field."""
    if values["editable"] != "slots":
        return {}
    slots: dict[str, dict[str, Any]] = {}
    for row in values["slots"]:
        if not row["name"]:
            errors.add("slots", _("Give each slot a name, as written between [[ ]] in the text."))
            continue
        try:
            maximum = int(row["max_length"])
        except ValueError:
            errors.add("slots", _("Give the slot {name} a maximum length (a number of characters).", name=row["name"]))
            continue
        slots[row["name"]] = {"max_length": maximum, "label": row["label"], "default": row["default"]}
    return slots


def _post_validation(error: ValidationError, errors: FormErrors, values: dict[str, Any], _: Translator) -> None:
    """The post schema's refusals, each under its field: the Google options' under theirs, YouTube's missing
    video under the video picker, other whole-post ones under the slots or the text."""
    messages = {
        "body": _("Write the text of the post (at most 70,000 characters)."),
        "networks": _("Tick networks from the list only."),
        "editable": _("Pick whether locations may customize the text."),
        "image_texts": _("Image texts are at most 300 characters each."),
    }
    for item in error.errors():
        place = tuple(str(part) for part in item["loc"])
        if place[:2] == ("options", "google_business"):
            errors.add(*_google_error(place[2:], item, values["google"], _))
        elif not place and "youtube" in values["networks"] and not values["video_id"]:
            errors.add("video_id", _("YouTube publishes videos only: pick a video, or untick YouTube."))
        elif not place:
            errors.add("slots" if values["editable"] == "slots" else "body",
                       str(item["msg"]).removeprefix("Value error, "))
        else:
            errors.add(place[0], messages.get(place[0]) or str(item["msg"]).removeprefix("Value error, "))
    errors.summary = _("Some fields need your attention: see the messages below.")


def _google_error(place: tuple[str, ...], item: dict[str, Any], google: dict[str, str],
                  _: Translator) -> tuple[str, str]:
    """The form field a refusal of the Google options belongs to, and what to do, in the reader's language.

    `place` is the error's location inside the options (("event", "title"), ("call_to_action",), () …);
    a whole-part refusal is placed by what was typed, so its English wording does not matter here.
    """
    part = place[:1]
    if part == ("call_to_action",):
        if "url" not in place and google["action_type"] not in GBP_ACTIONS:
            return "google_action_type", _("Pick a button from the list.")
        return "google_action_url", _("This button needs a web address starting with https:// "
                                      "(at most 2,000 characters).")
    if part == ("event",):
        if "title" in place:
            return "google_event_title", _("Give the event a title of at most 58 characters.")
        for name in ("start", "end"):
            if not WALL_CLOCK.match(_wall_clock(google[f"event_{name}"])):
                return f"google_event_{name}", _("Write a date and a time, e.g. 2026-12-01 10:00.")
        return "google_event_end", _("The end must come after the start.")
    if part == ("offer",):
        return {
            "coupon_code": ("google_coupon_code", _("The coupon code is at most 58 characters.")),
            "redeem_online_url": ("google_redeem_url", _("The link to redeem the offer is at most 2,000 characters.")),
        }.get(place[1] if len(place) > 1 else "", ("google_terms", _("The terms and conditions are at most 5,000 characters.")))
    if (google["topic_type"] or "STANDARD") not in GBP_TOPICS:
        return "google_topic_type", _("Pick a post type from the list.")
    if google["topic_type"] in ("EVENT", "OFFER"):
        return "google_event", _("An event or an offer needs a title, a start and an end.")
    return "google_topic_type", str(item["msg"]).removeprefix("Value error, ")


def _video_refused(errors: FormErrors, _: Translator) -> None:
    """The service's note on an unknown video is for API users: the form says what to do instead."""
    if "video_id" in errors.fields:
        errors.fields["video_id"] = [_("Pick the video again: this one is not in the library any more.")]
        errors.summary = _("Some fields need your attention: see the messages below.")


def _findings_under_body(errors: FormErrors) -> None:
    """Findings name a network: show them under the text, where they can be fixed."""
    for key in [key for key in errors.fields if key.startswith("text_")]:
        errors.fields.setdefault("body", []).extend(
            f"{NETWORK_RULES[key[5:]].label if key[5:] in NETWORK_RULES else key[5:]}: {message}"
            for message in errors.fields.pop(key))


@member_pages.post("/campaigns/{campaign_id}/posts")
async def create_post(request: Request, campaign_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Add a post to the campaign; the form comes back with the linter's findings when it breaks a rule."""
    campaign = await campaigns.get_campaign(session, actor, campaign_id)
    require_hq(actor)
    _ = _translator(request)
    form = await request.form()
    values = _post_form_values(form)
    networks = values["networks"]
    errors = FormErrors()
    publish_at = None
    slots = _post_slots(values, errors, _)
    if not values["body"].strip():
        errors.add("body", _("Write the text of the post."))
    if not networks:
        errors.add("networks", _("Tick at least one network."))
    try:
        publish_at = _parse_utc(values["publish_at"])
    except ValueError:
        errors.add("publish_at", _("Write the publish time as a date and a time, e.g. 2026-12-01 10:00."))
    if not errors:
        try:
            video_id, options = _post_choices(values)
            data = PostCreate(body=values["body"], networks=networks, editable=values["editable"], publish_at=publish_at,
                              media_id=values["media_id"] or None, image_texts=values["image_texts"], slots=slots,
                              video_id=video_id, options=options)
            post, _revision = await campaigns.create_post(session, actor, campaign, data)
        except ValidationError as error:
            _post_validation(error, errors, values, _)
        except HubError as error:
            await _undo(session, actor)
            errors.from_hub_error(error, _)
            if "media_id" in errors.fields:  # the service's field note is for API users
                errors.fields["media_id"] = [_("Pick the photo again: this one is not in the library any more.")]
            _video_refused(errors, _)
            _findings_under_body(errors)
    if errors:
        if not errors.summary:
            errors.summary = _("Some fields need your attention: see the messages below.")
        campaign = await campaigns.get_campaign(session, actor, campaign_id)
        return await _campaign_page(request, session, actor, campaign, values=values, errors=errors, status_code=422)
    return _see_other(f"/campaigns/{campaign.id}#post-{post.id}")


@member_pages.post("/posts/{post_id}/revise")
async def revise_post(request: Request, post_id: str, actor: FormActor, session: SessionDep) -> Response:
    """A new revision of the post from its edit form, sent again to every location that has it;
    the campaign page then follows the new fan-out. The form comes back with its errors otherwise."""
    post, current = await campaigns.get_post(session, actor, post_id)
    require_hq(actor)
    _ = _translator(request)
    values = _post_form_values(await request.form())
    errors = FormErrors()
    slots = _post_slots(values, errors, _)
    if not values["body"].strip():
        errors.add("body", _("Write the text of the post."))
    if not values["networks"]:
        errors.add("networks", _("Tick at least one network."))
    if not errors:
        image = current.image or {}
        try:
            # What the edit form does not show (image, publish time, variants) carries over from the current revision.
            video_id, options = _post_choices(values)
            data = PostCreate(body=values["body"], networks=values["networks"], editable=values["editable"], slots=slots,
                              variants={network: text for network, text in (current.variants or {}).items()
                                        if network in values["networks"]},
                              media_id=image.get("media_id"), image_texts=image.get("texts") or {},
                              video_id=video_id, options=options,
                              publish_at=current.publish_at, publish_at_local=current.publish_at_local)
            revision = await campaigns.revise_post(session, actor, post, data)
            await proposals.redistribute_revision(session, actor, post, revision,
                                                  request.app.state.settings.fanout_chunk_size)
        except ValidationError as error:
            _post_validation(error, errors, values, _)
        except HubError as error:
            await _undo(session, actor)
            errors.from_hub_error(error, _)
            _video_refused(errors, _)
            _findings_under_body(errors)
    if errors:
        if not errors.summary:
            errors.summary = _("Some fields need your attention: see the messages below.")
        campaign = await campaigns.get_campaign(session, actor, post.campaign_id)
        return await _campaign_page(request, session, actor, campaign, edit_post_id=post_id, edit_values=values,
                                    edit_errors=errors, status_code=422)
    return _see_other(f"/campaigns/{post.campaign_id}#post-{post_id}")


def _progress(request: Request, distribution: Distribution, *, error: str = "", status_code: int = 200,
              extra: dict[str, Any] | None = None) -> HTMLResponse:
    return render(request, "campaigns/detail.html",
                  {"distribution": distribution, "post_id": distribution.post_id, "send_error": error, **(extra or {})},
                  block="progress", status_code=status_code)


@member_pages.post("/posts/{post_id}/distribute")
async def distribute(request: Request, post_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Send a post to the network; HTMX gets the progress bar that follows the fan-out."""
    post, revision = await campaigns.get_post(session, actor, post_id)
    require_hq(actor)
    form = await request.form()
    target = Target(tags=_split_list(_field(form, "tags")), regions=_split_list(_field(form, "regions")))
    try:
        distribution = await proposals.distribute(session, actor, post, revision, target,
                                                  request.app.state.settings.fanout_chunk_size)
    except HubError as error:
        await _undo(session, actor)
        _ = _translator(request)
        message = _(error.message, **error.values)
        if is_htmx(request):
            return render(request, "campaigns/detail.html", {"distribution": None, "post_id": post_id,
                                                              "send_error": message},
                          block="progress", status_code=422)
        return error_page(request, error.status_code, message, [])
    if is_htmx(request):
        # The progress bar in place, and the post's badge (now "sent") out of band.
        return _render_blocks(request, "campaigns/detail.html",
                              {"distribution": distribution, "post_id": post.id, "post_status": post.status,
                               "send_error": ""}, ["progress", "post_status"])
    return _see_other(f"/campaigns/{post.campaign_id}#post-{post.id}")


@member_pages.post("/posts/{post_id}/withdraw")
async def withdraw_post(request: Request, post_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Take the post back (HQ): nothing more of it goes out; the campaign page then shows it withdrawn."""
    post, _revision = await campaigns.get_post(session, actor, post_id)
    require_hq(actor)
    await campaigns.withdraw_post(session, actor, post)
    return _see_other(f"/campaigns/{post.campaign_id}#post-{post.id}")


@member_pages.get("/distributions/{distribution_id}/progress")
async def distribution_progress(request: Request, distribution_id: str, actor: PageActor,
                                session: SessionDep) -> Response:
    """How far a fan-out is; when it is done, the funnel and the proposals grid come along (out of band)."""
    distribution = await proposals.get_distribution(session, actor, distribution_id)
    post, _revision = await campaigns.get_post(session, actor, distribution.post_id)
    if not is_htmx(request):
        return _see_other(f"/campaigns/{post.campaign_id}#post-{post.id}")
    if distribution.status != "done":
        return _progress(request, distribution)
    campaign = await campaigns.get_campaign(session, actor, post.campaign_id)
    context = {"distribution": distribution, "post_id": post.id, "send_error": "", "campaign": campaign,
               **await _report_context(session, actor, campaign)}
    return _render_blocks(request, "campaigns/detail.html", context, ["progress", "report"])


# ---------------------------------------------------------------- inbox and proposals


# The inbox (/inbox, filters, bulk approve) lives in hub/web/inbox.py, included at the end.


async def _proposal_context(session: SessionDep, actor: Actor, proposal: Proposal,
                            drafts: dict[str, str] | None = None) -> dict[str, Any]:
    location = await locations.get_location(session, actor, proposal.location_id)
    revision = await proposals.revision_of(session, proposal)
    return {
        "proposal": proposal,
        "location": location,
        "locked": revision is not None and revision.editable == "locked",
        # A "slots" post: the location fills HQ's declared slots only (name -> max_length, default, label).
        "slot_specs": (revision.slots or {}) if revision is not None and revision.editable == "slots" else {},
        # Each network's text linted as it stands (or as typed), and whether the post carries an image.
        "live": await studio.proposal_live(session, proposal, location, {
            network: text for network, text in (drafts or {}).items() if network in proposal.texts}, actor.language),
        "has_image": bool(revision is not None and revision.image),
        "image_findings": (await media.image_findings(session, [proposal.id]))[proposal.id],
        "publications": await publishing.list_publications(session, actor, proposal_id=proposal.id),
        "can_decide": actor.role not in (None, "viewer"),
        "going_out": GOING_OUT,
        **await _comments_context(session, actor, proposal),
        **await _share_context(session, actor, proposal),
    }


async def _share_context(session: SessionDep, actor: Actor, proposal: Proposal, new_url: str = "") -> dict[str, Any]:
    """The proposal's review links (for someone without an account), and the one just made, shown once."""
    return {
        "review_links": await reviews.list_links(session, actor, proposal.id),
        "can_share": actor.role not in (None, "viewer"),
        "new_review_url": new_url,
    }


@member_pages.post("/proposals/{proposal_id}/review-links")
async def create_review_link(request: Request, proposal_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Share the proposal with someone without an account: a link that can only approve or reject it."""
    form = await request.form()
    try:
        hours = int(str(form.get("expires_in_hours") or reviews.DEFAULT_HOURS))
    except ValueError:
        hours = -1
    _link, token = await reviews.create_link(session, actor, proposal_id, expires_in_hours=hours,
                                            label=_field(form, "label") or None)
    url = f"{request.app.state.settings.base_url.rstrip('/')}/review/{token}"
    return await _share_block(request, session, actor, proposal_id, url)


@member_pages.post("/proposals/{proposal_id}/review-links/{link_id}/revoke")
async def revoke_review_link(request: Request, proposal_id: str, link_id: str, actor: FormActor,
                             session: SessionDep) -> Response:
    """Stop a review link from working."""
    await reviews.revoke_link(session, actor, proposal_id, link_id)
    return await _share_block(request, session, actor, proposal_id)


async def _share_block(request: Request, session: SessionDep, actor: Actor, proposal_id: str, url: str = "") -> Response:
    if not is_htmx(request):
        return _see_other(f"/proposals/{proposal_id}#share")
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    location = await locations.get_location(session, actor, proposal.location_id)
    context = {"proposal": proposal, "location": location, **await _share_context(session, actor, proposal, url)}
    return render(request, "proposals/detail.html", context, block="share")


async def _comments_context(session: SessionDep, actor: Actor, proposal: Proposal, *, draft: str = "",
                            errors: FormErrors | None = None) -> dict[str, Any]:
    """The proposal's comment thread, and the form to add one (viewers only read)."""
    return {
        "comments": await comments.list_comments(session, actor, proposal.id),
        "can_comment": actor.role not in (None, "viewer"),
        "comment_draft": draft,
        "comment_errors": errors or FormErrors(),
    }


@member_pages.get("/proposals/{proposal_id}")
async def proposal_page(request: Request, proposal_id: str, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """A proposal: how it will look on each network, its findings, and the decision."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    if not actor.sees_whole_brand:
        await proposals.mark_seen(session, proposal)
    context = await _proposal_context(session, actor, proposal)
    return render(request, "proposals/detail.html", {**context, "errors": FormErrors(), "drafts": {}, "notice": ""})


async def _decided(request: Request, session: SessionDep, actor: Actor, proposal_id: str, notice: str) -> Response:
    """After a decision: the decision block and the publications (HTMX), or back to the page."""
    if not is_htmx(request):
        return _see_other(f"/proposals/{proposal_id}")
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    context = {**await _proposal_context(session, actor, proposal), "errors": FormErrors(), "drafts": {},
               "notice": notice}
    return _render_blocks(request, "proposals/detail.html", context, ["decision", "publications"])


async def _refused(request: Request, session: SessionDep, actor: Actor, proposal_id: str, error: HubError, *,
                   drafts: dict[str, str] | None = None, form_name: str = "") -> Response:
    """A decision the service refused: the decision block again, with why and with what the user typed."""
    await _undo(session, actor)
    _ = _translator(request)
    errors = FormErrors()
    errors.from_hub_error(error, _)
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    context = {**await _proposal_context(session, actor, proposal, drafts if form_name == "customize" else None),
               "errors": errors, "drafts": drafts or {}, "notice": "", "open_form": form_name}
    status_code = 422 if error.status_code in (400, 422) else error.status_code
    if is_htmx(request):
        return render(request, "proposals/detail.html", context, block="decision", status_code=status_code)
    return render(request, "proposals/detail.html", context, status_code=status_code)


@member_pages.post("/proposals/{proposal_id}/approve")
async def approve(request: Request, proposal_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Approve HQ's text as it is."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    try:
        await proposals.approve(session, actor, proposal)
    except HubError as error:
        return await _refused(request, session, actor, proposal_id, error)
    _ = _translator(request)
    return await _decided(request, session, actor, proposal_id, _("Approved: it will go out at its publish time."))


@member_pages.post("/proposals/{proposal_id}/customize")
async def customize(request: Request, proposal_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Approve with the location's own wording, linted before it is accepted."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    form = await request.form()
    revision = await proposals.revision_of(session, proposal)
    slots: dict[str, str] | None = None
    if revision is not None and revision.editable == "slots":
        # Only HQ's declared slots: one field each (slot_<name>), kept as typed when the form comes back.
        slots = {name: str(form.get(f"slot_{name}")) for name in revision.slots or {}
                 if form.get(f"slot_{name}") is not None}
        drafts = {f"slot_{name}": value for name, value in slots.items()}
        texts: dict[str, str] = {}
    else:
        drafts = {network: str(form.get(f"text_{network}")) for network in proposal.texts
                  if form.get(f"text_{network}") is not None}
        texts = drafts
    try:
        await proposals.customize(session, actor, proposal, texts, slots=slots)
    except HubError as error:
        return await _refused(request, session, actor, proposal_id, error, drafts=drafts, form_name="customize")
    _ = _translator(request)
    return await _decided(request, session, actor, proposal_id, _("Saved with your wording: it will go out at its publish time."))


@member_pages.post("/proposals/{proposal_id}/reject")
async def reject(request: Request, proposal_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Refuse the proposal with a reason (and cancel what had not gone out yet)."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    form = await request.form()
    drafts = {"reason": _field(form, "reason"), "comment": str(form.get("comment") or "").strip()}
    try:
        await proposals.reject(session, actor, proposal, drafts["reason"], drafts["comment"] or None)
    except HubError as error:
        return await _refused(request, session, actor, proposal_id, error, drafts=drafts, form_name="reject")
    _ = _translator(request)
    return await _decided(request, session, actor, proposal_id, _("Rejected: HQ will see your reason."))


@member_pages.post("/proposals/{proposal_id}/comments")
async def add_comment(request: Request, proposal_id: str, actor: FormActor, session: SessionDep) -> Response:
    """Write in the proposal's thread; HTMX gets the thread back in place, with the new comment."""
    proposal = await proposals.get_proposal(session, actor, proposal_id)
    form = await request.form()
    draft = str(form.get("body") or "")
    try:
        await comments.add_comment(session, actor, proposal.id, draft)
    except HubError as error:
        await _undo(session, actor)
        _ = _translator(request)
        errors = FormErrors()
        errors.summary = _(error.message, **error.values)
        proposal = await proposals.get_proposal(session, actor, proposal_id)
        context = {"proposal": proposal, "location": await locations.get_location(session, actor, proposal.location_id),
                   **await _comments_context(session, actor, proposal, draft=draft, errors=errors)}
        status_code = 422 if error.status_code in (400, 422) else error.status_code
        if is_htmx(request):
            return render(request, "proposals/detail.html", context, block="comments", status_code=status_code)
        return error_page(request, status_code, errors.summary, [])
    if not is_htmx(request):
        return _see_other(f"/proposals/{proposal.id}#comments")
    context = {"proposal": proposal, "location": await locations.get_location(session, actor, proposal.location_id),
               **await _comments_context(session, actor, proposal)}
    return render(request, "proposals/detail.html", context, block="comments")


# ---------------------------------------------------------------- sandbox and locations


@member_pages.get("/sandbox/{location_id}")
async def sandbox_feed(request: Request, location_id: str, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """What the sandbox connector "published" for a location, newest first."""
    location = await locations.get_location(session, actor, location_id)
    posts = await publishing.list_sandbox_posts(session, location.id)
    return render(request, "publishing/sandbox.html", {"location": location, "posts": posts})


@member_pages.get("/locations")
async def locations_page(request: Request, actor: PageActor, session: SessionDep, q: str = "") -> HTMLResponse:
    """Every location of the network (HQ)."""
    _require_whole_brand(actor)
    rows = await locations.list_locations(session, actor, q=q.strip() or None)
    return render(request, "locations/list.html", {"locations": rows, "q": q})


# The brand studio: brand kit, media library, live previews (its module reaches back here for helpers).
from hub.web import studio

member_pages.include_router(studio.router)
# The local manager's inbox: filters, keyboard, bulk approve.
from hub.web import inbox

member_pages.include_router(inbox.router)
# The stats pages (network, location) and the CSV of every report table.
from hub.web import stats

member_pages.include_router(stats.router)
router.include_router(member_pages)
