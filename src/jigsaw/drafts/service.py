"""Answers in progress, kept on the server between question pages: the store.

A draft is a row of ``page_drafts``, its body sealed under the practitioner's agency
key like any other text about a child. It is read only for the practitioner the
request was authenticated as, and only as the kind it was written as: an id copied
into another practitioner's cookie, or one whose draft has expired or was finished,
is no draft. Expired rows, anyone's, are deleted whenever a draft is written: nothing
else would remove those abandoned mid-journey. What a draft holds, and the cookie
that names it, are the pages' business (``web.drafts``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from jigsaw import clock
from jigsaw.db import Database
from jigsaw.drafts.models import PageDraft
from jigsaw.protection.keyring import Unreadable


@dataclass(frozen=True)
class Owner:
    """The practitioner whose drafts a request may read and write, and their agency."""

    practitioner_id: int
    agency_id: int


def _mine(session: Session, owner: Owner, kind: str, ident: int, now: datetime) -> PageDraft | None:
    return session.scalars(
        select(PageDraft).where(
            PageDraft.id == ident,
            PageDraft.practitioner_id == owner.practitioner_id,
            PageDraft.kind == kind,
            PageDraft.expires_at > now,
        )
    ).one_or_none()


def read(db: Database, owner: Owner, kind: str, ident: int) -> str | None:
    """The body of the owner's draft ``ident`` of this kind, or None if there is none."""
    try:
        with db.reading() as session:
            row = _mine(session, owner, kind, ident, clock.utcnow())
            return None if row is None else row.body
    except Unreadable:
        return None


def write(
    db: Database, owner: Owner, kind: str, body: str, ident: int | None, expires_at: datetime
) -> int:
    """Keep the body, in row ``ident`` if that is still the owner's, and return its id."""
    now = db.clock.now()
    with db.transaction() as session:
        session.execute(
            delete(PageDraft).where(PageDraft.expires_at <= now),
            execution_options={"synchronize_session": False},
        )
        row = None if ident is None else _mine(session, owner, kind, ident, now)
        if row is None:
            row = PageDraft(
                practitioner_id=owner.practitioner_id,
                agency_id=owner.agency_id,
                kind=kind,
                body=body,
                created_at=now,
                updated_at=now,
                expires_at=expires_at,
            )
            session.add(row)
        else:
            row.body = body
            row.updated_at = now
        session.flush()
        return row.id


def discard(db: Database, owner: Owner, kind: str, ident: int) -> None:
    with db.transaction() as session:
        session.execute(
            delete(PageDraft).where(
                PageDraft.id == ident,
                PageDraft.practitioner_id == owner.practitioner_id,
                PageDraft.kind == kind,
            ),
            execution_options={"synchronize_session": False},
        )


def discard_all(db: Database, practitioner_id: int) -> None:
    """Every draft of a practitioner: on signing out, which ends all their sessions."""
    with db.transaction() as session:
        session.execute(
            delete(PageDraft).where(PageDraft.practitioner_id == practitioner_id),
            execution_options={"synchronize_session": False},
        )
