"""The stats pages: HQ's network page, a location's figures against the network, and every table as CSV.

Every table of these pages and of the campaign report is declared once (its columns and how each reads)
and drawn twice from that: as HTML by templates/stats/_tables.html and as CSV by `csv_response`.
pages.py builds the campaign report's tables with `campaign_tables` and includes this router at its end;
the page helpers shared with it are reached through `web`, imported at the bottom, so either module may
be imported first.
"""

from __future__ import annotations

import csv
import io
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import select

from hub.campaigns import service as campaigns
from hub.db import utcnow
from hub.deps import FormActor, PageActor, SessionDep, require_brand
from hub.errors import NotFound
from hub.i18n import N_, Translator, locale_of
from hub.linting.networks import NETWORK_RULES
from hub.locations import service as locations
from hub.publishing.connectors.google_business import LOCATION_METRICS
from hub.stats.formulas import FORMULAS, MIXED_FORMULA, NOT_GIVEN, VERY_GOOD_FACEBOOK_RATE, formula_of
from hub.stats.report import LOCATION_SORTS, by_location_page, campaign_report
from hub.stats.models import Scoreboard
from hub.stats.report import silent_arms
from hub.stats.scoreboard import PERIOD_DAYS, SILENT_DAYS, location_report, network_scoreboard, refresh_scoreboard
from hub.templating import environment, render, render_fragment
from hub.web.charts import day_axis, month_axis, month_label

router = APIRouter()

# Rows of the campaign's table by location on one page (the CSV has them all).
LOCATIONS_PAGE = 50
# How often the stats worker recomputes the scoreboard (workers/settings.py: every 5 minutes).
REFRESH_MINUTES = 5
# The figures of a location's score its page shows.
SCORE_FIGURES = ("publication_rate", "engagement_rate", "facebook_rate", "median_decision_hours", "very_good_facebook",
                 "publication_rank", "engagement_rank")
# A cell starting with one of these is a formula to a spreadsheet: the CSV writes it after an apostrophe.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------- tables: declared once, drawn as HTML and CSV


@dataclass(frozen=True)
class Column:
    """A column of a stats table: the row's key, its header (a msgid), how its values read, its sort name."""

    key: str
    header: str
    kind: str = "count"
    sort: str = ""


# Kinds whose cells are figures (right-aligned, raw numbers in the CSV).
FIGURES = ("count", "rate", "hours", "rank")
# Why a figure is missing, by kind (a dash with this as its tooltip; never a 0).
MISSING = {
    "count": N_("Not provided: the network does not give this figure, or it has not been read yet"),
    "rate": N_("Not available: there is no figure to compute it from yet"),
    "hours": N_("No decision by a person yet"),
    "rank": N_("Not ranked: too few figures over the period"),
    "moment": N_("Never decided"),
}
DECISION_BUCKETS = {"under_1h": N_("under 1 h"), "1h_4h": N_("1–4 h"), "4h_24h": N_("4–24 h"),
                    "1d_3d": N_("1–3 days"), "over_3d": N_("over 3 days")}
# Google Business Profile's daily location metrics, as HQ reads them (reference §Google Business Profile).
GOOGLE_METRICS = {
    "BUSINESS_IMPRESSIONS_DESKTOP_MAPS": N_("Views on Maps, computer"),
    "BUSINESS_IMPRESSIONS_DESKTOP_SEARCH": N_("Views in Search, computer"),
    "BUSINESS_IMPRESSIONS_MOBILE_MAPS": N_("Views on Maps, mobile"),
    "BUSINESS_IMPRESSIONS_MOBILE_SEARCH": N_("Views in Search, mobile"),
    "CALL_CLICKS": N_("Calls"),
    "WEBSITE_CLICKS": N_("Website clicks"),
    "BUSINESS_DIRECTION_REQUESTS": N_("Direction requests"),
}
# English ordinals by CLDR plural category ("1st", "2nd", "3rd", "4th"); French says "1er", then "2e".
ORDINALS = {"one": N_("{n}st"), "two": N_("{n}nd"), "few": N_("{n}rd"), "other": N_("{n}th")}

COUNTERS = (Column("impressions", N_("Impressions")), Column("reach", N_("Reach")),
            Column("engagements", N_("Engagements")), Column("engagement_rate", N_("Engagement rate"), "rate"))
