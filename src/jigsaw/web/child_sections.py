"""What the child's page shows of sharing: decisions, disclosures made and received, open
requests and pattern flags about the child.

Each list comes from a service that asks the policy and audits the read; this module
only gathers them for the page. Pattern flags need the child to be linked across
agencies, and the single view may still refuse (the record is not the kind that gives
standing); the page then offers the link alone rather than failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import NotPermitted
from jigsaw.people.schemas import AgencyRecordOut
from jigsaw.policy.actor import Actor
from jigsaw.sharing import decisions, disclosures, requests, standalone
from jigsaw.sharing.schemas import DisclosureOut
from jigsaw.singleview import service as singleview
from jigsaw.web.disclosure_pages import disclosure_state
from jigsaw.web.names import Names

STATE_TAGS: dict[str, str] = {
    "Revoked": "govuk-tag--red",
    "Expired": "govuk-tag--grey",
    "Received": "govuk-tag--green",
    "Waiting for receipt": "govuk-tag--yellow",
    "Available to you": "govuk-tag--green",
}


@dataclass(frozen=True)
class Flags:
    """The pattern flags raised for the child, by title, or why they are not shown."""

    titles: list[str]
    shown: bool


def _corrected(disclosure: DisclosureOut) -> bool:
    return any(item.corrected for item in disclosure.items)


def _withdrawn(disclosure: DisclosureOut) -> bool:
    return any(item.retracted for item in disclosure.items)


def _flags(db: Database, actor: Actor, record: AgencyRecordOut) -> Flags:
    if record.person_id is None:
        return Flags([], shown=False)
    try:
        found = singleview.pattern_flags(db, actor, record.person_id)
    except NotPermitted:
        return Flags([], shown=False)
    return Flags([f.title for f in found.flags], shown=True)


def child_sections(db: Database, actor: Actor, record: AgencyRecordOut) -> dict[str, Any]:
    """The page context for the sharing sections of one of the agency's own records."""
    today = utcnow().date()
    made = disclosures.made_by_agency(db, actor, record.id)
    # Counts and tags only: the summary opens no sealed field (``received_about`` opens
    # every one, for the disclosure's own page).
    received = disclosures.received_summary_about(db, actor, record.id)
    return {
        "names": Names(db),
        "decisions": decisions.decisions_about(db, actor, record.id),
        "other_decisions": standalone.standalone_about(db, actor, record.id),
        "made": made,
        "made_states": {d.id: disclosure_state(d, today) for d in made},
        "received": received,
        "corrected": {d.id for d in made if _corrected(d)}
        | {d.id for d in received if d.corrected},
        "withdrawn": {d.id for d in made if _withdrawn(d)}
        | {d.id for d in received if d.withdrawn},
        "state_tags": STATE_TAGS,
        "open_requests": requests.open_requests_about(db, actor, record.id),
        "flags": _flags(db, actor, record),
    }
