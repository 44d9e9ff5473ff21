"""Decisions not about one child's record with a safeguarding agency: anonymised sharing
and refusals, each written once with its reasons, read only by the deciding agency."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import InvalidInput, NotFound, NotPermitted
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection.keyring import (
    AGENCY,
    AGENCY_RECORD,
    PREFIX,
    Erased,
    Place,
    Subject,
    keyring,
    reveal,
)
from jigsaw.retention import service as retention
from jigsaw.retention.schedule import shipped_schedule
from jigsaw.sharing import standalone
from jigsaw.sharing.models import (
    DecisionOutcome,
    RequesterKind,
    StandaloneDecision,
    StandaloneKind,
)
from jigsaw.sharing.schemas import StandaloneDecisionIn, StandaloneDecisionOut
from tests.conftest import SYSTEM, World
from tests.scene import Scene, build_scene, school_child

FIGURES = "Termly counts: 14 children on child protection plans, 9 in need"
PARTNERSHIP = "Safeguarding partnership data group"
LANDLORD_ASK = "Whether the family at the flat has social workers"
PARENT_REASONS = "The referrer's identity is protected; telling would put them at risk."


def _body(kind: StandaloneKind, **overrides: object) -> StandaloneDecisionIn:
    bodies: dict[StandaloneKind, dict[str, object]] = {
        StandaloneKind.ANONYMISED_SHARE: {
            "recipient_or_requester": PARTNERSHIP,
            "requester_kind": RequesterKind.SAFEGUARDING_AGENCY,
            "information": FIGURES,
            "stated_purpose": "Partnership's termly review of demand",
            "outcome": DecisionOutcome.SHARE,
            "reasons": "Counts only, no group under five, so nobody can be picked out.",
            "identifiability_checked": True,
        },
        StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE: {
            "recipient_or_requester": "Letting agent for the family's flat",
            "requester_kind": RequesterKind.LANDLORD,
            "information": LANDLORD_ASK,
            "stated_purpose": "Deciding whether to renew the tenancy",
            "outcome": DecisionOutcome.DO_NOT_SHARE,
            "reasons": "A landlord has no safeguarding role; no lawful basis to share.",
        },
        StandaloneKind.REFUSED_NO_PURPOSE: {
            "recipient_or_requester": "A caller who said they were from the council",
            "requester_kind": RequesterKind.OTHER,
            "information": "Everything known about the child",
            "outcome": DecisionOutcome.DO_NOT_SHARE,
            "reasons": "No purpose given and the caller could not be verified.",
        },
    }
    return StandaloneDecisionIn.model_validate({"kind": kind, **bodies[kind], **overrides})


def _count(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(StandaloneDecision)) or 0


def _fields(caught: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {p.field for p in caught.value.problems}


def _entry(db: Database, action: AuditAction, object_id: int) -> AuditEntry:
    with db.sessions() as session:
        return session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == action.value, AuditEntry.object_id == str(object_id)
            )
        ).one()


@pytest.mark.parametrize("kind", list(StandaloneKind))
def test_each_kind_is_recorded_with_its_reasons_and_read_back(
    db: Database, scene: Scene, kind: StandaloneKind
) -> None:
    body = _body(kind)
    made = standalone.record_standalone(db, scene.dsl, body)
    assert (made.kind, made.outcome, made.reasons) == (kind, body.outcome, body.reasons)
    assert made.agency_id == scene.school.id
    assert made.decided_by_id == scene.dsl.practitioner_id
    assert made.identifiability_checked is (kind is StandaloneKind.ANONYMISED_SHARE)
    seen = standalone.view_standalone(db, scene.dsl, made.id)
    assert seen == made
    assert made.id in [d.id for d in standalone.agency_standalone(db, scene.dsl)]


def test_the_time_is_the_databases_clock(db: Database, scene: Scene) -> None:
    at = utcnow().replace(microsecond=0) - timedelta(days=3)
    db.clock.hold(at)
    made = standalone.record_standalone(db, scene.dsl, _body(StandaloneKind.REFUSED_NO_PURPOSE))
    assert made.decided_at == at


@pytest.mark.parametrize(
    ("kind", "wrong"),
    [
        (StandaloneKind.ANONYMISED_SHARE, DecisionOutcome.DO_NOT_SHARE),
        (StandaloneKind.ANONYMISED_SHARE, DecisionOutcome.SHARE_IN_PART),
        (StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE, DecisionOutcome.SHARE),
        (StandaloneKind.REFUSED_NO_PURPOSE, DecisionOutcome.SHARE_IN_PART),
    ],
)
def test_each_kind_has_only_its_own_outcome(
    db: Database, scene: Scene, kind: StandaloneKind, wrong: DecisionOutcome
) -> None:
    before = _count(db)
    with pytest.raises(InvalidInput) as caught:
        standalone.record_standalone(db, scene.dsl, _body(kind, outcome=wrong))
    assert _fields(caught) == {"outcome"}
    assert _count(db) == before


def test_the_database_refuses_an_outcome_that_does_not_fit_the_kind(
    db: Database, scene: Scene
) -> None:
    row = {
        "agency_id": scene.school.id,
        "decided_by_id": scene.dsl.practitioner_id,
        "kind": "refused_no_purpose",
        "recipient_or_requester": "x",
        "requester_kind": "other",
        "information": "x",
        "stated_purpose": "",
        "outcome": "share",
        "reasons": "x",
        "identifiability_checked": False,
        "decided_at": utcnow(),
    }
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(StandaloneDecision), row)
    unchecked = {**row, "kind": "anonymised_share"}
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(insert(StandaloneDecision), unchecked)


def test_anonymised_sharing_needs_the_identifiability_check(db: Database, scene: Scene) -> None:
    before = _count(db)
    with pytest.raises(InvalidInput) as caught:
        standalone.record_standalone(
            db,
            scene.dsl,
            _body(StandaloneKind.ANONYMISED_SHARE, identifiability_checked=False),
        )
    assert _fields(caught) == {"identifiability_checked"}
    assert "what the recipient already knows" in caught.value.problems[0].message
    with pytest.raises(InvalidInput) as caught:
        standalone.record_standalone(
            db,
            scene.dsl,
            _body(StandaloneKind.REFUSED_NO_PURPOSE, identifiability_checked=True),
        )
    assert _fields(caught) == {"identifiability_checked"}
    assert _count(db) == before


def test_a_refusal_for_want_of_a_safeguarding_role_cannot_be_to_a_safeguarding_agency(
    db: Database, scene: Scene
) -> None:
    with pytest.raises(InvalidInput) as caught:
        standalone.record_standalone(
            db,
            scene.dsl,
            _body(
                StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE,
                requester_kind=RequesterKind.SAFEGUARDING_AGENCY,
                recipient_agency_id=scene.mash.id,
            ),
        )
    assert _fields(caught) == {"requester_kind", "recipient_agency_id"}


def test_a_request_with_no_purpose_from_an_agency_is_refused_on_record(
    db: Database, scene: Scene
) -> None:
    made = standalone.record_standalone(
        db,
        scene.dsl,
        _body(
            StandaloneKind.REFUSED_NO_PURPOSE,
            requester_kind=RequesterKind.SAFEGUARDING_AGENCY,
            recipient_agency_id=scene.mash.id,
        ),
    )
    assert made.recipient_agency_id == scene.mash.id and made.stated_purpose == ""


def test_a_purpose_is_needed_except_when_refusing_for_want_of_one(
    db: Database, scene: Scene
) -> None:
    for kind in (StandaloneKind.ANONYMISED_SHARE, StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE):
        with pytest.raises(InvalidInput) as caught:
            standalone.record_standalone(db, scene.dsl, _body(kind, stated_purpose="  "))
        assert _fields(caught) == {"stated_purpose"}


def test_bad_input_writes_nothing_and_names_every_field(
    db: Database, world: World, scene: Scene
) -> None:
    other = world.agency(AgencyKind.HEALTH)
    nurse = world.actor(world.practitioner(other, Role.PRACTITIONER))
    theirs = school_child(db, nurse, other.id)
    before = _count(db)
    with db.sessions() as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(InvalidInput) as caught:
        standalone.record_standalone(
            db,
            scene.dsl,
            _body(
                StandaloneKind.ANONYMISED_SHARE,
                subject_record_id=theirs.id,
                identifiability_checked=False,
                outcome=DecisionOutcome.DO_NOT_SHARE,
                recipient_agency_id=2**31 - 1,
            ),
        )
    assert _fields(caught) == {
        "outcome",
        "identifiability_checked",
        "recipient_agency_id",
        "subject_record_id",
    }
    assert _count(db) == before
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def test_another_agency_never_reads_them(db: Database, world: World, scene: Scene) -> None:
    made = standalone.record_standalone(
        db, scene.dsl, _body(StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE)
    )
    for outsider in (scene.social_worker, world.actor(world.practitioner(role=Role.AUDITOR))):
        with pytest.raises(NotFound):
            standalone.view_standalone(db, outsider, made.id)
        assert made.id not in [d.id for d in standalone.agency_standalone(db, outsider)]
    auditor = world.actor(world.practitioner(scene.school, Role.AUDITOR))
    assert standalone.view_standalone(db, auditor, made.id).id == made.id


def test_an_administrator_cannot_record_one(db: Database, world: World, scene: Scene) -> None:
    admin = world.actor(world.practitioner(scene.school, Role.ADMIN))
    before = _count(db)
    with pytest.raises(NotPermitted):
        standalone.record_standalone(db, admin, _body(StandaloneKind.REFUSED_NO_PURPOSE))
    assert _count(db) == before


def test_the_audit_entry_holds_ids_and_codes_only(db: Database, scene: Scene) -> None:
    made = standalone.record_standalone(
        db,
        scene.dsl,
        _body(
            StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE,
            subject_record_id=scene.child_record_id,
        ),
    )
    entry = _entry(db, AuditAction.STANDALONE_DECISION_RECORDED, made.id)
    assert entry.object_type == "standalone_decision"
    assert entry.actor_id == scene.dsl.practitioner_id
    assert entry.refs == {
        "kind": "refused_no_safeguarding_role",
        "outcome": "do_not_share",
        "requester_kind": "landlord",
        "agency_record": scene.child_record_id,
    }
    written = f"{entry.purpose} {entry.refs}".lower()
    for free_text in (LANDLORD_ASK, made.reasons, made.recipient_or_requester, "tenancy"):
        assert free_text.lower() not in written
    standalone.view_standalone(db, scene.dsl, made.id)
    assert _entry(db, AuditAction.STANDALONE_DECISION_VIEWED, made.id).refs == {}


def _stored(db: Database, decision: StandaloneDecisionOut) -> dict[str, str]:
    with db.engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT recipient_or_requester, information, stated_purpose, reasons, seal_id "
                "FROM standalone_decisions WHERE id = :id"
            ),
            {"id": decision.id},
        ).one()
    return dict(row._mapping)


def test_the_free_text_is_sealed_under_the_record_or_else_the_agency(
    db: Database, scene: Scene
) -> None:
    about_child = standalone.record_standalone(
        db,
        scene.dsl,
        _body(
            StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE,
            requester_kind=RequesterKind.PARENT_OR_CARER,
            recipient_or_requester="The child's father",
            information="Who made the referral about his daughter",
            stated_purpose="He wants to confront whoever reported him",
            reasons=PARENT_REASONS,
            subject_record_id=scene.child_record_id,
        ),
    )
    figures = standalone.record_standalone(db, scene.dsl, _body(StandaloneKind.ANONYMISED_SHARE))
    subjects = {
        about_child.id: Subject(AGENCY_RECORD, scene.child_record_id),
        figures.id: Subject(AGENCY, scene.school.id),
    }
    with db.sessions() as session:
        ring = keyring(session)
        for decision in (about_child, figures):
            stored = _stored(db, decision)
            seal_id = stored.pop("seal_id")
            for column, value in stored.items():
                assert value.startswith(PREFIX), column
                assert getattr(decision, column) not in value
                place = Place("standalone_decisions", column, seal_id)
                assert reveal(ring, subjects[decision.id], place, value) == getattr(
                    decision, column
                )
    listed = standalone.standalone_about(db, scene.dsl, scene.child_record_id)
    assert [d.id for d in listed] == [about_child.id]
    assert listed[0].reasons == PARENT_REASONS


def test_the_list_is_newest_first(db: Database, world: World) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    dsl = world.actor(world.practitioner(school, Role.DSL))
    start = utcnow().replace(microsecond=0)
    made = []
    for days, kind in enumerate(StandaloneKind):
        db.clock.hold(start + timedelta(days=days))
        made.append(standalone.record_standalone(db, dsl, _body(kind)).id)
    assert [d.id for d in standalone.agency_standalone(db, dsl)] == made[::-1]


def test_they_are_write_once(db: Database, scene: Scene) -> None:
    standalone.record_standalone(db, scene.dsl, _body(StandaloneKind.REFUSED_NO_PURPOSE))
    for statement in (
        "UPDATE standalone_decisions SET id = id",
        "DELETE FROM standalone_decisions",
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))


def test_another_agencys_record_cannot_be_named(db: Database, world: World, scene: Scene) -> None:
    with pytest.raises(NotFound):
        standalone.standalone_about(db, scene.social_worker, scene.child_record_id)


def test_erasing_the_childs_record_shreds_what_named_it_not_the_agencys_own(
    private_database: Database,
) -> None:
    db = private_database
    scene = build_scene(db, World(db), born=date(2000, 1, 1))
    about_child = standalone.record_standalone(
        db,
        scene.dsl,
        _body(StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE, subject_record_id=scene.child_record_id),
    )
    figures = standalone.record_standalone(db, scene.dsl, _body(StandaloneKind.ANONYMISED_SHARE))
    erased = retention.run(db, SYSTEM, shipped_schedule(), date(2025, 1, 1))
    assert [e.agency_record_id for e in erased] == [scene.child_record_id]
    marker = Erased(utcnow().date()).marker
    shredded = standalone.view_standalone(db, scene.dsl, about_child.id)
    assert (shredded.reasons, shredded.information) == (marker, marker)
    assert shredded.kind is StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE, "the fact of it stays"
    assert standalone.view_standalone(db, scene.dsl, figures.id).reasons == figures.reasons


def test_anonymised_sharing_links_no_childs_record_and_must_not_name_the_child(
    db: Database, scene: Scene
) -> None:
    """Anonymised means no one can be identified, which a link to a child's record
    contradicts; offered one, the information is also checked against it by the same
    check as anonymised advice, so the practitioner sees what to take out."""
    before = _count(db)
    with pytest.raises(InvalidInput) as caught:
        standalone.record_standalone(
            db,
            scene.dsl,
            _body(StandaloneKind.ANONYMISED_SHARE, subject_record_id=scene.child_record_id),
        )
    assert _fields(caught) == {"subject_record_id"}, "figures that name no one: only the link"
    with pytest.raises(InvalidInput) as caught:
        standalone.record_standalone(
            db,
            scene.dsl,
            _body(
                StandaloneKind.ANONYMISED_SHARE,
                subject_record_id=scene.child_record_id,
                information="Lily's bruising, reported by her teacher (BARNES family)",
            ),
        )
    assert _fields(caught) == {"subject_record_id", "information"}
    (named,) = [p for p in caught.value.problems if p.field == "information"]
    assert "Lily" in named.message and "Barnes" in named.message
    assert _count(db) == before
    made = standalone.record_standalone(
        db, scene.dsl, _body(StandaloneKind.ANONYMISED_SHARE, subject_record_id=None)
    )
    assert made.subject_record_id is None
    refusal = standalone.record_standalone(
        db,
        scene.dsl,
        _body(StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE, subject_record_id=scene.child_record_id),
    )
    assert refusal.subject_record_id == scene.child_record_id, "a refusal may still name one"


def test_a_refusal_for_want_of_a_purpose_records_no_purpose(db: Database, scene: Scene) -> None:
    before = _count(db)
    with pytest.raises(InvalidInput, match="leave the purpose blank") as caught:
        standalone.record_standalone(
            db,
            scene.dsl,
            _body(StandaloneKind.REFUSED_NO_PURPOSE, stated_purpose="To check on the family"),
        )
    assert _fields(caught) == {"stated_purpose"}
    assert _count(db) == before
    assert not standalone.requirements(_body(StandaloneKind.REFUSED_NO_PURPOSE))
