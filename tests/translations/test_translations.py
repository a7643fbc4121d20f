"""Translations end to end through the API: fan-out along the fallback chain, needs_translation,
approval releasing the waiting proposals, stale translations after HQ's revision, permissions,
validation, and the workspace page."""

from __future__ import annotations

from sqlalchemy import select

from hub.notifications.models import Notification
from hub.translations.models import Translation, TranslationMemory
from tests.translations.conftest import DUTCH, GERMAN, SOURCE, World, proposals_by_code, run_fan_out
from tests.web.conftest import csrf_of
from tests.factories import PASSWORD

NETWORKS = ["facebook", "instagram"]


async def _sent_post(client, database, *, translations=None) -> str:
    """HQ creates a campaign and a post (with these translations) and sends it everywhere; fan-out run here."""
    campaign = (await client.post("/api/v1/campaigns", json={"name": "Printemps"})).json()
    r = await client.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": SOURCE, "networks": NETWORKS, "translations": translations or {}})
    assert r.status_code == 201, r.text
    post_id = r.json()["id"]
    r = await client.post(f"/api/v1/posts/{post_id}/distribute", json={})
    assert r.status_code == 202, r.text
    await run_fan_out(database, r.json()["distribution_id"])
    return post_id


async def _notifications(database, kind: str) -> list[Notification]:
    async with database.session() as session:
        return list(await session.scalars(select(Notification).where(Notification.kind == kind)
                                          .order_by(Notification.dedupe_key)))


class TestFanOut:
    async def test_each_location_gets_its_language_or_waits_for_a_translation(self, world: World, client_as,
                                                                               database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database, translations={"de-DE": {"body": GERMAN}})
        found = await proposals_by_code(database, world, post_id)

        statuses = {code: row.status for code, row in found.items()}
        assert sorted(code for code, status in statuses.items() if status == "needs_translation") == ["dubai", "gent"]
        assert sum(status == "pending" for status in statuses.values()) == 6
        # Nothing in French for the Dutch and Arabic readers: no text at all until translated.
        for code in ("gent", "dubai"):
            assert found[code].texts == {} and found[code].hq_texts == {} and found[code].locale is None
            assert found[code].blocked and found[code].findings[0]["rule"] == "translation.missing"
        assert found["gent"].fallback == ["nl-BE", "nl"]
        # German for Berlin; Zurich (de-CH) falls back to de-DE along its chain.
        assert found["berlin"].texts["facebook"] == "Hallo Berlin! Unsere Frühlingsräder sind da."
        assert (found["zurich"].locale, found["zurich"].fallback) == ("de-DE", ["de-CH", "de", "de-DE"])
        assert any(item["rule"] == "translation.fallback" for item in found["zurich"].findings)
        # Belgian French has no translation: HQ's own French, said so.
        assert (found["bruxelles"].locale, found["bruxelles"].fallback) == ("fr-FR", ["fr-BE", "fr", "fr-FR"])
        assert found["paris"].locale == "fr-FR" and found["paris"].fallback == ["fr-FR"]

        r = await hq.get(f"/api/v1/proposals/{found['zurich'].id}")
        assert (r.json()["locale"], r.json()["fallback"]) == ("de-DE", ["de-CH", "de", "de-DE"])
        # A proposal waiting for its translation never goes out: it cannot be approved, alone or in bulk.
        local = await client_as(world.emails["dist-be"], PASSWORD)
        assert (await local.post(f"/api/v1/proposals/{found['gent'].id}/approve")).status_code in (409, 422)
        r = await local.post("/api/v1/proposals/bulk-approve", json={"ids": [found["gent"].id]})
        assert r.json()["approved"] == [] and (await proposals_by_code(database, world, post_id))["gent"].status == \
            "needs_translation"

    async def test_the_distributor_serving_the_locale_is_told_else_hq(self, world: World, client_as, database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database)
        waiting = await _notifications(database, "needs_translation")
        by_locale = {}
        for row in waiting:
            by_locale.setdefault(row.payload["locale"], []).append(row.user_id)
            assert row.payload["url"] == f"/posts/{post_id}/translations/{row.payload['locale']}"
        async with database.session() as session:
            from hub.accounts.models import User

            emails = {user.id: user.email for user in await session.scalars(select(User))}
        assert {locale: sorted(emails[user] for user in users) for locale, users in by_locale.items()} == {
            "nl-BE": ["dist-be@velo.test"], "de-CH": ["hq@velo.test"], "de-DE": ["dist-de@velo.test"],
            "ar-AE": ["hq@velo.test"]}


