"""Identifiers agencies share, as linkage evidence: set from what is known, not trained.

A school and the local authority's children's services both record a child's Unique
Pupil Number; a police reference or a case number is one agency's own. Whether a
scheme is shared is part of its definition (``IdentifierScheme.shared``). For the
shared schemes other than the NHS number (which is the record's own column and the
trained ``nhs_number`` comparison), the person model's ``shared_identifier``
comparison weighs:

* the same number under the same scheme: strong evidence of one person;
* numbers under a scheme both records hold, none the same: evidence against, weaker,
  since a record may carry an old number (a temporary UPN replaced by the permanent
  one, a number from before a transfer);
* no scheme in common: nothing either way (the null level).

Both runs and the online match use it alike: a batch blocking rule pairs records
holding one shared identifier (``blocking_rule``), and a search or a record arriving
looks up the records holding its shared identifiers (``candidate_ids``) beside the
match-key look-ups, from ``agency_record_identifiers`` through its (scheme, value)
index.

Why the m and u are set rather than learned. The person model is trained by EM on a
population where identifiers other than the NHS number were never recorded, and EM
learns nothing about a field that is always missing; training it where they are would
meet the NHS number's difficulty (EM cannot tell twins from one child recorded twice,
see ``comparisons.NHS_NUMBER_DISAGREES``). So the two probabilities come from what
is known about each scheme:

* m (how often two records of one person agree) from an assumed rate at which one
  person's records hold different numbers under the scheme (``SchemeEvidence``,
  with its source): m for "same" is one minus it, m for "different" is it;
* u (how often two different people agree) from the deployment's own data, as
  Splink's term-frequency adjustment would: one over the number of distinct values
  the scheme holds, counted when the run or the search starts (``distinct_values``),
  never above one over ``DISTINCT_FLOOR`` so that a first import of one school's
  pupils does not make its numbers look common.

A number held by more than ``COMMON_RECORDS`` records is left out altogether, as if no
record held it: it blocks no pairs, brings no candidates and weighs nothing either way.
One valid UPN typed into many records (a system's default, a number shared by a family
or copied from a sibling's form) would otherwise pair every record holding it with
every other in a run, bring them all into every search for it, and count as decisive
evidence that they are one child. Splink's term-frequency adjustment says the same of a
common value: its u is the share of records holding it, and a number on many records
is no evidence of one person. Both runs and searches count the records holding a number
in ``agency_record_identifiers`` (``common_values``, ``common_among``), so they leave
out the same numbers.

With one linked scheme (the UPN) these are that scheme's numbers. Were a second shared
scheme added, the comparison would take the weaker evidence of the two each way (the
larger u for "same", the larger m for "different") until it is split per scheme.
"""

# ruff: noqa: S608 - SQL here is assembled from this module's own table and column
# names and numeric constants, never from input.

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, literal, select, tuple_, union_all
from sqlalchemy.orm import Session

from jigsaw.linkage.held import HeldCounts
from jigsaw.people.identifiers import IdentifierScheme

if TYPE_CHECKING:
    from jigsaw.linkage.engine import Workspace
    from jigsaw.linkage.features import Features

COMPARISON_NAME = "shared_identifier"
TOKEN_SEPARATOR = ":"  # noqa: S105 - a separator, not a secret
"""A shared identifier as a feature is ``scheme:value`` (``upn:B801200005001``): equal
tokens are the same number under the same scheme, whatever agency typed it."""


@dataclass(frozen=True)
class SchemeEvidence:
    """What is known about one shared scheme's numbers in agencies' records."""

    scheme: IdentifierScheme
    disagrees: float
    """How often two records of one person hold different numbers under the scheme:
    m for "different", and one minus it is m for "same"."""
    source: str
    """Where the rate comes from, for whoever reviews it."""


SCHEME_EVIDENCE: dict[IdentifierScheme, SchemeEvidence] = {
    IdentifierScheme.UPN: SchemeEvidence(
        IdentifierScheme.UPN,
        disagrees=0.05,
        source=(
            "A UPN is allocated once and kept for a pupil's whole school career (DfE, "
            "'Unique Pupil Numbers (UPN): guidance for schools and local authorities'); its "
            "check letter refuses most mistyped numbers (school census rule 1510). What "
            "remains is a record still holding a temporary UPN after the permanent one was "
            "issued, or a number from before a move between authorities that was later "
            "re-issued: assumed here at 1 in 20 of a child's pairs of records, on the side "
            "of caution (the lower this rate, the stronger a disagreement counts against)."
        ),
    ),
}
"""The assumed rates, one per shared scheme compared by ``shared_identifier``. Data,
not code: change a rate here with its source and every run and search uses it."""

