"""Master keys: the one secret that wraps every data key, and the seam for a cloud KMS.

Nothing about a child is encrypted under the master key directly. Each data subject
has a data key of its own (``protection.keyring``), stored only in wrapped form; the
master key wraps and unwraps those and never leaves the provider. A cloud KMS fits
behind the same ``MasterKey`` protocol: ``wrap``/``unwrap`` become the KMS's
encrypt/decrypt calls with the context as its encryption context, and ``derive``
becomes a KMS HMAC of the purpose label (AWS ``GenerateMac``, Google Cloud
``MacSign``), so no key material has to leave the KMS for the derived keys either.

Every wrapped key carries the id of the master key that wrapped it, so a rotation
is: configure the new key as current and the old one as retired, run
``jigsaw protection rewrap``, then drop the retired key. A local master key wraps in
the one sealed-value form (``protection.envelope``), which names that key itself.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jigsaw.config import InsecureSettings, Settings, get_settings
from jigsaw.db import Database
from jigsaw.protection import envelope
from jigsaw.protection.envelope import TAG_BYTES, NotOpened, Sealer

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_PURPOSE = "data_keys.wrapped"
_LEGACY_WRAP_LABEL = b"jigsaw/data-key/v1"
_LEGACY_WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES
"""A key wrapped before the one sealed-value form: nonce and ciphertext, no header.
Every envelope holding a data key is longer, so the length alone tells them apart."""
_DERIVE_LABEL = b"jigsaw/derived-key/v1"


class KeyUnavailable(Exception):
    """A wrapped key names a master key this deployment does not have, or will not unwrap."""


@dataclass(frozen=True)
class WrappedKey:
    """A data key as stored: which master key wrapped it, and the wrapped bytes."""

    key_id: str
    wrapped: bytes


class MasterKey(Protocol):
    """What the service needs from whoever holds the master key (local or a KMS)."""

    @property
    def key_id(self) -> str:
        """The id of the key new data keys are wrapped under."""
        ...

    def wrap(self, data_key: bytes, context: bytes) -> WrappedKey: ...

    def __hash__(self) -> int: ...

    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes: ...

    def derive(self, purpose: str, key_id: str | None = None) -> bytes:
        """A 32-byte key for one purpose (blind indexes, account secrets), never a data key."""
        ...


def key_id_of(key: bytes) -> str:
    """A name for a master key that says nothing about it (a hash of a random 256-bit key)."""
    return "local-" + hashlib.sha256(b"jigsaw/master-key-id\x00" + key).hexdigest()[:16]


class LocalMasterKey:
    """Master keys held in this process: the current one, and retired ones still read.

    Data keys are wrapped with AES-256-GCM rather than AES-KW so that the associated
    data can name the subject and the master key: a wrapped key copied onto another
    subject's row does not unwrap.
    """

    def __init__(self, current: bytes, retired: tuple[bytes, ...] = ()) -> None:
        for key in (current, *retired):
            if len(key) != KEY_BYTES:
                raise InsecureSettings(f"A master key must be {KEY_BYTES} bytes (base64 encoded)")
        self._current = key_id_of(current)
        self._keys = {key_id_of(key): key for key in (*retired, current)}
        self._sealers = {key_id: Sealer(key_id, key) for key_id, key in self._keys.items()}

    @classmethod
    def generate(cls) -> LocalMasterKey:
        return cls(os.urandom(KEY_BYTES))

    @property
    def key_id(self) -> str:
        return self._current

    @property
    def key_ids(self) -> frozenset[str]:
        return frozenset(self._keys)

    def _key(self, key_id: str) -> bytes:
        try:
            return self._keys[key_id]
        except KeyError:
            raise KeyUnavailable(
                f"Master key {key_id} is not configured; set it in JIGSAW_RETIRED_MASTER_KEYS"
            ) from None

    def wrap(self, data_key: bytes, context: bytes) -> WrappedKey:
        sealer = self._sealers[self._current]
        return WrappedKey(self._current, sealer.seal(_WRAP_PURPOSE, context.decode(), data_key))

    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes:
        key = self._key(wrapped.key_id)
        stored = wrapped.wrapped
        try:
            if len(stored) == _LEGACY_WRAPPED_BYTES:
                return self._unwrap_legacy(key, wrapped, context)
            if envelope.key_id_of(stored) != wrapped.key_id:
                raise NotOpened("The wrapped key names another master key than its row")
            return self._sealers[wrapped.key_id].open(_WRAP_PURPOSE, context.decode(), stored)
        except (NotOpened, InvalidTag, ValueError):
            raise KeyUnavailable(
                f"A data key wrapped under {wrapped.key_id} does not unwrap for "
                f"{context.decode(errors='replace')}: wrong master key, altered, or moved"
            ) from None

    @staticmethod
    def _unwrap_legacy(key: bytes, wrapped: WrappedKey, context: bytes) -> bytes:
        """A key wrapped before the one form, its master key named only by its row."""
        aad = _LEGACY_WRAP_LABEL + b"\x00" + wrapped.key_id.encode() + b"\x00" + context
        nonce, sealed = wrapped.wrapped[:NONCE_BYTES], wrapped.wrapped[NONCE_BYTES:]
        return AESGCM(key).decrypt(nonce, sealed, aad)

    def derive(self, purpose: str, key_id: str | None = None) -> bytes:
        key = self._key(key_id or self._current)
        return hmac.new(key, _DERIVE_LABEL + b"\x00" + purpose.encode(), hashlib.sha256).digest()


def _decode(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InsecureSettings(f"{name} is not base64") from None


def master_key_for(settings: Settings) -> LocalMasterKey:
    """The deployment's master key from ``JIGSAW_MASTER_KEY`` or ``JIGSAW_MASTER_KEY_FILE``.

    Demo mode already has the demo key (``Settings``); elsewhere a missing key is an
    error, never a generated one, since data written under a key nobody kept is lost.
    """
    text = settings.master_key
    if not text and settings.master_key_file is not None:
        path = Path(settings.master_key_file)
        if not path.exists():
            raise InsecureSettings(f"The master key file {path} does not exist")
        text = path.read_text()
    if not text:
        raise InsecureSettings(
            "JIGSAW_MASTER_KEY (or JIGSAW_MASTER_KEY_FILE) is not set. Create one with "
            "`jigsaw protection keygen`, or set JIGSAW_DEMO_MODE=1 for synthetic data."
        )
    return _key_from_text(text.strip(), settings.retired_master_keys)


@functools.lru_cache(maxsize=8)
def _key_from_text(text: str, retired_text: str) -> LocalMasterKey:
    """One key object per key text, so what it derives is derived once per process."""
    retired = tuple(
        _decode(part, "JIGSAW_RETIRED_MASTER_KEYS")
        for part in retired_text.split(",")
        if part.strip()
    )
    return LocalMasterKey(_decode(text, "JIGSAW_MASTER_KEY"), retired)


def new_key_text() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


MASTER_KEY_INFO = "jigsaw.master_key"
"""Where a database's sessions carry the master key they open data keys with."""


def open_database(settings: Settings | None = None, url: str | None = None) -> Database:
    """The database the settings name (or ``url``), its sessions carrying the settings'
    master key: an app or command given settings uses *their* key, whatever the
    environment of the process says."""
    settings = settings or get_settings()
    return Database(
        url or settings.database_url,
        echo=settings.sql_echo,
        session_info={MASTER_KEY_INFO: master_key_for(settings)},
    )


def key_of(info: dict[str, object]) -> MasterKey:
    """The master key a session carries, or the environment's (a database made without
    settings: a test, a benchmark)."""
    key = info.get(MASTER_KEY_INFO)
    return environment_key() if key is None else cast(MasterKey, key)


def environment_key() -> MasterKey:
    """The master key the environment names (the settings read from it), asked for each
    time: nothing process-wide is set by hand, and a changed environment is followed."""
    return master_key_for(get_settings())
