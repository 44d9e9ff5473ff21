"""Identifiers agencies share (a UPN) as linkage evidence, alike in a run and a search.

Two agencies' records of one child: a school's under her old surname, the local
authority's under her new one, neither with a date of birth. The UPN both hold is what
says they are one child; a local case number with the same text says nothing, and two
different UPNs count against.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import delete, insert, select

from jigsaw.db import Database
from jigsaw.identity.models import Agency
from jigsaw.imports.service import agency_service
from jigsaw.linkage import frequencies, identifiers
from jigsaw.linkage.batch import RunSummary, level_keys, run_linkage, score_and_cluster
from jigsaw.linkage.comparisons import COMPARISONS, SAME_AGENCY, SHARED_IDENTIFIER
from jigsaw.linkage.engine import RECORDS_TABLE, workspace
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.models import LinkReview, MatchKey
from jigsaw.linkage.online import _with_counts, candidate_records, find_candidates
from jigsaw.linkage.person_model import LinkageModel, Thresholds
from jigsaw.linkage.service import link_recorded
from jigsaw.linkage.settings import blocking_rules
from jigsaw.people import service as people
from jigsaw.people.identifiers import IdentifierScheme, normalise_upn, upn_check_letter
from jigsaw.people.models import AgencyRecord
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.roles import AgencyKind
from tests.linkage.helpers import search_details

Linked = tuple[Database, RunSummary]


def _upn(serial: int) -> str:
    body = f"201{serial:09d}"
    return normalise_upn(upn_check_letter(body) + body)


UPN = _upn(424_242)
OTHER_UPN = _upn(424_243)
SCHOOL = {
    "given_name": "Tamsin",
    "family_name": "Brookes",
    "sex": "female",
    "address": "3 Orchard Way, Millbrook",
    "postcode": "NB1 1AA",
}
COUNCIL = {**SCHOOL, "family_name": "Okafor", "address": "Flat C, Riverside House"}
"""Her new surname, and the address line as the council's system holds it: only the
given name, the postcode and the UPN agree."""
MOVED = {**COUNCIL, "address": "17 Station Road, Eastwick", "postcode": "ZE9 4QQ"}
"""Renamed and moved away: nothing any other blocking rule joins on."""


def _agency(db: Database, kind: AgencyKind) -> int:
    with db.reading() as session:
        found = session.scalar(select(Agency.id).where(Agency.kind == kind).order_by(Agency.id))
    assert found is not None, kind
    return found


def _record(
    db: Database,
    kind: AgencyKind,
    local_id: str,
    fields: dict[str, str],
    ids: list[tuple[str, str]],
) -> int:
    agency_id = _agency(db, kind)
    made = people.create_agency_record(
        db,
        agency_service(agency_id),
        AgencyRecordIn.model_validate(
            {
                "agency_id": agency_id,
                "local_id": local_id,
                "role": "child",
                **fields,
                "identifiers": [{"scheme": s, "value": v} for s, v in ids],
            }
        ),
    )
    return made.id


@contextmanager
def _out_of_the_index(db: Database, record_id: int) -> Iterator[None]:
    """The record's match key taken out for the block, and put back after it."""
    keys = MatchKey.__table__
    with db.transaction() as session:
        row = dict(
            session.execute(select(keys).where(keys.c.agency_record_id == record_id))
            .mappings()
            .one()
        )
        session.execute(delete(keys).where(keys.c.agency_record_id == record_id))
    try:
        yield
    finally:
        with db.transaction() as session:
            session.execute(insert(keys).values(row))


def _person(db: Database, record_id: int) -> int | None:
    with db.reading() as session:
        return session.scalar(select(AgencyRecord.person_id).where(AgencyRecord.id == record_id))


def _reviewed_pair(db: Database, a: int, b: int) -> LinkReview | None:
    with db.reading() as session:
        return session.scalars(
            select(LinkReview).where(
                LinkReview.record_id.in_((a, b)), LinkReview.candidate_record_id.in_((a, b))
            )
        ).first()


# --- the scheme's definition and the comparison, without a database ------------------


