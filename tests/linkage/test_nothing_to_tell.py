"""A pair with no given name and no date of birth to compare is told only by what a
household's brothers and sisters share: where the table shows two people of that family
name at the home, a reviewer decides (``guards.nothing_to_tell``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from jigsaw.linkage import guards
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.source import feature_row
from tests.linkage.helpers import NOTHING_TO_TELL, batch_frequencies, batch_weights

AMY = PersonDetails(
    given_name="Amy",
    family_name="Gillingham",
    date_of_birth=date(2014, 6, 3),
    sex="female",
    postcode="NB1 2AB",
    address="Flat 5, 18 Orchard Way, Grandview",
    role="child",
    agency=1,
)
UNNAMED = replace(AMY, given_name="", date_of_birth=None, agency=2)
"""'A Gillingham girl at Flat 5': the family name, the sex and the home."""
BETH = replace(AMY, given_name="Bethany", date_of_birth=date(2016, 1, 21), agency=3)


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


def _rows(*people: PersonDetails) -> list[dict[str, object]]:
    return [feature_row(n, p, features_of(p)) for n, p in enumerate(people, start=1)]


def test_a_pair_with_nothing_to_tell_waits_for_a_reviewer_at_a_household() -> None:
    assert guards.nothing_to_tell(NOTHING_TO_TELL)
    assert guards.guarded_weight(20.0, NOTHING_TO_TELL) == guards.REVIEW_CAP
    assert guards.guarded_weight(3.0, NOTHING_TO_TELL) == 3.0  # a cap, never a boost


def test_where_the_home_holds_one_person_of_the_name_the_pair_keeps_its_weight() -> None:
    assert guards.guarded_weight(20.0, NOTHING_TO_TELL, household_known=False) == 20.0


@pytest.mark.parametrize(
    ("level", "key"),
    [
        ("given_name", "exact"),  # a name to compare tells the children apart
        ("given_name", "different"),
        ("date_of_birth", "exact"),
        ("date_of_birth", "different"),
        ("nhs_number", "exact"),  # one NHS number: one person
        ("shared_identifier", "exact"),  # one UPN: one child
    ],
)
def test_anything_that_tells_the_two_apart_lifts_the_cap(level: str, key: str) -> None:
    """What is left is the twin guard's to weigh (a different name at one home is a
    brother or sister's), whatever the table says of the home."""
    levels = {**NOTHING_TO_TELL, level: key}
    assert not guards.nothing_to_tell(levels)
    assert guards.guarded_weight(20.0, levels) == guards.guarded_weight(
        20.0, levels, household_known=False
    )
    if key == "exact":
        # A date of birth in common with no given name is the twins' table's to settle
        # (``unnamed_at_twins_birth``): where it shows no twins, nothing caps the pair.
        assert guards.guarded_weight(20.0, levels, twins_known=False) == 20.0


@pytest.mark.parametrize(
    ("level", "key"),
    [("nhs_number", "different"), ("shared_identifier", "different"), ("sex", "missing")],
)
def test_numbers_that_differ_or_a_sex_unrecorded_tell_nothing(level: str, key: str) -> None:
    assert guards.guarded_weight(20.0, {**NOTHING_TO_TELL, level: key}) == guards.REVIEW_CAP


def test_the_cap_applies_after_the_twin_guard_never_instead_of_it() -> None:
    """A pair the twin guard penalises stays penalised; the cap only lowers."""
    levels = {**NOTHING_TO_TELL, "sex": "different"}  # twin-like by the sex, at one home
    assert guards.is_twin_like(levels)
    assert guards.guarded_weight(10.0, levels) == 10.0 - guards.TWIN_PENALTY
    assert guards.guarded_weight(40.0, levels) == guards.REVIEW_CAP


def test_a_run_holds_a_nameless_record_for_a_reviewer_where_two_sisters_live(
    model: LinkageModel,
) -> None:
    weights = batch_weights(model, _rows(AMY, UNNAMED, BETH))
    assert weights[(1, 2)] == pytest.approx(guards.REVIEW_CAP)
    assert weights[(2, 3)] == pytest.approx(guards.REVIEW_CAP)
    # Amy and Bethany themselves have names and birthdays to tell them apart.
    assert weights[(1, 3)] < guards.REVIEW_CAP


