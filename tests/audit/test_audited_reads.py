"""Every read of a person is audited, by construction, and nothing escapes the list.

The enumeration walks every module of the package and finds each public function
that acts for someone (its first two parameters are the database and the actor).
Each must be a declared read (``@audited_read``), declared as reading nobody
(``@not_a_person_read``, with a reason), or a writer named below. Every declared read
is then called for real and must leave an entry of its action, by its actor, that
holds ids only.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import jigsaw
from jigsaw.audit import service as audit
from jigsaw.audit.actions import READS, AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.audit.reads import AUDITED_READS, NOT_PERSON_READS, UnauditedRead, audited_read
from jigsaw.consent import service as consent
from jigsaw.consent.models import ConsentStatus, Party, SharingPurpose
from jigsaw.consent.schemas import ConsentIn
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.encompass import service as encompass
from jigsaw.interop import mais, prov
from jigsaw.interop.fhir import service as fhir
from jigsaw.linkage import linked, search
from jigsaw.linkage import service as linking
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.oversight import access_log, register, subject_access
from jigsaw.people import service as people
from jigsaw.people.models import AgencyRecord, PersonRole, RelationshipKind
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import Role
from jigsaw.records import service as records
from jigsaw.records.models import Category
from jigsaw.sharing import advice, decisions, disclosures, export, requests, standalone
from jigsaw.sharing.models import DecisionOutcome, RequesterKind, StandaloneKind
from jigsaw.sharing.schemas import AdviceIn, RequestIn, StandaloneDecisionIn
from jigsaw.singleview import service as singleview
from tests.conftest import World
from tests.linkage.helpers import open_review
from tests.singleview.helpers import Family, build_family, involve, item, record, relate, share


def _acts_for_someone(fn: Callable[..., Any]) -> bool:
    params = list(inspect.signature(fn).parameters.values())[:2]

    def named(annotation: Any) -> str:
        return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")

    return [named(p.annotation) for p in params] == ["Database", "Actor"]


def _service_functions() -> dict[str, Callable[..., Any]]:
    """Every public function in the package that takes (db, actor, ...)."""
    found: dict[str, Callable[..., Any]] = {}
    for module_info in pkgutil.walk_packages(jigsaw.__path__, "jigsaw."):
        if module_info.name.startswith(("jigsaw.migrations", "jigsaw.web.")):
            continue  # Alembic's environment runs only under Alembic; pages are below
        module = importlib.import_module(module_info.name)
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn):
                continue
            if fn.__module__ != module.__name__:
                continue
            if _acts_for_someone(fn):
                found[f"{module.__name__}.{name}"] = fn
    return found


SERVICE_FUNCTIONS = _service_functions()
DECLARED_READS = {k: v for k, v in AUDITED_READS.items() if k.startswith("jigsaw.")}
"""The package's declared reads (this module declares a few of its own below)."""