def test_shared_is_part_of_the_scheme_and_only_shared_schemes_become_features() -> None:
    assert IdentifierScheme.UPN.shared and IdentifierScheme.NHS_NUMBER.shared
    assert not IdentifierScheme.POLICE_REFERENCE.shared
    assert not IdentifierScheme.LOCAL_CASE_NUMBER.shared
    assert identifiers.LINKED_SCHEMES == (IdentifierScheme.UPN,)  # the NHS number has its own
    held = features_of(
        PersonDetails(
            given_name="Tamsin",
            identifiers=(("upn", UPN), ("local_case_number", "C-1"), ("police_reference", "P")),
        )
    )
    assert held.shared_ids == (f"upn:{UPN}",)
    assert held.shared_id_schemes == ("upn",)
    unshared = features_of(PersonDetails(identifiers=(("local_case_number", UPN),)))
    assert unshared.shared_ids is None and unshared.shared_id_schemes is None


def test_the_weights_come_from_the_set_rates_and_the_values_counted() -> None:
    rate = identifiers.SCHEME_EVIDENCE[IdentifierScheme.UPN].disagrees
    few = identifiers.parameters({"upn": 10})
    assert few.u_same == 1 / identifiers.DISTINCT_FLOOR  # a handful of numbers says little
    many = identifiers.parameters({"upn": 80_000})
    assert many.u_same == pytest.approx(1 / 80_000)
    assert many.m_same == pytest.approx(1 - rate) and many.m_different == pytest.approx(rate)
    same, different = many.weights
    assert same > 15 > 0 > different > -same / 2, "agreement decisive, disagreement weaker"
    model = LinkageModel.load()
    index = [c.name for c in COMPARISONS].index(SHARED_IDENTIFIER.name)
    counted = model.with_shared_values({"upn": 80_000})
    assert counted.level_weight(index, 1) == pytest.approx(same)
    assert counted.level_weight(index, 2) == pytest.approx(different)
    assert model.level_weight(index, 0) == 0.0


def test_the_settings_carry_the_set_probabilities_and_the_rule_in_both_dialects() -> None:
    model = LinkageModel.load().with_shared_values({"upn": 5_000})
    for dialect in ("duckdb", "spark"):
        settings = model.splink_settings_for(10_000, dialect)
        found = [
            c for c in settings["comparisons"] if c["output_column_name"] == "shared_identifier"
        ]
        assert len(found) == 1
        levels = found[0]["comparison_levels"]
        assert levels[0]["is_null_level"]
        assert levels[1]["u_probability"] == pytest.approx(1 / 5_000)
        assert levels[1]["fix_u_probability"] and levels[2]["fix_m_probability"]
        rules = settings["blocking_rules_to_generate_predictions"]
        assert len(rules) == len(blocking_rules()) + 1
        assert rules[-1]["arrays_to_explode"] == ["shared_ids"]
        again = model.splink_settings_for(10_000, dialect)
        assert again["blocking_rules_to_generate_predictions"] == rules  # added once


def test_a_same_value_weighs_for_a_different_one_against_an_unshared_scheme_nothing() -> None:
    model = LinkageModel.load().with_shared_values({"upn": 20_000})
    school = PersonDetails(**SCHOOL, role="child", agency=1, identifiers=(("upn", UPN),))

    def council(ids: tuple[tuple[str, str], ...]) -> float:
        other = PersonDetails(**COUNCIL, role="child", agency=2, identifiers=ids)
        return model.score(features_of(school), features_of(other), 50_000).match_weight

    without = council(())
    assert council((("upn", UPN),)) > without + 10
    assert council((("upn", OTHER_UPN),)) < without - 3
    assert council((("local_case_number", UPN),)) == without  # not shared: no evidence
    police = PersonDetails(
        **COUNCIL, role="child", agency=2, identifiers=(("police_reference", UPN),)
    )
    assert model.score(features_of(school), features_of(police), 50_000).match_weight == without


# --- a run and the online match, on a generated population --------------------------


