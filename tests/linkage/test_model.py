"""The model: SQL and Python agree level by level, weights match Splink's, JSON round-trips."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import duckdb
import pytest

from jigsaw.linkage import guards
from jigsaw.linkage.comparisons import COMPARISONS
from jigsaw.linkage.engine import RECORDS_TABLE, Workspace, quiet_splink
from jigsaw.linkage.features import Features
from jigsaw.linkage.index import features_from_key, key_row
from jigsaw.linkage.person_model import ADDED_LEVELS, LinkageModel, ModelError, Thresholds
from tests.linkage.helpers import batch_frequencies, population


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


def _features(row: dict[str, object]) -> Features:
    return features_from_key(key_row(row))


def test_shipped_model_is_versioned_and_trained(model: LinkageModel) -> None:
    assert model.version.startswith("person-")
    assert 0 < model.thresholds.review < model.thresholds.auto < 1
    assert 1 < model.expected_matches_per_record < 5
    nhs = next(c for c in COMPARISONS if c.name == "nhs_number")
    exact = model.level_weight(COMPARISONS.index(nhs), 1)
    differ = model.level_weight(COMPARISONS.index(nhs), 2)
    assert exact > 15 and differ < -10  # decisive either way


def test_json_round_trip(model: LinkageModel, tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    model.save(path)
    again = LinkageModel.load(path)
    assert again.to_dict() == model.to_dict()
    assert json.loads(path.read_text())["jigsaw"]["version"] == model.version
    for i, comparison in enumerate(COMPARISONS):
        for j in range(len(comparison.levels)):
            assert again.level_weight(i, j) == model.level_weight(i, j)


def test_a_model_from_other_code_is_refused(model: LinkageModel) -> None:
    data = model.to_dict()
    data["splink"]["comparisons"][0]["comparison_levels"][1]["label_for_charts"] = "changed"
    with pytest.raises(ModelError, match="retrain"):
        LinkageModel.from_dict(data)
    with pytest.raises(ModelError):
        Thresholds(auto=0.5, review=0.9)


def test_python_levels_and_weights_match_splink(model: LinkageModel) -> None:
    """Every pair Splink scores falls on the same level in Python, with the same weight."""
    quiet_splink()
    table, _truth = population(with_linked_children=True)
    con = duckdb.connect()
    con.register("population", table)
    con.execute(f"CREATE TABLE {RECORDS_TABLE} AS SELECT * FROM population")
    space = Workspace(con, Path("."), table.num_rows)
    linker = space.duckdb_linker(model.splink_settings_for(table.num_rows))
    predicted = linker.inference.predict(warning_mode="never")
    scored = predicted.as_pyarrow_table().to_pylist()  # type: ignore[no-untyped-call]
    features = {
        row["unique_id"]: dataclasses.replace(
            _features(row),  # the match index holds neither: a search has none to compare
            agency=row["agency"],
            linked_children=tuple(row["linked_children"]) if row["linked_children"] else None,
            # Nor the shared identifiers: a search reads them from their own table.
            shared_ids=tuple(row["shared_ids"]) if row["shared_ids"] else None,
            shared_id_schemes=(
                tuple(row["shared_id_schemes"]) if row["shared_id_schemes"] else None
            ),
        )
        for row in table.to_pylist()
    }
    assert set(model.frequency_columns) == {"given", "family"}
    value_frequencies = batch_frequencies(model, features.values())
    adjusted = 0
    assert len(scored) > 500
    shared_child = {pair["gamma_shared_child"] for pair in scored}
    assert shared_child == {-1, 0, 1}  # unknown, none in common, a child in common
    assert {pair["gamma_same_agency"] for pair in scored} == {0, 1}
    assert {-1, 0, 1} <= {pair["gamma_shared_identifier"] for pair in scored}  # UPNs
    for pair in scored:
        left, right = features[pair["unique_id_l"]], features[pair["unique_id_r"]]
        for comparison in COMPARISONS:
            index = comparison.level_index(left, right)
            assert comparison.gamma(index) == pair[f"gamma_{comparison.name}"], (
                comparison.name,
                left,
                right,
            )
        score = model.score(left, right, table.num_rows, value_frequencies(left))
        adjusted += score.match_weight != model.score(left, right, table.num_rows).match_weight
        # Splink's weight is before the guard; the guard then acts on it as the batch does.
        guarded = guards.guarded_weight(
            pair["match_weight"], {e.comparison: e.level for e in score.evidence}
        )
        assert score.match_weight == pytest.approx(guarded, abs=1e-6)
    assert adjusted > 100  # names weighed by how common they are, in SQL and in Python alike
    con.close()


def test_twins_are_held_back_by_the_guard(model: LinkageModel) -> None:
    from datetime import date

    from jigsaw.linkage.features import PersonDetails, features_of

    common = {
        "family_name": "Khan",
        "date_of_birth": date(2016, 3, 9),
        "sex": "female",
        "postcode": "NB4 2AB",
        "address": "4 Mill Road, Millbrook",
        "role": "child",
    }
    amelia = features_of(PersonDetails(given_name="Amelia", **common))  # type: ignore[arg-type]
    isla = features_of(PersonDetails(given_name="Isla", **common))  # type: ignore[arg-type]
    score = model.score(amelia, isla, 500_000)
    assert score.guarded
    assert score.match_probability < model.thresholds.auto  # a reviewer decides, at most
    with_numbers = model.score(
        features_of(PersonDetails(given_name="Amelia", nhs_number="4857773457", **common)),  # type: ignore[arg-type]
        features_of(PersonDetails(given_name="Isla", nhs_number="9434765919", **common)),  # type: ignore[arg-type]
        500_000,
    )
    assert with_numbers.match_probability < model.thresholds.review


def test_a_mother_and_father_sharing_a_child_are_held_apart(model: LinkageModel) -> None:
    from jigsaw.linkage.features import PersonDetails, features_of

    common = {"family_name": "Khan", "postcode": "NB4 2AB", "role": "parent_carer"}
    mother = features_of(PersonDetails(given_name="Sarah", sex="female", **common))  # type: ignore[arg-type]
    father = features_of(PersonDetails(given_name="David", sex="male", **common))  # type: ignore[arg-type]
    child = (41,)
    score = model.score(
        dataclasses.replace(mother, linked_children=child),
        dataclasses.replace(father, linked_children=child),
        500_000,
    )
    assert score.guarded
    assert score.match_probability < model.thresholds.review
    assert {e.comparison: e.level for e in score.evidence}["shared_child"] == "shared"


def test_a_model_saved_before_a_level_was_added_gains_it_set_not_learned(
    model: LinkageModel,
) -> None:
    """A deployment's own model, trained before the initial level, loads with the level
    the shipped model sets and every level it learned as it learned it; its comparisons
    run as this code writes them."""
    data = model.to_dict()
    given = data["splink"]["comparisons"][0]
    assert given["output_column_name"] == "given_name"
    keys = [level.key for level in COMPARISONS[0].levels]
    at = keys.index("initial")
    given["comparison_levels"].pop(at)
    for level in given["comparison_levels"]:
        if level.get("m_probability") is not None:
            level["m_probability"] = level["m_probability"] * 0.9  # its own training
    older = LinkageModel.from_dict(data)
    added = ADDED_LEVELS[("given_name", "initial")]
    assert older.level_weight(0, at) == pytest.approx(
        math.log2(added["m_probability"] / added["u_probability"])
    )
    exact = keys.index("exact")
    assert older.level_weight(0, exact) == pytest.approx(
        model.level_weight(0, exact) + math.log2(0.9)
    )
    sql = older.splink_settings_for(1_000)["comparisons"][0]["comparison_levels"]
    assert [lv["sql_condition"] for lv in sql] == [
        lv["sql_condition"]
        for lv in model.splink_settings_for(1_000)["comparisons"][0]["comparison_levels"]
    ]
    # Any other difference from this code's levels is still refused.
    given["comparison_levels"].pop(at)
    with pytest.raises(ModelError, match="retrain"):
        LinkageModel.from_dict(data)