WRITERS = frozenset(
    {
        "jigsaw.breakglass.service.end",
        "jigsaw.breakglass.service.start",
        "jigsaw.identity.rotation.rewrap",
        "jigsaw.identity.service.issue_password_reset",
        "jigsaw.identity.service.reset_second_factor",
        "jigsaw.identity.service.set_second_factor",
        "jigsaw.identity.tokens.create_token",
        "jigsaw.identity.tokens.revoke_token",
        "jigsaw.imports.service.import_feed",
        "jigsaw.interop.fhir.service.receive_flags",
        "jigsaw.interop.mais.import_request",
        "jigsaw.agencies.service.create_agency",
        "jigsaw.agreements.service.approve",
        "jigsaw.agreements.service.create",
        "jigsaw.agreements.service.end",
        "jigsaw.agreements.service.supersede",
        "jigsaw.agencies.service.change_practitioner",
        "jigsaw.agencies.service.create_practitioner",
        "jigsaw.agencies.service.create_service_account",
        "jigsaw.oversight.refusals.record_refusal",
        "jigsaw.consent.service.record_consent",
        "jigsaw.consent.service.record_service_agreement",
        "jigsaw.consent.service.record_transparency",
        "jigsaw.linkage.search.record_child",
        "jigsaw.linkage.service.confirm_link",
        "jigsaw.linkage.service.link_recorded",
        "jigsaw.linkage.service.reject_link",
        "jigsaw.linkage.service.unmerge",
        "jigsaw.linkage.service.undo_link",
        "jigsaw.notifications.service.mark_read",
        "jigsaw.notifications.service.open_notice",
        "jigsaw.people.service.create_agency_record",
        "jigsaw.people.service.create_involvement",
        "jigsaw.people.service.create_person",
        "jigsaw.people.service.create_relationship",
        "jigsaw.people.service.confirm_agency_record",
        "jigsaw.people.service.record_found_by_search",
        "jigsaw.protection.service.rewrap",
        "jigsaw.records.service.correct_item",
        "jigsaw.records.service.record_item",
        "jigsaw.records.service.retract_item",
        "jigsaw.retention.service.erase",
        "jigsaw.retention.service.run",
        "jigsaw.scheduling.service.run_due",
        "jigsaw.scheduling.service.run_job",
        "jigsaw.sharing.advice.answer",
        "jigsaw.sharing.advice.ask",
        "jigsaw.sharing.decisions.decide",
        "jigsaw.sharing.disclosures.acknowledge",
        "jigsaw.sharing.disclosures.disclose",
        "jigsaw.sharing.disclosures.revoke",
        "jigsaw.sharing.requests.make_request",
        "jigsaw.sharing.requests.rerate",
        "jigsaw.sharing.standalone.record_standalone",
    }
)
"""Functions that change something and audit that change (its entry names what was
returned, which is what was just written). Anything not here, and not declared as a
read or as reading nobody, fails the enumeration."""


def test_every_function_acting_for_someone_is_declared() -> None:
    undeclared = sorted(
        name
        for name in SERVICE_FUNCTIONS
        if name not in DECLARED_READS and name not in NOT_PERSON_READS and name not in WRITERS
    )
    assert undeclared == [], (
        "Declare each with @audited_read, @not_a_person_read(reason), or list it as a writer"
    )
    assert sorted(WRITERS - SERVICE_FUNCTIONS.keys()) == []
    assert sorted(WRITERS & (DECLARED_READS.keys() | NOT_PERSON_READS.keys())) == []
    assert all(reason.strip() for reason in NOT_PERSON_READS.values())


def test_pages_read_only_through_services() -> None:
    """Pages never query the database themselves, so every read they show is a service's."""
    web = Path(jigsaw.__file__).parent / "web"
    touching = sorted(
        str(path.relative_to(web))
        for path in web.rglob("*.py")
        if re.search(
            r"\bsqlalchemy\b(?!\.exc\b)|\.sessions\(|\.reading\(|\.transaction\(|\.independent\(|\bselect\(",
            path.read_text(),
        )
    )
    assert touching == []


def test_declared_reads_are_service_functions_with_read_actions() -> None:
    assert sorted(DECLARED_READS.keys() - SERVICE_FUNCTIONS.keys()) == []
    assert all(read.actions <= READS for read in DECLARED_READS.values())
    assert sorted(NOT_PERSON_READS.keys() - SERVICE_FUNCTIONS.keys()) == []


# A read that forgets its entry cannot return


@audited_read(AuditAction.AGENCY_RECORD_VIEWED)
def _forgets(db: Database, actor: Actor, record_id: int) -> int:
    with db.transaction():
        return record_id


@audited_read(AuditAction.AGENCY_RECORD_VIEWED)
def _never_commits(db: Database, actor: Actor, record_id: int) -> int:
    with db.sessions() as session:
        audit.append(session, actor, AuditAction.AGENCY_RECORD_VIEWED, "agency_record", record_id)
        return record_id


@audited_read(AuditAction.AGENCY_RECORD_VIEWED)
def _audits(db: Database, actor: Actor, record_id: int) -> int:
    with db.transaction() as session:
        audit.append(session, actor, AuditAction.AGENCY_RECORD_VIEWED, "agency_record", record_id)
        return record_id


def test_a_read_without_a_committed_entry_refuses_to_return(db: Database, world: World) -> None:
    actor = world.actor(world.practitioner(role=Role.DSL))
    with pytest.raises(UnauditedRead):
        _forgets(db, actor, 1)
    with pytest.raises(UnauditedRead):
        _never_commits(db, actor, 1)
    assert _audits(db, actor, 1) == 1
    with pytest.raises(ValueError, match="Not read actions"):
        audited_read(AuditAction.ITEM_RECORDED)