LINKED_SCHEMES: tuple[IdentifierScheme, ...] = tuple(
    s for s in IdentifierScheme if s.shared and s is not IdentifierScheme.NHS_NUMBER
)
"""Shared schemes compared by ``shared_identifier``: the NHS number has its own trained
comparison (it is the record's ``nhs_number`` column), so it is not counted twice."""

_missing = [s.value for s in LINKED_SCHEMES if s not in SCHEME_EVIDENCE]
if _missing:  # pragma: no cover - a scheme made shared without its evidence
    raise RuntimeError(f"Shared schemes without linkage evidence rates: {_missing}")

DISTINCT_FLOOR = 1_000
"""The fewest distinct values u is worked out from. u is the chance two different people
hold the same number; numbers issued one per child make that one over the population
holding them, and the deployment's count of distinct values is the estimate. On a
handful of records (a first import, a test) that count says more about the file than
about the population the numbers come from, which for a UPN is every pupil in England."""

COMMON_RECORDS = 10
"""The most records one number under a shared scheme may be held by and still be used.
A UPN is one child's, and the agencies of one deployment that hold it (the schools the
child has been on the roll of, children's services, early help, a school nurse) give a
child a handful of records; ten leaves room for those and for an agency's duplicates.
More than that is a number that is not one child's, and a block of ten is 45 pairs,
of a hundred 4,950: the cap is what keeps a run's pairs and a search's candidates
bounded by a number's own holders rather than by how often a default was typed."""

COUNTS_TTL_SECONDS = 300.0
"""How long a search reuses the counts it read: they move by a fraction of a bit a day."""


def token(scheme: IdentifierScheme | str, value: str) -> str:
    return f"{IdentifierScheme(scheme).value}{TOKEN_SEPARATOR}{value}"


def without_common(held: Iterable[tuple[str, str]], common: Iterable[str]) -> list[tuple[str, str]]:
    """The (scheme, value) pairs of ``held`` whose token is not in ``common``."""
    leave_out = set(common)
    return [(s, v) for s, v in held if token(s, v) not in leave_out]


