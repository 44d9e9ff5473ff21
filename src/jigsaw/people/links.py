"""Which agency records belong to a person, for the purposes of the single view.

Linkage attaches a record to a person only when it is confident or a reviewer has
confirmed it; an uncertain pair stays as two persons with a review waiting (the
record is marked ``in_review`` but keeps its own person), and a rejected or unmerged
record keeps a person of its own. So a record's ``person_id`` is always a link that
can be relied on, and every cross-agency look-up goes through ``linked_to`` so that
stays true in one place if the rules for links change.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm import Session

from jigsaw.people.models import AgencyRecord


def linked_to(person_ids: Collection[int]) -> ColumnElement[bool]:
    """SQL: the agency record is linked to one of these people."""
    return AgencyRecord.person_id.in_(sorted(person_ids))


def linked_to_bound(name: str) -> ColumnElement[bool]:
    """SQL: the agency record is linked to the person bound under ``name`` at execution,
    for statements built once and run on every request."""
    return AgencyRecord.person_id == bindparam(name)


def person_of(session: Session, record_id: int) -> int | None:
    """The person a record is linked to, or None."""
    return session.scalar(select(AgencyRecord.person_id).where(AgencyRecord.id == record_id))
