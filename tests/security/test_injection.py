"""User text is never executed: template syntax stays literal, markup is escaped in every page, preview and
e-mail, and CSV exports never start a cell with a formula.

One brand is filled with hostile text through the real API, forms and services — post bodies, variants,
translations, slots, variables, comments, location names and tags (through the CSV import), user, account,
file and font names, review-link labels, webhook URLs — plus what a compromised network answer could put in
a publication's error, its link and an account's health. Every page each role opens is then read, with the
network previews, the review page, the calendar feed, the CSV exports and the daily digest e-mails.

Each payload carries a tag naming its field (`alert(camp)`), so a page that shows the field escaped is seen
to show it: the test fails if the raw markup appears anywhere, and also if a field a page must show is not
there at all (a page that shows nothing proves nothing).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from fontTools.ttLib import TTFont
from sqlalchemy import select, update

from hub.calendars import service as calendars
from hub.db import utcnow
from hub.locations.models import Location
from hub.media.samples import photo_png
from hub.media.text import FONTS_DIR
from hub.notifications import service as notifications
from hub.proposals.models import DistributionChunk, Proposal
from hub.proposals.service import fan_out_chunk
from hub.publishing import service as publishing
from hub.publishing.models import Publication, SocialAccount
from hub.stats.scoreboard import refresh_scoreboard
from hub.stats.service import store_reading
from tests.factories import PASSWORD, make_network
from tests.notifications.conftest import mail_settings, smtp_server  # noqa: F401 (fixtures)
from tests.notifications.test_notifications import html_of, paris_deadline, text_of
from tests.web.conftest import csrf_of, web_client  # noqa: F401 (fixture)

# Template syntax of Jinja, str.format and others: filled nowhere, it must come out exactly as written.
TEMPLATE = "{{7*7}} {% if 1 %}jinja{% endif %} {city.__class__} {0.__globals__} ${7*7} #{7*7}"
# A line break and calendar lines: a feed that did not escape them would gain an event.
ICS_BREAK = "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected"
# What must never reach a page unescaped.
RAW = ("<script>alert(", "<img src=x onerror", 'href="javascript:', "href='javascript:", 'src="javascript:')


def hostile(tag: str) -> str:
    """Script and attribute-breaking markup, tagged with the field it is planted in."""
    return f'<script>alert({tag})</script>"><img src=x onerror=alert({tag})>'


def short(tag: str) -> str:
    """The script alone, for fields of at most 60 characters (tags)."""
    return f"<script>alert({tag})</script>"


def escaped(tag: str) -> str:
    return f"&lt;script&gt;alert({tag})&lt;/script&gt;"


# Cells a spreadsheet would run as formulas (location names, a region, a tag of the CSV import).
FORMULAS = {"name": '=HYPERLINK("http://evil.test","Cliquez")', "region": "+cmd|' /C calc'!A0", "tag": "-2+3",
            "city": "@SUM(1+1)"}


@dataclass
class World:
    """The hostile brand: its people's e-mails, its ids and the secrets of its links."""

    hq_email: str
    brand_id: str
    location_a: str
    location_b: str
    location_c: str
    local_a: str
    local_b: str
    local_c: str
    campaign_id: str
    slots_post: str
    free_post: str
    proposals: dict[str, str] = field(default_factory=dict)  # "a.slots" -> proposal id
    review_token: str = ""
    feed_url: str = ""


def csv_line(*cells: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def font_named(name: str) -> bytes:
    """A real font whose family and full names are `name`."""
    font = TTFont(FONTS_DIR / "NotoSans-Regular.ttf")
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = name
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


async def _fan_out(database) -> None:
    async with database.session() as session:
        chunk_ids = list(await session.scalars(
            select(DistributionChunk.id).where(DistributionChunk.status == "pending")))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)


