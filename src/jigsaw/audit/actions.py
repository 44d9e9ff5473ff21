"""Every kind of event the audit log records, in one enumeration."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    AGENCY_CREATED = "agency.created"
    PRACTITIONER_CREATED = "practitioner.created"
    SIGNED_IN = "session.signed_in"
    SIGN_IN_FAILED = "session.sign_in_failed"
    SIGNED_OUT = "session.signed_out"
    PERSON_CREATED = "person.created"
    AGENCY_RECORD_CREATED = "agency_record.created"
    AGENCY_RECORD_VIEWED = "agency_record.viewed"
    RELATIONSHIP_CREATED = "relationship.created"
    INVOLVEMENT_CREATED = "involvement.created"
    ITEM_RECORDED = "item.recorded"
    ITEM_CORRECTED = "item.corrected"
    ITEM_RETRACTED = "item.retracted"
    ITEM_VIEWED = "item.viewed"
    POPULATION_IMPORTED = "population.imported"