def test_a_run_links_a_nameless_record_where_the_home_holds_one_person_of_the_name(
    model: LinkageModel,
) -> None:
    alone = batch_weights(model, _rows(AMY, UNNAMED))[(1, 2)]
    assert alone > guards.REVIEW_CAP
    # A search has no table to ask and holds the same pair for a reviewer.
    pair = (features_of(AMY), features_of(UNNAMED))
    online = model.score(*pair, 2, batch_frequencies(model, pair)(pair[0]))
    assert online.match_weight == pytest.approx(guards.REVIEW_CAP)


def test_one_persons_records_with_a_mistyped_name_show_no_household(model: LinkageModel) -> None:
    """Amy and 'Aym' at one home are one girl's two records, not two girls."""
    typed = replace(AMY, given_name="Aym", agency=3)
    weights = batch_weights(model, _rows(AMY, UNNAMED, typed))
    assert weights[(1, 2)] > guards.REVIEW_CAP


def test_the_sql_and_the_python_guard_agree_on_every_pair_at_a_household(
    model: LinkageModel,
) -> None:
    """Each pair of a household with a nameless record, scored by a run (the table shows
    the household) and by a search (which assumes one): the same weight."""
    people = (AMY, UNNAMED, BETH, replace(UNNAMED, sex="unknown", agency=4))
    weights = batch_weights(model, _rows(*people))
    features = [features_of(p) for p in people]
    frequencies = batch_frequencies(model, features)
    for (left, right), batch in weights.items():
        a, b = features[left - 1], features[right - 1]
        online = model.score(a, b, len(people), frequencies(a))
        assert online.match_weight == pytest.approx(batch, abs=1e-6), (left, right)


def test_sisters_whose_names_are_alike_are_two_people_by_their_birthdays(
    model: LinkageModel,
) -> None:
    """Ella and Ellie: a spelling apart, two birthdays apart."""
    ella = replace(AMY, given_name="Ella")
    ellie = replace(BETH, given_name="Ellie")
    weights = batch_weights(model, _rows(ella, UNNAMED, ellie))
    assert weights[(1, 2)] == pytest.approx(guards.REVIEW_CAP)
    assert weights[(2, 3)] == pytest.approx(guards.REVIEW_CAP)


def test_the_home_is_the_house_and_street_however_the_flat_or_postcode_was_kept(
    model: LinkageModel,
) -> None:
    """The nameless record has the flat in its line and no postcode; the sisters' records
    have the postcode and no flat: one home by its house number and street's name."""
    amy, beth = (replace(p, address="18 Orchard Way, Grandview") for p in (AMY, BETH))
    unnamed = replace(UNNAMED, postcode="", address="Flat 5, 18 Orchard Way")
    weights = batch_weights(model, _rows(amy, unnamed, beth))
    assert weights[(1, 2)] <= guards.REVIEW_CAP
    alone = batch_weights(model, _rows(amy, unnamed))[(1, 2)]
    assert alone > weights[(1, 2)]  # the cap, not the evidence, held it


def test_the_review_page_says_what_the_guard_saw() -> None:
    from jigsaw.linkage.evidence import caution

    assert "brother or sister" in (caution(NOTHING_TO_TELL) or "")
    assert "this person" in (caution(NOTHING_TO_TELL, "person") or "")
    twins = {**NOTHING_TO_TELL, "given_name": "different", "date_of_birth": "exact"}
    assert "twins" in (caution(twins) or "")
    assert caution({**twins, "shared_identifier": "different"}) is None  # each their own UPN
    generations = {**NOTHING_TO_TELL, "given_name": "exact", "date_of_birth": "different"}
    assert "parent and child" in (caution(generations) or "")
    one_child = {**NOTHING_TO_TELL, "given_name": "exact", "date_of_birth": "exact"}
    assert caution(one_child) is None


@pytest.mark.parametrize(
    ("level", "key"),
    [
        ("sex", "different"),  # a sex recorded apart tells the two apart
        ("nhs_number", "different"),
        ("shared_identifier", "different"),
        ("family_name", "different"),  # not one family
        ("address", "different"),  # not one home
    ],
)
def test_the_page_says_nothing_tells_them_apart_only_where_nothing_does(
    level: str, key: str
) -> None:
    from jigsaw.linkage.evidence import caution

    assert caution({**NOTHING_TO_TELL, level: key}) is None
