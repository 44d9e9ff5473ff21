"""Linking the records nobody has linked yet, a bounded number at a time.

A feed answers as soon as its rows are written, so a system pushing its records all
day is never held up by the online match; and an import with ``--no-link`` leaves its
records for later too. The worker's ``link-new-records`` job picks them up: each record
with no person yet, oldest first, goes through the same online match a practitioner's
new record does (``linkage.service.link_recorded``), one transaction each, as its own
agency's service. A run takes at most ``LINK_BATCH`` records, so a backlog (a first
load of a whole system) is worked through over several runs rather than holding the
worker for hours; ``jigsaw linkage run`` is still the quick way through a first load.

It is safe to run twice at once or after a kill: a record linked meanwhile (by a
practitioner's import, a review, or the other run) is left as it is, and a record
erased meanwhile is skipped.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.errors import Conflict, NotFound
from jigsaw.imports.service import agency_service
from jigsaw.linkage.service import link_recorded
from jigsaw.linkage.source import NOT_ERASED
from jigsaw.people.models import AgencyRecord

LINK_BATCH = 500
"""Records one run links at most: a few seconds to a minute of online matching."""


def unlinked_records(db: Database, limit: int = LINK_BATCH) -> list[tuple[int, int]]:
    """Up to ``limit`` records (id, agency) with no person yet and not erased, oldest first."""
    with db.reading() as session:
        return [
            (record_id, agency_id)
            for record_id, agency_id in session.execute(
                select(AgencyRecord.id, AgencyRecord.agency_id)
                .where(AgencyRecord.person_id.is_(None), NOT_ERASED)
                .order_by(AgencyRecord.id)
                .limit(limit)
            )
        ]


def link_waiting(
    db: Database,
    limit: int = LINK_BATCH,
    between: Callable[[], None] = lambda: None,
) -> dict[str, int]:
    """Link up to ``limit`` records that have no person yet; ``between`` is called after
    each (the worker keeps its lease alive there). Counts: the records linked (or found
    linked by someone else meanwhile), and those erased meanwhile."""
    linked = skipped = 0
    for record_id, agency_id in unlinked_records(db, limit):
        try:
            link_recorded(db, agency_service(agency_id), record_id)
            linked += 1
        except (Conflict, NotFound):
            skipped += 1
        between()
    return {"linked": linked, "skipped": skipped}
