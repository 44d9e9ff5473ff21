"""Requests for information: RAG due times, re-rating with a rationale, the overdue list,
and a refusal's reasons visible to the requester."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.errors import InvalidInput, NotFound
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.records.models import Category
from jigsaw.sharing import decisions, requests
from jigsaw.sharing.models import DecisionOutcome
from jigsaw.sharing.schemas import RequestIn, RerateIn
from tests.conftest import unique
from tests.scene import Scene

PROFILE = load_profile("default")


def _request(db: Database, scene: Scene, rag: Rag = Rag.AMBER) -> int:
    mash_record = people.create_agency_record(
        db,
        scene.social_worker,
        AgencyRecordIn(
            agency_id=scene.mash.id,
            local_id=unique("M"),
            role=PersonRole.CHILD,
            given_name="Lily",
            family_name="Barnes",
            date_of_birth=date(2017, 6, 1),
        ),
    )
    made = requests.make_request(
        db,
        scene.social_worker,
        RequestIn(
            subject_record_id=mash_record.id,
            recipient_agency_id=scene.school.id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE, Category.PARENT_CAPACITY],
            question="Attendance and any injuries this term?",
            rag=rag,
        ),
        PROFILE,
    )
    return made.id


def test_red_is_due_within_four_hours_around_the_clock(db: Database, scene: Scene) -> None:
    made = requests.view_request(db, scene.social_worker, _request(db, scene, Rag.RED))
    assert made.rating.due_at - made.created_at == timedelta(hours=4)
    assert made.subject.family_name == "Barnes"


def test_rerating_needs_a_rationale_and_keeps_the_history(db: Database, scene: Scene) -> None:
    request_id = _request(db, scene)
    with pytest.raises(ValidationError, match="rationale"):
        RerateIn.model_validate({"rag": "red", "rationale": "  "})
    with pytest.raises(InvalidInput, match="already rated"):
        requests.rerate(
            db, scene.social_worker, request_id, RerateIn(rag=Rag.AMBER, rationale="x"), PROFILE
        )
    rerated = requests.rerate(
        db,
        scene.dsl,
        request_id,
        RerateIn(rag=Rag.RED, rationale="Child disclosed at school"),
        PROFILE,
    )
    assert [r.rag for r in rerated.rating_history] == [Rag.AMBER, Rag.RED]
    assert rerated.rating.rationale == "Child disclosed at school"
    assert rerated.rating.due_at < rerated.rating_history[0].due_at


def test_overdue_list_shows_unanswered_requests_past_due(db: Database, scene: Scene) -> None:
    request_id = _request(db, scene, Rag.RED)
    assert request_id not in {
        r.id for r in requests.incoming_requests(db, scene.dsl, overdue_only=True)
    }
    later = requests.view_request(db, scene.dsl, request_id).rating.due_at + timedelta(minutes=1)
    db.clock.hold(later)
    try:
        overdue = requests.incoming_requests(db, scene.dsl, overdue_only=True)
    finally:
        db.clock.hold(None)
    assert request_id in {r.id for r in overdue}


def test_a_refusal_is_visible_to_the_requester_with_its_reasons(db: Database, scene: Scene) -> None:
    request_id = _request(db, scene)
    refused = scene.share(
        db,
        request_id=request_id,
        recipient_practitioner_id=None,
        outcome=DecisionOutcome.DO_NOT_SHARE,
        departure_reason="Nothing held beyond what the MASH has.",
        reasons="We hold only attendance, already sent last week.",
    )
    seen = decisions.decisions_for_request(db, scene.social_worker, request_id)
    assert [(d.id, d.outcome, d.reasons) for d in seen] == [
        (
            refused.id,
            DecisionOutcome.DO_NOT_SHARE,
            "We hold only attendance, already sent last week.",
        )
    ]
    answered = requests.view_request(db, scene.social_worker, request_id)
    assert answered.status == "answered" and not answered.overdue
    with pytest.raises(NotFound):
        decisions.view_decision(db, scene.social_worker, refused.id)
