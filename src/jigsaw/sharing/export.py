"""A child's decisions and disclosures as one JSON document, for the record or a review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.db import Database
from jigsaw.errors import NotFound
from jigsaw.people.models import AgencyRecord
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, require
from jigsaw.sharing.decisions import decision_out
from jigsaw.sharing.disclosures import disclosure_out
from jigsaw.sharing.models import Disclosure, SharingDecision


@audited_read(AuditAction.DECISIONS_EXPORTED)
def export_decisions(db: Database, actor: Actor, record_id: int) -> dict[str, Any]:
    """Every decision about the child's agency record, with the disclosures made on each."""
    with db.transaction() as session:
        record = session.get(AgencyRecord, record_id)
        if record is None:
            raise NotFound("agency record", record_id)
        require(actor, Permission.EXPORT_DECISIONS, record.agency_id)
        found: list[dict[str, Any]] = []
        for decision in session.scalars(
            select(SharingDecision)
            .where(SharingDecision.subject_record_id == record_id)
            .order_by(SharingDecision.decided_at, SharingDecision.id)
        ):
            made = session.scalars(
                select(Disclosure)
                .where(Disclosure.decision_id == decision.id)
                .order_by(Disclosure.id)
            )
            found.append(
                {
                    "decision": decision_out(session, decision).model_dump(mode="json"),
                    "disclosures": [
                        disclosure_out(session, d).model_dump(mode="json") for d in made
                    ],
                }
            )
        audit.append(
            session,
            actor,
            AuditAction.DECISIONS_EXPORTED,
            "agency_record",
            record_id,
            refs={"decisions": [d["decision"]["id"] for d in found]},
        )
        return {"agency_record_id": record_id, "decisions": found}
