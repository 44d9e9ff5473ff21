"""A file import pauses Python's cyclic garbage collector while it reads and writes its
batches (``service._collected_between_batches``), and leaves it as it found it however
the import ends: finished, refused part-way, or interrupted."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from jigsaw.imports import service
from jigsaw.imports.service import ImportReport
from jigsaw.policy.roles import AgencyKind
from tests.conftest import World

HEADER = "local_id,given_name,family_name,date_of_birth,sex,address,postcode,nhs_number\n"


def _file(folder: Path, rows: int, tail: bytes = b"") -> Path:
    source = folder / "records.csv"
    body = "".join(f"C-{n},Ann,Moss{n},2012-03-04,f,1 Road,OT1 1AQ,\n" for n in range(rows))
    source.write_bytes((HEADER + body).encode() + tail)
    return source


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """The collector on, as a process starts, and on again whatever a test did to it."""
    gc.enable()
    yield
    gc.enable()


def _import(
    db: Database,
    world: World,
    source: Path,
    *,
    batch_size: int = service.DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """``source`` imported for a school without linking, so only the batches run."""
    school = world.agency(AgencyKind.SCHOOL)
    return service.import_records(
        db,
        school.id,
        source,
        quarantine=source.with_name("q.csv"),
        batch_size=batch_size,
        link=False,
        progress=progress,
    )


def test_the_collector_is_paused_for_the_batches_and_on_again_after(
    db: Database, world: World, tmp_path: Path
) -> None:
    during: list[bool] = []
    report = _import(
        db,
        world,
        _file(tmp_path, 5),
        batch_size=2,
        progress=lambda _: during.append(gc.isenabled()),
    )
    assert report.created == 5
    assert during == [False, False, False]
    assert gc.isenabled()


def test_a_file_refused_part_way_leaves_the_collector_on(
    db: Database, world: World, tmp_path: Path
) -> None:
    source = _file(tmp_path, 3, tail=b"C-9,\xff\xfe,Moss,,,,,\n")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        _import(db, world, source, batch_size=2)
    assert gc.isenabled()


def test_an_interrupted_import_leaves_the_collector_on(
    db: Database, world: World, tmp_path: Path
) -> None:
    def interrupted(_: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _import(db, world, _file(tmp_path, 5), batch_size=2, progress=interrupted)
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off(
    db: Database, world: World, tmp_path: Path
) -> None:
    gc.disable()
    _import(db, world, _file(tmp_path, 3))
    assert not gc.isenabled()
