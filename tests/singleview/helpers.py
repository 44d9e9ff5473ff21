"""A multi-agency family for single view tests, built through the services.

Records are joined to one person the way linkage would leave them: the person is
made with ``people.service.create_person`` and each agency record's ``person_id``
is set (status confirmed) by ``link``, standing in for the linkage service. A record a
practitioner made gives standing across agencies only once a second person of the
agency confirms it, so ``link`` also has each record confirmed the way an agency would:
by a designated safeguarding lead of that agency, through the service.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import event, select, update

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.identity.models import Agency
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.people import service as people
from jigsaw.people.models import (
    AgencyRecord,
    AgencyRecordConfirmation,
    LinkStatus,
    PersonRole,
    RelationshipKind,
)
from jigsaw.people.schemas import AgencyRecordIn, InvolvementIn, RelationshipIn
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature
from jigsaw.records.schemas import CorrectionIn, ItemIn, ItemOut
from jigsaw.sharing import decisions, disclosures
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason
from jigsaw.sharing.schemas import DecisionIn, DisclosedItemIn, DisclosureIn, DisclosureOut
from tests.agreed import agree
from tests.conftest import SYSTEM, World, unique
from tests.scene import HARM_ANSWERS


def link(
    db: Database,
    person_id: int,
    *record_ids: int,
    status: LinkStatus = LinkStatus.CONFIRMED,
    confirmed: bool = True,
) -> None:
    """Join agency records to a person, as a confirmed linkage would, and (unless
    ``confirmed`` is False) have each agency's safeguarding lead confirm its record."""
    with db.transaction() as session:
        session.execute(
            update(AgencyRecord)
            .where(AgencyRecord.id.in_(record_ids))
            .values(person_id=person_id, link_status=status, match_probability=1.0)
        )
    if confirmed:
        confirm(db, *record_ids)


_CONFIRMERS: weakref.WeakKeyDictionary[Database, dict[int, Actor]] = weakref.WeakKeyDictionary()
"""A safeguarding lead per agency, made once per database object, who confirms records.

Keyed by the database object, not its URL: a private database dropped and made again
under the same name holds none of the leads made in the last one."""


def confirmer(db: Database, agency_id: int) -> Actor:
    """A DSL of the agency who made none of its records, as a second person must be."""
    known = _CONFIRMERS.setdefault(db, {})
    if agency_id not in known:
        with db.sessions() as session:
            agency = AgencyOut.model_validate(session.get(Agency, agency_id))
        account = World(db).practitioner(agency, Role.DSL, second_factor=False)
        known[agency_id] = World.actor(account)
    return known[agency_id]


def confirm(db: Database, *record_ids: int) -> None:
    """Confirm practitioners' records as their agency's DSL would; the service's own
    records and those already confirmed need nothing."""
    with db.sessions() as session:
        waiting = session.execute(
            select(AgencyRecord.id, AgencyRecord.agency_id).where(
                AgencyRecord.id.in_(record_ids),
                AgencyRecord.recorded_by_id.is_not(None),
                ~select(AgencyRecordConfirmation.id)
                .where(AgencyRecordConfirmation.agency_record_id == AgencyRecord.id)
                .exists(),
            )
        ).all()
    for record_id, agency_id in waiting:
        people.confirm_agency_record(db, confirmer(db, agency_id), record_id)


def new_person(db: Database) -> int:
    return people.create_person(db, SYSTEM, None).id


def record(
    db: Database, actor: Actor, given: str, family: str, role: PersonRole = PersonRole.CHILD
) -> int:
    assert actor.agency_id is not None
    return people.create_agency_record(
        db,
        actor,
        AgencyRecordIn(
            agency_id=actor.agency_id,
            local_id=unique("L").replace(" ", "-"),
            role=role,
            given_name=given,
            family_name=family,
            date_of_birth=date(2016, 5, 1) if role is PersonRole.CHILD else date(1990, 1, 1),
        ),
    ).id


