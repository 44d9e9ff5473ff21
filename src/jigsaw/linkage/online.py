"""Online match: who in the person index might this child be?

Used while a practitioner records a new child or searches. It must answer in
milliseconds against millions of records, so it never starts an analytical engine:

1. candidate records come from index look-ups on ``match_keys`` (``CANDIDATE_KEYS``,
   each read through an index holding all its columns) mirroring the batch
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

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select, union
from sqlalchemy.orm import Session

from jigsaw.db import Database
from jigsaw.linkage.features import Features, PersonDetails, features_of
from jigsaw.linkage.index import features_from_key
from jigsaw.linkage.models import LinkageRun, MatchKey
from jigsaw.linkage.person_model import LevelEvidence, LinkageModel
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


@dataclass(frozen=True)
class CandidateKey:
    """One index look-up: the match-key columns that must equal the search's features.

    ``on`` pairs a column with the feature it is compared to (the swapped date of
    birth is looked up in the ``dob`` column). A key is used when the search has every
    feature it names, and ``without_dob`` keys only when the search has no date of
    birth, which is when the wide name keys are needed.
    """

    name: str
    on: tuple[tuple[str, str], ...]
    without_dob: bool = False

    def applies(self, query: Features) -> bool:
        if self.without_dob and query.dob is not None:
            return False
        return all(getattr(query, feature) is not None for _column, feature in self.on)


def _key(name: str, *on: str | tuple[str, str], without_dob: bool = False) -> CandidateKey:
    pairs = tuple(pair if isinstance(pair, tuple) else (pair, pair) for pair in on)
    return CandidateKey(name, pairs, without_dob)


CANDIDATE_KEYS: tuple[CandidateKey, ...] = (
    _key("nhs_number", "nhs_number"),
    _key("dob_family", "dob", "family_soundex"),
    _key("dob_given", "dob", "given_metaphone"),
    _key("dob_district_sex", "dob", "postcode_district", "sex"),
    _key("dob_district", "dob", "postcode_district"),
    _key("swapped_dob_family", ("dob", "dob_swapped"), "family_soundex"),
    _key("family_year_given", "family_soundex", "birth_year", "given_metaphone"),
    _key("address", "address"),
    _key("given_family", "given", "family", without_dob=True),
    _key("sector_given", "postcode_sector", "given", without_dob=True),
)
"""The look-ups a search makes, each served by one composite index on ``match_keys``
(migration 0010), so a key reads only the rows it returns."""


def keys_for(query: Features) -> tuple[CandidateKey, ...]:
    """The keys this search uses. Date of birth with district asks for the same sex too
    when the search gives one, rather than both."""
    found = [key for key in CANDIDATE_KEYS if key.applies(query)]
    names = {key.name for key in found}
    if "dob_district_sex" in names:
        found = [key for key in found if key.name != "dob_district"]
    return tuple(found)


def _key_select(key: CandidateKey) -> Select[tuple[int]]:
    columns = _KEYS.c
    return select(columns.agency_record_id).where(
        *(columns[name] == bindparam(feature, type_=columns[name].type) for name, feature in key.on)
    )


@cache
def candidate_statement(keys: tuple[CandidateKey, ...]) -> Select[Any]:
    """The search's statement for this set of keys, made once per set and reused with
    new values: building SQL expressions afresh cost a search more than running them."""
    parts = [_key_select(key) for key in keys]
    candidate_ids = union(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    # Plain rows, not ORM objects: building hundreds of entities would cost more
    # than scoring them.
    return (
        select(*_KEYS.c, AgencyRecord.person_id, AgencyRecord.link_status)
        .join(AgencyRecord, AgencyRecord.id == _KEYS.c.agency_record_id)
        .where(_KEYS.c.agency_record_id.in_(select(candidate_ids.c[0])))
        .limit(MAX_CANDIDATES)
    )


def key_values(query: Features, keys: Iterable[CandidateKey]) -> dict[str, Any]:
    return {feature: getattr(query, feature) for key in keys for _column, feature in key.on}


_RECORDS_IN_INDEX = select(
    func.coalesce(
        select(func.nullif(LinkageRun.records, 0))
        .order_by(LinkageRun.id.desc())
        .limit(1)
        .scalar_subquery(),
        select(func.max(MatchKey.agency_record_id)).scalar_subquery(),
        0,
    )
)


def _records_in_index(session: Session) -> int:
    """Table size for the prior: the latest run's count, else the highest indexed id
    (an index look-up; counting a million rows per search would cost more than the
    search itself)."""
    return int(session.scalar(_RECORDS_IN_INDEX) or 0)


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
    keys = keys_for(query)
    if not keys:
        return []
    with db.reading() as session:
        n_records = max(_records_in_index(session), 2)
        rows = session.execute(candidate_statement(keys), key_values(query, keys)).all()
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
