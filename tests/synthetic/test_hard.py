"""The hard noise profile: two agencies' files, the second corrupted by named kinds, and
the bookkeeping of which record got which kind checked against the person's clean copy."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jigsaw.synthetic import names
from jigsaw.synthetic.hard import (
    CLEAN_AGENCY,
    CORRUPTED_AGENCY,
    CORRUPTIONS,
    DOB_MISSING,
    DOB_SWAP,
    INITIAL,
    NAME_MISSING,
    NAMES_SWAPPED,
    NICKNAME,
    NON_UK_ADDRESS,
    POSTCODE_MISSING,
    RECORD_COLUMNS,
    SURNAME_CHANGE,
    TRUTH_COLUMNS,
    TYPO,
    HardRecord,
    export,
    hard_records,
    non_uk_format,
    swapped_date,
)
from jigsaw.synthetic.households import MAX_CHILDREN, SLOTS_PER_HOUSEHOLD, build_household

SIZE = 600
SEED = 4


@pytest.fixture(scope="module")
def records() -> list[HardRecord]:
    return hard_records(SIZE, SEED)


def _clean_copies(records: list[HardRecord]) -> dict[str, HardRecord]:
    return {r.entity: r for r in records if r.agency == CLEAN_AGENCY}


def test_each_agency_holds_the_size_asked_for_under_ids_that_say_nobody(
    records: list[HardRecord],
) -> None:
    assert Counter(r.agency for r in records) == {CLEAN_AGENCY: SIZE, CORRUPTED_AGENCY: SIZE}
    assert len({r.local_id for r in records}) == 2 * SIZE
    gp = sorted((r for r in records if r.agency == CLEAN_AGENCY), key=lambda r: r.local_id)
    numbers = [int(r.entity.removeprefix("person-")) for r in gp]
    assert numbers != sorted(numbers), "the file is shuffled before it is numbered"
    housing = {r.entity: r.local_id for r in records if r.agency == CORRUPTED_AGENCY}
    same_number = sum(housing.get(r.entity, "")[-6:] == r.local_id[-6:] for r in gp)
    assert same_number < 0.05 * SIZE, "one person's two local ids are not alike"
    by_entity = Counter((r.entity, r.agency) for r in records)
    in_both = {e for e, a in by_entity if a == CLEAN_AGENCY} & {
        e for e, a in by_entity if a == CORRUPTED_AGENCY
    }
    assert 0.7 * SIZE < len(in_both) < 0.9 * SIZE, "most people are held by both"
    assert any(n == 2 for (_e, a), n in by_entity.items() if a == CORRUPTED_AGENCY), (
        "the housing service holds someone twice"
    )


def test_the_same_seed_makes_the_same_records_and_another_seed_others() -> None:
    assert hard_records(80, 9) == hard_records(80, 9)
    assert hard_records(80, 9) != hard_records(80, 10)


def test_only_the_housing_service_copies_are_corrupted_and_every_kind_occurs(
    records: list[HardRecord],
) -> None:
    assert all(not r.corruptions for r in records if r.agency == CLEAN_AGENCY)
    housing = [r for r in records if r.agency == CORRUPTED_AGENCY]
    seen = Counter(kind for r in housing for kind in r.corruptions)
    assert set(seen) == set(CORRUPTIONS)
    untouched = sum(1 for r in housing if not r.corruptions)
    assert 0.2 * SIZE < untouched < 0.4 * SIZE
    assert max(len(r.corruptions) for r in housing) == 2


def test_the_gp_practice_holds_each_person_as_the_household_has_them(
    records: list[HardRecord],
) -> None:
    for record in [r for r in records if r.agency == CLEAN_AGENCY][:50]:
        number = int(record.entity.removeprefix("person-"))
        household = build_household(SEED, number // SLOTS_PER_HOUSEHOLD, MAX_CHILDREN)
        person = household.person(number % SLOTS_PER_HOUSEHOLD)
        assert person is not None
        assert (record.given_name, record.family_name, record.date_of_birth) == (
            person.given_name,
            person.family_name,
            person.date_of_birth,
        )
        assert (record.address, record.postcode) == (person.address.line, person.address.postcode)
        assert record.sex == person.sex.value and record.role == person.role.value
        assert record.nhs_number in (None, person.nhs_number)


def test_each_kind_did_to_the_record_what_it_says(records: list[HardRecord]) -> None:
    """Against the GP practice's clean copy of the same person: a record with one kind
    differs from it in exactly that way, and every record shows each of its kinds."""
    clean = _clean_copies(records)
    checked: Counter[str] = Counter()
    for record in records:
        truth = clean.get(record.entity)
        if record.agency != CORRUPTED_AGENCY or truth is None:
            continue
        kinds = set(record.corruptions)
        if DOB_SWAP in kinds:
            assert truth.date_of_birth is not None
            assert record.date_of_birth == swapped_date(truth.date_of_birth)
            assert record.date_of_birth != truth.date_of_birth
        elif DOB_MISSING in kinds:
            assert record.date_of_birth is None
        else:
            assert record.date_of_birth == truth.date_of_birth
        if POSTCODE_MISSING in kinds:
            assert record.postcode == ""
        else:
            assert record.postcode in (truth.postcode, truth.postcode.replace(" ", ""))
        if NON_UK_ADDRESS in kinds:
            assert record.address != truth.address and truth.postcode in record.address
            assert "UK" in record.address or "United Kingdom" in record.address
        else:
            assert record.address in (truth.address, names.abbreviate_street(truth.address))
        assert record.sex == truth.sex and record.role == truth.role
        name_kinds = kinds & {NICKNAME, TYPO, SURNAME_CHANGE, NAMES_SWAPPED, NAME_MISSING, INITIAL}
        given, family = record.given_name, record.family_name
        if not name_kinds:
            assert (given, family) == (truth.given_name, truth.family_name)
        elif name_kinds == {NAMES_SWAPPED}:
            assert (given, family) == (truth.family_name, truth.given_name)
        elif name_kinds == {NICKNAME}:
            assert given in names.nicknames(truth.given_name) and family == truth.family_name
        elif name_kinds == {TYPO}:
            pairs = [(given, truth.given_name), (family, truth.family_name)]
            assert sorted(names.damerau_distance_is_one(a, b) for a, b in pairs) == [False, True]
            assert sum(a != b for a, b in pairs) == 1
        elif name_kinds == {SURNAME_CHANGE}:
            assert given == truth.given_name and family not in ("", truth.family_name)
        elif name_kinds == {INITIAL}:
            assert given in (truth.given_name[0], truth.given_name[0] + ".")
            assert len(truth.given_name) > 1 and family == truth.family_name
        elif name_kinds == {NAME_MISSING}:
            assert (given, family) in ((truth.given_name, ""), ("", truth.family_name))
        elif NAMES_SWAPPED in name_kinds:
            assert given != truth.given_name and family != truth.family_name
        else:
            assert (given, family) != (truth.given_name, truth.family_name)
        checked.update(kinds or {"none"})
    assert set(checked) == {*CORRUPTIONS, "none"}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("12 Mill Road, Millbrook, Northbridge", "Mill Road 12, NB4 2AB Millbrook, United Kingdom"),
        (
            "Flat 3, 12 Mill Road, Northbridge",
            "Mill Road 12/3, NB4 2AB Northbridge, United Kingdom",
        ),
    ],
)
def test_a_continental_address_puts_the_street_first_and_the_postcode_by_the_town(
    line: str, expected: str
) -> None:
    class Continental:
        def choice(self, options: tuple[str, ...]) -> str:
            return "continental"

    assert non_uk_format(Continental(), line, "NB4 2AB") == expected  # type: ignore[arg-type]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_export_writes_agency_files_and_a_truth_file_with_the_kinds(tmp_path: Path) -> None:
    from jigsaw.benchmark import AGENCY_COLUMNS, from_files

    assert set(AGENCY_COLUMNS) <= set(RECORD_COLUMNS), "the benchmark and import read them"
    paths = export(tmp_path / "hard", size=40, seed=2)
    assert [p.name for p in paths] == [
        f"{CLEAN_AGENCY}.csv",
        f"{CORRUPTED_AGENCY}.csv",
        "truth.csv",
    ]
    generated = {r.local_id: r for r in hard_records(40, 2)}
    truth = _read(paths[-1])
    assert list(truth[0]) == list(TRUTH_COLUMNS)
    assert len(truth) == 80
    for row in truth:
        record = generated[row["local_id"]]
        assert row["entity_id"] == record.entity
        assert row["corruptions"] == (";".join(record.corruptions) or "none")
    housing = _read(paths[1])
    assert list(housing[0]) == list(RECORD_COLUMNS), "no corruption column in what an agency sends"
    dataset = from_files(paths[:2], paths[-1])
    assert dataset.corruptions_known
    assert {r.local_id: r.corruptions for r in dataset.records} == {
        r.local_id: r.corruptions for r in generated.values()
    }


def test_generate_with_hard_noise_writes_the_files(tmp_path: Path) -> None:
    from jigsaw.cli import app

    folder = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["generate", "--noise", "hard", "--export", str(folder), "--size", "30", "--seed", "6"]
    )
    assert result.exit_code == 0, result.output
    assert len(_read(folder / "truth.csv")) == 60
    assert [r["local_id"] for r in _read(folder / f"{CORRUPTED_AGENCY}.csv")] == [
        r.local_id for r in hard_records(30, 6) if r.agency == CORRUPTED_AGENCY
    ]


@pytest.mark.parametrize(
    "arguments", [["--noise", "hard"], ["--export", "x"], ["--noise", "loud", "--export", "x"]]
)
def test_hard_noise_and_an_export_folder_go_together(tmp_path: Path, arguments: list[str]) -> None:
    from jigsaw.cli import app

    result = CliRunner().invoke(app, ["generate", *arguments])
    assert result.exit_code == 2
    assert not (tmp_path / "x").exists() and not Path("x").exists()