async def hostile_world(database, settings, client_as, web_client) -> World:
    """A brand whose every free-text field holds markup, template syntax or a spreadsheet formula."""
    network = await make_network(database, settings, name=hostile("brand"), locations=3, networks=("facebook",
                                                                                                    "instagram"))
    a, b, c = network.locations
    hq = await client_as(network.hq_email, PASSWORD)

    # Locations, through the CSV import: A in French, B in German (a distributor translating), C for formulas.
    header = csv_line("code", "name", "kind", "region", "country", "locale", "timezone", "tags", "city", "phone")
    rows = [
        csv_line(a.code, hostile("loc"), "franchise", hostile("region"), "FR", "fr-FR", "Europe/Paris", short("tag"),
                 hostile("city") + " " + TEMPLATE, "+33 1 {{7*7}} " + ICS_BREAK),
        csv_line(b.code, FORMULAS["name"], "distributor", FORMULAS["region"], "DE", "de-DE", "Europe/Berlin",
                 FORMULAS["tag"], FORMULAS["city"], "+49 30 1"),
        csv_line(c.code, "@SUM(A1:A9)", "franchise", "-1+1", "FR", "fr-FR", "Europe/Paris", "mall", "Nice", "+33 4 1"),
    ]
    imported = await hq.post("/api/v1/locations/import", content=header + "".join(rows),
                             headers={"Content-Type": "text/csv"})
    assert imported.status_code == 200, imported.text

    # People, accounts, files, the brand kit.
    editor = await hq.post("/api/v1/users", json={"email": "editor@velo.test", "password": PASSWORD,
                                                   "name": hostile("user"), "role": "hq_editor"})
    assert editor.status_code == 201, editor.text
    account = await hq.post(f"/api/v1/locations/{a.id}/accounts", json={
        "network": "linkedin", "external_id": "urn:li:organization:" + short("ext"), "display_name": hostile("acct"),
        "connector": "sandbox"})
    assert account.status_code == 201, account.text
    photo = await hq.post("/api/v1/media", files={"file": (hostile("file") + ".png", photo_png(), "image/png")})
    assert photo.status_code == 201, photo.text
    font = await hq.post("/api/v1/brand-kit/fonts", params={"role": "heading"},
                         files={"file": ("brand.ttf", font_named(hostile("font")), "font/ttf")})
    assert font.status_code == 201, font.text
    kit = (await hq.get("/api/v1/brand-kit")).json()
    kit["tone"]["banned_terms"] = [{"term": "gratuit", "replacement": hostile("repl")}]
    assert (await hq.put("/api/v1/brand-kit", json=kit)).status_code == 200
    webhook = await hq.post("/api/v1/webhooks", json={
        "url": "https://hooks.example.com/" + hostile("hook"), "events": ["proposal.decided"], "secret": "s" * 24})
    assert webhook.status_code == 201, webhook.text

    # A campaign with a post of slots and a free one (its German translation by HQ), with a decision deadline.
    deadline = paris_deadline()
    campaign = (await hq.post("/api/v1/campaigns", json={"name": hostile("camp"), "decision_deadline":
                                                          deadline.isoformat()})).json()
    slots = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
        "body": "Bonjour {city} ! [[offre]] " + hostile("body") + " " + TEMPLATE + ICS_BREAK,
        "networks": ["facebook", "instagram"], "editable": "slots",
        "slots": {"offre": {"max_length": 300, "default": hostile("slotdef"), "label": hostile("slotlabel")}},
        "media_id": photo.json()["id"], "image_texts": {"headline": hostile("headline")}})
    assert slots.status_code == 201, slots.text
    free = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
        "body": "Vélo à {city} " + hostile("bodyf") + " " + TEMPLATE, "networks": ["facebook", "instagram"],
        "variants": {"facebook": "Vélo à {city} " + hostile("variant") + " " + TEMPLATE},
        "translations": {"de-DE": {"body": "Fahrrad in {city} " + hostile("transl") + " " + TEMPLATE}}})
    assert free.status_code == 201, free.text
    for post in (slots.json(), free.json()):
        assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute")).status_code == 202
    await _fan_out(database)

    world = World(network.hq_email, network.brand_id, a.id, b.id, c.id, network.local_emails[a.id],
                  network.local_emails[b.id], network.local_emails[c.id], campaign["id"], slots.json()["id"],
                  free.json()["id"])
    async with database.session() as session:
        for proposal in await session.scalars(select(Proposal)):
            kind = "slots" if proposal.post_id == world.slots_post else "free"
            place = {a.id: "a", b.id: "b", c.id: "c"}[proposal.location_id]
            world.proposals[f"{place}.{kind}"] = proposal.id

    # The locations decide and talk: A fills the slot and rewrites the free post; B rejects the free post (in
    # HQ's German) and drafts the German of the post of slots, which it waits for.
    local_a = await client_as(world.local_a, PASSWORD)
    local_b = await client_as(world.local_b, PASSWORD)
    decided = [
        await local_a.post(f"/api/v1/proposals/{world.proposals['a.slots']}/customize",
                           json={"slots": {"offre": hostile("slotval") + " " + TEMPLATE}}),
        await local_a.post(f"/api/v1/proposals/{world.proposals['a.free']}/customize", json={"texts": {
            "facebook": "Chez nous " + hostile("custom") + " " + TEMPLATE, "instagram": "Chez nous " + TEMPLATE}}),
        await local_b.post(f"/api/v1/proposals/{world.proposals['b.free']}/reject",
                           json={"reason": "other", "comment": hostile("reject")}),
        await local_a.post(f"/api/v1/proposals/{world.proposals['a.slots']}/comments",
                           json={"body": hostile("comment") + " " + TEMPLATE}),
        await hq.post(f"/api/v1/proposals/{world.proposals['a.slots']}/comments", json={"body": hostile("hqcomment")}),
        await local_b.put(f"/api/v1/posts/{world.slots_post}/translations/de-DE", json={"texts": {
            "body": "Rad in {city} [[offre]] " + hostile("distrib") + " " + TEMPLATE}}),
    ]
    assert [answer.status_code for answer in decided] == [200, 200, 200, 201, 201, 200], [r.text for r in decided]
    link = await local_a.post(f"/api/v1/proposals/{world.proposals['a.free']}/review-links",
                              json={"label": hostile("label")})
    assert link.status_code == 201, link.text
    world.review_token = link.json()["url"].rsplit("/", 1)[1]

    # Publishing on the sandbox, counters read, the scoreboard computed; then what a compromised network
    # answer could store: an error and a link for a publication, a health detail for an account.
    async with database.session() as session:
        publication_ids = list(await session.scalars(select(Publication.id)))
    assert publication_ids
    for publication_id in publication_ids:
        assert await publishing.publish(database, settings, publication_id) == "published"
    async with database.session() as session:
        for publication in await session.scalars(select(Publication)):
            account_row = await session.get(SocialAccount, publication.social_account_id)
            await store_reading(session, publication, account_row, "24h",
                                {"impressions": 100, "reach": 80, "engagements": 8}, False, utcnow())
    await refresh_scoreboard(database, network.brand_id)
    async with database.session() as session:
        first = await session.scalar(select(Publication).where(Publication.network == "instagram"))
        await session.execute(update(Publication).where(Publication.id == first.id).values(
            status="failed", error="Instagram refused: " + hostile("puberr"), url="javascript:alert(puburl)"))
        await session.execute(update(SocialAccount).where(SocialAccount.location_id == a.id,
                                                          SocialAccount.network == "facebook").values(
            status="broken", status_detail="Facebook said: " + hostile("health")))
        world.feed_url = await calendars.feed_url(session, settings, await session.get(Location, a.id))
    return world


