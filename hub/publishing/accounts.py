"""Locations' social accounts: connecting them through each network's OAuth, keeping their tokens
fresh, telling people when one breaks, and re-encrypting tokens under a new key.

The OAuth dance: `start_connect` records an `OAuthGrant` (the state only as its SHA-256 digest,
the PKCE verifier encrypted) and gives the network's consent URL; the network sends the user
back to `finish_connect` with a code, which becomes tokens and then the list of pages,
organizations or channels those tokens may publish to. One target is connected at once; with
several, the tokens wait on the grant (encrypted) until the user picks one (`choose_target`).
Tokens never leave the server: not in pages, API answers, logs or error messages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hub.accounts.actor import Actor
from hub.accounts.models import Membership, User
from hub.accounts.security import _fernet_key, secret_digest, settings_token_cipher
from hub.audit.service import record as audit
from hub.config import Settings, parse_duration
from hub.db import Database, utcnow
from hub.errors import Forbidden, HubError, Invalid, NotFound
from hub.i18n import N_, translate, translate_message
from hub.locations.models import Location
from hub.notifications import mailer
from hub.notifications.service import _local_managers, digest_language
from hub.publishing.connectors import CONNECTORS, connector_class, get_connector
from hub.publishing.connectors.base import (
    AccountBroken,
    ConnectTarget,
    Connector,
    OutcomeUnknown,
    PublishRefused,
    TokenSet,
    TransientBeforeSend,
)
from hub.publishing.models import NETWORKS, OAuthGrant, SocialAccount
from hub.webhooks import service as webhooks
from hub.webhooks.models import Webhook

log = logging.getLogger("pieuvre.accounts")

# The consent and the choice of a page must both happen within this delay of clicking "Connect".
GRANT_TTL = timedelta(minutes=10)
# An active account whose token dies within this delay shows as "expiring soon".
EXPIRING_SOON = timedelta(days=7)
# A refresh claimed by a worker keeps the account for this long (a second worker leaves it alone).
REFRESH_LEASE = timedelta(minutes=2)
BROKEN_STATUSES = ("expired", "revoked", "missing_permission")
# What the octopus map shows per account, in order of gravity.
HEALTHS = ("active", "expiring", "expired", "revoked", "missing_permission", "disconnected")
ACCOUNT_BROKEN_EVENT = "account.broken"

# Messages of a connection that could not finish (English msgids, French in hub/i18n/fr_accounts.py).
STATE_UNKNOWN = N_("This connection link is unknown or was already used: start again from the location's accounts page.")
STATE_EXPIRED = N_("This connection took more than 10 minutes: start again from the location's accounts page.")
STATE_OTHER_USER = N_("This connection was started by another user: start your own from the location's accounts page.")
ACCESS_DENIED = N_("{network} access was not granted, so nothing was connected. To connect, click Connect again and accept every permission asked.")
NETWORK_REFUSED = N_("{network} refused the connection: {reason}")
NO_TARGET = N_("{network} gave access to nothing Pieuvre can publish to. Check that you manage at least one {target} and that you granted every permission asked ({scopes}), then connect again.")
TARGET_KIND = {
    "facebook": "Facebook Page", "instagram": "Instagram professional account", "linkedin": "LinkedIn organization page",
    "x": "X account", "google_business": "Google Business Profile location", "youtube": "YouTube channel",
}


class ConnectFailed(HubError):
    """A connection that cannot finish; the message says what to do (shown on an error page, nothing changed)."""

    status_code = 400


@dataclass
class ConnectOutcome:
    """What the network's answer led to: an account connected, a choice to make, or an error to show."""

    kind: str  # "connected", "choose", "failed"
    grant: OAuthGrant | None = None
    account: SocialAccount | None = None
    message: str = ""
    values: dict[str, Any] | None = None


# ---------------------------------------------------------------- who may, and what is possible


