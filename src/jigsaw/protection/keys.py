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
``jigsaw protection rewrap``, then drop the retired key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jigsaw.config import InsecureSettings, Settings, get_settings

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAP_LABEL = b"jigsaw/data-key/v1"
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

    @staticmethod
    def _aad(key_id: str, context: bytes) -> bytes:
        return _WRAP_LABEL + b"\x00" + key_id.encode() + b"\x00" + context

    def wrap(self, data_key: bytes, context: bytes) -> WrappedKey:
        nonce = os.urandom(NONCE_BYTES)
        aad = self._aad(self._current, context)
        sealed = AESGCM(self._key(self._current)).encrypt(nonce, data_key, aad)
        return WrappedKey(self._current, nonce + sealed)

    def unwrap(self, wrapped: WrappedKey, context: bytes) -> bytes:
        key = self._key(wrapped.key_id)
        nonce, sealed = wrapped.wrapped[:NONCE_BYTES], wrapped.wrapped[NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, sealed, self._aad(wrapped.key_id, context))
        except InvalidTag:
            raise KeyUnavailable(
                f"A data key wrapped under {wrapped.key_id} does not unwrap for "
                f"{context.decode(errors='replace')}: wrong master key, altered, or moved"
            ) from None

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
    retired = tuple(
        _decode(part, "JIGSAW_RETIRED_MASTER_KEYS")
        for part in settings.retired_master_keys.split(",")
        if part.strip()
    )
    return LocalMasterKey(_decode(text, "JIGSAW_MASTER_KEY"), retired)


def new_key_text() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


class _Configured:
    key: MasterKey | None = None


def configure(key: MasterKey | None) -> None:
    """Use this master key in this process (the app and commands call it with their settings)."""
    _Configured.key = key


def current() -> MasterKey:
    """This process's master key; read from the environment the first time if not configured."""
    if _Configured.key is None:
        _Configured.key = master_key_for(get_settings())
    return _Configured.key
