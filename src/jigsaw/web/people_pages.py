"""Recording the people around a child, who works with them, consent, and what the
family was told: each one question page and a check answers page (``web.recording``),
written by the people and consent services, then back to the child's page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from fastapi import APIRouter
from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from jigsaw import clock
from jigsaw.consent import service as consent
from jigsaw.consent.models import ConsentStatus, Party, SharingPurpose, TellingMethod
from jigsaw.consent.schemas import ConsentIn, TransparencyIn
from jigsaw.db import Database
from jigsaw.people import service as people
from jigsaw.people.models import RelationshipKind
from jigsaw.people.schemas import AgencyRecordOut, InvolvementIn, RelationshipIn
from jigsaw.policy.actor import Actor
from jigsaw.web import labels, recording
from jigsaw.web.forms import DateInput, Errors, PageForm, Says
from jigsaw.web.recording import Recording

router = APIRouter(include_in_schema=False)

Rows = list[tuple[str, str]]


def _not_future(value: date | None) -> date | None:
    if value is not None and value > clock.today():
        raise ValueError("The date must be today or in the past")
    return value


def _child_page(record: AgencyRecordOut) -> str:
    return f"/children/{record.id}"


def _nothing(db: Database, actor: Actor, record: AgencyRecordOut) -> dict[str, Any]:
    return {}


# A relationship


RELATED_AS = {
    RelationshipKind.PARENT: "Their parent",
    RelationshipKind.CARER: "Their carer",
    RelationshipKind.SIBLING: "Their brother or sister",
    RelationshipKind.HOUSEHOLD_MEMBER: "Lives in the same household",
    RelationshipKind.PARTNER: "Their partner",
    RelationshipKind.ASSOCIATE: "Someone they know",
}


class Related(PageForm):
    local_id: Annotated[
        str,
        Says(
            "Enter the person's ID in your agency's records",
            too_long="Enter 64 characters or fewer",
        ),
        Field(max_length=64),
    ]
    kind: Annotated[RelationshipKind, Says("Select how they are related")]


def _held(db: Database, actor: Actor, local_id: str) -> AgencyRecordOut | None:
    """The one record with this ID, looked up exactly: each page of the journey asks
    once, and the log names only the person found."""
    return people.find_by_local_id(db, actor, local_id)


def _relationship_check(db: Database, actor: Actor, answers: Any) -> Errors:
    if _held(db, actor, answers.local_id) is None:
        return {"local_id": "Your agency holds nobody with this ID. Check it, or record them first"}
    return {}


def _relationship_options(db: Database, actor: Actor, record: AgencyRecordOut) -> dict[str, Any]:
    return {"kinds": [(k.value, RELATED_AS[k]) for k in RelationshipKind]}


def _relationship_rows(db: Database, actor: Actor, answers: Any, options: dict[str, Any]) -> Rows:
    other = _held(db, actor, answers.local_id)
    who = f"{other.given_name} {other.family_name} ({answers.local_id})" if other else ""
    return [("Who", who), ("How they are related", RELATED_AS[answers.kind])]


def _add_relationship(db: Database, actor: Actor, record: AgencyRecordOut, answers: Any) -> str:
    other = _held(db, actor, answers.local_id)
    people.create_relationship(
        db,
        actor,
        RelationshipIn(
            from_record_id=other.id if other else 0,
            to_record_id=record.id,
            kind=answers.kind,
        ),
    )
    return _child_page(record)


RELATIONSHIP = Recording(
    kind="relationships",
    title="Add someone linked to the child",
    template="records/relationship_new.html",
    form=Related,
    options=_relationship_options,
    check=_relationship_check,
    rows=_relationship_rows,
    save=_add_relationship,
    confirm="Add them",
    done="Relationship added",
    messages={"from_record_id": "Your agency holds nobody with this ID", "to_record_id": ""},
)


# Who works with the child


class Involved(PageForm):
    description: Annotated[
        str,
        Says("Say what they do with the child", too_long="Use 200 characters or fewer"),
        Field(max_length=200),
    ]
    is_me: Annotated[Literal["yes", "no"], Says("Select yes if it is you")]
    contact_phone: Annotated[
        str, Says("", too_long="Use 40 characters or fewer"), Field(max_length=40)
    ] = ""
    contact_email: Annotated[
        str, Says("", too_long="Use 320 characters or fewer"), Field(max_length=320)
    ] = ""
    started_on: Annotated[
        date,
        Says("Enter the date they started"),
        DateInput("the date they started"),
        AfterValidator(_not_future),
    ]
    ended_on: Annotated[date | None, DateInput("the date they stopped")] = None

    @field_validator("ended_on")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        started = info.data.get("started_on")
        if value is not None and started is not None and value < started:
            raise ValueError("The date they stopped must be on or after the date they started")
        return value


def _involvement_rows(db: Database, actor: Actor, answers: Any, options: dict[str, Any]) -> Rows:
    when = labels.long_date(answers.started_on) + (
        f" to {labels.long_date(answers.ended_on)}" if answers.ended_on else " to now"
    )
    return [
        ("What they do", answers.description),
        ("Is it you", "Yes" if answers.is_me == "yes" else "No"),
        ("Phone", answers.contact_phone),
        ("Email", answers.contact_email),
        ("When", when),
    ]


def _add_involvement(db: Database, actor: Actor, record: AgencyRecordOut, answers: Any) -> str:
    people.create_involvement(
        db,
        actor,
        InvolvementIn(
            agency_record_id=record.id,
            practitioner_id=actor.practitioner_id if answers.is_me == "yes" else None,
            description=answers.description,
            contact_phone=answers.contact_phone,
            contact_email=answers.contact_email,
            started_on=answers.started_on,
            ended_on=answers.ended_on,
        ),
    )
    return _child_page(record)


INVOLVEMENT = Recording(
    kind="involvements",
    title="Add who works with the child",
    template="records/involvement_new.html",
    form=Involved,
    options=_nothing,
    rows=_involvement_rows,
    save=_add_involvement,
    confirm="Add it",
    done="Added to who works with the child",
    anchors={"started_on": "#started_on-day", "ended_on": "#ended_on-day"},
)


# Consent


class Consented(PageForm):
    free_text: ClassVar[frozenset[str]] = frozenset({"competence_reason", "notes"})

    purpose: Annotated[SharingPurpose, Says("Select what consent was asked for")]
    asked: Annotated[Party, Says("Select who was asked")]
    status: Annotated[ConsentStatus, Says("Select what they said")]
    child_competent: Literal["yes", "no", ""] = Field(default="", validate_default=True)
    competence_reason: Annotated[
        str,
        Says("", too_long="Use 2000 characters or fewer"),
        Field(max_length=2000, validate_default=True),
    ] = ""
    notes: Annotated[
        str, Says("", too_long="Use 2000 characters or fewer"), Field(max_length=2000)
    ] = ""

    @field_validator("child_competent")
    @classmethod
    def _competence_asked(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("asked") in (Party.CHILD, Party.CHILD_AND_PARENT_CARER) and not value:
            raise ValueError("Select whether the child could decide for themselves")
        return value

    @field_validator("competence_reason")
    @classmethod
    def _competence_explained(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("asked") in (Party.CHILD, Party.CHILD_AND_PARENT_CARER) and not value:
            raise ValueError("Say how you judged whether the child could decide")
        return value


def _consent_options(db: Database, actor: Actor, record: AgencyRecordOut) -> dict[str, Any]:
    return {
        "purposes": [(p.value, labels.PURPOSES[p]) for p in SharingPurpose],
        "parties": [(p.value, labels.PARTIES[p]) for p in Party],
        "statuses": [(s.value, labels.CONSENT_STATUSES[s]) for s in ConsentStatus],
    }


def _consent_rows(db: Database, actor: Actor, answers: Any, options: dict[str, Any]) -> Rows:
    rows = [
        ("What it was for", labels.PURPOSES[answers.purpose]),
        ("Who was asked", labels.PARTIES[answers.asked]),
        ("What they said", labels.CONSENT_STATUSES[answers.status]),
    ]
    if answers.child_competent:
        rows.append(("Could the child decide", "Yes" if answers.child_competent == "yes" else "No"))
        rows.append(("How you judged it", answers.competence_reason))
    rows.append(("Notes", answers.notes))
    return rows


def _add_consent(db: Database, actor: Actor, record: AgencyRecordOut, answers: Any) -> str:
    consent.record_consent(
        db,
        actor,
        ConsentIn(
            subject_record_id=record.id,
            purpose=answers.purpose,
            status=answers.status,
            asked=answers.asked,
            child_competent=None
            if not answers.child_competent
            else answers.child_competent == "yes",
            competence_reason=answers.competence_reason,
            notes=answers.notes,
        ),
    )
    return _child_page(record)


CONSENT = Recording(
    kind="consent",
    title="Record consent",
    template="records/consent_new.html",
    form=Consented,
    options=_consent_options,
    rows=_consent_rows,
    save=_add_consent,
    confirm="Record consent",
    done="Consent recorded",
)


# What the family was told


class Told(PageForm):
    free_text: ClassVar[frozenset[str]] = frozenset({"explained"})

    told_on: Annotated[
        date,
        Says("Enter the date they were told"),
        DateInput("the date they were told"),
        AfterValidator(_not_future),
    ]
    method: Annotated[TellingMethod, Says("Select how they were told")]
    told_to: Annotated[Party, Says("Select who was told")]
    explained: Annotated[
        str,
        Says("Say what you told them", too_long="Use 5000 characters or fewer"),
        Field(max_length=5000),
    ]


def _told_options(db: Database, actor: Actor, record: AgencyRecordOut) -> dict[str, Any]:
    return {
        "methods": [(m.value, labels.TELLING_METHODS[m]) for m in TellingMethod],
        "parties": [(p.value, labels.PARTIES[p]) for p in Party],
    }


def _told_rows(db: Database, actor: Actor, answers: Any, options: dict[str, Any]) -> Rows:
    return [
        ("When", labels.long_date(answers.told_on)),
        ("How", labels.TELLING_METHODS[answers.method]),
        ("Who was told", labels.PARTIES[answers.told_to]),
        ("What they were told", answers.explained),
    ]


def _add_told(db: Database, actor: Actor, record: AgencyRecordOut, answers: Any) -> str:
    consent.record_transparency(
        db,
        actor,
        TransparencyIn(
            subject_record_id=record.id,
            told_on=answers.told_on,
            method=answers.method,
            told_to=answers.told_to,
            explained=answers.explained,
        ),
    )
    return _child_page(record)


TRANSPARENCY = Recording(
    kind="transparency",
    title="Record what the family was told",
    template="records/transparency_new.html",
    form=Told,
    options=_told_options,
    rows=_told_rows,
    save=_add_told,
    confirm="Record it",
    done="What the family was told has been recorded",
    anchors={"told_on": "#told_on-day"},
)


for _recording in (RELATIONSHIP, INVOLVEMENT, CONSENT, TRANSPARENCY):
    recording.install(router, _recording)
