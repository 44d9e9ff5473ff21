"""``jigsaw linkage train``: the documented way a deployment fits the model to its own
records, without labels, run as an operator runs it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from jigsaw.cli import app
from jigsaw.db import Database
from jigsaw.linkage.comparisons import COMPARISONS
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.training import DEFAULT_THRESHOLDS
from jigsaw.people.models import AgencyRecord
from jigsaw.synthetic.service import generate_population

CHILDREN = 150


def _weight(model: LinkageModel, comparison: str, level: str) -> float:
    index = next(i for i, c in enumerate(COMPARISONS) if c.name == comparison)
    keys = [lvl.key for lvl in COMPARISONS[index].levels]
    return model.level_weight(index, keys.index(level))


def test_training_on_a_deployments_records_writes_a_model_that_weighs_them_sensibly(
    private_database: Database, tmp_path: Path
) -> None:
    db = private_database
    generate_population(db, children=CHILDREN, seed=9, batch_size=CHILDREN, progress=False)
    with db.reading() as session:
        records = session.scalar(select(func.count(AgencyRecord.id)))
    output = tmp_path / "ours.json"
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(
        app,
        ["linkage", "train", "--database", url, "--output", str(output),
         "--version", "ours-2026.1", "--seed", "3", "--source", "our first load"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output

    model = LinkageModel.load(output)
    assert model.version == "ours-2026.1"
    assert model.thresholds == DEFAULT_THRESHOLDS
    assert model.trained["records"] == records
    assert model.trained["source"] == "our first load" and model.trained["seed"] == 3
    # Each child has records at several agencies and each adult at one or two: a prior
    # of well under one match per record, or dozens, would mean training went wrong.
    assert 0.5 < model.expected_matches_per_record < 10
    # The operator is told the prior training settled on, beside where it started.
    said = " ".join(result.output.split())  # the console wraps long lines
    by_rules = model.trained["expected_matches_per_record_by_rules"]
    assert f"scores say: {model.expected_matches_per_record:.3f}" in said
    assert f"rules' count said {by_rules:.3f}" in said
    for comparison, agree, disagree in (
        ("given_name", "exact", "different"),
        ("family_name", "exact", "different"),
        ("date_of_birth", "exact", "different"),
    ):
        assert _weight(model, comparison, agree) > 3 > 0 > _weight(model, comparison, disagree)
    # The generator never writes a wholly different date of birth; the realistic floor
    # keeps training from making one a veto (m at its floor, not at 1 in 10,000).
    assert -11.0 < _weight(model, "date_of_birth", "different") < -5.0


def test_a_field_the_records_lack_keeps_the_starting_models_weights(
    private_database: Database,
) -> None:
    """Records without sex, NHS numbers, roles or children (as FEBRL's) put every pair on
    those comparisons' null levels, so training never sees "different sex": its weight
    stays the starting model's, a cost, rather than m and u floors that made it +10 bits
    and two different NHS numbers +12 bits of evidence for a match."""
    from jigsaw.linkage.engine import RECORDS_TABLE, RELATIONSHIPS_TABLE, workspace
    from jigsaw.linkage.training import TrainingOptions, train_person_model

    db = private_database
    generate_population(db, children=CHILDREN, seed=9, batch_size=CHILDREN, progress=False)
    start = LinkageModel.load()
    with workspace(db) as space:
        space.con.execute(
            f"UPDATE {RECORDS_TABLE} SET sex = NULL, nhs_number = NULL, role_group = NULL"
        )
        space.con.execute(f"DELETE FROM {RELATIONSHIPS_TABLE}")
        model = train_person_model(
            space, version="no-sex-2026.1", options=TrainingOptions(seed=3), start=start
        )
    for comparison, level in (
        ("sex", "different"),
        ("nhs_number", "different"),
        ("child_or_adult", "different"),
    ):
        assert _weight(model, comparison, level) < 0
        assert _weight(model, comparison, level) == _weight(start, comparison, level)
    # Levels the records do show are still learned from them.
    assert _weight(model, "given_name", "exact") != _weight(start, "given_name", "exact")
