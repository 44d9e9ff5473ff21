"""The household guard asks the table whether a birth was twins before it holds a pair
back: one child whose given name one agency recorded otherwise links, twins do not."""

from __future__ import annotations

from datetime import date

import pytest

from jigsaw.linkage import guards
from jigsaw.linkage.clustering import Edge, cluster
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.person_model import LinkageModel, bits_to_probability
from jigsaw.linkage.source import feature_row
from jigsaw.people.identifiers import normalise_upn, upn_check_letter
from tests.linkage.helpers import batch_weights

REPLACED_NAME = {
    "given_name": "different",
    "family_name": "exact",
    "date_of_birth": "exact",
    "address": "same_address",
    "sex": "missing",
    "nhs_number": "missing",
    "child_or_adult": "exact",
    "same_agency": "different",
    "shared_child": "missing",
}
"""Two agencies' records agreeing on everything but a wholly different given name."""


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


def test_a_pair_across_agencies_keeps_its_weight_where_no_agency_holds_twins() -> None:
    assert guards.guarded_weight(20.0, REPLACED_NAME, twins_known=False) == 20.0


def test_the_cap_stands_where_twins_are_known_or_may_be() -> None:
    assert guards.guarded_weight(20.0, REPLACED_NAME, twins_known=True) == guards.REVIEW_CAP
    # A search asks no table: it keeps the cap.
    assert guards.guarded_weight(20.0, REPLACED_NAME) == guards.REVIEW_CAP


@pytest.mark.parametrize(
    ("level", "key"),
    [
        ("same_agency", "same"),  # one agency holding both: twins more often than not
        ("family_name", "different"),  # nothing says they are one family's child
        ("sex", "different"),  # two people, and the penalty stands
        ("date_of_birth", "near"),  # a brother born that day of another year, more likely
    ],
)
def test_the_table_settles_only_one_familys_child_across_agencies(level: str, key: str) -> None:
    levels = {**REPLACED_NAME, level: key}
    assert guards.guarded_weight(20.0, levels, twins_known=False) < 20.0


def _record(
    record_id: int,
    agency: int,
    given: str,
    *,
    family: str = "Webb",
    nhs_number: str | None = None,
    postcode: str = "NB1 2AB",
    upn: str | None = None,
) -> dict[str, object]:
    details = PersonDetails(
        given_name=given,
        family_name=family,
        date_of_birth=date(2015, 4, 9),
        postcode=postcode,
        address="10 Melrose Drive, Grandview",
        nhs_number=nhs_number,
        role="child",
        agency=agency,
        identifiers=(("upn", upn),) if upn else (),
    )
    return feature_row(record_id, details, features_of(details))


def test_a_run_links_a_renamed_child_no_agency_holds_twice(model: LinkageModel) -> None:
    weights = batch_weights(model, [_record(1, 1, "Oliver"), _record(2, 2, "Hamish")])
    assert weights[(1, 2)] > guards.REVIEW_CAP + 5


def test_a_run_holds_back_twins_another_agency_holds_both_of(model: LinkageModel) -> None:
    rows = [
        _record(1, 1, "Oliver"),
        _record(2, 2, "Hamish"),
        _record(3, 3, "Oliver"),  # a GP with both twins on its list
        _record(4, 3, "Hamish"),
    ]
    weights = batch_weights(model, rows)
    assert weights[(1, 2)] <= guards.REVIEW_CAP
    assert weights[(3, 4)] <= guards.REVIEW_CAP  # the GP's own two: never one child
    assert weights[(1, 3)] > guards.REVIEW_CAP + 5  # one child, one name: linked


def test_twins_each_known_to_one_agency_show_by_their_nhs_numbers(model: LinkageModel) -> None:
    rows = [
        _record(1, 1, "Oliver"),
        _record(2, 2, "Hamish"),
        _record(3, 3, "Oliver", nhs_number="4857773457"),  # each at his own GP
        _record(4, 4, "Hamish", nhs_number="9434765919"),
    ]
    assert batch_weights(model, rows)[(1, 2)] <= guards.REVIEW_CAP


def test_twins_one_agency_holds_under_two_surnames_share_a_home(model: LinkageModel) -> None:
    rows = [
        _record(1, 1, "Oliver"),
        _record(2, 2, "Hamish"),
        _record(3, 3, "Oliver", family="Jones"),  # one twin under another surname
        _record(4, 3, "Hamish"),
    ]
    assert batch_weights(model, rows)[(1, 2)] <= guards.REVIEW_CAP


