"""What every stand-in shares: a server on a loopback port in a thread, its posts, tokens,
OAuth codes, and faults injected on demand.

A network's stand-in subclasses `StandIn`, adds its routes to `self.app` in `routes()`, and
says how its own errors look (`error_response`). Its handlers call `self.fault(operation,
account)` where the real network could fail, and apply what it returns:

    response, fault = await self.fault("create", page_id)
    if response is not None:
        return response             # a 429, 5xx or 401 in the network's own shape
    post = self.add_post(...)       # the post exists from here on
    await self.lose(fault)          # "lost_response": the answer arrives after the client gave up

Faults: "latency" (answer late), "rate_limit" (429 with the network's retry headers),
"server_error" (a 5xx; nothing was created), "expired_token" (the token is refused),
"lost_response" (the post is created, then the connection hangs past the client's timeout).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import random
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

FAULT_KINDS = ("latency", "rate_limit", "server_error", "expired_token", "lost_response")


@dataclass
class Fault:
    kind: str
    operation: str = "create"
    account: str | None = None
    times: int | None = 1  # None: until cleared (with `probability`)
    probability: float = 1.0
    seconds: float = 1.0  # latency, or how long a lost response hangs
    retry_after: int = 30  # what rate_limit tells the client to wait


@dataclass
class Token:
    value: str
    accounts: set[str]
    scopes: set[str]
    expires_at: float | None = None
    revoked: bool = False
    refresh_token: str | None = None

    def usable(self) -> bool:
        return not self.revoked and (self.expires_at is None or self.expires_at > time.time())


@dataclass
class StoredPost:
    id: str
    account: str
    text: str
    created_at: float
    extra: dict[str, Any] = field(default_factory=dict)


class StandIn:
    """A network's stand-in; `with StandIn() as standin:` serves it on `standin.url`."""

    network = "standin"
    # How long a "lost_response" hangs when the fault gives no duration (longer than tests' timeout).
    lost_hang_seconds = 5.0

    def __init__(self, seed: int = 7) -> None:
        self.app = FastAPI()
        self.lock = threading.RLock()
        self.posts: dict[str, StoredPost] = {}
        self.tokens: dict[str, Token] = {}
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.calls: list[tuple[str, str]] = []  # (operation, account) of every call that reached a handler
        self.random = random.Random(seed)
        self._ids = itertools.count(1_000_001)
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.routes()

    # -- to be provided by each network -------------------------------------------------

    def routes(self) -> None:
        """Add the network's endpoints to `self.app`."""

    def error_response(self, kind: str, fault: Fault | None = None) -> Response:
        """The network's own answer for a fault kind: rate_limit, server_error, expired_token."""
        raise NotImplementedError

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> str:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", timeout_keep_alive=30,
                                limit_concurrency=2000, backlog=2048)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name=f"standin-{self.network}")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError(f"The {self.network} stand-in did not start")
            time.sleep(0.01)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> StandIn:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- faults --------------------------------------------------------------------------

    def inject(self, kind: str, operation: str = "create", *, account: str | None = None, times: int | None = 1,
               probability: float = 1.0, seconds: float | None = None, retry_after: int = 30) -> Fault:
        """Make the next `times` calls of `operation` (on `account`, if given) fail with `kind`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}: one of {FAULT_KINDS}")
        fault = Fault(kind, operation, account, times, probability,
                      seconds if seconds is not None else (self.lost_hang_seconds if kind == "lost_response" else 1.0),
                      retry_after)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, operation: str, account: str | None = None) -> Fault | None:
        """The fault that applies to this call, if any (consumes one of its `times`)."""
        with self.lock:
            self.calls.append((operation, account or ""))
            for fault in self.faults:
                if fault.operation != operation or (fault.account and fault.account != account):
                    continue
                if fault.probability < 1.0 and self.random.random() >= fault.probability:
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    async def fault(self, operation: str, account: str | None = None) -> tuple[Response | None, Fault | None]:
        """Apply the fault for this call: sleep for latency, answer for errors.

        Returns (response to send instead, fault). A "lost_response" fault returns no response:
        the handler creates its object, then awaits `lose(fault)`.
        """
        fault = self.take_fault(operation, account)
        if fault is None:
            return None, None
        if fault.kind == "latency":
            await asyncio.sleep(fault.seconds)
            return None, None
        if fault.kind == "lost_response":
            return None, fault
        if fault.kind == "expired_token":
            with self.lock:
                for token in self.tokens.values():
                    if account is None or account in token.accounts:
                        token.expires_at = time.time() - 1
        return self.error_response(fault.kind, fault), fault

    async def lose(self, fault: Fault | None) -> None:
        """For a "lost_response" fault: the work is done, the answer hangs past the client's timeout."""
        if fault is not None and fault.kind == "lost_response":
            await asyncio.sleep(fault.seconds)

    # -- posts ---------------------------------------------------------------------------

    def new_id(self) -> str:
        return str(next(self._ids))

    def add_post(self, account: str, text: str, post_id: str | None = None, **extra: Any) -> StoredPost:
        post = StoredPost(post_id or self.new_id(), account, text, time.time(), extra)
        with self.lock:
            self.posts[post.id] = post
        return post

    def posts_of(self, account: str) -> list[StoredPost]:
        with self.lock:
            return sorted((post for post in self.posts.values() if post.account == account),
                          key=lambda post: post.created_at, reverse=True)

    def all_posts(self) -> list[StoredPost]:
        with self.lock:
            return list(self.posts.values())

    # -- tokens and OAuth ----------------------------------------------------------------

    def issue_token(self, accounts: set[str] | list[str] | str, scopes: set[str] | list[str] = (),
                    expires_in: float | None = None, refresh: bool = False) -> Token:
        """A valid access token for `accounts` (and a refresh token when `refresh`)."""
        accounts = {accounts} if isinstance(accounts, str) else set(accounts)
        token = Token(secrets.token_urlsafe(16), accounts, set(scopes),
                      time.time() + expires_in if expires_in is not None else None,
                      refresh_token=secrets.token_urlsafe(16) if refresh else None)
        with self.lock:
            self.tokens[token.value] = token
        return token

    def revoke(self, token_value: str) -> None:
        with self.lock:
            self.tokens[token_value].revoked = True

    def bearer(self, request: Request) -> Token | None:
        """The usable token of an `Authorization: Bearer` header (or `access_token` query), or None."""
        header = request.headers.get("authorization", "")
        value = header[7:] if header.lower().startswith("bearer ") else request.query_params.get("access_token", "")
        with self.lock:
            token = self.tokens.get(value)
        return token if token is not None and token.usable() else None

    def token_by_refresh(self, refresh_token: str) -> Token | None:
        with self.lock:
            return next((token for token in self.tokens.values()
                         if token.refresh_token == refresh_token and not token.revoked), None)

    def rotate(self, old: Token, expires_in: float | None) -> Token:
        """A new access (and refresh) token replacing `old`, as a refresh grant returns."""
        new = self.issue_token(old.accounts, old.scopes, expires_in, refresh=old.refresh_token is not None)
        with self.lock:
            old.revoked = True
        return new

    # The accounts and scopes the next OAuth consent grants (what the user "clicks").
    consent_accounts: set[str] = set()
    consent_scopes: set[str] = set()

    def authorize(self, request: Request, *, required: tuple[str, ...] = ("client_id", "redirect_uri", "state"),
                  pkce: bool = False) -> Response:
        """The consent page, consenting at once: redirect back with a code (or the documented error)."""
        params = request.query_params
        missing = [name for name in required if not params.get(name)]
        if pkce and not params.get("code_challenge"):
            missing.append("code_challenge")
        if missing:
            return JSONResponse({"error": "invalid_request", "error_description": f"missing {', '.join(missing)}"},
                                status_code=400)
        code = secrets.token_urlsafe(12)
        with self.lock:
            self.oauth_codes[code] = {
                "client_id": params["client_id"], "redirect_uri": params["redirect_uri"],
                "challenge": params.get("code_challenge"), "method": params.get("code_challenge_method", "plain"),
                "scopes": set((params.get("scope") or "").replace(",", " ").split()),
            }
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params['state']})}",
                                status_code=302)

    def redeem(self, code: str, redirect_uri: str, verifier: str | None = None) -> dict[str, Any] | None:
        """The grant of a code, once (None when unknown, reused, for another redirect, or failing PKCE)."""
        with self.lock:
            grant = self.oauth_codes.pop(code, None)
        if grant is None or grant["redirect_uri"] != redirect_uri:
            return None
        if grant["challenge"]:
            if not verifier:
                return None
            if grant["method"] == "S256":
                computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            else:
                computed = verifier
            if computed != grant["challenge"]:
                return None
        return grant
