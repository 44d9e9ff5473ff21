"""Disclosures: the minimum necessary, to those who need it, until it expires or is revoked.

A disclosure exists only because a share decision allowed it. It names each item and
exactly which of its fields go; protected identities are withheld unless the
decision gave a reason to reveal them; special category and criminal offence data
need their own conditions on the decision. Whether an item is fact or opinion always
goes with it, whichever fields are chosen (``schemas.carried_fields``). Recipients see
the newest version of each disclosed item, with the same fields, for as long as the
disclosure is active.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from jigsaw.agreements.validity import Evaluation, evaluate
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read, not_a_person_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, FieldProblem, InvalidInput, NotFound
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import notify
from jigsaw.people.links import linked_to
from jigsaw.people.models import AgencyRecord
from jigsaw.people.own import own_record
from jigsaw.policy import authorize as policy
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.records.events import ItemCorrected, ItemRetracted
from jigsaw.records.models import InformationItem, ItemRetraction
from jigsaw.sharing import agreement_checks, grants
from jigsaw.sharing.agreement_checks import AGREEMENTS_ONLY
from jigsaw.sharing.decisions import may_act_on, reconsidered_by
from jigsaw.sharing.involved import told_of
from jigsaw.sharing.models import (
    DisclosedItem,
    Disclosure,
    DisclosureAcknowledgement,
    DisclosureRevocation,
    SharingDecision,
)
from jigsaw.sharing.requirements import SHARING
from jigsaw.sharing.schemas import (
    DISCLOSABLE_FIELDS,
    PROTECTED_FIELDS,
    CorrectionShown,
    DisclosureIn,
    DisclosureOut,
    FieldChange,
    ReceivedItem,
    RevocationIn,
    SubjectDetails,
    carried_fields,
)

WITHHELD = "[withheld to protect someone's identity]"
MAX_DURATION = timedelta(days=366)


def _item_problems(
    session: Session, data: DisclosureIn, decision: SharingDecision
) -> tuple[list[FieldProblem], list[InformationItem]]:
    problems: list[FieldProblem] = []
    items: list[InformationItem] = []
    seen: set[int] = set()
    for n, wanted in enumerate(data.items):
        where = f"items.{n}"
        item = session.get(InformationItem, wanted.item_id)
        if item is None or item.agency_id != decision.agency_id:
            problems.append(FieldProblem(f"{where}.item_id", "Your agency holds no such item"))
            continue
        if item.subject_record_id != decision.subject_record_id:
            problems.append(
                FieldProblem(
                    f"{where}.item_id", "The item is not about the child this decision is about"
                )
            )
        if item.chain_id in seen:
            problems.append(FieldProblem(f"{where}.item_id", "The item is listed twice"))
        seen.add(item.chain_id)
        unknown = sorted(set(wanted.fields) - set(DISCLOSABLE_FIELDS))
        if unknown:
            problems.append(
                FieldProblem(
                    f"{where}.fields",
                    f"Unknown fields {', '.join(unknown)}; "
                    f"choose from {', '.join(DISCLOSABLE_FIELDS)}",
                )
            )
        # Recipients always see the newest version, so its flags are the ones that count:
        # naming an older version must not carry a correction's special category past
        # the conditions the decision gives.
        newest = _latest_versions(session, [item.chain_id]).get(item.chain_id, item)
        if newest.special_category and not decision.art9_condition:
            problems.append(
                FieldProblem(
                    f"{where}.item_id",
                    "This item is special category data (for example health): the decision "
                    "must name a UK GDPR Article 9 condition, such as DPA 2018 Schedule 1 "
                    "paragraph 18, before it can be shared",
                )
            )
        if newest.criminal_offence and not decision.art10_condition:
            problems.append(
                FieldProblem(
                    f"{where}.item_id",
                    "This item is criminal offence data: the decision must name an Article 10 "
                    "condition before it can be shared",
                )
            )
        if wanted.reveal_protected and not decision.reveal_protected_reason.strip():
            problems.append(
                FieldProblem(
                    f"{where}.reveal_protected",
                    "Protected identities stay withheld unless the decision gives a reason "
                    "to reveal them",
                )
            )
        items.append(newest)  # what goes out, and the version the disclosure names
    return problems, items


def disclose(db: Database, actor: Actor, data: DisclosureIn) -> DisclosureOut:
    """Share the items a share decision covers; front-line roles of that agency only."""
    policy.require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)
    with db.transaction() as session:
        decision = session.get(SharingDecision, data.decision_id)
        if decision is None or not may_act_on(actor, decision):
            raise InvalidInput.one("decision_id", "Your agency has no such decision")
        if decision.outcome not in SHARING:
            raise InvalidInput.one(
                "decision_id", "Information can only be disclosed on a decision to share"
            )
        if reconsidered_by(session, decision.id):
            raise InvalidInput.one(
                "decision_id",
                "This decision has been reconsidered; disclose on the latest decision",
            )
        now = utcnow()
        expires_at = datetime.combine(data.expires_on, time(23, 59, 59), tzinfo=UTC)
        problems, items = _item_problems(session, data, decision)
        evaluation = _evaluate(session, decision, items, now)
        if expires_at <= now:
            problems.append(FieldProblem("expires_on", "The expiry date must be in the future"))
        elif expires_at - now > MAX_DURATION:
            problems.append(FieldProblem("expires_on", "A disclosure can last at most a year"))
        else:
            problems.extend(_beyond_delete_after(evaluation, data.expires_on, now))
        problems.extend(
            agreement_checks.problems(
                evaluation,
                data.agreement_override_reason,
                data.agreement_review_confirmed,
                confirming=False,
            )
        )
        if problems:
            raise InvalidInput(*problems)
        if evaluation.delete_after_days is not None:
            # The agreement's duty to delete after so many days is the recipient's access
            # ending then, to the minute: the last allowed day does not run to midnight.
            expires_at = min(expires_at, now + timedelta(days=evaluation.delete_after_days))
        assert actor.practitioner_id is not None
        disclosure = Disclosure(
            decision_id=decision.id,
            disclosing_agency_id=decision.agency_id,
            disclosed_by_id=actor.practitioner_id,
            recipient_agency_id=decision.recipient_agency_id,
            recipient_practitioner_id=decision.recipient_practitioner_id,
            purpose=decision.purpose,
            onward_sharing_allowed=data.onward_sharing_allowed,
            expires_at=expires_at,
            created_at=now,
        )
        agreement_checks.keep(
            disclosure,
            evaluation,
            data.agreement_override_reason,
            data.agreement_review_confirmed,
        )
        session.add(disclosure)
        session.flush()
        for wanted, item in zip(data.items, items, strict=True):
            session.add(
                DisclosedItem(
                    disclosure_id=disclosure.id,
                    item_chain_id=item.chain_id,
                    fields=carried_fields(wanted.fields),
                    reveal_protected=wanted.reveal_protected,
                    version_id=item.id,
                )
            )
        audit.append(
            session,
            actor,
            AuditAction.DISCLOSURE_MADE,
            "disclosure",
            disclosure.id,
            purpose=decision.purpose.value,
            refs={
                "decision": decision.id,
                "agency_record": decision.subject_record_id,
                "recipient_agency": decision.recipient_agency_id,
                "items": sorted(i.chain_id for i in items),
                **agreement_checks.audit_refs(evaluation),
            },
        )
        agreement_checks.alert_if_overridden(
            session,
            actor,
            evaluation,
            "disclosure",
            disclosure.id,
            {
                "decision": decision.id,
                "agency_record": decision.subject_record_id,
                "recipient_agency": decision.recipient_agency_id,
            },
        )
        notify(
            session,
            NotificationKind.DISCLOSURE_RECEIVED,
            f"disclosure-{disclosure.id}",
            "disclosure",
            disclosure.id,
            told_of(session, disclosure),
        )
        session.flush()
        return _out(session, disclosure, with_items=True)


def _evaluate(
    session: Session, decision: SharingDecision, items: list[InformationItem], at: datetime
) -> Evaluation:
    """The disclosing agency provides the kinds of information the items are, for the
    decision's purpose. Every item disclosed is the agency's own record (``_item_problems``),
    so nothing here passes on what another agency shared: never onward sharing."""
    return evaluate(
        session,
        provider_agency_id=decision.agency_id,
        recipient_agency_id=decision.recipient_agency_id,
        purpose=decision.purpose,
        categories=sorted({item.category.value for item in items}),
        at=at,
        onward=False,
    )


def latest_expiry(evaluation: Evaluation, now: datetime) -> date | None:
    """The last day the agreement relied on lets the recipient keep the information."""
    if evaluation.delete_after_days is None:
        return None
    return (now + timedelta(days=evaluation.delete_after_days)).date()


def _beyond_delete_after(
    evaluation: Evaluation, expires_on: date, now: datetime
) -> list[FieldProblem]:
    latest = latest_expiry(evaluation, now)
    if latest is None or expires_on <= latest:
        return []
    named = evaluation.agreement_reference or "The data sharing agreement relied on"
    return [
        FieldProblem(
            "expires_on",
            f"{named} says what is shared must be deleted after "
            f"{evaluation.delete_after_days} days: choose a date no later than "
            f"{latest.day} {latest:%B %Y}",
        )
    ]


@not_a_person_read(AGREEMENTS_ONLY)
def check_disclosure(
    db: Database, actor: Actor, decision_id: int, item_ids: list[int]
) -> Evaluation:
    """What the agreements would say now of disclosing these items on this decision, for
    the pages to show before sharing (and to suggest an expiry the agreement allows).
    Nothing is written: the check is made again, and kept, when the disclosure is made."""
    with db.transaction() as session:
        decision = session.get(SharingDecision, decision_id)
        if decision is None or not may_act_on(actor, decision):
            raise NotFound("sharing decision", decision_id)
        items = [
            item
            for item in (session.get(InformationItem, i) for i in item_ids)
            if item is not None and item.agency_id == decision.agency_id
        ]
        return _evaluate(session, decision, items, utcnow())


def receives_disclosures(actor: Actor) -> bool:
    """Whether disclosures can be active to this actor at all (rules D1 and F1)."""
    return scopes.receives_disclosures(actor)


def active_to(actor: Actor, now: datetime) -> ColumnElement[bool]:
    """SQL: the disclosure is to this actor (or their agency, when no one is named) and active.

    The same meaning as ``policy.cedar`` rule D1 (and F1), for list queries; the
    property test in ``tests/policy/test_policy_agreement.py`` holds the two together.
    """
    if not receives_disclosures(actor):
        return false()
    return _active_to(actor.practitioner_id, actor.agency_id, now)


def _active_to(practitioner: Any, agency: Any, now: Any) -> ColumnElement[bool]:
    revoked = select(DisclosureRevocation.id).where(
        DisclosureRevocation.disclosure_id == Disclosure.id
    )
    return and_(
        or_(
            Disclosure.recipient_practitioner_id == practitioner,
            and_(
                Disclosure.recipient_practitioner_id.is_(None),
                Disclosure.recipient_agency_id == agency,
            ),
        ),
        Disclosure.expires_at > now,
        ~revoked.exists(),
    )


ACTIVE_TO_VIEWER = _active_to(
    bindparam("viewer_practitioner"), bindparam("viewer_agency"), bindparam("viewer_now")
)
"""``active_to`` with the viewer as bound parameters (``active_to_values``), for statements
built once: a chronology asks it on every call. Only for an actor who
``receives_disclosures``."""


def active_to_values(actor: Actor, now: datetime) -> dict[str, Any]:
    return {
        "viewer_practitioner": actor.practitioner_id,
        "viewer_agency": actor.agency_id,
        "viewer_now": now,
    }


@audited_read(AuditAction.DISCLOSURE_VIEWED)
def received(db: Database, actor: Actor) -> list[DisclosureOut]:
    """The actor's inbox: active disclosures to them, each item with only its disclosed fields."""
    now = db.clock.now()
    with db.transaction() as session:
        rows = list(
            session.scalars(
                select(Disclosure)
                .where(active_to(actor, now))
                .order_by(Disclosure.created_at.desc())
            )
        )
        audit.append(
            session,
            actor,
            AuditAction.DISCLOSURE_VIEWED,
            "disclosure",
            None,
            refs={"disclosures": [d.id for d in rows], "direction": "received"},
        )
        return [_out(session, d, with_items=True) for d in rows]