def test_one_child_renamed_links_by_her_upn_in_a_run_and_not_by_a_case_number(
    linked: Linked, test_model: LinkageModel
) -> None:
    db, _first = linked
    school = _record(db, AgencyKind.SCHOOL, "S-UPN-1", SCHOOL, [("upn", UPN)])
    council = _record(db, AgencyKind.SOCIAL_CARE, "C-UPN-1", COUNCIL, [("upn", UPN)])
    # The same text as a case number at two agencies: their own numbering, no evidence.
    case_school = _record(
        db, AgencyKind.SCHOOL, "S-CASE-1", {**SCHOOL, "given_name": "Imogen"},
        [("local_case_number", "LA/2024/0042")],
    )  # fmt: skip
    case_council = _record(
        db, AgencyKind.SOCIAL_CARE, "C-CASE-1", {**COUNCIL, "given_name": "Imogen"},
        [("local_case_number", "LA/2024/0042")],
    )  # fmt: skip
    # Renamed and moved: only the UPN brings the pair together at all.
    moved_school = _record(
        db, AgencyKind.SCHOOL, "S-UPN-2", {**SCHOOL, "given_name": "Wren"}, [("upn", OTHER_UPN)]
    )
    moved_council = _record(
        db, AgencyKind.SOCIAL_CARE, "C-UPN-2", {**MOVED, "given_name": "Wren"}, [("upn", OTHER_UPN)]
    )
    run_linkage(db, model=test_model)
    assert _person(db, school) is not None
    assert _person(db, school) == _person(db, council), "the UPN links her two records"
    assert _person(db, case_school) != _person(db, case_council), "a case number does not"
    assert (
        _person(db, moved_school) == _person(db, moved_council)
        or _reviewed_pair(db, moved_school, moved_council) is not None
    ), "the UPN's blocking rule brought a pair nothing else joins"


def test_the_same_child_arriving_alone_is_linked_online_as_a_run_would(
    linked: Linked, test_model: LinkageModel
) -> None:
    db, _first = linked
    school = _record(db, AgencyKind.SCHOOL, "S-UPN-1", SCHOOL, [("upn", UPN)])
    moved_school = _record(
        db, AgencyKind.SCHOOL, "S-UPN-2", {**SCHOOL, "given_name": "Wren"}, [("upn", OTHER_UPN)]
    )
    case_school = _record(
        db, AgencyKind.SCHOOL, "S-CASE-1", {**SCHOOL, "given_name": "Imogen"},
        [("local_case_number", "LA/2024/0042")],
    )  # fmt: skip
    run_linkage(db, model=test_model)
    identifiers.forget_counts()
    council = _record(db, AgencyKind.SOCIAL_CARE, "C-UPN-1", COUNCIL, [("upn", UPN)])
    linked_online = link_recorded(db, agency_service(_agency(db, AgencyKind.SOCIAL_CARE)), council)
    assert linked_online.person_id == _person(db, school)
    assert linked_online.match_probability is not None
    assert linked_online.match_probability >= test_model.thresholds.auto

    case_council = _record(
        db, AgencyKind.SOCIAL_CARE, "C-CASE-1", {**COUNCIL, "given_name": "Imogen"},
        [("local_case_number", "LA/2024/0042")],
    )  # fmt: skip
    case_link = link_recorded(db, agency_service(_agency(db, AgencyKind.SOCIAL_CARE)), case_council)
    assert case_link.person_id != _person(db, case_school)

    moved = PersonDetails(**{**MOVED, "given_name": "Wren"}, role="child")
    assert moved_school not in candidate_records(db, moved), "nothing but the UPN joins them"
    with_upn = dataclasses.replace(moved, identifiers=(("upn", OTHER_UPN),))
    assert moved_school in candidate_records(db, with_upn)
    found = find_candidates(db, with_upn, model=test_model, min_probability=0.0)
    assert moved_school in {c.agency_record_id for c in found}
    evidence = {e.comparison: e.level for c in found if c.agency_record_id == moved_school
                for e in c.evidence}  # fmt: skip
    assert evidence["shared_identifier"] == "exact"


