"""A leaked API token is cut off: DELETE /api/v1/auth/token ends the token of the call at once, and with
everywhere=true every API token of the user (the browser's session is another thing and goes on)."""

from __future__ import annotations

import httpx

from tests.factories import PASSWORD, make_network


async def _token(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestRevocation:
    async def test_the_token_of_the_call_stops_working_at_once_and_only_it(self, database, settings, client):
        network = await make_network(database, settings, locations=1)
        leaked, other = await _token(client, network.hq_email), await _token(client, network.hq_email)
        assert (await client.delete("/api/v1/auth/token", headers=_bearer(leaked))).status_code == 204
        refused = await client.get("/api/v1/me", headers=_bearer(leaked))
        assert refused.status_code == 401 and "POST /api/v1/auth/token" in refused.json()["detail"]
        assert (await client.delete("/api/v1/auth/token", headers=_bearer(leaked))).status_code == 401
        assert (await client.get("/api/v1/me", headers=_bearer(other))).status_code == 200

    async def test_everywhere_ends_every_token_of_the_user_and_no_one_elses(self, database, settings, client):
        network = await make_network(database, settings, locations=1)
        local_email = next(iter(network.local_emails.values()))
        leaked, fresh = await _token(client, network.hq_email), await _token(client, network.hq_email)
        local = await _token(client, local_email)
        answer = await client.delete("/api/v1/auth/token", params={"everywhere": "true"}, headers=_bearer(fresh))
        assert answer.status_code == 204
        for token in (leaked, fresh):
            assert (await client.get("/api/v1/me", headers=_bearer(token))).status_code == 401
        assert (await client.get("/api/v1/me", headers=_bearer(local))).status_code == 200

    async def test_without_a_token_nothing_is_ended(self, database, settings, client):
        network = await make_network(database, settings, locations=1)
        token = await _token(client, network.hq_email)
        assert (await client.delete("/api/v1/auth/token")).status_code == 401
        assert (await client.get("/api/v1/me", headers=_bearer(token))).status_code == 200
