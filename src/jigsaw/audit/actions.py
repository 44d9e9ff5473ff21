"""Every kind of event the audit log records, in one enumeration."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    AGENCY_CREATED = "agency.created"
    PRACTITIONER_CREATED = "practitioner.created"
    PRACTITIONER_CHANGED = "practitioner.changed"
    SIGNED_IN = "session.signed_in"
    SIGN_IN_FAILED = "session.sign_in_failed"
    SIGNED_OUT = "session.signed_out"
    PERSON_CREATED = "person.created"
    AGENCY_RECORD_CREATED = "agency_record.created"
    AGENCY_RECORD_VIEWED = "agency_record.viewed"
    CHILD_RECORDED_FROM_SEARCH = "agency_record.recorded_from_search"
    AGENCY_RECORD_CONFIRMED = "agency_record.confirmed"
    AGENCY_RECORDS_LISTED = "agency_record.listed"
    RELATIONSHIPS_VIEWED = "relationship.viewed"
    INVOLVEMENTS_VIEWED = "involvement.viewed"
    CONSENT_VIEWED = "consent.viewed"
    RELATIONSHIP_CREATED = "relationship.created"
    INVOLVEMENT_CREATED = "involvement.created"
    ITEM_RECORDED = "item.recorded"
    ITEM_CORRECTED = "item.corrected"
    ITEM_RETRACTED = "item.retracted"
    ITEM_VIEWED = "item.viewed"
    POPULATION_IMPORTED = "population.imported"
    TRANSPARENCY_RECORDED = "transparency.recorded"
    SERVICE_AGREEMENT_RECORDED = "service_agreement.recorded"
    CONSENT_RECORDED = "consent.recorded"
    REQUEST_MADE = "request.made"
    REQUEST_RERATED = "request.rerated"
    REQUEST_VIEWED = "request.viewed"
    ADVICE_REQUESTED = "advice.requested"
    ADVICE_GIVEN = "advice.given"
    ADVICE_VIEWED = "advice.viewed"
    ADVICE_LIST_VIEWED = "advice.list_viewed"
    DECISION_RECORDED = "decision.recorded"
    DECISION_VIEWED = "decision.viewed"
    STANDALONE_DECISION_RECORDED = "standalone_decision.recorded"
    STANDALONE_DECISION_VIEWED = "standalone_decision.viewed"
    DISCLOSURE_MADE = "disclosure.made"
    DISCLOSURE_VIEWED = "disclosure.viewed"
    DISCLOSURE_ACKNOWLEDGED = "disclosure.acknowledged"
    DISCLOSURE_REVOKED = "disclosure.revoked"
    DECISIONS_EXPORTED = "decisions.exported"
    REGISTER_VIEWED = "register.viewed"
    SUBJECT_ACCESS_EXPORTED = "register.subject_access_exported"
    ACCESS_LOG_VIEWED = "access_log.viewed"
    BREAK_GLASS_STARTED = "break_glass.started"
    BREAK_GLASS_ENDED = "break_glass.ended"
    BREAK_GLASS_REPEATED = "break_glass.repeated"
    SIGN_IN_REFUSED_LOCKED = "session.refused_locked"
    ACCOUNT_LOCKED = "account.locked"
    SECOND_FACTOR_FAILED = "session.second_factor_failed"
    SECOND_FACTOR_ENROLLED = "account.second_factor_enrolled"
    SECOND_FACTOR_RESET = "account.second_factor_reset"
    REAUTHENTICATED = "session.reauthenticated"
    PASSWORD_REHASHED = "account.password_rehashed"  # noqa: S105 (an event name)
    API_TOKEN_CREATED = "api_token.created"  # noqa: S105 (an event name)
    API_TOKEN_REVOKED = "api_token.revoked"  # noqa: S105 (an event name)
    WHO_KNOWS_VIEWED = "person.who_knows_viewed"
    CHRONOLOGY_VIEWED = "person.chronology_viewed"
    CHRONOLOGY_EXPORTED = "person.chronology_exported"
    PATTERN_FLAGS_VIEWED = "person.pattern_flags_viewed"
    SINGLE_VIEW_REFUSED = "person.single_view_refused"
    ENCOMPASS_NOTIFIED = "encompass.notified"
    LINK_MERGED = "link.merged"
    LINK_UNMERGED = "link.unmerged"
    LINK_CONFIRMED = "link.confirmed"
    LINK_REJECTED = "link.rejected"
    LINKAGE_RUN = "linkage.run"
    PASSWORD_CHANGED = "account.password_changed"  # noqa: S105 (an event name)
    PASSWORD_RESET_ISSUED = "account.password_reset_issued"  # noqa: S105 (an event name)
    PASSWORD_RESET_USED = "account.password_reset_used"  # noqa: S105 (an event name)
    PASSWORD_RESET_FAILED = "account.password_reset_failed"  # noqa: S105 (an event name)
    ACCESS_REFUSED = "access.refused"
    ACCESS_REFUSED_REPEATEDLY = "access.refused_repeatedly"
    PERSON_SEARCHED = "person.searched"
    LINK_MATCHED_ONLINE = "link.matched_online"
    LINK_REVIEW_VIEWED = "link_review.viewed"
    LINK_QUEUE_VIEWED = "link_review.queue_viewed"
    RECORD_ERASED = "agency_record.erased"
    DATA_KEYS_REWRAPPED = "data_keys.rewrapped"
    SCHEDULED_JOB_RUN = "scheduled_job.run"
    REMINDERS_SENT = "reminders.sent"
    ENCOMPASS_NOTICE_VIEWED = "encompass.notice_viewed"
    RECORDS_IMPORT_STARTED = "import.started"
    RECORDS_IMPORTED = "import.batch_written"
    RECORDS_IMPORT_FINISHED = "import.finished"
    AGREEMENT_CREATED = "agreement.created"
    AGREEMENT_APPROVED = "agreement.approved"
    AGREEMENT_SUPERSEDED = "agreement.superseded"
    AGREEMENT_ENDED = "agreement.ended"
    FEED_IMPORTED = "import.feed_received"
    FHIR_EXPORTED = "fhir.exported"
    FLAG_RECEIVED = "flag.received"
    SHARED_AGAINST_AGREEMENTS = "agreement.overridden"


READS = frozenset(
    {
        AuditAction.AGENCY_RECORD_VIEWED,
        AuditAction.AGENCY_RECORDS_LISTED,
        AuditAction.RELATIONSHIPS_VIEWED,
        AuditAction.INVOLVEMENTS_VIEWED,
        AuditAction.CONSENT_VIEWED,
        AuditAction.ITEM_VIEWED,
        AuditAction.REQUEST_VIEWED,
        AuditAction.DECISION_VIEWED,
        AuditAction.STANDALONE_DECISION_VIEWED,
        AuditAction.DISCLOSURE_VIEWED,
        AuditAction.REGISTER_VIEWED,
        AuditAction.SUBJECT_ACCESS_EXPORTED,
        AuditAction.ACCESS_LOG_VIEWED,
        AuditAction.DECISIONS_EXPORTED,
        AuditAction.WHO_KNOWS_VIEWED,
        AuditAction.CHRONOLOGY_VIEWED,
        AuditAction.CHRONOLOGY_EXPORTED,
        AuditAction.PATTERN_FLAGS_VIEWED,
        AuditAction.PERSON_SEARCHED,
        AuditAction.LINK_REVIEW_VIEWED,
        AuditAction.LINK_QUEUE_VIEWED,
        AuditAction.ADVICE_VIEWED,
        AuditAction.ADVICE_LIST_VIEWED,
        AuditAction.ENCOMPASS_NOTICE_VIEWED,
        AuditAction.FHIR_EXPORTED,
    }
)
"""Reads of a person's information: what the access log shows."""

REFUSALS = frozenset({AuditAction.ACCESS_REFUSED, AuditAction.ACCESS_REFUSED_REPEATEDLY})
"""Refused attempts to see or do something: the access log shows these beside the reads."""

ACCOUNT_CHANGES = frozenset(
    {
        AuditAction.AGENCY_CREATED,
        AuditAction.PRACTITIONER_CREATED,
        AuditAction.PRACTITIONER_CHANGED,
        AuditAction.PASSWORD_RESET_ISSUED,
        AuditAction.SECOND_FACTOR_RESET,
        AuditAction.API_TOKEN_CREATED,
    }
)
"""Who can act in an agency, and as whom: each names the agency concerned in its refs
(``agency``), whose DPO is alerted even when the change was made from outside it."""

ALERTS = (
    frozenset(
        {
            AuditAction.BREAK_GLASS_STARTED,
            AuditAction.BREAK_GLASS_REPEATED,
            AuditAction.ACCESS_REFUSED_REPEATEDLY,
            AuditAction.CHILD_RECORDED_FROM_SEARCH,
            AuditAction.SHARED_AGAINST_AGREEMENTS,
        }
    )
    | ACCOUNT_CHANGES
)
"""Events a DPO is alerted to and reviews one by one."""
