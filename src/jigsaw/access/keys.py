"""Keys for account secrets, under the master key (``protection.keys``).

Three purposes, three keys, none usable for another: one encrypts TOTP secrets at
rest with AES-256-GCM, one encrypts the drafts a practitioner's session cookie
carries between question pages (``web.drafts``), and the last is the blind index
that names a sign-in throttle without storing the email.

TOTP secrets use a dedicated key rather than a data key per practitioner: they are
read at sign-in, before there is any transaction to hold a keyring, practitioners
are not subject to a child's retention schedule, so nothing would ever be shredded
per practitioner, and the row they live on is updated anyway (no seal id is needed:
the practitioner's id is known before the secret is stored). The key is derived
from the master key *and* ``JIGSAW_SECRET_KEY``, so a copy of the database and
either secret alone read nothing. Each stored secret names the master key it was
sealed under, so a master key rotation keeps them readable while the retired key
is still configured, and ``jigsaw protection rewrap`` re-seals each under the
current key before the retired one is removed. Rotating the secret key makes them
unreadable: sign-in then fails as a configuration error (never as a wrong code) until
an administrator resets those second factors and the practitioners enrol again.
The associated data binds each secret to its row, so a ciphertext copied onto
another practitioner does not decrypt.

Drafts are sealed the same way, with their own purpose label, and bound to the
practitioner and the kind of draft. They name no master key: a draft lives no
longer than a session, so after a rotation it is simply not found and the
practitioner starts again, and the cookie keeps the bytes a key id would take.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jigsaw.protection import keys as master_keys
from jigsaw.protection.blind import BlindIndex
from jigsaw.protection.keys import KeyUnavailable, MasterKey

NONCE_BYTES = 12
SEALED = b"jgs2"
"""Marks a secret sealed under the master key; older ones (no mark) used the secret key alone."""
_TOTP_PURPOSE = "accounts/totp-secret"
_LEGACY_TOTP_INFO = b"jigsaw/accounts/totp-secret/v1"
_DRAFT_PURPOSE = "web/session-draft"
_DRAFT_LABEL = b"jigsaw/session-draft/v1"


class SecretUnreadable(Exception):
    """A sealed secret or draft did not decrypt: wrong key, altered, or moved to another owner."""


def _hkdf(material: bytes, salt: bytes | None, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(material)


@dataclass(frozen=True, eq=False)
class AccountKeys:
    secret_key: str
    master: MasterKey
    throttle: BlindIndex
    _purpose_keys: dict[tuple[str, str], bytes] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def from_secret(cls, secret_key: str, master: MasterKey | None = None) -> AccountKeys:
        """Keys for this deployment: its secret key and (by default) its master key."""
        return _cached_keys(secret_key, master or master_keys.current())

    def _purpose_key(self, purpose: str, key_id: str) -> bytes:
        """One purpose's key under one master key, derived once (a KMS derives remotely)."""
        key = self._purpose_keys.get((purpose, key_id))
        if key is None:
            derived = self.master.derive(purpose, key_id)
            key = _hkdf(derived, self.secret_key.encode(), purpose.encode())
            self._purpose_keys[(purpose, key_id)] = key
        return key

    def _totp_key(self, key_id: str) -> bytes:
        return self._purpose_key(_TOTP_PURPOSE, key_id)

    @staticmethod
    def _totp_aad(practitioner_id: int, key_id: str = "") -> bytes:
        bound = f"practitioners.totp_secret:{practitioner_id}"
        return f"{bound}:{key_id}".encode() if key_id else bound.encode()

    def seal_totp_secret(self, practitioner_id: int, secret: str) -> bytes:
        """Encrypt a base32 TOTP secret for one practitioner's row.

        Stored as the mark, the master key id's length and the id, the nonce, then
        the ciphertext.
        """
        key_id = self.master.key_id
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self._totp_key(key_id)).encrypt(
            nonce, secret.encode(), self._totp_aad(practitioner_id, key_id)
        )
        name = key_id.encode()
        return SEALED + bytes([len(name)]) + name + nonce + sealed

    def open_totp_secret(self, practitioner_id: int, stored: bytes) -> str:
        if stored.startswith(SEALED):
            try:
                return self._open_sealed(practitioner_id, stored)
            except SecretUnreadable:
                pass  # or an older secret whose random nonce happens to begin with the mark
        return self._open_legacy(practitioner_id, stored)

    def _open_sealed(self, practitioner_id: int, stored: bytes) -> str:
        at = len(SEALED)
        length = stored[at]
        key_id = stored[at + 1 : at + 1 + length].decode(errors="replace")
        rest = stored[at + 1 + length :]
        try:
            key = self._totp_key(key_id)
            plain = AESGCM(key).decrypt(
                rest[:NONCE_BYTES], rest[NONCE_BYTES:], self._totp_aad(practitioner_id, key_id)
            )
        except (InvalidTag, KeyUnavailable, ValueError) as exc:
            raise SecretUnreadable("The stored second-factor secret cannot be read") from exc
        return plain.decode()

    def sealed_under_current(self, practitioner_id: int, stored: bytes) -> bool:
        """Whether a stored secret already names, and opens under, the current master key."""
        name = self.master.key_id.encode()
        if not stored.startswith(SEALED + bytes([len(name)]) + name):
            return False
        try:
            self._open_sealed(practitioner_id, stored)
        except SecretUnreadable:
            return False  # an older secret whose nonce happens to look like a current one
        return True

    def reseal_totp_secret(self, practitioner_id: int, stored: bytes) -> bytes | None:
        """The secret sealed under the current master key, or None if it already is.

        A master key rotation needs this as much as it needs data keys re-wrapped:
        the secret's key is derived from the master key that sealed it, so once the
        retired key is removed a secret still sealed under it can never be read and
        nobody could sign in. Raises ``SecretUnreadable`` if it opens under no
        configured key.
        """
        if self.sealed_under_current(practitioner_id, stored):
            return None
        return self.seal_totp_secret(
            practitioner_id, self.open_totp_secret(practitioner_id, stored)
        )

    def _open_legacy(self, practitioner_id: int, stored: bytes) -> str:
        """Secrets stored before the master key: readable until the practitioner enrols again."""
        key = _hkdf(self.secret_key.encode(), None, _LEGACY_TOTP_INFO)
        nonce, sealed = stored[:NONCE_BYTES], stored[NONCE_BYTES:]
        try:
            plain = AESGCM(key).decrypt(nonce, sealed, self._totp_aad(practitioner_id))
        except (InvalidTag, ValueError) as exc:
            raise SecretUnreadable("The stored second-factor secret cannot be read") from exc
        return plain.decode()

    @staticmethod
    def _draft_aad(practitioner_id: int, kind: str) -> bytes:
        return b"\x00".join((_DRAFT_LABEL, kind.encode(), str(practitioner_id).encode()))

    def seal_draft(self, practitioner_id: int, kind: str, plain: bytes) -> bytes:
        """Encrypt a draft for the one practitioner whose session carries it: nonce, ciphertext.

        ``kind`` names the draft (a decision, a disclosure), so one kind of draft
        moved into the other's place does not decrypt either.
        """
        key = self._purpose_key(_DRAFT_PURPOSE, self.master.key_id)
        nonce = os.urandom(NONCE_BYTES)
        aad = self._draft_aad(practitioner_id, kind)
        return nonce + AESGCM(key).encrypt(nonce, plain, aad)

    def open_draft(self, practitioner_id: int, kind: str, sealed: bytes) -> bytes:
        try:
            key = self._purpose_key(_DRAFT_PURPOSE, self.master.key_id)
            return AESGCM(key).decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], self._draft_aad(practitioner_id, kind)
            )
        except (InvalidTag, KeyUnavailable, ValueError) as exc:
            raise SecretUnreadable("The draft cannot be read") from exc

    def throttle_key_for(self, email: str) -> bytes:
        """The name of an email address's failure counter, without the address."""
        return self.throttle.of(email.strip().lower())


@lru_cache(maxsize=8)
def _cached_keys(secret_key: str, master: MasterKey) -> AccountKeys:
    return AccountKeys(
        secret_key=secret_key,
        master=master,
        throttle=BlindIndex.for_purpose(master, "sign-in-email"),
    )
