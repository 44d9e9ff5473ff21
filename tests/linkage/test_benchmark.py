"""The benchmark on public labelled data, and the generalising parts of the model it
measures: blocking that survives any one mistyped field, a guard that tells a typo from
a twin, and records with no name."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from splink import DuckDBAPI, Linker
from sqlalchemy import select
from typer.testing import CliRunner

from jigsaw.benchmark import (
    LOST_PROFILES,
    Dataset,
    LabelledRecord,
    febrl,
    lost_profiles,
    run_benchmark,
)
from jigsaw.db import Database
from jigsaw.linkage.batch import run_linkage
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.source import FEATURE_SCHEMA, feature_row
from jigsaw.people import service as people
from jigsaw.people.models import AgencyRecord
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.actor import Actor

SYSTEMS = ("jigsaw", "splink-tutorial", "recordlinkage-ecm")


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


def test_the_benchmark_command_scores_all_three_systems_on_the_same_records(
    tmp_path: Path,
) -> None:
    from jigsaw.cli import app

    output = tmp_path / "febrl4.json"
    result = CliRunner().invoke(
        app,
        ["linkage", "benchmark", "--dataset", "febrl4", "--limit", "150", "--no-train",
         "--output", str(output)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(output.read_text())
    assert report["records"] == 300
    assert report["true_pairs"] == 150  # each of file A's first 150 has its copy in B's
    assert [s["name"] for s in report["systems"]] == list(SYSTEMS)
    for system in report["systems"]:
        assert 0.0 <= system["blocking_recall"] <= 1.0
        for stage in ("automatic", "after_review"):
            assert set(system[stage]) == {"precision", "recall", "f1"}
            assert 0.0 <= system[stage]["f1"] <= 1.0
        assert system["review_items"] >= 0 and system["seconds"] >= 0
        assert system["review_share"] == round(system["review_items"] / 300, 5)
        assert "recall_by_corruption" not in system, "FEBRL does not say how it corrupted"
        # Every system finds most of these easy pairs: a broken loader or scorer would not.
        assert system["after_review"]["recall"] > 0.8
    [jigsaw] = [s for s in report["systems"] if s["name"] == "jigsaw"]
    assert jigsaw["blocking_recall"] > 0.98
    assert jigsaw["automatic"]["precision"] > 0.99
    # The pairs it lost, by what their records share, add up to what recall says it lost.
    lost = jigsaw["lost_after_review"]
    assert set(lost) == {*(p.name for p in LOST_PROFILES), "other"}
    assert sum(lost.values()) == round((1 - jigsaw["after_review"]["recall"]) * 150)


def _labelled(**details: Any) -> LabelledRecord:
    return LabelledRecord(agency="A", local_id="1", entity="e", **details)


def test_lost_pairs_are_told_apart_by_what_their_records_share() -> None:
    """Joshua and Kimberly Kelley at one home, born 22 years apart (FEBRL made one from
    the other by replacing the given name and the date of birth), are a relative's
    profile; two records with no name and no birth date in common have only the place;
    a pair whose date of birth agrees is neither."""
    joshua = _labelled(given_name="Joshua", family_name="Kelley", date_of_birth=date(1934, 8, 31),
                       address="59 Harwood Court, Emerald", postcode="3127")  # fmt: skip
    kimberly = _labelled(given_name="Kimberly", family_name="Kelley",
                         date_of_birth=date(1956, 6, 27), address="59 Harwood Court, Emerald",
                         postcode="3127")  # fmt: skip
    stranger = _labelled(given_name="Connor", family_name="Paine", address="59 Harwood Court")
    born_that_day = _labelled(given_name="Max", family_name="Wood", date_of_birth=date(1934, 8, 31))
    assert lost_profiles([(joshua, kimberly), (joshua, stranger), (joshua, born_that_day)]) == {
        "a_relatives_profile": 1,
        "no_name_and_no_birth_date": 1,
        "other": 1,
    }
    # One NHS number is one person, whatever else differs; a name found across the two
    # fields ("Kelley Smith") is a name in common.
    numbered = [replace(r, nhs_number="9434765919") for r in (joshua, kimberly, stranger)]
    crossed = replace(kimberly, given_name="Kelley", family_name="Smith")
    assert lost_profiles(
        [(numbered[0], numbered[1]), (numbered[0], numbered[2]), (joshua, crossed)]
    ) == {"a_relatives_profile": 0, "no_name_and_no_birth_date": 0, "other": 3}


def test_febrl_identity_never_reaches_the_records() -> None:
    """The truth comes from FEBRL's record ids; the agency's local ids must not carry it."""
    dataset = febrl("febrl4", limit=5)
    assert len(dataset.records) == 10
    assert not dataset.duplicates_within_agency
    for record in dataset.records:
        assert record.entity.startswith("rec-")
        assert record.entity not in record.local_id
        assert record.nhs_number is None


def _blocked_pairs(model: LinkageModel, people_: list[PersonDetails]) -> set[tuple[int, int]]:
    rows = [feature_row(i, p, features_of(p)) for i, p in enumerate(people_, start=1)]
    con = duckdb.connect()
    con.register("rows", pa.Table.from_pylist(rows, schema=FEATURE_SCHEMA))
    con.execute("CREATE TABLE blocking_records AS SELECT * FROM rows")
    linker = Linker(
        DuckDBAPI(connection=con).register("blocking_records"),
        model.splink_settings_for(len(rows)),
    )
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    pairs = con.execute(
        f"SELECT least(join_key_l, join_key_r), greatest(join_key_l, join_key_r) "
        f"FROM {blocked.physical_name}"
    ).fetchall()
    con.close()
    return {(int(a), int(b)) for a, b in pairs}


def test_blocking_finds_a_pair_that_agrees_only_on_a_postcode_in_any_format(
    model: LinkageModel,
) -> None:
    """Different spellings of both names, no date of birth on one side, the address
    written differently: only the (non-UK) postcode is the same."""
    left = PersonDetails("Katherine", "Macdonald", date(1961, 4, 2), postcode="4223",
                         address="8 Stanley Street, Winston Hills")  # fmt: skip
    right = PersonDetails("Kathryn", "Mcdonnell", None, postcode="4223",
                          address="Flat 8, Stanley St")  # fmt: skip
    other = PersonDetails("Peter", "Jones", date(1970, 1, 1), postcode="2600",
                          address="1 Long Road")  # fmt: skip
    assert _blocked_pairs(model, [left, right, other]) == {(1, 2)}


def test_blocking_finds_swapped_names_and_the_same_house_in_another_town(
    model: LinkageModel,
) -> None:
    swapped_a = PersonDetails("Thompson", "Grace", date(1990, 5, 6), postcode="NB1 2AA")
    swapped_b = PersonDetails("Grace", "Thompson", date(1991, 7, 8), postcode="XY9 9ZZ")
    house_a = PersonDetails("Tom", "Ellis", None, address="12 Mill Road, Oldtown")
    house_b = PersonDetails("Thomas", "Elis", None, address="12 Mill Rd, Old Town, Northshire")
    assert _blocked_pairs(model, [swapped_a, swapped_b, house_a, house_b]) == {(1, 2), (3, 4)}


def _pair(left_given: str, right_given: str) -> tuple[PersonDetails, PersonDetails]:
    common = {
        "family_name": "Okafor",
        "date_of_birth": date(2015, 6, 21),
        "sex": "male",
        "postcode": "NB4 2AB",
        "address": "4 Mill Road, Millbrook",
        "role": "child",
    }
    return (
        PersonDetails(given_name=left_given, **common),  # type: ignore[arg-type]
        PersonDetails(given_name=right_given, **common),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("left", "right"), [("Michael", "Micheal"), ("Ava", "Eva"),
                                             ("Christopher", "Christphoer")])  # fmt: skip
def test_the_guard_lets_a_typo_through(model: LinkageModel, left: str, right: str) -> None:
    a, b = _pair(left, right)
    score = model.score(features_of(a), features_of(b), 10_000)
    assert not score.guarded
    assert score.match_probability >= model.thresholds.auto


@pytest.mark.parametrize(("left", "right"), [("Oliver", "Harry"), ("Jacob", "Ethan")])
def test_the_guard_stops_twins(model: LinkageModel, left: str, right: str) -> None:
    a, b = _pair(left, right)
    score = model.score(features_of(a), features_of(b), 10_000)
    assert score.guarded
    assert score.match_probability < model.thresholds.auto


def test_a_record_with_no_name_scores_its_names_as_missing_not_as_different(
    model: LinkageModel,
) -> None:
    named = PersonDetails("Amara", "Osei", date(2020, 2, 29), "female", "NB4 2AB",
                          "4 Mill Road", "4857773457", "child")  # fmt: skip
    unnamed = PersonDetails("", "", date(2020, 2, 29), "female", "NB4 2AB",
                            "4 Mill Road", "4857773457", "child")  # fmt: skip
    score = model.score(features_of(named), features_of(unnamed), 500_000)
    levels = {e.comparison: e for e in score.evidence}
    assert levels["given_name"].level == "missing" and levels["given_name"].match_weight == 0
    assert levels["family_name"].level == "missing" and levels["family_name"].match_weight == 0
    assert score.match_probability >= model.thresholds.auto


def test_a_record_with_no_name_links_on_its_other_details(
    private_database: Database, model: LinkageModel
) -> None:
    """Recorded through the service with the names left empty (not a placeholder), a
    baby's health record links to the school's named record by NHS number, birthday and
    home."""
    from jigsaw.agencies import service as agencies
    from jigsaw.agencies.schemas import AgencyIn
    from jigsaw.policy.roles import AgencyKind

    system = Actor.system()
    kinds = list(AgencyKind)
    health = agencies.create_agency(private_database, system, AgencyIn(name="GP", kind=kinds[0]))
    school = agencies.create_agency(
        private_database, system, AgencyIn(name="School", kind=kinds[1])
    )
    common = {"role": "child", "date_of_birth": date(2020, 2, 29), "sex": "female",
              "address": "4 Mill Road, Millbrook", "postcode": "NB4 2AB",
              "nhs_number": "4857773457"}  # fmt: skip
    unnamed = people.create_agency_record(
        private_database, system, AgencyRecordIn(agency_id=health.id, local_id="H1", **common)
    )
    assert unnamed.given_name == "" and unnamed.family_name == ""
    named = people.create_agency_record(
        private_database,
        system,
        AgencyRecordIn(
            agency_id=school.id, local_id="S1", given_name="Amara", family_name="Osei", **common
        ),
    )
    stranger = people.create_agency_record(
        private_database,
        system,
        AgencyRecordIn(
            agency_id=school.id,
            local_id="S2",
            given_name="Zoe",
            family_name="Ward",
            role="child",
            date_of_birth=date(2019, 1, 5),
        ),
    )
    run_linkage(private_database, model=model)
    with private_database.reading() as session:
        person = dict(session.execute(select(AgencyRecord.id, AgencyRecord.person_id)).all())
    assert person[unnamed.id] == person[named.id]
    assert person[stranger.id] != person[named.id]


def test_a_record_identifying_nobody_is_refused() -> None:
    with pytest.raises(ValueError, match="a name, a date of birth or an NHS number"):
        AgencyRecordIn(agency_id=1, local_id="X", role="child", postcode="NB4 2AB")


def test_labelled_records_of_one_agency_may_be_benchmarked_without_training(
    tmp_path: Path, model: LinkageModel
) -> None:
    """A CSV-style data set: duplicates within one agency, one record without a name."""
    records = [
        LabelledRecord("Agency", "a1", "p1", "Ruby", "Hart", date(2012, 3, 4), "female",
                       "3 Kiln Lane, Oldtown", "NB2 3CD"),
        LabelledRecord("Agency", "a2", "p1", "Rubie", "Hart", date(2012, 3, 4), "female",
                       "3 Kiln Lane, Oldtown", "NB2 3CD"),
        LabelledRecord("Agency", "a3", "p2", "Sam", "Cole", date(1980, 1, 2), "male",
                       "9 Elm Close, Newtown", "NB7 1XY"),
        LabelledRecord("Agency", "a4", "p3", "", "", date(2001, 9, 9), "unknown",
                       "5 Ash Grove", "NB1 1AA"),
    ]  # fmt: skip
    report = run_benchmark(
        Dataset("files", records, duplicates_within_agency=True),
        model=model,
        train=False,
        workdir=tmp_path,
    ).as_dict()
    assert report["records"] == 4 and report["true_pairs"] == 1
    assert [s["name"] for s in report["systems"]] == list(SYSTEMS)


def test_any_labelled_data_is_read_as_one_agency_per_file(tmp_path: Path) -> None:
    from jigsaw.benchmark import AGENCY_COLUMNS, from_files

    header = ",".join(AGENCY_COLUMNS)
    school = tmp_path / "school.csv"
    school.write_text(f"{header}\ns1,Ruby,Hart,2012-03-04,female,3 Kiln Lane,NB2 3CD,\n")
    health = tmp_path / "health.csv"
    health.write_text(f"{header}\nh1,,,2012-03-04,f,3 Kiln Lane,NB2 3CD,4857773457\n")
    truth = tmp_path / "truth.csv"
    truth.write_text("local_id,entity_id\ns1,p1\nh1,p1\n")
    dataset = from_files([school, health], truth)
    assert [(r.agency, r.local_id, r.entity) for r in dataset.records] == [
        ("school", "s1", "p1"),
        ("health", "h1", "p1"),
    ]
    assert dataset.records[1].given_name == "" and dataset.records[1].nhs_number == "4857773457"
    assert dataset.records[0].date_of_birth == date(2012, 3, 4)
    assert [r.sex for r in dataset.records] == ["female", "female"]


@pytest.mark.parametrize(
    ("left", "right", "given_level"),
    [
        (("Grace", "Thompson"), ("Thompson", "Grace"), "swapped"),
        (("Joshua", "Wiechec"), ("Wiechec", "Joshzua"), "swapped"),  # swapped, and a slip
        (("Zoe", "Smith"), ("Zara", "Smith"), "different"),  # sisters read alike sorted
    ],
)
def test_swapped_names_weigh_as_the_same_names(
    model: LinkageModel, left: tuple[str, str], right: tuple[str, str], given_level: str
) -> None:
    born = date(1990, 5, 6)
    score = model.score(
        features_of(PersonDetails(*left, born)), features_of(PersonDetails(*right, born)), 10_000
    )
    levels = {e.comparison: e for e in score.evidence}
    assert levels["given_name"].level == given_level
    if given_level == "swapped":
        assert levels["family_name"].level == "swapped"
        assert levels["given_name"].match_weight > 5 and levels["family_name"].match_weight > 5
