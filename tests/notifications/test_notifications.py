"""Reminders, escalations and the daily digest, mailed through a real SMTP server on loopback."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from hub.accounts import service as accounts
from hub.accounts.models import User
from hub.db import utcnow
from hub.locations.schemas import LocationCreate
from hub.locations.service import create_location
from hub.i18n import FRENCH, format_datetime
from hub.notifications import service as notifications
from hub.notifications.models import Digest, Notification
from hub.proposals.models import DistributionChunk, Proposal
from hub.proposals.service import apply_deadlines, fan_out_chunk
from hub.templating import TEMPLATES
from tests.factories import PASSWORD, make_network
from tests.notifications.conftest import free_port

PARIS = ZoneInfo("Europe/Paris")


def paris_deadline() -> datetime:
    """A deadline at 11:00 Paris time, two to three days ahead (the API wants it in the future)."""
    day = (utcnow() + timedelta(days=2)).astimezone(PARIS).date()
    return datetime(day.year, day.month, day.day, 11, 0, tzinfo=PARIS)


async def send_post(database, client_as, network, deadline: datetime, body: str = "Hi {city}",
                    location_ids: list[str] | None = None) -> None:
    """A campaign with a decision deadline, one post, fanned out to the network's locations."""
    hq = await client_as(network.hq_email, PASSWORD)
    campaign = (await hq.post("/api/v1/campaigns", json={
        "name": body, "approval_policy": "approval_required", "decision_deadline": deadline.isoformat()})).json()
    post = (await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts",
                          json={"body": body, "networks": ["facebook"]})).json()
    target = {"location_ids": location_ids} if location_ids else {}
    assert (await hq.post(f"/api/v1/posts/{post['id']}/distribute", json=target)).status_code == 202
    async with database.session() as session:
        chunk_ids = list(await session.scalars(select(DistributionChunk.id).where(DistributionChunk.status == "pending")))
    for chunk_id in chunk_ids:
        async with database.session() as session:
            await fan_out_chunk(session, chunk_id)


async def all_notifications(database, kind: str | None = None) -> list[Notification]:
    async with database.session() as session:
        query = select(Notification).order_by(Notification.dedupe_key)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(await session.scalars(query))


async def user_id(database, email: str) -> str:
    async with database.session() as session:
        return await session.scalar(select(User.id).where(User.email == email))


async def add_regional_manager(database, brand_id: str, email: str, regions: list[str]) -> str:
    async with database.session() as session:
        user = await accounts.create_user(session, email=email, password=PASSWORD)
        await accounts.add_membership(session, user, brand_id, "regional_manager", regions=regions)
        return user.id


async def remind(database, settings, now: datetime) -> int:
    async with database.session() as session:
        return await notifications.record_reminders(session, settings, now)


async def escalate(database, now: datetime) -> int:
    async with database.session() as session:
        return await notifications.record_escalations(session, now)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


class TestReminders:
    async def test_reminders_at_48h_and_4h_are_recorded_once_each(self, database, settings, mail_settings, client_as):
        network = await make_network(database, settings, locations=2, networks=("facebook",))
        deadline = paris_deadline()
        await send_post(database, client_as, network, deadline)

        assert await remind(database, mail_settings, deadline - timedelta(hours=49)) == 0
        assert await remind(database, mail_settings, deadline - timedelta(hours=47)) == 2
        assert await remind(database, mail_settings, deadline - timedelta(hours=46)) == 0  # the job runs again
        assert await remind(database, mail_settings, deadline - timedelta(hours=3)) == 2
        assert await remind(database, mail_settings, deadline - timedelta(hours=2)) == 0
        assert await remind(database, mail_settings, deadline + timedelta(minutes=1)) == 0  # too late to remind

        reminders = await all_notifications(database, "reminder")
        by_user = {}
        for reminder in reminders:
            by_user.setdefault(reminder.user_id, []).append(reminder.payload["offset"])
        local_ids = {await user_id(database, email) for email in network.local_emails.values()}
        assert set(by_user) == local_ids
        assert all(sorted(offsets) == ["48h", "4h"] for offsets in by_user.values())
        # Each local manager is reminded of their own location's proposal only.
        async with database.session() as session:
            locations = dict((await session.execute(select(Proposal.id, Proposal.location_id))).all())
        for reminder in reminders:
            email = network.local_emails[locations[reminder.proposal_id]]
            assert reminder.user_id == await user_id(database, email)

    async def test_a_proposal_arriving_late_gets_only_the_closest_reminder(self, database, settings, mail_settings,
                                                                          client_as):
        network = await make_network(database, settings, locations=1, networks=("facebook",))
        deadline = paris_deadline()
        await send_post(database, client_as, network, deadline)
        assert await remind(database, mail_settings, deadline - timedelta(hours=3)) == 1
        assert await remind(database, mail_settings, deadline - timedelta(hours=2)) == 0
        assert [n.payload["offset"] for n in await all_notifications(database, "reminder")] == ["4h"]

    async def test_decided_proposals_are_not_reminded(self, database, settings, mail_settings, client_as):
        network = await make_network(database, settings, locations=1, networks=("facebook",))
        deadline = paris_deadline()
        await send_post(database, client_as, network, deadline)
        local = await client_as(network.local_emails[network.locations[0].id], PASSWORD)
        [proposal] = (await local.get("/api/v1/proposals")).json()
        assert (await local.post(f"/api/v1/proposals/{proposal['id']}/approve")).status_code == 200
        assert await remind(database, mail_settings, deadline - timedelta(hours=3)) == 0


