"""Errors a user can act on: each carries a status and a message that says what to fix."""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """An error shown to the user; `message` is an English msgid translated when shown."""

    status_code = 400
    # HTTP headers the answer carries besides the message (e.g. Retry-After).
    headers: dict[str, str] = {}

    def __init__(self, message: str, /, *, errors: list[dict[str, Any]] | None = None, **values: Any) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message = message
        self.values = values
        self.errors = errors or []


class NotFound(HubError):
    """The thing does not exist, or the user may not see it (both answer 404 on purpose)."""

    status_code = 404


class Invalid(HubError):
    """The input breaks a rule; `errors` lists each field and what to change."""

    status_code = 422


class Conflict(HubError):
    """The request clashes with the current state (already decided, already exists)."""

    status_code = 409


class Forbidden(HubError):
    """The user is known but their role does not allow this."""

    status_code = 403


class Unauthorized(HubError):
    """No valid login."""

    status_code = 401


class UnsupportedMedia(HubError):
    """The body is not in a format this endpoint reads."""

    status_code = 415