class TestSourceLanguage:
    async def test_a_post_written_in_english_is_checked_in_english_when_it_is_sent(self, world: World, client_as,
                                                                                   database):
        hq = await client_as(world.hq_email, PASSWORD)
        kit = (await hq.get("/api/v1/brand-kit")).json()
        # French texts must say "Forfait Lumière"; an English one keeps "Pass Lumière".
        kit["glossary"] = [{"term": "Pass Lumière",
                            "locale_rules": {"fr": {"mode": "translate", "translation": "Forfait Lumière"}}}]
        assert (await hq.put("/api/v1/brand-kit", json=kit)).status_code == 200
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "Spring"})).json()
        created = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": "Hello {city}! The Pass Lumière is back.", "networks": NETWORKS, "source_locale": "en-GB"})
        assert created.status_code == 201, created.text
        sent = await hq.post(f"/api/v1/posts/{created.json()['id']}/distribute", json={})
        assert sent.status_code == 202, sent.text


class TestApproval:
    async def test_approving_turns_waiting_proposals_into_pending_with_the_translation_once(
            self, world: World, client_as, database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database)
        distributor = await client_as(world.emails["dist-be"], PASSWORD)

        r = await distributor.put(f"/api/v1/posts/{post_id}/translations/nl-BE",
                                  json={"texts": {"body": DUTCH}, "status": "draft"})
        assert r.status_code == 200, r.text
        assert r.json()["distribution_id"] is None  # a draft serves nobody
        assert (await proposals_by_code(database, world, post_id))["gent"].status == "needs_translation"

        r = await distributor.put(f"/api/v1/posts/{post_id}/translations/nl-BE",
                                  json={"texts": {}, "status": "approved"})
        assert r.status_code == 200, r.text
        assert (r.json()["author"], r.json()["source_revision"]) == ("distributor", 1)
        distribution_id = r.json()["distribution_id"]
        await run_fan_out(database, distribution_id, times=2)
        gent = (await proposals_by_code(database, world, post_id))["gent"]
        assert gent.status == "pending" and gent.locale == "nl-BE" and not gent.blocked
        assert gent.texts == {"facebook": "Hallo Gent! Onze lentefietsen zijn er.",
                              "instagram": "Hallo Gent! Onze lentefietsen zijn er."}
        version = gent.version

        # Approving again (a rerun): nothing changes.
        r = await distributor.put(f"/api/v1/posts/{post_id}/translations/nl-BE",
                                  json={"texts": {}, "status": "approved"})
        await run_fan_out(database, r.json()["distribution_id"], times=2)
        found = await proposals_by_code(database, world, post_id)
        assert found["gent"].version == version and found["gent"].texts == gent.texts
        assert sorted(code for code, row in found.items() if row.status == "needs_translation") == [
            "berlin", "dist-de", "dubai", "zurich"]
        async with database.session() as session:
            memory = list(await session.scalars(select(TranslationMemory)))
        assert [(row.source_locale, row.target_locale, row.source_text, row.target_text) for row in memory] == [
            ("fr-FR", "nl-BE", SOURCE, DUTCH)]

    async def test_a_draft_cannot_replace_an_approved_translation(self, world: World, client_as, database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database, translations={"de-DE": {"body": GERMAN}})
        r = await hq.put(f"/api/v1/posts/{post_id}/translations/de-DE", json={"texts": {"body": "Hallo"}})
        assert r.status_code == 409