def _upn(serial: int) -> str:
    body = f"201{serial:09d}"
    return normalise_upn(upn_check_letter(body) + body)


def test_twins_each_known_to_one_agency_show_by_their_upns(model: LinkageModel) -> None:
    """Twins at two schools, or one at school and one known to the council: each holds
    a UPN of their own, which tells them apart as two NHS numbers would."""
    rows = [
        _record(1, 1, "Oliver", upn=_upn(1)),
        _record(2, 2, "Hamish", upn=_upn(2)),
        _record(3, 3, "Hamish"),  # a third agency's record of one of them, without a UPN
    ]
    weights = batch_weights(model, rows)
    assert weights[(1, 2)] <= guards.REVIEW_CAP
    assert weights[(1, 3)] <= guards.REVIEW_CAP, "the birth is known to be twins"
    assert weights[(2, 3)] > guards.REVIEW_CAP + 5  # one child, one name: linked


def test_a_pair_whose_upns_differ_is_not_settled_whatever_the_birth(
    model: LinkageModel,
) -> None:
    """Where the pair meets no birth key (a postcode a letter apart, a slip in the
    surname's first letter), two different UPNs on the pair itself keep the cap."""
    rows = [
        _record(1, 1, "Oliver", upn=_upn(1)),
        _record(2, 2, "Hamish", family="Vebb", postcode="NB1 2AD", upn=_upn(2)),
    ]
    assert batch_weights(model, rows)[(1, 2)] <= guards.REVIEW_CAP
    levels = {**REPLACED_NAME, "shared_identifier": "different"}
    assert guards.guarded_weight(20.0, levels, twins_known=False) == guards.REVIEW_CAP
    levels = {**REPLACED_NAME, "shared_identifier": "exact"}
    assert guards.guarded_weight(20.0, levels, twins_known=False) == 20.0


UNNAMED_TWIN = {**REPLACED_NAME, "given_name": "missing"}
"""A record with no given name born on the day of a birth, agreeing on all the rest."""


def test_a_record_with_no_given_name_at_a_birth_of_twins_waits_for_a_reviewer() -> None:
    assert guards.unnamed_at_twins_birth(UNNAMED_TWIN)
    assert guards.guarded_weight(20.0, UNNAMED_TWIN) == guards.REVIEW_CAP  # a search
    assert guards.guarded_weight(20.0, UNNAMED_TWIN, twins_known=False) == 20.0
    assert guards.guarded_weight(3.0, UNNAMED_TWIN) == 3.0  # a cap, never a boost
    for level, key in [("nhs_number", "exact"), ("shared_identifier", "exact")]:
        assert guards.guarded_weight(20.0, {**UNNAMED_TWIN, level: key}) == 20.0
    for level, key in [("date_of_birth", "different"), ("date_of_birth", "missing")]:
        assert not guards.unnamed_at_twins_birth({**UNNAMED_TWIN, level: key})


def test_a_nameless_record_never_joins_twins_an_agency_holds_both_of(
    model: LinkageModel,
) -> None:
    """A maternity record of "the Webb baby" beside a GP's Oliver and Hamish Webb: it
    agrees with both, so linked to each it would make the twins one child."""
    rows = [_record(1, 3, "Oliver"), _record(2, 3, "Hamish"), _record(3, 1, "")]
    weights = batch_weights(model, rows)
    assert weights[(1, 3)] == pytest.approx(guards.REVIEW_CAP)
    assert weights[(2, 3)] == pytest.approx(guards.REVIEW_CAP)
    edges = sorted(
        (Edge(a, b, bits_to_probability(w), w) for (a, b), w in weights.items()),
        key=lambda edge: -edge.probability,
    )
    clustering = cluster([1, 2, 3], edges, auto=0.99, review=0.5)
    assert len({clustering.root(r) for r in (1, 2, 3)}) == 3
    assert {(1, 3), (2, 3)} <= {(item.left, item.right) for item in clustering.review_items()}


def test_a_nameless_record_of_a_birth_no_agency_holds_twins_of_links(
    model: LinkageModel,
) -> None:
    weights = batch_weights(model, [_record(1, 3, "Oliver"), _record(2, 1, "")])
    assert weights[(1, 2)] > guards.REVIEW_CAP + 5


def test_the_review_page_says_a_nameless_record_may_be_either_twin() -> None:
    from jigsaw.linkage.evidence import caution

    assert "which twin" in (caution(UNNAMED_TWIN) or "")
    for level in ("sex", "nhs_number", "shared_identifier"):  # recorded apart: told apart
        assert caution({**UNNAMED_TWIN, level: "different"}) is None
    assert "which twin" not in (caution({**UNNAMED_TWIN, "date_of_birth": "different"}) or "")