class TestEscalation:
    async def test_unanswered_proposals_escalate_to_their_regional_manager_only(self, database, settings, client_as):
        # Locations 0 and 2 are in the south, 1 in the north (tests/factories.py).
        network = await make_network(database, settings, locations=3, networks=("facebook",))
        south = await add_regional_manager(database, network.brand_id, "south@velo.test", ["south"])
        north = await add_regional_manager(database, network.brand_id, "north@velo.test", ["north"])
        east = await add_regional_manager(database, network.brand_id, "east@velo.test", ["east"])
        deadline = paris_deadline()
        await send_post(database, client_as, network, deadline)
        answered = network.locations[2]
        local = await client_as(network.local_emails[answered.id], PASSWORD)
        [proposal] = (await local.get("/api/v1/proposals")).json()
        assert (await local.post(f"/api/v1/proposals/{proposal['id']}/approve")).status_code == 200

        assert await escalate(database, deadline - timedelta(minutes=1)) == 0  # not late yet
        async with database.session() as session:
            await apply_deadlines(session, deadline)  # the unanswered ones expire
        assert await escalate(database, deadline + timedelta(minutes=1)) == 2
        assert await escalate(database, deadline + timedelta(minutes=2)) == 0  # the job runs again

        async with database.session() as session:
            location_of = dict((await session.execute(select(Proposal.id, Proposal.location_id))).all())
        escalated = {(n.user_id, location_of[n.proposal_id]) for n in await all_notifications(database, "escalation")}
        assert escalated == {(south, network.locations[0].id), (north, network.locations[1].id)}
        assert east not in {user for user, _ in escalated}