def may_manage(actor: Actor, location: Location) -> bool:
    """HQ (admins and editors) for every location of the brand; a local manager for their own locations."""
    if actor.brand_id != location.brand_id:
        return False
    return actor.is_hq or (actor.role == "local_manager" and location.id in actor.location_ids)


def require_manage(actor: Actor, location: Location) -> None:
    """Forbidden unless the actor may connect and disconnect this location's accounts."""
    if not may_manage(actor, location):
        raise Forbidden("Only HQ or this location's local manager can connect or disconnect its accounts.")


def credentials_prefix(network: str) -> str:
    """The settings prefix of a network's OAuth app (YouTube and Google Business share Google's)."""
    return "google" if network in ("google_business", "youtube") else network


def credential_variables(network: str) -> str:
    """The environment variables an admin sets for a network's OAuth app."""
    prefix = f"PIEUVRE_{credentials_prefix(network).upper()}_CLIENT_"
    return f"{prefix}ID/{prefix}SECRET"


def speaks_oauth(network: str) -> bool:
    """Whether the network's connector implements the OAuth connection."""
    if network not in CONNECTORS:
        return False
    try:
        cls = connector_class(network)
    except ImportError:  # the connector is not written yet
        return False
    return cls.authorize_url is not Connector.authorize_url


def oauth_configured(settings: Settings, network: str) -> bool:
    """Whether the admin set the network's client id and secret."""
    prefix = credentials_prefix(network)
    return bool(getattr(settings, f"{prefix}_client_id", "") and getattr(settings, f"{prefix}_client_secret", ""))


def connect_options(settings: Settings) -> list[dict[str, Any]]:
    """Per network: whether its Connect button works, and if not, what the admin must do."""
    return [{"network": network, "oauth": speaks_oauth(network), "configured": oauth_configured(settings, network),
             "variables": credential_variables(network)} for network in NETWORKS]


def redirect_uri(settings: Settings, network: str) -> str:
    """Where the network sends the user back (register exactly this in the network's app settings)."""
    return f"{settings.base_url.rstrip('/')}/accounts/oauth/callback/{network}"


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(64)[:96]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _encrypt(settings: Settings, value: str) -> str:
    return settings_token_cipher(settings).encrypt(value.encode()).decode() if value else ""


def _decrypt(settings: Settings, value: str) -> str:
    return settings_token_cipher(settings).decrypt(value.encode()).decode() if value else ""


# ---------------------------------------------------------------- connecting


async def start_connect(session: AsyncSession, settings: Settings, actor: Actor, location: Location,
                        network: str) -> str:
    """Record a grant for this user, location and network; the network's consent URL to send the user to."""
    require_manage(actor, location)
    if network not in NETWORKS:
        raise NotFound("Unknown network '{network}': use one of {networks}.", network=network,
                       networks=", ".join(NETWORKS))
    if not speaks_oauth(network):
        raise ConnectFailed("{network} accounts cannot be connected through OAuth yet: attach them with tokens "
                            "through the API (POST /api/v1/locations/<id>/accounts).", network=network)
    if not oauth_configured(settings, network):
        raise ConnectFailed("The admin must set {variables} (the app credentials from {network}'s developer "
                            "portal) before accounts can be connected.", network=network,
                            variables=credential_variables(network))
    connector = get_connector(network, None, settings)
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair() if connector.pkce else ("", None)
    grant = OAuthGrant(
        brand_id=location.brand_id, user_id=actor.user.id, location_id=location.id, network=network,
        state_digest=secret_digest(state), code_verifier_encrypted=_encrypt(settings, verifier),
        redirect_uri=redirect_uri(settings, network), expires_at=utcnow() + GRANT_TTL,
    )
    session.add(grant)
    await session.flush()
    log.info("accounts.connect_started grant_id=%s network=%s location_id=%s", grant.id, network, location.id)
    return connector.authorize_url(state=state, redirect_uri=grant.redirect_uri, code_challenge=challenge)


