"""Ground truth for the synthetic population: which agency records are the same person.

Kept apart from the person index on purpose: linkage must never read it, only the
evaluation that scores linkage against it. Real data has no such table.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base


class SyntheticTruth(Base):
    __tablename__ = "synthetic_truth"

    agency_record_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("agency_records.id"), primary_key=True, autoincrement=False
    )
    true_person_key: Mapped[str] = mapped_column(String(40), index=True)
    household_key: Mapped[str] = mapped_column(String(40), index=True)
