"""Writing rows that say something about an agency's records: relationships,
involvements and information items.

Each row names its people by the agency's own local ids; a row naming one the agency
has no record for (or one erased) is refused, not guessed. A row is remembered by the
agency's id for it and a digest of what it said (``ImportedRow``): the same row again
is left alone; a changed item row becomes the item's next version, through the same
path a practitioner's correction takes (``records.service.add_version``), so the first
version stays as it was; a flag (protected identity, special category, criminal
offence) the latest version has keeps, whatever the row says. Relationships and
involvements are not versioned, so a changed row of those is refused with the reason,
for the agency to settle with a practitioner.

Items go through ``records.service.add_item``: the controlled list of types, sealing
under the record's key, the audit entry and the event other features listen for. A
relationship or involvement is written with the audit entry the people service writes
for one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.clock import utcnow
from jigsaw.errors import Conflict, InvalidInput
from jigsaw.imports.kinds import PERSON, RELATED, Checked, ImportKind, digest
from jigsaw.imports.models import ImportedRow
from jigsaw.imports.rows import Problem, Row
from jigsaw.people.models import AgencyRecord, Involvement, Relationship
from jigsaw.policy.actor import Actor
from jigsaw.records import service as records
from jigsaw.records.models import InformationItem
from jigsaw.records.schemas import CorrectionIn, ItemIn
from jigsaw.retention.models import Erasure

NO_RECORD = "Your agency has no record with this local_id: import its records first"
_FLAGS = ("special_category", "criminal_offence", "protected_identity")
ERASED = "This record was erased under the retention schedule: nothing more is added to it"
_NOUN = {
    ImportKind.RELATIONSHIPS: "relationship",
    ImportKind.INVOLVEMENTS: "involvement",
    ImportKind.ITEMS: "item",
}


@dataclass
class Written:
    """What one batch did: ids made and versions added, rows left alone, rows refused."""

    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    refused: list[tuple[Row, list[Problem]]] = field(default_factory=list)


def _people(
    session: Session, agency_id: int, local_ids: set[str]
) -> tuple[dict[str, AgencyRecord], set[str]]:
    """The agency's records with these local ids, and the local ids of those erased."""
    if not local_ids:
        return {}, set()
    found = {
        r.local_id: r
        for r in session.scalars(
            select(AgencyRecord).where(
                AgencyRecord.agency_id == agency_id, AgencyRecord.local_id.in_(local_ids)
            )
        )
    }
    erased_ids = set(
        session.scalars(
            select(Erasure.agency_record_id).where(
                Erasure.agency_record_id.in_([r.id for r in found.values()])
            )
        )
    )
    erased = {local_id for local_id, r in found.items() if r.id in erased_ids}
    return {k: v for k, v in found.items() if k not in erased}, erased


