"""Secrets kept out of log lines.

Some URLs carry a secret: a few documented network calls take tokens in their query string (Facebook's
code and token exchanges, Instagram's token refresh), and so do Pieuvre's own capability links (a calendar
feed's `token`, an OAuth callback's `code` and `state`, a review link's path). The loggers that write URLs —
httpx and httpcore for outgoing calls, uvicorn's access log for incoming ones — get a filter that replaces
those secrets with "…" before any handler sees the record.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# Query parameters that hold a secret, in the networks' documented calls and in Pieuvre's own links.
SECRET_PARAMETERS = ("access_token", "client_secret", "code", "code_verifier", "fb_exchange_token", "key",
                     "password", "refresh_token", "signature", "state", "token")
_QUERY = re.compile(r"([?&](?:%s)=)[^&#\s\"'<>]+" % "|".join(SECRET_PARAMETERS), re.IGNORECASE)
# Pieuvre's paths whose last part is a secret: a review link (/review/<token>, /review/<token>/approve…).
_PATHS = re.compile(r"(/review/)[A-Za-z0-9_-]{16,}")
# Loggers that write URLs or headers (httpcore's are per module: a filter applies to its own logger only).
URL_LOGGERS = ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy",
               "uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """`text` with the secrets of the URLs it holds replaced by "…"."""
    return _PATHS.sub(r"\1…", _QUERY.sub(r"\1…", text))


def _redacted(value: Any) -> Any:
    if value is None or isinstance(value, (int, float)):
        return value  # kept as is: a %d placeholder needs a number
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


class RedactSecrets(logging.Filter):
    """Redacts the secrets of URLs in a record's message and arguments (kept separate, as formatters expect)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(value) for value in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redacted(value) for key, value in record.args.items()}
        return True


def redact_secrets_in_logs() -> None:
    """Put the filter on every logger that writes URLs (once per process, whoever calls it first)."""
    for name in URL_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactSecrets) for existing in logger.filters):
            logger.addFilter(RedactSecrets())
