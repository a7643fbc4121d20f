"""What every network connector does, and the errors that tell the scheduler what happened.

The scheduler never sends twice: it only retries after an error that proves nothing was
created (`TransientBeforeSend`); after a timeout or a lost answer (`OutcomeUnknown`) it asks
the connector to find the post on the account (`find_post`) before anything is sent again.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from hub.publishing.models import SocialAccount


@dataclass(frozen=True)
class OutgoingPost:
    """What goes out on one account."""

    publication_id: str
    network: str
    text: str
    # A signed, expiring public link (networks that fetch by URL: Facebook, Instagram, Google).
    image_url: str | None = None
    # The same image's JPEG bytes (networks that take an upload: LinkedIn, X, YouTube's thumbnail).
    image: bytes | None = field(default=None, repr=False)
    # A video's bytes and content type (YouTube publishes videos only).
    video: bytes | None = field(default=None, repr=False)
    video_type: str = "video/mp4"
    locale: str = "en"
    # Network-specific choices from the post (e.g. Google's topicType and callToAction).
    options: dict[str, Any] = field(default_factory=dict)
    # What an earlier attempt left behind (e.g. Instagram's container id), to resume without resending.
    progress: dict[str, Any] = field(default_factory=dict)
    # Saves `progress` to the database before a step that could create something on the network.
    save_progress: Callable[[dict[str, Any]], Awaitable[None]] | None = field(default=None, repr=False,
                                                                              compare=False)

    async def remember(self, **values: Any) -> None:
        """Record progress (merged into `progress`) so a later attempt or reconcile can resume from it."""
        self.progress.update(values)
        if self.save_progress is not None:
            await self.save_progress(dict(self.progress))

    @property
    def content_hash(self) -> str:
        """What identifies this content when reading an account back (networks take no idempotency key)."""
        return hashlib.sha256(f"{self.network}\n{self.text}\n{self.image_url or ''}".encode()).hexdigest()


@dataclass(frozen=True)
class PublishedPost:
    """Where the network put it."""

    external_id: str
    url: str
    published_at: datetime


@dataclass(frozen=True)
class Metrics:
    """Counters of one post under the network's own names; a counter the network lacks is absent."""

    values: dict[str, int]
    simulated: bool = False


@dataclass
class AccountDay:
    """An account's numbers on one day: its followers now and the network's own per-day counters for it."""

    followers: int | None  # None = the network does not give it (shown as missing, never as 0)
    metrics: dict[str, int] = field(default_factory=dict)  # under the network's own names; absent = not given
    simulated: bool = False


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class PublishingError(Exception):
    """An error a connector raises, shaped like HubError: `message` is an English msgid with
    `{placeholders}` filled from `values`; str() is the English text (logs and `Publication.error`
    keep it, and `hub.i18n.translate_message` turns it into French when it is shown)."""

    def __init__(self, message: str, /, **values: Any) -> None:
        super().__init__(message.format(**values) if values else message)
        self.message = message
        self.values = values


class TransientBeforeSend(PublishingError):
    """Nothing was created (refused before sending, or a documented retryable error): retry later."""

    def __init__(self, message: str, /, retry_after: float | None = None, **values: Any) -> None:
        super().__init__(message, **values)
        self.retry_after = retry_after


class RateLimited(TransientBeforeSend):
    """The network refused for volume: nothing was created; wait `retry_after` seconds.

    `scope` says who cools down: "account" (a user, Page or per-account quota) or "network"
    (the whole app's quota on that network).
    """

    def __init__(self, message: str, /, retry_after: float, scope: str = "account", **values: Any) -> None:
        super().__init__(message, retry_after, **values)
        self.scope = scope


class OutcomeUnknown(PublishingError):
    """The request may have reached the network (timeout, lost answer): reconcile before resending."""


class PublishRefused(PublishingError):
    """The network refused for good; the message tells the user what to do."""


class AccountBroken(PublishRefused):
    """The token is revoked or expired, or lacks a permission: the account needs reconnecting."""

    def __init__(self, message: str, /, account_status: str = "expired", **values: Any) -> None:
        super().__init__(message, **values)
        self.account_status = account_status


@dataclass(frozen=True)
class ConnectTarget:
    """One page, organization, profile or channel an OAuth grant can publish to."""

    external_id: str
    display_name: str
    # Some networks give each target its own token (a Facebook Page token); else the user's is used.
    tokens: TokenSet | None = None


class Connector(abc.ABC):
    """One network (or the sandbox) behind one interface.

    Real connectors also speak their network's OAuth: `authorize_url` sends the user to the
    network's consent page, `exchange_code` turns the returned code into tokens, `list_targets`
    says which pages/organizations/channels those tokens may publish to.
    """

    name: str
    label: str
    # OAuth scopes requested when connecting; PKCE is used when `pkce` is true (X requires it).
    scopes: tuple[str, ...] = ()
    pkce: bool = False
    # Per-day counters a network may still revise for this many days: each daily reading reads
    # those past days again (Google's location metrics arrive late; followers are only "now").
    day_counters_settle_days: int = 0

    def __init__(self, database: Any, settings: Any) -> None:
        self.database = database
        self.settings = settings

    def authorize_url(self, *, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        """The network's consent page for this app."""
        raise PublishRefused("{network} accounts cannot be connected through OAuth.", network=self.label)

    async def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str | None) -> TokenSet:
        """Tokens for the code the network sent back to `redirect_uri`."""
        raise PublishRefused("{network} accounts cannot be connected through OAuth.", network=self.label)

    async def list_targets(self, tokens: TokenSet) -> list[ConnectTarget]:
        """What these tokens may publish to."""
        raise PublishRefused("{network} accounts cannot be connected through OAuth.", network=self.label)

    def access_token(self, account: SocialAccount) -> str:
        """The account's access token, decrypted (never log it)."""
        return decrypt_token(self.settings, account.access_token_encrypted)

    def stored_refresh_token(self, account: SocialAccount) -> str:
        """The account's refresh token, decrypted, or "" when it has none."""
        return decrypt_token(self.settings, account.refresh_token_encrypted)

    @abc.abstractmethod
    async def create_post(self, account: SocialAccount, post: OutgoingPost) -> PublishedPost:
        """Publish `post` on `account`."""

    @abc.abstractmethod
    async def read_stats(self, account: SocialAccount, external_id: str, offset_label: str) -> Metrics:
        """The post's counters now (`offset_label` says which scheduled reading this is)."""

    async def read_account_day(self, account: SocialAccount, day: date) -> AccountDay:
        """The account's follower count now and its per-day counters for `day` (UTC date)."""
        return AccountDay(followers=None)

    @abc.abstractmethod
    async def find_post(self, account: SocialAccount, post: OutgoingPost, since: datetime) -> PublishedPost | None:
        """The post, if it reached the account after `since` (to settle an unknown outcome)."""

    @abc.abstractmethod
    async def refresh_token(self, account: SocialAccount) -> TokenSet | None:
        """A fresh token for the account, or None when its token does not expire."""


def decrypt_token(settings: Any, encrypted: str) -> str:
    """A token stored encrypted (any of the configured token keys opens it)."""
    from hub.accounts.security import settings_token_cipher

    return settings_token_cipher(settings).decrypt(encrypted.encode()).decode() if encrypted else ""
