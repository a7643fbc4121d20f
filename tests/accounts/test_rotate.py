"""`pieuvre rotate-token-keys`: every token and webhook secret re-encrypted with the newest key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import select

from hub.accounts.security import token_cipher
from hub.publishing.accounts import rotate_token_keys
from hub.publishing.models import SocialAccount
from hub.webhooks.models import Webhook
from tests.accounts.conftest import pointed_at
from tests.factories import make_network

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = "old-token-key-0123456789", "new-token-key-9876543210"


async def _stored(database):
    async with database.session() as session:
        account = await session.scalar(select(SocialAccount))
        webhook = await session.scalar(select(Webhook))
    return account, webhook


async def _network_with_secrets(database, settings):
    """An account with an access and refresh token, and a webhook secret, all under the old key."""
    from hub.locations.models import Location
    from hub.publishing.service import connect_account

    network = await make_network(database, settings, locations=1, networks=())
    with pointed_at(settings, token_keys=OLD):
        async with database.session() as session:
            location = await session.get(Location, network.locations[0].id)
            await connect_account(session, settings, location, network="x", external_id="42",
                                  access_token="x-access-secret", refresh_token="x-refresh-secret")
            session.add(Webhook(brand_id=network.brand_id, url="https://hooks.example.com/p", events=["account.broken"],
                                secret_encrypted=token_cipher([OLD]).encrypt(b"webhook-secret-123456").decode()))


def _opens(keys, value: str) -> str:
    return token_cipher(keys).decrypt(value.encode()).decode()


async def test_rotation_moves_every_secret_to_the_first_key_and_is_idempotent(database, settings):
    await _network_with_secrets(database, settings)
    account, webhook = await _stored(database)
    with pytest.raises(InvalidToken):
        _opens([NEW], account.access_token_encrypted)  # before: only the old key opens them
    with pointed_at(settings, token_keys=f"{NEW},{OLD}"):
        counts = await rotate_token_keys(database, settings)
        assert counts == {"rotated": 3, "current": 0}
        assert await rotate_token_keys(database, settings) == {"rotated": 0, "current": 3}
    account, webhook = await _stored(database)
    # After: the new key alone opens everything; the old key opens nothing.
    assert _opens([NEW], account.access_token_encrypted) == "x-access-secret"
    assert _opens([NEW], account.refresh_token_encrypted) == "x-refresh-secret"
    assert _opens([NEW], webhook.secret_encrypted) == "webhook-secret-123456"
    for value in (account.access_token_encrypted, account.refresh_token_encrypted, webhook.secret_encrypted):
        with pytest.raises(InvalidToken):
            _opens([OLD], value)


async def test_the_cli_command_rotates(database, settings):
    await _network_with_secrets(database, settings)
    environment = {**os.environ, "PIEUVRE_TOKEN_KEYS": f"{NEW},{OLD}", "PIEUVRE_DATABASE_URL": settings.database_url}
    result = subprocess.run([sys.executable, "-m", "hub.cli", "rotate-token-keys"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted 3 value(s)" in result.stdout
    account, webhook = await _stored(database)
    assert _opens([NEW], account.access_token_encrypted) == "x-access-secret"
    assert _opens([NEW], webhook.secret_encrypted) == "webhook-secret-123456"
