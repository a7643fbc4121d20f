"""What every real connector shares: one HTTP client, and reading what a network's answer means.

The split that keeps "never publish twice" true is made here once: a failure to connect
proves nothing reached the network (retry later), while a timeout or a dropped connection
after the request was sent may hide a created post (reconcile before anything is resent).
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import json
import logging
import ssl
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from hub.publishing.connectors.base import OutcomeUnknown, TransientBeforeSend

# httpx logs every URL at INFO; some carry tokens in their query (OAuth exchanges): keep them out of logs.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


@functools.cache
def _tls() -> ssl.SSLContext:
    """The TLS settings of every network call, made once per process: loading the CA bundle takes
    tens of milliseconds of CPU, which each new client paid again (once per publication)."""
    return httpx.create_ssl_context()


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary())


@contextlib.asynccontextmanager
async def client(settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The client of this process (and event loop) with the deployment's network timeout (no redirects:
    a 3xx is an answer to read). It is kept open: its connections to each network are reused, instead
    of a new connection, TLS handshake and connection pool for every publication."""
    clients = _clients.setdefault(asyncio.get_running_loop(), {})
    seconds = settings.network_timeout_seconds
    if seconds not in clients:
        clients[seconds] = httpx.AsyncClient(
            timeout=httpx.Timeout(seconds, connect=min(10.0, seconds)), follow_redirects=False,
            headers={"User-Agent": "Pieuvre"}, verify=_tls(),
            # As many connections as the publications in flight need (each network's cap is the limit).
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=100))
    yield clients[seconds]


async def send(
    http: httpx.AsyncClient, method: str, url: str, *, creates: bool, label: str, **kwargs: Any,
) -> httpx.Response:
    """Send one request; map transport failures to what they prove.

    `creates` says whether the request can create something on the network (a post, a video):
    then a timeout or a lost answer is an unknown outcome; otherwise it is simply retryable.
    """
    try:
        return await http.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
        raise TransientBeforeSend("{network} could not be reached ({detail}); nothing was sent.",
                                  network=label, detail=type(error).__name__) from error
    except httpx.TransportError as error:
        if creates:
            raise OutcomeUnknown("{network} did not answer ({detail}) after the post was sent; checking the account.",
                                 network=label, detail=type(error).__name__) from error
        raise TransientBeforeSend("{network} did not answer ({detail}); trying again later.",
                                  network=label, detail=type(error).__name__) from error


def network_url(url: str, *, label: str, domains: tuple[str, ...], configured: str) -> str:
    """`url`, a URL a network's answer tells the server to call (e.g. where to upload), if it is https on
    one of the network's own domains or on its configured API address (where tests put the stand-ins).

    Anything else is refused before a byte goes there: an answer tampered with, or a network bug, must
    not make the server send a location's image or video, or the account's token, elsewhere.
    """
    parts, base = urlsplit(url), urlsplit(configured)
    try:
        host, port = parts.hostname or "", parts.port
    except ValueError:  # a port that is not a number
        host, port = "", None
    own = parts.scheme == "https" and port in (None, 443) and any(
        host == domain or host.endswith(f".{domain}") for domain in domains)
    configured_base = bool(host) and (parts.scheme, host, port) == (base.scheme, base.hostname, base.port)
    if parts.username is not None or not (own or configured_base):
        raise TransientBeforeSend("{network} answered with an address that is not one of its own ({host}): nothing "
                                  "was sent there; trying again later.", network=label, host=host or "none")
    return url


def body(response: httpx.Response) -> dict[str, Any]:
    """The JSON body, or {} when there is none or it is not JSON."""
    try:
        value = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {"data": value}


def retry_after(response: httpx.Response, default: float = 60.0) -> float:
    """Seconds to wait, from the headers networks send: Retry-After (seconds or an HTTP date),
    x-rate-limit-reset (X, epoch seconds), or Meta's X-Business-Use-Case-Usage / X-App-Usage
    `estimated_time_to_regain_access` (minutes)."""
    value = response.headers.get("retry-after")
    if value:
        if value.strip().isdigit():
            return max(1.0, float(value))
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(1.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            pass
    reset = response.headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit():
        return max(1.0, float(reset) - time.time())
    minutes = 0.0
    for header in ("x-business-use-case-usage", "x-app-usage", "x-page-usage", "x-ad-account-usage"):
        raw = response.headers.get(header)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
        except json.JSONDecodeError:
            continue
        for entry in _usage_entries(usage):
            minutes = max(minutes, float(entry.get("estimated_time_to_regain_access") or 0))
    return max(60.0 * minutes, default) if minutes else default


def _usage_entries(usage: Any) -> list[dict[str, Any]]:
    """Meta's usage headers: a flat object (X-App-Usage) or {id: [objects]} (Business Use Case)."""
    if isinstance(usage, dict) and any(isinstance(value, list) for value in usage.values()):
        return [entry for value in usage.values() if isinstance(value, list) for entry in value if isinstance(entry, dict)]
    return [usage] if isinstance(usage, dict) else []
