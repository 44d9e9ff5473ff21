"""Which package acts on which domain event: the one place the wiring is read.

Imported by the app, the command line and the tests before any service runs; until
it is, publishing an event is refused (``events.dispatch``). Read top to bottom, it is
the list of everything that happens *because* something else did.
"""

from __future__ import annotations

from jigsaw.encompass.service import on_item_recorded_event
from jigsaw.events import SUBSCRIPTIONS
from jigsaw.identity.events import AccountChanged
from jigsaw.notifications.contacts import on_account_changed
from jigsaw.records.events import ItemCorrected, ItemRecorded, ItemRetracted
from jigsaw.sharing.disclosures import on_item_corrected, on_item_retracted


def wire() -> None:
    """Subscribe every handler (idempotent)."""
    # A police item about domestic abuse tells the child's school before the next school day.
    SUBSCRIPTIONS.subscribe(ItemRecorded, on_item_recorded_event)
    # A correction or retraction reaches everyone an earlier version was disclosed to.
    SUBSCRIPTIONS.subscribe(ItemCorrected, on_item_corrected)
    SUBSCRIPTIONS.subscribe(ItemRetracted, on_item_retracted)
    # Who can act in an agency changed: its accountable people and the holder are told.
    SUBSCRIPTIONS.subscribe(AccountChanged, on_account_changed)
    SUBSCRIPTIONS.wired = True
