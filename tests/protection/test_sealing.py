"""Narrative is stored sealed under its agency record's data key and read back as written."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import pytest
from sqlalchemy import Connection, insert, select, text

from jigsaw.breakglass import service as breakglass
from jigsaw.breakglass.models import EmergencyGround
from jigsaw.breakglass.schemas import BreakGlassIn
from jigsaw.clock import utcnow
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection import master_key as master_keys
from jigsaw.protection.keyring import (
    AGENCY,
    AGENCY_RECORD,
    PREFIX,
    Erased,
    OpenKey,
    Place,
    Subject,
    Unreadable,
    keyring,
    reveal,
)
from jigsaw.protection.master_key import MASTER_KEY_INFO, KeyUnavailable, LocalMasterKey
from jigsaw.protection.models import DataKey
from jigsaw.protection.sealed import open_rows
from jigsaw.protection.service import rewrap
from jigsaw.records import service as records
from jigsaw.records.models import Category, InformationItem, ItemRetraction
from jigsaw.records.schemas import RetractionIn
from jigsaw.retention import service as retention
from jigsaw.retention.schedule import shipped_schedule
from jigsaw.sharing import advice, decisions, disclosures, requests
from jigsaw.sharing.export import export_decisions
from jigsaw.sharing.schemas import AdviceAnswerIn, AdviceIn, RequestIn, RerateIn, RevocationIn
from jigsaw.singleview import service as singleview
from tests.conftest import SYSTEM, World, unique
from tests.protection.test_envelope import _legacy_column_value, _legacy_wrapped
from tests.scene import Scene, _item, build_scene
from tests.singleview.helpers import link

PROFILE = load_profile("default")
SUMMARY = "Bruise on upper arm, explanation inconsistent"
DETAIL = "Seen by class teacher at 9am; Mrs Neighbour reported shouting."


def _raw(db: Database, table: str, row_id: int, *columns: str) -> dict[str, object]:
    """What the database itself holds, read without the ORM."""
    with db.engine.connect() as conn:
        row = conn.execute(
            text(f"SELECT {', '.join(columns)} FROM {table} WHERE id = :id"),
            {"id": row_id},
        ).one()
    return dict(zip(columns, row, strict=True))


def _school_child(db: Database, world: World) -> tuple[Actor, int]:
    school = world.agency(AgencyKind.SCHOOL)
    dsl = world.actor(world.practitioner(school, Role.DSL))
    child = people.create_agency_record(
        db,
        dsl,
        AgencyRecordIn(
            agency_id=school.id,
            local_id=unique("S"),
            role=PersonRole.CHILD,
            given_name="Ada",
            family_name="Quill",
        ),
    )
    return dsl, child.id


@contextmanager
def _guards_lifted(conn: Connection) -> Iterator[None]:
    """What an owner who removes the append-only guards could do to the items table."""
    if conn.dialect.name == "sqlite":
        conn.execute(text("DROP TRIGGER information_items_no_update"))
        yield
        conn.execute(
            text(
                "CREATE TRIGGER information_items_no_update BEFORE UPDATE ON information_items "
                "BEGIN SELECT RAISE(ABORT, 'information_items is append-only'); END"
            )
        )
    else:
        conn.execute(text("ALTER TABLE information_items DISABLE TRIGGER USER"))
        yield
        conn.execute(text("ALTER TABLE information_items ENABLE TRIGGER USER"))


def test_an_item_reads_back_as_written_but_is_stored_as_ciphertext(
    db: Database, scene: Scene
) -> None:
    item = scene.items[0]
    assert records.view_item(db, scene.dsl, item.id).detail == DETAIL
    stored = _raw(db, "information_items", item.id, "summary", "detail", "source", "seal_id")
    for column in ("summary", "detail", "source"):
        value = stored[column]
        assert isinstance(value, str) and value.startswith(PREFIX), column
    assert "Bruise" not in str(stored["summary"]) and "Neighbour" not in str(stored["detail"])
    assert isinstance(stored["seal_id"], str) and len(stored["seal_id"]) == 32


def test_every_version_of_an_item_is_sealed_with_a_seal_of_its_own(
    db: Database, scene: Scene
) -> None:
    from jigsaw.records.schemas import CorrectionIn

    first = scene.items[0]
    body = first.model_dump(include=set(CorrectionIn.model_fields) - {"reason"})
    corrected = records.correct_item(
        db,
        scene.dsl,
        first.id,
        CorrectionIn.model_validate({**body, "summary": "Bruise on lower arm", "reason": "Typo"}),
    )
    assert corrected.summary == "Bruise on lower arm"
    seals = {
        _raw(db, "information_items", i, "seal_id")["seal_id"] for i in (first.id, corrected.id)
    }
    assert len(seals) == 2
    history = records.list_items_for_record(
        db, scene.dsl, scene.child_record_id, include_history=True
    )
    assert {i.summary for i in history} >= {SUMMARY, "Bruise on lower arm"}


def test_decision_reasons_and_advice_are_sealed_and_read_back(
    db: Database, world: World, scene: Scene
) -> None:
    decided = scene.share(db)
    stored = _raw(db, "sharing_decisions", decided.id, "reasons", "reveal_protected_reason")
    assert all(str(v).startswith(PREFIX) for v in stored.values())
    assert "Bruising" not in str(stored["reasons"])
    seen = decisions.view_decision(db, scene.dsl, decided.id)
    assert seen.reasons.startswith("Bruising seen twice")
    assert seen.reveal_protected_reason == ""

    # Advice that names no child stays within the asking agency (policy rule F4).
    teacher = world.actor(world.practitioner(scene.school, Role.PRACTITIONER))
    asked = advice.ask(
        db,
        teacher,
        AdviceIn(
            subject_record_id=None,
            to_practitioner_id=scene.dsl.practitioner_id,
            case_summary="A pupil with repeated bruising.",
            question="Would the MASH want this now?",
        ),
    )
    answered = advice.answer(db, scene.dsl, asked.id, AdviceAnswerIn(answer="Yes."))
    assert answered.answer == "Yes." and answered.question == "Would the MASH want this now?"
    assert str(_raw(db, "advice_requests", asked.id, "question")["question"]).startswith(PREFIX)
    with db.sessions() as session:
        kinds = session.execute(
            select(DataKey.subject_kind, DataKey.subject_id).where(
                DataKey.subject_kind == "agency", DataKey.subject_id == scene.school.id
            )
        ).all()
    assert kinds, "advice that names no child is sealed under the asking agency's key"


def test_ciphertext_moved_to_another_row_or_column_does_not_decrypt(
    private_database: Database,
) -> None:
    world = World(private_database)
    dsl, record_id = _school_child(private_database, world)
    first = _item(private_database, dsl, record_id)
    second = _item(private_database, dsl, record_id, detail="Something else entirely")
    with private_database.engine.begin() as conn, _guards_lifted(conn):
        conn.execute(
            text("UPDATE information_items SET detail = :d WHERE id = :id"),
            {
                "d": _raw(private_database, "information_items", first.id, "detail")["detail"],
                "id": second.id,
            },
        )
    with pytest.raises(Unreadable, match=r"information_items\.detail .* moved from another row"):
        records.view_item(private_database, dsl, second.id)

    with private_database.engine.begin() as conn, _guards_lifted(conn):
        conn.execute(
            text("UPDATE information_items SET summary = detail WHERE id = :id"),
            {"id": first.id},
        )
    with pytest.raises(Unreadable, match=r"information_items\.summary"):
        records.view_item(private_database, dsl, first.id)


def test_the_wrong_master_key_reads_nothing(db: Database, scene: Scene) -> None:
    with db.sessions() as session:
        session.info[MASTER_KEY_INFO] = LocalMasterKey.generate()
        with pytest.raises(KeyUnavailable, match="not configured"):
            session.get(InformationItem, scene.items[0].id)


def test_a_wrapped_key_moved_to_another_record_does_not_unwrap(
    private_database: Database,
) -> None:
    world = World(private_database)
    dsl, first_record = _school_child(private_database, world)
    other, second_record = _school_child(private_database, world)
    _item(private_database, dsl, first_record)
    item = _item(private_database, other, second_record)
    with private_database.transaction() as session:
        rows = {
            row.subject_id: row
            for row in session.scalars(
                select(DataKey).where(DataKey.subject_id.in_([first_record, second_record]))
            )
        }
        rows[second_record].wrapped = rows[first_record].wrapped
    with pytest.raises(KeyUnavailable, match=f"agency_record:{second_record}"):
        records.view_item(private_database, other, item.id)


def test_rotation_rewraps_every_data_key_and_nothing_else_changes(
    private_database: Database,
) -> None:
    old_key = base64.b64decode(os.environ["JIGSAW_MASTER_KEY"])
    world = World(private_database)
    dsl, record_id = _school_child(private_database, world)
    item = _item(private_database, dsl, record_id)
    before = _raw(private_database, "information_items", item.id, "detail")
    new = LocalMasterKey(b"n" * 32, retired=(old_key,))
    rotated = Database(private_database.url, session_info={MASTER_KEY_INFO: new})
    try:
        assert rewrap(rotated, Actor.system()) >= 1
        assert rewrap(rotated, Actor.system()) == 0
    finally:
        rotated.dispose()
    with private_database.sessions() as session:
        ids = set(
            session.scalars(select(DataKey.master_key_id).where(DataKey.wrapped.is_not(None)))
        )
        assert ids == {new.key_id}
        session.info[MASTER_KEY_INFO] = LocalMasterKey(b"n" * 32)
        row = session.get(InformationItem, item.id)
        assert row is not None and row.detail == DETAIL
    assert _raw(private_database, "information_items", item.id, "detail") == before


def test_an_item_and_its_data_key_in_the_legacy_forms_still_read_as_written(
    private_database: Database,
) -> None:
    """What was sealed before the one sealed-value form is read where it is, never rewritten."""
    world = World(private_database)
    dsl, record_id = _school_child(private_database, world)
    item = _item(private_database, dsl, record_id)
    subject = Subject(AGENCY_RECORD, record_id)
    seal_id = str(_raw(private_database, "information_items", item.id, "seal_id")["seal_id"])
    with private_database.sessions() as session:
        key = keyring(session).for_reading(subject)
    assert isinstance(key, OpenKey)
    detail = _legacy_column_value(key, Place("information_items", "detail", seal_id), DETAIL)
    subtype = _legacy_column_value(key, Place("information_items", "subtype", seal_id), "injury")
    master = master_keys.environment_key()
    wrapped = _legacy_wrapped(
        base64.b64decode(os.environ["JIGSAW_MASTER_KEY"]), master.key_id, key.key, subject.context
    )
    with private_database.engine.begin() as conn, _guards_lifted(conn):
        conn.execute(
            text("UPDATE information_items SET detail = :d, subtype = :s WHERE id = :id"),
            {"d": detail, "s": subtype, "id": item.id},
        )
        conn.execute(
            text("UPDATE data_keys SET wrapped = :w WHERE id = :id"), {"w": wrapped, "id": key.id}
        )

    seen = records.view_item(private_database, dsl, item.id)
    assert (seen.detail, seen.subtype, seen.summary) == (DETAIL, "injury", SUMMARY)
    with private_database.sessions() as session:
        found = session.execute(
            select(
                InformationItem.id,
                InformationItem.subject_record_id,
                InformationItem.seal_id,
                InformationItem.summary,
                InformationItem.detail,
                InformationItem.source,
            ).where(InformationItem.id == item.id)
        ).all()
        (opened,) = open_rows(
            session,
            InformationItem,
            [_AsRead(*row) for row in found],
            lambda row: Subject(AGENCY_RECORD, row.subject_record_id),
            make=lambda values: _AsRead(*values),
        )
    assert opened.detail == DETAIL and opened.summary == SUMMARY
    stored = _raw(private_database, "information_items", item.id, "detail", "subtype")
    assert stored == {"detail": detail, "subtype": subtype}, "reading rewrites nothing"


class _AsRead(NamedTuple):
    id: int
    subject_record_id: int
    seal_id: str | None
    summary: str | None
    detail: str | None
    source: str | None


def test_rows_read_without_the_orm_open_only_the_fields_their_reader_may_see(
    private_database: Database,
) -> None:
    world = World(private_database)
    dsl, record_id = _school_child(private_database, world)
    item = _item(private_database, dsl, record_id)
    other = _item(private_database, dsl, record_id, detail="Something else entirely")
    with private_database.engine.begin() as conn, _guards_lifted(conn):
        conn.execute(  # the detail is now unreadable where it is
            text("UPDATE information_items SET detail = :d WHERE id = :id"),
            {
                "d": _raw(private_database, "information_items", other.id, "detail")["detail"],
                "id": item.id,
            },
        )
    columns = (
        InformationItem.id,
        InformationItem.subject_record_id,
        InformationItem.seal_id,
        InformationItem.summary,
        InformationItem.detail,
        InformationItem.source,
    )
    with private_database.sessions() as session:
        found = session.execute(select(*columns).where(InformationItem.id == item.id)).all()
        rows = [_AsRead(*row) for row in found]

        def subject(row: _AsRead) -> Subject:
            return Subject(AGENCY_RECORD, row.subject_record_id)

        (opened,) = open_rows(
            session, InformationItem, rows, subject, lambda _row: {"summary", "source"}
        )
        assert (opened.summary, opened.source) == (SUMMARY, "Observed by class teacher")
        assert opened.detail is None, "a field the reader may not see is not even decrypted"
        with pytest.raises(Unreadable, match=r"information_items\.detail"):
            open_rows(session, InformationItem, rows, subject)


QUESTION = "Any injuries or absences this term?"
RATIONALE = "Child disclosed at school on Monday"
RETRACTION = "Recorded against the wrong child"
REVOCATION = "Sent to the wrong hub in error"
GLASS_REASON = "Child found alone at the station late at night; police asking what is known."
PLAINTEXT = {
    "question": "injuries",
    "rationale": "disclosed",
    "retraction": "wrong child",
    "revocation": "wrong hub",
    "glass": "station",
}


@dataclass(frozen=True)
class Written:
    """One of each of the free-text rows sealed since 0011, all about one child."""

    scene: Scene
    person_id: int
    request_id: int
    retracted_item_id: int
    disclosure_id: int
    glass_id: int


def private_scene(db: Database, born: date = date(2017, 6, 1)) -> Scene:
    """The ``scene`` fixture's school, MASH and child, in a database of the test's own."""
    return build_scene(db, World(db), born)


def write_every_sealed_text(db: Database, scene: Scene) -> Written:
    """Through the services: the school asks the MASH, the MASH re-rates, the school
    retracts an item and revokes a disclosure, and the MASH breaks the glass."""
    person_id = people.create_person(db, SYSTEM, None).id
    link(db, person_id, scene.child_record_id)
    asked = requests.make_request(
        db,
        scene.dsl,
        RequestIn(
            subject_record_id=scene.child_record_id,
            recipient_agency_id=scene.mash.id,
            purpose=SharingPurpose.CHILD_PROTECTION_ENQUIRY,
            categories=[Category.CHILD_WELFARE],
            question=QUESTION,
            rag=Rag.AMBER,
        ),
        PROFILE,
    )
    requests.rerate(
        db, scene.social_worker, asked.id, RerateIn(rag=Rag.RED, rationale=RATIONALE), PROFILE
    )
    retracted = scene.items[1]
    records.retract_item(db, scene.dsl, retracted.id, RetractionIn(reason=RETRACTION))
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(scene.share(db).id))
    disclosures.revoke(db, scene.dsl, made.id, RevocationIn(reason=REVOCATION))
    glass = breakglass.start(
        db,
        scene.social_worker,
        person_id,
        BreakGlassIn(category=EmergencyGround.MISSING_CHILD, reason=GLASS_REASON),
        60,
    )
    return Written(scene, person_id, asked.id, retracted.id, made.id, glass.id)


def _stored(db: Database, written: Written) -> dict[str, list[dict[str, object]]]:
    """Each sealed value as the database holds it, with its row's seal, by what it is."""
    wheres = {
        "question": ("information_requests", "question", "id", written.request_id),
        "rationale": ("rag_ratings", "rationale", "request_id", written.request_id),
        "retraction": ("item_retractions", "reason", "item_id", written.retracted_item_id),
        "revocation": ("disclosure_revocations", "reason", "disclosure_id", written.disclosure_id),
        "glass": ("break_glass_sessions", "reason", "id", written.glass_id),
    }
    found: dict[str, list[dict[str, object]]] = {}
    with db.engine.connect() as conn:
        for what, (table, column, key, value) in wheres.items():
            rows = conn.execute(
                text(
                    f"SELECT {column} AS value, seal_id FROM {table} "
                    f"WHERE {key} = :value ORDER BY id"
                ),
                {"value": value},
            )
            found[what] = [dict(row._mapping) | {"table": table, "column": column} for row in rows]
    return found


