"""Narrative is stored sealed under its agency record's data key and read back as written."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import pytest
from sqlalchemy import Connection, select, text

from jigsaw.access.actor import Actor
from jigsaw.agencies.roles import AgencyKind, Role
from jigsaw.db import Database
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.protection import keys as master_keys
from jigsaw.protection.keyring import AGENCY_RECORD, MASTER_KEY_INFO, PREFIX, Subject, Unreadable
from jigsaw.protection.keys import KeyUnavailable, LocalMasterKey
from jigsaw.protection.models import DataKey
from jigsaw.protection.sealed import open_rows
from jigsaw.protection.service import rewrap
from jigsaw.records import service as records
from jigsaw.records.models import InformationItem
from jigsaw.sharing import advice, decisions
from jigsaw.sharing.schemas import AdviceAnswerIn, AdviceIn
from tests.conftest import World, unique
from tests.scene import Scene, _item

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


def test_decision_reasons_and_advice_are_sealed_and_read_back(db: Database, scene: Scene) -> None:
    decided = scene.share(db)
    stored = _raw(db, "sharing_decisions", decided.id, "reasons", "reveal_protected_reason")
    assert all(str(v).startswith(PREFIX) for v in stored.values())
    assert "Bruising" not in str(stored["reasons"])
    seen = decisions.view_decision(db, scene.dsl, decided.id)
    assert seen.reasons.startswith("Bruising seen twice")
    assert seen.reveal_protected_reason == ""

    asked = advice.ask(
        db,
        scene.dsl,
        AdviceIn(
            subject_record_id=None,
            to_practitioner_id=scene.social_worker.practitioner_id,
            case_summary="A pupil with repeated bruising.",
            question="Would the MASH want this now?",
        ),
    )
    answered = advice.answer(db, scene.social_worker, asked.id, AdviceAnswerIn(answer="Yes."))
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
    old = master_keys.current()
    old_key = base64.b64decode(os.environ["JIGSAW_MASTER_KEY"])
    world = World(private_database)
    dsl, record_id = _school_child(private_database, world)
    item = _item(private_database, dsl, record_id)
    before = _raw(private_database, "information_items", item.id, "detail")
    new = LocalMasterKey(b"n" * 32, retired=(old_key,))
    master_keys.configure(new)
    try:
        assert rewrap(private_database, Actor.system()) >= 1
        assert rewrap(private_database, Actor.system()) == 0
    finally:
        master_keys.configure(old)
    with private_database.sessions() as session:
        ids = set(
            session.scalars(select(DataKey.master_key_id).where(DataKey.wrapped.is_not(None)))
        )
        assert ids == {new.key_id}
        session.info[MASTER_KEY_INFO] = LocalMasterKey(b"n" * 32)
        row = session.get(InformationItem, item.id)
        assert row is not None and row.detail == DETAIL
    assert _raw(private_database, "information_items", item.id, "detail") == before


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
