"""Imports every table so metadata is complete (Alembic and test set-up use this)."""

from jigsaw.access.models import (
    ApiToken,
    BreakGlassEnd,
    BreakGlassSession,
    PasswordReset,
    SignInThrottle,
)
from jigsaw.agencies.models import Agency, Practitioner
from jigsaw.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from jigsaw.consent.models import ConsentRecord, ServiceAgreement, TransparencyRecord
from jigsaw.db import Base
from jigsaw.linkage.models import LinkageRun, LinkChange, LinkEvent, LinkReview, MatchKey
from jigsaw.notifications.models import Notification
from jigsaw.people.models import AgencyRecord, Involvement, Person, Relationship
from jigsaw.protection.models import DataKey
from jigsaw.records.models import InformationItem, ItemRetraction
from jigsaw.retention.models import Erasure
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
from jigsaw.synthetic.models import SyntheticTruth

__all__ = [
    "AdviceAnswer",
    "AdviceRequest",
    "Agency",
    "AgencyRecord",
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
    "Erasure",
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
    "PasswordReset",
    "Person",
    "Practitioner",
    "RagRating",
    "Relationship",
    "ServiceAgreement",
    "SharingDecision",
    "SignInThrottle",
    "SyntheticTruth",
    "TransparencyRecord",
]