def problems(where: str, text: str, shown: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with one page or e-mail: raw markup anywhere, or a field it must show missing."""
    found = [f"{where}: raw {raw!r}" for raw in RAW if raw in text]
    found += [f"{where}: does not show {tag} (escaped)" for tag in shown if escaped(tag) not in text]
    return found


class TestTemplateSyntaxStaysLiteral:
    async def test_fan_out_fills_the_variables_and_leaves_everything_else_as_written(
            self, database, settings, client_as, web_client):
        world = await hostile_world(database, settings, client_as, web_client)
        hq = await client_as(world.hq_email, PASSWORD)
        p = world.proposals

        async def texts(proposal_id: str) -> dict[str, str]:
            answer = await hq.get(f"/api/v1/proposals/{proposal_id}")
            assert answer.status_code == 200, answer.text
            return answer.json()["texts"]

        # C (city "Nice") got HQ's texts: {city} filled, the rest — template syntax of every kind — as written.
        assert await texts(p["c.free"]) == {"facebook": f"Vélo à Nice {hostile('variant')} {TEMPLATE}",
                                            "instagram": f"Vélo à Nice {hostile('bodyf')} {TEMPLATE}"}
        slots = await texts(p["c.slots"])
        assert slots["facebook"].startswith(f"Bonjour Nice ! {hostile('slotdef')} {hostile('body')} {TEMPLATE}")
        # A's variable holds template syntax itself: put in as a value, never read again as a template.
        city_of_a = f"{hostile('city')} {TEMPLATE}"
        location_a = (await hq.get(f"/api/v1/locations/{world.location_a}")).json()
        assert location_a["variables"]["city"] == city_of_a and location_a["name"] == hostile("loc")
        a_slots = await texts(p["a.slots"])
        assert a_slots["facebook"].startswith(f"Bonjour {city_of_a} ! {hostile('slotval')} {TEMPLATE} "
                                              f"{hostile('body')} {TEMPLATE}")
        assert await texts(p["a.free"]) == {"facebook": f"Chez nous {hostile('custom')} {TEMPLATE}",
                                            "instagram": f"Chez nous {TEMPLATE}"}
        # B reads HQ's German, {city} filled with a formula that stays text.
        german = f"Fahrrad in {FORMULAS['city']} {hostile('transl')} {TEMPLATE}"
        assert (await texts(p["b.free"]))["instagram"] == german
        comments = (await hq.get(f"/api/v1/proposals/{p['a.slots']}/comments")).json()
        assert [comment["body"] for comment in comments] == [f"{hostile('comment')} {TEMPLATE}", hostile("hqcomment")]
        assert "49" not in "".join(a_slots.values()) + "".join(slots.values())


def hq_pages(world: World) -> dict[str, tuple[str, ...]]:
    """HQ's pages, each with the fields it must show (escaped)."""
    p, a = world.proposals, world.location_a
    return {
        "/campaigns": ("camp",),
        f"/campaigns/{world.campaign_id}": ("camp", "body", "bodyf", "loc", "slotlabel", "slotdef", "file"),
        f"/campaigns/{world.campaign_id}/matrix": ("camp", "loc", "tag", "region"),
        f"/proposals/{p['a.slots']}": ("body", "city", "comment", "hqcomment", "loc", "puberr", "slotval"),
        f"/proposals/{p['a.free']}": ("custom", "label", "variant", "bodyf"),
        f"/proposals/{p['b.free']}": ("reject", "transl"),
        "/calendar": ("camp", "region"),
        f"/locations/{a}/calendar": ("camp", "loc"),
        f"/posts/{world.free_post}/translations": ("bodyf",),
        f"/posts/{world.free_post}/translations/de-DE": ("transl", "variant"),
        "/network/stats": ("loc", "region"),
        f"/locations/{a}/stats": ("loc",),
        "/network": ("health", "loc"),
        f"/locations/{a}/accounts": ("acct", "ext", "health"),
        "/audit": ("camp", "custom", "reject", "label", "distrib"),
        "/locations": ("loc", "region", "tag"),
        "/media": ("file",),
        "/brand-kit": ("font", "repl"),
        "/webhooks": ("hook",),
        f"/sandbox/{a}": ("slotval", "custom"),
        # What a page echoes from its query string.
        "/locations?q=" + hostile("query"): ("query",),
        "/calendar?region=" + hostile("filter"): (),
        f"/campaigns/{world.campaign_id}/matrix?country=" + short("country") + "&status=" + short("status"): (),
        "/audit?action=" + short("action"): (),
    }


class TestMarkupIsEscaped:
    async def test_in_every_page_of_every_role(self, database, settings, client_as, web_client):
        world = await hostile_world(database, settings, client_as, web_client)
        p, a = world.proposals, world.location_a
        roles = {
            world.hq_email: hq_pages(world),
            world.local_a: {"/inbox": ("camp", "custom"), f"/proposals/{p['a.slots']}": ("slotval", "comment", "loc"),
                            f"/proposals/{p['a.free']}": ("custom", "label"), f"/locations/{a}/calendar": ("camp",),
                            f"/locations/{a}/stats": ("loc",), f"/sandbox/{a}": ("slotval",)},
            world.local_b: {"/inbox": ("camp", "transl"), f"/proposals/{p['b.free']}": ("reject", "transl"),
                            f"/posts/{world.slots_post}/translations/de-DE": ("distrib", "body", "slotdef")},
        }
        found: list[str] = []
        for email, pages in roles.items():
            client = await web_client(email)
            for path, shown in pages.items():
                page = await client.get(path)
                assert page.status_code == 200, (email, path, page.status_code)
                found += problems(f"{email} {urlsplit(path).path}", page.text, shown)
            # The same regions as HTMX swaps them.
            for path in (f"/campaigns/{world.campaign_id}/matrix", "/audit", "/network"):
                fragment = await client.get(path, headers={"HX-Request": "true"})
                found += problems(f"{email} {path} (HTMX)", fragment.text)
        anonymous = await web_client()
        review = await anonymous.get(f"/review/{world.review_token}")
        found += problems("review page", review.text, ("custom", "loc"))
        login = await anonymous.get("/login", params={"next": "/" + hostile("next")})
        found += problems("login page", login.text)
        assert TEMPLATE in (await (await web_client(world.local_a)).get(f"/proposals/{p['a.slots']}")).text
        assert not found, "\n".join(found)

    async def test_in_the_network_previews_and_the_forms_shown_again(self, database, settings, client_as, web_client):
        world = await hostile_world(database, settings, client_as, web_client)
        found: list[str] = []
        hq = await web_client(world.hq_email)
        token = csrf_of((await hq.get(f"/campaigns/{world.campaign_id}")).text)
        preview = await hq.post(f"/campaigns/{world.campaign_id}/posts/preview", headers={"HX-Request": "true"}, data={
            "csrf_token": token, "body": "Bonjour {city} " + hostile("preview") + " " + TEMPLATE,
            "networks": ["facebook", "instagram", "x", "linkedin", "google_business"],
            "image_headline": hostile("imgtext")})
        assert preview.status_code == 200, preview.text
        found += problems("post preview", preview.text, ("preview", "city"))
        # A location typing the banned word gets the finding, whose suggestion is HQ's (hostile) replacement.
        local = await web_client(world.local_a)
        token = csrf_of((await local.get(f"/proposals/{world.proposals['a.free']}")).text)
        draft = await local.post(f"/proposals/{world.proposals['a.free']}/preview", headers={"HX-Request": "true"},
                                 data={"csrf_token": token, "text_facebook": "Vélo gratuit " + hostile("draft")})
        assert draft.status_code == 200, draft.text
        found += problems("proposal preview", draft.text, ("draft",))
        assert "alert(repl)" in draft.text
        # A form sent back with an error shows what was typed, escaped.
        refused = await hq.post("/campaigns", data={"csrf_token": token_of(await hq.get("/campaigns")),
                                                    "name": hostile("form"), "decision_deadline": "not a date"})
        assert refused.status_code == 422
        found += problems("campaign form shown again", refused.text, ("form",))
        assert not found, "\n".join(found)

    async def test_in_the_calendar_feed_text_stays_text(self, database, settings, client_as, web_client):
        world = await hostile_world(database, settings, client_as, web_client)
        feed = await (await web_client()).get(world.feed_url.replace(settings.public_base_url, ""))
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
        lines = feed.text.replace("\r\n ", "").split("\r\n")  # unfolded
        # The line break of the post's text is escaped inside its field: no line of the feed was injected.
        assert not any(line.startswith("SUMMARY:injected") for line in lines)
        assert sum(line == "BEGIN:VEVENT" for line in lines) == sum(line == "END:VEVENT" for line in lines) >= 1
        assert "{{7*7}}" in feed.text.replace("\r\n ", "")


def token_of(page) -> str:
    return csrf_of(page.text)


class TestEmails:
    async def test_the_digests_escape_html_and_keep_plain_text_as_written(
            self, database, settings, mail_settings, smtp_server, client_as, web_client):
        world = await hostile_world(database, settings, client_as, web_client)
        now = paris_deadline() - timedelta(hours=1)  # 10:00 in Paris: the 4 h reminders are due
        async with database.session() as session:
            assert await notifications.record_reminders(session, mail_settings, now) > 0
        counts = await notifications.send_digests(database, mail_settings, now)
        assert counts["sent"] >= 2 and counts["failed"] == 0
        _, _, inbox = smtp_server
        by_recipient = {message["To"]: message for message in inbox.messages}
        found: list[str] = []
        # Location C is reminded of its pending posts (an excerpt of HQ's text); HQ reads A's comment.
        for email, shown in ((world.local_c, ("slotdef",)), (world.hq_email, ("loc", "comment"))):
            message = by_recipient[email]
            found += problems(f"digest to {email} (HTML)", html_of(message), shown)
            plain = text_of(message)
            for tag in shown:  # plain text is not HTML: the text as written, neither escaped nor run
                if f"<script>alert({tag})</script>" not in plain:
                    found.append(f"digest to {email} (text): {tag} is not there as written")
            if "&lt;" in plain:
                found.append(f"digest to {email} (text): escaped as if it were HTML")
        assert not found, "\n".join(found)


class TestCsvExports:
    async def test_no_cell_of_any_export_starts_a_formula(self, database, settings, client_as, web_client):
        world = await hostile_world(database, settings, client_as, web_client)
        client = await web_client(world.hq_email)
        exports: set[str] = set()
        for page in (f"/campaigns/{world.campaign_id}", "/network/stats", f"/locations/{world.location_b}/stats"):
            html = (await client.get(page)).text
            exports |= set(re.findall(r'href="(/[^"]+\.csv[^"]*)"', html))
        assert len(exports) >= 8, exports
        cells: list[str] = []
        for url in sorted(exports):
            answer = await client.get(url.replace("&amp;", "&"))
            assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv"), url
            for row in csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))):
                cells += row
        assert [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")] == []
        # The names, region and tag are there, as text a spreadsheet shows instead of running.
        assert "'" + FORMULAS["name"] in cells and "'@SUM(A1:A9)" in cells
        assert "'" + FORMULAS["region"] in cells