def _received(session: Session, actor: Actor, disclosure_id: int, now: datetime) -> Disclosure:
    """A disclosure the policy lets the actor see now; any other is not found."""
    disclosure = session.get(Disclosure, disclosure_id)
    if disclosure is None or not policy.allowed(
        actor,
        Permission.VIEW_DISCLOSURE,
        grants.disclosure_grant(session, disclosure),
        {"now": now},
    ):
        raise NotFound("disclosure", disclosure_id)
    return disclosure


@audited_read(AuditAction.DISCLOSURE_VIEWED)
def view_received(db: Database, actor: Actor, disclosure_id: int) -> DisclosureOut:
    now = db.clock.now()
    with db.transaction() as session:
        disclosure = _received(session, actor, disclosure_id, now)
        audit.append(session, actor, AuditAction.DISCLOSURE_VIEWED, "disclosure", disclosure.id)
        return _out(session, disclosure, with_items=True)


_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


@audited_read(AuditAction.DISCLOSURE_VIEWED)
def received_about(db: Database, actor: Actor, record_id: int) -> list[DisclosureOut]:
    """Active disclosures to the actor about the child one of their agency's records is of.

    Another agency's disclosure is about that agency's own record of the child, so it is
    found through the person index: both records linked to the same person. Only what
    the actor may see now (rule D1) is listed, each item with only its disclosed fields.
    """
    now = db.clock.now()
    with db.transaction() as session:
        record = own_record(session, actor, record_id)
        rows: list[Disclosure] = []
        if record.person_id is not None:
            rows = list(session.scalars(_about(select(Disclosure), actor, now, record.person_id)))
        _audit_received_about(session, actor, [d.id for d in rows], record.id)
        return [_out(session, d, with_items=True) for d in rows]