# Every declared read, called for real

SURNAME = "Quennell-Aveling"
SECRET_NARRATIVE = "Bruise on upper arm seen at drop-off"
INVOLVEMENT = "Weekly check-in with the designated lead"
REQUEST_QUESTION = "Attendance and injuries this term please"
CONSENT_NOTES = "Mother agreed at the gate"
CASE_SUMMARY = "Year 4 pupil, bruising twice, mother anxious"
PERSONAL: tuple[str, ...] = (SURNAME, "Maisie", "Kerry", SECRET_NARRATIVE, INVOLVEMENT)
PERSONAL += (REQUEST_QUESTION, CONSENT_NOTES, CASE_SUMMARY, "2016-05-01")
WORD = re.compile(r"^[a-z0-9_.,:-]{0,80}$")


@dataclass
class Reads:
    family: Family
    school_record: int
    mother_record: int
    item_id: int
    request_id: int
    decision_id: int
    disclosure_id: int
    dpo: Actor
    advice_id: int
    review_id: int
    reviewer: Actor


@pytest.fixture(scope="module")
def reads(db: Database, world: World) -> Reads:
    family = build_family(db, world, surname=SURNAME)
    school_record = family.records["school"]
    mother = record(db, family.dsl, "Kerry", SURNAME, PersonRole.PARENT_CARER)
    relate(db, family.dsl, mother, school_record, RelationshipKind.PARENT)
    involve(db, family.dsl, school_record, family.dsl.practitioner_id, INVOLVEMENT)
    consent.record_consent(
        db,
        family.dsl,
        ConsentIn(
            subject_record_id=school_record,
            purpose=SharingPurpose.EARLY_HELP,
            status=ConsentStatus.GIVEN,
            asked=Party.PARENT_CARER,
            notes=CONSENT_NOTES,
        ),
    )
    seen = item(db, family.dsl, school_record, SECRET_NARRATIVE)
    request = requests.make_request(
        db,
        family.social_worker,
        RequestIn(
            subject_record_id=family.records["mash"],
            recipient_agency_id=family.school.id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question=REQUEST_QUESTION,
            rag=Rag.AMBER,
        ),
        load_profile("default"),
    )
    disclosure = share(
        db,
        family.dsl,
        school_record,
        [seen],
        to_agency=family.mash.id,
        to_practitioner=family.social_worker.practitioner_id,
    )
    dpo = world.actor(world.practitioner(family.school, Role.DPO))
    asked = advice.ask(
        db,
        family.dsl,
        AdviceIn(
            to_practitioner_id=family.teacher.practitioner_id,
            case_summary=CASE_SUMMARY,
            question="Should I share with the MASH now?",
        ),
    )
    review_id = open_review(db, school_record, mother, 0.7, weight=1.5, evidence={})
    reviewer = world.actor(world.practitioner(family.mash, Role.LINKAGE_REVIEWER))
    return Reads(
        family,
        school_record,
        mother,
        seen.id,
        request.id,
        disclosure.decision_id,
        disclosure.id,
        dpo,
        asked.id,
        review_id,
        reviewer,
    )


Call = Callable[[Database, Reads], tuple[Actor, object]]


def _search_terms() -> search.SearchTerms:
    return search.SearchTerms("Maisie", SURNAME, date(2016, 5, 1))


DSL = attrgetter("family.dsl")
TEACHER = attrgetter("family.teacher")
SOCIAL_WORKER = attrgetter("family.social_worker")
DPO = attrgetter("dpo")
REVIEWER = attrgetter("reviewer")


def _as(who: Callable[[Reads], Actor], read: Callable[[Database, Actor, Reads], object]) -> Call:
    """A read called as the person who may, named once so the entry is looked for under
    the same actor that made the call."""

    def call(db: Database, reads: Reads) -> tuple[Actor, object]:
        actor = who(reads)
        return actor, read(db, actor, reads)

    return call


