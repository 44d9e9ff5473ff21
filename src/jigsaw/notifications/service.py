"""Telling practitioners what changed, once each.

``notify`` is called by other services inside their own transaction, so a change and
the notices about it commit together. The message text is built when read, from the
kind and ids: nothing personal is stored in the notification itself.

When something about a child is shared with, corrected for, or withdrawn from an
agency's inbox, the practitioners of that agency who work with the child are told
too, each once (see ``notifications.involved``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from jigsaw.access.actor import Actor
from jigsaw.audit.reads import not_a_person_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.notifications.involved import disclosure_person, involved_practitioners
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.schemas import Output

MESSAGES: dict[NotificationKind, str] = {
    NotificationKind.DISCLOSURE_RECEIVED: "Information about a child has been shared with you",
    NotificationKind.DISCLOSED_ITEM_CORRECTED: "Information shared with you has been corrected",
    NotificationKind.DISCLOSED_ITEM_RETRACTED: "Information shared with you has been withdrawn",
    NotificationKind.DISCLOSURE_REVOKED: "A disclosure to you has been revoked",
    NotificationKind.REQUEST_RECEIVED: "Your agency has a new request for information",
    NotificationKind.ADVICE_REQUESTED: "You have been asked for advice",
    NotificationKind.OPERATION_ENCOMPASS: (
        "Operation Encompass: police have recorded a domestic abuse incident involving a "
        "child at your school. Read this before the next school day starts"
    ),
    NotificationKind.BREAK_GLASS_STARTED: (
        "Someone has used emergency access to see a child's information; review it"
    ),
    NotificationKind.BREAK_GLASS_REPEATED: (
        "Someone in your agency has used emergency access again and again; review their "
        "reasons with them"
    ),
    NotificationKind.ACCOUNT_CHANGED: (
        "An account in your agency was added or changed, or given a code to set its "
        "password or second factor; check it was expected"
    ),
    NotificationKind.API_TOKEN_ISSUED: (
        "An API token was issued for one of your agency's service accounts; check it was expected"
    ),
}

ABOUT_A_CHILD = frozenset(
    {
        NotificationKind.DISCLOSURE_RECEIVED,
        NotificationKind.DISCLOSED_ITEM_CORRECTED,
        NotificationKind.DISCLOSED_ITEM_RETRACTED,
        NotificationKind.DISCLOSURE_REVOKED,
    }
)
"""Notices about a disclosure that the recipient agency's involved practitioners also get."""


@dataclass(frozen=True)
class Addressee:
    agency_id: int
    practitioner_id: int | None


class NotificationOut(Output):
    id: int
    kind: NotificationKind
    message: str
    object_type: str
    object_id: int
    created_at: str
    read: bool
    due_at: str | None = None
    """When the notice must have been acted on, if it has a deadline."""


def notify(
    session: Session,
    kind: NotificationKind,
    event: str,
    object_type: str,
    object_id: int,
    addressees: list[Addressee],
    *,
    due_at: datetime | None = None,
) -> int:
    """Add one notification per addressee for ``event``; repeats of the event add none."""
    added = 0
    seen: set[Addressee] = set()
    if kind in ABOUT_A_CHILD and object_type == "disclosure":
        addressees = addressees + _involved(session, object_id, addressees)
    for addressee in addressees:
        if addressee in seen:
            continue
        seen.add(addressee)
        who = (
            f"p{addressee.practitioner_id}"
            if addressee.practitioner_id is not None
            else f"a{addressee.agency_id}"
        )
        key = f"{kind.value}:{event}:{who}"
        if session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
            continue
        session.add(
            Notification(
                practitioner_id=addressee.practitioner_id,
                agency_id=addressee.agency_id,
                kind=kind,
                object_type=object_type,
                object_id=object_id,
                dedupe_key=key,
                created_at=utcnow(),
                due_at=due_at,
            )
        )
        added += 1
    return added


def _involved(session: Session, disclosure_id: int, addressees: list[Addressee]) -> list[Addressee]:
    """The practitioners who work with the child at each agency addressed as a whole.

    A disclosure to a named practitioner is theirs alone: colleagues could not open
    it, so they are not told of it.
    """
    inboxes = sorted({a.agency_id for a in addressees if a.practitioner_id is None})
    if not inboxes:
        return []
    person_id = disclosure_person(session, disclosure_id)
    if person_id is None:
        return []
    today = utcnow().date()
    return [
        Addressee(agency_id, practitioner_id)
        for agency_id in inboxes
        for practitioner_id in involved_practitioners(session, agency_id, person_id, today)
    ]


def _for(actor: Actor) -> ColumnElement[bool]:
    return or_(
        Notification.practitioner_id == actor.practitioner_id,
        (Notification.practitioner_id.is_(None)) & (Notification.agency_id == actor.agency_id),
    )


@not_a_person_read(
    "Notices carry a kind, a fixed message and an object id, never a name or narrative; "
    "opening the object is the audited read"
)
def inbox(db: Database, actor: Actor, *, unread_only: bool = False) -> list[NotificationOut]:
    with db.sessions() as session:
        query = select(Notification).where(_for(actor))
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc())
        )
        return [
            NotificationOut(
                id=n.id,
                kind=n.kind,
                message=MESSAGES[n.kind],
                object_type=n.object_type,
                object_id=n.object_id,
                created_at=n.created_at.isoformat(),
                read=n.read_at is not None,
                due_at=n.due_at.isoformat() if n.due_at else None,
            )
            for n in rows
        ]


def mark_read(db: Database, actor: Actor, notification_id: int) -> None:
    """Reading a notice is the one in-place change here: it is not a record about a child."""
    with db.transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id, _for(actor), Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