def _about(query: _Query, actor: Actor, now: datetime, person_id: int) -> _Query:
    """``query`` (of disclosures) narrowed to those active to the actor now (rule D1) about
    the person, newest first. A disclosure is about its decision's subject record, so
    another agency's disclosure is found through that record's link to the person."""
    return (
        query.join(SharingDecision, SharingDecision.id == Disclosure.decision_id)
        .join(AgencyRecord, AgencyRecord.id == SharingDecision.subject_record_id)
        .where(active_to(actor, now), linked_to([person_id]))
        .order_by(Disclosure.created_at.desc(), Disclosure.id.desc())
    )


def _audit_received_about(session: Session, actor: Actor, ids: list[int], record_id: int) -> None:
    """The one entry a look at what was received about a child writes, whichever view."""
    audit.append(
        session,
        actor,
        AuditAction.DISCLOSURE_VIEWED,
        "disclosure",
        None,
        refs={"disclosures": ids, "direction": "received", "agency_record": record_id},
    )


@dataclass(frozen=True)
class ReceivedSummary:
    """One disclosure received about a child, as the child's page lists it: who shared it,
    when, until when, whether it was acknowledged, how many items it holds and whether
    any of them has been corrected (at any time, as ``ReceivedItem.corrected``) or
    withdrawn. Nothing of what the items say: that is
    the disclosure's own page (``view_received``)."""

    id: int
    disclosing_agency_id: int
    created_at: datetime
    expires_at: datetime
    acknowledged_at: datetime | None
    item_count: int
    corrected: bool
    withdrawn: bool