def test_a_run_and_a_search_score_a_pair_with_a_upn_alike(
    linked: Linked, test_model: LinkageModel
) -> None:
    """The batch run's Splink score of a pair, and the online match's for one side
    searched with the other's details, agree level by level and to the bit (bar the
    agency, which the match index does not hold: a search's is never compared)."""
    db, _first = linked
    school = _record(db, AgencyKind.SCHOOL, "S-UPN-1", SCHOOL, [("upn", UPN)])
    moved = _record(
        db, AgencyKind.SOCIAL_CARE, "C-UPN-1", {**MOVED, "given_name": "Tamsin"}, [("upn", UPN)]
    )
    other = _record(
        db, AgencyKind.SOCIAL_CARE, "C-UPN-3", {**COUNCIL, "given_name": "Tamsin"},
        [("upn", OTHER_UPN)],
    )  # fmt: skip
    run_linkage(db, model=test_model)
    with workspace(db) as space:
        _clustering, store = score_and_cluster(space, test_model, floor=0.0)
        edges = {
            (int(a), int(b)): (float(w), tuple(int(g) for g in gammas))
            for a, b, w, *gammas in space.query(
                f"SELECT id_l, id_r, match_weight, {', '.join(store.gammas)} FROM {store.table}"
            )
        }
    identifiers.forget_counts()
    frequencies.forget()
    agency_index = [c.name for c in COMPARISONS].index(SAME_AGENCY.name)
    across = test_model.level_weight(agency_index, len(SAME_AGENCY.levels) - 1)
    for record, level in ((moved, "exact"), (other, "different")):
        pair = (min(school, record), max(school, record))
        assert pair in edges, "the pair was scored by the run"
        weight, gammas = edges[pair]
        batch_levels = level_keys(gammas)
        assert batch_levels["shared_identifier"] == level
        # Searched for as a new record is, before it is indexed (``link_recorded``), so
        # the search counts how common its names are as the run did: with it once.
        with _out_of_the_index(db, record):
            found = {
                c.agency_record_id: c
                for c in find_candidates(
                    db, search_details(db, record), model=test_model, min_probability=0.0,
                    limit=100,
                )
            }  # fmt: skip
        assert school in found, "the search found the record the run paired"
        online = found[school]
        online_levels = {e.comparison: e.level for e in online.evidence}
        assert online_levels["shared_identifier"] == level
        assert {k: v for k, v in batch_levels.items() if k != SAME_AGENCY.name} == {
            k: v for k, v in online_levels.items() if k != SAME_AGENCY.name
        }
        assert online.match_weight + across == pytest.approx(weight, abs=1e-6)


def test_a_search_scores_with_its_own_model_when_another_was_let_go() -> None:
    """Each model a process uses is given the counts once and kept; one let go may leave
    its id to the next, which must still be scored as itself (its weights, its
    thresholds), not as the model that held the id before."""
    shipped = LinkageModel.load()
    wrong = 0
    for i in range(200):
        strict = i % 2 == 0
        thresholds = Thresholds(auto=0.999, review=0.6) if strict else Thresholds(0.9, 0.1)
        model = dataclasses.replace(shipped, thresholds=thresholds)
        made = _with_counts(model, {"upn": 5_000})
        wrong += made.thresholds != thresholds or made.shared_values != {"upn": 5_000}
        del model, made
    assert wrong == 0


# --- a number on too many records ----------------------------------------------------

GIVEN = ("Aoife", "Bram", "Cosima", "Dov", "Elspeth", "Fenella", "Griselda", "Hamish",
         "Ingrid", "Jago", "Kezia", "Lysander")  # fmt: skip
FAMILY = ("Abernethy", "Blenkinsop", "Cattermole", "Dimbleby", "Entwistle", "Fothergill",
          "Gallimore", "Hetherington", "Illingworth", "Jessop", "Kilbride", "Loxley")  # fmt: skip