def test_the_remaining_free_text_is_stored_sealed_and_read_back_as_written(
    db: Database, scene: Scene
) -> None:
    written = write_every_sealed_text(db, scene)
    stored = _stored(db, written)
    assert len(stored["rationale"]) == 2, "the first rating's empty rationale is sealed too"
    for what, rows in stored.items():
        for row in rows:
            value, seal_id = row["value"], row["seal_id"]
            assert isinstance(value, str) and value.startswith(PREFIX), what
            assert PLAINTEXT[what] not in value.lower(), what
            assert isinstance(seal_id, str) and len(seal_id) == 32, what

    seen = requests.view_request(db, scene.social_worker, written.request_id)
    assert seen.question == QUESTION
    assert [r.rationale for r in seen.rating_history] == ["", RATIONALE]
    (listed,) = [r for r in requests.outgoing_requests(db, scene.dsl) if r.id == written.request_id]
    assert listed.question == QUESTION and listed.rating.rationale == RATIONALE

    chronology = singleview.chronology(db, scene.dsl, written.person_id)
    (retracted,) = [e for e in chronology.entries if e.item_id == written.retracted_item_id]
    assert retracted.retracted and retracted.retraction_reason == RETRACTION

    (revoked,) = [
        d for d in disclosures.made_by_agency(db, scene.dsl) if d.id == written.disclosure_id
    ]
    assert revoked.revocation_reason == REVOCATION
    exported = export_decisions(db, scene.dsl, scene.child_record_id)
    shared = [d for e in exported["decisions"] for d in e["disclosures"]]
    assert [d["revocation_reason"] for d in shared] == [REVOCATION]

    (glass,) = [g for g in breakglass.mine(db, scene.social_worker) if g.id == written.glass_id]
    assert glass.reason == GLASS_REASON


