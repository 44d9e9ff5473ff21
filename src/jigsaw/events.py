"""Domain events: what happened, told to the packages that must act on it.

A service that changes something others care about (an item corrected, an account
changed) *publishes* an event on the unit of work it writes in; it does not call the
packages that react. Those subscribe, and the unit of work hands them each event
before it commits, in the same transaction. So a correction and the notices it owes
its recipients commit together or not at all, and ``records`` need not import
``sharing`` to make that true: the import graph points one way.

Subscriptions are made once, by ``jigsaw.subscriptions``, which the app, the command
line and the tests import. Publishing before that has happened is a misconfiguration,
refused loudly: an event nobody hears is a notice nobody gets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from jigsaw.errors import Misconfigured

PENDING = "jigsaw.pending_events"
"""Where a unit of work's session keeps the events published on it, in order."""

IN_UNIT_OF_WORK = "jigsaw.unit_of_work"
"""Set on a session's ``info`` by the unit of work that will dispatch its events."""

E = TypeVar("E")
Handler = Callable[[Session, Any], None]


class Subscriptions:
    """Which handlers hear which kind of event, in the order they subscribed."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self.wired = False

    def subscribe(self, kind: type[E], handler: Callable[[Session, E], None]) -> None:
        if handler not in self._handlers[kind]:
            self._handlers[kind].append(handler)

    def handlers(self, kind: type) -> list[Handler]:
        return list(self._handlers.get(kind, ()))


SUBSCRIPTIONS = Subscriptions()


def publish(session: Session, event: object) -> None:
    """Queue ``event`` on the unit of work ``session`` belongs to."""
    if not session.info.get(IN_UNIT_OF_WORK):
        raise RuntimeError("Events are published inside a unit of work (db.transaction())")
    session.info.setdefault(PENDING, []).append(event)


def dispatch(session: Session) -> None:
    """Hand every queued event to its subscribers; events they publish are handled too."""
    queue: list[object] = session.info.get(PENDING, [])
    if queue and not SUBSCRIPTIONS.wired:
        raise Misconfigured("Domain events are not wired: import jigsaw.subscriptions first")
    while queue:
        event = queue.pop(0)
        for handler in SUBSCRIPTIONS.handlers(type(event)):
            handler(session, event)


def discard(session: Session) -> None:
    """Forget what was queued: the transaction it belonged to rolled back."""
    session.info.pop(PENDING, None)
