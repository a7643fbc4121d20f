"""Sending e-mail through the configured SMTP server (smtplib, in a thread so the event loop keeps running)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from hub.config import Settings

SMTP_TIMEOUT_SECONDS = 30


class MailError(Exception):
    """The SMTP server could not be reached or refused the message; the caller retries later."""


@dataclass(frozen=True)
class Mail:
    """One e-mail: a plain-text body and its HTML alternative."""

    to: str
    subject: str
    text: str
    html: str


def build_message(settings: Settings, mail: Mail) -> EmailMessage:
    """The MIME message (multipart/alternative: text first, HTML preferred by mail readers)."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    sender = parseaddr(settings.mail_from)[1]
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


def mail_enabled(settings: Settings) -> bool:
    """Whether e-mail is configured (without smtp_host, notifications are only recorded)."""
    return bool(settings.smtp_host)


def _send_blocking(settings: Settings, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp_class = smtplib.SMTP_SSL if settings.smtp_ssl else smtplib.SMTP
    options = {"context": context} if settings.smtp_ssl else {}
    with smtp_class(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS, **options) as smtp:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=context)
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)


async def send(settings: Settings, mail: Mail) -> None:
    """Send one e-mail; MailError when it did not go out (nothing to do when e-mail is disabled)."""
    if not mail_enabled(settings):
        return
    message = build_message(settings, mail)
    try:
        await asyncio.to_thread(_send_blocking, settings, message)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(f"{settings.smtp_host}:{settings.smtp_port}: {error}") from error
