"""What every network connector does, and the errors that tell the scheduler what happened.

The scheduler never sends twice: it only retries after an error that proves nothing was
created (`TransientBeforeSend`); after a timeout or a lost answer (`OutcomeUnknown`) it asks
the connector to find the post on the account (`find_post`) before anything is sent again.
"""

from __future__ import annotations

import abc
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.publishing.models import SocialAccount


@dataclass(frozen=True)
class OutgoingPost:
    """What goes out on one account."""

    publication_id: str
    network: str
    text: str
    image_url: str | None = None

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
class TokenSet:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class TransientBeforeSend(Exception):
    """Nothing was created (refused before sending, or a documented retryable error): retry later."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class OutcomeUnknown(Exception):
    """The request may have reached the network (timeout, lost answer): reconcile before resending."""


class PublishRefused(Exception):
    """The network refused for good; `reason` tells the user what to do."""


class AccountBroken(PublishRefused):
    """The token is revoked or expired, or lacks a permission: the account needs reconnecting."""

    def __init__(self, reason: str, account_status: str = "expired") -> None:
        super().__init__(reason)
        self.account_status = account_status


class Connector(abc.ABC):
    """One network (or the sandbox) behind one interface."""

    name: str
    label: str

    @abc.abstractmethod
    async def create_post(self, account: SocialAccount, post: OutgoingPost) -> PublishedPost:
        """Publish `post` on `account`."""

    @abc.abstractmethod
    async def read_stats(self, account: SocialAccount, external_id: str, offset_label: str) -> Metrics:
        """The post's counters now (`offset_label` says which scheduled reading this is)."""

    @abc.abstractmethod
    async def find_post(self, account: SocialAccount, post: OutgoingPost, since: datetime) -> PublishedPost | None:
        """The post, if it reached the account after `since` (to settle an unknown outcome)."""

    @abc.abstractmethod
    async def refresh_token(self, account: SocialAccount) -> TokenSet | None:
        """A fresh token for the account, or None when its token does not expire."""
