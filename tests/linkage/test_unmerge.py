"""A wrong link can be undone: through the API, the service and the command line, by a
linkage reviewer only, audited in the same transaction as the change, and everyone who
may have seen the two as one is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.cli import app as cli
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.linkage import service as linking
from jigsaw.linkage.models import LinkChange
from jigsaw.notifications import service as notifications
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.people.models import AgencyRecord, LinkStatus
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.schemas import ItemOut
from jigsaw.sharing import decisions, disclosures
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason
from jigsaw.sharing.schemas import DecisionIn, DisclosedItemIn, DisclosureIn
from tests.conftest import World, unique
from tests.linkage.helpers import open_review
from tests.scene import HARM_ANSWERS
from tests.singleview.helpers import involve, link, new_person
from tests.web.helpers import add_item, add_record, entries_by


@dataclass
class Linked:
    """A school's child and the police's, confirmed by a reviewer as one; the school has
    shared about its record with a MASH worker, and a teacher is involved."""

    review_id: int
    school_record: int
    police_record: int
    school_person: int
    police_person: int
    school: AgencyOut
    police: AgencyOut
    mash: AgencyOut
    teacher: PractitionerOut
    mash_worker: PractitionerOut
    reviewer: PractitionerOut
    dsl: PractitionerOut
    officer: PractitionerOut


@pytest.fixture
def linked_pair(db: Database, world: World) -> Linked:
    school = world.agency(AgencyKind.SCHOOL)
    police = world.agency(AgencyKind.POLICE)
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    dsl = world.practitioner(school, Role.DSL)
    teacher = world.practitioner(school)
    officer = world.practitioner(police)
    mash_worker = world.practitioner(mash, Role.MASH)
    family = unique("Ormerod").replace(" ", "").replace("-", "")
    at_school = add_record(db, world.actor(dsl), "Kai", family, date_of_birth=date(2015, 1, 2))
    at_police = add_record(db, world.actor(officer), "Kai", family, date_of_birth=date(2015, 2, 1))
    school_person, police_person = new_person(db), new_person(db)
    link(db, school_person, at_school.id, status=LinkStatus.AUTO)
    link(db, police_person, at_police.id, status=LinkStatus.IN_REVIEW)
    involve(db, world.actor(dsl), at_school.id, teacher.id, "Class teacher")
    note = add_item(db, world.actor(dsl), at_school.id, "Attendance has dropped")
    _share(db, world.actor(dsl), at_school.id, note, mash.id, mash_worker.id)
    review_id = open_review(db, at_police.id, at_school.id, 0.88)
    reviewer = world.practitioner(mash, Role.LINKAGE_REVIEWER)
    linking.confirm_link(db, world.actor(reviewer), review_id, "Same child, dates swapped")
    return Linked(
        review_id,
        at_school.id,
        at_police.id,
        school_person,
        police_person,
        school,
        police,
        mash,
        teacher,
        mash_worker,
        reviewer,
        dsl,
        officer,
    )


LAWFUL_WITHOUT_AGREEMENT = (
    "Section 47 enquiries are under way: the Children Act 1989 makes this sharing lawful."
)


def _without_agreement(schema: type[Any]) -> dict[str, str]:
    """Where data sharing agreements are checked, this sharing is lawful without one."""
    return (
        {"agreement_override_reason": LAWFUL_WITHOUT_AGREEMENT}
        if "agreement_override_reason" in schema.model_fields
        else {}
    )


def _share(
    db: Database, dsl: Actor, record_id: int, item: ItemOut, to_agency: int, to_worker: int
) -> None:
    decision = decisions.decide(
        db,
        dsl,
        DecisionIn(
            subject_record_id=record_id,
            recipient_agency_id=to_agency,
            recipient_practitioner_id=to_worker,
            purpose=SharingPurpose.CHILD_PROTECTION_ENQUIRY,
            answers=dict(HARM_ANSWERS),
            outcome=DecisionOutcome.SHARE,
            reasons="The MASH is screening a referral about this child.",
            lawful_basis="6(1)(e)",
            consent_position=ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK,
            family_informed=False,
            not_told_reason=NotToldReason.RISK_TO_CHILD,
            not_told_review_on=date(2099, 1, 1),
            **_without_agreement(DecisionIn),
        ),
    )
    disclosures.disclose(
        db,
        dsl,
        DisclosureIn(
            decision_id=decision.id,
            items=[DisclosedItemIn(item_id=item.id, fields=["occurred_on", "summary"])],
            expires_on=date.today() + timedelta(days=30),
            **_without_agreement(DisclosureIn),
        ),
    )


def _persons(db: Database, *record_ids: int) -> dict[int, tuple[int | None, LinkStatus]]:
    with db.sessions() as session:
        rows = session.execute(
            select(AgencyRecord.id, AgencyRecord.person_id, AgencyRecord.link_status).where(
                AgencyRecord.id.in_(record_ids)
            )
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _notices(db: Database, change_id: int) -> set[tuple[int, int | None, str, int]]:
    with db.sessions() as session:
        rows = session.scalars(
            select(Notification).where(
                Notification.kind == NotificationKind.RECORDS_UNLINKED,
                Notification.dedupe_key.like(f"records_unlinked:unmerge:{change_id}:%"),
            )
        ).all()
    return {(n.agency_id, n.practitioner_id, n.object_type, n.object_id) for n in rows}


def _audit_for(db: Database, change_id: int) -> list[AuditEntry]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == AuditAction.LINK_UNMERGED,
                    AuditEntry.object_id == str(change_id),
                )
            )
        )


def test_a_reviewer_undoes_a_confirmed_link_and_everyone_who_saw_them_as_one_is_told(
    client: TestClient, world: World, db: Database, linked_pair: Linked
) -> None:
    pair = linked_pair
    assert _persons(db, pair.police_record)[pair.police_record][0] == pair.school_person
    world.sign_in(client, pair.reviewer)
    opened = client.get(f"/api/link-reviews/{pair.review_id}").json()
    assert opened["can_undo"] is True and opened["undone"] is False

    undone = client.post(
        f"/api/link-reviews/{pair.review_id}/undo", json={"reason": "Different mothers"}
    )
    assert undone.status_code == 200, undone.text
    change = undone.json()
    assert change["kind"] == "undo"
    assert change["records"] == [pair.police_record]
    assert change["from_person_id"] == pair.school_person
    assert change["to_person_id"] == pair.police_person  # back where it came from
    now = _persons(db, pair.school_record, pair.police_record)
    assert now[pair.school_record] == (pair.school_person, LinkStatus.AUTO)
    assert now[pair.police_record] == (pair.police_person, LinkStatus.REJECTED)

    [entry] = _audit_for(db, change["change_id"])
    assert entry.refs["records"] == [pair.police_record]
    assert entry.refs["review"] == pair.review_id
    assert entry.refs["from_person"] == pair.school_person
    with db.sessions() as session:
        made = session.get(LinkChange, change["change_id"])
        assert made is not None and made.reverses_id is not None
        assert made.reason == "Different mothers"
    told = _notices(db, change["change_id"])
    assert told == {
        (pair.school.id, None, "agency_record", pair.school_record),
        (pair.school.id, pair.teacher.id, "agency_record", pair.school_record),
        (pair.police.id, None, "agency_record", pair.police_record),
        (pair.mash.id, pair.mash_worker.id, "disclosure", told_disclosure(db, pair)),
    }
    assert entry.refs["told"] == len(told)
    # Each of them reads it in their inbox, said as fits what they hold.
    for who, holds in ((pair.teacher, "agency_record"), (pair.mash_worker, "disclosure")):
        inbox = notifications.inbox(db, world.actor(who))
        unlinked = {(n.object_type, n.message) for n in inbox if n.kind == "records_unlinked"}
        expected = notifications.message_for(NotificationKind.RECORDS_UNLINKED, holds)
        assert unlinked == {(holds, expected)}
    assert notifications.message_for(
        NotificationKind.RECORDS_UNLINKED, "disclosure"
    ) != notifications.message_for(NotificationKind.RECORDS_UNLINKED, "agency_record")

    again = client.get(f"/api/link-reviews/{pair.review_id}").json()
    assert again["can_undo"] is False and again["undone"] is True
    twice = client.post(f"/api/link-reviews/{pair.review_id}/undo", json={"reason": ""})
    assert twice.status_code == 409
    history = linking.history(db, world.actor(pair.reviewer), pair.police_record)
    assert [h["kind"] for h in history] == ["confirm", "undo"]


def told_disclosure(db: Database, pair: Linked) -> int:
    with db.sessions() as session:
        from jigsaw.sharing.models import Disclosure, SharingDecision

        found = session.scalar(
            select(Disclosure.id)
            .join(SharingDecision, SharingDecision.id == Disclosure.decision_id)
            .where(SharingDecision.subject_record_id == pair.school_record)
        )
    assert found is not None
    return found


@pytest.mark.parametrize("who", ["dsl", "mash_worker", "officer"])
def test_only_a_linkage_reviewer_undoes_or_unmerges(
    client: TestClient, world: World, db: Database, linked_pair: Linked, who: str
) -> None:
    pair = linked_pair
    attacker: PractitionerOut = getattr(pair, who)
    world.sign_in(client, attacker)
    undo = client.post(f"/api/link-reviews/{pair.review_id}/undo", json={"reason": ""})
    assert undo.status_code == 403
    split = client.post("/api/link-unmerges", json={"record_ids": [pair.police_record]})
    assert split.status_code == 403
    assert _persons(db, pair.police_record)[pair.police_record][0] == pair.school_person
    assert entries_by(db, AuditAction.LINK_UNMERGED, attacker.id) == []
    assert len(entries_by(db, AuditAction.ACCESS_REFUSED, attacker.id)) == 2


def test_unmerging_named_records_gives_them_a_person_of_their_own(
    client: TestClient, world: World, db: Database, linked_pair: Linked
) -> None:
    pair = linked_pair
    world.sign_in(client, pair.reviewer)
    done = client.post(
        "/api/link-unmerges", json={"record_ids": [pair.school_record], "reason": "Not ours"}
    )
    assert done.status_code == 200, done.text
    change = done.json()
    assert change["kind"] == "unmerge" and change["records"] == [pair.school_record]
    new_person = change["to_person_id"]
    assert new_person not in (pair.school_person, pair.police_person)
    now = _persons(db, pair.school_record, pair.police_record)
    assert now[pair.school_record] == (new_person, LinkStatus.REJECTED)
    assert now[pair.police_record][0] == pair.school_person
    assert len(_audit_for(db, change["change_id"])) == 1
    assert (pair.mash.id, pair.mash_worker.id) in {
        (a, p) for a, p, _, _ in _notices(db, change["change_id"])
    }


@pytest.mark.parametrize(
    "body",
    [
        {"record_ids": []},
        {"record_ids": [0]},
        {"record_ids": [2**31]},
        {"record_ids": ["1"]},
        {"record_ids": [1], "reason": "bad\x00note"},
        {"record_ids": [1], "reason": "x" * 501},
    ],
)
def test_hostile_unmerge_bodies_are_refused_before_anything_changes(
    client: TestClient, world: World, linked_pair: Linked, body: dict[str, object]
) -> None:
    world.sign_in(client, linked_pair.reviewer)
    assert client.post("/api/link-unmerges", json=body).status_code == 422


def test_an_unmerge_that_would_leave_no_one_behind_changes_nothing_and_tells_no_one(
    db: Database, world: World, linked_pair: Linked
) -> None:
    pair = linked_pair
    reviewer = world.actor(pair.reviewer)
    from jigsaw.errors import InvalidInput

    with db.sessions() as session:
        changes_before = session.scalar(select(LinkChange.id).order_by(LinkChange.id.desc()))
    with pytest.raises(InvalidInput, match="nothing would stay behind"):
        linking.unmerge(db, reviewer, [pair.school_record, pair.police_record])
    with pytest.raises(InvalidInput, match="No agency records with ids"):
        linking.unmerge(db, reviewer, [pair.school_record, 2**31 - 1])
    elsewhere = add_record(db, world.actor(pair.officer), "Lou", unique("Pell"))
    link(db, new_person(db), elsewhere.id, status=LinkStatus.AUTO)
    with pytest.raises(InvalidInput, match="one and the same person"):
        linking.unmerge(db, reviewer, [pair.school_record, elsewhere.id])
    with db.sessions() as session:
        assert session.scalar(select(LinkChange.id).order_by(LinkChange.id.desc())) == (
            changes_before
        )
    assert entries_by(db, AuditAction.LINK_UNMERGED, pair.reviewer.id) == []


def test_records_moved_since_the_reviewer_looked_are_not_unmerged(
    db: Database, world: World, linked_pair: Linked
) -> None:
    """The page names the person it showed; if the record is in another person by the
    time the form is sent, nothing changes and no one is told."""
    from jigsaw.errors import Conflict

    pair = linked_pair
    with pytest.raises(Conflict, match="moved to another person"):
        linking.unmerge(
            db,
            world.actor(pair.reviewer),
            [pair.police_record],
            "Not ours",
            from_person=pair.police_person,
        )
    assert _persons(db, pair.police_record)[pair.police_record][0] == pair.school_person
    assert entries_by(db, AuditAction.LINK_UNMERGED, pair.reviewer.id) == []
    change = linking.unmerge(
        db,
        world.actor(pair.reviewer),
        [pair.police_record],
        "Not ours",
        from_person=pair.school_person,
    )
    assert change.from_person_id == pair.school_person


def test_a_pair_that_was_rejected_or_never_moved_anything_has_no_link_to_undo(
    db: Database, world: World
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    dsl = world.actor(world.practitioner(school, Role.DSL))
    reviewer = world.actor(world.practitioner(school, Role.LINKAGE_REVIEWER))
    a, b = (add_record(db, dsl, "Ivy", unique("Pell")).id for _ in range(2))
    link(db, new_person(db), a, status=LinkStatus.AUTO)
    link(db, new_person(db), b, status=LinkStatus.IN_REVIEW)
    review_id = open_review(db, b, a, 0.7)
    linking.reject_link(db, reviewer, review_id)
    from jigsaw.errors import Conflict

    with pytest.raises(Conflict, match="was not confirmed"):
        linking.undo_link(db, reviewer, review_id)


def _command(db: Database, *words: str) -> tuple[int, str]:
    url = db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["linkage", "unmerge", "--database", url, *words])
    return result.exit_code, result.output


def test_the_command_line_undoes_a_link_or_unmerges_records_as_the_data_controller(
    db: Database, linked_pair: Linked
) -> None:
    pair = linked_pair
    code, out = _command(db, "--review", str(pair.review_id), "--reason", "Checked with school")
    assert code == 0, out
    assert f"records {pair.police_record} moved" in out
    assert _persons(db, pair.police_record)[pair.police_record] == (
        pair.police_person,
        LinkStatus.REJECTED,
    )
    code, out = _command(db, "--review", str(pair.review_id))
    assert code == 1 and len(out.strip().splitlines()) == 1
    assert "already been undone" in out

    code, out = _command(db, str(2**31 - 5))
    assert code == 1 and len(out.strip().splitlines()) == 1
    assert "No agency records with ids" in out
    with db.sessions() as session:
        system_entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.LINK_UNMERGED,
                AuditEntry.refs["review"].as_integer() == pair.review_id,
            )
        ).all()
    assert len(system_entries) == 1 and system_entries[0].actor_id is None


def test_the_command_wants_records_or_a_review_not_both(db: Database, linked_pair: Linked) -> None:
    code, _ = _command(db)
    assert code != 0
    code, _ = _command(db, str(linked_pair.school_record), "--review", str(linked_pair.review_id))
    assert code != 0
    assert _persons(db, linked_pair.police_record)[linked_pair.police_record][0] == (
        linked_pair.school_person
    )


def test_the_service_refuses_a_system_less_actor_without_the_role(
    db: Database, linked_pair: Linked
) -> None:
    from jigsaw.errors import NotPermitted

    dsl = Actor(linked_pair.dsl.id, linked_pair.school.id, Role.DSL, mfa_verified=True)
    with pytest.raises(NotPermitted):
        linking.undo_link(db, dsl, linked_pair.review_id)
