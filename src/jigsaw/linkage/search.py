"""Finding a child before recording them, and recording them linked.

A practitioner types what they know; the online match ranks who in the person index
it may be, with the evidence. What each match shows depends on what the practitioner
may see, decided by the policy with the facts ``singleview.purposes`` establishes:

* their own agency's records of that child, to open ("this is the child");
* whether another agency knows the child, never which: who holds a child is itself
  sensitive (a domestic-abuse service, a police team), and "who knows" is the page
  that decides how much of that to show;
* the way to "who knows" only when the policy lets them see it (their agency holds a
  record, or the MASH has an open request about the child);
* otherwise only that a match exists and how strong it is. The evidence names kinds
  of agreement, never another agency's values, so it discloses nothing they hold.

Recording a child found this way asks why the agency works with them: the record gives
no standing across agencies until a second person of the agency confirms it
(``people.service.confirm_agency_record``), and the recording is on the access log's
alerts.

Every search is audited, ids only: which fields were searched on, which persons came
back and what was shown. The terms themselves are never kept, in the log or
anywhere else: names and dates of birth are the personal data the log must outlive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.db import Database
from jigsaw.linkage import service as linking
from jigsaw.linkage.evidence import FieldEvidence, describe_scored, in_words
from jigsaw.linkage.features import PersonDetails
from jigsaw.linkage.online import Candidate, find_candidates
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.people import service as people
from jigsaw.people.links import linked_to
from jigsaw.people.models import AgencyRecord, PersonRole
from jigsaw.people.own import held_record
from jigsaw.people.schemas import AgencyRecordIn, AgencyRecordOut
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted, require
from jigsaw.singleview.purposes import establish

MAX_MATCHES = 10
MIN_PROBABILITY_SHOWN = 0.05
"""Weaker candidates are noise to a practitioner, however many there are."""


@dataclass(frozen=True)
class SearchTerms:
    """What the practitioner knows about the child; validated by the page that asks."""

    given_name: str
    family_name: str
    date_of_birth: date | None
    postcode: str = ""
    nhs_number: str | None = None

    def details(self) -> PersonDetails:
        return PersonDetails(
            given_name=self.given_name,
            family_name=self.family_name,
            date_of_birth=self.date_of_birth,
            postcode=self.postcode,
            nhs_number=self.nhs_number,
            role=PersonRole.CHILD.value,
        )

    @property
    def fields_given(self) -> list[str]:
        """The names of the fields searched on: what the audit entry keeps instead of values."""
        given = {
            "given_name": bool(self.given_name),
            "family_name": bool(self.family_name),
            "date_of_birth": self.date_of_birth is not None,
            "postcode": bool(self.postcode),
            "nhs_number": bool(self.nhs_number),
        }
        return [name for name, present in given.items() if present]


@dataclass(frozen=True)
class OwnRecord:
    """The searcher's own agency's record of a match: theirs to open."""

    id: int
    local_id: str
    given_name: str
    family_name: str
    date_of_birth: date | None


@dataclass(frozen=True)
class Match:
    match_probability: float
    evidence: tuple[FieldEvidence, ...]
    own_records: tuple[OwnRecord, ...]
    person_id: int | None
    """Only when the searcher may see who knows the child: the way to that page."""
    known_elsewhere: bool
    """Whether an agency other than the searcher's knows the child; never which."""

    @property
    def in_words(self) -> str:
        return in_words(self.match_probability)


@audited_read(AuditAction.PERSON_SEARCHED)
def search(
    db: Database,
    actor: Actor,
    terms: SearchTerms,
    *,
    limit: int = MAX_MATCHES,
    model: LinkageModel | None = None,
) -> list[Match]:
    """Children the terms may describe, most likely first, each shown as far as allowed."""
    require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)
    candidates = find_candidates(
        db, terms.details(), limit=limit, min_probability=MIN_PROBABILITY_SHOWN, model=model
    )
    now = db.clock.now()
    with db.transaction() as session:
        matches = [_shown(session, actor, c, now) for c in candidates]
        audit.append(
            session,
            actor,
            AuditAction.PERSON_SEARCHED,
            "person_search",
            None,
            refs={
                "fields": ",".join(terms.fields_given),
                "matches": len(matches),
                "persons": sorted({c.person_id for c in candidates if c.person_id is not None}),
                "agency_records": sorted({r.id for m in matches for r in m.own_records}),
                "who_knows": sorted({m.person_id for m in matches if m.person_id is not None}),
            },
        )
    return matches


def _own(record: AgencyRecord) -> OwnRecord:
    return OwnRecord(
        record.id, record.local_id, record.given_name, record.family_name, record.date_of_birth
    )


def _shown(session: Session, actor: Actor, candidate: Candidate, now: datetime) -> Match:
    evidence = describe_scored(candidate.evidence)
    may_read_own = is_permitted(actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id)
    if candidate.person_id is None:
        # Indexed but not yet linked by a run: only its own agency may know it is there.
        record = held_record(session, actor, candidate.agency_record_id)
        mine = (_own(record),) if record is not None else ()
        return Match(candidate.match_probability, evidence, mine, None, record is None)
    standing = establish(session, actor, candidate.person_id, now)
    own_records: tuple[OwnRecord, ...] = ()
    if may_read_own and standing.own_record_ids:
        rows = session.scalars(
            select(AgencyRecord)
            .where(AgencyRecord.id.in_(standing.own_record_ids))
            .order_by(AgencyRecord.id)
        )
        own_records = tuple(_own(r) for r in rows)
    elsewhere = session.scalar(
        select(AgencyRecord.id)
        .where(linked_to([candidate.person_id]), AgencyRecord.agency_id != actor.agency_id)
        .limit(1)
    )
    may_see = is_permitted(
        actor,
        Permission.VIEW_WHO_KNOWS_KINDS,
        purposes=standing.purposes,
        person_id=candidate.person_id,
    )
    return Match(
        candidate.match_probability,
        evidence,
        own_records,
        candidate.person_id if may_see else None,
        elsewhere is not None,
    )


def record_child(
    db: Database,
    actor: Actor,
    data: AgencyRecordIn,
    reason: str,
    *,
    model: LinkageModel | None = None,
) -> tuple[AgencyRecordOut, linking.OnlineLink]:
    """Record a child for the practitioner's agency, with why, then link it through the
    online match.

    With a plain database each service commits on its own, so the record stands if
    linking fails and stays unlinked until the next run; in a request both commit
    together, and a failed link fails the request with nothing recorded. Linking shows
    them nothing of other agencies until a second person confirms the record.
    """
    record = people.record_found_by_search(db, actor, data, reason)
    return record, linking.link_recorded(db, actor, record.id, model=model)