def test_an_initial_links_where_the_table_shows_one_child_of_the_birth(
    model: LinkageModel,
) -> None:
    """ "O. Webb" born that day at that home, beside the GP's Oliver: nothing else is
    held of the birth, so the initial is Oliver's and the pair links."""
    weights = batch_weights(model, [_record(1, 3, "Oliver"), _record(2, 1, "O.")])
    assert weights[(1, 2)] > guards.REVIEW_CAP + 5


def test_an_initial_at_a_birth_of_twins_waits_for_a_reviewer(model: LinkageModel) -> None:
    """Twins Oliver and Owen on the GP's list: "O. Webb" is either, so neither pair links
    and clustering keeps the twins apart; "H. Webb" of that birth is no more linked."""
    rows = [_record(1, 3, "Oliver"), _record(2, 3, "Owen"), _record(3, 1, "O."),
            _record(4, 2, "H")]  # fmt: skip
    weights = batch_weights(model, rows)
    assert weights[(1, 3)] == pytest.approx(guards.REVIEW_CAP)
    assert weights[(2, 3)] == pytest.approx(guards.REVIEW_CAP)
    assert weights[(1, 4)] <= guards.REVIEW_CAP and weights[(2, 4)] <= guards.REVIEW_CAP
    edges = sorted(
        (Edge(a, b, bits_to_probability(w), w) for (a, b), w in weights.items()),
        key=lambda edge: -edge.probability,
    )
    clustering = cluster([1, 2, 3, 4], edges, auto=0.99, review=0.5)
    assert len({clustering.root(r) for r in (1, 2, 3)}) == 3


def test_an_initial_with_no_birthday_at_a_household_waits_for_a_reviewer(
    model: LinkageModel,
) -> None:
    """James and Jack Webb, brothers at one home: "J. Webb" with no date of birth there is
    either of them (``guards.nothing_to_tell``)."""

    def brother(record_id: int, agency: int, given: str, born: date | None) -> dict[str, object]:
        details = PersonDetails(
            given_name=given, family_name="Webb", date_of_birth=born, postcode="NB1 2AB",
            address="10 Melrose Drive, Grandview", role="child", agency=agency,
        )  # fmt: skip
        return feature_row(record_id, details, features_of(details))

    rows = [brother(1, 3, "James", date(2012, 5, 1)), brother(2, 3, "Jack", date(2015, 2, 7)),
            brother(3, 1, "J.", None)]  # fmt: skip
    weights = batch_weights(model, rows)
    assert weights[(1, 3)] <= guards.REVIEW_CAP
    assert weights[(2, 3)] <= guards.REVIEW_CAP
    # With one Webb child at the home the family name and the home are the evidence.
    alone = batch_weights(model, [rows[0], brother(3, 1, "J.", None)])
    assert alone[(1, 3)] > guards.REVIEW_CAP + 5


def _webb(
    record_id: int, agency: int, given: str, born: date | None, role: str = "child"
) -> dict[str, object]:
    details = PersonDetails(
        given_name=given, family_name="Webb", date_of_birth=born, postcode="NB1 2AB",
        address="10 Melrose Drive, Grandview", role=role, agency=agency,
    )  # fmt: skip
    return feature_row(record_id, details, features_of(details))


def test_a_parent_under_an_initial_is_not_linked_to_their_child(model: LinkageModel) -> None:
    """ "Mr J Webb", a parent with no date of birth, and his son James at the same home:
    the first letter agrees and nothing else tells them apart but the roles, which say
    two people live there (``household_records_sql``), so the pair waits at the most."""
    rows = [_webb(1, 3, "James", date(2014, 5, 1)), _webb(2, 1, "Mr J", None, "parent")]
    assert batch_weights(model, rows)[(1, 2)] <= guards.REVIEW_CAP


def test_an_agency_holding_a_birth_twice_one_under_an_initial_holds_twins(
    model: LinkageModel,
) -> None:
    """A GP holding "J." and James of one birth holds two children (Jack and James): the
    twins' table flags the birth, so the school's Jack is linked to neither."""
    born = date(2015, 4, 9)
    rows = [_webb(1, 3, "J.", born), _webb(2, 3, "James", born), _webb(3, 2, "Jack", born)]
    weights = batch_weights(model, rows)
    assert all(weight <= guards.REVIEW_CAP for weight in weights.values()), weights
