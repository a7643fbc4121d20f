"""Password hashing, session secrets and token encryption."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, MultiFernet

_hasher = PasswordHasher()
# A hash to verify against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("pieuvre-timing-equalizer")

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; always spends one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    """A random secret for a session cookie or an API token."""
    return secrets.token_urlsafe(32)


def secret_digest(secret: str) -> str:
    """What the database keeps of a session or token secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two strings."""
    return hmac.compare_digest(a.encode(), b.encode())


def _fernet_key(secret_key: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(("tokens:" + secret_key).encode()).digest())


def token_cipher(secret_keys: list[str]) -> MultiFernet:
    """The cipher for social tokens at rest: encrypts with the first key, decrypts with any of them."""
    return MultiFernet([Fernet(_fernet_key(key)) for key in secret_keys])


def settings_token_cipher(settings) -> MultiFernet:
    """The token cipher of a deployment: PIEUVRE_TOKEN_KEYS (newest first), else the secret key."""
    return token_cipher(settings.token_key_list())