def _encompass_notice(db: Database, reads: Reads) -> int:
    """An Operation Encompass notice to the school's DSL, from a police incident."""
    incident = item(
        db, reads.family.officer, reads.family.records["police"], "Incident at the home",
        subtype="domestic_abuse_incident",
    )  # fmt: skip
    with db.sessions() as session:
        return session.scalars(
            select(Notification.id).where(
                Notification.kind == NotificationKind.OPERATION_ENCOMPASS,
                Notification.object_id == incident.id,
                Notification.practitioner_id == reads.family.dsl.practitioner_id,
            )
        ).one()


def _local_id(db: Database, actor: Actor, record_id: int) -> str:
    with db.sessions() as session:
        found = session.get(AgencyRecord, record_id)
        assert found is not None
        return found.local_id


def _refusal(db: Database, actor: Actor, reads: Reads) -> int:
    """A parent's request refused, about the school's record of the child."""
    return standalone.record_standalone(
        db,
        actor,
        StandaloneDecisionIn(
            kind=StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE,
            subject_record_id=reads.school_record,
            recipient_or_requester=f"Kerry {SURNAME}",
            requester_kind=RequesterKind.PARENT_OR_CARER,
            information="Who made the referral",
            stated_purpose="To speak to them",
            outcome=DecisionOutcome.DO_NOT_SHARE,
            reasons=SECRET_NARRATIVE,
        ),
    ).id


