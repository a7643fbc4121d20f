"""A real SMTP server on loopback (aiosmtpd) that keeps the messages it receives."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler collecting every accepted message, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # the hook name aiosmtpd calls
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


@pytest.fixture
def smtp_server():
    """A started SMTP server: (host, port, inbox)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(settings, smtp_server):
    """The test settings, mailing through the loopback SMTP server."""
    host, port, _ = smtp_server
    return settings.model_copy(update={"smtp_host": host, "smtp_port": port, "digest_hour": 8,
                                       "reminder_offsets": "48h,4h"})


@pytest.fixture
def smtp_server_with_login():
    """An SMTP server that accepts mail only after AUTH with pieuvre / s3cret: (host, port, inbox, logins)."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    inbox = Inbox()
    logins: list[str] = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"pieuvre", b"s3cret")
        if ok:
            logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    port = free_port()
    # Plain-text AUTH on loopback only: no certificate to manage in tests.
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        yield "127.0.0.1", port, inbox, logins
    finally:
        controller.stop()