def item(
    db: Database,
    actor: Actor,
    record_id: int,
    summary: str,
    *,
    subtype: str = "injury",
    occurred_on: date = date(2026, 3, 2),
    category: Category = Category.CHILD_WELFARE,
    nature: Nature = Nature.FACT,
    **more: object,
) -> ItemOut:
    body: dict[str, object] = {
        "subject_record_id": record_id,
        "category": category,
        "subtype": subtype,
        "occurred_on": occurred_on,
        "summary": summary,
        "detail": f"Detail of: {summary}",
        "nature": nature,
        "source": "Seen by the author",
        **more,
    }
    return records.record_item(db, actor, ItemIn.model_validate(body))


def correct(db: Database, actor: Actor, original: ItemOut, summary: str, reason: str) -> ItemOut:
    """A new version of an item with a new summary, the rest as it was."""
    return records.correct_item(
        db,
        actor,
        original.id,
        CorrectionIn(
            subject_record_id=original.subject_record_id,
            category=original.category,
            subtype=original.subtype,
            occurred_on=original.occurred_on,
            summary=summary,
            nature=original.nature,
            source=original.source,
            reason=reason,
        ),
    )


def involve(
    db: Database,
    actor: Actor,
    record_id: int,
    practitioner_id: int | None,
    what: str,
    **more: object,
) -> None:
    people.create_involvement(
        db,
        actor,
        InvolvementIn.model_validate(
            {
                "agency_record_id": record_id,
                "practitioner_id": practitioner_id,
                "description": what,
                "contact_phone": "01632 960001",
                "contact_email": "",
                "started_on": date(2025, 9, 1),
                **more,
            }
        ),
    )


def relate(db: Database, actor: Actor, source: int, target: int, kind: RelationshipKind) -> None:
    people.create_relationship(
        db, actor, RelationshipIn(from_record_id=source, to_record_id=target, kind=kind)
    )


def share(
    db: Database,
    discloser: Actor,
    subject_record_id: int,
    items: list[ItemOut],
    *,
    to_agency: int,
    to_practitioner: int | None = None,
    fields: list[str] | None = None,
    reveal_protected: bool = False,
    expires_in: timedelta = timedelta(days=30),
) -> DisclosureOut:
    """Decide to share and disclose, as a DSL would after the guided questions."""
    decision = decisions.decide(
        db,
        discloser,
        DecisionIn(
            subject_record_id=subject_record_id,
            recipient_agency_id=to_agency,
            recipient_practitioner_id=to_practitioner,
            purpose=SharingPurpose.CHILD_PROTECTION_ENQUIRY,
            answers=dict(HARM_ANSWERS),
            outcome=DecisionOutcome.SHARE,
            reasons="The MASH is screening a referral about this child.",
            lawful_basis="6(1)(e)",
            consent_position=ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK,
            family_informed=False,
            not_told_reason=NotToldReason.RISK_TO_CHILD,
            not_told_review_on=date(2099, 1, 1),
            reveal_protected_reason="Needed to contact the witness." if reveal_protected else "",
        ),
    )
    return disclosures.disclose(
        db,
        discloser,
        DisclosureIn(
            decision_id=decision.id,
            items=[
                DisclosedItemIn(
                    item_id=i.id,
                    fields=fields or ["occurred_on", "category", "subtype", "summary", "nature"],
                    reveal_protected=reveal_protected,
                )
                for i in items
            ],
            expires_on=date.today() + expires_in,
        ),
    )


@dataclass
class Family:
    """A child known to a school, the police, a GP and the MASH, linked as one person.

    The MASH also holds the mother and her partner, related to the child; the GP holds
    the mother too. Nothing is shared until a test shares it.
    """

    child: int
    mother: int
    school: AgencyOut
    police: AgencyOut
    health: AgencyOut
    mash: AgencyOut
    dsl: Actor
    teacher: Actor
    officer: Actor
    gp: Actor
    social_worker: Actor
    mash_colleague: Actor
    records: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, PractitionerOut] = field(default_factory=dict)
    """Each actor's account, for signing in through the pages."""


