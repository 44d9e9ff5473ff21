"""Signed tree heads in the C2SP signed-note and tlog-checkpoint formats.

A checkpoint is three lines (origin, tree size, base64 root hash) and a blank line,
followed by one signature line per signer: an em dash, the key name, and base64 of
the four-byte key id followed by the Ed25519 signature. The key id is the first four
bytes of SHA-256(key name, a newline, 0x01, the public key). Verifier keys are
written ``name+hex key id+base64(0x01 || public key)``, the form other C2SP tools read.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
DASH = "\u2014"


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or is not signed by the trusted key."""


def _key_id(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


@dataclass(frozen=True)
class VerifierKey:
    name: str
    public: bytes

    @property
    def key_id(self) -> bytes:
        return _key_id(self.name, self.public)

    def encoded(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(ED25519 + self.public).decode()}"

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        try:
            name, key_hash, encoded = text.strip().split("+", 2)
            raw = base64.b64decode(encoded, validate=True)
        except ValueError as exc:
            raise CheckpointError("A verifier key reads name+keyid+base64key") from exc
        if raw[:1] != ED25519 or len(raw) != 33:
            raise CheckpointError("Only Ed25519 verifier keys are supported")
        key = cls(name, raw[1:])
        if key.key_id.hex() != key_hash:
            raise CheckpointError("The verifier key's id does not match its key")
        return key


class Signer:
    def __init__(self, name: str, private: Ed25519PrivateKey) -> None:
        self.name = name
        self._private = private
        public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.verifier = VerifierKey(name, public)

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Signer:
        if len(seed) != 32:
            raise CheckpointError("An Ed25519 signing key is 32 bytes")
        return cls(name, Ed25519PrivateKey.from_private_bytes(seed))

    def sign(self, checkpoint: Checkpoint) -> str:
        body = checkpoint.body()
        signature = self._private.sign(body.encode())
        blob = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{body}\n{DASH} {self.name} {blob}\n"


def open_note(note: str, trusted: VerifierKey) -> Checkpoint:
    """Parse a signed checkpoint and check the trusted key signed it; else raise."""
    body, sep, signatures = note.partition("\n\n")
    if not sep:
        raise CheckpointError("A signed note needs a blank line before its signatures")
    lines = (body + "\n").split("\n")
    try:
        origin, size_text, root_text = lines[0], lines[1], lines[2]
        size = int(size_text)
        root = base64.b64decode(root_text, validate=True)
    except (IndexError, ValueError) as exc:
        raise CheckpointError("The checkpoint body is not origin, size and root") from exc
    if size < 0 or len(root) != 32 or str(size) != size_text:
        raise CheckpointError("The checkpoint size or root is malformed")
    for line in signatures.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or parts[1] != trusted.name:
            continue
        blob = base64.b64decode(parts[2])
        if blob[:4] != trusted.key_id:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(trusted.public).verify(
                blob[4:], (body + "\n").encode()
            )
        except InvalidSignature as exc:
            raise CheckpointError("The checkpoint's signature does not verify") from exc
        return Checkpoint(origin, size, root)
    raise CheckpointError(f"The checkpoint is not signed by the trusted key {trusted.name!r}")