NETWORK_COLUMNS = (Column("network", N_("Network"), "network"), Column("publications", N_("Publications")),
                   *COUNTERS, Column("formula", N_("Formula"), "formula"))

CAMPAIGN_TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "funnel": (N_("Adoption funnel"), (
        Column("step", N_("Step"), "step"), Column("count", N_("Proposals")),
        Column("share", N_("Share of sent"), "rate"))),
    "reasons": (N_("Reasons for rejecting"), (
        Column("reason", N_("Reason"), "reason"), Column("count", N_("Rejections")))),
    "networks": (N_("By network"), (
        Column("network", N_("Network"), "network"), Column("publications", N_("Publications")),
        Column("published", N_("Published")), Column("failed", N_("Failed")), *COUNTERS,
        Column("formula", N_("Formula"), "formula"))),
    "regions": (N_("By region"), (
        Column("region", N_("Region"), "region"), Column("locations", N_("Locations targeted")),
        Column("published_locations", N_("Locations that published")),
        Column("publication_rate", N_("Publication rate"), "rate"), Column("proposals", N_("Proposals")),
        Column("decided", N_("Decisions")), Column("customized", N_("Customized")),
        Column("rejected", N_("Rejected")), *COUNTERS)),
    "locations": (N_("By location"), (
        Column("code", N_("Code"), "code", sort="code"), Column("name", N_("Location"), "location", sort="name"),
        Column("region", N_("Region"), "region", sort="region"), Column("proposals", N_("Proposals")),
        Column("published", N_("Publications out"), sort="published"), Column("impressions", N_("Impressions")),
        Column("reach", N_("Reach")), Column("engagements", N_("Engagements"), sort="engagements"),
        Column("engagement_rate", N_("Engagement rate"), "rate", sort="engagement_rate"))),
    "decisions": (N_("Time to decide"), (
        Column("bucket", N_("Time taken"), "bucket"), Column("count", N_("Decisions")))),
}

NETWORK_TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "adoption": (N_("Adoption by month"), (
        Column("month", N_("Month"), "month"), Column("targeted_locations", N_("Locations targeted")),
        Column("published_locations", N_("Locations that published")),
        Column("publication_rate", N_("Publication rate"), "rate"), Column("proposals", N_("Proposals")),
        Column("decided", N_("Decisions")), Column("customized_share", N_("Share customized"), "rate"),
        Column("rejected_share", N_("Share rejected"), "rate"),
        Column("median_decision_hours", N_("Median time to decide"), "hours"))),
    "engagement": (N_("Engagement rate by network and month"), (
        Column("month", N_("Month"), "month"), *NETWORK_COLUMNS)),
    "facebook": (N_("Facebook engagement rate by month"), (
        Column("month", N_("Month"), "month"), Column("engagement_rate", N_("Engagement rate"), "rate"),
        Column("locations", N_("Locations with Facebook figures")),
        Column("very_good_locations", N_("Locations at 4% or more")))),
    "networks": (N_("By network"), NETWORK_COLUMNS),
    "followers": (N_("Followers by network and month"), (
        Column("month", N_("Month"), "month"), Column("network", N_("Network"), "network"),
        Column("followers", N_("Followers")), Column("accounts", N_("Accounts counted")),
        Column("day", N_("Counted on"), "day"))),
    "google-business": (N_("Google Business Profile by month"), (
        Column("month", N_("Month"), "month"), Column("profiles", N_("Profiles")),
        *(Column(name, GOOGLE_METRICS[name]) for name in LOCATION_METRICS))),
    "top-posts": (N_("Top posts"), (
        Column("campaign", N_("Campaign"), "campaign"), Column("excerpt", N_("Post"), "text"),
        Column("locations", N_("Locations")), Column("publications", N_("Publications")), *COUNTERS)),
    "top-locations": (N_("Top locations"), (
        Column("engagement_rank", N_("Rank"), "rank"), Column("code", N_("Code"), "code"),
        Column("name", N_("Location"), "location"), Column("region", N_("Region"), "region"),
        Column("engagement_rate", N_("Engagement rate"), "rate"), Column("publications", N_("Publications")),
        Column("publication_rate", N_("Publication rate"), "rate"),
        Column("facebook_rate", N_("Facebook engagement rate"), "rate"),
        Column("very_good_facebook", N_("Facebook at 4% or more"), "mark"))),
    "regions": (N_("By region"), (
        Column("region", N_("Region"), "region"), Column("locations", N_("Locations")),
        Column("targeted_locations", N_("Locations targeted")),
        Column("published_locations", N_("Locations that published")),
        Column("publication_rate", N_("Publication rate"), "rate"), Column("proposals", N_("Proposals")),
        Column("published_proposals", N_("Proposals published")), Column("engagements", N_("Engagements")),
        Column("engagement_rate", N_("Engagement rate"), "rate"))),
    "silent-arms": (N_("Silent arms"), (
        Column("code", N_("Code"), "code"), Column("name", N_("Location"), "location"),
        Column("region", N_("Region"), "region"), Column("pending", N_("Proposals waiting")),
        Column("last_decision_at", N_("Last decision"), "moment"))),
    "reasons": (N_("Reasons for rejecting"), (
        Column("reason", N_("Reason"), "reason"), Column("count", N_("Rejections")))),
}

