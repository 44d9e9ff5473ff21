"""Recording what an agency knows on the pages: a concern, its correction and retraction,
the item's own page, and the people, workers, consent and telling around the child."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.consent.models import ConsentRecord, TransparencyRecord
from jigsaw.db import Database
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.people import service as people
from jigsaw.people.models import Involvement, PersonRole, Relationship, RelationshipKind
from jigsaw.people.schemas import AgencyRecordOut, RelationshipIn
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records import service as records
from jigsaw.records.models import InformationItem
from tests.agreed import agree
from tests.conftest import World, unique
from tests.singleview.helpers import share
from tests.web.helpers import add_item, add_record, form_token

CONCERN = {
    "category": "child_welfare",
    "subtype": "injury",
    "nature": "fact",
    "occurred_on-day": "3",
    "occurred_on-month": "2",
    "occurred_on-year": "2026",
    "summary": "Bruise on left forearm, seen at drop-off",
    "detail": "Said she fell off her bike.",
    "source": "Seen by the class teacher",
    "verification": "verified",
}


def _dsl(world: World, kind: AgencyKind = AgencyKind.SCHOOL) -> PractitionerOut:
    return world.practitioner(world.agency(kind), Role.DSL)


def _signed_in(client: TestClient, world: World, who: PractitionerOut) -> str:
    world.sign_in(client, who)
    return form_token(client.get("/account/password").text)


def _child(db: Database, world: World, dsl: PractitionerOut) -> AgencyRecordOut:
    return add_record(db, world.actor(dsl), "Maya", unique("Okafor").replace(" ", ""))


def _items_of(db: Database, record_id: int) -> list[InformationItem]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(InformationItem)
                .where(InformationItem.subject_record_id == record_id)
                .order_by(InformationItem.id)
            )
        )


def _post(client: TestClient, url: str, token: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def test_blank_concern_lists_each_problem_in_the_error_summary(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    child = _child(db, world, dsl)
    token = _signed_in(client, world, dsl)
    response = _post(client, f"/children/{child.id}/items/new", token, {"subtype": "other"})
    assert response.status_code == 422
    page = response.text
    assert "govuk-error-summary" in page
    for anchor, message in [
        ("#subject_record_id", "Select who the information is about"),
        ("#category", "Select what the information is about"),
        ("#subtype_other", "Describe the type of information"),
        ("#nature", "Select whether this is a fact or your opinion"),
        ("#occurred_on-day", "Enter the date it happened"),
        ("#summary", "Enter a summary"),
        ("#source", "Enter where the information came from"),
        ("#verification", "Select whether you have checked it"),
    ]:
        assert f'<a href="{anchor}">{message}</a>' in page
    assert _items_of(db, child.id) == []


def test_a_type_outside_the_list_is_refused_on_the_page(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    child = _child(db, world, dsl)
    token = _signed_in(client, world, dsl)
    data = {**CONCERN, "subject_record_id": str(child.id), "subtype": "made_up_type"}
    response = _post(client, f"/children/{child.id}/items/new", token, data)
    assert response.status_code == 422
    assert '<a href="#subtype">Select the type of information</a>' in response.text


def test_record_check_confirm_creates_the_item_with_its_marks(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    child = _child(db, world, dsl)
    token = _signed_in(client, world, dsl)
    assert f'href="/children/{child.id}/items/new"' in client.get(f"/children/{child.id}").text
    url = f"/children/{child.id}/items/new"
    data = {
        **CONCERN,
        "subject_record_id": str(child.id),
        "marks": ["special_category", "protected_identity"],
    }
    response = _post(client, url, token, data)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == url + "/check"
    assert _items_of(db, child.id) == [], "nothing is written before the answers are checked"

    check = client.get(url + "/check").text
    assert "Check your answers" in check
    assert "Bruise on left forearm, seen at drop-off" in check
    assert "Special category data; It names someone whose identity must be protected" in check
    assert f'href="{url}"' in check, "each answer can be changed"
    again = client.get(url).text
    assert 'value="Seen by the class teacher"' in again, "changing an answer shows the others"

    done = _post(client, url + "/check", token, {})
    assert done.status_code == 303
    (item,) = _items_of(db, child.id)
    assert done.headers["location"] == f"/items/{item.id}/recorded?child={child.id}"
    assert (item.subtype, item.special_category, item.criminal_offence) == ("injury", True, False)
    assert item.protected_identity is True
    assert item.author_id == dsl.id
    confirmation = client.get(done.headers["location"]).text
    assert "Information recorded" in confirmation and "govuk-panel" in confirmation

    child_page = client.get(f"/children/{child.id}").text
    assert f'href="/items/{item.id}"' in child_page
    assert "Injury" in child_page
    assert client.get(url + "/check", follow_redirects=False).headers["location"] == url


def test_other_needs_a_description_and_is_shown_with_it(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    child = _child(db, world, dsl)
    token = _signed_in(client, world, dsl)
    url = f"/children/{child.id}/items/new"
    data = {
        **CONCERN,
        "subject_record_id": str(child.id),
        "subtype": "other",
        "subtype_other": "Left alone in the car",
    }
    assert _post(client, url, token, data).status_code == 303
    assert _post(client, url + "/check", token, {}).status_code == 303
    (item,) = _items_of(db, child.id)
    assert (item.subtype, item.subtype_other) == ("other", "Left alone in the car")
    assert "Other: Left alone in the car" in client.get(f"/items/{item.id}").text


def test_a_concern_may_be_about_a_parent_linked_to_the_child(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    actor = world.actor(dsl)
    child = _child(db, world, dsl)
    parent = add_record(db, actor, "Grace", child.family_name, PersonRole.PARENT_CARER)
    people.create_relationship(
        db,
        actor,
        RelationshipIn(
            from_record_id=parent.id, to_record_id=child.id, kind=RelationshipKind.PARENT
        ),
    )
    stranger = add_record(db, actor, "Tom", unique("Other"), PersonRole.PARENT_CARER)
    token = _signed_in(client, world, dsl)
    url = f"/children/{child.id}/items/new"
    form = client.get(url).text
    assert f'value="{parent.id}"' in form and f'value="{stranger.id}"' not in form
    refused = _post(client, url, token, {**CONCERN, "subject_record_id": str(stranger.id)})
    assert refused.status_code == 422, "only the people offered may be chosen"
    data = {**CONCERN, "subject_record_id": str(parent.id), "category": "parent_capacity"}
    assert _post(client, url, token, data).status_code == 303
    assert _post(client, url + "/check", token, {}).status_code == 303
    (item,) = _items_of(db, parent.id)
    assert item.category == "parent_capacity"


def _corrected(db: Database, world: World, dsl: PractitionerOut) -> tuple[AgencyRecordOut, int]:
    child = _child(db, world, dsl)
    made = add_item(
        db,
        world.actor(dsl),
        child.id,
        "Late three times",
        subtype="attendance",
        special_category=True,
        protected_identity=True,
    )
    return child, made.id


def _correction(**changes: Any) -> dict[str, Any]:
    return {
        **CONCERN,
        "subtype": "attendance",
        "summary": "Late four times this week",
        "marks": ["special_category", "protected_identity"],
        **changes,
    }


def test_a_correction_needs_a_reason_and_keeps_both_versions(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    child, item_id = _corrected(db, world, dsl)
    token = _signed_in(client, world, dsl)
    form = client.get(f"/items/{item_id}/correct").text
    assert "Late three times" in form, "the form starts from what was recorded"
    ticked = re.findall(r'<input[^>]*name="marks"[^>]*value="(\w+)"[^>]*checked', form)
    assert ticked == ["special_category", "protected_identity"], "and keeps its marks"

    refused = _post(client, f"/items/{item_id}/correct", token, _correction())
    assert refused.status_code == 422
    assert '<a href="#reason">Say why you are correcting it</a>' in refused.text
    assert len(_items_of(db, child.id)) == 1

    done = _post(
        client, f"/items/{item_id}/correct", token, _correction(reason="Counted the register again")
    )
    assert done.status_code == 303
    first, second = _items_of(db, child.id)
    assert done.headers["location"] == f"/items/{second.id}"
    assert (second.supersedes_id, second.version) == (first.id, 2)
    assert second.correction_reason == "Counted the register again"
    assert (second.special_category, second.protected_identity) == (True, True)
    assert first.summary == "Late three times", "the earlier version is kept as it was"

    page = client.get(f"/items/{second.id}").text
    assert "Correction recorded" in page
    assert "Counted the register again" in page
    assert "Version 1" in page and "Version 2 (latest)" in page
    stale = _post(client, f"/items/{item_id}/correct", token, _correction(reason="Again"))
    assert stale.status_code == 409, "an earlier version cannot be corrected again"


def test_a_retraction_needs_a_reason_and_is_shown_on_the_item(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    _, item_id = _corrected(db, world, dsl)
    token = _signed_in(client, world, dsl)
    refused = _post(client, f"/items/{item_id}/retract", token, {"reason": " "})
    assert refused.status_code == 422
    assert '<a href="#reason">Say why you are retracting it</a>' in refused.text
    assert records.item_history(db, world.actor(dsl), item_id).retraction is None

    done = _post(client, f"/items/{item_id}/retract", token, {"reason": "Wrong child"})
    assert done.status_code == 303
    history = records.item_history(db, world.actor(dsl), item_id)
    assert history.retraction is not None and history.retraction.reason == "Wrong child"
    page = client.get(f"/items/{item_id}").text
    assert "Retracted" in page and "Wrong child" in page
    assert f'href="/items/{item_id}/correct"' not in page
    assert client.get(f"/items/{item_id}/retract").status_code == 409


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "/correct"),
        ("get", "/retract"),
        ("post", "/correct"),
        ("post", "/retract"),
    ],
)
def test_another_agency_cannot_reach_the_item(
    client: TestClient, world: World, db: Database, method: str, suffix: str
) -> None:
    dsl = _dsl(world)
    _, item_id = _corrected(db, world, dsl)
    other = _dsl(world, AgencyKind.HEALTH)
    token = _signed_in(client, world, other)
    if method == "get":
        response = client.get(f"/items/{item_id}{suffix}")
    else:
        data = _correction(reason="Not mine") if suffix == "/correct" else {"reason": "Not mine"}
        response = _post(client, f"/items/{item_id}{suffix}", token, data)
    assert response.status_code == 404
    assert "Late three times" not in response.text
    assert records.item_history(db, world.actor(dsl), item_id).retraction is None
    assert len(records.item_history(db, world.actor(dsl), item_id).versions) == 1


def test_another_agency_cannot_record_about_the_child(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    child = _child(db, world, dsl)
    other = _dsl(world, AgencyKind.HEALTH)
    _signed_in(client, world, other)
    for kind in ("items", "relationships", "involvements", "consent", "transparency"):
        assert client.get(f"/children/{child.id}/{kind}/new").status_code == 404


def _record_and_confirm(
    client: TestClient, token: str, record_id: int, kind: str, data: dict[str, Any]
) -> Any:
    url = f"/children/{record_id}/{kind}/new"
    answered = _post(client, url, token, data)
    assert answered.status_code == 303, answered.text
    assert "Check your answers" in client.get(url + "/check").text
    return _post(client, url + "/check", token, {})


def test_a_relationship_is_added_by_the_persons_local_id(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    child = _child(db, world, dsl)
    parent = add_record(db, world.actor(dsl), "Grace", child.family_name, PersonRole.PARENT_CARER)
    token = _signed_in(client, world, dsl)
    url = f"/children/{child.id}/relationships/new"
    unknown = _post(client, url, token, {"local_id": "NOBODY-1", "kind": "parent"})
    assert unknown.status_code == 422
    assert "Your agency holds nobody with this ID" in unknown.text
    done = _record_and_confirm(
        client, token, child.id, "relationships", {"local_id": parent.local_id, "kind": "parent"}
    )
    assert done.headers["location"] == f"/children/{child.id}"
    with db.sessions() as session:
        (link,) = session.scalars(select(Relationship).where(Relationship.to_record_id == child.id))
    assert (link.from_record_id, link.kind) == (parent.id, RelationshipKind.PARENT)
    page = client.get(f"/children/{child.id}").text
    assert "Relationship added" in page and f"Grace {child.family_name}" in page


def test_a_relationship_finds_the_person_by_exact_id_and_logs_only_them(
    client: TestClient, world: World, db: Database
) -> None:
    """More than a page of names contain the ID typed, and sort before the person it is:
    the exact lookup still finds them, and each step logs that one person only."""
    dsl = _dsl(world)
    actor = world.actor(dsl)
    child = _child(db, world, dsl)
    wanted = unique("Qx").replace(" ", "")
    for n in range(51):
        add_record(db, actor, "Ann", f"{wanted}{n:02d}", PersonRole.PARENT_CARER)
    parent = add_record(db, actor, "Grace", "Zylo", PersonRole.PARENT_CARER, local_id=wanted)
    token = _signed_in(client, world, dsl)
    with db.sessions() as session:
        before = session.scalar(select(func.max(AuditEntry.seq))) or -1

    done = _record_and_confirm(
        client, token, child.id, "relationships", {"local_id": wanted, "kind": "parent"}
    )
    assert done.headers["location"] == f"/children/{child.id}"
    with db.sessions() as session:
        (link,) = session.scalars(select(Relationship).where(Relationship.to_record_id == child.id))
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.seq > before)
                .where(
                    AuditEntry.action.in_(
                        [AuditAction.AGENCY_RECORD_VIEWED, AuditAction.AGENCY_RECORDS_LISTED]
                    )
                )
            )
        )
    assert link.from_record_id == parent.id
    lookups = [e for e in entries if (e.refs or {}).get("query") == "local_id"]
    # Once each for the question, the check answers page and the confirmation.
    assert len(lookups) == 3
    assert {(e.action, e.object_id) for e in lookups} == {
        (AuditAction.AGENCY_RECORD_VIEWED, str(parent.id))
    }
    assert not [e for e in entries if e.action == AuditAction.AGENCY_RECORDS_LISTED]

    for typed in ("a", "%"):
        missed = _post(
            client, f"/children/{child.id}/relationships/new", token,
            {"local_id": typed, "kind": "parent"},
        )  # fmt: skip
        assert missed.status_code == 422
        assert "Your agency holds nobody with this ID" in missed.text
    with db.sessions() as session:
        (last,) = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == AuditAction.AGENCY_RECORDS_LISTED)
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
    assert last.refs == {"records": [], "total": 0, "query": "local_id"}


def test_an_involvement_consent_and_what_the_family_was_told_are_recorded(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    child = _child(db, world, dsl)
    token = _signed_in(client, world, dsl)
    blank = _post(client, f"/children/{child.id}/involvements/new", token, {})
    assert '<a href="#started_on-day">Enter the date they started</a>' in blank.text
    _record_and_confirm(
        client,
        token,
        child.id,
        "involvements",
        {
            "description": "Designated safeguarding lead",
            "is_me": "yes",
            "started_on-day": "1",
            "started_on-month": "9",
            "started_on-year": "2025",
        },
    )
    child_asked = {"purpose": "early_help", "asked": "child", "status": "given"}
    unsure = _post(client, f"/children/{child.id}/consent/new", token, child_asked)
    assert '<a href="#child_competent">Select whether the child could decide' in unsure.text
    _record_and_confirm(
        client,
        token,
        child.id,
        "consent",
        {**child_asked, "child_competent": "yes", "competence_reason": "Understood and weighed it"},
    )
    _record_and_confirm(
        client,
        token,
        child.id,
        "transparency",
        {
            "told_on-day": "2",
            "told_on-month": "9",
            "told_on-year": "2025",
            "method": "in_person",
            "told_to": "parent_carer",
            "explained": "What the school shares with children's social care, and when",
        },
    )
    with db.sessions() as session:
        involvement = session.scalars(
            select(Involvement).where(Involvement.agency_record_id == child.id)
        ).one()
        consent = session.scalars(
            select(ConsentRecord).where(ConsentRecord.subject_record_id == child.id)
        ).one()
        told = session.scalars(
            select(TransparencyRecord).where(TransparencyRecord.subject_record_id == child.id)
        ).one()
    assert involvement.practitioner_id == dsl.id
    assert (consent.status, consent.child_competent) == ("given", True)
    assert told.explained.startswith("What the school shares")
    assert "Designated safeguarding lead" in client.get(f"/children/{child.id}").text


def test_the_item_page_says_where_it_was_shared_and_which_parts(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    child = _child(db, world, dsl)
    item = add_item(db, world.actor(dsl), child.id, "Late three times", subtype="attendance")
    item_id = item.id
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    agree(db, dsl.agency_id, mash.id)
    share(
        db, world.actor(dsl), child.id, [item], to_agency=mash.id, fields=["summary", "occurred_on"]
    )
    _signed_in(client, world, dsl)
    page = client.get(f"/items/{item_id}").text
    assert "Shared with other agencies" in page
    assert mash.name in page
    assert re.search(r"Parts shared.*?(Date, Summary|Summary, Date)", page, re.S)
    assert "Your agency has not shared this information" not in page


def test_the_item_page_logs_only_the_disclosures_that_carried_it(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = _dsl(world)
    actor = world.actor(dsl)
    child = _child(db, world, dsl)
    first = add_item(db, actor, child.id, "Late three times", subtype="attendance")
    other = add_item(db, actor, child.id, "Hungry at lunch", subtype="attendance")
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    agree(db, dsl.agency_id, mash.id)
    carried = share(db, actor, child.id, [first], to_agency=mash.id)
    share(db, actor, child.id, [other], to_agency=mash.id)
    _signed_in(client, world, dsl)
    with db.sessions() as session:
        before = session.scalar(select(func.max(AuditEntry.seq))) or -1

    page = client.get(f"/items/{first.id}").text
    assert "Shared with other agencies" in page
    with db.sessions() as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(
                AuditEntry.seq > before, AuditEntry.action == AuditAction.DISCLOSURE_VIEWED
            )
        )
    assert entry.refs["disclosures"] == [carried.id]
    assert entry.refs["items"] == [first.id]
