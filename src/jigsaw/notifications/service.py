"""Telling practitioners what changed, once each.

``notify`` is called by other services inside their own transaction, so a change and
the notices about it commit together. The message text is built when read, from the
kind and ids: nothing personal is stored in the notification itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from jigsaw.access.actor import Actor
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.schemas import Output

MESSAGES: dict[NotificationKind, str] = {
    NotificationKind.DISCLOSURE_RECEIVED: "Information about a child has been shared with you",
    NotificationKind.DISCLOSED_ITEM_CORRECTED: "Information shared with you has been corrected",
    NotificationKind.DISCLOSED_ITEM_RETRACTED: "Information shared with you has been withdrawn",
    NotificationKind.DISCLOSURE_REVOKED: "A disclosure to you has been revoked",
    NotificationKind.REQUEST_RECEIVED: "Your agency has a new request for information",
    NotificationKind.ADVICE_REQUESTED: "You have been asked for advice",
}


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


def notify(
    session: Session,
    kind: NotificationKind,
    event: str,
    object_type: str,
    object_id: int,
    addressees: list[Addressee],
) -> int:
    """Add one notification per addressee for ``event``; repeats of the event add none."""
    added = 0
    seen: set[Addressee] = set()
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
            )
        )
        added += 1
    return added


def _for(actor: Actor) -> ColumnElement[bool]:
    return or_(
        Notification.practitioner_id == actor.practitioner_id,
        (Notification.practitioner_id.is_(None)) & (Notification.agency_id == actor.agency_id),
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
