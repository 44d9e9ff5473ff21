"""`jigsaw linkage evaluate --truth FILE`: any database's person index scored against a
sample a clerk labelled, and a bad file told in one line."""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.linkage.batch import RunSummary
from jigsaw.people.models import AgencyRecord, LinkStatus
from jigsaw.policy.roles import AgencyKind
from jigsaw.synthetic.models import SyntheticTruth
from tests.conftest import World, unique
from tests.singleview.helpers import link, new_person
from tests.web.helpers import add_record


def _evaluate(db: Database, *words: str) -> Result:
    url = db.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, ["linkage", "evaluate", "--database", url, *words])


def _one_line(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.fixture
def small(db: Database, world: World) -> dict[str, str]:
    """Four records: A and B on one person, C and D each alone."""
    school = world.actor(world.practitioner(world.agency(AgencyKind.SCHOOL)))
    police = world.actor(world.practitioner(world.agency(AgencyKind.POLICE)))
    family = unique("Tindall")
    a = add_record(db, school, "Mia", family)
    b = add_record(db, police, "Mia", family)
    c = add_record(db, police, "Mya", family)
    d = add_record(db, school, "Noah", family)
    link(db, new_person(db), a.id, b.id, status=LinkStatus.AUTO)
    link(db, new_person(db), c.id, status=LinkStatus.AUTO)
    return {"A": a.local_id, "B": b.local_id, "C": c.local_id, "D": d.local_id}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "truth.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_pairwise_scores_count_the_labelled_records_only(
    db: Database, small: dict[str, str], tmp_path: Path
) -> None:
    """A, B and C are one child to the clerk and D another: the index has A-B only, so
    one of three true pairs is found, and the one pair it made is right."""
    truth = _write(
        tmp_path,
        f"local_id,entity_id\n{small['A']},e1\n{small['B']},e1\n{small['C']},e1\n{small['D']},e2\n",
    )
    out = tmp_path / "report.json"
    result = _evaluate(db, "--truth", str(truth), "--no-blocking", "--output", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["labelled_records"] == 4 and report["entities"] == 2
    linked = report["linked"]
    assert (linked["true_pairs"], linked["predicted_pairs"], linked["correct_pairs"]) == (3, 1, 1)
    assert linked["precision"] == 1.0
    assert linked["recall"] == pytest.approx(1 / 3)
    assert linked["f1"] == pytest.approx(0.5)
    assert report["blocking_recall"] is None


def test_an_agency_column_tells_apart_one_local_id_at_two_agencies(
    db: Database, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    police = world.agency(AgencyKind.POLICE)
    shared = unique("PUPIL").replace(" ", "-")
    at_school = add_record(
        db, world.actor(world.practitioner(school)), "Ada", "Lamb", local_id=shared
    )
    at_police = add_record(
        db, world.actor(world.practitioner(police)), "Ada", "Lamb", local_id=shared
    )
    link(db, new_person(db), at_school.id, at_police.id, status=LinkStatus.AUTO)
    ambiguous = _write(tmp_path, f"local_id,entity_id\n{shared},x\n")
    line = _one_line(_evaluate(db, "--truth", str(ambiguous), "--no-blocking"))
    assert "held by 2 agencies" in line and "agency column" in line

    named = _write(
        tmp_path,
        f"local_id,entity_id,agency\n{shared},x,{school.id}\n{shared},x,{police.name}\n",
    )
    out = tmp_path / "named.json"
    result = _evaluate(db, "--truth", str(named), "--no-blocking", "--output", str(out))
    assert result.exit_code == 0, result.output
    linked = json.loads(out.read_text(encoding="utf-8"))["linked"]
    assert (linked["true_pairs"], linked["correct_pairs"], linked["f1"]) == (1, 1, 1.0)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "No truth file at"),
        ("", "header is empty"),
        ("record,person\n1,a\n", "must be local_id,entity_id"),
        ("local_id,entity_id,notes\nX,a\n", "must be local_id,entity_id"),
        ("local_id,entity_id\n", "no labelled records"),
        ("local_id,entity_id\nNOT-A-REAL-ID-1,a\nNOT-A-REAL-ID-2,a\n", "2 labelled local ids"),
        ("local_id,entity_id\nX,\n", "Line 2 of the truth file has no"),
        ("local_id,entity_id\nX,a\nX,b\n", "Line 3 of the truth file repeats"),
    ],
)
def test_a_bad_truth_file_is_one_line_and_a_failing_exit(
    db: Database, tmp_path: Path, content: str | None, says: str
) -> None:
    path = tmp_path / "truth.csv" if content is None else _write(tmp_path, content)
    line = _one_line(_evaluate(db, "--truth", str(path)))
    assert says in line


def test_any_labelled_sample_scores_the_linked_index_and_its_blocking(
    linked_once: tuple[Database, RunSummary], tmp_path: Path
) -> None:
    """Half the generated records labelled as a clerk would: the scores must be those of
    the person index over those records, counted here pair by pair."""
    db, _ = linked_once
    with db.sessions() as session:
        rows = session.execute(
            select(
                AgencyRecord.id,
                AgencyRecord.local_id,
                AgencyRecord.agency_id,
                AgencyRecord.person_id,
                SyntheticTruth.true_person_key,
            )
            .join(SyntheticTruth, SyntheticTruth.agency_record_id == AgencyRecord.id)
            .order_by(AgencyRecord.id)
        ).all()
    sample = rows[::2]
    path = _write(
        tmp_path,
        "local_id,entity_id,agency\n"
        + "".join(f"{local},{entity},{agency}\n" for _, local, agency, _, entity in sample),
    )
    out = tmp_path / "report.json"
    result = _evaluate(db, "--truth", str(path), "--output", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))

    by_entity: dict[str, list[int]] = defaultdict(list)
    for record_id, _, _, _, entity in sample:
        by_entity[entity].append(record_id)
    person = {r[0]: (r[3] if r[3] is not None else -r[0]) for r in sample}
    true_pairs = {frozenset(p) for ids in by_entity.values() for p in combinations(ids, 2)}
    linked_pairs = {
        frozenset((a, b))
        for (a, _, _, _, _), (b, _, _, _, _) in combinations(sample, 2)
        if person[a] == person[b]
    }
    correct = len(true_pairs & linked_pairs)
    linked = report["linked"]
    assert report["labelled_records"] == len(sample)
    assert linked["true_pairs"] == len(true_pairs) > 0
    assert linked["predicted_pairs"] == len(linked_pairs)
    assert linked["precision"] == pytest.approx(correct / len(linked_pairs))
    assert linked["recall"] == pytest.approx(correct / len(true_pairs))
    assert report["blocking_recall"] is not None and 0.9 <= report["blocking_recall"] <= 1.0
    assert report["candidate_pairs"] > 0
    assert "blocking recall" in result.output