LOCATION_TABLES: dict[str, tuple[str, tuple[Column, ...]]] = {
    "months": (N_("Month by month"), (
        Column("month", N_("Month"), "month"), Column("proposals", N_("Proposals")),
        Column("published_proposals", N_("Proposals published")),
        Column("publication_rate", N_("Publication rate"), "rate"),
        Column("network_publication_rate", N_("Network's publication rate"), "rate"), *COUNTERS)),
    "networks": (N_("By network"), NETWORK_COLUMNS),
    # Its columns are the location's networks: see _follower_columns.
    "followers": (N_("Followers by day"), ()),
}


@dataclass
class Cell:
    """A table cell: its text on the page, its value in the CSV, and why it is empty when it is."""

    text: str
    value: Any
    numeric: bool = False
    href: str = ""
    missing: str = ""


@dataclass
class Header:
    """A column header: its text, and for a sorted table the link that sorts by it and whether it does now."""

    text: str
    key: str
    numeric: bool = False
    href: str = ""
    aria_sort: str = ""


@dataclass
class Sorting:
    """How a paged table is sorted and which page is shown; its links keep `sort`, `dir` and `page`."""

    url: str
    target: str
    sort: str
    descending: bool
    page: int
    pages: int

    def link(self, **changes: Any) -> str:
        """The page's URL with the sort, direction and page, some of them changed."""
        params = {"sort": self.sort, "dir": "desc" if self.descending else "asc", "page": self.page, **changes}
        return f"{self.url}?{urlencode(params)}"


@dataclass
class Table:
    """A stats table ready to draw: translated caption and headers, rows of cells, its CSV's address."""

    name: str
    caption: str
    headers: list[Header]
    rows: list[list[Cell]]
    csv_url: str
    sorting: Sorting | None = None
    has_missing: bool = False
    tall: bool = False


def ordinal(number: int, language: str) -> str:
    """A rank as the reader's language writes it: "12th" in English, "12e" in French ("1er")."""
    _ = Translator(language)
    return _(ORDINALS[locale_of(language).ordinal_form(number)], n=_.number(number))


def _labels(_: Translator) -> Any:
    """The label macros of templates/components/ui.html (funnel steps, rejection reasons), in the reader's language."""
    return environment.get_template("components/ui.html").make_module({"_": _})