def build_family(db: Database, world: World, surname: str = "Ashworth") -> Family:
    school = world.agency(AgencyKind.SCHOOL)
    police = world.agency(AgencyKind.POLICE)
    health = world.agency(AgencyKind.HEALTH)
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    # The four share routinely under one agreement (``tests.agreed``), so the sharing
    # here is checked and PERMITTED, as in a partnership that has signed one.
    partners = [school.id, police.id, health.id, mash.id]
    agree(db, partners, partners)
    accounts = {
        "dsl": world.practitioner(school, Role.DSL),
        "teacher": world.practitioner(school, Role.PRACTITIONER),
        "officer": world.practitioner(police, Role.PRACTITIONER),
        "gp": world.practitioner(health, Role.PRACTITIONER),
        "social_worker": world.practitioner(mash, Role.MASH),
        "mash_colleague": world.practitioner(mash, Role.PRACTITIONER),
    }
    dsl, teacher, officer, gp, social_worker, mash_colleague = (
        world.actor(a) for a in accounts.values()
    )
    child, mother = new_person(db), new_person(db)
    family = Family(
        child, mother, school, police, health, mash,
        dsl, teacher, officer, gp, social_worker, mash_colleague,
    )  # fmt: skip
    family.accounts.update(accounts)
    rec = family.records
    rec["school"] = record(db, dsl, "Maisie", surname)
    rec["police"] = record(db, officer, "Maisy", surname)
    rec["health"] = record(db, gp, "Maisie", surname)
    rec["mash"] = record(db, social_worker, "Maisie", surname)
    rec["mash_mother"] = record(db, social_worker, "Kerry", surname, PersonRole.PARENT_CARER)
    rec["health_mother"] = record(db, gp, "Kerry", surname, PersonRole.PARENT_CARER)
    rec["mash_partner"] = record(db, social_worker, "Dean", "Rourke", PersonRole.RISK_PERSON)
    link(db, child, rec["school"], rec["police"], rec["health"], rec["mash"])
    link(db, mother, rec["mash_mother"], rec["health_mother"])
    relate(db, social_worker, rec["mash_mother"], rec["mash"], RelationshipKind.PARENT)
    relate(db, social_worker, rec["mash_mother"], rec["mash_partner"], RelationshipKind.PARTNER)
    return family


def household_concerns(
    db: Database, family: Family, *, drinking_special_category: bool = False
) -> tuple[ItemOut, ItemOut, ItemOut]:
    """Domestic abuse (police, about the child), parental mental ill-health (GP, about the
    mother) and substance misuse (the MASH's own item about the mother): the three that
    together raise the household flag, once the MASH may see the first two."""
    rec = family.records
    incident = item(
        db, family.officer, rec["police"], "Domestic abuse incident, child present",
        subtype="domestic_abuse_incident", occurred_on=date(2026, 2, 1),
    )  # fmt: skip
    mood = item(
        db, family.gp, rec["health_mother"], "Treated for depression",
        subtype="parental_mental_health", category=Category.PARENT_CAPACITY,
        occurred_on=date(2026, 1, 5),
    )  # fmt: skip
    drink = item(
        db, family.social_worker, rec["mash_mother"], "Drinking heavily",
        subtype="substance_misuse", category=Category.PARENT_CAPACITY,
        occurred_on=date(2026, 3, 1), special_category=drinking_special_category,
    )  # fmt: skip
    return incident, mood, drink


def statements(db: Database, read: Callable[[], object]) -> int:
    """How many SQL statements ``read`` sends: a page's cost in round trips, which must
    not grow with how much is known."""
    sent: list[str] = []

    def count(*_args: object) -> None:
        sent.append("statement")

    # Reads run in a transaction, which SQLite gives an engine of its own.
    engines = {db.engine, db.write_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        read()
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)
    return len(sent)


def school_from_its_pupil_database(db: Database, world: World, family: Family) -> AgencyOut:
    """Another school holding the family's child, its record imported from the school's
    pupil database (so it needs no confirmation), with no staff and no data sharing
    agreement with the police."""
    academy = world.agency(AgencyKind.SCHOOL)
    imported = people.create_agency_record(
        db,
        SYSTEM,
        AgencyRecordIn(
            agency_id=academy.id,
            local_id=unique("MIS").replace(" ", "-"),
            role=PersonRole.CHILD,
            given_name="Maisie",
            family_name="Ashworth",
            date_of_birth=date(2016, 5, 1),
        ),
    )
    link(db, family.child, imported.id)
    return academy
