"""A shared name weighs by how common it is, in the batch run and in a search alike."""

from __future__ import annotations

import copy
import dataclasses
import math
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from jigsaw.db import Database
from jigsaw.linkage import frequencies
from jigsaw.linkage.batch import run_linkage
from jigsaw.linkage.comparisons import COMPARISONS, FAMILY_NAME, GIVEN_NAME, Comparison
from jigsaw.linkage.engine import RECORDS_TABLE, Workspace
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.online import find_candidates
from jigsaw.linkage.person_model import FREQUENCY_KEYS, LinkageModel, ModelError, Score
from jigsaw.linkage.source import FEATURE_SCHEMA, feature_row
from tests.linkage.helpers import batch_frequencies, batch_weights, index_records


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    frequencies.forget()


def _given_exact(model: LinkageModel) -> frequencies.FrequencyLevel:
    levels = frequencies.levels_of(model.splink_settings, [GIVEN_NAME.name, FAMILY_NAME.name])
    return next(level for level in levels if level.column == "given")


def test_the_exact_names_and_only_they_are_adjusted(model: LinkageModel) -> None:
    levels = frequencies.levels_of(model.splink_settings, [GIVEN_NAME.name, FAMILY_NAME.name])
    assert {(level.column, level.level_index) for level in levels} == {
        ("given", [lv.key for lv in GIVEN_NAME.levels].index("exact")),
        ("family", [lv.key for lv in FAMILY_NAME.levels].index("exact")),
    }


def test_a_handful_of_records_keeps_the_trained_weight(model: LinkageModel) -> None:
    """Two Amelias in twenty records say little about how common Amelia is: read raw, the
    count would take nearly six bits off every Amelia."""
    level = _given_exact(model)
    raw = 2 / 20
    assert math.log2(level.u / raw) < -4.5
    assert abs(level.adjustment(frequencies.smoothed(2, 20, level.u))) < 0.7


def test_in_a_large_table_a_rare_name_gains_and_a_common_one_loses(model: LinkageModel) -> None:
    level = _given_exact(model)
    rare = level.adjustment(frequencies.smoothed(2, 1_000_000, level.u))
    common = level.adjustment(frequencies.smoothed(8_000, 1_000_000, level.u))
    assert common < -1 < 0 < rare
    assert rare == pytest.approx(math.log2(level.u / frequencies.MINIMUM_FREQUENCY))  # capped
    assert rare == pytest.approx(5.2, abs=0.05)  # as the README says
    assert level.adjustment(None) == 0.0


def test_a_rare_family_name_adds_nothing_and_a_common_one_still_counts_less(
    model: LinkageModel,
) -> None:
    """Everyone at a home shares the family name: its rarity says they are related as
    much as that they are one person."""
    (family,) = (lv for lv in model_levels(model) if lv.column == "family")
    assert family.adjustment(frequencies.smoothed(2, 1_000_000, family.u)) == 0.0
    assert family.adjustment(frequencies.smoothed(8_000, 1_000_000, family.u)) < -0.5


@pytest.mark.parametrize("comparison", [GIVEN_NAME, FAMILY_NAME], ids=lambda c: c.name)
def test_the_commonest_name_still_counts_for_more_than_a_misspelt_one(
    model: LinkageModel, comparison: Comparison
) -> None:
    """Only the exact level is adjusted, so a very common name's penalty stops where the
    exact level would fall below a name one letter out or a nickname (the levels set to
    weigh as exact, names swapped, stay level with it)."""
    ci = COMPARISONS.index(comparison)
    keys = [level.key for level in comparison.levels]
    exact = model.level_weight(ci, keys.index("exact"))
    (level,) = (lv for lv in model_levels(model) if lv.comparison_index == ci)
    commonest = exact + level.adjustment(0.5)
    below = [
        model.level_weight(ci, li)
        for li, key in enumerate(keys)
        if key not in ("missing", "exact", "swapped")
    ]
    assert commonest == pytest.approx(max(below))
    assert exact - commonest == pytest.approx(
        {GIVEN_NAME.name: 1.5, FAMILY_NAME.name: 1.7}[comparison.name], abs=0.05
    )  # as the README says
    assert model.level_weight(ci, keys.index("swapped")) == pytest.approx(exact)


def model_levels(model: LinkageModel) -> list[frequencies.FrequencyLevel]:
    return frequencies.levels_of(model.splink_settings, [c.name for c in COMPARISONS])


