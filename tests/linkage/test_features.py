"""Normalising what agencies record into what the model compares."""

from __future__ import annotations

from datetime import date

from jigsaw.linkage.features import (
    PersonDetails,
    canonical_given_names,
    family_parts,
    features_of,
    normalise_address,
    normalise_postcode,
    postcode_parts,
    role_group,
    swapped,
)


def test_nicknames_meet_their_full_names_and_each_other() -> None:
    libby, elizabeth, beth = (set(canonical_given_names(n)) for n in ("libby", "elizabeth", "beth"))
    assert libby & elizabeth
    assert beth & libby
    assert not set(canonical_given_names("olivia")) & set(canonical_given_names("noah"))


def test_double_barrelled_names_keep_their_parts() -> None:
    assert family_parts("Smith-Jones") == ("smith", "jones")
    assert family_parts("SMITH JONES") == ("smith", "jones")
    assert family_parts("O'Brien") == ("obrien",)


def test_postcodes_are_cut_into_sector_and_district() -> None:
    assert normalise_postcode("nb12 3ab") == "NB123AB"
    assert postcode_parts("NB123AB") == ("NB123", "NB12")
    assert postcode_parts("NB13AB") == ("NB13", "NB1")
    assert postcode_parts("nonsense") == (None, None)


def test_street_abbreviations_are_spelled_out() -> None:
    assert normalise_address("12 Mill Rd, Northbridge") == normalise_address(
        "12 Mill Road Northbridge"
    )


def test_day_and_month_swap_only_when_it_is_another_real_date() -> None:
    assert swapped(date(2015, 4, 7)) == date(2015, 7, 4)
    assert swapped(date(2015, 4, 13)) is None
    assert swapped(date(2015, 5, 5)) is None


def test_missing_details_are_none_not_empty() -> None:
    features = features_of(PersonDetails(given_name="  ", family_name="", postcode=""))
    assert features.given is None and features.family is None and features.postcode is None
    assert features.sex is None and features.nhs_number is None and features.dob is None


def test_invalid_nhs_numbers_are_not_evidence() -> None:
    assert features_of(PersonDetails(nhs_number="485 777 3456")).nhs_number is None
    assert features_of(PersonDetails(nhs_number="485 777 3457")).nhs_number == "4857773457"


def test_only_child_or_adult_is_kept_of_the_role() -> None:
    assert role_group("child") == "child"
    assert role_group("parent_carer") == role_group("risk_person") == "adult"
    assert role_group(None) is None


def test_a_title_before_the_given_name_is_not_the_name() -> None:
    assert features_of(PersonDetails(given_name="Mrs Jo")).given == "jo"
    assert features_of(PersonDetails(given_name="MASTER Alfie James")).given == "alfie"
    assert features_of(PersonDetails(given_name="Dr. Amara")).given == "amara"
    # A box holding a title alone holds no given name, not a name 'mr'.
    assert features_of(PersonDetails(given_name="Mr")).given is None
    assert features_of(PersonDetails(given_name="Jo")).given == "jo"
    # A name that starts like a title is a name.
    assert features_of(PersonDetails(given_name="Misha")).given == "misha"
    assert features_of(PersonDetails(given_name="Drew")).given == "drew"


def test_a_title_says_the_sex_a_record_does_not() -> None:
    assert features_of(PersonDetails(given_name="Mrs J")).sex == "female"
    assert features_of(PersonDetails(given_name="Master Alfie")).sex == "male"
    # The record's own sex comes first; a title of no sex, or two, says none.
    assert features_of(PersonDetails(given_name="Mr Jo", sex="female")).sex == "female"
    assert features_of(PersonDetails(given_name="Dr Amara")).sex is None
    assert features_of(PersonDetails(given_name="Mr and Mrs J")).sex is None
    assert features_of(PersonDetails(given_name="Mr.Jo")).given == "jo"
    assert features_of(PersonDetails(given_name="J.R.")).given == "j"
    # A title that is also a name is read as the name.
    assert features_of(PersonDetails(given_name="Lady")).given == "lady"