class TestDigest:
    async def _reminded_network(self, database, settings, mail_settings, client_as, *, posts: int = 2):
        """A two-location network with `posts` posts whose 4 h reminders are recorded (09:00 Paris)."""
        network = await make_network(database, settings, locations=2, networks=("facebook",))
        deadline = paris_deadline()
        for index in range(posts):
            await send_post(database, client_as, network, deadline, body=f"Spring offer {index} in {{city}}")
        now = deadline - timedelta(hours=2)
        assert await remind(database, mail_settings, now) == 2 * posts
        return network, now

    async def test_one_digest_per_user_in_their_language_with_the_inbox_link(
            self, database, settings, mail_settings, smtp_server, client_as):
        network, now = await self._reminded_network(database, settings, mail_settings, client_as)
        _, _, inbox = smtp_server
        french_email = network.local_emails[network.locations[0].id]
        english_email = network.local_emails[network.locations[1].id]
        async with database.session() as session:
            await session.execute(update(User).where(User.email == english_email).values(ui_language="en"))

        counts = await notifications.send_digests(database, mail_settings, now)
        assert counts == {"sent": 2, "empty": 0, "failed": 0}
        assert len(inbox.messages) == 2

        [french] = inbox.to(french_email)
        assert french["Subject"] == FRENCH["Pieuvre: {count} item(s) need your attention"].format(count=4)
        assert french["From"] == mail_settings.mail_from
        for body in (text_of(french), html_of(french)):
            assert "http://testserver/inbox" in body
            assert "Rappels" in body and "Ouvrir ma boîte de réception" in body
            assert "Spring offer 0" in body and "Spring offer 1" in body
            assert "Nouvelles propositions en attente dans votre boîte de réception : 2" in body
            # The deadline in the user's language and time zone (Paris: 11:00 local), e.g. "28 nov. 2026, 11:00 CET".
            assert f"{format_datetime(now + timedelta(hours=2), 'fr', 'Europe/Paris')} CE" in body
            assert ", 11:00 CE" in body
        assert 'href="http://testserver/inbox"' in html_of(french)

        [english] = inbox.to(english_email)
        assert english["Subject"] == "Pieuvre: 4 item(s) need your attention"
        for body in (text_of(english), html_of(english)):
            assert "http://testserver/inbox" in body
            assert "Reminders: decisions due soon" in body and "Open my inbox" in body
            assert "New proposals waiting in your inbox: 2" in body
            assert f"{format_datetime(now + timedelta(hours=2), 'en', 'Europe/Paris')} CE" in body
            assert "Rappels" not in body

        # Everything told is marked sent; a second run the same day mails nobody.
        assert all(n.sent_at is not None for n in await all_notifications(database))
        assert await notifications.send_digests(database, mail_settings, now + timedelta(minutes=15)) == \
            {"sent": 0, "empty": 0, "failed": 0}
        assert len(inbox.messages) == 2

    async def test_nothing_goes_out_before_the_local_digest_hour(self, database, settings, mail_settings,
                                                                 smtp_server, client_as):
        network = await make_network(database, settings, locations=1, networks=("facebook",))
        deadline = paris_deadline()
        await send_post(database, client_as, network, deadline)
        seven_paris = deadline - timedelta(hours=4)  # 07:00 in Paris, the reminder window has opened
        assert await remind(database, mail_settings, seven_paris) == 1
        _, _, inbox = smtp_server
        assert await notifications.send_digests(database, mail_settings, seven_paris) == \
            {"sent": 0, "empty": 0, "failed": 0}
        assert inbox.messages == []
        assert (await notifications.send_digests(database, mail_settings, seven_paris + timedelta(hours=1)))["sent"] == 1
        assert len(inbox.messages) == 1

    async def test_no_smtp_host_sends_nothing_and_keeps_notifications(self, database, settings, mail_settings,
                                                                      smtp_server, client_as):
        _, now = await self._reminded_network(database, settings, mail_settings, client_as, posts=1)
        disabled = mail_settings.model_copy(update={"smtp_host": None})
        assert await notifications.send_digests(database, disabled, now) == {"sent": 0, "empty": 0, "failed": 0}
        _, _, inbox = smtp_server
        assert inbox.messages == []
        recorded = await all_notifications(database)
        assert len(recorded) == 2 and all(n.sent_at is None for n in recorded)

    async def test_a_failing_smtp_server_leaves_notifications_for_the_next_run(
            self, database, settings, mail_settings, smtp_server, client_as):
        _, now = await self._reminded_network(database, settings, mail_settings, client_as, posts=1)
        unreachable = mail_settings.model_copy(update={"smtp_port": free_port()})  # nothing listens there
        assert await notifications.send_digests(database, unreachable, now) == {"sent": 0, "empty": 0, "failed": 2}
        assert all(n.kind != "reminder" or n.sent_at is None for n in await all_notifications(database))
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(Digest)) == 0

        # The next run, with the server back, sends them.
        later = now + timedelta(minutes=15)
        assert await notifications.send_digests(database, mail_settings, later) == {"sent": 2, "empty": 0, "failed": 0}
        _, _, inbox = smtp_server
        assert len(inbox.messages) == 2
        assert all(n.sent_at is not None for n in await all_notifications(database))

    async def test_escalations_reach_the_regional_manager_by_mail(self, database, settings, mail_settings,
                                                                  smtp_server, client_as):
        network = await make_network(database, settings, locations=2, networks=("facebook",))
        await add_regional_manager(database, network.brand_id, "north@velo.test", ["north"])
        deadline = paris_deadline()
        await send_post(database, client_as, network, deadline)
        async with database.session() as session:
            await apply_deadlines(session, deadline)
        assert await escalate(database, deadline + timedelta(minutes=1)) == 1
        # The regional manager has no location: their region's first location gives the time zone.
        await notifications.send_digests(database, mail_settings, deadline + timedelta(minutes=1))
        _, _, inbox = smtp_server
        [mail] = inbox.to("north@velo.test")
        assert "Escalades" in text_of(mail) and network.locations[1].name in text_of(mail)
        assert "http://testserver/inbox" in html_of(mail)

    async def test_comments_on_the_users_proposals_are_in_the_digest(self, database, settings, mail_settings,
                                                                     smtp_server, client_as):
        from hub.comments.models import Comment

        network, now = await self._reminded_network(database, settings, mail_settings, client_as, posts=1)
        location = network.locations[0]
        async with database.session() as session:
            proposal_id = await session.scalar(select(Proposal.id).where(Proposal.location_id == location.id))
            hq_id = await session.scalar(select(User.id).where(User.email == network.hq_email))
            session.add(Comment(brand_id=network.brand_id, proposal_id=proposal_id, author_id=hq_id,
                                body="Pouvez-vous <b>ajouter</b> le téléphone ?"))
        await notifications.send_digests(database, mail_settings, now)
        _, _, inbox = smtp_server
        [mail] = inbox.to(network.local_emails[location.id])
        assert "Nouveaux commentaires" in text_of(mail)
        assert "Pouvez-vous <b>ajouter</b> le téléphone ?" in text_of(mail)
        # User text is escaped in the HTML part, never interpreted.
        assert "Pouvez-vous &lt;b&gt;ajouter&lt;/b&gt;" in html_of(mail)

    async def test_comments_by_a_location_manager_reach_hq_never_the_author(self, database, settings, mail_settings,
                                                                             smtp_server, client_as):
        from hub.comments.models import Comment

        network, now = await self._reminded_network(database, settings, mail_settings, client_as, posts=1)
        location = network.locations[0]
        local_email = network.local_emails[location.id]
        async with database.session() as session:
            editor = await accounts.create_user(session, email="editor@velo.test", password=PASSWORD)
            await accounts.add_membership(session, editor, network.brand_id, "hq_editor")
            editor_id = editor.id
            proposal_id = await session.scalar(select(Proposal.id).where(Proposal.location_id == location.id))
            hq_id = await session.scalar(select(User.id).where(User.email == network.hq_email))
            local_id = await session.scalar(select(User.id).where(User.email == local_email))
            by_local = Comment(brand_id=network.brand_id, proposal_id=proposal_id, author_id=local_id,
                               body="Le <b>téléphone</b> a changé.")
            by_hq = Comment(brand_id=network.brand_id, proposal_id=proposal_id, author_id=hq_id,
                            body="Merci, on corrige.")
            session.add_all([by_local, by_hq])
            await session.flush()
            local_comment, hq_comment = by_local.id, by_hq.id

        # HQ has no location: its digest hour is UTC's, reached by 11:00 in Paris.
        later = now + timedelta(hours=2)
        await notifications.send_digests(database, mail_settings, later)
        _, _, inbox = smtp_server
        for email in (network.hq_email, "editor@velo.test"):
            [mail] = inbox.to(email)
            assert "Nouveaux commentaires" in text_of(mail)
            assert "Le <b>téléphone</b> a changé." in text_of(mail)
            assert "Le &lt;b&gt;téléphone&lt;/b&gt; a changé." in html_of(mail)
            assert "Merci, on corrige." not in text_of(mail)  # HQ's comments go to the location only
            assert f"http://testserver/proposals/{proposal_id}" in text_of(mail)
        # The author is never told of their own comment; HQ's comment reaches the local manager.
        [local_mail] = inbox.to(local_email)
        assert "Le <b>téléphone</b> a changé." not in text_of(local_mail)
        assert "Merci, on corrige." in text_of(local_mail)
        assert inbox.to(network.local_emails[network.locations[1].id])  # reminders only
        assert all("téléphone" not in text_of(mail) for mail in inbox.to(network.local_emails[network.locations[1].id]))

        keys = {n.dedupe_key for n in await all_notifications(database, "comment")}
        assert keys == {f"comment:{local_comment}:{hq_id}", f"comment:{local_comment}:{editor_id}",
                        f"comment:{hq_comment}:{local_id}"}
        # A later run records nothing twice and mails nobody again.
        await notifications.send_digests(database, mail_settings, later + timedelta(minutes=15))
        assert len(await all_notifications(database, "comment")) == 3
        assert len(inbox.to(network.hq_email)) == 1