def _moment(value: Any) -> datetime | None:
    """A moment from a report (a datetime, or its ISO text once stored as JSON)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


async def stored_silent_arms(session: SessionDep, brand_id: str) -> list[dict[str, Any]]:
    """The brand's silent arms as its stored scoreboard lists them (at most a few minutes old), read without
    the rest of the scoreboard; computed now for a brand that has no scoreboard yet."""
    arms = await session.scalar(select(Scoreboard.data["silent_arms"]).where(Scoreboard.brand_id == brand_id))
    if arms is None:
        return await silent_arms(session, brand_id, SILENT_DAYS, utcnow())
    return [{**arm, "last_decision_at": _moment(arm["last_decision_at"])} for arm in arms]


def _missing(column: Column, row: dict[str, Any], _: Translator) -> str:
    """Why this row has no figure in this column: what its network does not give, else what the kind says."""
    not_given = row.get("not_given") or NOT_GIVEN.get(row.get("network") or "", ())
    wanted = "engagements" if column.kind == "rate" else column.key
    if wanted in not_given:
        network = row["network"]
        return _("{network} does not provide this figure", network=NETWORK_RULES[network].label
                 if network in NETWORK_RULES else network)
    return _(MISSING.get(column.kind, MISSING["count"]))


def _cell(column: Column, row: dict[str, Any], _: Translator, labels: Any) -> Cell:
    """One cell of a row: its text in the reader's language and its raw value for the CSV."""
    value = row.get(column.key)
    numeric = column.kind in FIGURES
    if value is None and column.kind in (*FIGURES, "moment"):
        return Cell("—", None, numeric, missing=_missing(column, row, _))
    kind = column.kind
    if kind == "count":
        return Cell(_.number(value), value, True)
    if kind == "rate":
        return Cell(_.percent(value, 1), value, True)
    if kind == "hours":
        return Cell(_("{hours} h", hours=_.number(round(value, 1))), value, True)
    if kind == "rank":
        return Cell(ordinal(value, _.language), value, True)
    if kind == "month":
        return Cell(month_label(value, _.language), value)
    if kind == "day":
        return Cell(_.date(date.fromisoformat(value)), value)
    if kind == "moment":
        moment = _moment(value)
        return Cell(_.datetime(moment), moment.isoformat())
    if kind == "network":
        text = NETWORK_RULES[value].label if value in NETWORK_RULES else value
    elif kind == "formula":
        text = _(value) if value else ""
    elif kind == "region":
        text = value or _("No region")
    elif kind == "step":
        text = Markup(labels.funnel_label(value)).unescape()
    elif kind == "reason":
        text = Markup(labels.reason_label(value)).unescape() if value else _("No reason given")
    elif kind == "bucket":
        text = _(DECISION_BUCKETS[value])
    elif kind == "mark":
        text = _("Very good") if value else ""
    else:
        text = "" if value is None else str(value)
    href = ""
    if kind == "location" and row.get("location_id"):
        href = f"/locations/{row['location_id']}/stats"
    elif kind == "campaign" and row.get("campaign_id"):
        href = f"/campaigns/{row['campaign_id']}"
    return Cell(text, text, False, href)


def build_table(name: str, spec: tuple[str, tuple[Column, ...]], rows: Iterable[dict[str, Any]], _: Translator,
                csv_url: str, sorting: Sorting | None = None) -> Table:
    """A declared table filled with rows, in the reader's language, with its sortable headers when paged."""
    caption, columns = spec
    labels = _labels(_)
    cells = [[_cell(column, row, _, labels) for column in columns] for row in rows]
    headers = []
    for column in columns:
        header = Header(_(column.header), column.key, column.kind in FIGURES)
        if sorting is not None and column.sort:
            current = sorting.sort == column.sort
            # A second click turns the order round; figures first sort largest first, words from A.
            descending = not sorting.descending if current else column.kind in FIGURES
            header.href = sorting.link(sort=column.sort, dir="desc" if descending else "asc", page=1)
            header.aria_sort = ("descending" if sorting.descending else "ascending") if current else ""
        headers.append(header)
    return Table(name, _(caption), headers, cells, csv_url, sorting,
                 has_missing=any(cell.missing for row in cells for cell in row))


