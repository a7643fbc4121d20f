"""The LinkedIn connector against the LinkedIn stand-in: the documented contract, and every fault."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from hub.publishing.connectors.base import (
    AccountBroken,
    OutcomeUnknown,
    OutgoingPost,
    PublishRefused,
    RateLimited,
    TokenSet,
    TransientBeforeSend,
)
from hub.publishing.connectors.linkedin import LinkedInConnector, little_text, seconds_to_utc_midnight
from tests.connectors.conftest import connected_account, pointed_at
from tests.standins.linkedin import LinkedInStandIn, rendered

ORGANIZATION = "2414183"
AUTHOR = f"urn:li:organization:{ORGANIZATION}"
SCOPES = {"w_organization_social", "r_organization_social", "rw_organization_admin"}
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def standin(settings):
    with LinkedInStandIn() as standin, pointed_at(
        settings, linkedin_api_url=standin.url, linkedin_oauth_url=standin.url, linkedin_version="202605",
        linkedin_client_id=standin.client_id, linkedin_client_secret=standin.client_secret,
    ):
        yield standin


async def _account(database, settings, standin, scopes=SCOPES, refresh=False):
    token = standin.issue_token(ORGANIZATION, scopes, expires_in=3600, refresh=refresh)
    if refresh:
        standin.refresh_expiry[token.refresh_token] = time.time() + 86400
    account = await connected_account(database, settings, "linkedin", ORGANIZATION, token.value,
                                      refresh_token=token.refresh_token)
    return account, token


def _post(text="Spring opening in Lyon", image=None, progress=None, saved=None) -> OutgoingPost:
    async def save(progress):
        if saved is not None:
            saved.append(progress)

    return OutgoingPost(publication_id="pub-1", network="linkedin", text=text, image=image,
                        progress=progress if progress is not None else {}, save_progress=save)


def _connector(database, settings) -> LinkedInConnector:
    return LinkedInConnector(database, settings)


class TestCreatePost:
    async def test_text_post_is_created_once_with_the_documented_body_and_headers(self, database, settings, standin):
        account, token = await _account(database, settings, standin)
        published = await _connector(database, settings).create_post(account, _post())
        [stored] = standin.all_posts()
        assert published.external_id == stored.id and stored.id.startswith("urn:li:share:")
        assert published.url == f"https://www.linkedin.com/feed/update/{stored.id}/"
        assert (stored.account, stored.text) == (ORGANIZATION, "Spring opening in Lyon")
        [sent] = [r for r in standin.requests if r["path"] == "/rest/posts" and r["method"] == "POST"]
        assert sent["json"] == {
            "author": AUTHOR, "commentary": "Spring opening in Lyon", "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False,
        }
        assert sent["headers"]["authorization"] == f"Bearer {token.value}"
        assert sent["headers"]["linkedin-version"] == "202605"
        assert sent["headers"]["x-restli-protocol-version"] == "2.0.0"

    async def test_every_reserved_character_arrives_whole(self, database, settings, standin):
        text = r"Back\slash | {brace} @team [box] (paren) <angle> #promo *bold* _under_ ~tilde~ end"
        # Sent raw, LinkedIn would cut the text at the first reserved character.
        assert rendered(text) == r"Back"
        account, _ = await _account(database, settings, standin)
        await _connector(database, settings).create_post(account, _post(text))
        [stored] = standin.all_posts()
        assert stored.text == text
        assert stored.extra["commentary"] == little_text(text)

    async def test_image_is_uploaded_put_waited_for_and_attached(self, database, settings, standin):
        account, token = await _account(database, settings, standin)
        saved = []
        post = _post(image=JPEG_BYTES, saved=saved)
        await _connector(database, settings).create_post(account, post)
        [(urn, image)] = standin.images.items()
        assert image["bytes"] == JPEG_BYTES and image["status"] == "AVAILABLE" and image["owner"] == AUTHOR
        [stored] = standin.all_posts()
        assert stored.extra["media"] == urn
        assert stored.extra["payload"]["content"] == {"media": {"id": urn}}
        # The image's URN was saved before its bytes went up.
        assert saved[0]["linkedin_image"] == urn
        statuses = [r for r in standin.requests if r["path"].startswith("/rest/images/")]
        assert len(statuses) >= 2  # PROCESSING once, then AVAILABLE

    async def test_an_upload_url_off_linkedin_is_refused_and_the_image_not_sent(self, database, settings, standin,
                                                                                elsewhere):
        account, _token = await _account(database, settings, standin)
        standin.upload_base = elsewhere.url  # loopback, but not the configured LinkedIn address
        saved = []
        with pytest.raises(TransientBeforeSend, match=r"address that is not one of its own \(127\.0\.0\.1\)"):
            await _connector(database, settings).create_post(account, _post(image=JPEG_BYTES, saved=saved))
        assert elsewhere.requests == [] and standin.all_posts() == []
        assert saved == []  # nothing remembered: the next attempt asks LinkedIn for a new upload URL

    async def test_a_retry_reuses_the_uploaded_image(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        progress = {}
        connector = _connector(database, settings)
        standin.inject("rate_limit", "create")
        with pytest.raises(RateLimited):
            await connector.create_post(account, _post(image=JPEG_BYTES, progress=progress))
        assert standin.all_posts() == [] and progress["linkedin_image"] in standin.images
        await connector.create_post(account, _post(image=JPEG_BYTES, progress=progress))
        [image] = standin.images.values()
        assert image["uploads"] == 1
        assert len([c for c in standin.calls if c[0] == "upload"]) == 2  # one initializeUpload, one PUT
        [stored] = standin.all_posts()
        assert stored.extra["media"] == progress["linkedin_image"]

    async def test_a_failed_image_is_forgotten_and_uploaded_again_next_time(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        progress = {}
        connector = _connector(database, settings)
        standin.fail_next_image()
        with pytest.raises(TransientBeforeSend, match="could not process the image"):
            await connector.create_post(account, _post(image=JPEG_BYTES, progress=progress))
        assert progress["linkedin_image"] is None and standin.all_posts() == []
        await connector.create_post(account, _post(image=JPEG_BYTES, progress=progress))
        assert sorted(image["status"] for image in standin.images.values()) == ["AVAILABLE", "PROCESSING_FAILED"]
        assert len(standin.all_posts()) == 1


class TestFaults:
    async def test_throttling_waits_until_midnight_utc(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.inject("rate_limit", "create")
        with pytest.raises(RateLimited) as caught:
            await _connector(database, settings).create_post(account, _post())
        assert caught.value.scope == "account"
        assert abs(caught.value.retry_after - seconds_to_utc_midnight()) < 5
        assert standin.all_posts() == []

    def test_midnight_utc_is_counted_from_now(self):
        assert seconds_to_utc_midnight(datetime(2026, 3, 1, 23, 0, tzinfo=UTC)) == 3600
        assert seconds_to_utc_midnight(datetime(2026, 3, 1, 0, 0, tzinfo=UTC)) == 86400

    async def test_server_error_on_create_is_an_unknown_outcome(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.inject("server_error", "create")
        with pytest.raises(OutcomeUnknown):
            await _connector(database, settings).create_post(account, _post())
        assert standin.all_posts() == []

    async def test_server_error_on_the_upload_is_retryable_and_posts_nothing(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.inject("server_error", "upload")
        with pytest.raises(TransientBeforeSend) as caught:
            await _connector(database, settings).create_post(account, _post(image=JPEG_BYTES))
        assert not isinstance(caught.value, RateLimited)
        assert standin.all_posts() == []

    async def test_latency_is_waited_for(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.inject("latency", "create", seconds=0.3)
        await _connector(database, settings).create_post(account, _post())
        assert len(standin.all_posts()) == 1

    async def test_expired_token_breaks_the_account(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        standin.inject("expired_token", "create")
        with pytest.raises(AccountBroken) as caught:
            await _connector(database, settings).create_post(account, _post())
        assert caught.value.account_status == "expired"
        assert "reconnect" in str(caught.value)

    async def test_revoked_token_says_revoked(self, database, settings, standin):
        account, token = await _account(database, settings, standin)
        standin.revoke(token.value)
        with pytest.raises(AccountBroken) as caught:
            await _connector(database, settings).create_post(account, _post())
        assert caught.value.account_status == "revoked"
        assert token.value not in str(caught.value)

    async def test_missing_permission(self, database, settings, standin):
        account, _ = await _account(database, settings, standin, scopes={"r_organization_social"})
        with pytest.raises(AccountBroken) as caught:
            await _connector(database, settings).create_post(account, _post())
        assert caught.value.account_status == "missing_permission"
        assert standin.all_posts() == []

    async def test_a_sunset_version_says_which_setting_to_change(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        with pointed_at(settings, linkedin_version="202401"):
            with pytest.raises(PublishRefused, match="PIEUVRE_LINKEDIN_VERSION") as caught:
                await _connector(database, settings).create_post(account, _post())
        assert "Requested version 202401 is not active" in str(caught.value)

    async def test_lost_response_then_find_post_finds_exactly_that_post(self, database, settings, standin,
                                                                        short_timeout):
        account, _ = await _account(database, settings, standin)
        connector = _connector(database, settings)
        since = datetime.now(UTC) - timedelta(seconds=5)
        standin.inject("lost_response", "create", seconds=2)
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, _post("Lost then found (really)"))
        [stored] = standin.all_posts()
        found = await connector.find_post(account, _post("Lost then found (really)"), since)
        assert found is not None and found.external_id == stored.id
        assert await connector.find_post(account, _post("Another text"), since) is None
        assert await connector.find_post(account, _post("Lost then found (really)"),
                                         datetime.now(UTC) + timedelta(minutes=1)) is None
        listing = [r for r in standin.requests if r["path"] == "/rest/posts" and r["method"] == "GET"]
        assert parse_qs(listing[0]["query"]) == {"author": [AUTHOR], "q": ["author"], "count": ["20"],
                                                 "sortBy": ["LAST_MODIFIED"]}
        assert len(standin.all_posts()) == 1

    async def test_duplicate_after_a_lost_attempt_returns_the_existing_post(self, database, settings, standin,
                                                                           short_timeout):
        account, _ = await _account(database, settings, standin)
        connector = _connector(database, settings)
        standin.inject("lost_response", "create", seconds=2)
        with pytest.raises(OutcomeUnknown):
            await connector.create_post(account, _post())
        [stored] = standin.all_posts()
        again = await connector.create_post(account, _post())
        assert again.external_id == stored.id
        assert len(standin.all_posts()) == 1

    async def test_duplicate_of_an_old_post_is_refused_with_what_to_do(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        old = standin.add_post(ORGANIZATION, "Same text", post_id="urn:li:share:1", commentary="Same text",
                               author=AUTHOR, media=None)
        old.created_at = time.time() - 3 * 86400
        with pytest.raises(PublishRefused, match="change the text"):
            await _connector(database, settings).create_post(account, _post("Same text"))
        assert len(standin.all_posts()) == 1


class TestStats:
    async def test_counters_are_read_and_normalized(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        published = await _connector(database, settings).create_post(account, _post())
        standin.set_statistics(published.external_id, impressionCount=900, uniqueImpressionsCount=610,
                               clickCount=31, likeCount=17, commentCount=4, shareCount=2, engagement=0.06)
        metrics = await _connector(database, settings).read_stats(account, published.external_id, "24h")
        assert metrics.values == {
            "impressionCount": 900, "uniqueImpressionsCount": 610, "clickCount": 31, "likeCount": 17,
            "commentCount": 4, "shareCount": 2, "impressions": 900, "reach": 610, "engagements": 54,
        }
        assert not metrics.simulated
        [sent] = [r for r in standin.requests if r["path"] == "/rest/organizationalEntityShareStatistics"]
        query = parse_qs(sent["query"])
        assert query["organizationalEntity"] == [AUTHOR]
        assert query["shares"] == [f"List({published.external_id})"]

    async def test_an_unknown_post_has_no_counters(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        metrics = await _connector(database, settings).read_stats(account, "urn:li:ugcPost:404", "24h")
        assert metrics.values == {}


class TestTokensAndOAuth:
    async def test_refresh_gives_a_working_token_and_keeps_the_yearly_refresh_token(self, database, settings,
                                                                                    standin):
        account, old = await _account(database, settings, standin, refresh=True)
        tokens = await _connector(database, settings).refresh_token(account)
        assert tokens.access_token != old.value and standin.tokens[tokens.access_token].usable()
        assert tokens.refresh_token == old.refresh_token
        assert tokens.expires_at > datetime.now(UTC) + timedelta(days=59)
        assert tokens.extra["refresh_token_expires_at"] < datetime.now(UTC) + timedelta(days=2)

    async def test_an_invalid_refresh_token_breaks_the_account(self, database, settings, standin):
        token = standin.issue_token(ORGANIZATION, SCOPES)
        account = await connected_account(database, settings, "linkedin", ORGANIZATION, token.value,
                                          refresh_token="no-such-refresh-token")
        with pytest.raises(AccountBroken) as caught:
            await _connector(database, settings).refresh_token(account)
        assert caught.value.account_status == "expired"
        assert "consent again" in str(caught.value)

    async def test_without_a_refresh_token_there_is_nothing_to_refresh(self, database, settings, standin):
        account, _ = await _account(database, settings, standin)
        assert await _connector(database, settings).refresh_token(account) is None

    def test_authorize_url_asks_for_the_organization_scopes(self, database, settings, standin):
        url = _connector(database, settings).authorize_url(state="s1", redirect_uri="https://hub.test/cb",
                                                           code_challenge=None)
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{standin.url}/oauth/v2/authorization"
        assert parse_qs(parts.query) == {
            "response_type": ["code"], "client_id": [standin.client_id], "redirect_uri": ["https://hub.test/cb"],
            "state": ["s1"], "scope": ["w_organization_social r_organization_social rw_organization_admin"],
        }

    async def test_consent_then_code_exchange_then_the_organizations_the_member_may_post_for(
            self, database, settings, standin):
        import httpx

        standin.organizations = {"111": "Vélo Lyon", "222": "Vélo Nantes", "333": "Vélo Paris"}
        standin.roles = {"111": "ADMINISTRATOR", "222": "CONTENT_ADMIN", "333": "ANALYST"}
        connector = _connector(database, settings)
        url = connector.authorize_url(state="s1", redirect_uri="https://hub.test/cb", code_challenge=None)
        async with httpx.AsyncClient() as http:
            consent = await http.get(url)
        assert consent.status_code == 302
        back = parse_qs(urlsplit(consent.headers["location"]).query)
        assert back["state"] == ["s1"]
        tokens = await connector.exchange_code(code=back["code"][0], redirect_uri="https://hub.test/cb",
                                               code_verifier=None)
        assert standin.tokens[tokens.access_token].scopes == SCOPES
        assert tokens.refresh_token and tokens.expires_at > datetime.now(UTC) + timedelta(days=59)
        targets = await connector.list_targets(tokens)
        # An analyst cannot post: only the administrator's and the content admin's pages.
        assert [(t.external_id, t.display_name) for t in targets] == [("111", "Vélo Lyon"), ("222", "Vélo Nantes")]
        with pytest.raises(PublishRefused, match="start connecting again"):
            await connector.exchange_code(code=back["code"][0], redirect_uri="https://hub.test/cb", code_verifier=None)

    async def test_list_targets_with_a_dead_token_breaks(self, database, settings, standin):
        with pytest.raises(AccountBroken):
            await _connector(database, settings).list_targets(TokenSet(access_token="nope"))
