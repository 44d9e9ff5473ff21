"""Imports every table so metadata is complete (Alembic and test set-up use this).

Only the service's own tables: the synthetic generator's truth is not part of the
schema a deployment runs (``jigsaw.synthetic.models`` keeps it apart).
"""

from jigsaw.agreements.models import AgreementEvent, SharingAgreement
from jigsaw.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from jigsaw.breakglass.models import BreakGlassEnd, BreakGlassSession
from jigsaw.consent.models import ConsentRecord, ServiceAgreement, TransparencyRecord
from jigsaw.db import Base
from jigsaw.drafts.models import PageDraft
from jigsaw.encompass.models import EncompassDisclosure
from jigsaw.identity.models import Agency, ApiToken, PasswordReset, Practitioner, SignInThrottle
from jigsaw.imports.models import ImportedRow, RecordImport
from jigsaw.interop.models import RequestOrigin
from jigsaw.linkage.models import LinkageRun, LinkChange, LinkEvent, LinkReview, MatchKey
from jigsaw.notifications.models import Notification
from jigsaw.people.models import (
    AgencyRecord,
    AgencyRecordIdentifier,
    Involvement,
    Person,
    Relationship,
)
from jigsaw.protection.models import DataKey
from jigsaw.records.models import InformationItem, ItemRetraction
from jigsaw.records.received import ReceivedFlag
from jigsaw.retention.models import Erasure
from jigsaw.scheduling.models import ScheduledJob
from jigsaw.sharing.models import (
    AdviceAnswer,
    AdviceRequest,
    DecisionAdvice,
    DisclosedItem,
    Disclosure,
    DisclosureAcknowledgement,
    DisclosureRevocation,
    InformationRequest,
    RagRating,
    SharingDecision,
)

__all__ = [
    "AdviceAnswer",
    "AdviceRequest",
    "Agency",
    "AgencyRecord",
    "AgencyRecordIdentifier",
    "AgreementEvent",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "AuditNode",
    "Base",
    "BreakGlassEnd",
    "BreakGlassSession",
    "ConsentRecord",
    "DataKey",
    "DecisionAdvice",
    "DisclosedItem",
    "Disclosure",
    "DisclosureAcknowledgement",
    "DisclosureRevocation",
    "EncompassDisclosure",
    "Erasure",
    "ImportedRow",
    "InformationItem",
    "InformationRequest",
    "Involvement",
    "ItemRetraction",
    "LinkChange",
    "LinkEvent",
    "LinkReview",
    "LinkageRun",
    "MatchKey",
    "Notification",
    "PageDraft",
    "PasswordReset",
    "Person",
    "Practitioner",
    "RagRating",
    "ReceivedFlag",
    "RecordImport",
    "Relationship",
    "RequestOrigin",
    "ScheduledJob",
    "ServiceAgreement",
    "SharingAgreement",
    "SharingDecision",
    "SignInThrottle",
    "TransparencyRecord",
]
