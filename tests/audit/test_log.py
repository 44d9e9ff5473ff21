"""The audit log as a Merkle tree: appends, checkpoints, proofs and tamper detection."""

from __future__ import annotations

import base64
import threading
from datetime import date

import pytest
from sqlalchemy import Connection, func, select, text

from jigsaw.agencies import service as agencies
from jigsaw.agencies.schemas import AgencyIn, PractitionerIn
from jigsaw.audit import service as audit
from jigsaw.audit.canonical import entry_leaf_hash
from jigsaw.audit.merkle import root_of, verify_consistency, verify_inclusion
from jigsaw.audit.models import AuditEntry
from jigsaw.audit.signing import Signer, open_note
from jigsaw.audit.verify import ProblemKind
from jigsaw.db import Database
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature
from jigsaw.records.schemas import ItemIn

SIGNER = Signer.from_seed("jigsaw.invalid/audit", bytes(range(32)))
OTHER = Signer.from_seed("jigsaw.invalid/audit", bytes(32))
GUARDED = ("audit_entries", "audit_nodes", "audit_checkpoints")


def populate(db: Database, children: int = 5) -> Actor:
    """Some real activity: an agency, a practitioner, records, items and reads."""
    system = Actor.system()
    agency = agencies.create_agency(
        db, system, AgencyIn(name="Oak Primary", kind=AgencyKind.SCHOOL)
    )
    person = agencies.create_practitioner(
        db,
        system,
        PractitionerIn(agency_id=agency.id, name="Jo Bell", email="jo@example.org", role=Role.DSL),
    )
    actor = Actor(person.id, agency.id, person.role, mfa_verified=True)
    for n in range(children):
        record = people.create_agency_record(
            db,
            actor,
            AgencyRecordIn(
                agency_id=agency.id,
                local_id=f"C{n}",
                role=PersonRole.CHILD,
                given_name="Child",
                family_name=f"Number{n}",
            ),
        )
        records.record_item(
            db,
            actor,
            ItemIn(
                subject_record_id=record.id,
                category=Category.CHILD_WELFARE,
                subtype="attendance",
                occurred_on=date(2025, 1, 1),
                summary="Late",
                nature=Nature.FACT,
                source="Register",
            ),
        )
        people.view_agency_record(db, actor, record.id)
    return actor


def entries(db: Database) -> list[AuditEntry]:
    with db.sessions() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def without_guards(db: Database, statement: str, **params: object) -> None:
    """Play an owner who lifts the database guards to edit the log directly."""
    with db.engine.begin() as conn:
        _lift_guards(conn)
        conn.execute(text(statement), params)
        _restore_guards(conn)


