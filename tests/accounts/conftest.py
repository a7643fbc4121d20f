"""Helpers for the accounts tests: the web client, a browser's trip through a network's consent
page (the stand-in's), and a brand whose HQ and local managers can log in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.connectors.conftest import pointed_at  # noqa: F401  (re-exported for the tests)
from tests.web.conftest import csrf_of, log_in, web_client  # noqa: F401  (the fixture, shared)


async def consent(client: httpx.AsyncClient, location_id: str, network: str) -> httpx.Response:
    """Click "Connect <network>", consent on the stand-in, come back: the callback's answer."""
    start = await client.get(f"/locations/{location_id}/accounts/connect/{network}")
    assert start.status_code == 303, start.text
    back = await network_redirect(start.headers["location"])
    return await client.get(back)


async def network_redirect(authorize_url: str) -> str:
    """What the network's consent page redirects the browser to (the path and query on our server)."""
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(authorize_url)
    assert answer.status_code in (302, 303), answer.text
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == "http://testserver", target
    return f"{target.path}?{target.query}"


def query_of(url: str) -> dict[str, str]:
    """The query parameters of a URL, one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


from tests.notifications.conftest import smtp_server  # noqa: E402,F401  (the loopback SMTP server fixture)