_CORRECTED = (
    select(InformationItem.id).where(InformationItem.supersedes_id == DisclosedItem.item_chain_id)
).exists()
"""SQL: the disclosed chain has a second version. A correction supersedes the chain's
newest version and the first correction the first version, whose id is the chain's; so
this is ``ReceivedItem.corrected`` (newest version above 1), found on the unique
``supersedes_id`` index without opening any version."""

_WITHDRAWN = (
    select(ItemRetraction.id).where(ItemRetraction.item_id == DisclosedItem.item_chain_id)
).exists()
"""SQL: the disclosed chain was retracted (``ItemRetraction.item_id`` is the chain's id)."""


@audited_read(AuditAction.DISCLOSURE_VIEWED)
def received_summary_about(db: Database, actor: Actor, record_id: int) -> list[ReceivedSummary]:
    """``received_about`` as the child's page shows it: the same disclosures, under the same
    rule (D1), newest first, each summarised without opening a sealed field.

    The full answer loads and opens every version of every item of every disclosure and
    compares corrections field by field, a few queries per disclosure; a page that shows
    only counts and tags needs none of that. Here the record, the disclosures with their
    acknowledgements, and their items' counts and states are three queries, however many
    disclosures there are, then the audit entry, the same as ``received_about`` writes.
    """
    now = db.clock.now()
    with db.transaction() as session:
        record = own_record(session, actor, record_id)
        rows: list[Any] = []
        if record.person_id is not None:
            summaries = select(
                Disclosure.id,
                Disclosure.disclosing_agency_id,
                Disclosure.created_at,
                Disclosure.expires_at,
                DisclosureAcknowledgement.acknowledged_at,
            )
            rows = list(
                session.execute(
                    _about(summaries, actor, now, record.person_id).outerjoin(
                        DisclosureAcknowledgement,
                        DisclosureAcknowledgement.disclosure_id == Disclosure.id,
                    )
                )
            )
        ids = [row[0] for row in rows]
        counts: dict[int, tuple[int, bool, bool]] = {}
        if ids:
            corrected = func.max(case((_CORRECTED, 1), else_=0))
            withdrawn = func.max(case((_WITHDRAWN, 1), else_=0))
            for disclosure_id, count, any_corrected, any_withdrawn in session.execute(
                select(DisclosedItem.disclosure_id, func.count(), corrected, withdrawn)
                .where(DisclosedItem.disclosure_id.in_(ids))
                .group_by(DisclosedItem.disclosure_id)
            ):
                counts[disclosure_id] = (count, bool(any_corrected), bool(any_withdrawn))
        _audit_received_about(session, actor, ids, record.id)
        return [
            ReceivedSummary(
                id_, agency, created, expires, acknowledged, *counts.get(id_, (0, False, False))
            )
            for id_, agency, created, expires, acknowledged in rows
        ]