def test_a_number_held_by_more_records_than_the_cap_blocks_nothing_and_weighs_nothing(
    linked: Linked, test_model: LinkageModel
) -> None:
    """A valid UPN a system typed into eleven children's records (more than
    ``COMMON_RECORDS``): a run pairs none of them by it, a search for it brings none,
    and where other details bring a pair the number counts neither way. Ten of them
    also hold a second number, which at the cap is still used, in a run and a search."""
    db, _first = linked
    cap = identifiers.COMMON_RECORDS
    default, at_cap = _upn(900_001), _upn(900_002)
    holders = [
        _record(
            db,
            AgencyKind.SCHOOL if i % 2 else AgencyKind.SOCIAL_CARE,
            f"D-{i}",
            {
                "given_name": GIVEN[i],
                "family_name": FAMILY[i],
                "sex": "female",
                "address": f"{i + 1} {FAMILY[i]} Lane, {GIVEN[i]}ton",
                "postcode": f"Q{i}{i} {i}XY",
            },
            [("upn", default)] + ([("upn", at_cap)] if i < cap else []),
        )
        for i in range(cap + 1)
    ]
    alone = holders[cap]
    # A search: the common number brings no one, the one at the cap its ten holders.
    stranger = PersonDetails(given_name="Zebedee", family_name="Quincey", role="child")
    by_default = dataclasses.replace(stranger, identifiers=(("upn", default),))
    assert not candidate_records(db, by_default) & set(holders)
    by_at_cap = dataclasses.replace(stranger, identifiers=(("upn", at_cap),))
    assert candidate_records(db, by_at_cap) & set(holders) == set(holders[:cap])
    # Found by her name and home, her record's common number says nothing either way.
    link_recorded(db, agency_service(_agency(db, AgencyKind.SOCIAL_CARE)), alone)
    found = find_candidates(db, search_details(db, alone), model=test_model, min_probability=0.0)
    levels = {e.comparison: e.level for c in found if c.agency_record_id == alone
              for e in c.evidence}  # fmt: skip
    assert levels["shared_identifier"] == "missing"

    # A run's records and scoring: no pair with the record holding only the common
    # number; the ten at the cap are still paired by it, and weighed as holding the same.
    with workspace(db) as space:
        held = dict(
            space.query(
                f"SELECT unique_id, shared_ids FROM {RECORDS_TABLE} "
                f"WHERE unique_id IN ({', '.join(str(h) for h in holders)})"
            )
        )
        assert held[alone] is None
        assert all(held[h] == [identifiers.token("upn", at_cap)] for h in holders[:cap])
        _clustering, store = score_and_cluster(space, test_model, floor=0.0)
        ids = ", ".join(str(h) for h in holders)
        pairs = space.query(
            f"SELECT id_l, id_r, gamma_shared_identifier FROM {store.table} "
            f"WHERE id_l IN ({ids}) AND id_r IN ({ids})"
        )
    assert not [p for p in pairs if alone in (p[0], p[1])], "the common number paired no one"
    assert len(pairs) == cap * (cap - 1) // 2, "the number at the cap paired its holders"
    exact = SHARED_IDENTIFIER.gamma([lv.key for lv in SHARED_IDENTIFIER.levels].index("exact"))
    assert {int(g) for _l, _r, g in pairs} == {exact}
    with db.reading() as session:
        common = identifiers.common_values(session)  # as a run reads them
        assert identifiers.token("upn", default) in common
        assert identifiers.token("upn", at_cap) not in common
        assert identifiers.common_among(
            session, [identifiers.token("upn", default), identifiers.token("upn", at_cap)]
        ) == {identifiers.token("upn", default)}, "a search finds the same as a run"


def test_the_searches_after_a_run_count_the_numbers_it_linked(
    linked: Linked, test_model: LinkageModel
) -> None:
    """Searches hold the counts of distinct numbers for five minutes; a run in the
    process leaves them counting afresh."""
    db, _first = linked
    identifiers.forget_counts()
    with db.reading() as session:
        before = identifiers.cached_counts(session).get("upn", 0)
    _record(db, AgencyKind.SCHOOL, "S-NEW-1", SCHOOL, [("upn", _upn(777_001))])
    with db.reading() as session:
        assert identifiers.cached_counts(session).get("upn", 0) == before, "held"
    run_linkage(db, model=test_model)
    with db.reading() as session:
        assert identifiers.cached_counts(session).get("upn", 0) == before + 1