class TestStale:
    async def test_a_new_revision_flags_translations_stale_with_the_source_diff(self, world: World, client_as,
                                                                                database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database, translations={"de-DE": {"body": GERMAN}})
        r = await hq.put(f"/api/v1/posts/{post_id}", json={
            "body": SOURCE.replace("printemps", "été"), "networks": NETWORKS})
        assert r.status_code == 200, r.text
        await run_fan_out(database, r.json()["distribution_id"])

        listed = (await hq.get(f"/api/v1/posts/{post_id}/translations")).json()
        german = next(item for item in listed["translations"] if item["locale"] == "de-DE")
        assert german["stale"] and german["state"] == "stale" and german["source_revision"] == 1
        assert ["delete", "printemps"] in german["source_diff"]["facebook"]
        assert ["insert", "été"] in german["source_diff"]["facebook"]
        stale = await _notifications(database, "translation_stale")
        assert [row.payload["locale"] for row in stale] == ["de-DE"] and len(stale) == 1
        # Still approved content: Berlin's proposal of revision 2 is in German, with a warning.
        berlin = (await proposals_by_code(database, world, post_id))["berlin"]
        assert berlin.revision == 2 and berlin.texts["facebook"].startswith("Hallo Berlin!")
        assert any(item["rule"] == "translation.stale" for item in berlin.findings)

        distributor = await client_as(world.emails["dist-de"], PASSWORD)
        r = await distributor.put(f"/api/v1/posts/{post_id}/translations/de-DE", json={
            "texts": {"body": "Hallo {city}! Unsere Sommerräder sind da."}, "status": "approved"})
        assert r.status_code == 200, r.text
        assert (r.json()["stale"], r.json()["source_revision"], r.json()["source_diff"]) == (False, 2, {})
        await run_fan_out(database, r.json()["distribution_id"])
        berlin = (await proposals_by_code(database, world, post_id))["berlin"]
        assert berlin.texts["facebook"] == "Hallo Berlin! Unsere Sommerräder sind da." and berlin.status == "pending"

    async def test_a_revision_that_keeps_the_text_does_not_flag(self, world: World, client_as, database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database, translations={"de-DE": {"body": GERMAN}})
        r = await hq.put(f"/api/v1/posts/{post_id}", json={"body": SOURCE, "networks": NETWORKS,
                                                             "publish_at_local": "2026-12-01T10:00"})
        assert r.status_code == 200
        async with database.session() as session:
            assert not (await session.scalar(select(Translation))).stale


class TestPermissions:
    async def test_a_distributor_translates_only_the_locales_it_serves(self, world: World, client_as, database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database)
        distributor = await client_as(world.emails["dist-be"], PASSWORD)
        r = await distributor.put(f"/api/v1/posts/{post_id}/translations/de-DE", json={"texts": {"body": GERMAN}})
        assert r.status_code == 403 and "nl-BE" in r.json()["detail"]
        # A plain local manager sees the post (it reached Paris) but translates nothing.
        local = await client_as(world.emails["paris"], PASSWORD)
        r = await local.put(f"/api/v1/posts/{post_id}/translations/fr-BE", json={"texts": {"body": "Salut"}})
        assert r.status_code == 403

    async def test_a_post_that_never_reached_its_market_is_not_found(self, world: World, client_as, database):
        hq = await client_as(world.hq_email, PASSWORD)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "Hiver"})).json()
        post_id = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                                 json={"body": SOURCE, "networks": NETWORKS})).json()["id"]
        distributor = await client_as(world.emails["dist-be"], PASSWORD)
        r = await distributor.put(f"/api/v1/posts/{post_id}/translations/nl-BE", json={"texts": {"body": DUTCH}})
        assert r.status_code == 404
        assert (await distributor.get(f"/api/v1/posts/{post_id}/translations")).status_code == 404


