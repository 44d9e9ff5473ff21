"""The link review queue through the JSON API, as a hostile insider would try it: only a
linkage reviewer sees the queue or a pair, sees identity fields and kinds of agency only,
and every look and decision is in the audit log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.linkage.models import ReviewStatus
from jigsaw.people.models import AgencyRecord, LinkStatus
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World, unique
from tests.linkage.helpers import open_review, review_status
from tests.singleview.helpers import link, new_person
from tests.web.helpers import add_record, entries_by


@dataclass
class Queue:
    review_id: int
    record_id: int
    candidate_id: int
    family_name: str
    refuge: AgencyOut
    school: AgencyOut
    local_ids: tuple[str, str]
    dsl: PractitionerOut
    mash: PractitionerOut
    reviewer: PractitionerOut


@pytest.fixture
def queue(db: Database, world: World) -> Queue:
    """A school's child and a domestic-abuse service's the model was unsure were one."""
    school = world.agency(AgencyKind.SCHOOL)
    refuge = world.agency(AgencyKind.VOLUNTARY)
    council = world.agency(AgencyKind.SOCIAL_CARE)
    dsl = world.practitioner(school, Role.DSL)
    worker = world.practitioner(refuge, Role.PRACTITIONER)
    family = unique("Marchbanks").replace(" ", "").replace("-", "")
    at_school = add_record(db, world.actor(dsl), "Rosie", family, date_of_birth=date(2017, 4, 9))
    at_refuge = add_record(
        db, world.actor(worker), "Rose", family, date_of_birth=date(2017, 9, 4), postcode="LS6 2AB"
    )
    link(db, new_person(db), at_school.id, status=LinkStatus.AUTO)
    link(db, new_person(db), at_refuge.id, status=LinkStatus.IN_REVIEW)
    review_id = open_review(
        db,
        at_refuge.id,
        at_school.id,
        0.91,
        weight=3.0,
        evidence={"given_name": "nickname", "date_of_birth": "swapped"},
    )
    return Queue(
        review_id,
        at_refuge.id,
        at_school.id,
        family,
        refuge,
        school,
        (at_refuge.local_id, at_school.local_id),
        dsl,
        world.practitioner(council, Role.MASH),
        world.practitioner(council, Role.LINKAGE_REVIEWER),
    )


@pytest.mark.parametrize("who", ["dsl", "mash"])
def test_a_dsl_or_the_mash_without_the_reviewer_role_cannot_see_or_confirm_the_queue(
    client: TestClient, world: World, db: Database, queue: Queue, who: str
) -> None:
    attacker: PractitionerOut = getattr(queue, who)
    world.sign_in(client, attacker)
    listed = client.get("/api/link-reviews")
    assert listed.status_code == 403
    assert "linkage reviewer" in listed.json()["errors"][0]["message"]
    # Review ids are sequential: guessing them gives nothing either.
    guesses = range(max(1, queue.review_id - 3), queue.review_id + 3)
    for guess in guesses:
        opened = client.get(f"/api/link-reviews/{guess}")
        assert opened.status_code == 403
        assert queue.family_name not in opened.text
    confirmed = client.post(f"/api/link-reviews/{queue.review_id}/confirm", json={"reason": ""})
    assert confirmed.status_code == 403
    rejected = client.post(f"/api/link-reviews/{queue.review_id}/reject", json={"reason": ""})
    assert rejected.status_code == 403
    assert review_status(db, queue.review_id) is ReviewStatus.OPEN
    assert entries_by(db, AuditAction.LINK_REVIEW_VIEWED, attacker.id) == []
    assert entries_by(db, AuditAction.LINK_CONFIRMED, attacker.id) == []
    refused = entries_by(db, AuditAction.ACCESS_REFUSED, attacker.id)
    assert len(refused) == 1 + len(guesses) + 2  # every attempt is on the access log


def test_a_reviewer_sees_identity_fields_and_kinds_of_agency_and_every_look_is_audited(
    client: TestClient, world: World, db: Database, queue: Queue
) -> None:
    world.sign_in(client, queue.reviewer)
    listed = client.get("/api/link-reviews", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    [line] = [r for r in listed.json()["reviews"] if r["id"] == queue.review_id]
    assert line["record_agency_kind"] == "voluntary"
    assert line["candidate_agency_kind"] == "school"
    assert queue.family_name not in listed.text
    [looked] = entries_by(db, AuditAction.LINK_QUEUE_VIEWED, queue.reviewer.id)
    assert queue.review_id in looked.refs["reviews"]

    opened = client.get(f"/api/link-reviews/{queue.review_id}")
    assert opened.status_code == 200, opened.text
    pair = opened.json()
    assert pair["record"]["given_name"] == "Rose" and pair["candidate"]["given_name"] == "Rosie"
    assert pair["record"]["agency_kind"] == "voluntary"
    for side in (pair["record"], pair["candidate"]):
        assert "agency_id" not in side and "local_id" not in side
    for hidden in (queue.refuge.name, queue.school.name, *queue.local_ids):
        assert hidden not in opened.text
    [viewed] = entries_by(db, AuditAction.LINK_REVIEW_VIEWED, queue.reviewer.id)
    assert viewed.object_id == str(queue.review_id)
    assert viewed.refs["records"] == [queue.record_id, queue.candidate_id]
    assert queue.family_name not in json.dumps(viewed.refs)


def test_a_reviewers_decision_is_made_and_audited_with_the_records_it_moved(
    client: TestClient, world: World, db: Database, queue: Queue
) -> None:
    world.sign_in(client, queue.reviewer)
    done = client.post(
        f"/api/link-reviews/{queue.review_id}/confirm", json={"reason": "Same date, swapped"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["records"] == [queue.record_id]
    assert review_status(db, queue.review_id) is ReviewStatus.CONFIRMED
    with db.sessions() as session:
        persons = set(
            session.scalars(
                select(AgencyRecord.person_id).where(
                    AgencyRecord.id.in_([queue.record_id, queue.candidate_id])
                )
            )
        )
    assert len(persons) == 1
    [confirmed] = entries_by(db, AuditAction.LINK_CONFIRMED, queue.reviewer.id)
    assert confirmed.object_id == str(queue.review_id)
    assert confirmed.refs["records"] == [queue.record_id]
    again = client.post(f"/api/link-reviews/{queue.review_id}/reject", json={"reason": ""})
    assert again.status_code == 409