def spreadsheet_safe(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run: text starting like a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_response(filename: str, table: Table) -> Response:
    """A table as a CSV download: headers in the reader's language, raw figures (rates as decimals),
    nothing a spreadsheet would run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(header.text) for header in table.headers])
    writer.writerows([spreadsheet_safe(cell.value) for cell in row] for row in table.rows)
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "table"
    # The byte-order mark tells spreadsheets the file is UTF-8 (accents in French headers and names).
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{safe_name}.csv"'})


def _unknown_table(name: str, tables: dict[str, Any]) -> NotFound:
    return NotFound("No table {table} here: the tables are {tables}.", table=name, tables=", ".join(tables))


# ---------------------------------------------------------------- the campaign report (page in pages.py)


def campaign_rows(report: dict[str, Any], name: str, funnel_steps: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of one table of a campaign report."""
    funnel = report["funnel"]
    if name == "funnel":
        return [{"step": step, "count": funnel.get(step, 0),
                 "share": round(funnel.get(step, 0) / funnel["proposed"], 4) if funnel["proposed"] else None}
                for step in funnel_steps]
    if name == "reasons":
        return [{"reason": reason, "count": count}
                for reason, count in sorted(funnel["rejected_by_reason"].items(), key=lambda item: -item[1])]
    if name == "decisions":
        return [{"bucket": bucket, "count": count} for bucket, count in report["time_to_decision"]["buckets"].items()]
    return {"networks": report["by_network"], "regions": report["by_region"],
            "locations": report["by_location"]}[name]


def campaign_tables(report: dict[str, Any], _: Translator, funnel_steps: tuple[str, ...],
                    sorting: Sorting) -> dict[str, Table]:
    """Every table of a campaign's report; the one by location is the page `sorting` says."""
    base = f"/campaigns/{report['campaign_id']}/report"
    tables = {}
    for name, spec in CAMPAIGN_TABLES.items():
        csv_url = f"{base}/{name}.csv"
        if name == "locations":
            csv_url += "?" + urlencode({"sort": sorting.sort, "dir": "desc" if sorting.descending else "asc"})
        tables[name] = build_table(name, spec, campaign_rows(report, name, funnel_steps), _, csv_url,
                                   sorting if name == "locations" else None)
    return tables


def location_sorting(campaign_id: str, sort: str, direction: str, page: int) -> Sorting:
    """The sort and page of a campaign's table by location, from the page's query (an unknown sort is by code);
    the caller sets `pages` once it knows how many locations there are."""
    return Sorting(f"/campaigns/{campaign_id}", "report-locations", sort if sort in LOCATION_SORTS else "code",
                   direction == "desc", max(page, 1), 1)


@router.get("/campaigns/{campaign_id}/report/{table}.csv")
async def campaign_csv(request: Request, campaign_id: str, table: str, actor: PageActor, session: SessionDep,
                       sort: str = "code", direction: Annotated[str, Query(alias="dir")] = "asc") -> Response:
    """One table of a campaign's report as CSV; the table by location with every row, in the page's order."""
    campaign = await campaigns.get_campaign(session, actor, campaign_id)
    if table not in CAMPAIGN_TABLES:
        raise _unknown_table(table, CAMPAIGN_TABLES)
    _ = web._translator(request)
    if table == "locations":
        rows = await by_location_page(session, campaign, limit=None, sort=sort if sort in LOCATION_SORTS
                                              else "code", descending=direction == "desc")
    else:
        report = await campaign_report(session, campaign, limit=1)
        rows = campaign_rows(report, table, web.FUNNEL_STEPS)
    return csv_response(f"{campaign.name}-{table}", build_table(table, CAMPAIGN_TABLES[table], rows, _, ""))


# ---------------------------------------------------------------- the network page


def _with_formulas(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows by network with their network's formula and the counters it never gives."""
    return [{**row, "formula": row.get("formula") or FORMULAS.get(row["network"]),
             "not_given": NOT_GIVEN.get(row["network"], ())} for row in rows]


def network_rows(board: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The rows of one table of the network page, from the stored scoreboard."""
    return {
        "adoption": lambda: board["adoption_by_month"],
        "engagement": lambda: _with_formulas(board["engagement_by_month"]),
        "facebook": lambda: board["facebook_by_month"],
        "networks": lambda: _with_formulas(board["by_network"]),
        "followers": lambda: board["followers_by_month"],
        "google-business": lambda: board["google_business_by_month"],
        "top-posts": lambda: board["top_posts"],
        "top-locations": lambda: board["top_locations"],
        "regions": lambda: board["by_region"],
        "silent-arms": lambda: board["silent_arms"],
        "reasons": lambda: [{"reason": reason, "count": count} for reason, count
                            in sorted(board["rejected_by_reason"].items(), key=lambda item: -item[1])],
    }[name]()


def _series_by_network(rows: list[dict[str, Any]], months: list[str], key: str, _: Translator,
                       notes: bool = False) -> list[dict[str, Any]]:
    """One line per network across the months (a month without a figure leaves a gap)."""
    networks = sorted({row["network"] for row in rows}, key=lambda network: (network not in NETWORK_RULES, network))
    found = {(row["month"], row["network"]): row.get(key) for row in rows}
    return [{"name": network, "label": NETWORK_RULES[network].label if network in NETWORK_RULES else network,
             "note": _(FORMULAS[network]) if notes and network in FORMULAS else "",
             "points": [found.get((month, network)) for month in months]} for network in networks]


@router.get("/network/stats")
async def network_page(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """HQ's scoreboard: adoption over time, engagement per network, followers, top posts and locations, silent arms."""
    web._require_whole_brand(actor)
    brand_id = require_brand(actor)
    _ = web._translator(request)
    # Which scoreboard is current decides the page; the scoreboard itself (39 kB of JSON to decode) is read
    # only when its figures are not drawn yet in this language.
    computed_at = await session.scalar(select(Scoreboard.computed_at).where(Scoreboard.brand_id == brand_id))
    key = (brand_id, computed_at, _.language)
    if computed_at is None or key not in _bodies:
        board = await network_scoreboard(request.app.state.database, session, brand_id)
        computed_at = computed_at or _moment(board["computed_at"])  # none stored before: computed just now
        key = (brand_id, computed_at, _.language)
        _bodies[key] = network_body(board, _)
        while len(_bodies) > KEPT_BODIES:
            _bodies.popitem(last=False)
    _bodies.move_to_end(key)
    return render(request, "stats/network.html", {
        "period_days": PERIOD_DAYS, "computed_at": computed_at, "refresh_minutes": REFRESH_MINUTES,
        "body": _bodies[key],
    })


# The figures of the network page as HTML, per brand, scoreboard (its time) and language: they change only
# when the worker recomputes the scoreboard, and drawing ~8,000 cells and the charts costs more than the request.
_bodies: OrderedDict[tuple[str, datetime, str], Markup] = OrderedDict()
KEPT_BODIES = 32


def network_body(board: dict[str, Any], _: Translator) -> Markup:
    """The network page's charts and tables for this scoreboard in the reader's language."""
    tables = {name: build_table(name, spec, network_rows(board, name), _, f"/network/stats/{name}.csv")
              for name, spec in NETWORK_TABLES.items()}
    months = [row["month"] for row in board["adoption_by_month"]]
    return render_fragment("stats/_network_body.html", {
        "board": board, "tables": tables, "axis": month_axis(months, _.language), "very_good": VERY_GOOD_FACEBOOK_RATE,
        "adoption_points": [row["publication_rate"] for row in board["adoption_by_month"]],
        "facebook_points": [row["engagement_rate"] for row in board["facebook_by_month"]],
        "engagement_series": _series_by_network(board["engagement_by_month"], months, "engagement_rate", _, True),
        "follower_series": _series_by_network(board["followers_by_month"], months, "followers", _),
        # The bars are named as the table's first column names its rows.
        "region_bars": [{"label": cells[0].text, "value": row["publication_rate"] or 0}
                        for cells, row in zip(tables["regions"].rows, board["by_region"], strict=True)],
        "reason_bars": [{"label": cells[0].text, "value": cells[1].value, "name": "rejected"}
                        for cells in tables["reasons"].rows],
        "facebook_month": next((row for row in reversed(board["facebook_by_month"]) if row["locations"]), None),
    }, _.language)


@router.post("/network/stats/refresh")
async def refresh_network_page(request: Request, actor: FormActor) -> Response:
    """Recompute the scoreboard now instead of waiting for the stats worker, then show it."""
    web._require_whole_brand(actor)
    await refresh_scoreboard(request.app.state.database, require_brand(actor))
    return web._see_other("/network/stats")


@router.get("/network/stats/{table}.csv")
async def network_csv(request: Request, table: str, actor: PageActor, session: SessionDep) -> Response:
    """One table of the network page as CSV."""
    web._require_whole_brand(actor)
    if table not in NETWORK_TABLES:
        raise _unknown_table(table, NETWORK_TABLES)
    board = await network_scoreboard(request.app.state.database, session, require_brand(actor))
    rows = network_rows(board, table)
    return csv_response(f"network-{table}", build_table(table, NETWORK_TABLES[table], rows, web._translator(request), ""))


# ---------------------------------------------------------------- a location's page


def _follower_days(report: dict[str, Any]) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """The location's followers as one row per day with a column per network."""
    networks = sorted({row["network"] for row in report["followers"]})
    days = sorted({row["day"] for row in report["followers"]})
    found = {(row["day"], row["network"]): row["followers"] for row in report["followers"]}
    rows = [{"day": day, **{network: found.get((day, network)) for network in networks}} for day in days]
    return networks, days, rows


def location_tables(report: dict[str, Any], _: Translator) -> dict[str, Table]:
    """Every table of a location's page."""
    base = f"/locations/{report['location_id']}/stats"
    networks, _days, follower_rows = _follower_days(report)
    rows = {"months": report["by_month"], "networks": _with_formulas(report["by_network"]),
            "followers": follower_rows}
    specs = {**LOCATION_TABLES, "followers": (LOCATION_TABLES["followers"][0], (
        Column("day", N_("Day"), "day"),
        *(Column(network, NETWORK_RULES[network].label if network in NETWORK_RULES else network)
          for network in networks)))}
    tables = {name: build_table(name, spec, rows[name], _, f"{base}/{name}.csv") for name, spec in specs.items()}
    tables["followers"].tall = True
    return tables


@router.get("/locations/{location_id}/stats")
async def location_page(request: Request, location_id: str, actor: PageActor, session: SessionDep) -> HTMLResponse:
    """A location's figures against the network's median, its ranks, month by month and per network."""
    location = await locations.get_location(session, actor, location_id)
    report = await location_report(request.app.state.database, session, location)
    _ = web._translator(request)
    tables = location_tables(report, _)
    months = [row["month"] for row in report["by_month"]]
    networks, days, follower_rows = _follower_days(report)
    # A location added since the last refresh has no score yet: every figure of it reads as missing.
    score = {name: None for name in SCORE_FIGURES} | (report["score"] or {})
    return render(request, "stats/location.html", {
        "location": location, "report": report, "score": score, "ranked": report["score"] is not None,
        "medians": report["medians"],
        "tables": tables, "computed_at": _moment(report["computed_at"]), "very_good": VERY_GOOD_FACEBOOK_RATE,
        "refresh_minutes": REFRESH_MINUTES,
        "formula": formula_of([row["network"] for row in report["by_network"]] or ["facebook"]),
        "facebook_formula": FORMULAS["facebook"],
        "ranks": {name: _("{rank} of {total}", rank=ordinal(score[f"{name}_rank"], _.language),
                          total=_.number(score[f"{name}_rank_of"]))
                  for name in ("publication", "engagement") if score.get(f"{name}_rank")},
        "axis": month_axis(months, _.language),
        "month_series": [
            {"name": "location", "label": location.name, "note": "",
             "points": [row["publication_rate"] for row in report["by_month"]]},
            {"name": "network", "label": _("The network"), "note": "",
             "points": [row["network_publication_rate"] for row in report["by_month"]]},
        ],
        "day_axis": day_axis(days, _.language),
        "follower_series": [{"name": network, "label": NETWORK_RULES[network].label if network in NETWORK_RULES
                             else network, "note": "", "points": [row[network] for row in follower_rows]}
                            for network in networks],
    })


@router.get("/locations/{location_id}/stats/{table}.csv")
async def location_csv(request: Request, location_id: str, table: str, actor: PageActor,
                       session: SessionDep) -> Response:
    """One table of a location's page as CSV."""
    location = await locations.get_location(session, actor, location_id)
    if table not in LOCATION_TABLES:
        raise _unknown_table(table, LOCATION_TABLES)
    report = await location_report(request.app.state.database, session, location)
    return csv_response(f"{location.code}-{table}", location_tables(report, web._translator(request))[table])


environment.globals.update(FORMULAS=FORMULAS, MIXED_FORMULA=MIXED_FORMULA, MISSING_FIGURE=MISSING,
                           month_label=month_label)

# Last, for the cycle: pages.py includes this router at its own end, and both are then complete.
from hub.web import pages as web  # noqa: E402