class TestValidation:
    async def test_bad_locales_and_texts_are_refused_with_what_to_fix(self, world: World, client_as, database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database)
        url = f"/api/v1/posts/{post_id}/translations"
        r = await hq.put(f"{url}/nl_be", json={"texts": {"body": DUTCH}})
        assert r.status_code == 422 and "BCP 47" in r.json()["detail"]
        r = await hq.put(f"{url}/es-ES", json={"texts": {"body": "Hola"}})
        assert r.status_code == 422 and "nl-BE" in r.json()["detail"]
        r = await hq.put(f"{url}/fr-FR", json={"texts": {"body": "Bonjour"}})
        assert r.status_code == 422
        r = await hq.put(f"{url}/nl-BE", json={"texts": {"variants": {"facebook": DUTCH}}})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "texts.body"
        r = await hq.put(f"{url}/nl-BE", json={"texts": {"body": DUTCH, "variants": {"x": "Hoi"}}})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "texts.variants"
        # The linter runs in the translation's locale: seven hashtags are too many on Instagram.
        r = await hq.put(f"{url}/nl-BE", json={"texts": {"body": DUTCH + " #a #b #c #d #e #f #g"}, "status": "approved"})
        assert r.status_code == 422
        assert {(item["rule"], item["locale"]) for item in r.json()["errors"]} == {("network.too_many_hashtags", "nl-BE")}
        async with database.session() as session:
            assert await session.scalar(select(Translation)) is None

    async def test_translations_on_post_creation_are_checked(self, world: World, client_as):
        hq = await client_as(world.hq_email, PASSWORD)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "Printemps"})).json()
        r = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": SOURCE, "networks": NETWORKS, "translations": {"ja-JP": {"body": "こんにちは"}}})
        assert r.status_code == 422 and "ja-JP" in r.json()["detail"]
        r = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": SOURCE, "networks": NETWORKS, "translations": {"german": {"body": GERMAN}}})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "translations"


class TestPages:
    async def test_the_distributor_translates_in_the_workspace(self, world: World, client_as, web_client, database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database)
        browser = await web_client(world.emails["dist-be"])
        gent = (await proposals_by_code(database, world, post_id))["gent"]
        page = await browser.get(f"/proposals/{gent.id}")
        assert f'href="/posts/{post_id}/translations/nl-BE"' in page.text

        page = await browser.get(f"/posts/{post_id}/translations/nl-BE")
        assert page.status_code == 200
        assert "Nos vélos de printemps" in page.text and 'name="body"' in page.text
        token = csrf_of(page.text)
        r = await browser.post(f"/posts/{post_id}/translations/nl-BE/lint",
                               data={"csrf_token": token, "body": DUTCH + " #a #b #c #d #e #f #g"},
                               headers={"HX-Request": "true"})
        assert r.status_code == 200 and 'data-testid="check-instagram"' in r.text
        assert 'data-rule="network.too_many_hashtags"' in r.text

        r = await browser.post(f"/posts/{post_id}/translations/nl-BE",
                               data={"csrf_token": token, "body": "", "action": "approve"})
        assert r.status_code == 422 and 'data-testid="translation-errors"' in r.text
        r = await browser.post(f"/posts/{post_id}/translations/nl-BE",
                               data={"csrf_token": "forged", "body": DUTCH, "action": "approve"})
        assert r.status_code == 403
        r = await browser.post(f"/posts/{post_id}/translations/nl-BE",
                               data={"csrf_token": token, "body": DUTCH, "action": "approve"})
        assert r.status_code == 303
        page = await browser.get(r.headers["location"])
        assert 'data-testid="translation-notice"' in page.text
        async with database.session() as session:
            saved = await session.scalar(select(Translation))
        assert (saved.locale, saved.status, saved.body) == ("nl-BE", "approved", DUTCH)

    async def test_the_campaign_page_lists_each_needed_locale(self, world: World, client_as, web_client, database):
        hq = await client_as(world.hq_email, PASSWORD)
        post_id = await _sent_post(hq, database, translations={"de-DE": {"body": GERMAN}})
        browser = await web_client(world.hq_email)
        r = await browser.get(f"/posts/{post_id}/translations", headers={"HX-Request": "true"})
        assert r.status_code == 200
        states = dict(__import__("re").findall(r'data-testid="translation-([\w-]+)" data-state="(\w+)"', r.text))
        assert states == {"ar-AE": "missing", "de-CH": "missing", "de-DE": "approved", "fr-BE": "missing",
                          "nl-BE": "missing"}