def shared_tokens(
    identifiers: Iterable[tuple[IdentifierScheme | str, str]],
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The record's shared identifiers as sorted tokens and its shared schemes; ``None``
    for each when it holds none (unknown, so the comparison says nothing)."""
    linked = set(LINKED_SCHEMES)
    found = sorted({token(s, v) for s, v in identifiers if IdentifierScheme(s) in linked and v})
    if not found:
        return None, None
    schemes = sorted({t.split(TOKEN_SEPARATOR, 1)[0] for t in found})
    return tuple(found), tuple(schemes)


# --- m and u ------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameters:
    """m and u for the comparison's "same" and "different" levels."""

    m_same: float
    u_same: float
    m_different: float
    u_different: float

    @property
    def weights(self) -> tuple[float, float]:
        """(same, different) in bits, as the model adds them."""
        return (
            math.log2(self.m_same / self.u_same),
            math.log2(self.m_different / self.u_different),
        )


def parameters(counts: Mapping[str, int]) -> Parameters:
    """m from ``SCHEME_EVIDENCE``, u from the distinct values each scheme holds
    (``counts``, by scheme value); the weaker of the linked schemes each way."""
    u_same = max(1.0 / max(counts.get(s.value, 0), DISTINCT_FLOOR) for s in LINKED_SCHEMES)
    disagrees = max(SCHEME_EVIDENCE[s].disagrees for s in LINKED_SCHEMES)
    return Parameters(
        m_same=1.0 - disagrees, u_same=u_same, m_different=disagrees, u_different=1.0 - u_same
    )


def level_weights(counts: Mapping[str, int]) -> list[float]:
    """The comparison's weight per level, in its order: missing, same, different."""
    same, different = parameters(counts).weights
    return [0.0, same, different]


# --- counting distinct values --------------------------------------------------------


def workspace_counts(space: Workspace) -> dict[str, int]:
    """Distinct values per linked scheme among a run's records (its scratch copy)."""
    from jigsaw.linkage.engine import RECORDS_TABLE

    rows = space.query(
        "SELECT split_part(t, ':', 1), count(DISTINCT t) FROM "
        f"(SELECT unnest(shared_ids) AS t FROM {RECORDS_TABLE}) GROUP BY 1"
    )
    return {str(scheme): int(n) for scheme, n in rows}


def database_counts(session: Session) -> dict[str, int]:
    """Distinct values per linked scheme in the service database, bar the common ones
    (``COMMON_RECORDS``): what a run counts, since erasure deletes a record's
    identifiers (``AgencyRecordIdentifier``) and a run leaves the common ones out."""
    from jigsaw.people.models import AgencyRecordIdentifier as Identifier

    values = (
        select(Identifier.scheme.label("scheme"))
        .where(Identifier.scheme.in_(LINKED_SCHEMES))
        .group_by(Identifier.scheme, Identifier.value)
        .having(func.count() <= COMMON_RECORDS)
        .subquery()
    )
    rows = session.execute(select(values.c.scheme, func.count()).group_by(values.c.scheme)).all()
    return {IdentifierScheme(scheme).value: int(n) for scheme, n in rows}


def common_values(session: Session) -> set[str]:
    """Tokens of the numbers held by more than ``COMMON_RECORDS`` records, for a run to
    leave out: one grouped read of the whole table, as a run reads every record."""
    from jigsaw.people.models import AgencyRecordIdentifier as Identifier

    rows = session.execute(
        select(Identifier.scheme, Identifier.value)
        .where(Identifier.scheme.in_(LINKED_SCHEMES))
        .group_by(Identifier.scheme, Identifier.value)
        .having(func.count() > COMMON_RECORDS)
    ).all()
    return {token(scheme, value) for scheme, value in rows}


def common_among(session: Session, tokens: Iterable[str]) -> set[str]:
    """Of these tokens, those held by more than ``COMMON_RECORDS`` records, as
    ``common_values`` would find them; for a search, which must not read every holder
    of a default number: each is counted through the (scheme, value) index no further
    than one past the cap. (A record holds a number once: the table's unique key.)"""
    from jigsaw.people.models import AgencyRecordIdentifier as Identifier

    wanted = sorted(set(tokens))
    common: set[str] = set()
    for start in range(0, len(wanted), 100):
        chunk = wanted[start : start + 100]
        counts = []
        for i, found in enumerate(chunk):
            scheme, value = found.split(TOKEN_SEPARATOR, 1)
            holders = (
                select(Identifier.agency_record_id)
                .where(Identifier.scheme == IdentifierScheme(scheme), Identifier.value == value)
                .limit(COMMON_RECORDS + 1)
                .subquery()
            )
            counts.append(select(literal(i), func.count()).select_from(holders))
        for i, n in session.execute(union_all(*counts)).all():
            if n > COMMON_RECORDS:
                common.add(chunk[i])
    return common


def drop_common(session: Session, features: Features) -> Features:
    """The features without the shared identifiers too common to use (``COMMON_RECORDS``):
    a search's, or a candidate's, as a run would have read them."""
    if not features.shared_ids:
        return features
    common = common_among(session, features.shared_ids)
    if not common:
        return features
    kept = [tuple(t.split(TOKEN_SEPARATOR, 1)) for t in features.shared_ids if t not in common]
    shared_ids, schemes = shared_tokens((s, v) for s, v in kept)
    return dataclasses.replace(features, shared_ids=shared_ids, shared_id_schemes=schemes)


_counted: HeldCounts[str, dict[str, int]] = HeldCounts(COUNTS_TTL_SECONDS, most=16)
"""One entry per database a process searches: a deployment has one, a test run a few."""


def cached_counts(session: Session) -> dict[str, int]:
    """``database_counts``, read at most once per ``COUNTS_TTL_SECONDS`` per database:
    a search must answer in milliseconds, and counting a million identifiers would not."""
    return _counted.get(str(session.get_bind().engine.url), partial(database_counts, session))


def forget_counts() -> None:
    """Drop the held counts, so the next search counts afresh: called when a batch run
    has written its links (``batch.run_linkage``) and when an import has written its
    records, before it links them (``imports.service.link_imported``). Only this
    process's counts: another process's searches count afresh after
    ``COUNTS_TTL_SECONDS``."""
    _counted.forget()


# --- Splink settings -----------------------------------------------------------------


def blocking_rule() -> Any:
    """Records holding one shared identifier are compared, whatever else they hold: each
    record's tokens exploded, so it is an equality join like every other rule."""
    from splink.blocking_rule_library import block_on

    return block_on("shared_ids", arrays_to_explode=["shared_ids"])


def configure(settings: dict[str, Any], dialect: str, counts: Mapping[str, int]) -> None:
    """Give Splink settings the comparison with its set m and u, and its blocking rule.

    The shipped model's JSON was trained without the comparison; when a model carries
    it, its probabilities are still replaced by the set ones.
    """
    from jigsaw.linkage.comparisons import SHARED_IDENTIFIER

    made: dict[str, Any] = SHARED_IDENTIFIER.splink().get_comparison(dialect).as_dict()  # type: ignore[no-untyped-call]
    found = parameters(counts)
    probabilities = [(found.m_same, found.u_same), (found.m_different, found.u_different)]
    real = [level for level in made["comparison_levels"] if not level.get("is_null_level")]
    for level, (m, u) in zip(real, probabilities, strict=True):
        level.update(
            m_probability=m, u_probability=u, fix_m_probability=True, fix_u_probability=True
        )
    comparisons = [c for c in settings["comparisons"] if c["output_column_name"] != COMPARISON_NAME]
    settings["comparisons"] = [*comparisons, made]
    rules = settings["blocking_rules_to_generate_predictions"]
    rule = blocking_rule().get_blocking_rule(dialect).as_dict()
    if all(_rule_sql(r) != rule["blocking_rule"] for r in rules):
        rules.append(rule)


def _rule_sql(entry: Any) -> str:
    return str(entry["blocking_rule"] if isinstance(entry, dict) else entry)


# --- the online match ----------------------------------------------------------------


def candidate_ids(session: Session, query: Features) -> set[int]:
    """Records holding any of the search's shared identifiers: the online twin of the
    blocking rule, read through the (scheme, value) index. A number held by more than
    ``COMMON_RECORDS`` records brings none, as it blocks no pairs in a run."""
    from jigsaw.people.models import AgencyRecordIdentifier as Identifier

    if not query.shared_ids:
        return set()
    common = common_among(session, query.shared_ids)
    pairs = [tuple(t.split(TOKEN_SEPARATOR, 1)) for t in query.shared_ids if t not in common]
    if not pairs:
        return set()
    rows = session.scalars(
        select(Identifier.agency_record_id).where(
            tuple_(Identifier.scheme, Identifier.value).in_(
                [(IdentifierScheme(s), v) for s, v in pairs]
            )
        )
    ).all()
    return set(rows)


def held_between(session: Session, first: int, last: int) -> dict[int, list[tuple[str, str]]]:
    """The linked-scheme identifiers of the records with ids from ``first`` to ``last``:
    a run reads records in id order, and one range read per batch beats a list of ids."""
    from jigsaw.people.models import AgencyRecordIdentifier as Identifier

    held: dict[int, list[tuple[str, str]]] = {}
    rows = session.execute(
        select(Identifier.agency_record_id, Identifier.scheme, Identifier.value).where(
            Identifier.agency_record_id.between(first, last),
            Identifier.scheme.in_(LINKED_SCHEMES),
        )
    ).all()
    for record_id, scheme, value in rows:
        held.setdefault(record_id, []).append((IdentifierScheme(scheme).value, value))
    return held


def held_by(session: Session, record_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """The linked-scheme identifiers each of these records holds (one query for all)."""
    from jigsaw.people.models import AgencyRecordIdentifier as Identifier

    ids = sorted(set(record_ids))
    held: dict[int, list[tuple[str, str]]] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(Identifier.agency_record_id, Identifier.scheme, Identifier.value).where(
                Identifier.agency_record_id.in_(ids[start : start + 500]),
                Identifier.scheme.in_(LINKED_SCHEMES),
            )
        ).all()
        for record_id, scheme, value in rows:
            held.setdefault(record_id, []).append((IdentifierScheme(scheme).value, value))
    return held