class TestTranslationsInTheDigest:
    """The translation notifications (hub/translations/service.py) each get a line and a link to the workspace."""

    async def _english_post(self, database, client_as, network, translations=None) -> str:
        """HQ writes a post in English and sends it to the network's French locations; fan-out run here."""
        hq = await client_as(network.hq_email, PASSWORD)
        campaign = (await hq.post("/api/v1/campaigns", json={"name": "Summer"})).json()
        r = await hq.post(f"/api/v1/campaigns/{campaign['id']}/posts", json={
            "body": "Hello {city}! Our summer bikes are here.", "networks": ["facebook"], "source_locale": "en",
            "translations": translations or {}})
        assert r.status_code == 201, r.text
        post_id = r.json()["id"]
        r = await hq.post(f"/api/v1/posts/{post_id}/distribute", json={})
        assert r.status_code == 202, r.text
        await self._fan_out(database)
        return post_id

    async def _fan_out(self, database) -> None:
        async with database.session() as session:
            chunk_ids = list(await session.scalars(select(DistributionChunk.id)
                                                   .where(DistributionChunk.status == "pending")))
        for chunk_id in chunk_ids:
            async with database.session() as session:
                await fan_out_chunk(session, chunk_id)

    def _tomorrow_at(self, hour: int) -> datetime:
        day = (utcnow() + timedelta(days=1)).date()
        return datetime(day.year, day.month, day.day, hour, 0, tzinfo=ZoneInfo("UTC"))

    async def test_a_post_waiting_for_a_translation_is_in_the_digest_with_its_workspace(
            self, database, settings, mail_settings, smtp_server, client_as):
        network = await make_network(database, settings, locations=2, networks=("facebook",))
        post_id = await self._english_post(database, client_as, network)
        # Nobody serves fr-FR as a distributor: HQ is told, once for the locale.
        [waiting] = await all_notifications(database, "needs_translation")
        assert waiting.user_id == await user_id(database, network.hq_email)

        # HQ has no location: its digest hour is UTC's.
        assert (await notifications.send_digests(database, mail_settings, self._tomorrow_at(9)))["sent"] >= 1
        _, _, inbox = smtp_server
        [mail] = inbox.to(network.hq_email)
        assert mail["Subject"] == FRENCH["Pieuvre: {count} item(s) need your attention"].format(count=1)
        link = f"http://testserver/posts/{post_id}/translations/fr-FR"
        for body in (text_of(mail), html_of(mail)):
            assert FRENCH["Posts waiting for your translation"] in body
            assert FRENCH["{locale}: locations wait for this post in their language"].format(locale="fr-FR") in body
            assert link in body
        assert f'href="{link}"' in html_of(mail) and ">Traduire</a>" in html_of(mail)
        assert all(n.sent_at is not None for n in await all_notifications(database, "needs_translation"))

    async def test_a_stale_translation_is_in_the_distributors_digest_with_its_revisions(
            self, database, settings, mail_settings, smtp_server, client_as):
        network = await make_network(database, settings, locations=1, networks=("facebook",))
        async with database.session() as session:
            distributor = await create_location(session, network.brand_id, LocationCreate(
                code="DIST-FR", name="Distributeur France", kind="distributor", country="FR", locale="fr-FR",
                timezone="Europe/Paris", variables={"city": "Lyon"}))
            user = await accounts.create_user(session, email="dist@velo.test", password=PASSWORD)
            await accounts.add_membership(session, user, network.brand_id, "local_manager", [distributor.id])
            await session.execute(update(User).where(User.id == user.id).values(ui_language="en"))
        post_id = await self._english_post(database, client_as, network, translations={
            "fr-FR": {"body": "Bonjour {city} ! Nos vélos d'été sont arrivés."}})
        hq = await client_as(network.hq_email, PASSWORD)
        r = await hq.put(f"/api/v1/posts/{post_id}", json={
            "body": "Hello {city}! Our summer bikes are in the shop.", "networks": ["facebook"]})
        assert r.status_code == 200, r.text
        await self._fan_out(database)
        [stale] = await all_notifications(database, "translation_stale")
        assert stale.user_id == await user_id(database, "dist@velo.test")

        # The distributor's clock is Paris: 09:00 UTC is past its 08:00 digest hour.
        await notifications.send_digests(database, mail_settings, self._tomorrow_at(9))
        _, _, inbox = smtp_server
        [mail] = inbox.to("dist@velo.test")
        link = f"http://testserver/posts/{post_id}/translations/fr-FR"
        for body in (text_of(mail), html_of(mail)):
            assert "Translations to update: HQ changed the source" in body
            assert "fr-FR: made from revision 1, the source is now at revision 2" in body
            assert link in body
        assert f'href="{link}"' in html_of(mail)
        # Counted with the distributor's own proposal of the new revision: 1 new proposal + 1 stale translation.
        assert "New proposals waiting in your inbox: 1" in text_of(mail)
        assert mail["Subject"] == "Pieuvre: 2 item(s) need your attention"


