"""The one form of every value sealed with AES-256-GCM: columns, second factors, data keys.

    version (1 byte) | key id length (1) | key id | nonce (12) | ciphertext and tag (16)

The key id says which key opens the value, so a reader finds the key from the value
itself: a data key's row id for a sealed column, the master key's id for a wrapped
data key or a second-factor secret. The associated data is that header followed by
the value's purpose (``information_items.detail``, ``practitioners.totp_secret``,
``data_keys.wrapped``) and the row it belongs to (a seal id, a practitioner, a data
key's subject). A value copied to another row, column or purpose does not open, and
neither does one whose version, key id, nonce or ciphertext was altered by one byte:
the header is authenticated with the rest.

The first version is 3: versions 1 and 2 are the two forms written before there was
one (sealed columns' ``jgs1.`` text and second-factor secrets' ``jgs2`` mark), so no
stored value is ambiguous about which form it is in. Their readers still open those
legacy forms (``keyring.OpenKey``, ``master_key.LocalMasterKey``,
``identity.account_keys``); every new value is written in this one, and a legacy
value is replaced whenever its row is next sealed again (a master key rotation does
so for data keys and second-factor secrets). Write-once rows are never rewritten,
so no migration touches them.

Text columns hold ``jgs.`` and the envelope in URL-safe base64; binary columns hold
the envelope as it is.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 3
NONCE_BYTES = 12
TAG_BYTES = 16
TEXT_MARK = "jgs."
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


class NotOpened(Exception):
    """Not an envelope, sealed under another key, for another place, or altered."""


def header(key_id: str) -> bytes:
    """The version and key id every value sealed under this key begins with."""
    name = key_id.encode("ascii")
    if not 0 < len(name) < 256:
        raise ValueError(f"A key id must be 1 to 255 ASCII characters, not {key_id!r}")
    return bytes((VERSION, len(name))) + name


def is_envelope(sealed: bytes) -> bool:
    """Whether a value is in this form (its header parses and leaves room for the rest)."""
    return (
        len(sealed) >= 2
        and sealed[0] == VERSION
        and len(sealed) >= 2 + sealed[1] + NONCE_BYTES + TAG_BYTES
    )


def key_id_of(sealed: bytes) -> str:
    """The id of the key a value names, to find that key before opening it."""
    if not is_envelope(sealed):
        raise NotOpened("The value is not in the sealed-value form")
    try:
        return sealed[2 : 2 + sealed[1]].decode("ascii")
    except UnicodeDecodeError:
        raise NotOpened("The value names no readable key id") from None


def _bound(header_bytes: bytes, purpose: str, row: str) -> bytes:
    return header_bytes + purpose.encode() + b"\x00" + row.encode()


class Sealer:
    """One AES-256-GCM key under its id: seals values in the one form and opens them."""

    __slots__ = ("cipher", "header", "key_id")

    def __init__(self, key_id: str, key: bytes) -> None:
        self.key_id = key_id
        self.header = header(key_id)
        self.cipher = AESGCM(key)

    def seal(self, purpose: str, row: str, plaintext: bytes, nonce: bytes | None = None) -> bytes:
        """Encrypt one value for one purpose and row; ``nonce`` only for derived values."""
        nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
        if len(nonce) != NONCE_BYTES:
            raise ValueError(f"A nonce is {NONCE_BYTES} bytes")
        aad = _bound(self.header, purpose, row)
        return self.header + nonce + self.cipher.encrypt(nonce, plaintext, aad)

    def open(self, purpose: str, row: str, sealed: bytes) -> bytes:
        start = len(self.header)
        if not sealed.startswith(self.header) or len(sealed) < start + NONCE_BYTES + TAG_BYTES:
            raise NotOpened(f"The value is not sealed under key {self.key_id}")
        nonce = sealed[start : start + NONCE_BYTES]
        try:
            aad = _bound(self.header, purpose, row)
            return self.cipher.decrypt(nonce, sealed[start + NONCE_BYTES :], aad)
        except InvalidTag:
            raise NotOpened(
                f"The value does not open as {purpose} of {row}: moved or altered"
            ) from None


def to_text(sealed: bytes) -> str:
    return TEXT_MARK + base64.urlsafe_b64encode(sealed).decode()


def from_text(stored: str) -> bytes:
    """The envelope a text column holds (``to_text`` undone)."""
    if not stored.startswith(TEXT_MARK):
        raise NotOpened("The value is not in the sealed-value form")
    try:
        # binascii on translated bytes is urlsafe_b64decode without its overhead: a
        # chronology opens hundreds of values per request
        return binascii.a2b_base64(stored[len(TEXT_MARK) :].encode().translate(_FROM_URLSAFE))
    except (binascii.Error, ValueError):
        raise NotOpened("The value is not valid base64") from None
