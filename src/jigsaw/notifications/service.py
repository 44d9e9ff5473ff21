"""Telling practitioners what changed, once each.

``notify`` is called by other services inside their own transaction, so a change and
the notices about it commit together. The message text is built when read, from the
kind and ids: nothing personal is stored in the notification itself.

Who is told is the caller's to say: sharing tells an agency inbox's colleagues who
work with the child too (``sharing.involved``); the inbox only keeps each once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from jigsaw.audit.reads import not_a_person_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import NotFound
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.schemas import Output

MESSAGES: dict[NotificationKind, str] = {
    NotificationKind.DISCLOSURE_RECEIVED: "Information about a child has been shared with you",
    NotificationKind.DISCLOSED_ITEM_CORRECTED: "Information shared with you has been corrected",
    NotificationKind.DISCLOSED_ITEM_RETRACTED: "Information shared with you has been withdrawn",
    NotificationKind.DISCLOSURE_REVOKED: "A disclosure to you has been revoked",
    NotificationKind.REQUEST_RECEIVED: "Your agency has a new request for information",
    NotificationKind.ADVICE_REQUESTED: "You have been asked for advice",
    NotificationKind.ADVICE_ANSWERED: "Your request for advice has been answered",
    NotificationKind.REQUEST_ANSWERED: "Your request for information has been answered",
    NotificationKind.REQUEST_RERATED: "A request for information has been re-rated",
    NotificationKind.REQUEST_OVERDUE: "A request for information is overdue",
    NotificationKind.DISCLOSURE_EXPIRING: "Information shared with you is about to expire",
    NotificationKind.OPERATION_ENCOMPASS: (
        "Operation Encompass: police have recorded a domestic abuse incident involving a "
        "child at your school. Read this before the next school day starts"
    ),
    NotificationKind.ENCOMPASS_SCHOOL_HAS_NO_DSL: (
        "Operation Encompass: the police could not tell your school about a domestic abuse "
        "incident involving a pupil, because the school has no designated safeguarding lead "
        "in Jigsaw. Add one today"
    ),
    NotificationKind.ENCOMPASS_NOT_DELIVERED: (
        "Operation Encompass: a school that knows this child has no designated safeguarding "
        "lead to receive the notice. Tell the school another way before the next school day"
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
    NotificationKind.SHARED_AGAINST_AGREEMENTS: (
        "Someone in your agency asked for or shared information that no data sharing "
        "agreement allows, saying why it is still lawful; review their reason"
    ),
    NotificationKind.RECORDS_UNLINKED: (
        "A record you work with was found not to be the person it was linked to and has "
        "been separated; check what you took from the other agencies' records"
    ),
}

MESSAGES_BY_OBJECT: dict[tuple[NotificationKind, str], str] = {
    (NotificationKind.SHARED_AGAINST_AGREEMENTS, "encompass_agreement_override"): (
        "Your agency sent an Operation Encompass notice to a school that no data sharing "
        "agreement allows. The protocol does not wait for one, so no reason was given; "
        "review the agreements with that school"
    ),
    (NotificationKind.RECORDS_UNLINKED, "disclosure"): (
        "Information shared with you was about a record since found not to be the person "
        "it was linked to; check who the information is about before you act on it"
    ),
}
"""Where one kind covers things unlike each other, what a notice says of each. A record
separated from a person tells those who work with it (``agency_record``) and those who
were sent information about it (``disclosure``) different things. An
Operation Encompass notice is not held back by the agreements and no one writes a
reason for it, so its DPO is not asked to review a reason that does not exist."""


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


def _for(actor: Actor) -> ColumnElement[bool]:
    return scopes.notifications(actor, Notification.agency_id, Notification.practitioner_id)


@not_a_person_read(
    "Notices carry a kind, a fixed message and an object id, never a name or narrative; "
    "opening the object is the audited read"
)
def inbox(db: Database, actor: Actor, *, unread_only: bool = False) -> list[NotificationOut]:
    with db.reading() as session:
        query = select(Notification).where(_for(actor))
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc())
        )
        return [_notice_out(n) for n in rows]


@not_a_person_read("A count of the actor's own unread notices: no one's details")
def unread_count(db: Database, actor: Actor) -> int:
    """How many notices the actor has not read, for the count beside "Notifications"."""
    with db.reading() as session:
        return (
            session.scalar(
                select(func.count(Notification.id)).where(
                    _for(actor), Notification.read_at.is_(None)
                )
            )
            or 0
        )


OPENED_WHERE_IT_LEADS = frozenset({NotificationKind.OPERATION_ENCOMPASS})
"""Kinds marked read by the service that shows what they lead to, once it has shown it,
never on the way there: an Encompass notice must stay on its DSL's list until the DSL
has read the incident itself."""


def open_notice(db: Database, actor: Actor, notification_id: int) -> NotificationOut:
    """The notice, marked read because its addressee has opened it (except the kinds in
    ``OPENED_WHERE_IT_LEADS``); ``NotFound`` if it is not the actor's (or their agency
    inbox's), so an id names nothing to anyone else.

    A notice to an agency's inbox has one read flag for the whole agency: the first
    colleague to open it marks it read for all of them."""
    with db.transaction() as session:
        found = session.scalar(
            select(Notification).where(Notification.id == notification_id, _for(actor))
        )
        if found is None:
            raise NotFound("notification", notification_id)
        if found.read_at is None and found.kind not in OPENED_WHERE_IT_LEADS:
            found.read_at = utcnow()
        return _notice_out(found)


def message_for(kind: NotificationKind, object_type: str) -> str:
    """What a notice of ``kind`` about an ``object_type`` says (``MESSAGES_BY_OBJECT``)."""
    return MESSAGES_BY_OBJECT.get((kind, object_type), MESSAGES[kind])


def _notice_out(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        message=message_for(n.kind, n.object_type),
        object_type=n.object_type,
        object_id=n.object_id,
        created_at=n.created_at.isoformat(),
        read=n.read_at is not None,
        due_at=n.due_at.isoformat() if n.due_at else None,
    )


def mark_read(db: Database, actor: Actor, notification_id: int) -> None:
    """Reading a notice is the one in-place change here: it is not a record about a child."""
    with db.transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id, _for(actor), Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
