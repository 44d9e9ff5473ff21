"""The review queue a reviewer works through: paged, narrowed by agency, by child or
adult and by score, each pair worded for whom it is about, and the same through the
command line in a table, JSON or CSV a spreadsheet opens safely."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jigsaw.audit.actions import AuditAction
from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.people.models import LinkStatus, PersonRole
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World, unique
from tests.linkage.helpers import open_review
from tests.singleview.helpers import link, new_person
from tests.web.helpers import add_record, entries_by


@dataclass
class Pairs:
    council: AgencyOut
    school: AgencyOut
    police: AgencyOut
    reviewer: PractitionerOut
    dsl: PractitionerOut
    child_pair: int
    adult_pair: int
    weak_child_pair: int
    family: str
    local_ids: list[str]


def _family() -> str:
    return unique("Quennell").replace(" ", "").replace("-", "")


@pytest.fixture
def pairs(db: Database, world: World) -> Pairs:
    """Three pairs, each with one record at the reviewer's own council: two children's
    (one strong, one weak) with a school, and two parents' with the police."""
    council = world.agency(AgencyKind.SOCIAL_CARE)
    school = world.agency(AgencyKind.SCHOOL)
    police = world.agency(AgencyKind.POLICE)
    worker = world.actor(world.practitioner(council))
    teacher = world.actor(world.practitioner(school))
    officer = world.actor(world.practitioner(police))
    family = _family()
    made = {
        "child": add_record(db, worker, "Amelia", family, date_of_birth=date(2016, 2, 1)),
        "child_school": add_record(db, teacher, "Amelie", family, date_of_birth=date(2016, 2, 1)),
        "other": add_record(db, worker, "Jo", family, date_of_birth=date(2018, 5, 6)),
        "other_school": add_record(db, teacher, "Joe", family, date_of_birth=date(2018, 6, 5)),
        "parent": add_record(
            db, worker, "Dean", family, PersonRole.PARENT_CARER, date_of_birth=date(1988, 1, 2)
        ),
        "parent_police": add_record(
            db, officer, "Dean", family, PersonRole.PARENT_CARER, date_of_birth=date(1988, 2, 1)
        ),
    }
    for record in made.values():
        link(db, new_person(db), record.id, status=LinkStatus.IN_REVIEW)
    ids = {name: record.id for name, record in made.items()}
    return Pairs(
        council,
        school,
        police,
        world.practitioner(council, Role.LINKAGE_REVIEWER),
        world.practitioner(school, Role.DSL),
        open_review(db, ids["child"], ids["child_school"], 0.93),
        open_review(db, ids["parent"], ids["parent_police"], 0.64),
        open_review(db, ids["other"], ids["other_school"], 0.55),
        family,
        [record.local_id for record in made.values()],
    )