def test_each_is_sealed_under_its_subjects_key(db: Database, scene: Scene) -> None:
    """The child's agency record for what is about the record; the practitioner's agency
    for a break-glass reason, which is about a person across every agency's records."""
    written = write_every_sealed_text(db, scene)
    record = Subject(AGENCY_RECORD, scene.child_record_id)
    subjects = {
        "question": record,
        "rationale": record,
        "retraction": record,
        "revocation": record,
        "glass": Subject(AGENCY, scene.mash.id),
    }
    with db.sessions() as session:
        ring = keyring(session)
        for what, rows in _stored(db, written).items():
            for row in rows:
                place = Place(str(row["table"]), str(row["column"]), str(row["seal_id"]))
                opened = reveal(ring, subjects[what], place, str(row["value"]))
                assert opened in {QUESTION, "", RATIONALE, RETRACTION, REVOCATION, GLASS_REASON}
        (glass,) = _stored(db, written)["glass"]
        with pytest.raises(Unreadable):
            place = Place("break_glass_sessions", "reason", str(glass["seal_id"]))
            reveal(ring, record, place, str(glass["value"]))


def test_a_retraction_written_before_sealing_reads_as_it_is(db: Database, scene: Scene) -> None:
    person_id = people.create_person(db, SYSTEM, None).id
    link(db, person_id, scene.child_record_id)
    item = scene.items[0]
    with db.engine.begin() as conn:  # a row from before 0011: plaintext, no seal
        conn.execute(
            insert(ItemRetraction),
            {"item_id": item.id, "reason": "Duplicate entry", "retracted_at": utcnow()},
        )
    entries = singleview.chronology(db, scene.dsl, person_id).entries
    (retracted,) = [e for e in entries if e.item_id == item.id]
    assert retracted.retraction_reason == "Duplicate entry"


