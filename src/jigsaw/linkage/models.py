"""Linkage's tables: runs, the review queue, the history of every link, the match index.

``AgencyRecord.person_id`` says which person a record belongs to now; these tables
say how it came to be so and let any change be undone. A change (``LinkChange``)
is one operation, a run or a reviewer's decision; each of its ``LinkEvent`` rows
moves or re-labels one agency record. Both are write-once, so the history of who
was linked to whom, when and by what, cannot be rewritten.

``MatchKey`` is the online match's index: each agency record's normalised names,
phonetic codes, date of birth and postcode parts, indexed the way the batch
model's blocking rules join, so a search finds its candidates with a few index
look-ups. It is derived data, rebuilt from the agency records by each run.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime, enum_column
from jigsaw.people.models import LinkStatus


class ReviewStatus(StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ChangeKind(StrEnum):
    RUN = "run"
    CONFIRM = "confirm"
    REJECT = "reject"
    UNMERGE = "unmerge"
    UNDO = "undo"


class LinkageRun(Base):
    __tablename__ = "linkage_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_version: Mapped[str] = mapped_column(String(64))
    backend: Mapped[str] = mapped_column(String(16))
    auto_threshold: Mapped[float] = mapped_column(Float)
    review_threshold: Mapped[float] = mapped_column(Float)
    records: Mapped[int] = mapped_column(Integer)
    scored_pairs: Mapped[int] = mapped_column(Integer)
    persons_created: Mapped[int] = mapped_column(Integer)
    records_linked: Mapped[int] = mapped_column(Integer)
    reviews_opened: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LinkChange(Base):
    __tablename__ = "link_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[ChangeKind] = mapped_column(enum_column(ChangeKind))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_runs.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("link_reviews.id"), index=True)
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("link_changes.id"), index=True, unique=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LinkEvent(Base):
    __tablename__ = "link_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("link_changes.id"), index=True)
    agency_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    from_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    to_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    from_status: Mapped[LinkStatus] = mapped_column(enum_column(LinkStatus))
    to_status: Mapped[LinkStatus] = mapped_column(enum_column(LinkStatus))
    match_probability: Mapped[float | None] = mapped_column(Float)


class LinkReview(Base):
    """A pair the model was unsure of: should the subject's person join the candidate's?

    ``evidence`` holds, per comparison, the key of the level the pair fell on
    ("nickname", "swapped"): what agreed, never the values themselves.
    """

    __tablename__ = "link_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("linkage_runs.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    candidate_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    match_probability: Mapped[float] = mapped_column(Float)
    match_weight: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[ReviewStatus] = mapped_column(enum_column(ReviewStatus), index=True)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MatchKey(Base):
    __tablename__ = "match_keys"
    __table_args__ = (
        # One index per candidate key of the online match (``online.CANDIDATE_KEYS``).
        Index("ix_match_keys_dob_family_soundex", "dob", "family_soundex"),
        Index("ix_match_keys_dob_given_metaphone", "dob", "given_metaphone"),
        Index("ix_match_keys_dob_postcode_district_sex", "dob", "postcode_district", "sex"),
        Index(
            "ix_match_keys_family_soundex_birth_year_given",
            "family_soundex",
            "birth_year",
            "given_metaphone",
        ),
        Index("ix_match_keys_given_family", "given", "family"),
        Index("ix_match_keys_postcode_sector_given", "postcode_sector", "given"),
        Index("ix_match_keys_given_family_soundex", "given", "family_soundex"),
        Index("ix_match_keys_family_given_metaphone", "family", "given_metaphone"),
        Index(
            "ix_match_keys_dob_given_prefix_house_number",
            "dob",
            "given_prefix",
            "house_number",
            "given",
            "family",
        ),
        Index("ix_match_keys_given_house_number", "given", "house_number"),
        Index("ix_match_keys_family_soundex_house_number", "family_soundex", "house_number"),
        Index("ix_match_keys_dob_street_name", "dob", "street_name"),
    )

    agency_record_id: Mapped[int] = mapped_column(
        ForeignKey("agency_records.id"), primary_key=True, autoincrement=False
    )
    given: Mapped[str | None] = mapped_column(String(100))
    given_names: Mapped[str | None] = mapped_column(String(500))
    given_metaphone: Mapped[str | None] = mapped_column(String(100))
    family: Mapped[str | None] = mapped_column(String(100))
    family_parts: Mapped[str | None] = mapped_column(String(200))
    family_soundex: Mapped[str | None] = mapped_column(String(8))
    dob: Mapped[date | None] = mapped_column(Date)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(16))
    postcode: Mapped[str | None] = mapped_column(String(10), index=True)
    postcode_sector: Mapped[str | None] = mapped_column(String(10))
    postcode_district: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(300), index=True)
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    role_group: Mapped[str | None] = mapped_column(String(8))
    street: Mapped[str | None] = mapped_column(String(300), index=True)
    house_number: Mapped[str | None] = mapped_column(String(300))
    given_prefix: Mapped[str | None] = mapped_column(String(2))
    street_name: Mapped[str | None] = mapped_column(String(300))
    reading: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    """The reading of the records (``features.READING``) that wrote the row: a run
    rewrites rows an earlier one wrote (``index.write_keys``)."""