def test_a_model_weighing_another_level_by_frequency_is_refused(model: LinkageModel) -> None:
    """The online match adjusts only the levels this code adjusts, so a model file that
    adjusts another (or with a u that is no probability) would score a search and a run
    differently: it is refused on loading."""
    data = copy.deepcopy(model.to_dict())
    address = next(c for c in data["splink"]["comparisons"] if c["output_column_name"] == "address")
    postcode = next(
        lv for lv in address["comparison_levels"] if lv.get("label_for_charts") == "Same postcode"
    )
    postcode.update(tf_adjustment_column="postcode", tf_adjustment_weight=1.0)
    with pytest.raises(ModelError, match="retrain"):
        LinkageModel.from_dict(data)
    data = copy.deepcopy(model.to_dict())
    given = _exact_given(data)
    assert given["tf_adjustment_column"] == "given"
    given["u_probability"] = 0.0
    with pytest.raises(ModelError, match="retrain"):
        LinkageModel.from_dict(data)


def _exact_given(data: dict[str, Any]) -> dict[str, Any]:
    levels = data["splink"]["comparisons"][0]["comparison_levels"]
    return next(lv for lv in levels if lv.get("label_for_charts") == "Same given name")


def test_another_dialect_adjusts_as_the_model_file_says(model: LinkageModel) -> None:
    """A Spark run writes the comparisons afresh from this code; the frequency settings,
    like m and u, are the model file's: none where it has none, its own where it has."""

    def settings_of(changed: LinkageModel) -> dict[str, tuple[object, ...]]:
        spark = changed.splink_settings_for(10_000, "spark")
        return {
            c["output_column_name"]: tuple(lv.get(key) for key in FREQUENCY_KEYS)
            for c in spark["comparisons"]
            for lv in c["comparison_levels"]
            if lv.get("tf_adjustment_column")
        }

    assert set(settings_of(model)) == {"given_name", "family_name"}
    data = copy.deepcopy(model.to_dict())
    for comparison in data["splink"]["comparisons"]:
        for level in comparison["comparison_levels"]:
            for key in FREQUENCY_KEYS:
                level.pop(key, None)
    assert settings_of(LinkageModel.from_dict(data)) == {}
    data = copy.deepcopy(model.to_dict())
    _exact_given(data)["tf_adjustment_weight"] = 0.5
    assert settings_of(LinkageModel.from_dict(data))["given_name"] == ("given", 0.5, 1e-4)


OLIVER = PersonDetails(
    given_name="Oliver",
    family_name="Hartley",
    date_of_birth=date(2016, 4, 9),
    sex="male",
    postcode="NB4 2AB",
    address="4 Mill Road, Millbrook",
    role="child",
)
ZEPHYRINE = dataclasses.replace(
    OLIVER, given_name="Zephyrine", family_name="Hartley", sex="female", address="9 Mill Road"
)
OTHERS = [
    dataclasses.replace(
        OLIVER,
        family_name=f"Family{n:03d}",
        date_of_birth=date(2010, 1, 1 + n % 28),
        postcode=f"XY{n % 9} 1AA",
        address=f"{n} Other Street",
    )
    for n in range(60)
]
"""Sixty more Olivers: in this index Oliver is one given name in a handful."""


def test_a_search_weighs_a_name_as_the_batch_run_over_the_same_records(
    private_database: Database, model: LinkageModel
) -> None:
    """The index holds every record but the one searched for; the run holds them all.
    The search counts itself as one more holder, so both read the same frequencies."""
    searched = [dataclasses.replace(OLIVER, address="4 Mill Rd, Millbrook")]
    indexed = [OLIVER, ZEPHYRINE, dataclasses.replace(ZEPHYRINE, address="9 Mill Rd"), *OTHERS]
    index_records(private_database, indexed)
    everyone = [*indexed, *searched]
    rows = [feature_row(n, d, features_of(d)) for n, d in enumerate(everyone, start=1)]
    batch = batch_weights(model, rows)
    run_frequencies = batch_frequencies(model, (features_of(d) for d in everyone))

    query = features_of(searched[0])
    with private_database.reading() as session:
        counted = frequencies.search_frequencies(session, query, model.frequency_columns)
    assert counted == pytest.approx(run_frequencies(query))
    search = model.score(query, features_of(OLIVER), len(rows), counted)
    assert search.match_weight == pytest.approx(batch[(1, len(rows))])
    plain = model.score(query, features_of(OLIVER), len(rows))
    assert search.match_weight < plain.match_weight  # Oliver is common here

    # Zephyrine is rare: her two records gain what Oliver's lose.
    first, second = (features_of(d) for d in indexed[1:3])
    rare = model.score(first, second, len(rows), run_frequencies(first))
    assert rare.match_weight == pytest.approx(batch[(2, 3)])

    def given_weight(score: Score) -> float:
        (given,) = (e for e in score.evidence if e.comparison == GIVEN_NAME.name)
        assert given.level == "exact"
        return given.match_weight

    assert given_weight(rare) > given_weight(search) + 0.5


