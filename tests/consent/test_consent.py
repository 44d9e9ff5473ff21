"""Transparency, agreement to a service, and consent per purpose are kept apart."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from jigsaw.consent import service as consent
from jigsaw.consent.models import ConsentStatus, Party, SharingPurpose, TellingMethod
from jigsaw.consent.schemas import ConsentIn, ServiceAgreementIn, TransparencyIn
from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from tests.scene import Scene


def test_withdrawal_follows_consent_and_becomes_the_position(db: Database, scene: Scene) -> None:
    def record(status: ConsentStatus) -> None:
        consent.record_consent(
            db,
            scene.dsl,
            ConsentIn(
                subject_record_id=scene.child_record_id,
                purpose=SharingPurpose.EARLY_HELP,
                status=status,
                asked=Party.PARENT_CARER,
            ),
        )

    with pytest.raises(InvalidInput, match="only be withdrawn after"):
        record(ConsentStatus.WITHDRAWN)
    record(ConsentStatus.GIVEN)
    record(ConsentStatus.WITHDRAWN)
    history = consent.consent_history(db, scene.dsl, scene.child_record_id)
    assert [c.status for c in history] == [ConsentStatus.GIVEN, ConsentStatus.WITHDRAWN]
    with db.sessions() as session:
        assert (
            consent.current_consent(session, scene.child_record_id, SharingPurpose.EARLY_HELP)
            is ConsentStatus.WITHDRAWN
        )
        assert (
            consent.current_consent(session, scene.child_record_id, SharingPurpose.HEALTH_CARE)
            is None
        )


def test_asking_the_child_records_their_competence() -> None:
    with pytest.raises(ValidationError, match="competent"):
        ConsentIn(
            subject_record_id=1,
            purpose=SharingPurpose.EARLY_HELP,
            status=ConsentStatus.GIVEN,
            asked=Party.CHILD,
        )
    ok = ConsentIn(
        subject_record_id=1,
        purpose=SharingPurpose.EARLY_HELP,
        status=ConsentStatus.GIVEN,
        asked=Party.CHILD,
        child_competent=True,
        competence_reason="Aged 14, understood who would be told and why",
    )
    assert ok.child_competent


def test_transparency_and_service_agreement_are_recorded_apart(db: Database, scene: Scene) -> None:
    told = consent.record_transparency(
        db,
        scene.dsl,
        TransparencyIn(
            subject_record_id=scene.child_record_id,
            told_on=date(2025, 9, 3),
            method=TellingMethod.IN_PERSON,
            told_to=Party.PARENT_CARER,
            explained="Concerns may be shared with children's social care and the GP.",
        ),
    )
    agreed = consent.record_service_agreement(
        db,
        scene.dsl,
        ServiceAgreementIn(
            subject_record_id=scene.child_record_id,
            service="Early help family support",
            agreed=True,
            agreed_by=Party.PARENT_CARER,
            agreed_on=date(2025, 9, 3),
        ),
    )
    assert told.told_by_id == scene.dsl.practitioner_id
    assert agreed.agreed
    assert consent.consent_history(db, scene.dsl, scene.child_record_id) == []


def test_another_agency_cannot_record_consent_for_a_record_it_does_not_hold(
    db: Database, scene: Scene
) -> None:
    with pytest.raises(InvalidInput) as caught:
        consent.record_consent(
            db,
            scene.social_worker,
            ConsentIn(
                subject_record_id=scene.child_record_id,
                purpose=SharingPurpose.EARLY_HELP,
                status=ConsentStatus.GIVEN,
                asked=Party.PARENT_CARER,
            ),
        )
    assert caught.value.problems[0].field == "subject_record_id"
