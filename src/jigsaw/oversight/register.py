"""The disclosure register: everything shared about a person, and every decision not to.

Built for a subject access request or a family's question "who was told what about
us, and why": each decision with its outcome, reasons, purpose and lawful basis, who
decided, and for each disclosure what went, to whom, until when, and whether it was
revoked.

A subject access response rests on this register, so it says exactly what was shared
and nothing more: each item as the version that went (not the newest, which a
correction may have changed since), with only the fields that went; every other field
reads "Not shared", never its content. The detail and source of an item that protects
someone's identity read "Withheld (protected identity)" even where the recipient was
allowed to see them: the register is read by the family, and the identities of
referrers, victims and third parties are not theirs to be told.

Operation Encompass notices are listed too, as what they are: a disclosure from the
police to a school made under a standing protocol, not a practitioner's decision
(``ENCOMPASS``). Each shows the version of the item the school was told of, with only
its date and the police contact; every other field reads "Not shared".
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.db import Database
from jigsaw.encompass.models import EncompassDisclosure
from jigsaw.errors import NotFound
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.people.models import AgencyRecord, PersonRole
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted, require
from jigsaw.records.models import InformationItem
from jigsaw.schemas import Output
from jigsaw.sharing.models import (
    ConsentPosition,
    DecisionOutcome,
    DecisionWithheldItem,
    DisclosedItem,
    Disclosure,
    DisclosureAcknowledgement,
    DisclosureRevocation,
    SharingDecision,
)
from jigsaw.sharing.schemas import DISCLOSABLE_FIELDS, PROTECTED_FIELDS, carried_fields
from jigsaw.spreadsheet import csv_text

NOT_SHARED = "Not shared"
"""What the register says of a field a disclosure did not carry."""
WITHHELD = "Withheld (protected identity)"
"""What it says of a protected field (detail, source) of an item protecting an identity."""
DECISION = "decision"
"""An entry made from a practitioner's sharing decision (and its disclosures, if any)."""
ENCOMPASS = "operation_encompass"
"""An entry made from an Operation Encompass notice to a school: no one decided it."""
ENCOMPASS_REASONS = (
    "Operation Encompass: the police tell a child's school of a domestic abuse incident "
    "before the next school day, so that a trusted adult can support the child. Sent "
    "to the school's designated safeguarding leads when the incident was recorded, "
    "under the standing protocol; no practitioner decided it."
)
"""The reason every Operation Encompass entry gives: fixed words, naming no one."""


class SharedItem(Output):
    """One disclosed item as it went: the version shared, and each field's value only if
    the disclosure carried it. Values are text so that "Not shared" and "Withheld
    (protected identity)" can stand where the content would be."""

    item_id: int
    """The version that was shared (its own id)."""
    item_chain_id: int
    """The item's first version, which every version of it shares."""
    version: int
    fields: list[str]
    """The fields the disclosure carried, fact or opinion always among them."""
    occurred_on: str
    category: str
    subtype: str
    summary: str
    detail: str
    nature: str
    """Fact or opinion, as the version shared was marked: it always goes with the item."""
    source: str
    verification: str
    identities_revealed: bool = False
    """The decision gave a reason to show the recipient the protected detail and source;
    the register still withholds them."""
    police_contact: str | None = None
    """Operation Encompass only: whom in the police the school was told to contact."""

    def parts(self) -> list[tuple[str, str]]:
        """Each disclosable field and what the register says of it, in a fixed order; an
        Operation Encompass notice's police contact last."""
        found = [(field, getattr(self, field)) for field in DISCLOSABLE_FIELDS]
        if self.police_contact is not None:
            found.append(("police_contact", self.police_contact))
        return found


class RegisterEntry(Output):
    decision_id: int | None
    """None for an Operation Encompass notice, which no one decided."""
    decided_at: datetime
    decided_by: str
    sharing_agency: str
    outcome: str
    purpose: str
    reasons: str
    lawful_basis: str | None
    art9_condition: str | None
    art10_condition: str | None
    consent_position: str
    recipient_agency: str
    recipient_practitioner: str | None
    disclosure_id: int | None = None
    disclosed_at: datetime | None = None
    expires_at: datetime | None = None
    acknowledged_at: datetime | None = None
    revoked_at: datetime | None = None
    items: list[SharedItem] = []
    withheld_item_ids: list[int] = []
    """For a decision not to share: the items it held back (the first version of each)."""
    kind: str = DECISION
    """``DECISION`` or ``ENCOMPASS``."""
    encompass_notice_id: int | None = None
    """For an Operation Encompass notice: its disclosure row (``EncompassDisclosure``)."""
    types_version: str | None = None
    """For an Operation Encompass notice: the version of the types list that matched."""


