"""Online match: who in the person index might this child be?

Used while a practitioner records a new child or searches. It must answer in
milliseconds against millions of records, so it never starts an analytical engine:

1. candidate records come from index look-ups on ``match_keys`` (``CANDIDATE_KEYS``,
   each read through an index holding all its columns), one for each batch blocking
   rule, so a record the batch run would compare with the search's is a candidate
   (a linked child in common is the one rule a search cannot bring; see there), and,
   for the rule on an identifier agencies share (``identifiers``), a look-up of the
   records holding the same numbers in ``agency_record_identifiers``;
2. each candidate is scored in process with the trained model's m/u (the same
   Fellegi-Sunter sum the batch run makes in SQL, a shared name weighed by how common
   it is among the indexed records as a run weighs it, and the same guards);
3. candidates are grouped by person and ranked, each with the evidence: which level
   each comparison fell on and what it weighed.

The evidence names kinds of agreement ("same date of birth", "nickname"), never
another agency's values, so showing it does not disclose what others hold.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from jigsaw.db import Database
from jigsaw.linkage import frequencies, identifiers
from jigsaw.linkage.features import (
    Features,
    PersonDetails,
    features_of,
    given_prefix_of,
    house_number_of,
    street_initial_of,
)
from jigsaw.linkage.index import features_from_key
from jigsaw.linkage.models import LinkageRun, MatchKey
from jigsaw.linkage.person_model import LevelEvidence, LinkageModel
from jigsaw.people.models import AgencyRecord, LinkStatus

DEFAULT_LIMIT = 10
DEFAULT_MIN_PROBABILITY = 0.01
_KEYS = MatchKey.__table__
MAX_CANDIDATES = 2_000
"""A ceiling on records scored per search, so one very common name cannot stall it."""

DERIVED_COLUMNS: dict[str, ColumnElement[str]] = {
    "street_initial": func.substr(
        _KEYS.c.street, func.length(_KEYS.c.house_number) + 2, 1, type_=String
    ),
}
"""Values a key compares that ``match_keys`` holds inside another column: the street's
first letter is the character after the house number and its space in ``street``
(``features.street_initial_of``). Compared exactly, character by character as the batch
rules' ``left`` counts, after the key's indexed columns have found the rows."""


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
    birth is looked up in the ``dob`` column). ``either`` pairs, when given, add that at
    least one of them must be equal too (a batch rule's ``OR``). A key is used when the
    search has every feature ``on`` names and one that ``either`` names, and
    ``without_dob`` keys only when the search has no date of birth.

    A ``broad`` key can bring in thousands of records in a large index (a common
    surname's Soundex at a common house number): when a search's look-ups together pass
    ``MAX_CANDIDATES``, the records only broad keys found are the ones left out, so
    they never crowd out a record found by its date of birth or its address.
    """

    name: str
    on: tuple[tuple[str, str], ...]
    without_dob: bool = False
    either: tuple[tuple[str, str], ...] = ()
    broad: bool = False

    def applies(self, query: Features) -> bool:
        if self.without_dob and query.dob is not None:
            return False
        if self.either and all(search_value(query, f) is None for _c, f in self.either):
            return False
        return all(search_value(query, feature) is not None for _column, feature in self.on)


def search_value(query: Features, feature: str) -> Any:
    """A search's value for a key: a feature, or one the index derives from features."""
    if feature == "house_number":
        return house_number_of(query.street)
    if feature == "given_prefix":
        return given_prefix_of(query.given)
    if feature == "street_initial":
        return street_initial_of(query.street)
    return getattr(query, feature)


