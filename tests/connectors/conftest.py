"""Fixtures for connector contract tests: a network's stand-in, and an account of a location on it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.publishing.service import connect_account
from tests.factories import make_network


@contextmanager
def pointed_at(settings, **values) -> Iterator[None]:
    """Settings changed for the time of a test (the settings object is shared by the session)."""
    old = {name: getattr(settings, name) for name in values}
    for name, value in values.items():
        setattr(settings, name, value)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(settings, name, value)


@pytest.fixture
def short_timeout(settings) -> Iterator[None]:
    """Network calls give up after 1 s, so "lost response" faults are quick to see."""
    with pointed_at(settings, network_timeout_seconds=1.0):
        yield


class Elsewhere:
    """A web server on loopback that is not the network: records what reaches it (method and path)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                recorded.append((self.command, self.path))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_PUT = do_POST = _record

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def elsewhere() -> Iterator[Elsewhere]:
    """A loopback server a network's answer may point at; the connector must send it nothing."""
    server = Elsewhere()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


async def connected_account(database, settings, network: str, external_id: str, access_token: str,
                            refresh_token: str | None = None, expires_at=None):
    """A location of a fresh brand with a real-connector account on `network`."""
    result = await make_network(database, settings, locations=1, networks=())
    async with database.session() as session:
        from hub.locations.models import Location

        location = await session.get(Location, result.locations[0].id)
        account, _ = await connect_account(session, settings, location, network=network, external_id=external_id,
                                        access_token=access_token, refresh_token=refresh_token, expires_at=expires_at)
    return account