def test_erasing_a_record_shreds_its_requests_retractions_and_revocations_not_break_glass(
    private_database: Database,
) -> None:
    db = private_database
    scene = private_scene(db, born=date(2000, 1, 1))
    written = write_every_sealed_text(db, scene)
    erased = retention.run(db, SYSTEM, shipped_schedule(), date(2025, 1, 1))
    assert [e.agency_record_id for e in erased] == [scene.child_record_id]
    marker = Erased(utcnow().date()).marker

    seen = requests.view_request(db, scene.social_worker, written.request_id)
    assert seen.question == marker
    assert [r.rationale for r in seen.rating_history] == [marker, marker]
    with db.sessions() as session:
        retraction = session.scalars(
            select(ItemRetraction).where(ItemRetraction.item_id == written.retracted_item_id)
        ).one()
        assert retraction.reason == marker
    (revoked,) = disclosures.made_by_agency(db, scene.dsl)
    assert revoked.revocation_reason == marker
    (glass,) = breakglass.mine(db, scene.social_worker)
    assert glass.reason == GLASS_REASON, "a DPO can still review why the glass was broken"
    for what, rows in _stored(db, written).items():
        assert all(str(row["value"]).startswith(PREFIX) for row in rows), what


def test_a_row_stored_before_sealing_shows_only_the_fields_its_reader_may_see(
    private_database: Database,
) -> None:
    unsealed = _AsRead(1, 1, None, "plain summary", "plain detail", "plain source")
    with private_database.sessions() as session:
        (opened,) = open_rows(
            session,
            InformationItem,
            [unsealed],
            lambda row: Subject(AGENCY_RECORD, row.subject_record_id),
            lambda _row: {"summary"},
        )
        (everything,) = open_rows(
            session,
            InformationItem,
            [unsealed],
            lambda row: Subject(AGENCY_RECORD, row.subject_record_id),
        )
    assert opened == unsealed._replace(detail=None, source=None)
    assert everything == unsealed, "a value stored before sealing is read as it is"
