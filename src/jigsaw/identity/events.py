"""What happens to accounts that the agency's accountable people must hear of.

Identity is a foundation every feature uses, so it cannot call the inbox itself:
it publishes these, and ``notifications.contacts`` tells the people concerned in the
same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from jigsaw.policy.actor import Actor


@dataclass(frozen=True)
class AccountChanged:
    """Who can act in an agency changed: an account made, raised, reset, or a token issued.

    ``accountable`` is who was accountable *before* the change, as (agency id,
    practitioner id or None for the inbox), when the caller changed roles and had to
    find them first; otherwise they are found when the event is handled. ``holder_id``
    is the person whose account it is, told too.
    """

    actor: Actor
    agency_id: int
    object_type: str
    object_id: int
    accountable: tuple[tuple[int, int | None], ...] | None = None
    holder_id: int | None = None