def acknowledge(db: Database, actor: Actor, disclosure_id: int) -> DisclosureOut:
    now = db.clock.now()
    with db.transaction() as session:
        disclosure = _received(session, actor, disclosure_id, now)
        row = DisclosureAcknowledgement(
            disclosure_id=disclosure.id,
            acknowledged_by_id=actor.practitioner_id,
            acknowledged_at=now,
        )
        already = "Receipt of this disclosure has already been acknowledged"
        _close_once(session, actor, row, AuditAction.DISCLOSURE_ACKNOWLEDGED, already)
        session.flush()
        return _out(session, disclosure, with_items=False)


def revoke(db: Database, actor: Actor, disclosure_id: int, data: RevocationIn) -> DisclosureOut:
    with db.transaction() as session:
        disclosure = session.get(Disclosure, disclosure_id)
        if disclosure is None or not policy.allowed(
            actor, Permission.REVOKE_DISCLOSURE, grants.disclosure_grant(session, disclosure)
        ):
            raise NotFound("disclosure", disclosure_id)
        row = DisclosureRevocation(
            disclosure_id=disclosure.id,
            revoked_by_id=actor.practitioner_id,
            reason=data.reason,
            revoked_at=utcnow(),
        )
        already = "This disclosure has already been revoked"
        _close_once(session, actor, row, AuditAction.DISCLOSURE_REVOKED, already)
        notify(
            session,
            NotificationKind.DISCLOSURE_REVOKED,
            f"revoked-{disclosure.id}",
            "disclosure",
            disclosure.id,
            told_of(session, disclosure),
        )
        session.flush()
        return _out(session, disclosure, with_items=False)