def _key(
    name: str,
    *on: str | tuple[str, str],
    without_dob: bool = False,
    either: tuple[str | tuple[str, str], ...] = (),
    broad: bool = False,
) -> CandidateKey:
    def pairs(items: tuple[str | tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple(item if isinstance(item, tuple) else (item, item) for item in items)

    return CandidateKey(name, pairs(on), without_dob, pairs(either), broad)


CANDIDATE_KEYS: tuple[CandidateKey, ...] = (
    _key("nhs_number", "nhs_number"),
    _key("dob_family", "dob", "family_soundex"),
    _key("dob_given", "dob", "given_metaphone"),
    _key("dob_district", "dob", "postcode_district"),
    _key("swapped_dob_family", ("dob", "dob_swapped"), "family_soundex"),
    _key("given_family_soundex", "given", "family_soundex"),
    _key("family_given_metaphone", "family", "given_metaphone"),
    _key("swapped_names", ("given", "family"), ("family", "given")),
    _key(
        "dob_name_or_house",
        "dob",
        either=(("given", "family"), ("family", "given"), "given_prefix", "house_number"),
    ),
    _key(
        "swapped_dob_name_or_house",
        ("dob", "dob_swapped"),
        either=(("given", "family"), ("family", "given"), "given_prefix", "house_number"),
    ),
    _key("address", "address"),
    _key("street", "street"),
    _key("postcode", "postcode"),
    _key("given_house", "given", "house_number", "street_initial", broad=True),
    _key("family_house", "family_soundex", "house_number", "street_initial", broad=True),
    _key("dob_street_name", "dob", "street_name"),
    _key("sector_given", "postcode_sector", "given"),
    _key("family_year_given", "family_soundex", "birth_year", "given_metaphone"),
    _key("given_family", "given", "family", without_dob=True),
)
"""The look-ups a search makes, each served by one composite index on ``match_keys``
(migrations 0010, 0033, 0036 and 0037), so a key reads only the rows it returns.

They mirror the batch blocking rules (``settings.blocking_rules``) one for one, in the
same order, so a record a run would have compared with another is a candidate when
either is searched for:

* the day/month-swapped date is one look-up: a record whose swapped date is the
  search's date is a record whose date is the search's swapped date, so the rule's
  two directions are one key;
* ``swapped_names`` looks up the search's family name as a given name and its given
  name as a family name, through the index of ``given_family``;
* ``dob_name_or_house`` is the rule on date of birth with one name where the other
  should be, the same first two letters of the given name, or the same house number:
  the index leads with the date and holds the rest, so the day's records are filtered
  in the index; ``swapped_dob_name_or_house`` is the same for the day/month-swapped
  date, one key for the rule's two directions;
* ``given_house`` and ``family_house`` look up the house number the index derives from
  ``street`` (``features.house_number_of``), the rules' ``split_part(street, ' ', 1)``,
  and keep the rows whose street's name starts with the search's letter (the rules'
  ``left(split_part(street, ' ', 2), 1)``, read from ``street``: ``DERIVED_COLUMNS``).
  They are broad: a common Soundex code at a common number and letter is still many
  records among millions, so they are cut first at the ceiling;
* ``dob_street_name`` reads the date of birth with the first word of the street's
  name as the index stores it (``features.house_street_of``, filled by each run from
  its own features);
* ``given_family`` (exact names) is kept for a search without a date of birth:
  a family name whose parts are spelled together on one side and apart on the other
  has different Soundex codes.

One rule has no online equivalent: a linked child in common. A search brings no
children, and a new record's relationships are linked only by the run's second pass,
so the batch run cannot use it for such a record either until then."""


def keys_for(query: Features) -> tuple[CandidateKey, ...]:
    """The keys this search uses: every one whose features it has."""
    return tuple(key for key in CANDIDATE_KEYS if key.applies(query))


def _key_select(key: CandidateKey) -> Select[tuple[int, int]]:
    columns = _KEYS.c

    def equal(name: str, feature: str) -> ColumnElement[bool]:
        column = DERIVED_COLUMNS[name] if name in DERIVED_COLUMNS else columns[name]
        return column == bindparam(feature, type_=column.type)

    conditions = [equal(name, feature) for name, feature in key.on]
    if key.either:
        conditions.append(or_(*(equal(name, feature) for name, feature in key.either)))
    rank = literal_column("1" if key.broad else "0", Integer).label("rank")
    return select(columns.agency_record_id, rank).where(*conditions)


@cache
def candidate_statement(keys: tuple[CandidateKey, ...]) -> Select[Any]:
    """The search's statement for this set of keys, made once per set and reused with
    new values: building SQL expressions afresh cost a search more than running them."""
    parts = [_key_select(key) for key in keys]
    found = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    # Each record once, ranked by the narrowest key that found it: the ceiling then
    # leaves out what only a broad key brought in (``CandidateKey.broad``).
    ranked = (
        select(found.c.agency_record_id, func.min(found.c.rank).label("rank"))
        .group_by(found.c.agency_record_id)
        .subquery()
    )
    # Plain rows, not ORM objects: building hundreds of entities would cost more
    # than scoring them.
    return (
        select(*_KEYS.c, AgencyRecord.person_id, AgencyRecord.link_status)
        .select_from(ranked)
        .join(_KEYS, _KEYS.c.agency_record_id == ranked.c.agency_record_id)
        .join(AgencyRecord, AgencyRecord.id == _KEYS.c.agency_record_id)
        .order_by(ranked.c.rank, ranked.c.agency_record_id)
        .limit(MAX_CANDIDATES)
    )


def key_values(query: Features, keys: Iterable[CandidateKey]) -> dict[str, Any]:
    return {
        feature: search_value(query, feature)
        for key in keys
        for _column, feature in key.on + key.either
    }


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


def candidate_records(
    db: Database, details: PersonDetails, keys: tuple[CandidateKey, ...] | None = None
) -> set[int]:
    """The agency records the look-ups (all that apply, with the shared identifiers'; or
    only ``keys``) bring in, before scoring: what the batch run's blocking would pair
    the details with."""
    query = features_of(details)
    by_identifier = keys is None
    keys = keys_for(query) if keys is None else keys
    found: set[int] = set()
    with db.reading() as session:
        if keys:
            rows = session.execute(candidate_statement(keys), key_values(query, keys)).all()
            found = {row.agency_record_id for row in rows}
        if by_identifier:
            found |= identifiers.candidate_ids(session, query)
    return found


def _key_rows_of(record_ids: set[int]) -> Select[Any]:
    return (
        select(*_KEYS.c, AgencyRecord.person_id, AgencyRecord.link_status)
        .join(AgencyRecord, AgencyRecord.id == _KEYS.c.agency_record_id)
        .where(_KEYS.c.agency_record_id.in_(sorted(record_ids)))
    )


_CONFIGURED_MODELS: dict[
    tuple[int, tuple[tuple[str, int], ...]], tuple[LinkageModel, LinkageModel]
] = {}
"""(model, model with counts) by the model's id and the counts. The model itself is
held beside its id, and checked: a model let go could otherwise leave its id to
another, which would then be scored with the first one's weights."""


def _with_counts(model: LinkageModel, counts: dict[str, int]) -> LinkageModel:
    """The model weighing shared identifiers by ``counts``, made once per model and counts
    (the counts change only when ``identifiers.cached_counts`` reads them again)."""
    key = (id(model), tuple(sorted(counts.items())))
    held = _CONFIGURED_MODELS.get(key)
    if held is not None and held[0] is model:
        return held[1]
    if len(_CONFIGURED_MODELS) > 64:
        _CONFIGURED_MODELS.clear()
    made = model.with_shared_values(counts)
    _CONFIGURED_MODELS[key] = (model, made)
    return made


def _with_identifiers(features: Features, held: list[tuple[str, str]] | None) -> Features:
    if not held:
        return features
    shared_ids, schemes = identifiers.shared_tokens(held)
    return dataclasses.replace(features, shared_ids=shared_ids, shared_id_schemes=schemes)


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
    if not keys and not query.shared_ids:
        return []
    their_ids: dict[int, list[tuple[str, str]]] = {}
    with db.reading() as session:
        n_records = max(_records_in_index(session), 2)
        rows: list[Any] = []
        if keys:
            rows = list(session.execute(candidate_statement(keys), key_values(query, keys)).all())
        if query.shared_ids:
            # Numbers too common to use are left out on both sides, as a run leaves them.
            query = identifiers.drop_common(session, query)
        if query.shared_ids:
            # The batch rule on a shared identifier, looked up in the identifiers' index;
            # the candidates' own identifiers are read for the comparison.
            known = {row.agency_record_id for row in rows}
            extra = identifiers.candidate_ids(session, query) - known
            if extra:
                rows.extend(session.execute(_key_rows_of(extra)).all())
            their_ids = identifiers.held_by(session, (row.agency_record_id for row in rows))
            theirs = {identifiers.token(s, v) for held in their_ids.values() for s, v in held}
            common = identifiers.common_among(session, theirs - set(query.shared_ids or ()))
            their_ids = {
                record_id: identifiers.without_common(held, common)
                for record_id, held in their_ids.items()
            }
            model = _with_counts(model, identifiers.cached_counts(session))
        value_frequencies = (
            frequencies.search_frequencies(session, query, model.frequency_columns) if rows else {}
        )
    best: dict[tuple[str, int], Candidate] = {}
    counts: dict[tuple[str, int], int] = {}
    for key_row in rows:
        person_id, status = key_row.person_id, key_row.link_status
        candidate = _with_identifiers(
            features_from_key(key_row), their_ids.get(key_row.agency_record_id)
        )
        score = model.score(query, candidate, n_records, value_frequencies)
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
