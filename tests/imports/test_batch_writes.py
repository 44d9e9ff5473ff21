"""A batch's new records go in through the driver (``service._insert_many``): stored as
``insert()`` stores them, and a clash with a record another import wrote meanwhile
surfaces as SQLAlchemy's ``IntegrityError`` (which ``_write_batch`` reports as "run
this import again"), with nothing of the batch left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.imports import service
from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.people.models import AgencyRecord, LinkStatus, PersonRole, Sex
from jigsaw.policy.roles import AgencyKind
from tests.conftest import World

HEADER = "local_id,given_name,family_name,date_of_birth,sex,address,postcode,nhs_number\n"


def _row(agency_id: int, local_id: str) -> tuple[object, ...]:
    """A new record as ``service._insert`` takes it: its values in ``service._NEW`` order."""
    values = {
        "agency_id": agency_id,
        "local_id": local_id,
        "role": PersonRole.CHILD,
        "given_name": "Ann",
        "family_name": "Moss",
        "date_of_birth": None,
        "sex": Sex.FEMALE,
        "address": "",
        "postcode": "",
        "nhs_number": None,
        "person_id": None,
        "link_status": LinkStatus.UNLINKED,
        "match_probability": None,
        "created_at": utcnow(),
        "recorded_by_id": None,
    }
    return tuple(values[name] for name in service._NEW)


def test_a_local_id_written_meanwhile_is_a_clash_and_the_batch_leaves_nothing(
    db: Database, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    source = tmp_path / "records.csv"
    source.write_text(HEADER + "W-1,Ann,Moss,2012-03-04,f,1 Road,OT1 1AQ,\n", encoding="utf-8")
    first = service.import_records(db, school.id, source, quarantine=tmp_path / "q.csv", link=False)
    assert first.created == 1

    with pytest.raises(IntegrityError), db.transaction() as session:
        service._insert(
            session,
            [_row(school.id, "W-2"), _row(school.id, "W-1")],
            [[(IdentifierScheme.LOCAL_CASE_NUMBER, "CASE-9")], []],
        )

    with db.reading() as session:
        held = session.scalars(
            select(AgencyRecord.local_id).where(AgencyRecord.agency_id == school.id)
        ).all()
        assert held == ["W-1"]
        assert session.scalar(select(func.count()).where(AgencyRecord.local_id == "W-2")) == 0

    again = service.import_records(db, school.id, source, quarantine=tmp_path / "q.csv", link=False)
    assert (again.created, again.unchanged) == (0, 1)
