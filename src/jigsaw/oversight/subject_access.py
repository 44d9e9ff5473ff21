"""A subject access export: the disclosure register for one person, as a CSV and a PDF.

A person (or a family on a child's behalf) asking what was shared about them is owed
every disclosure and every decision not to share, across the agency records linked to
them: when, by which agency, to whom, for what purpose, on which lawful basis, and which
versions of which items with which of their fields. The export is built from the same
register the DPO's pages show (``register.register_in``), so it can say no more than
the register does: fields not shared read "Not shared", and the detail and source of
an item that protects someone's identity read "Withheld (protected identity)". A
decision recorded outside any one child's sharing decision (``StandaloneDecision``)
that names one of the person's records is listed too, without whoever asked or received
it, who is a third party.

The export is for the DPO to review before anything is released, and it leaves out
the free text a practitioner wrote about a decision, which can name other people (a
referrer, a neighbour, a relative): the reasons for every decision, and the information
asked for or shared and the purpose given for a standalone one read ``FREE_TEXT_WITHHELD``.
The DPO reads them in the register, redacts what names anyone else, and adds what
may be released. The items shared are kept: they are what went, and the subject is owed
them, with a protected detail or source withheld as above.

The whole export is read in one transaction and audited as one entry, with ids and
counts only: the log outlives the personal data it refers to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.oversight.register import (
    CSV_COLUMNS,
    ENCOMPASS,
    WITHHELD,
    Register,
    RegisterEntry,
    csv_rows,
    described,
    register_in,
)
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, require
from jigsaw.schemas import Output
from jigsaw.sharing.models import StandaloneDecision
from jigsaw.singleview.export import MarkedDocument, latin1
from jigsaw.spreadsheet import csv_text

MARKING = "OFFICIAL-SENSITIVE: personal information, released under a subject access request."
FREE_TEXT_WITHHELD = "Withheld: free text may name other people; review before release"


class StandaloneEntry(Output):
    """A decision not about one child's sharing decision that names the person's record:
    a request refused, or anonymised information shared."""

    decision_id: int
    decided_at: datetime
    decided_by: str
    deciding_agency: str
    kind: str
    outcome: str
    requester_kind: str
    recipient_agency: str | None
    recipient_or_requester: str
    """Always withheld: whoever asked or received it is a third party."""
    stated_purpose: str
    """Withheld where one was given, like the other free text (``FREE_TEXT_WITHHELD``)."""
    information: str
    reasons: str


@dataclass(frozen=True)
class SubjectAccessExport:
    """What one export holds: the register and the two documents made from it."""

    person_id: int
    register: Register
    standalone: list[StandaloneEntry]
    csv: str
    pdf: bytes


@audited_read(AuditAction.SUBJECT_ACCESS_EXPORTED)
def subject_access_export(db: Database, actor: Actor, person_id: int) -> SubjectAccessExport:
    """The register for one person across their linked records, as far as the actor may
    see it (the system, acting for the authority, sees every agency's decisions; a DPO
    their own agency's), with the CSV and PDF made from it."""
    require(actor, Permission.VIEW_REGISTER, actor.agency_id)
    with db.transaction() as session:
        register = _without_free_text(register_in(session, actor, person_id=person_id))
        standalone = _standalone(session, actor, register.agency_record_ids)
        prepared_at = utcnow()
        entries = register.entries
        audit.append(
            session,
            actor,
            AuditAction.SUBJECT_ACCESS_EXPORTED,
            "person",
            person_id,
            refs={
                "records": register.agency_record_ids,
                "decisions": len({e.decision_id for e in entries if e.decision_id is not None}),
                "encompass_notices": sum(1 for e in entries if e.kind == ENCOMPASS),
                "disclosures": sum(1 for e in entries if e.disclosure_id is not None),
                "items": sum(len(e.items) for e in entries),
                "standalone_decisions": len(standalone),
            },
        )
        return SubjectAccessExport(
            person_id=person_id,
            register=register,
            standalone=standalone,
            csv=subject_access_csv(register, standalone),
            pdf=subject_access_pdf(person_id, register, standalone, prepared_at),
        )


def _without_free_text(register: Register) -> Register:
    """The register with each decision's reasons withheld (``FREE_TEXT_WITHHELD``). An
    Operation Encompass notice's reason is the register's own fixed words, kept."""
    entries = [
        e if e.kind == ENCOMPASS else e.model_copy(update={"reasons": FREE_TEXT_WITHHELD})
        for e in register.entries
    ]
    return register.model_copy(update={"entries": entries})


def _standalone(session: Session, actor: Actor, records: list[int]) -> list[StandaloneEntry]:
    query = (
        select(StandaloneDecision)
        .where(
            StandaloneDecision.subject_record_id.in_(records),
            scopes.of_agency(actor, Permission.VIEW_REGISTER, StandaloneDecision.agency_id),
        )
        .order_by(StandaloneDecision.decided_at, StandaloneDecision.id)
    )

    def agency(ident: int | None) -> str | None:
        row = None if ident is None else session.get(Agency, ident)
        return None if row is None else row.name

    def practitioner(ident: int) -> str:
        row = session.get(Practitioner, ident)
        return "" if row is None else row.name

    return [
        StandaloneEntry(
            decision_id=d.id,
            decided_at=d.decided_at,
            decided_by=practitioner(d.decided_by_id),
            deciding_agency=agency(d.agency_id) or "",
            kind=d.kind.value,
            outcome=d.outcome.value,
            requester_kind=d.requester_kind.value,
            recipient_agency=agency(d.recipient_agency_id),
            recipient_or_requester=WITHHELD,
            stated_purpose=FREE_TEXT_WITHHELD if d.stated_purpose else "",
            information=FREE_TEXT_WITHHELD,
            reasons=FREE_TEXT_WITHHELD,
        )
        for d in session.scalars(query)
    ]


def subject_access_csv(register: Register, standalone: Iterable[StandaloneEntry]) -> str:
    """The register's own CSV (every cell safe to open in a spreadsheet), then a row for
    each standalone decision under the same columns, its id marked as standalone."""
    rows: list[list[object]] = [
        [
            f"standalone {s.decision_id}",
            s.decided_at.isoformat(),
            s.decided_by,
            s.deciding_agency,
            s.outcome,
            s.stated_purpose,
            "",
            "",
            "",
            "",
            s.recipient_agency or _words(s.requester_kind),
            s.recipient_or_requester,
            "",
            "",
            "",
            "",
            "",
            s.information,
            "",
            s.reasons,
        ]
        for s in standalone
    ]
    return csv_text(CSV_COLUMNS, csv_rows(register) + rows)


def _words(value: str | None) -> str:
    if not value:
        return "-"
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def _when(value: datetime | None) -> str:
    return f"{value:%d %B %Y at %H:%M} UTC" if value else "-"


class _Export(MarkedDocument):
    marking = MARKING


def _para(pdf: FPDF, text: str, *, size: float = 9, bold: bool = False, gap: float = 0) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
    if gap:
        pdf.ln(gap)


def _encompass(pdf: FPDF, entry: RegisterEntry) -> None:
    """An Operation Encompass notice: from the police to a school, under the protocol."""
    _para(
        pdf,
        f"Operation Encompass notice {entry.encompass_notice_id}, {_when(entry.disclosed_at)}",
        size=11,
        bold=True,
    )
    _para(pdf, f"From {entry.sharing_agency} to {entry.recipient_agency}.")
    _basis(pdf, entry)
    _para(pdf, entry.reasons)
    for item in entry.items:
        _para(pdf, "- " + described(item))
    pdf.ln(4)


def _basis(pdf: FPDF, entry: RegisterEntry) -> None:
    basis = [
        f"Purpose: {_words(entry.purpose)}",
        f"Lawful basis: {entry.lawful_basis or '-'}",
    ]
    if entry.art9_condition:
        basis.append(f"Special category condition: {entry.art9_condition}")
    if entry.art10_condition:
        basis.append(f"Criminal offence condition: {entry.art10_condition}")
    basis.append(f"Consent: {_words(entry.consent_position)}")
    _para(pdf, ". ".join(basis) + ".")


def _entry(pdf: FPDF, entry: RegisterEntry) -> None:
    if entry.kind == ENCOMPASS:
        _encompass(pdf, entry)
        return
    _para(
        pdf,
        f"Decision {entry.decision_id}, {_when(entry.decided_at)}: {_words(entry.outcome)}",
        size=11,
        bold=True,
    )
    recipient = entry.recipient_agency + (
        f" ({entry.recipient_practitioner})" if entry.recipient_practitioner else ""
    )
    _para(pdf, f"Decided by {entry.decided_by}, {entry.sharing_agency}. With: {recipient}.")
    _basis(pdf, entry)
    _para(pdf, f"Reasons: {entry.reasons}")
    if entry.disclosure_id is None:
        held = ", ".join(str(i) for i in entry.withheld_item_ids)
        _para(pdf, "Nothing shared." + (f" Items held back: {held}." if held else ""), gap=4)
        return
    states = [f"available until {_when(entry.expires_at)}"]
    if entry.acknowledged_at:
        states.append(f"received {_when(entry.acknowledged_at)}")
    if entry.revoked_at:
        states.append(f"revoked {_when(entry.revoked_at)}")
    _para(
        pdf,
        f"Disclosure {entry.disclosure_id}, {_when(entry.disclosed_at)}; {'; '.join(states)}.",
        bold=True,
    )
    for item in entry.items:
        _para(pdf, "- " + described(item))
    pdf.ln(4)


def subject_access_pdf(
    person_id: int,
    register: Register,
    standalone: list[StandaloneEntry],
    prepared_at: datetime,
) -> bytes:
    """The same register as the CSV, in reading order, for the response to the person.

    Paragraphs rather than a table: one decision with many items can run over a page,
    which a table row cannot."""
    pdf = _Export(orientation="portrait", format="A4")
    title = f"Disclosure register for person {person_id}"
    pdf.set_title(title)
    pdf.set_creator("Jigsaw")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    _para(pdf, title, size=16, bold=True)
    records = ", ".join(str(r) for r in register.agency_record_ids)
    _para(
        pdf,
        f"Prepared on {_when(prepared_at)} for a subject access request. Agency records: "
        f"{records}. {len(register.entries)} register entries, oldest first. Each item is "
        "shown as the version that was shared, with only the parts that were shared; "
        '"Not shared" marks a part that did not go, and "Withheld (protected identity)" '
        "a part that could identify someone else. Reasons and other free text written "
        "about a decision are withheld, as they may name other people: the Data Protection "
        "Officer reviews them before anything is released.",
        gap=4,
    )
    if not register.entries and not standalone:
        _para(pdf, "No decision about sharing this person's information is on record.")
    for entry in register.entries:
        _entry(pdf, entry)
    if standalone:
        _para(pdf, "Other decisions naming this person's records", size=13, bold=True, gap=2)
    for s in standalone:
        _para(
            pdf,
            f"Decision {s.decision_id}, {_when(s.decided_at)}: {_words(s.kind)}",
            size=11,
            bold=True,
        )
        _para(pdf, f"Decided by {s.decided_by}, {s.deciding_agency}.")
        who = s.recipient_agency or _words(s.requester_kind)
        _para(pdf, f"Asked by or shared with: {who} ({s.recipient_or_requester}).")
        if s.stated_purpose:
            _para(pdf, f"Purpose given: {s.stated_purpose}")
        _para(pdf, f"Information: {s.information}")
        _para(pdf, f"Reasons: {s.reasons}", gap=4)
    return bytes(pdf.output())