def _close_once(
    session: Session,
    actor: Actor,
    row: DisclosureAcknowledgement | DisclosureRevocation,
    action: AuditAction,
    already: str,
) -> None:
    """Acknowledging and revoking each happen once to a disclosure; a second try is refused
    with ``already`` rather than stacking a row the first one made redundant."""
    model = type(row)
    if session.scalar(select(model.id).where(model.disclosure_id == row.disclosure_id)):
        raise Conflict(already)
    assert actor.practitioner_id is not None
    session.add(row)
    audit.append(session, actor, action, "disclosure", row.disclosure_id)


@audited_read(AuditAction.DISCLOSURE_VIEWED)
def made_by_agency(
    db: Database,
    actor: Actor,
    subject_record_id: int | None = None,
    *,
    disclosure_id: int | None = None,
) -> list[DisclosureOut]:
    """Disclosures the actor's agency has made, with their state; items as disclosed.

    The items are the agency's own records, so this is read under the same rule as
    them: front-line roles only. Opening one disclosure asks for it alone, so the
    audit entry names only what was shown.
    """
    policy.require(actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id)
    with db.transaction() as session:
        query = select(Disclosure).where(
            scopes.of_agency(
                actor, Permission.READ_OWN_AGENCY_RECORDS, Disclosure.disclosing_agency_id
            )
        )
        if subject_record_id is not None:
            query = query.join(SharingDecision, SharingDecision.id == Disclosure.decision_id).where(
                SharingDecision.subject_record_id == subject_record_id
            )
        if disclosure_id is not None:
            query = query.where(Disclosure.id == disclosure_id)
        rows = list(session.scalars(query.order_by(Disclosure.created_at.desc())))
        found = [_out(session, d, with_items=True) for d in rows]
        refs: dict[str, audit.RefValue] = {
            "disclosures": [d.id for d in found],
            "items": sorted({i.item_chain_id for d in found for i in d.items}),
            "direction": "made",
        }
        if subject_record_id is not None:
            refs["agency_record"] = subject_record_id
        audit.append(session, actor, AuditAction.DISCLOSURE_VIEWED, "disclosure", None, refs=refs)
        return found


@audited_read(AuditAction.DISCLOSURE_VIEWED)
def made_carrying_item(db: Database, actor: Actor, item_id: int) -> list[DisclosureOut]:
    """Disclosures the actor's agency made that carried any version of one item, newest
    first, each with that item alone as disclosed.

    The item's page shows where it went; reading every disclosure about the child for
    that would show (and log as seen) items and disclosures nobody looked at, so the
    entry names only these disclosures and this item.
    """
    policy.require(actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id)
    with db.transaction() as session:
        item = session.get(InformationItem, item_id)
        if item is None or not policy.is_permitted(
            actor, Permission.READ_OWN_AGENCY_RECORDS, item.agency_id
        ):
            raise NotFound("information item", item_id)
        chain = item.chain_id
        carried = select(DisclosedItem.disclosure_id).where(DisclosedItem.item_chain_id == chain)
        rows = list(
            session.scalars(
                select(Disclosure)
                .where(
                    scopes.of_agency(
                        actor, Permission.READ_OWN_AGENCY_RECORDS, Disclosure.disclosing_agency_id
                    ),
                    Disclosure.id.in_(carried),
                )
                .order_by(Disclosure.created_at.desc(), Disclosure.id.desc())
            )
        )
        versions = _versions(session, [chain])[chain]
        retracted = (
            session.scalar(select(ItemRetraction.id).where(ItemRetraction.item_id == chain))
            is not None
        )
        found = []
        for disclosure in rows:
            out = _out(session, disclosure, with_items=False)
            out.items = [
                _project(versions, shown, retracted, disclosure.created_at)
                for shown in session.scalars(
                    select(DisclosedItem)
                    .where(
                        DisclosedItem.disclosure_id == disclosure.id,
                        DisclosedItem.item_chain_id == chain,
                    )
                    .order_by(DisclosedItem.id)
                )
            ]
            found.append(out)
        refs: dict[str, audit.RefValue] = {
            "disclosures": [d.id for d in found],
            "items": [chain] if found else [],
            "direction": "made",
            "agency_record": item.subject_record_id,
        }
        audit.append(session, actor, AuditAction.DISCLOSURE_VIEWED, "disclosure", None, refs=refs)
        return found