class Register(Output):
    agency_record_ids: list[int]
    entries: list[RegisterEntry]


def _records_of(session: Session, person_id: int | None, record_id: int | None) -> list[int]:
    if record_id is not None:
        return [record_id] if session.get(AgencyRecord, record_id) else []
    return list(session.scalars(select(AgencyRecord.id).where(AgencyRecord.person_id == person_id)))


@audited_read(AuditAction.REGISTER_VIEWED)
def build_register(
    db: Database, actor: Actor, *, person_id: int | None = None, record_id: int | None = None
) -> Register:
    """The register for a person (all their linked agency records) or one agency record.

    A DPO, Caldicott Guardian or auditor sees their own agency's decisions; the system
    (the command line, run by the data controller) sees every agency's.
    """
    require(actor, Permission.VIEW_REGISTER, actor.agency_id)
    with db.transaction() as session:
        register = register_in(session, actor, person_id=person_id, record_id=record_id)
        audit.append(
            session,
            actor,
            AuditAction.REGISTER_VIEWED,
            "agency_record",
            None,
            refs={
                "records": register.agency_record_ids,
                **({"person": person_id} if person_id else {}),
            },
        )
        return register


def register_in(
    session: Session, actor: Actor, *, person_id: int | None = None, record_id: int | None = None
) -> Register:
    """The register, read in the caller's transaction, which writes the audit entry: a
    page view and a subject access export are audited as what each is."""
    require(actor, Permission.VIEW_REGISTER, actor.agency_id)
    records = _records_of(session, person_id, record_id)
    if not records:
        raise NotFound(
            "person" if person_id is not None else "agency record", person_id or record_id
        )
    query = select(SharingDecision).where(
        SharingDecision.subject_record_id.in_(records),
        scopes.of_agency(actor, Permission.VIEW_REGISTER, SharingDecision.agency_id),
    )
    decisions = list(
        session.scalars(query.order_by(SharingDecision.decided_at, SharingDecision.id))
    )
    entries: list[RegisterEntry] = []
    for decision in decisions:
        entries.extend(_entries(session, decision))
    notices = session.scalars(
        select(EncompassDisclosure)
        .where(
            EncompassDisclosure.subject_record_id.in_(records),
            scopes.of_agency(actor, Permission.VIEW_REGISTER, EncompassDisclosure.police_agency_id),
        )
        .order_by(EncompassDisclosure.notified_at, EncompassDisclosure.id)
    )
    entries.extend(_encompass_entry(session, notice) for notice in notices)
    # Oldest first, all kinds together; a sort that keeps the order of equals leaves each
    # decision's entries (and its disclosures) in the order they were read.
    entries.sort(key=lambda entry: entry.decided_at)
    return Register(agency_record_ids=records, entries=entries)


class ChildFound(Output):
    """A child the reader's agency holds a record of, to open the register for."""

    record_id: int
    given_name: str
    family_name: str
    date_of_birth: date | None
    local_id: str


MAX_FOUND = 50


def may_find_children(actor: Actor) -> bool:
    """Whether ``find_children`` answers this actor (pages offer the search only then)."""
    return is_permitted(actor, Permission.VIEW_REGISTER, actor.agency_id) and is_permitted(
        actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id
    )


@audited_read(AuditAction.AGENCY_RECORDS_LISTED)
def find_children(
    db: Database,
    actor: Actor,
    *,
    name: str = "",
    date_of_birth: date | None = None,
    local_id: str = "",
    limit: int = MAX_FOUND,
) -> list[ChildFound]:
    """The reader's own agency's records of children matching every term given, so a
    subject access request can start from the name a family gives, not a record number.

    Only for someone who may see the register and open their agency's records (a DPO or
    Caldicott Guardian; an auditor reviews by record number). Each word of ``name`` must
    begin the child's first or last name. The audit entry lists the records shown, never
    the terms: a name typed in is personal data the log must not hold.
    """
    require(actor, Permission.VIEW_REGISTER, actor.agency_id)
    require(actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id)
    query = select(AgencyRecord).where(
        scopes.of_agency(actor, Permission.READ_OWN_AGENCY_RECORDS, AgencyRecord.agency_id),
        AgencyRecord.role == PersonRole.CHILD,
    )
    for word in name.lower().split():
        # LIKE's own wildcards are taken out: a name is matched from its start, as typed.
        cleaned = word.replace("\\", "").replace("%", "").replace("_", "")
        if not cleaned:
            continue
        start = cleaned + "%"
        query = query.where(
            or_(
                func.lower(AgencyRecord.given_name).like(start),
                func.lower(AgencyRecord.family_name).like(start),
            )
        )
    if date_of_birth is not None:
        query = query.where(AgencyRecord.date_of_birth == date_of_birth)
    if local_id.strip():
        query = query.where(AgencyRecord.local_id == local_id.strip())
    with db.transaction() as session:
        rows = [
            ChildFound(
                record_id=r.id,
                given_name=r.given_name,
                family_name=r.family_name,
                date_of_birth=r.date_of_birth,
                local_id=r.local_id,
            )
            for r in session.scalars(
                query.order_by(
                    AgencyRecord.family_name, AgencyRecord.given_name, AgencyRecord.id
                ).limit(limit)
            )
        ]
        audit.append(
            session,
            actor,
            AuditAction.AGENCY_RECORDS_LISTED,
            "agency_record",
            None,
            refs={"records": [r.record_id for r in rows], "query": "register_search"},
        )
        return rows


