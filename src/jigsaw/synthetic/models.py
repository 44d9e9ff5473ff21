"""Ground truth for the synthetic population: which agency records are the same person.

Kept apart from the person index on purpose: linkage must never read it, only the
evaluation that scores linkage against it. Real data has no such table, so it is not
part of the service's schema either: it has a registry of its own, outside
``jigsaw.models`` and the migrations, and the generator creates it in the database it
writes a population into (``ensure_truth_table``). A production database never has it.
"""

from __future__ import annotations

from sqlalchemy import Engine, ForeignKey, Integer, MetaData, String, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jigsaw.db import NAMING_CONVENTION
from jigsaw.people.models import AgencyRecord


class TruthBase(DeclarativeBase):
    """The generator's own registry, so creating the truth creates nothing else, and
    nothing that builds or checks the service's schema ever sees it."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SyntheticTruth(TruthBase):
    __tablename__ = "synthetic_truth"

    agency_record_id: Mapped[int] = mapped_column(
        Integer, ForeignKey(AgencyRecord.id), primary_key=True, autoincrement=False
    )
    true_person_key: Mapped[str] = mapped_column(String(40), index=True)
    household_key: Mapped[str] = mapped_column(String(40), index=True)


TRUTH_TABLE = SyntheticTruth.__tablename__


def has_truth_table(engine: Engine) -> bool:
    return inspect(engine).has_table(TRUTH_TABLE)


def ensure_truth_table(engine: Engine) -> None:
    """Create the truth table where it is missing (the same shape migration 0002 gave it,
    so a database generated into before 0017 keeps its truth as it is)."""
    TruthBase.metadata.create_all(engine, checkfirst=True)
