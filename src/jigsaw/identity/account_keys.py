"""Keys for account secrets, under the master key (``protection.master_key``).

Two purposes, two keys, neither usable for the other: one encrypts TOTP secrets at
rest with AES-256-GCM, and the other is the blind index that names a sign-in
throttle without storing the email.

TOTP secrets use a dedicated key rather than a data key per practitioner: they are
read at sign-in, before there is any transaction to hold a keyring, practitioners
are not subject to a child's retention schedule, so nothing would ever be shredded
per practitioner, and the row they live on is updated anyway (no seal id is needed:
the practitioner's id is known before the secret is stored). The key is derived
from the master key *and* ``JIGSAW_SECRET_KEY``, so a copy of the database and
either secret alone read nothing. Each stored secret names the master key it was
sealed under, so a master key rotation keeps them readable while the retired key
is still configured, and ``jigsaw protection rewrap`` re-seals each under the
current key before the retired one is removed (``identity.rotation``). Rotating the
secret key makes them unreadable: sign-in then fails as a configuration error (never
as a wrong code) until an administrator resets those second factors and the
practitioners enrol again.
Each is stored in the one sealed-value form (``protection.envelope``), the master
key's id as its key id, and its associated data binds it to its practitioner, so a
ciphertext copied onto another practitioner does not decrypt. Secrets sealed in the
two earlier forms still open, and a rewrap re-seals them in this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jigsaw.protection import envelope
from jigsaw.protection import master_key as master_keys
from jigsaw.protection.blind import BlindIndex
from jigsaw.protection.envelope import NotOpened, Sealer
from jigsaw.protection.master_key import KeyUnavailable, MasterKey

NONCE_BYTES = 12
LEGACY_SEALED = b"jgs2"
"""Marks a secret sealed under the master key before the one sealed-value form: the
mark, the key id's length and the id, the nonce, then the ciphertext. Older still (no
mark at all) used the secret key alone."""
_TOTP_PURPOSE = "accounts/totp-secret"
_TOTP_COLUMN = "practitioners.totp_secret"
_LEGACY_TOTP_INFO = b"jigsaw/accounts/totp-secret/v1"


class SecretUnreadable(Exception):
    """A sealed secret did not decrypt: wrong key, altered, or moved to another owner."""


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
    _totp_sealers: dict[str, Sealer] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_secret(cls, secret_key: str, master: MasterKey | None = None) -> AccountKeys:
        """Keys for this deployment: its secret key and (by default) its master key."""
        return _cached_keys(secret_key, master or master_keys.environment_key())

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

    def _totp_sealer(self, key_id: str) -> Sealer:
        sealer = self._totp_sealers.get(key_id)
        if sealer is None:
            sealer = self._totp_sealers[key_id] = Sealer(key_id, self._totp_key(key_id))
        return sealer

    @staticmethod
    def _totp_aad(practitioner_id: int, key_id: str = "") -> bytes:
        bound = f"{_TOTP_COLUMN}:{practitioner_id}"
        return f"{bound}:{key_id}".encode() if key_id else bound.encode()

    def seal_totp_secret(self, practitioner_id: int, secret: str) -> bytes:
        """Encrypt a base32 TOTP secret for one practitioner's row, under the current master key."""
        sealer = self._totp_sealer(self.master.key_id)
        return sealer.seal(_TOTP_COLUMN, str(practitioner_id), secret.encode())

    def open_totp_secret(self, practitioner_id: int, stored: bytes) -> str:
        """The secret, from whichever form it was sealed in.

        The oldest form has no mark, only a random nonce, which may happen to begin
        like either later form: a value that does not open in the form it seems to be
        in is tried in the older ones before it is called unreadable.
        """
        if envelope.is_envelope(stored):
            try:
                return self._open_envelope(practitioner_id, stored)
            except SecretUnreadable:
                pass
        if stored.startswith(LEGACY_SEALED):
            try:
                return self._open_sealed(practitioner_id, stored)
            except SecretUnreadable:
                pass
        return self._open_legacy(practitioner_id, stored)

    def _open_envelope(self, practitioner_id: int, stored: bytes) -> str:
        try:
            sealer = self._totp_sealer(envelope.key_id_of(stored))
            return sealer.open(_TOTP_COLUMN, str(practitioner_id), stored).decode()
        except (NotOpened, KeyUnavailable, ValueError) as exc:
            raise SecretUnreadable("The stored second-factor secret cannot be read") from exc

    def _open_sealed(self, practitioner_id: int, stored: bytes) -> str:
        """A secret in the ``jgs2`` form, sealed under the master key before the one form."""
        at = len(LEGACY_SEALED)
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
        """Whether a stored secret is in the current form and opens under the current master key."""
        if not stored.startswith(envelope.header(self.master.key_id)):
            return False
        try:
            self._open_envelope(practitioner_id, stored)
        except SecretUnreadable:
            return False  # an older secret whose nonce happens to look like a current one
        return True

    def reseal_totp_secret(self, practitioner_id: int, stored: bytes) -> bytes | None:
        """The secret sealed under the current master key, or None if it already is.

        A master key rotation needs this as much as it needs data keys re-wrapped:
        the secret's key is derived from the master key that sealed it, so once the
        retired key is removed a secret still sealed under it can never be read and
        nobody could sign in. A secret in an earlier form is sealed again in the
        current one, even under the current key. Raises ``SecretUnreadable`` if it
        opens under no configured key.
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