def _name(
    session: Session, model: type[Agency] | type[Practitioner], ident: int | None
) -> str | None:
    if ident is None:
        return None
    row: Agency | Practitioner | None = session.get(model, ident)  # type: ignore[assignment]
    return None if row is None else row.name


def _entries(session: Session, decision: SharingDecision) -> list[RegisterEntry]:
    base = RegisterEntry(
        decision_id=decision.id,
        decided_at=decision.decided_at,
        decided_by=_name(session, Practitioner, decision.decided_by_id) or "",
        sharing_agency=_name(session, Agency, decision.agency_id) or "",
        outcome=decision.outcome.value,
        purpose=decision.purpose.value,
        reasons=decision.reasons,
        lawful_basis=decision.lawful_basis,
        art9_condition=decision.art9_condition,
        art10_condition=decision.art10_condition,
        consent_position=decision.consent_position.value,
        recipient_agency=_name(session, Agency, decision.recipient_agency_id) or "",
        recipient_practitioner=_name(session, Practitioner, decision.recipient_practitioner_id),
        withheld_item_ids=list(
            session.scalars(
                select(DecisionWithheldItem.item_chain_id)
                .where(DecisionWithheldItem.decision_id == decision.id)
                .order_by(DecisionWithheldItem.item_chain_id)
            )
        ),
    )
    disclosures = list(
        session.scalars(
            select(Disclosure).where(Disclosure.decision_id == decision.id).order_by(Disclosure.id)
        )
    )
    if not disclosures:
        return [base]
    return [_with_disclosure(session, base, d) for d in disclosures]


def _encompass_entry(session: Session, notice: EncompassDisclosure) -> RegisterEntry:
    """An Operation Encompass notice as the register shows it: from the police to the
    school, when it was sent, on what basis, and the version of the item the school was
    told of, with its date and the police contact and nothing else."""
    item = session.get_one(InformationItem, notice.item_id)
    police = _name(session, Agency, notice.police_agency_id) or ""
    officer = (
        session.get(Practitioner, notice.police_contact_id)
        if notice.police_contact_id is not None
        else None
    )
    contact = police if officer is None else f"{officer.name}, {police}"
    fields = list(notice.fields)
    shared = SharedItem(
        item_id=item.id,
        item_chain_id=item.chain_id,
        version=item.version,
        fields=fields,
        police_contact=contact if "police_contact" in fields else NOT_SHARED,
        **{
            field: (
                item.occurred_on.isoformat()
                if field == "occurred_on" and field in fields
                else NOT_SHARED
            )
            for field in DISCLOSABLE_FIELDS
        },
    )
    return RegisterEntry(
        kind=ENCOMPASS,
        decision_id=None,
        encompass_notice_id=notice.id,
        decided_at=notice.notified_at,
        decided_by=_name(session, Practitioner, notice.recorded_by_id) or "",
        sharing_agency=police,
        outcome=DecisionOutcome.SHARE.value,
        purpose=notice.purpose.value,
        reasons=ENCOMPASS_REASONS,
        lawful_basis=notice.lawful_basis,
        art9_condition=notice.art9_condition,
        art10_condition=notice.art10_condition,
        consent_position=ConsentPosition.NOT_APPLICABLE.value,
        recipient_agency=_name(session, Agency, notice.school_agency_id) or "",
        recipient_practitioner=None,
        disclosed_at=notice.notified_at,
        items=[shared],
        types_version=notice.types_version,
    )


def _with_disclosure(
    session: Session, base: RegisterEntry, disclosure: Disclosure
) -> RegisterEntry:
    ack = session.scalar(
        select(DisclosureAcknowledgement.acknowledged_at).where(
            DisclosureAcknowledgement.disclosure_id == disclosure.id
        )
    )
    revoked = session.scalar(
        select(DisclosureRevocation.revoked_at).where(
            DisclosureRevocation.disclosure_id == disclosure.id
        )
    )
    items = []
    for shown in session.scalars(
        select(DisclosedItem)
        .where(DisclosedItem.disclosure_id == disclosure.id)
        .order_by(DisclosedItem.id)
    ):
        version = _disclosed_version(session, shown, disclosure.created_at)
        items.append(_as_shared(version, shown, _chain_protected(session, version.chain_id)))
    return base.model_copy(
        update={
            "disclosure_id": disclosure.id,
            "disclosed_at": disclosure.created_at,
            "expires_at": disclosure.expires_at,
            "acknowledged_at": ack,
            "revoked_at": revoked,
            "items": items,
        }
    )