def write(
    session: Session,
    actor: Actor,
    kind: ImportKind,
    agency_id: int,
    import_id: int,
    good: list[tuple[Row, Checked]],
) -> Written:
    """Write one batch's good rows in the caller's transaction."""
    written = Written()
    wanted = {p for _, (_, person, related, _) in good for p in (person, related) if p}
    people, erased = _people(session, agency_id, wanted)
    keys = {
        k.local_id: k
        for k in session.scalars(
            select(ImportedRow).where(
                ImportedRow.agency_id == agency_id,
                ImportedRow.kind == kind.value,
                ImportedRow.local_id.in_([c[0] for _, c in good]),
            )
        )
    }
    for row, checked in good:
        local_id, person, related, _ = checked
        problems = [
            Problem(row.line, local_id, name, ERASED if given in erased else NO_RECORD)
            for name, given in ((PERSON, person), (RELATED, related))
            if given is not None and given not in people
        ]
        if problems:
            written.refused.append((row, problems))
            continue
        content = digest(kind, checked)
        key = keys.get(local_id)
        if key is not None and key.content_sha256 == content:
            written.unchanged += 1
            continue
        try:
            if key is None:
                made = _create(session, actor, kind, people, checked)
                session.add(
                    ImportedRow(
                        agency_id=agency_id,
                        kind=kind.value,
                        local_id=local_id,
                        content_sha256=content,
                        object_id=made,
                        import_id=import_id,
                    )
                )
                written.created.append(made)
            elif kind is ImportKind.ITEMS:
                key.object_id = _next_version(session, actor, people, checked, key, import_id)
                key.content_sha256 = content
                key.import_id = import_id
                written.updated.append(key.object_id)
            else:
                noun = _NOUN[kind]
                written.refused.append(
                    (
                        row,
                        [
                            Problem(
                                row.line,
                                local_id,
                                "local_id",
                                f"This {noun} was imported before with other details; an "
                                f"import does not change a {noun}: ask a practitioner to "
                                "record the change",
                            )
                        ],
                    )
                )
        except (InvalidInput, Conflict) as refused:
            problems = (
                [Problem(row.line, local_id, p.field, p.message) for p in refused.problems]
                if isinstance(refused, InvalidInput)
                else [Problem(row.line, local_id, "local_id", str(refused))]
            )
            written.refused.append((row, problems))
    session.flush()
    return written


def _create(
    session: Session,
    actor: Actor,
    kind: ImportKind,
    people: dict[str, AgencyRecord],
    checked: Checked,
) -> int:
    _, person, related, entry = checked
    subject = people[person]
    if kind is ImportKind.ITEMS:
        assert isinstance(entry, ItemIn)
        data = entry.model_copy(update={"subject_record_id": subject.id})
        return records.add_item(session, actor, subject, data).id
    if kind is ImportKind.RELATIONSHIPS:
        assert related is not None
        target = people[related]
        relationship = Relationship(
            agency_id=subject.agency_id,
            from_record_id=subject.id,
            to_record_id=target.id,
            kind=getattr(entry, "kind"),  # noqa: B009 (a RelationshipRow)
            created_at=utcnow(),
        )
        audit.append_new(
            session,
            actor,
            relationship,
            AuditAction.RELATIONSHIP_CREATED,
            "relationship",
            refs={"from_record": subject.id, "to_record": target.id},
        )
        return relationship.id
    fields = entry.model_dump()
    fields["agency_record_id"] = subject.id
    fields["practitioner_id"] = None
    involvement = Involvement(**fields, created_at=utcnow())
    audit.append_new(
        session,
        actor,
        involvement,
        AuditAction.INVOLVEMENT_CREATED,
        "involvement",
        refs={"agency_record": subject.id},
    )
    return involvement.id


def _next_version(
    session: Session,
    actor: Actor,
    people: dict[str, AgencyRecord],
    checked: Checked,
    key: ImportedRow,
    import_id: int,
) -> int:
    """The item's next version, after its latest (a practitioner may have corrected it
    since it was imported)."""
    _, person, _, entry = checked
    first = session.get(InformationItem, key.object_id)
    assert first is not None  # items are never deleted while their record is kept
    chain = first.chain_id
    latest = session.scalars(
        select(InformationItem)
        .where(or_(InformationItem.id == chain, InformationItem.root_id == chain))
        .order_by(InformationItem.version.desc(), InformationItem.id.desc())
        .limit(1)
    ).one()
    # A flag set in Jigsaw (a practitioner marking the source's identity protected) is
    # one the sending system may never have had: its row cannot lower it, only a
    # practitioner's correction can. A row may still raise a flag.
    kept = {flag: True for flag in _FLAGS if getattr(latest, flag)}
    data = CorrectionIn.model_validate(
        {
            **entry.model_dump(exclude={"subject_record_id"}),
            **kept,
            "subject_record_id": people[person].id,
            "reason": f"Changed in the agency's own system; brought in by import {import_id}",
        }
    )
    return records.add_version(session, actor, latest, data).id
