"""A property-based run of schemathesis against the app's own /openapi.json: no request, however odd, is a 5xx.

Every operation of the schema gets requests generated from its parameters and bodies (valid and not), sent
as an HQ admin and as a local manager. Half of them name things that exist (the path's ids are swapped for
those of a real campaign, post, proposal…), so the generated bodies reach the services, not only the 404s.
The app runs in-process on the test database: a server error surfaces with its traceback.

Bounded in time: a few examples per operation and role, generated from a fixed seed, so CI runs the same
requests each time (PIEUVRE_SCHEMATHESIS_EXAMPLES raises the count, PIEUVRE_SCHEMATHESIS_RANDOM=1 draws
new ones, to hunt for more locally).
"""

from __future__ import annotations

import asyncio
import os
import time
import traceback
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, reject, settings as hypothesis_settings, strategies as st
from sqlalchemy import select

from hub.publishing.models import SocialAccount
from schemathesis import GenerationMode

from tests.conftest import BACKEND
from tests.factories import PASSWORD, make_network
from tests.web.conftest import sent_campaign, web_client  # noqa: F401 (fixture)


EXAMPLES = int(os.environ.get("PIEUVRE_SCHEMATHESIS_EXAMPLES", "8"))
RANDOM = os.environ.get("PIEUVRE_SCHEMATHESIS_RANDOM") == "1"
# The whole run (both roles) must stay well under the three minutes the suite grants it.
BUDGET_SECONDS = 170
BASE_URL = "http://testserver"


async def _world(database, settings, client_as) -> tuple[dict[str, str], dict[str, httpx.AsyncClient]]:
    """A brand with a sent post, its proposals, a comment, a review link and a webhook: the ids that exist,
    by path parameter name, and the API clients of its HQ admin and of a local manager."""
    network = await make_network(database, settings, locations=2)
    sent = await sent_campaign(database, settings, network)
    location = network.locations[0]
    hq = await client_as(network.hq_email, PASSWORD)
    local = await client_as(network.local_emails[location.id], PASSWORD)
    proposal_id = sent[location.id]
    assert (await local.post(f"/api/v1/proposals/{proposal_id}/comments", json={"body": "Bonjour"})).status_code == 201
    link = await hq.post(f"/api/v1/proposals/{proposal_id}/review-links", json={"label": "Owner"})
    assert link.status_code == 201, link.text
    async with database.session() as session:
        account_id = await session.scalar(select(SocialAccount.id).where(SocialAccount.location_id == location.id))
    webhook = await hq.post("/api/v1/webhooks", json={
        "url": "https://hooks.example.com/pieuvre", "events": ["proposal.decided"],
        "secret": "a-webhook-secret-of-some-length"})
    assert webhook.status_code == 201, webhook.text
    known = {
        "campaign_id": sent["campaign_id"], "post_id": sent["post_id"], "distribution_id": sent["distribution_id"],
        "proposal_id": proposal_id, "location_id": location.id, "account_id": account_id,
        "link_id": link.json()["id"], "webhook_id": webhook.json()["id"], "network": "facebook", "locale": "de-DE",
    }
    return known, {"hq_admin": hq, "local_manager": local}


def _httpx_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """schemathesis' requests-style arguments as httpx takes them."""
    arguments = {key: kwargs[key] for key in ("method", "url", "headers", "params", "cookies") if kwargs.get(key)}
    if kwargs.get("json") is not None:
        arguments["json"] = kwargs["json"]
    if kwargs.get("files"):
        arguments["files"] = kwargs["files"]
        if isinstance(kwargs.get("data"), dict):
            arguments["data"] = kwargs["data"]
    elif isinstance(kwargs.get("data"), (bytes, str)):
        arguments["content"] = kwargs["data"]
    elif isinstance(kwargs.get("data"), dict):
        arguments["data"] = kwargs["data"]
    return arguments


def _run_operation(operation, send, known: dict[str, str], failures: list[str], role: str, deadline: float) -> None:
    """Generate this operation's requests (in this thread) and record each one answered with a 5xx."""
    found: list[str] = []

    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy, real_ids=st.booleans())
    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not RANDOM,
                         suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
                         print_blob=False)
    def check(case, real_ids: bool) -> None:
        if time.monotonic() > deadline:
            return
        if real_ids and case.path_parameters:
            for name in case.path_parameters:
                if name in known:
                    case.path_parameters[name] = known[name]
        try:
            arguments = _httpx_arguments(case.as_transport_kwargs(base_url=BASE_URL))
        except (TypeError, ValueError, UnicodeError):
            reject()  # a request no HTTP client can send
        status, detail = send(arguments)
        if status is None:
            reject()
        if status >= 500:
            found.append(f"{role} {case.method} {case.formatted_path} -> {status}\n"
                         f"  request: {_short(arguments)}\n{detail}")

    check()
    # One failure per operation and role is enough to act on; the first is the simplest hypothesis met.
    failures.extend(found[:1])


