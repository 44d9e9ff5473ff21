"""Blind indexes: exact-match lookups on values the database must not hold in clear.

A blind index is HMAC-SHA256 of a normalised value under a key derived from the
master key for one purpose only, so two purposes never give comparable values and
nothing stored can be reversed or checked against a guess without the master key.
It answers "is this exactly that?" and nothing else: no prefixes, no ranges.

A master key rotation changes every blind index. Lookups whose index is kept only
as long as it is useful (the sign-in throttle's counters) simply start again; a
long-lived one would need recomputing as part of the rotation.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from jigsaw.protection.master_key import MasterKey


@dataclass(frozen=True)
class BlindIndex:
    purpose: str
    key: bytes

    @classmethod
    def for_purpose(cls, master: MasterKey, purpose: str) -> BlindIndex:
        return cls(purpose, master.derive(f"blind-index/{purpose}"))

    def of(self, value: str) -> bytes:
        return hmac.new(self.key, value.encode(), hashlib.sha256).digest()