CALLS: dict[str, Call] = {
    "jigsaw.people.service.view_agency_record": _as(
        DSL, lambda db, a, r: people.view_agency_record(db, a, r.school_record)
    ),
    "jigsaw.people.service.list_agency_records": _as(
        DSL, lambda db, a, r: people.list_agency_records(db, a, search=SURNAME)
    ),
    "jigsaw.people.service.find_by_local_id": _as(
        DSL, lambda db, a, r: people.find_by_local_id(db, a, _local_id(db, a, r.school_record))
    ),
    "jigsaw.people.service.records_to_confirm": _as(
        DSL, lambda db, a, r: people.records_to_confirm(db, a)
    ),
    "jigsaw.people.service.list_relationships": _as(
        DSL, lambda db, a, r: people.list_relationships(db, a, r.school_record)
    ),
    "jigsaw.people.service.list_involvements": _as(
        DSL, lambda db, a, r: people.list_involvements(db, a, r.school_record)
    ),
    "jigsaw.records.service.view_item": _as(
        DSL, lambda db, a, r: records.view_item(db, a, r.item_id)
    ),
    "jigsaw.records.service.item_history": _as(
        DSL, lambda db, a, r: records.item_history(db, a, r.item_id)
    ),
    "jigsaw.records.service.list_items_for_record": _as(
        DSL, lambda db, a, r: records.list_items_for_record(db, a, r.school_record)
    ),
    "jigsaw.consent.service.consent_history": _as(
        DSL, lambda db, a, r: consent.consent_history(db, a, r.school_record)
    ),
    "jigsaw.sharing.requests.view_request": _as(
        SOCIAL_WORKER, lambda db, a, r: requests.view_request(db, a, r.request_id)
    ),
    "jigsaw.sharing.requests.incoming_requests": _as(
        DSL, lambda db, a, r: requests.incoming_requests(db, a)
    ),
    "jigsaw.sharing.requests.outgoing_requests": _as(
        SOCIAL_WORKER, lambda db, a, r: requests.outgoing_requests(db, a)
    ),
    "jigsaw.interop.mais.export_request": _as(
        SOCIAL_WORKER, lambda db, a, r: mais.export_request(db, a, r.request_id, system="urn:t")
    ),
    "jigsaw.interop.prov.export_provenance": _as(
        SOCIAL_WORKER,
        lambda db, a, r: prov.export_provenance(db, a, r.request_id, system="urn:t"),
    ),
    "jigsaw.sharing.decisions.view_decision": _as(
        DSL, lambda db, a, r: decisions.view_decision(db, a, r.decision_id)
    ),
    "jigsaw.sharing.decisions.decisions_for_request": _as(
        SOCIAL_WORKER, lambda db, a, r: decisions.decisions_for_request(db, a, r.request_id)
    ),
    "jigsaw.sharing.disclosures.received": _as(
        SOCIAL_WORKER, lambda db, a, r: disclosures.received(db, a)
    ),
    "jigsaw.sharing.disclosures.view_received": _as(
        SOCIAL_WORKER, lambda db, a, r: disclosures.view_received(db, a, r.disclosure_id)
    ),
    "jigsaw.sharing.disclosures.made_by_agency": _as(
        DSL, lambda db, a, r: disclosures.made_by_agency(db, a)
    ),
    "jigsaw.sharing.disclosures.made_carrying_item": _as(
        DSL, lambda db, a, r: disclosures.made_carrying_item(db, a, r.item_id)
    ),
    "jigsaw.sharing.disclosures.received_about": _as(
        SOCIAL_WORKER, lambda db, a, r: disclosures.received_about(db, a, r.family.records["mash"])
    ),
    "jigsaw.sharing.disclosures.received_summary_about": _as(
        SOCIAL_WORKER,
        lambda db, a, r: disclosures.received_summary_about(db, a, r.family.records["mash"]),
    ),
    "jigsaw.sharing.standalone.view_standalone": _as(
        DSL, lambda db, a, r: standalone.view_standalone(db, a, _refusal(db, a, r))
    ),
    "jigsaw.sharing.standalone.agency_standalone": _as(
        DSL, lambda db, a, r: standalone.agency_standalone(db, a)
    ),
    "jigsaw.sharing.standalone.standalone_about": _as(
        DSL, lambda db, a, r: standalone.standalone_about(db, a, r.school_record)
    ),
    "jigsaw.sharing.decisions.decisions_about": _as(
        DSL, lambda db, a, r: decisions.decisions_about(db, a, r.school_record)
    ),
    "jigsaw.sharing.requests.open_requests_about": _as(
        SOCIAL_WORKER,
        lambda db, a, r: requests.open_requests_about(db, a, r.family.records["mash"]),
    ),
    "jigsaw.sharing.export.export_decisions": _as(
        DSL, lambda db, a, r: export.export_decisions(db, a, r.school_record)
    ),
    "jigsaw.sharing.advice.advice_inbox": _as(DSL, lambda db, a, r: advice.advice_inbox(db, a)),
    "jigsaw.sharing.advice.view_advice": _as(
        TEACHER, lambda db, a, r: advice.view_advice(db, a, r.advice_id)
    ),
    "jigsaw.linkage.service.open_reviews": _as(
        REVIEWER, lambda db, a, r: linking.open_reviews(db, a)
    ),
    "jigsaw.linkage.service.review_queue": _as(
        REVIEWER, lambda db, a, r: linking.review_queue(db, a)
    ),
    "jigsaw.linkage.service.review_pair": _as(
        REVIEWER, lambda db, a, r: linking.review_pair(db, a, r.review_id)
    ),
    "jigsaw.linkage.linked.linked_records": _as(
        REVIEWER, lambda db, a, r: linked.linked_records(db, a, r.family.child)
    ),
    "jigsaw.singleview.service.who_knows": _as(
        DSL, lambda db, a, r: singleview.who_knows(db, a, r.family.child)
    ),
    "jigsaw.singleview.service.chronology": _as(
        DSL, lambda db, a, r: singleview.chronology(db, a, r.family.child)
    ),
    "jigsaw.singleview.service.chronology_pdf": _as(
        DSL, lambda db, a, r: singleview.chronology_pdf(db, a, r.family.child)
    ),
    "jigsaw.singleview.service.pattern_flags": _as(
        DSL, lambda db, a, r: singleview.pattern_flags(db, a, r.family.child)
    ),
    "jigsaw.oversight.access_log.access_log": _as(
        DPO, lambda db, a, r: access_log.access_log(db, a, record_id=r.school_record)
    ),
    "jigsaw.oversight.access_log.alerts": _as(DPO, lambda db, a, r: access_log.alerts(db, a)),
    "jigsaw.oversight.access_log.break_glass_reviews": _as(
        DPO, lambda db, a, r: access_log.break_glass_reviews(db, a)
    ),
    "jigsaw.oversight.register.find_children": _as(
        DPO, lambda db, a, r: register.find_children(db, a, name="a")
    ),
    "jigsaw.oversight.register.build_register": _as(
        DPO, lambda db, a, r: register.build_register(db, a, record_id=r.school_record)
    ),
    "jigsaw.oversight.subject_access.subject_access_export": _as(
        DPO, lambda db, a, r: subject_access.subject_access_export(db, a, r.family.child)
    ),
    "jigsaw.encompass.service.notice": _as(
        DSL, lambda db, a, r: encompass.notice(db, a, _encompass_notice(db, r))
    ),
    "jigsaw.interop.fhir.service.export_bundle": _as(
        DSL, lambda db, a, r: fhir.export_bundle(db, a, r.family.child, fhir.What.PERSON)
    ),
    "jigsaw.linkage.search.search": _as(
        DSL, lambda db, a, r: search.search(db, a, _search_terms())
    ),
}
"""How to call each declared read as the person who may. A new declared read without
a call here fails ``test_every_declared_read_has_a_call``."""