MORE_OLIVERS = [dataclasses.replace(OTHERS[0], family_name=f"New{n}") for n in range(40)]


def _oliver_counted(db: Database, model: LinkageModel) -> float:
    """How common a search finds the given name Oliver."""
    with db.reading() as session:
        found = frequencies.search_frequencies(
            session, features_of(OLIVER), model.frequency_columns
        )
    return found["given"]


def test_a_search_reads_the_counts_again_once_told_the_records_changed(
    private_database: Database, model: LinkageModel
) -> None:
    index_records(private_database, [OLIVER, *OTHERS[:3]])
    before = _oliver_counted(private_database, model)
    index_records(private_database, MORE_OLIVERS, first_id=100)
    held = _oliver_counted(private_database, model)
    frequencies.forget()
    assert held == before < _oliver_counted(private_database, model)
    assert frequencies.TTL_SECONDS == 300  # "at most five minutes", as the README says


def test_the_search_ranks_a_rare_shared_name_above_a_common_one(
    private_database: Database,
) -> None:
    """Two records each sharing the search's given name, family name and birthday at
    different homes: the one whose name is rare comes first."""
    common = dataclasses.replace(OLIVER, address="1 Far Lane", postcode="ZZ1 1ZZ")
    rare = dataclasses.replace(
        common, given_name="Zephyrine", address="2 Far Lane", postcode="ZZ9 9ZZ"
    )
    index_records(private_database, [common, rare, *OTHERS])
    olivers = find_candidates(private_database, dataclasses.replace(common, address=""))
    zephyrines = find_candidates(private_database, dataclasses.replace(rare, address=""))
    best_oliver = next(c for c in olivers if c.agency_record_id == 1)
    best_zephyrine = next(c for c in zephyrines if c.agency_record_id == 2)
    assert best_zephyrine.match_weight > best_oliver.match_weight + 0.5


def test_a_run_makes_the_next_search_count_its_records_afresh(
    private_database: Database, model: LinkageModel
) -> None:
    """Records that reached the index by a run are counted by the very next search in
    the process, not five minutes later."""
    index_records(private_database, [OLIVER, *OTHERS[:3]])
    before = _oliver_counted(private_database, model)
    index_records(private_database, MORE_OLIVERS, first_id=100)
    run_linkage(private_database, model=model)
    assert _oliver_counted(private_database, model) > before


def test_one_workspace_counts_each_name_once_for_all_its_linkers(model: LinkageModel) -> None:
    """A run's first pass, its relational pass and training each make a linker over the
    same records: the names are counted once, and every linker reads the same counts."""
    everyone = [OLIVER, ZEPHYRINE, *OTHERS]
    rows = [feature_row(n, d, features_of(d)) for n, d in enumerate(everyone, start=1)]
    con = duckdb.connect()
    con.register("records", pa.Table.from_pylist(rows, schema=FEATURE_SCHEMA))
    con.execute(f"CREATE TABLE {RECORDS_TABLE} AS SELECT * FROM records")
    space = Workspace(con, Path("."), len(rows))
    settings = model.splink_settings_for(space.count)

    def counted() -> list[str]:
        found = con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE 'jigsaw_frequency_%' ORDER BY 1"
        ).fetchall()
        return [name for (name,) in found]

    space.duckdb_linker(settings)
    first = counted()
    assert len(first) == 2  # the given and the family name
    space.duckdb_linker(settings)
    space.duckdb_linker(settings, RECORDS_TABLE)
    assert counted() == first
    # A model with other levels (another u) is counted for itself, not given these.
    other = copy.deepcopy(settings)
    (given,) = (c for c in other["comparisons"] if c["output_column_name"] == GIVEN_NAME.name)
    (level,) = frequencies.levels_of(other, [GIVEN_NAME.name])
    given["comparison_levels"][level.level_index]["u_probability"] = level.u / 2
    space.duckdb_linker(other)
    assert len(counted()) == 3
    con.close()