def notify_item_changed(session: Session, item: InformationItem, *, retracted: bool) -> int:
    """Tell everyone holding an active disclosure of this item that it changed."""
    now = utcnow()
    revoked = select(DisclosureRevocation.id).where(
        DisclosureRevocation.disclosure_id == Disclosure.id
    )
    holders = session.scalars(
        select(Disclosure)
        .join(DisclosedItem, DisclosedItem.disclosure_id == Disclosure.id)
        .where(
            DisclosedItem.item_chain_id == item.chain_id,
            Disclosure.expires_at > now,
            ~revoked.exists(),
        )
    )
    kind = (
        NotificationKind.DISCLOSED_ITEM_RETRACTED
        if retracted
        else NotificationKind.DISCLOSED_ITEM_CORRECTED
    )
    added = 0
    for disclosure in holders:
        added += notify(
            session,
            kind,
            f"item-{item.id}-{'retracted' if retracted else 'corrected'}",
            "disclosure",
            disclosure.id,
            told_of(session, disclosure),
        )
    return added


def _of_chains(chain_ids: list[int]) -> ColumnElement[bool]:
    """SQL: the item is a version of one of these chains.

    ``root_id IN (…)`` alone tempts no planner: almost every ``root_id`` is NULL, so
    SQLite's statistics make its index look useless and it scans every item for that
    half of the ``OR``. Every version of a chain is about the chain's record
    (``records.service.add_version`` refuses a correction that changes
    ``subject_record_id``, and item rows are never updated), so the versions are also
    bounded to those records, which the ``subject_record_id`` index finds at once; the
    answer is the same.
    """
    records = select(InformationItem.subject_record_id).where(InformationItem.id.in_(chain_ids))
    return and_(
        InformationItem.subject_record_id.in_(records.scalar_subquery()),
        or_(InformationItem.id.in_(chain_ids), InformationItem.root_id.in_(chain_ids)),
    )


def _latest_versions(session: Session, chain_ids: list[int]) -> dict[int, InformationItem]:
    later = aliased(InformationItem)
    rows = session.scalars(
        select(InformationItem).where(
            _of_chains(chain_ids),
            ~select(later.id).where(later.supersedes_id == InformationItem.id).exists(),
        )
    )
    return {item.chain_id: item for item in rows}


def _shown(item: InformationItem, field: str, shown: DisclosedItem) -> Any:
    """One field of one version as the recipient may see it: protected identities withheld."""
    if field in PROTECTED_FIELDS and item.protected_identity and not shown.reveal_protected:
        return WITHHELD
    return getattr(item, field)


def _versions(session: Session, chain_ids: list[int]) -> dict[int, list[InformationItem]]:
    """Every version of each chain, oldest first."""
    chains: dict[int, list[InformationItem]] = {c: [] for c in chain_ids}
    rows = session.scalars(
        select(InformationItem)
        .where(_of_chains(chain_ids))
        .order_by(InformationItem.version, InformationItem.id)
    )
    for item in rows:
        chains[item.chain_id].append(item)
    return chains