def test_every_declared_read_has_a_call() -> None:
    assert sorted(DECLARED_READS.keys() - CALLS.keys()) == []
    assert sorted(CALLS.keys() - SERVICE_FUNCTIONS.keys()) == []


def _last_seq(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.max(AuditEntry.seq))) or -1


def _entries_since(db: Database, seq: int) -> list[AuditEntry]:
    with db.sessions() as session:
        return list(
            session.scalars(select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq))
        )


def assert_ids_only(entry: AuditEntry) -> None:
    """Refs are ids, lists of ids, counts and short machine words; never a person's details."""
    for key, value in (entry.refs or {}).items():
        values = value if isinstance(value, list) else [value]
        for one in values:
            assert isinstance(one, int) or (isinstance(one, str) and WORD.match(one)), (
                f"{entry.action} ref {key}={one!r} is not an id"
            )
    written = f"{entry.object_id} {entry.purpose} {entry.refs}".lower()
    for detail in PERSONAL:
        assert detail.lower() not in written, f"{entry.action} holds {detail!r}"


def audited_by(db: Database, name: str, reads: Reads) -> list[AuditEntry]:
    """Call a declared read and return the entries it left, checked for ids only."""
    before = _last_seq(db)
    actor, _ = CALLS[name](db, reads)
    entries = _entries_since(db, before)
    declared = AUDITED_READS[name].actions
    mine = [e for e in entries if e.action in declared and e.actor_id == actor.practitioner_id]
    assert mine, f"{name} left no {sorted(declared)} entry"
    for entry in entries:
        assert_ids_only(entry)
    return mine


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_declared_read_appends_its_entry_with_ids_only(
    db: Database, reads: Reads, name: str
) -> None:
    if name not in DECLARED_READS:
        pytest.fail(f"{name} reads a person but is not declared with @audited_read")
    audited_by(db, name, reads)


# The reads that went unaudited, one by one


def test_listing_and_searching_agency_records_is_audited_without_the_search_term(
    db: Database, reads: Reads
) -> None:
    found, total = people.list_agency_records(db, reads.family.dsl, search=SURNAME)
    assert total == 1 and [r.id for r in found] == [reads.school_record]
    (entry,) = audited_by(db, "jigsaw.people.service.list_agency_records", reads)
    assert entry.action == AuditAction.AGENCY_RECORDS_LISTED
    assert entry.refs == {"records": [reads.school_record], "total": 1, "query": "search"}


def test_finding_a_record_by_its_id_logs_that_record_only(db: Database, reads: Reads) -> None:
    (entry,) = audited_by(db, "jigsaw.people.service.find_by_local_id", reads)
    assert (entry.action, entry.object_id) == (
        AuditAction.AGENCY_RECORD_VIEWED,
        str(reads.school_record),
    )
    assert entry.refs == {"query": "local_id"}
    before = _last_seq(db)
    assert people.find_by_local_id(db, reads.family.dsl, "%") is None
    (missed,) = _entries_since(db, before)
    assert missed.action == AuditAction.AGENCY_RECORDS_LISTED
    assert missed.refs == {"records": [], "total": 0, "query": "local_id"}