def _short(arguments: dict[str, Any]) -> str:
    shown = {key: value for key, value in arguments.items() if key != "headers"}
    return repr(shown)[:600]


async def test_no_operation_answers_a_server_error(app, database, settings, client_as):
    known, clients = await _world(database, settings, client_as)
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as anonymous:
        schema_document = (await anonymous.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(schema_document)
    # What deletes or withdraws goes last, so the other operations still find the things it removes.
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda operation: operation.method == "delete" or operation.path.endswith("/withdraw"))
    assert len(operations) > 40, "the schema lost its operations"

    def sender(client: httpx.AsyncClient):
        async def call(arguments: dict[str, Any]) -> tuple[int | None, str]:
            try:
                request = client.build_request(**{**arguments, "headers": {**arguments.get("headers", {}),
                                                                             **client.headers}})
            except (httpx.HTTPError, TypeError, ValueError, UnicodeError):
                return None, ""
            try:
                response = await client.send(request)
            except Exception:  # the app raised: the server error, with where it happened
                return 500, traceback.format_exc(limit=-8)
            return response.status_code, response.text[:300]

        def send(arguments: dict[str, Any]) -> tuple[int | None, str]:
            return asyncio.run_coroutine_threadsafe(call(arguments), loop).result(timeout=60)

        return send

    failures: list[str] = []
    deadline = time.monotonic() + BUDGET_SECONDS
    for role, client in clients.items():
        send = sender(client)
        for operation in operations:
            await asyncio.to_thread(_run_operation, operation, send, known, failures, role, deadline)
    assert time.monotonic() < deadline, "the run went past its time budget: lower PIEUVRE_SCHEMATHESIS_EXAMPLES"
    assert not failures, f"{len(failures)} server error(s):\n\n" + "\n\n".join(failures)


class TestServerErrorsTheRunFound:
    """Each server error the run found, fixed where it arose: the request that caused it, now answered 4xx."""

    async def test_a_nul_character_in_text_is_refused_not_a_server_error(self, database, settings, client_as):
        network = await make_network(database, settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        # PostgreSQL cannot hold or compare U+0000 in text (SQLite stores it): a query, a filter, a body.
        answers = [
            await hq.get("/api/v1/proposals", params={"status": "pending\x00"}),
            await hq.get("/api/v1/audit", params={"subject_type": "\x00"}),
            await hq.post("/api/v1/campaigns", json={"name": "Printemps\x00"}),
        ]
        for answer in answers:
            if BACKEND == "sqlite":
                assert answer.status_code < 500, answer.text
            else:
                assert answer.status_code == 422, answer.text
                assert answer.json() == {"detail": "Text cannot contain the NUL character (U+0000): "
                                                   "remove it and send again."}

    async def test_a_nul_character_in_a_form_gets_the_error_page_in_french(self, database, settings, web_client):
        network = await make_network(database, settings, locations=1)
        client = await web_client(network.hq_email, language="fr")
        page = await client.get("/locations", params={"q": "Lyon\x00"})
        if BACKEND == "sqlite":
            assert page.status_code == 200
        else:
            assert page.status_code == 422
            assert "Un texte ne peut pas contenir le caractère NUL (U+0000)" in page.text

    @pytest.mark.parametrize("path", ["/api/v1/locations", "/api/v1/proposals", "/api/v1/audit"])
    async def test_an_offset_past_any_table_is_a_422_naming_it(self, database, settings, client_as, path):
        network = await make_network(database, settings, locations=1)
        hq = await client_as(network.hq_email, PASSWORD)
        answer = await hq.get(path, params={"offset": 10**30})
        assert answer.status_code == 422, answer.text
        assert [error["field"] for error in answer.json()["errors"]] == ["query.offset"]
        assert (await hq.get(path, params={"offset": 1_000_000_000})).json() == []

    async def test_a_campaign_report_offset_past_any_table_is_a_422(self, database, settings, client_as):
        network = await make_network(database, settings, locations=1)
        sent = await sent_campaign(database, settings, network)
        hq = await client_as(network.hq_email, PASSWORD)
        answer = await hq.get(f"/api/v1/campaigns/{sent['campaign_id']}/report", params={"offset": 10**30})
        assert answer.status_code == 422, answer.text

    @pytest.mark.parametrize("page", ["/audit", "/network", "/campaigns/{campaign_id}",
                                      "/campaigns/{campaign_id}/matrix"])
    async def test_a_page_number_past_any_table_is_a_422(self, database, settings, web_client, page):
        network = await make_network(database, settings, locations=1)
        sent = await sent_campaign(database, settings, network)
        client = await web_client(network.hq_email)
        path = page.format(campaign_id=sent["campaign_id"])
        answer = await client.get(path, params={"page": 10**30})
        assert answer.status_code == 422, answer.text
        assert (await client.get(path, params={"page": 1_000_000})).status_code == 200
