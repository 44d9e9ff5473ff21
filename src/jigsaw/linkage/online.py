"""Online match: who in the person index might this child be?

Used while a practitioner records a new child or searches. It must answer in
milliseconds against millions of records, so it never starts an analytical engine:

1. candidate records come from index look-ups on ``match_keys`` mirroring the batch
   blocking rules (NHS number; date of birth with family-name Soundex, given-name
   Metaphone or postcode district; the day/month-swapped date; family Soundex with
   given Metaphone and year of birth; the same address). Keys that fetch many rows for
   common names (given + family name, given name + postcode sector) are only used when
   no date of birth is given, which is when they are needed. Date of birth with postcode
   district is the widest key left (a district holds a tenth of a borough's children,
   several dozen born on any day at a million), so it also asks for the same sex when
   the search gives one: at a million children that halves what the key returns, and a
   child recorded under a new surname after a move is still found;
2. each candidate is scored in process with the trained model's m/u (the same
   Fellegi-Sunter sum the batch run makes in SQL, and the same guards);
3. candidates are grouped by person and ranked, each with the evidence: which level
   each comparison fell on and what it weighed.

The evidence names kinds of agreement ("same date of birth", "nickname"), never
another agency's values, so showing it does not disclose what others hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import Select, func, select, union
from sqlalchemy.orm import Session

from jigsaw.db import Database
from jigsaw.linkage.features import Features, PersonDetails, features_of
from jigsaw.linkage.index import features_from_key
from jigsaw.linkage.model import LevelEvidence, LinkageModel
from jigsaw.linkage.models import LinkageRun, MatchKey
from jigsaw.people.models import AgencyRecord, LinkStatus

DEFAULT_LIMIT = 10
DEFAULT_MIN_PROBABILITY = 0.01
_KEYS = MatchKey.__table__
MAX_CANDIDATES = 2_000
"""A ceiling on records scored per search, so one very common name cannot stall it."""


@dataclass(frozen=True)
class Candidate:
    """A person (or a record not yet in the index) the details may belong to."""

    person_id: int | None
    agency_record_id: int
    """The person's record that matched best: the one the evidence describes."""
    match_probability: float
    match_weight: float
    evidence: tuple[LevelEvidence, ...]
    records_matched: int
    link_status: LinkStatus

    @property
    def agreed(self) -> tuple[str, ...]:
        """Titles of the comparisons that counted for the match."""
        return tuple(e.title for e in self.evidence if e.agrees)


@cache
def shipped_model() -> LinkageModel:
    """Loaded once per process; it is read-only data shipped with the code."""
    return LinkageModel.load()


def _key_queries(query: Features) -> list[Select[tuple[int]]]:
    mk = MatchKey
    found: list[Select[tuple[int]]] = []

    def add(*conditions: object) -> None:
        found.append(select(mk.agency_record_id).where(*conditions))  # type: ignore[arg-type]

    if query.nhs_number:
        add(mk.nhs_number == query.nhs_number)
    if query.dob is not None:
        if query.family_soundex:
            add(mk.dob == query.dob, mk.family_soundex == query.family_soundex)
        if query.given_metaphone:
            add(mk.dob == query.dob, mk.given_metaphone == query.given_metaphone)
        if query.postcode_district:
            moved = [mk.dob == query.dob, mk.postcode_district == query.postcode_district]
            add(*moved, *([mk.sex == query.sex] if query.sex else []))
        if query.dob_swapped is not None and query.family_soundex:
            add(mk.dob == query.dob_swapped, mk.family_soundex == query.family_soundex)
    if query.family_soundex and query.given_metaphone and query.birth_year is not None:
        add(
            mk.family_soundex == query.family_soundex,
            mk.birth_year == query.birth_year,
            mk.given_metaphone == query.given_metaphone,
        )
    if query.address:
        add(mk.address == query.address)
    if query.dob is None:
        if query.given and query.family:
            add(mk.given == query.given, mk.family == query.family)
        if query.given and query.postcode_sector:
            add(mk.postcode_sector == query.postcode_sector, mk.given == query.given)
    return found


def _records_in_index(session: Session) -> int:
    """Table size for the prior: the latest run's count, else the highest indexed id
    (an index look-up; counting a million rows per search would cost more than the
    search itself)."""
    latest = session.scalar(select(LinkageRun.records).order_by(LinkageRun.id.desc()).limit(1))
    if latest:
        return int(latest)
    return int(session.scalar(select(func.max(MatchKey.agency_record_id))) or 0)


def find_candidates(
    db: Database,
    details: PersonDetails,
    *,
    limit: int = DEFAULT_LIMIT,
    min_probability: float = DEFAULT_MIN_PROBABILITY,
    model: LinkageModel | None = None,
) -> list[Candidate]:
    """Persons the details may describe, most likely first, with the evidence."""
    model = model or shipped_model()
    query = features_of(details)
    keys = _key_queries(query)
    if not keys:
        return []
    candidate_ids = union(*keys).subquery() if len(keys) > 1 else keys[0].subquery()
    with db.sessions() as session:
        n_records = max(_records_in_index(session), 2)
        # Plain rows, not ORM objects: building hundreds of entities would cost more
        # than scoring them.
        rows = session.execute(
            select(*_KEYS.c, AgencyRecord.person_id, AgencyRecord.link_status)
            .join(AgencyRecord, AgencyRecord.id == _KEYS.c.agency_record_id)
            .where(_KEYS.c.agency_record_id.in_(select(candidate_ids.c[0])))
            .limit(MAX_CANDIDATES)
        ).all()
    best: dict[tuple[str, int], Candidate] = {}
    counts: dict[tuple[str, int], int] = {}
    for key_row in rows:
        person_id, status = key_row.person_id, key_row.link_status
        score = model.score(query, features_from_key(key_row), n_records)
        group = (
            ("person", person_id) if person_id is not None else ("record", key_row.agency_record_id)
        )
        counts[group] = counts.get(group, 0) + 1
        held = best.get(group)
        if held is None or score.match_weight > held.match_weight:
            best[group] = Candidate(
                person_id=person_id,
                agency_record_id=key_row.agency_record_id,
                match_probability=score.match_probability,
                match_weight=score.match_weight,
                evidence=score.evidence,
                records_matched=0,
                link_status=status,
            )
    ranked = sorted(
        (
            Candidate(
                person_id=c.person_id,
                agency_record_id=c.agency_record_id,
                match_probability=c.match_probability,
                match_weight=c.match_weight,
                evidence=c.evidence,
                records_matched=counts[group],
                link_status=c.link_status,
            )
            for group, c in best.items()
            if c.match_probability >= min_probability
        ),
        key=lambda c: (-c.match_weight, c.agency_record_id),
    )
    return ranked[:limit]
