"""Imports every table so metadata is complete (Alembic and test set-up use this)."""

from jigsaw.agencies.models import Agency, Practitioner
from jigsaw.audit.models import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from jigsaw.db import Base
from jigsaw.people.models import AgencyRecord, Involvement, Person, Relationship
from jigsaw.records.models import InformationItem, ItemRetraction

__all__ = [
    "Agency",
    "AgencyRecord",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "AuditNode",
    "Base",
    "InformationItem",
    "Involvement",
    "ItemRetraction",
    "Person",
    "Practitioner",
    "Relationship",
]