class TestDigestHour:
    def test_the_digest_is_due_from_the_local_hour_on(self):
        utc_seven = datetime(2026, 1, 15, 7, 0, tzinfo=ZoneInfo("UTC"))  # 08:00 in Paris (winter)
        assert notifications.is_digest_due(utc_seven, PARIS, 8)
        assert not notifications.is_digest_due(utc_seven - timedelta(minutes=1), PARIS, 8)
        assert not notifications.is_digest_due(utc_seven, ZoneInfo("UTC"), 8)
        assert notifications.digest_language(None) == "fr" and notifications.digest_language("en") == "en"


def test_every_string_of_the_plain_text_digest_has_french():
    # tests/unit/test_translations.py scans the .html templates only.
    pattern = re.compile(r"""_\(\s*"((?:[^"\\]|\\.)*)\"""")
    strings = set(pattern.findall((TEMPLATES / "emails" / "digest.txt").read_text()))
    assert strings and strings <= set(FRENCH)


class TestWorkerJobs:
    async def test_the_cron_jobs_are_registered_and_run(self, database, settings, mail_settings, smtp_server,
                                                        client_as):
        from tests.workers.helpers import worker_context
        from workers import notifications as jobs
        from workers.settings import WorkerSettings

        names = {job.name for job in WorkerSettings.cron_jobs}
        assert {"notifications.remind", "notifications.escalate", "notifications.digest"} <= names
        network = await make_network(database, settings, locations=1, networks=("facebook",))
        # A deadline within 4 h of the real clock, so the real jobs (which read the clock) have work.
        deadline = utcnow() + timedelta(hours=3)
        await send_post(database, client_as, network, deadline)
        ctx = worker_context(database, mail_settings.model_copy(update={"digest_hour": 0}))
        assert await jobs.remind(ctx) == 1
        assert await jobs.remind(ctx) == 0
        assert await jobs.escalate(ctx) == 0
        assert (await jobs.digest(ctx))["sent"] == 1
        _, _, inbox = smtp_server
        assert len(inbox.to(network.local_emails[network.locations[0].id])) == 1


class TestMailer:
    # The loopback server takes AUTH without TLS on purpose (no certificate in tests).
    @pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
    async def test_credentials_are_used_and_wrong_ones_fail(self, settings, smtp_server_with_login):
        from hub.notifications import mailer

        host, port, inbox, logins = smtp_server_with_login
        mail = mailer.Mail(to="someone@velo.test", subject="Test", text="plain", html="<p>html</p>")
        good = settings.model_copy(update={"smtp_host": host, "smtp_port": port, "smtp_username": "pieuvre",
                                           "smtp_password": "s3cret"})
        await mailer.send(good, mail)
        assert logins == ["pieuvre"] and len(inbox.messages) == 1
        assert inbox.messages[0]["Subject"] == "Test"

        for wrong in ({"smtp_password": "nope"}, {"smtp_username": None}):
            with pytest.raises(mailer.MailError):
                await mailer.send(good.model_copy(update=wrong), mail)
        assert len(inbox.messages) == 1
