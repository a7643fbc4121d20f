"""Password hashing, secrets and the cipher of social tokens at rest."""

from __future__ import annotations

import pytest
from cryptography.fernet import InvalidToken

from hub.accounts.security import (
    hash_password,
    new_secret,
    same,
    secret_digest,
    token_cipher,
    verify_password,
)

PASSWORD = "correct-horse-battery"


class TestPasswords:
    def test_hash_is_argon2id_and_verifies(self):
        hashed = hash_password(PASSWORD)

        assert hashed.startswith("$argon2id$")
        assert PASSWORD not in hashed
        assert verify_password(hashed, PASSWORD) is True

    def test_unicode_password_round_trips(self):
        password = "Mot de passe très sûr 🔒 ß"

        assert verify_password(hash_password(password), password) is True

    @pytest.mark.parametrize("attempt", ["correct-horse-batterY", "correct-horse-battery ", "", "x" * 200])
    def test_wrong_password_is_false(self, attempt):
        assert verify_password(hash_password(PASSWORD), attempt) is False

    def test_same_password_hashes_differently_each_time(self):
        first, second = hash_password(PASSWORD), hash_password(PASSWORD)

        assert first != second
        assert verify_password(first, PASSWORD) and verify_password(second, PASSWORD)

    @pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$garbage"])
    def test_missing_or_broken_hash_is_false_not_an_error(self, stored):
        assert verify_password(stored, PASSWORD) is False

    def test_unknown_user_is_false_even_with_the_timing_equalizer_password(self):
        assert verify_password(None, "pieuvre-timing-equalizer") is False


class TestSecrets:
    def test_new_secrets_are_long_and_unique(self):
        secrets = {new_secret() for _ in range(100)}

        assert len(secrets) == 100
        assert all(len(secret) >= 40 for secret in secrets)

    def test_digest_is_stable_and_hides_the_secret(self):
        secret = new_secret()

        assert secret_digest(secret) == secret_digest(secret)
        assert secret not in secret_digest(secret)
        assert len(secret_digest(secret)) == 64

    def test_digest_is_sha256_hex(self):
        assert secret_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    def test_different_secrets_have_different_digests(self):
        assert secret_digest("token-a") != secret_digest("token-b")

    def test_constant_time_comparison(self):
        assert same("abc", "abc") is True
        assert same("abc", "abd") is False
        assert same("abc", "ab") is False


class TestTokenCipher:
    TOKEN = "EAAGm0PX4ZCpsBAKZC-access-token-1234567890"

    def test_encrypts_to_something_without_the_token_and_decrypts_back(self):
        cipher = token_cipher(["key-one"])

        encrypted = cipher.encrypt(self.TOKEN.encode())

        assert self.TOKEN.encode() not in encrypted
        assert b"access-token" not in encrypted
        assert cipher.decrypt(encrypted).decode() == self.TOKEN

    def test_same_token_encrypts_differently_each_time(self):
        cipher = token_cipher(["key-one"])

        assert cipher.encrypt(self.TOKEN.encode()) != cipher.encrypt(self.TOKEN.encode())

    def test_another_key_cannot_decrypt(self):
        encrypted = token_cipher(["key-one"]).encrypt(self.TOKEN.encode())

        with pytest.raises(InvalidToken):
            token_cipher(["key-two"]).decrypt(encrypted)

    def test_same_secret_key_gives_the_same_cipher_across_restarts(self):
        encrypted = token_cipher(["key-one"]).encrypt(self.TOKEN.encode())

        assert token_cipher(["key-one"]).decrypt(encrypted).decode() == self.TOKEN

    def test_rotation_reads_old_tokens_and_writes_with_the_new_key(self):
        old = token_cipher(["old-key"]).encrypt(self.TOKEN.encode())
        rotated = token_cipher(["new-key", "old-key"])

        assert rotated.decrypt(old).decode() == self.TOKEN
        fresh = rotated.encrypt(self.TOKEN.encode())
        assert token_cipher(["new-key"]).decrypt(fresh).decode() == self.TOKEN
        with pytest.raises(InvalidToken):
            token_cipher(["old-key"]).decrypt(fresh)

    def test_tampered_ciphertext_is_refused(self):
        cipher = token_cipher(["key-one"])
        encrypted = bytearray(cipher.encrypt(self.TOKEN.encode()))
        encrypted[-5] = ord("A") if encrypted[-5] != ord("A") else ord("B")

        with pytest.raises(InvalidToken):
            cipher.decrypt(bytes(encrypted))
