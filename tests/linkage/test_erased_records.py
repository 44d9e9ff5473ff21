"""A record retention erased stays out of linkage: no later run, index rebuild or online
match reads it, links it or puts it back in the match index."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from jigsaw.db import Database
from jigsaw.errors import Conflict
from jigsaw.identity.models import Agency
from jigsaw.linkage import index
from jigsaw.linkage.batch import RunSummary, run_linkage
from jigsaw.linkage.models import LinkEvent, MatchKey
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.service import link_recorded
from jigsaw.linkage.source import record_batches
from jigsaw.people.models import AgencyRecord, LinkStatus
from jigsaw.policy.actor import Actor
from jigsaw.retention import service as retention
from jigsaw.retention.schedule import shipped_schedule

SYSTEM = Actor.system()
SCHEDULE = shipped_schedule()


def _erase(db: Database, *record_ids: int) -> None:
    with db.sessions() as session:
        rows = session.execute(
            select(AgencyRecord.id, AgencyRecord.agency_id, Agency.name)
            .join(Agency, Agency.id == AgencyRecord.agency_id)
            .where(AgencyRecord.id.in_(record_ids))
        ).all()
    for record_id, agency_id, name in rows:
        due = retention.DueRecord(record_id, agency_id, name, "test", date.today(), date.today())
        retention.erase(db, SYSTEM, SCHEDULE, due)


def _keys(db: Database, record_ids: list[int]) -> list[int]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(MatchKey.agency_record_id).where(MatchKey.agency_record_id.in_(record_ids))
            )
        )


def test_a_later_run_neither_reads_nor_links_nor_indexes_erased_records(
    linked: tuple[Database, RunSummary], test_model: LinkageModel
) -> None:
    """Two records of one person erased, then a run: before, a run read the blanked
    records and gave them a person again (both "[erased]", so possibly one another's)."""
    db, first = linked
    with db.sessions() as session:
        person = session.scalar(
            select(AgencyRecord.person_id)
            .where(AgencyRecord.person_id.is_not(None))
            .group_by(AgencyRecord.person_id)
            .having(func.count() >= 2)
            .order_by(AgencyRecord.person_id)
            .limit(1)
        )
        victims = list(
            session.scalars(
                select(AgencyRecord.id).where(AgencyRecord.person_id == person).limit(2)
            )
        )
    assert victims
    _erase(db, *victims)
    read = {i for batch in record_batches(db) for i in batch.column("unique_id").to_pylist()}
    assert not set(victims) & read
    assert len(read) == first.records - len(victims)

    with db.sessions() as session:
        before = session.scalar(select(func.max(LinkEvent.id))) or 0
    second = run_linkage(db, model=test_model)
    assert second.records == first.records - len(victims)
    with db.sessions() as session:
        after = session.execute(
            select(AgencyRecord.person_id, AgencyRecord.link_status).where(
                AgencyRecord.id.in_(victims)
            )
        ).all()
        moved = session.scalars(
            select(LinkEvent.id)
            .where(LinkEvent.agency_record_id.in_(victims))
            .where(LinkEvent.id > before)
        ).all()
    assert all(p is None and s is LinkStatus.UNLINKED for p, s in after)
    assert moved == []
    assert _keys(db, victims) == []
    index.index_records(db)
    assert _keys(db, victims) == []


def test_the_online_match_refuses_an_erased_record(
    linked: tuple[Database, RunSummary], test_model: LinkageModel
) -> None:
    db, _ = linked
    with db.sessions() as session:
        record_id = session.scalar(select(AgencyRecord.id).order_by(AgencyRecord.id).limit(1))
    assert record_id is not None
    _erase(db, record_id)
    with pytest.raises(Conflict, match="erased"):
        link_recorded(db, SYSTEM, record_id, model=test_model)
    assert _keys(db, [record_id]) == []