def _corrections(
    versions: list[InformationItem], shown: DisclosedItem, since: datetime
) -> list[CorrectionShown]:
    """The corrections made since it was shared, each with what changed in the disclosed
    fields only, and why (the reason only where it changed what they hold and they may
    see protected identities).

    Earlier corrections were already part of what the recipient was given. "Since" is
    the version shared (``since`` — when it was shared — only for disclosures made
    before the version was kept). Each field is compared as the recipient may see it, so
    a withheld identity stays withheld on both sides, and a field not disclosed is never
    looked at.
    """
    previous = {v.id: v for v in versions}
    shared = previous.get(shown.version_id or 0)
    found: list[CorrectionShown] = []
    for version in versions:
        before = previous.get(version.supersedes_id or 0)
        if before is None:
            continue
        if shared is not None and version.version <= shared.version:
            continue
        if shared is None and version.recorded_at <= since:
            continue
        changes = [
            FieldChange(field=field, before=old, after=new)
            for field in carried_fields(shown.fields)
            if (old := _shown(before, field, shown)) != (new := _shown(version, field, shown))
        ]
        # The reason is the author's free text and may name whoever a protected identity
        # hides, so it goes only where the recipient may see that identity; and a
        # correction that changed nothing the recipient holds needs no reason at all.
        protected = (before.protected_identity or version.protected_identity) and not (
            shown.reveal_protected
        )
        found.append(
            CorrectionShown(
                version=version.version,
                corrected_at=version.recorded_at,
                reason=(version.correction_reason or None) if changes and not protected else None,
                reason_withheld=bool(changes) and protected,
                changes=changes,
            )
        )
    return found


def _project(
    versions: list[InformationItem], shown: DisclosedItem, retracted: bool, since: datetime
) -> ReceivedItem:
    item = versions[-1]
    fields = carried_fields(shown.fields)
    values = {field: _shown(item, field, shown) for field in fields}
    return ReceivedItem(
        item_chain_id=shown.item_chain_id,
        version=item.version,
        corrected=item.version > 1,
        retracted=retracted,
        fields=fields,
        corrections=_corrections(versions, shown, since),
        **values,
    )


def disclosure_out(session: Session, disclosure: Disclosure) -> DisclosureOut:
    """A disclosure with its state and its items as the recipient sees them now."""
    return _out(session, disclosure, with_items=True)


def _out(session: Session, disclosure: Disclosure, *, with_items: bool) -> DisclosureOut:
    out = DisclosureOut.model_validate(disclosure)
    out.agreement = agreement_checks.checked_out(disclosure)
    decision = session.get_one(SharingDecision, disclosure.decision_id)
    # Who the child is travels with the disclosure: a recipient cannot act on it otherwise.
    out.subject = SubjectDetails.model_validate(
        session.get_one(AgencyRecord, decision.subject_record_id)
    )
    ack = session.scalar(
        select(DisclosureAcknowledgement).where(
            DisclosureAcknowledgement.disclosure_id == disclosure.id
        )
    )
    out.acknowledged_at = ack.acknowledged_at if ack else None
    revocation = session.scalar(
        select(DisclosureRevocation).where(DisclosureRevocation.disclosure_id == disclosure.id)
    )
    if revocation is not None:
        out.revoked_at, out.revocation_reason = revocation.revoked_at, revocation.reason
    if with_items:
        shown = list(
            session.scalars(
                select(DisclosedItem)
                .where(DisclosedItem.disclosure_id == disclosure.id)
                .order_by(DisclosedItem.id)
            )
        )
        chains = [s.item_chain_id for s in shown]
        versions = _versions(session, chains)
        retracted = set(
            session.scalars(
                select(ItemRetraction.item_id).where(ItemRetraction.item_id.in_(chains))
            )
        )
        out.items = [
            _project(
                versions[s.item_chain_id],
                s,
                s.item_chain_id in retracted,
                disclosure.created_at,
            )
            for s in shown
        ]
    return out


def on_item_corrected(session: Session, event: ItemCorrected) -> None:
    """A correction reaches everyone who holds an earlier version (``records`` publishes it)."""
    item = session.get(InformationItem, event.item_id)
    if item is not None:
        notify_item_changed(session, item, retracted=False)


def on_item_retracted(session: Session, event: ItemRetracted) -> None:
    """A retraction reaches everyone who holds any version (``records`` publishes it)."""
    item = session.get(InformationItem, event.item_id)
    if item is not None:
        notify_item_changed(session, item, retracted=True)
