"""Information items: what an agency knows, never edited in place.

A correction is a new row whose ``supersedes_id`` points at the version it replaces;
a retraction is a row of its own. So the item rows themselves are write-once, and
the database refuses UPDATE and DELETE on them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from jigsaw.db import Base, UTCDateTime, enum_column
from jigsaw.protection.keyring import AGENCY_RECORD, Subject
from jigsaw.protection.sealed import record_of, sealed


class Category(StrEnum):
    """The three kinds of information the guidance says to share."""

    CHILD_WELFARE = "child_welfare"
    PARENT_CAPACITY = "parent_capacity"
    RISK_PERSON = "risk_person"


class Nature(StrEnum):
    FACT = "fact"
    OPINION = "opinion"


class Verification(StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"


SPECIAL_CATEGORY = "special_category"
CRIMINAL_OFFENCE = "criminal_offence"
SENSITIVE_FLAGS = (SPECIAL_CATEGORY, CRIMINAL_OFFENCE)
"""The flags sealed together in ``sensitivity``, in the order they are written."""


def _flags_text(flags: dict[str, bool]) -> str:
    """Every flag, set or not, as ``special_category=1;criminal_offence=0``.

    Always the same length, so the length of the ciphertext says nothing about which
    flags are set, as it would if only the set ones were written.
    """
    return ";".join(f"{name}={int(bool(flags.get(name)))}" for name in SENSITIVE_FLAGS)


class InformationItem(Base):
    __tablename__ = "information_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    category: Mapped[Category] = mapped_column(enum_column(Category))
    # Sealed: "section_47" or "coercive_control" says as much about a child as the
    # narrative does. The category stays clear: the chronology filters on it in SQL.
    subtype: Mapped[str] = mapped_column(Text)
    # Sealed: what the type is, in the practitioner's words, when it is "other" (see
    # records/types.py); NULL for a listed type.
    subtype_other: Mapped[str | None] = mapped_column(Text, nullable=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Sealed under the agency record's data key (see protection/): Text, because the
    # ciphertext of a 500-character summary is longer than 500 characters.
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    nature: Mapped[Nature] = mapped_column(enum_column(Nature))
    source: Mapped[str] = mapped_column(Text)
    verification: Mapped[Verification] = mapped_column(enum_column(Verification))
    # The Article 9 and Article 10 flags as they were stored in clear before they were
    # sealed: NULL on every row written since, whose flags are in ``sensitivity``. Read
    # them through ``special_category`` and ``criminal_offence``, never directly.
    stored_special_category: Mapped[bool | None] = mapped_column("special_category", Boolean)
    stored_criminal_offence: Mapped[bool | None] = mapped_column("criminal_offence", Boolean)
    sensitivity: Mapped[str | None] = mapped_column(Text, default=_flags_text({}))
    """Sealed: which of the special categories the item holds (see ``SENSITIVE_FLAGS``)."""
    protected_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_items.id"), unique=True
    )
    root_id: Mapped[int | None] = mapped_column(ForeignKey("information_items.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Sealed: why this version corrects the one it supersedes; NULL on a first version
    # (and on corrections made before the reason was kept).
    correction_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    seal_id: Mapped[str | None] = mapped_column(String(32))

    @property
    def chain_id(self) -> int:
        """The id every version of this item shares: the first version's id."""
        return self.root_id if self.root_id is not None else self.id

    @property
    def special_category(self) -> bool:
        """UK GDPR Article 9 data (health, for example): sharing it needs a condition."""
        return self._flag(SPECIAL_CATEGORY, self.stored_special_category)

    @special_category.setter
    def special_category(self, value: bool) -> None:
        self._set_flag(SPECIAL_CATEGORY, value)

    @property
    def criminal_offence(self) -> bool:
        """Article 10 criminal offence data: sharing it needs a condition too."""
        return self._flag(CRIMINAL_OFFENCE, self.stored_criminal_offence)

    @criminal_offence.setter
    def criminal_offence(self, value: bool) -> None:
        self._set_flag(CRIMINAL_OFFENCE, value)

    def _flag(self, name: str, clear: bool | None) -> bool:
        if self.sensitivity is None:
            return bool(clear)
        return read_flags(self.sensitivity)[name]

    def _set_flag(self, name: str, value: bool) -> None:
        flags = {n: self._flag(n, None) for n in SENSITIVE_FLAGS} if self.sensitivity else {}
        flags[name] = bool(value)
        self.sensitivity = _flags_text(flags)


def sensitivity_text(special_category: bool, criminal_offence: bool) -> str:
    """The plaintext of ``sensitivity`` for these flags (for rows written in bulk)."""
    return _flags_text({SPECIAL_CATEGORY: special_category, CRIMINAL_OFFENCE: criminal_offence})


def read_flags(text: str) -> dict[str, bool]:
    """The flags in an opened ``sensitivity``.

    Once the record's key is erased the value opens as the erasure marker, and what
    the item was can no longer be known: every flag then reads as set, so the stricter
    conditions apply to anything still pointing at it.
    """
    pairs = dict(part.partition("=")[::2] for part in text.split(";"))
    if set(pairs) != set(SENSITIVE_FLAGS) or not set(pairs.values()) <= {"0", "1"}:
        return dict.fromkeys(SENSITIVE_FLAGS, True)
    return {name: pairs[name] == "1" for name in SENSITIVE_FLAGS}


sealed(
    InformationItem,
    "summary",
    "detail",
    "source",
    "subtype",
    "sensitivity",
    "subtype_other",
    "correction_reason",
    subject=lambda _session, item: Subject(AGENCY_RECORD, item.subject_record_id),
    sealed_since=("subtype", "sensitivity"),
)


class ItemRetraction(Base):
    """Marks an item (every version of it) as withdrawn by its agency, with a reason."""

    __tablename__ = "item_retractions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("information_items.id"), unique=True)
    retracted_by: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    # Sealed under the item's agency record key, so Text: the input schema keeps the
    # reason to 500 characters, and its ciphertext is longer than that.
    reason: Mapped[str] = mapped_column(Text)
    retracted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))


def _retraction_subject(session: Session, retraction: ItemRetraction) -> Subject:
    """The retracted item's agency record: why an item was withdrawn says something about
    the child, and goes when the record's key is erased, with the item itself."""
    return record_of(session, InformationItem, retraction.item_id)


sealed(ItemRetraction, "reason", subject=_retraction_subject)
