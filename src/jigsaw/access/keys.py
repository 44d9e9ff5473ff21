"""Keys for account secrets, derived from ``JIGSAW_SECRET_KEY``.

Two purposes, two keys, neither usable for the other (HKDF with distinct
``info`` labels): one encrypts TOTP secrets at rest with AES-256-GCM, the other
makes the keyed hash that names a sign-in throttle without storing the email.

TOTP secrets are bound to their row by the associated data, so a ciphertext
copied onto another practitioner does not decrypt. Rotating the secret key makes
stored TOTP secrets unreadable: those practitioners must enrol again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
_TOTP_INFO = b"jigsaw/accounts/totp-secret/v1"
_THROTTLE_INFO = b"jigsaw/accounts/sign-in-throttle/v1"


class SecretUnreadable(Exception):
    """A stored secret did not decrypt: wrong key, altered, or moved between rows."""


def _derive(secret_key: str, info: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return hkdf.derive(secret_key.encode())


@dataclass(frozen=True)
class AccountKeys:
    totp_key: bytes
    throttle_key: bytes

    @classmethod
    def from_secret(cls, secret_key: str) -> AccountKeys:
        return _cached_keys(secret_key)

    @staticmethod
    def _totp_aad(practitioner_id: int) -> bytes:
        return f"practitioners.totp_secret:{practitioner_id}".encode()

    def seal_totp_secret(self, practitioner_id: int, secret: str) -> bytes:
        """Encrypt a base32 TOTP secret for one practitioner's row: nonce then ciphertext."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.totp_key).encrypt(
            nonce, secret.encode(), self._totp_aad(practitioner_id)
        )
        return nonce + sealed

    def open_totp_secret(self, practitioner_id: int, stored: bytes) -> str:
        nonce, sealed = stored[:NONCE_BYTES], stored[NONCE_BYTES:]
        try:
            plain = AESGCM(self.totp_key).decrypt(nonce, sealed, self._totp_aad(practitioner_id))
        except InvalidTag as exc:
            raise SecretUnreadable("The stored second-factor secret cannot be read") from exc
        return plain.decode()

    def throttle_key_for(self, email: str) -> bytes:
        """The name of an email address's failure counter, without the address."""
        normalised = email.strip().lower().encode()
        return hmac.new(self.throttle_key, normalised, hashlib.sha256).digest()


@lru_cache(maxsize=8)
def _cached_keys(secret_key: str) -> AccountKeys:
    return AccountKeys(
        totp_key=_derive(secret_key, _TOTP_INFO),
        throttle_key=_derive(secret_key, _THROTTLE_INFO),
    )