def test_relationships_are_audited_with_both_records(db: Database, reads: Reads) -> None:
    (entry,) = audited_by(db, "jigsaw.people.service.list_relationships", reads)
    assert (entry.object_type, entry.object_id) == ("agency_record", str(reads.school_record))
    assert entry.refs["records"] == sorted([reads.school_record, reads.mother_record])
    assert len(entry.refs["relationships"]) == 1


def test_involvements_are_audited(db: Database, reads: Reads) -> None:
    (entry,) = audited_by(db, "jigsaw.people.service.list_involvements", reads)
    assert entry.action == AuditAction.INVOLVEMENTS_VIEWED
    assert entry.object_id == str(reads.school_record) and len(entry.refs["involvements"]) == 1


def test_consent_history_is_audited(db: Database, reads: Reads) -> None:
    (entry,) = audited_by(db, "jigsaw.consent.service.consent_history", reads)
    assert entry.action == AuditAction.CONSENT_VIEWED
    assert entry.object_id == str(reads.school_record) and len(entry.refs["consents"]) == 1


def test_outgoing_requests_are_audited(db: Database, reads: Reads) -> None:
    (entry,) = audited_by(db, "jigsaw.sharing.requests.outgoing_requests", reads)
    assert reads.request_id in entry.refs["requests"]
    assert entry.refs["direction"] == "outgoing"


def test_a_disclosures_items_opened_by_the_discloser_are_audited(
    db: Database, reads: Reads
) -> None:
    made = disclosures.made_by_agency(db, reads.family.dsl)
    opened = next(d for d in made if d.id == reads.disclosure_id)
    assert opened.items[0].summary == SECRET_NARRATIVE
    (entry,) = audited_by(db, "jigsaw.sharing.disclosures.made_by_agency", reads)
    assert reads.disclosure_id in entry.refs["disclosures"]
    assert opened.items[0].item_chain_id in entry.refs["items"]


def test_where_one_item_went_is_audited_naming_that_item(db: Database, reads: Reads) -> None:
    (made,) = disclosures.made_carrying_item(db, reads.family.dsl, reads.item_id)
    assert made.id == reads.disclosure_id
    assert [i.item_chain_id for i in made.items] == [reads.item_id]
    (entry,) = audited_by(db, "jigsaw.sharing.disclosures.made_carrying_item", reads)
    assert entry.refs["disclosures"] == [reads.disclosure_id]
    assert entry.refs["items"] == [reads.item_id]


def test_the_access_log_shows_the_new_reads_against_the_record(db: Database, reads: Reads) -> None:
    people.list_involvements(db, reads.family.dsl, reads.school_record)
    consent.consent_history(db, reads.family.dsl, reads.school_record)
    shown = access_log.access_log(db, reads.dpo, record_id=reads.school_record)
    assert {AuditAction.INVOLVEMENTS_VIEWED, AuditAction.CONSENT_VIEWED} <= {
        e.action for e in shown
    }


def test_reading_through_the_api_and_pages_leaves_entries_without_the_search_term(
    db: Database, reads: Reads, world: World, client: TestClient
) -> None:
    """What someone probing the service would do: list, search and open, then look at
    the log. Every answer that showed a person left an entry naming ids only."""
    world.sign_in(client, reads.family.accounts["dsl"])
    before = _last_seq(db)
    record = reads.school_record
    for path, params in [
        ("/api/agency-records", {"search": SURNAME}),
        (f"/api/agency-records/{record}/relationships", {}),
        (f"/api/agency-records/{record}/involvements", {}),
        (f"/api/agency-records/{record}/consent", {}),
        (f"/shared-by-us/{reads.disclosure_id}", {}),
    ]:
        response = client.get(path, params=params)
        assert response.status_code == 200, (path, response.text)
    entries = [e for e in _entries_since(db, before) if e.action in READS]
    assert [e.action for e in entries] == [
        AuditAction.AGENCY_RECORDS_LISTED,
        AuditAction.RELATIONSHIPS_VIEWED,
        AuditAction.INVOLVEMENTS_VIEWED,
        AuditAction.CONSENT_VIEWED,
        AuditAction.DISCLOSURE_VIEWED,
    ]
    assert {e.actor_id for e in entries} == {reads.family.dsl.practitioner_id}
    assert entries[-1].refs["disclosures"] == [reads.disclosure_id]
    for entry in entries:
        assert_ids_only(entry)
