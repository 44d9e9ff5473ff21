"""What happens to an information item that other packages act on.

``records`` publishes these inside the transaction that makes the change; sharing
tells every recipient of an earlier version, and Operation Encompass tells a school.
Each event carries ids, never the item's words.
"""

from __future__ import annotations

from dataclasses import dataclass

from jigsaw.policy.actor import Actor


@dataclass(frozen=True)
class ItemRecorded:
    """A new item (its first version) was recorded by ``actor``."""

    item_id: int
    actor: Actor


@dataclass(frozen=True)
class ItemCorrected:
    """``item_id`` is the new version; recipients of any earlier one must hear of it."""

    item_id: int


@dataclass(frozen=True)
class ItemRetracted:
    """The chain ``item_id`` belongs to was retracted; ``item_id`` is its latest version."""

    item_id: int