def _queue(client: TestClient, pairs: Pairs, **params: object) -> dict[str, object]:
    answer = client.get("/api/link-reviews", params={"agency": pairs.council.id, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _ids(queue: dict[str, object]) -> list[int]:
    return [r["id"] for r in queue["reviews"]]  # type: ignore[attr-defined, index]


def test_the_queue_narrows_by_own_agency_kind_of_agency_child_or_adult_and_score(
    client: TestClient, world: World, pairs: Pairs
) -> None:
    world.sign_in(client, pairs.reviewer)
    everything = _queue(client, pairs)
    assert everything["total"] == 3
    assert _ids(everything) == [pairs.child_pair, pairs.adult_pair, pairs.weak_child_pair]

    children = _queue(client, pairs, about="child")
    assert _ids(children) == [pairs.child_pair, pairs.weak_child_pair]
    assert {r["question"] for r in children["reviews"]} == {  # type: ignore[attr-defined]
        "Are these records the same child?"
    }
    adults = _queue(client, pairs, about="person")
    assert _ids(adults) == [pairs.adult_pair]
    [adult] = adults["reviews"]  # type: ignore[misc]
    assert adult["question"] == "Are these records the same person?"
    assert adult["about"] == "person"

    assert _ids(_queue(client, pairs, agency_kind="police")) == [pairs.adult_pair]
    middle = _queue(client, pairs, min_probability=0.6, max_probability=0.9)
    assert _ids(middle) == [pairs.adult_pair] and middle["total"] == 1
    assert _ids(_queue(client, pairs, min_probability=0.93)) == [pairs.child_pair]


def test_the_queue_pages_by_offset_and_limit_and_counts_all_that_match(
    client: TestClient, world: World, pairs: Pairs
) -> None:
    world.sign_in(client, pairs.reviewer)
    seen = []
    for offset in range(3):
        page = _queue(client, pairs, limit=1, offset=offset)
        assert page["total"] == 3
        seen += _ids(page)
    assert seen == [pairs.child_pair, pairs.adult_pair, pairs.weak_child_pair]
    beyond = _queue(client, pairs, limit=1, offset=3)
    assert beyond["total"] == 3 and beyond["reviews"] == []


def test_each_pair_shows_both_records_when_asked_and_that_look_is_audited_with_them(
    client: TestClient, world: World, db: Database, pairs: Pairs
) -> None:
    world.sign_in(client, pairs.reviewer)
    plain = client.get("/api/link-reviews", params={"agency": pairs.council.id})
    assert pairs.family not in plain.text
    shown = client.get("/api/link-reviews", params={"agency": pairs.council.id, "records": True})
    assert shown.status_code == 200, shown.text
    first = shown.json()["reviews"][0]
    assert first["record"]["given_name"] == "Amelia"
    assert first["candidate"]["given_name"] == "Amelie"
    assert first["candidate"]["agency_kind"] == "school"
    for hidden in (pairs.school.name, pairs.police.name, *pairs.local_ids):
        assert hidden not in shown.text
    for side in (first["record"], first["candidate"]):
        assert "agency_id" not in side and "local_id" not in side
    looks = entries_by(db, AuditAction.LINK_QUEUE_VIEWED, pairs.reviewer.id)
    assert "records" not in looks[0].refs
    assert looks[-1].refs["reviews"] == [pairs.child_pair, pairs.adult_pair, pairs.weak_child_pair]
    assert first["record_id"] in looks[-1].refs["records"]
    assert first["candidate_record_id"] in looks[-1].refs["records"]
    assert pairs.family not in json.dumps(looks[-1].refs)


def test_another_agencys_id_is_no_filter_because_it_would_name_the_agency(
    client: TestClient, world: World, pairs: Pairs
) -> None:
    world.sign_in(client, pairs.reviewer)
    refused = client.get("/api/link-reviews", params={"agency": pairs.school.id})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "agency"


@pytest.mark.parametrize(
    "params",
    [
        {"min_probability": 1.5},
        {"about": "adult"},
        {"agency_kind": "refuge"},
        {"min_probability": 0.9, "max_probability": 0.1},
        {"agency": "1 OR 1=1"},
        {"offset": -1},
    ],
)
def test_filters_that_make_no_sense_are_refused(
    client: TestClient, world: World, pairs: Pairs, params: dict[str, object]
) -> None:
    world.sign_in(client, pairs.reviewer)
    assert client.get("/api/link-reviews", params=params).status_code == 422


def test_filtering_gives_someone_without_the_reviewer_role_nothing(
    client: TestClient, world: World, db: Database, pairs: Pairs
) -> None:
    world.sign_in(client, pairs.dsl)
    refused = client.get(
        "/api/link-reviews", params={"agency": pairs.school.id, "about": "child", "records": True}
    )
    assert refused.status_code == 403
    assert pairs.family not in refused.text
    assert entries_by(db, AuditAction.LINK_QUEUE_VIEWED, pairs.dsl.id) == []


def _jigsaw(db: Database, *words: str) -> str:
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["linkage", "reviews", "--database", url, *words])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_command_pages_the_queue_as_json(db: Database, pairs: Pairs) -> None:
    narrow = ["--agency", str(pairs.council.id)]
    first = json.loads(_jigsaw(db, *narrow, "--format", "json", "--limit", "2"))
    assert first["total"] == 3
    assert [r["id"] for r in first["reviews"]] == [pairs.child_pair, pairs.adult_pair]
    rest = json.loads(_jigsaw(db, *narrow, "--format", "json", "--offset", "2", "--limit", "2"))
    assert [r["id"] for r in rest["reviews"]] == [pairs.weak_child_pair]
    adults = json.loads(_jigsaw(db, *narrow, "--format", "json", "--about", "person"))
    assert adults["reviews"][0]["question"] == "Are these records the same person?"
    assert adults["reviews"][0]["record"] is None


def test_the_command_lists_more_than_500_pairs_when_asked(db: Database, pairs: Pairs) -> None:
    listed = json.loads(_jigsaw(db, "--format", "json", "--limit", "100000"))
    assert listed["limit"] == 100_000
    assert len(listed["reviews"]) == listed["total"]


def test_the_command_writes_csv_a_spreadsheet_opens_as_text(
    db: Database, world: World, pairs: Pairs
) -> None:
    """A name typed as a formula comes out quoted, so opening the export runs nothing."""
    worker = world.actor(world.practitioner(pairs.council))
    teacher = world.actor(world.practitioner(pairs.school))
    hostile = add_record(db, worker, '=HYPERLINK("http://x")', "@SUM(A1)")
    other = add_record(db, teacher, "+Amy", "-Quennell")
    for record_id in (hostile.id, other.id):
        link(db, new_person(db), record_id, status=LinkStatus.IN_REVIEW)
    review_id = open_review(db, hostile.id, other.id, 0.999)
    out = _jigsaw(
        db, "--agency", str(pairs.council.id), "--format", "csv", "--records", "--limit", "1"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(r["review"]) for r in rows] == [review_id]
    [row] = rows
    assert row["record_given_name"] == '\'=HYPERLINK("http://x")'
    assert row["record_family_name"] == "'@SUM(A1)"
    assert row["candidate_given_name"] == "'+Amy"
    assert row["candidate_family_name"] == "'-Quennell"
    assert row["question"] == "Are these records the same child?"
    for line in out.splitlines():
        assert not line.startswith(("=", "+", "-", "@"))


def test_the_command_prints_a_table_by_default(db: Database, pairs: Pairs) -> None:
    out = _jigsaw(db, "--agency", str(pairs.council.id))
    assert "Open link reviews: 1 to 3 of 3" in out
    for review_id in (pairs.child_pair, pairs.adult_pair, pairs.weak_child_pair):
        assert f"│ {review_id} " in out