def _chain_protected(session: Session, chain_id: int) -> bool:
    """Whether any version of the item, the shared one or any since, protects someone's
    identity. A correction that marks it protected says the detail or source could
    identify someone; that is as true of the version shared before the marking, so the
    register (and every subject access export made from it) withholds them from every
    version, not only from those recorded after."""
    return bool(
        session.scalar(
            select(InformationItem.id)
            .where(
                (InformationItem.id == chain_id) | (InformationItem.root_id == chain_id),
                InformationItem.protected_identity.is_(True),
            )
            .limit(1)
        )
    )


def _as_shared(item: InformationItem, shown: DisclosedItem, protected: bool) -> SharedItem:
    """The version shared, as the register shows it; ``protected`` when any version of
    the item protects an identity (``_chain_protected``)."""
    fields = carried_fields(shown.fields)
    protected = protected or item.protected_identity

    def said(field: str) -> str:
        if field not in fields:
            return NOT_SHARED
        if field in PROTECTED_FIELDS and protected:
            return WITHHELD
        value = getattr(item, field)
        return value.isoformat() if isinstance(value, date) else str(value)

    return SharedItem(
        item_id=item.id,
        item_chain_id=item.chain_id,
        version=item.version,
        fields=fields,
        identities_revealed=protected and shown.reveal_protected,
        **{field: said(field) for field in DISCLOSABLE_FIELDS},
    )


def _disclosed_version(
    session: Session, shown: DisclosedItem, disclosed_at: datetime
) -> InformationItem:
    """The version that went: the one the disclosure names, or on rows from before it
    named one, the version current when it was made."""
    if shown.version_id is not None:
        named = session.get(InformationItem, shown.version_id)
        if named is not None:
            return named
    return _version_at(session, shown.item_chain_id, disclosed_at)


def _version_at(session: Session, chain_id: int, moment: datetime) -> InformationItem:
    """The version of an item that was current at a moment."""
    return session.scalars(
        select(InformationItem)
        .where(
            (InformationItem.id == chain_id) | (InformationItem.root_id == chain_id),
            InformationItem.recorded_at <= moment,
        )
        .order_by(InformationItem.version.desc())
        .limit(1)
    ).one()


CSV_COLUMNS = (
    "decision_id",
    "decided_at",
    "decided_by",
    "sharing_agency",
    "outcome",
    "purpose",
    "lawful_basis",
    "art9_condition",
    "art10_condition",
    "consent_position",
    "recipient_agency",
    "recipient_practitioner",
    "disclosure_id",
    "disclosed_at",
    "expires_at",
    "acknowledged_at",
    "revoked_at",
    "items",
    "withheld_item_ids",
    "reasons",
)


def register_csv(register: Register) -> str:
    """One row per decision or disclosure; the items shared in one column, each as the
    version that went with every field named and what the register says of it, and the
    items a decision not to share held back in another.

    Reasons and summaries are free text, so the cells go through ``csv_text``,
    which keeps a spreadsheet from running any of them as a formula.
    """
    return csv_text(CSV_COLUMNS, csv_rows(register))


def csv_rows(register: Register) -> list[list[object]]:
    """The register's rows under ``CSV_COLUMNS``, for a document that adds rows of its own."""
    rows = []
    for entry in register.entries:
        data = entry.model_dump(mode="json")
        if entry.kind == ENCOMPASS:
            # No decision to name: the column says what the entry is, as a subject access
            # export marks its standalone decisions.
            data["decision_id"] = f"Operation Encompass notice {entry.encompass_notice_id}"
        data["items"] = " | ".join(described(item) for item in entry.items)
        data["withheld_item_ids"] = " ".join(str(i) for i in entry.withheld_item_ids)
        rows.append([data[c] for c in CSV_COLUMNS])
    return rows


FIELD_NAMES = {
    "occurred_on": "date",
    "category": "category",
    "subtype": "type",
    "summary": "summary",
    "detail": "detail",
    "nature": "fact or opinion",
    "source": "source",
    "verification": "checked or not",
    "police_contact": "police contact",
}


def described(item: SharedItem) -> str:
    """One shared item in words: which version, then every field and what went of it."""
    parts = "; ".join(f"{FIELD_NAMES[field]}: {value}" for field, value in item.parts())
    return f"item {item.item_chain_id} version {item.version}: {parts}"
