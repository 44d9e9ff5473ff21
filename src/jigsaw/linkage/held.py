"""Counts a search reads from the index and reuses for a while.

The online match weighs a shared identifier by how many records hold it
(``identifiers``) and a shared name by how common it is (``frequencies``). Counting
either over a million records takes longer than a search may, and both move by a
fraction of a bit a day, so each process keeps what it counted for a few minutes and
drops it all when it knows the records changed (a batch run, an import).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class HeldCounts(Generic[Key, Value]):
    """Values counted once and reused for ``seconds``, at most ``most`` of them.

    Past ``most`` the expired values go, then all of them if none had expired: a
    search for every name in a large import must not grow the process without bound.
    """

    def __init__(self, seconds: float, most: int) -> None:
        self.seconds = seconds
        self.most = most
        self._held: dict[Key, tuple[float, Value]] = {}

    def get(self, key: Key, count: Callable[[], Value]) -> Value:
        """The value held for ``key``, or ``count()`` if none is, or it is too old."""
        now = time.monotonic()
        held = self._held.get(key)
        if held is not None and now - held[0] < self.seconds:
            return held[1]
        if len(self._held) >= self.most:
            for old in [k for k, (at, _v) in self._held.items() if now - at >= self.seconds]:
                del self._held[old]
            if len(self._held) >= self.most:
                self._held.clear()
        value = count()
        self._held[key] = (now, value)
        return value

    def values(self) -> dict[Key, Value]:
        """What is held now, by key (for tests and diagnostics)."""
        return {key: value for key, (_at, value) in self._held.items()}

    def forget(self) -> None:
        """Drop everything held, so the next search counts afresh."""
        self._held.clear()