def _lift_guards(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for table in GUARDED:
            for verb in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{verb}"))
    else:
        for table in GUARDED:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


def _restore_guards(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        for table in GUARDED:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def test_entries_are_sequenced_and_the_tree_matches_them(private_database: Database) -> None:
    populate(private_database)
    log = entries(private_database)
    assert [e.seq for e in log] == list(range(len(log)))
    checkpoint = audit.make_checkpoint(private_database, SIGNER)
    opened = open_note(checkpoint.note, SIGNER.verifier)
    assert opened.size == len(log)
    assert opened.root == root_of([entry_leaf_hash(e) for e in log])
    report = audit.verify(private_database, SIGNER.verifier)
    assert report.ok, report.problems
    assert report.checkpoints_checked == 1


def test_inclusion_and_consistency_proofs_verify(private_database: Database) -> None:
    populate(private_database)
    first = audit.make_checkpoint(private_database, SIGNER)
    populate_more(private_database)
    size = len(entries(private_database))
    for seq in (0, 1, first.tree_size - 1, size - 1):
        proof = audit.prove_inclusion(private_database, seq)
        verify_inclusion(
            seq,
            size,
            base64.b64decode(proof.leaf_hash),
            [base64.b64decode(p) for p in proof.proof],
            base64.b64decode(proof.root_hash),
        )
    consistency = audit.prove_consistency(private_database, first.tree_size)
    verify_consistency(
        first.tree_size,
        size,
        open_note(first.note, SIGNER.verifier).root,
        base64.b64decode(consistency.new_root),
        [base64.b64decode(p) for p in consistency.proof],
    )


def populate_more(db: Database) -> None:
    agencies.create_agency(db, Actor.system(), AgencyIn(name="Elm GP", kind=AgencyKind.HEALTH))


def _tampered(db: Database) -> set[ProblemKind]:
    report = audit.verify(db, SIGNER.verifier)
    assert not report.ok
    return report.kinds()


@pytest.fixture
def signed_log(private_database: Database) -> Database:
    populate(private_database)
    audit.make_checkpoint(private_database, SIGNER)
    return private_database


def test_altered_field_is_named(signed_log: Database) -> None:
    without_guards(signed_log, "UPDATE audit_entries SET actor_id = 999 WHERE seq = 4")
    report = audit.verify(signed_log, SIGNER.verifier)
    assert [(p.kind, p.seq) for p in report.problems if p.seq is not None] == [
        (ProblemKind.ALTERED, 4)
    ]
    assert ProblemKind.INCONSISTENT in report.kinds()


def test_deleted_entry_is_named(signed_log: Database) -> None:
    without_guards(signed_log, "DELETE FROM audit_entries WHERE seq = 3")
    report = audit.verify(signed_log, SIGNER.verifier)
    assert (ProblemKind.DELETED, 3) in {(p.kind, p.seq) for p in report.problems}


def test_inserted_entry_is_named(signed_log: Database) -> None:
    size = len(entries(signed_log))
    without_guards(
        signed_log,
        "INSERT INTO audit_entries (seq, occurred_at, action, object_type, refs) "
        "VALUES (:seq, :at, 'item.viewed', 'information_item', '{}')",
        seq=size,
        at="2026-01-01 00:00:00+00:00",
    )
    assert ProblemKind.INSERTED in _tampered(signed_log)


def test_reordered_entries_are_named(signed_log: Database) -> None:
    without_guards(signed_log, "UPDATE audit_entries SET seq = -1 WHERE seq = 2")
    without_guards(signed_log, "UPDATE audit_entries SET seq = 2 WHERE seq = 5")
    without_guards(signed_log, "UPDATE audit_entries SET seq = 5 WHERE seq = -1")
    report = audit.verify(signed_log, SIGNER.verifier)
    assert any(p.kind is ProblemKind.REORDERED and "2 and 5" in p.message for p in report.problems)
    assert ProblemKind.ALTERED not in report.kinds()


def test_truncation_is_named(signed_log: Database) -> None:
    size = len(entries(signed_log))
    without_guards(signed_log, "DELETE FROM audit_entries WHERE seq >= :cut", cut=size - 3)
    without_guards(
        signed_log, "DELETE FROM audit_nodes WHERE level = 0 AND idx >= :cut", cut=size - 3
    )
    without_guards(signed_log, "UPDATE audit_head SET size = :cut", cut=size - 3)
    assert ProblemKind.TRUNCATED in _tampered(signed_log)


def test_replaced_tail_resigned_with_another_key_is_caught(signed_log: Database) -> None:
    """An owner rewrites the last entry, rebuilds the tree and signs with their own key."""
    from jigsaw.audit.log import encode_frontier, extend

    log = entries(signed_log)
    last = log[-1].seq
    without_guards(signed_log, "UPDATE audit_entries SET object_id = '1' WHERE seq = :s", s=last)
    leaves = [entry_leaf_hash(e) for e in entries(signed_log)]
    _, frontier, nodes = extend(0, [], leaves)
    without_guards(signed_log, "DELETE FROM audit_nodes")
    without_guards(signed_log, "DELETE FROM audit_checkpoints")
    with signed_log.engine.begin() as conn:
        _lift_guards(conn)
        conn.execute(
            text("INSERT INTO audit_nodes (level, idx, hash) VALUES (:level, :idx, :hash)"), nodes
        )
        _restore_guards(conn)
    without_guards(
        signed_log, "UPDATE audit_head SET frontier = :f", f=_json(encode_frontier(frontier))
    )
    audit.make_checkpoint(signed_log, OTHER)
    report = audit.verify(signed_log, SIGNER.verifier)
    assert ProblemKind.BAD_SIGNATURE in report.kinds()


def _json(value: object) -> str:
    import json

    return json.dumps(value)


def test_external_checkpoint_detects_a_rewritten_history(signed_log: Database) -> None:
    held_elsewhere = audit.latest_checkpoint(signed_log)
    assert held_elsewhere is not None
    without_guards(signed_log, "UPDATE audit_entries SET action = 'item.recorded' WHERE seq = 0")
    without_guards(signed_log, "DELETE FROM audit_checkpoints")
    report = audit.verify(signed_log, SIGNER.verifier, [("held elsewhere", held_elsewhere.note)])
    assert ProblemKind.INCONSISTENT in report.kinds()
    assert (ProblemKind.ALTERED, 0) in {(p.kind, p.seq) for p in report.problems}


def test_guards_refuse_direct_changes(signed_log: Database) -> None:
    with pytest.raises(Exception, match="append-only"), signed_log.engine.begin() as conn:
        conn.execute(text("UPDATE audit_nodes SET idx = idx"))


def test_concurrent_writers_produce_a_gapless_verifiable_log(private_database: Database) -> None:
    actor = populate(private_database, children=1)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(15):
                people.create_agency_record(
                    private_database,
                    actor,
                    AgencyRecordIn(
                        agency_id=actor.agency_id or 0,
                        local_id=f"W{worker}-{n}",
                        role=PersonRole.CHILD,
                        given_name="Con",
                        family_name="Current",
                    ),
                )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    log = entries(private_database)
    assert [e.seq for e in log] == list(range(len(log)))
    with private_database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == len(log)
    audit.make_checkpoint(private_database, SIGNER)
    report = audit.verify(private_database, SIGNER.verifier)
    assert report.ok, report.problems