async def _grant_for(session: AsyncSession, actor: Actor, network: str, state: str) -> OAuthGrant:
    """The pending grant of this state, for this user and network; ConnectFailed otherwise."""
    grant = await session.scalar(select(OAuthGrant).where(OAuthGrant.state_digest == secret_digest(state or "")))
    if grant is None or grant.network != network or grant.status != "pending":
        raise ConnectFailed(STATE_UNKNOWN)
    if grant.user_id != actor.user.id:
        raise ConnectFailed(STATE_OTHER_USER)
    if grant.expires_at <= utcnow():
        raise ConnectFailed(STATE_EXPIRED)
    return grant


def _tokens_json(tokens: TokenSet) -> dict[str, Any]:
    return {"access_token": tokens.access_token, "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None}


def _tokens_from(data: dict[str, Any]) -> TokenSet:
    expires = data.get("expires_at")
    return TokenSet(access_token=data["access_token"], refresh_token=data.get("refresh_token"),
                    expires_at=datetime.fromisoformat(expires) if expires else None)


async def finish_connect(session: AsyncSession, settings: Settings, actor: Actor, network: str, *, state: str,
                         code: str = "", error: str = "", error_description: str = "") -> ConnectOutcome:
    """Turn the network's answer into a connected account, a choice of targets, or an explained failure.

    A state that is unknown, used, expired or another user's raises ConnectFailed (nothing changes);
    after that, the grant is used up whatever happens, so a code can never be replayed.
    """
    grant = await _grant_for(session, actor, network, state)
    location = await session.get(Location, grant.location_id)
    require_manage(actor, location)
    label = connector_class(network).label
    grant.status = "failed"  # used from now on; set to "authorized" or "done" below when it goes well
    if error or not code:
        # The user declined on the network's consent page (error=access_denied), or the network failed.
        grant.error = error or "no code"
        if error in ("access_denied", "user_cancelled_login", "user_cancelled_authorize", ""):
            return ConnectOutcome("failed", grant, message=ACCESS_DENIED, values={"network": label})
        return ConnectOutcome("failed", grant, message=NETWORK_REFUSED,
                              values={"network": label, "reason": (error_description or error)[:300]})
    connector = get_connector(network, None, settings)
    try:
        tokens = await connector.exchange_code(code=code, redirect_uri=grant.redirect_uri,
                                               code_verifier=_decrypt(settings, grant.code_verifier_encrypted) or None)
        targets = await connector.list_targets(tokens)
    except (PublishRefused, TransientBeforeSend, OutcomeUnknown) as failure:
        grant.error = str(failure)[:500]
        log.warning("accounts.connect_failed grant_id=%s network=%s error=%s", grant.id, network, type(failure).__name__)
        return ConnectOutcome("failed", grant, message=NETWORK_REFUSED, values={"network": label, "reason": str(failure)})
    grant.code_verifier_encrypted = ""
    if not targets:
        grant.error = "no target"
        return ConnectOutcome("failed", grant, message=NO_TARGET, values={
            "network": label, "target": TARGET_KIND.get(network, network), "scopes": ", ".join(connector.scopes)})
    if len(targets) == 1:
        account = await connect_target(session, settings, actor, location, network, targets[0], tokens, connector)
        grant.status = "done"
        return ConnectOutcome("connected", grant, account=account)
    # Several pages: keep every token (encrypted) on the grant until the user picks one.
    grant.status = "authorized"
    grant.targets = [{"external_id": target.external_id, "display_name": target.display_name} for target in targets]
    grant.tokens_encrypted = _encrypt(settings, json.dumps({
        "user": _tokens_json(tokens),
        "targets": {target.external_id: _tokens_json(target.tokens) for target in targets if target.tokens},
    }))
    return ConnectOutcome("choose", grant)


async def authorized_grant(session: AsyncSession, actor: Actor, grant_id: str) -> OAuthGrant:
    """A grant of this user waiting for the choice of a target; ConnectFailed otherwise."""
    grant = await session.get(OAuthGrant, grant_id)
    if grant is None or grant.status != "authorized":
        raise ConnectFailed(STATE_UNKNOWN)
    if grant.user_id != actor.user.id:
        raise ConnectFailed(STATE_OTHER_USER)
    if grant.expires_at <= utcnow():
        raise ConnectFailed(STATE_EXPIRED)
    return grant


async def choose_target(session: AsyncSession, settings: Settings, actor: Actor, grant_id: str,
                        external_id: str) -> SocialAccount:
    """Connect the target the user picked among the grant's; the grant's tokens are then wiped."""
    grant = await authorized_grant(session, actor, grant_id)
    chosen = next((target for target in grant.targets if target["external_id"] == external_id), None)
    if chosen is None:
        raise Invalid("Pick one of the listed pages.", errors=[{"field": "external_id", "message": "pick one"}])
    location = await session.get(Location, grant.location_id)
    require_manage(actor, location)
    stored = json.loads(_decrypt(settings, grant.tokens_encrypted))
    user_tokens = _tokens_from(stored["user"])
    own = stored["targets"].get(external_id)
    target = ConnectTarget(external_id, chosen["display_name"], _tokens_from(own) if own else None)
    account = await connect_target(session, settings, actor, location, grant.network, target, user_tokens,
                                   get_connector(grant.network, None, settings))
    grant.status, grant.tokens_encrypted, grant.targets = "done", "", []
    return account


async def connect_target(session: AsyncSession, settings: Settings, actor: Actor | None, location: Location,
                         network: str, target: ConnectTarget, tokens: TokenSet, connector: Connector) -> SocialAccount:
    """Store the target as the location's account (its own token if it has one), or reconnect it when it exists."""
    own = target.tokens or tokens
    granted = own.extra.get("scope") or tokens.extra.get("scope") or " ".join(connector.scopes)
    now = utcnow()
    values = {
        "display_name": target.display_name or target.external_id,
        "access_token_encrypted": _encrypt(settings, own.access_token),
        "refresh_token_encrypted": _encrypt(settings, own.refresh_token or ""),
        "expires_at": own.expires_at, "status": "active", "status_detail": "", "broken_notified_at": None,
        "scopes": " ".join(granted) if isinstance(granted, (list, tuple)) else str(granted),
        "refreshed_at": now, "connector": network,
    }
    account = await session.scalar(select(SocialAccount).where(
        SocialAccount.location_id == location.id, SocialAccount.network == network,
        SocialAccount.external_id == target.external_id))
    before = None
    if account is None:
        account = SocialAccount(brand_id=location.brand_id, location_id=location.id, network=network,
                                external_id=target.external_id, **values)
        session.add(account)
        action = "account.connected"
    else:
        before = {"status": account.status, "status_detail": account.status_detail}
        for name, value in values.items():
            setattr(account, name, value)
        action = "account.reconnected"
    await session.flush()
    audit(session, brand_id=location.brand_id, actor_id=actor.user.id if actor else None, action=action,
          subject_type="social_account", subject_id=account.id, before=before,
          after={"network": network, "external_id": account.external_id, "display_name": account.display_name,
                 "location_id": location.id, "status": "active"})
    log.info("accounts.connected account_id=%s network=%s location_id=%s reconnect=%s", account.id, network,
             location.id, before is not None)
    return account


async def disconnect(session: AsyncSession, actor: Actor, location: Location, account_id: str) -> SocialAccount:
    """Stop publishing on an account: its tokens are wiped; its publications stay in the history."""
    require_manage(actor, location)
    account = await session.scalar(select(SocialAccount).where(SocialAccount.id == account_id,
                                                               SocialAccount.location_id == location.id))
    if account is None:
        raise NotFound("No account with id {id} on this location.", id=account_id)
    before = {"status": account.status}
    account.status, account.status_detail = "disconnected", ""
    account.access_token_encrypted = account.refresh_token_encrypted = ""
    account.expires_at = None
    audit(session, brand_id=location.brand_id, actor_id=actor.user.id, action="account.disconnected",
          subject_type="social_account", subject_id=account.id, before=before,
          after={"status": "disconnected", "network": account.network, "external_id": account.external_id})
    await session.flush()
    return account


async def location_accounts(session: AsyncSession, location_id: str) -> list[SocialAccount]:
    """A location's accounts, by network."""
    return list(await session.scalars(select(SocialAccount).where(SocialAccount.location_id == location_id)
                                      .order_by(SocialAccount.network, SocialAccount.display_name)))


def health(account: SocialAccount, now: datetime) -> str:
    """What the octopus map says of an account: active, expiring, expired, revoked, missing_permission, disconnected."""
    if account.status != "active":
        return account.status
    if account.expires_at is not None and account.expires_at <= now + EXPIRING_SOON and not account.refresh_token_encrypted:
        # A token that refreshes itself is not "expiring": only one that needs a person does.
        return "expiring"
    return "active"


def account_view(account: SocialAccount, now: datetime) -> dict[str, Any]:
    """An account as pages and the API show it: never its tokens."""
    return {
        "id": account.id, "location_id": account.location_id, "network": account.network,
        "connector": account.connector, "external_id": account.external_id, "display_name": account.display_name,
        "status": account.status, "status_detail": account.status_detail, "health": health(account, now),
        "expires_at": account.expires_at, "refreshed_at": account.refreshed_at, "scopes": account.scopes,
        "created_at": account.created_at,
    }


# ---------------------------------------------------------------- refresh and breakage


def _refresh_ahead(settings: Settings) -> timedelta:
    return parse_duration(settings.token_refresh_ahead)


async def due_refreshes(session: AsyncSession, settings: Settings, now: datetime, limit: int = 500) -> list[str]:
    """Active accounts whose token expires within token_refresh_ahead, soonest first."""
    return list(await session.scalars(
        select(SocialAccount.id)
        .where(SocialAccount.status == "active", SocialAccount.connector != "sandbox",
               SocialAccount.expires_at.is_not(None), SocialAccount.expires_at <= now + _refresh_ahead(settings),
               or_(SocialAccount.refreshed_at.is_(None), SocialAccount.refreshed_at < now - REFRESH_LEASE))
        .order_by(SocialAccount.expires_at).limit(limit)))


async def refresh_account(database: Database, settings: Settings, account_id: str, now: datetime | None = None) -> str:
    """Refresh one account's token: "refreshed", "no_expiry", "broken", "retry" or "skipped" (another worker has it)."""
    now = now or utcnow()
    async with database.session() as session:
        # The claim: two workers never spend the same (single-use) refresh token.
        claimed = await session.execute(
            update(SocialAccount)
            .where(SocialAccount.id == account_id, SocialAccount.status == "active",
                   or_(SocialAccount.refreshed_at.is_(None), SocialAccount.refreshed_at < now - REFRESH_LEASE))
            .values(refreshed_at=now).returning(SocialAccount.id))
        if claimed.scalar() is None:
            return "skipped"
        account = await session.get(SocialAccount, account_id, populate_existing=True)
    connector = get_connector(account.connector, database, settings)
    try:
        tokens = await connector.refresh_token(account)
    except AccountBroken as broken:
        await mark_broken(database, account_id, broken.account_status, str(broken),
                          seen_token=account.access_token_encrypted)
        log.warning("accounts.refresh_broken account_id=%s network=%s status=%s", account_id, account.network,
                    broken.account_status)
        return "broken"
    except (TransientBeforeSend, OutcomeUnknown, PublishRefused) as error:
        log.warning("accounts.refresh_failed account_id=%s network=%s error=%s", account_id, account.network,
                    type(error).__name__)
        return "retry"  # the lease lapses and a later run tries again, while the token still works
    async with database.session() as session:
        if tokens is None:
            await session.execute(update(SocialAccount).where(SocialAccount.id == account_id).values(expires_at=None))
            return "no_expiry"
        values = {"access_token_encrypted": _encrypt(settings, tokens.access_token), "expires_at": tokens.expires_at,
                  "refreshed_at": utcnow()}
        if tokens.refresh_token:  # networks that rotate refresh tokens (X) send a new one; others keep the old
            values["refresh_token_encrypted"] = _encrypt(settings, tokens.refresh_token)
        await session.execute(update(SocialAccount).where(
            SocialAccount.id == account_id, SocialAccount.access_token_encrypted == account.access_token_encrypted)
            .values(**values))
    log.info("accounts.refreshed account_id=%s network=%s", account_id, account.network)
    return "refreshed"


async def mark_broken(database: Database, account_id: str, status: str, detail: str,
                      seen_token: str | None = None) -> None:
    """Mark an account expired, revoked or missing a permission (unless it was reconnected meanwhile)."""
    async with database.session() as session:
        query = update(SocialAccount).where(SocialAccount.id == account_id, SocialAccount.status == "active")
        if seen_token is not None:
            query = query.where(SocialAccount.access_token_encrypted == seen_token)
        await session.execute(query.values(status=status if status in BROKEN_STATUSES else "expired",
                                           status_detail=detail[:1000]))


async def refresh_due(database: Database, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Refresh every token expiring soon, then tell people of accounts that broke; the counts of each outcome."""
    now = now or utcnow()
    async with database.session() as session:
        account_ids = await due_refreshes(session, settings, now)
    counts: dict[str, int] = {}
    for account_id in account_ids:
        outcome = await refresh_account(database, settings, account_id, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    counts["notified"] = await notify_broken(database, settings, now)
    return counts


async def notify_broken(database: Database, settings: Settings, now: datetime | None = None) -> int:
    """Tell each broken account's location and HQ once per breakage: an e-mail and the account.broken webhook."""
    now = now or utcnow()
    async with database.session() as session:
        rows = (await session.execute(
            select(SocialAccount, Location)
            .join(Location, Location.id == SocialAccount.location_id)
            .where(SocialAccount.status.in_(BROKEN_STATUSES), SocialAccount.broken_notified_at.is_(None))
            .limit(500))).all()
    told = 0
    for account, location in rows:
        async with database.session() as session:
            # The claim and the webhook's outbox row commit together: once per breakage, even with two workers.
            claimed = await session.execute(
                update(SocialAccount).where(SocialAccount.id == account.id, SocialAccount.broken_notified_at.is_(None),
                                            SocialAccount.status.in_(BROKEN_STATUSES))
                .values(broken_notified_at=now).returning(SocialAccount.id))
            if claimed.scalar() is None:
                continue
            await webhooks.emit(session, account.brand_id, ACCOUNT_BROKEN_EVENT,
                                f"{ACCOUNT_BROKEN_EVENT}:{account.id}:{now.isoformat()}", broken_payload(account, location))
            recipients = await _broken_recipients(session, account.brand_id, location.id)
        for email, name, language in recipients:
            try:
                await mailer.send(settings, broken_mail(settings, account, location, email, name, language))
            except mailer.MailError as error:
                # The webhook and the octopus map still say it; a mail server down must not repeat the webhook.
                log.warning("accounts.broken_mail_failed account_id=%s error=%s", account.id, error)
        told += 1
        log.info("accounts.broken_notified account_id=%s network=%s status=%s recipients=%d", account.id,
                 account.network, account.status, len(recipients))
    return told


def broken_payload(account: SocialAccount, location: Location) -> dict[str, Any]:
    """The account.broken webhook payload (no token, ever)."""
    return {"account_id": account.id, "location_id": location.id, "location_code": location.code,
            "network": account.network, "external_id": account.external_id, "display_name": account.display_name,
            "status": account.status, "detail": account.status_detail}


async def _broken_recipients(session: AsyncSession, brand_id: str, location_id: str) -> list[tuple[str, str, str]]:
    """(e-mail, name, language) of the location's local managers and the brand's HQ admins."""
    managers = (await _local_managers(session, {brand_id})).get((brand_id, location_id), [])
    admins = await session.scalars(select(Membership.user_id).where(Membership.brand_id == brand_id,
                                                                    Membership.role == "hq_admin"))
    user_ids = list(dict.fromkeys([*managers, *admins]))
    if not user_ids:
        return []
    rows = await session.execute(select(User.email, User.name, User.ui_language).where(User.id.in_(user_ids))
                                 .order_by(User.email))
    return [(email, name or "", digest_language(language)) for email, name, language in rows]


def broken_mail(settings: Settings, account: SocialAccount, location: Location, email: str, name: str,
                language: str) -> mailer.Mail:
    """The e-mail saying an account broke, what the network said, and where to reconnect it."""
    def _(message: str, **values: Any) -> str:
        return translate(message, language, **values)

    network = connector_class(account.network).label if account.network in CONNECTORS else account.network
    link = f"{settings.base_url.rstrip('/')}/locations/{location.id}/accounts"
    status = {"expired": _("Token expired"), "revoked": _("Access withdrawn"),
              "missing_permission": _("Missing permission")}.get(account.status, account.status)
    subject = _("Pieuvre: the {network} account of {location} must be reconnected", network=network,
                location=location.name)
    lines = [
        _("Hello {name},", name=name or email),
        _("The {network} account “{account}” of {location} ({code}) stopped working: nothing will be published on it until it is reconnected.",
          network=network, account=account.display_name, location=location.name, code=location.code),
        f"{_('Status')}: {status}",
        f"{_('What the network said')}: {translate_message(account.status_detail, language) if account.status_detail else '—'}",
        _("Reconnect it here: {link}", link=link),
    ]
    html = "".join(f"<p>{escape(line)}</p>" for line in lines[:-1])
    html += f'<p><a href="{escape(link)}">{escape(_("Reconnect the account"))}</a></p>'
    return mailer.Mail(to=email, subject=subject, text="\n\n".join(lines) + "\n", html=html)


# ---------------------------------------------------------------- key rotation


async def rotate_token_keys(database: Database, settings: Settings, batch: int = 500) -> dict[str, int]:
    """Re-encrypt every stored token and webhook secret with the first of PIEUVRE_TOKEN_KEYS.

    MultiFernet.rotate opens each value with whichever configured key works and seals it with the
    first one. Values already sealed with the first key are left alone, so running it twice changes
    nothing. Returns how many values were re-encrypted and how many were already current.
    """
    cipher = settings_token_cipher(settings)
    newest = Fernet(_fernet_key(settings.token_key_list()[0]))
    counts = {"rotated": 0, "current": 0}
    columns = ((SocialAccount, ("access_token_encrypted", "refresh_token_encrypted")),
               (OAuthGrant, ("code_verifier_encrypted", "tokens_encrypted")),
               (Webhook, ("secret_encrypted",)))
    for model, names in columns:
        last_id = ""
        while True:
            async with database.session() as session:
                rows = list(await session.scalars(select(model).where(model.id > last_id).order_by(model.id).limit(batch)))
                for row in rows:
                    for name in names:
                        value = getattr(row, name)
                        if not value:
                            continue
                        try:
                            newest.decrypt(value.encode())
                            counts["current"] += 1
                            continue
                        except InvalidToken:
                            pass
                        setattr(row, name, cipher.rotate(value.encode()).decode())
                        counts["rotated"] += 1
            if len(rows) < batch:
                break
            last_id = rows[-1].id
    return counts


# ---------------------------------------------------------------- the octopus map


def health_condition(health_name: str, now: datetime):
    """The SQL condition on SocialAccount for one health of the octopus map."""
    if health_name == "active":
        return and_(SocialAccount.status == "active",
                    or_(SocialAccount.expires_at.is_(None), SocialAccount.expires_at > now + EXPIRING_SOON,
                        SocialAccount.refresh_token_encrypted != ""))
    if health_name == "expiring":
        return and_(SocialAccount.status == "active", SocialAccount.expires_at.is_not(None),
                    SocialAccount.expires_at <= now + EXPIRING_SOON, SocialAccount.refresh_token_encrypted == "")
    return SocialAccount.status == health_name


SILENT_AFTER = timedelta(days=30)


async def octopus_map(session: AsyncSession, brand_id: str, now: datetime, *, region: str = "", network: str = "",
                      health_name: str = "", limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Every location of the brand with its accounts' health and last publication, and the summary bar.

    One query per concern (count, page of locations, their accounts, their last publications,
    the summary figures, the regions), whatever the number of locations.
    """
    from hub.publishing.models import Publication

    conditions = [Location.brand_id == brand_id]
    if region:
        conditions.append(Location.region == region)
    if network or health_name:
        account_filter = [SocialAccount.location_id == Location.id]
        if network:
            account_filter.append(SocialAccount.network == network)
        if health_name:
            account_filter.append(health_condition(health_name, now))
        conditions.append(select(SocialAccount.id).where(*account_filter).exists())
    total = await session.scalar(select(func.count()).select_from(Location).where(*conditions)) or 0
    locations = list(await session.scalars(select(Location).where(*conditions).order_by(Location.code)
                                           .limit(limit).offset(offset)))
    ids = [location.id for location in locations]
    accounts: dict[str, list[dict[str, Any]]] = {location_id: [] for location_id in ids}
    last: dict[str, Any] = {}
    if ids:
        for account in await session.scalars(select(SocialAccount).where(SocialAccount.location_id.in_(ids))
                                             .order_by(SocialAccount.network, SocialAccount.display_name)):
            accounts[account.location_id].append(account_view(account, now))
        ranked = (select(Publication.location_id, Publication.status, Publication.network, Publication.url,
                         func.coalesce(Publication.published_at, Publication.due_at).label("at"),
                         func.row_number().over(partition_by=Publication.location_id,
                                                order_by=(func.coalesce(Publication.published_at, Publication.due_at).desc(),
                                                          Publication.id.desc())).label("rank"))
                  .where(Publication.location_id.in_(ids), Publication.status != "cancelled",
                         Publication.due_at <= now).subquery())
        for row in await session.execute(select(ranked).where(ranked.c.rank == 1)):
            last[row.location_id] = row
    broken = SocialAccount.status.in_(BROKEN_STATUSES)
    in_brand = Location.brand_id == brand_id
    has_account = select(SocialAccount.id).where(SocialAccount.location_id == Location.id,
                                                 SocialAccount.status != "disconnected").exists()
    has_broken = select(SocialAccount.id).where(SocialAccount.location_id == Location.id, broken).exists()
    published_lately = select(Publication.id).where(Publication.location_id == Location.id,
                                                    Publication.status == "published",
                                                    Publication.published_at >= now - SILENT_AFTER).exists()
    summary_row = (await session.execute(select(
        func.count(),
        func.coalesce(func.sum(case((has_account & ~has_broken, 1), else_=0)), 0),
        func.coalesce(func.sum(case((~published_lately, 1), else_=0)), 0),
    ).select_from(Location).where(in_brand))).one()
    broken_accounts = await session.scalar(select(func.count()).select_from(SocialAccount)
                                           .where(SocialAccount.brand_id == brand_id, broken)) or 0
    regions = sorted(set(await session.scalars(select(Location.region).where(in_brand).distinct())) - {""})
    return {
        "locations": [{"location": location, "accounts": accounts[location.id], "last": last.get(location.id)}
                      for location in locations],
        "total": total, "regions": regions,
        "summary": {"locations": summary_row[0], "healthy": summary_row[1], "silent": summary_row[2],
                    "broken": broken_accounts},
    }
