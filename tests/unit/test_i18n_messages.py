"""Stored English messages (a publication's error, an account's status detail) shown in French."""

from __future__ import annotations

import html

from sqlalchemy import select

from hub.i18n import FRENCH, Translator, translate_message
from hub.publishing import service as publishing
from hub.publishing.connectors.base import PublishRefused, RateLimited
from hub.publishing.models import Publication, SocialAccount
from hub.publishing.service import connect_account
from tests.connectors.conftest import pointed_at
from tests.factories import PASSWORD, make_network
from tests.standins.facebook import FacebookStandIn
from tests.web.conftest import sent_campaign, web_client  # noqa: F401  (the fixture)

REFUSED = "{network} refused: {detail}. Fix what it says, then reschedule."


class TestTranslateMessage:
    def test_a_message_that_is_a_msgid_gets_its_french(self):
        english = "YouTube asks to slow down."
        assert translate_message(english, "fr") == FRENCH[english] == "YouTube demande de ralentir."

    def test_a_filled_in_message_gets_the_french_filled_with_the_same_values(self):
        error = RateLimited("X takes images up to 5 MB; this one is {size} MB: use a smaller image.", 0, size="7.2")
        assert translate_message(str(error), "fr") == "X accepte les images jusqu'à 5 Mo ; celle-ci fait 7.2 Mo : " \
                                                      "utilisez une image plus légère."

    def test_the_network_s_words_keep_their_own_punctuation(self):
        # The detail holds ". ", ": " and parentheses, like the template around it.
        detail = "(#100) Invalid parameter: the url (https://example.test/a.jpg) is not an image. Retry"
        error = PublishRefused(REFUSED, network="Instagram", detail=detail)
        assert translate_message(str(error), "fr") == (
            f"Instagram a refusé : {detail}. Corrigez ce qui est indiqué, puis reprogrammez.")

    def test_a_message_inside_a_message_is_translated_too(self):
        inner = str(PublishRefused("{network} failed with HTTP {status}; retrying later.", network="Facebook",
                                   status=503))
        outer = "Gave up after {attempt} attempts: {error}".format(attempt=5, error=inner)
        assert translate_message(outer, "fr") == \
            "Abandon après 5 tentatives : Facebook a échoué (HTTP 503) ; nouvel essai plus tard."

    def test_the_most_specific_message_wins(self):
        # Both "Gave up after {attempt} attempts: {error}" and "{network} did not answer ({detail}); trying
        # again later." fit the whole text (the latter with network="Gave up after 3 attempts: Facebook").
        text = "Gave up after 3 attempts: Facebook did not answer (ReadTimeout); trying again later."
        assert translate_message(text, "fr") == \
            "Abandon après 3 tentatives : Facebook n'a pas répondu (ReadTimeout) ; nouvel essai plus tard."

    def test_unknown_text_stays_english_and_english_stays_as_it_is(self):
        assert translate_message("Something only the network says.", "fr") == "Something only the network says."
        known = str(PublishRefused(REFUSED, network="Facebook", detail="Bad"))
        assert translate_message(known, "en") == known
        assert translate_message("", "fr") == ""
        assert Translator("fr").message(None) == ""

    def test_the_template_helper_translates_like_the_function(self):
        text = str(PublishRefused(REFUSED, network="Facebook", detail="Bad"))
        assert Translator("fr").message(text) == translate_message(text, "fr") != text


async def test_a_real_connector_error_is_shown_in_french_on_the_proposal_and_the_octopus_map(
        database, settings, client_as, web_client):  # noqa: F811
    with FacebookStandIn() as standin, pointed_at(settings, facebook_api_url=standin.url):
        network = await make_network(database, settings, locations=1, networks=())
        [location] = network.locations
        async with database.session() as session:
            from hub.locations.models import Location

            await connect_account(session, settings, await session.get(Location, location.id), network="facebook",
                                  external_id="1001", access_token=standin.add_page("1001").value)
        ids = await sent_campaign(database, settings, network, networks=("facebook",))
        local = await client_as(network.local_emails[location.id], PASSWORD)
        assert (await local.post(f"/api/v1/proposals/{ids[location.id]}/approve", json={})).status_code == 200
        async with database.session() as session:
            [publication] = await session.scalars(select(Publication))
        standin.inject("expired_token")
        assert await publishing.publish(database, settings, publication.id) == "failed"
    english = "Facebook access has expired or is no longer valid: reconnect the account."
    async with database.session() as session:
        assert (await session.get(Publication, publication.id)).error == english
        assert (await session.scalar(select(SocialAccount))).status_detail == english
    french = "L'accès à Facebook a expiré ou n'est plus valide : reconnectez le compte."

    page = await (await web_client(network.local_emails[location.id], language="fr")).get(f"/proposals/{ids[location.id]}")
    assert page.status_code == 200
    assert french in html.unescape(page.text) and english not in html.unescape(page.text)

    octopus = await (await web_client(network.hq_email, language="fr")).get("/network")
    assert octopus.status_code == 200
    assert french in html.unescape(octopus.text) and english not in html.unescape(octopus.text)

    english_page = await (await web_client(network.local_emails[location.id], language="en")).get(
        f"/proposals/{ids[location.id]}")
    assert english in html.unescape(english_page.text)
