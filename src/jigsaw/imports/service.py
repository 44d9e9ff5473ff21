"""Importing an agency's records from a file, as that agency's service.

The file is read as a stream and written in batches (``DEFAULT_BATCH_SIZE`` rows), each
batch one transaction holding its records, their identifiers, the import's counts and
the batch's audit entry, so a run killed at any moment leaves whole batches in and
nothing of the one it was writing. Running the same file again finishes the job: a
row is matched to the agency's record by its local id, and a record whose every field
and identifier already says what the row says is left alone ("unchanged"), so batches
already in create nothing twice. A row that says something else updates the record
(its identifiers become the row's); the batch's audit entry lists the records created
and updated, by id.

A row that cannot be read is reported with its line, field and reason, and written to
the quarantine file (the input's format, with a ``line`` column) for the agency to
correct and import again; the others go in. Problems name fields and lines, never
values, and the audit log holds ids and counts only.

New and changed records are then linked one by one with the online match
(``linkage.service.link_recorded``), as a record a practitioner makes is, so "who knows"
is current when the import ends. That is a search and a transaction per record; for a
first load of a whole system, ``link=False`` leaves them for ``jigsaw linkage run``,
which links in bulk.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from jigsaw import clock
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.clock import utcnow
from jigsaw.db import Base, Database
from jigsaw.errors import Conflict, InvalidInput, NotFound, NotPermitted
from jigsaw.identity.models import Agency
from jigsaw.imports import kinds, linked
from jigsaw.imports.kinds import Checked, ImportKind
from jigsaw.imports.models import ImportState, RecordImport
from jigsaw.imports.pool import AHEAD, Pending, RowPool
from jigsaw.imports.rows import (
    STORED,
    GoodRecord,
    Layout,
    Problem,
    Row,
    check_rows,
    file_format,
    quarantine_csv_row,
    quarantine_header,
    quarantine_jsonl_row,
    read_csv,
    read_jsonl,
)
from jigsaw.linkage import frequencies
from jigsaw.linkage import identifiers as shared_identifiers
from jigsaw.linkage.models import MatchKey
from jigsaw.linkage.service import link_recorded
from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.people.models import AgencyRecord, AgencyRecordIdentifier, LinkStatus
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, require
from jigsaw.policy.roles import Role
from jigsaw.retention.models import Erasure

DEFAULT_BATCH_SIZE = 5_000
RECOUNT_NAMES_EVERY = 1_000
"""Records an import links between readings of how common each name is: its records
reach the index one by one as they are linked, so a long import's later records are
weighed against its earlier ones, as the next run will weigh them."""
_RECORDS = Base.metadata.tables[AgencyRecord.__tablename__]
_IDENTIFIERS = Base.metadata.tables[AgencyRecordIdentifier.__tablename__]
_FIELDS_FROM = 2
_FIELDS = STORED[_FIELDS_FROM:]
"""What an import may change of a record: all it holds of a row but the agency and
local id."""
_NEW = (*STORED, "person_id", "link_status", "match_probability", "created_at", "recorded_by_id")
"""A new record's columns but its id, in the order ``_write_batch_once`` gives them."""
_Content = tuple[Any, ...]
_Identifiers = Sequence[tuple[IdentifierScheme, str]]
_Good = TypeVar("_Good")


def agency_service(agency_id: int) -> Actor:
    """The agency's own service: the system (policy rule S1) acting for one agency, so
    its records count as the agency's (made by no practitioner, so confirmed) and its
    audit entries name the agency."""
    return Actor(practitioner_id=None, agency_id=agency_id, role=Role.SYSTEM, mfa_verified=True)


@dataclass
class ImportReport:
    file: str
    sha256: str
    agency_id: int
    import_id: int
    quarantine: Path | None
    kind: ImportKind = ImportKind.RECORDS
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    linked: int = 0
    completes: list[int] = field(default_factory=list)
    """Earlier runs of the same file that did not finish, which this one completes."""
    problems: list[Problem] = field(default_factory=list)
    created_ids: array[int] = field(default_factory=lambda: array("q"))
    updated_ids: array[int] = field(default_factory=lambda: array("q"))
    """What a feed made and changed, for its one audit entry."""
    to_link: array[int] = field(default_factory=lambda: array("q"))
    """New, changed and still unlinked records, for the online match after the import."""

    def describe(self) -> str:
        lines = [
            f"{self.file}: import {self.import_id} of {self.kind} for agency {self.agency_id}, "
            f"{self.rows} rows: created {self.created}, updated {self.updated}, "
            f"unchanged {self.unchanged}, rejected {self.rejected}"
            + (f", linked {self.linked}" if self.linked else ""),
        ]
        if self.completes:
            lines.append(
                "It completes import "
                + ", ".join(map(str, self.completes))
                + " of the same file, which did not finish."
            )
        for problem in self.problems:
            where = f"line {problem.line}" + (
                f" (local_id {problem.local_id})" if problem.local_id else ""
            )
            lines.append(f"  {where}: {problem.field or 'row'}: {problem.message}")
        if self.rejected and self.quarantine is not None:
            lines.append(
                f"The {self.rejected} rejected rows are in {self.quarantine}: correct them "
                "there and import that file."
            )
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind.value,
            "sha256": self.sha256,
            "agency_id": self.agency_id,
            "import_id": self.import_id,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "linked": self.linked,
            "completes": self.completes,
            "quarantine": None if self.quarantine is None else str(self.quarantine),
            "problems": [
                {"line": p.line, "local_id": p.local_id, "field": p.field, "message": p.message}
                for p in self.problems
            ],
        }


def file_digest(path: Path) -> tuple[str, int]:
    """The file's SHA-256 and its number of lines (for the progress bar)."""
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), lines


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
            if not gc.isenabled():  # paused by ``_collected_between_batches``
                gc.collect(1)
    if batch:
        yield batch


class _Quarantine:
    """The refused rows, in the input's own format with the line they were on."""

    def __init__(self, layout: Layout, handle: IO[str] | None) -> None:
        """With no handle (a feed), refused rows are only reported: the system that sent
        them still has them."""
        self.layout = layout
        self.handle = handle
        self.pending: list[Row] = []
        self.writer = csv.writer(handle) if handle and layout.file_format == "csv" else None
        if self.writer is not None:
            self.writer.writerow(quarantine_header(layout))

    def add(self, row: Row) -> None:
        """Held until the batch is written, since the batch refuses some rows only then."""
        if self.handle is not None:
            self.pending.append(row)

    def flush(self) -> None:
        """Write the batch's refused rows in the order of the file."""
        for row in sorted(self.pending, key=lambda r: r.line):
            self._write(row)
        self.pending.clear()

    def _write(self, row: Row) -> None:
        assert self.handle is not None
        if self.writer is not None:
            self.writer.writerow(quarantine_csv_row(row, self.layout))
        else:
            self.handle.write(quarantine_jsonl_row(row) + "\n")


def import_records(
    db: Database,
    agency_id: int,
    path: Path,
    *,
    quarantine: Path,
    batch_size: int = DEFAULT_BATCH_SIZE,
    link: bool = True,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
    pool: RowPool | None = None,
) -> ImportReport:
    """Import one file of the agency's records; see the module's docstring for how.
    With a ``pool``, worker processes check the rows while this one writes."""
    actor = agency_service(agency_id)
    require(actor, Permission.RECORD_ABOUT_PEOPLE, agency_id)
    fmt = file_format(path)
    if not path.is_file():
        raise InvalidInput.one(path.name, f"There is no file {path}")
    report = _import_rows(
        db, actor, path, fmt, ImportKind.RECORDS, quarantine, batch_size, progress, total, pool
    )
    if link:
        link_imported(db, report)
    return report


def _import_rows(
    db: Database,
    actor: Actor,
    path: Path,
    fmt: str,
    kind: ImportKind,
    quarantine: Path,
    batch_size: int,
    progress: Callable[[int], None] | None,
    total: Callable[[int], None] | None,
    pool: RowPool | None = None,
) -> ImportReport:
    """A file of any kind read, checked and written batch by batch, for the agency the
    actor serves (asked of the policy already). A file of records may have its rows
    checked by a ``pool``; the other kinds are checked by the writer."""
    agency_id = actor.agency_id or 0
    with db.reading() as session:
        if session.get(Agency, agency_id) is None:
            raise NotFound("agency", agency_id)
    sha256, lines = file_digest(path)
    with ExitStack() as stack:
        handle = stack.enter_context(path.open(encoding="utf-8-sig", newline=""))
        try:
            # A CSV row of records stays in its cells: the quick lane (or a pool's worker)
            # reads them there, and only a row the model must see is made a dictionary.
            layout, rows = _read(kind, fmt, path, handle, deferred=True)
        except UnicodeDecodeError:
            raise InvalidInput.one(path.name, "The file is not UTF-8 text") from None
        if total is not None:
            total(max(lines - (1 if fmt == "csv" else 0), 0))
        report = _start(db, actor, path, sha256, fmt, quarantine, kind)
        # Indexes an import killed outright left out are built again first.
        restore_indexes(db)
        if kind is ImportKind.RECORDS and lines > DEFER_INDEXES_FROM and _defer_indexes(db):
            stack.enter_context(_indexes_built_at_the_end(db))
        out = stack.enter_context(quarantine.open("w", encoding="utf-8", newline=""))
        stack.enter_context(_collected_between_batches())
        held = _Quarantine(layout, out)
        seen: dict[str, int] = {}
        batches = enumerate(_batches(rows, batch_size), start=1)
        if pool is None or kind is not ImportKind.RECORDS:
            try:
                for number, batch in batches:
                    _import_batch(db, actor, report, number, batch, layout, seen, held)
                    if progress is not None:
                        progress(len(batch))
            except UnicodeDecodeError:
                raise _not_utf8(path) from None
        else:
            _import_checked_by(pool, batches, db, actor, report, layout, seen, held, progress)
    _finish(db, actor, report)
    return report


@contextmanager
def _collected_between_batches() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a file is imported, and run over
    the young objects once a batch instead (``_batches``). Left to itself it runs every
    few hundred new objects, and each batch's rows, cells and records live long enough
    to be carried into the oldest generation, whose collections walk every object of the
    process: a third of an import's CPU (bench/results/import.md, sixth pass). Nearly
    everything a batch makes is freed by its reference count when the batch is done; the
    few cycles left are collected at the next batch. The collector is left as it was
    found, on or off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


DEFER_INDEXES_FROM = 50_000
"""Rows from which a first load builds the secondary indexes of the records and their
identifiers after writing them rather than row by row (``_defer_indexes``)."""
_DEFERRED_INDEXES = sorted(
    (index for table in (_RECORDS, _IDENTIFIERS) for index in table.indexes if not index.unique),
    key=lambda index: str(index.name),
)


def _defer_indexes(db: Database) -> bool:
    """On SQLite, drop the records' and identifiers' secondary indexes (family name,
    postcode, NHS number, person, agency; identifier by scheme and value) when no agency
    holds a record yet, so a first load of a whole system writes each batch without them; the
    import builds them again when it ends, however it ends (``restore_indexes``), and
    every file import starts by building any that are missing, so an import killed
    outright leaves them out only until the next one. Nobody can be searching records
    that do not exist yet, and the unique constraints (an agency's local ids, a
    record's identifiers), which keep imports from writing anything twice, stay.
    Building an index over a million records in one go costs a fraction of keeping it
    up to date row by row (``bench/results/import.md``, fifth pass). Whether indexes
    were dropped."""
    with db.transaction() as session:
        if session.get_bind().dialect.name != "sqlite":
            # PostgreSQL keeps the indexes up to date in its own process, beside the
            # import's on the other core; built at the end, they took 12 s of a million
            # records' load on their own (bench/results/import.md, fifth pass).
            return False
        if session.execute(select(_RECORDS.c.id).limit(1)).first() is not None:
            return False
        connection = session.connection()
        for index in _DEFERRED_INDEXES:
            index.drop(connection, checkfirst=True)
    return True


@contextmanager
def _indexes_built_at_the_end(db: Database) -> Iterator[None]:
    """Build the deferred indexes when the import ends, however it ends. When it is
    failing or interrupted already, that failure is the one reported: if building them
    fails too (the connection broken by the same Ctrl-C), the next import builds them."""
    try:
        yield
    except BaseException:
        with suppress(Exception):
            restore_indexes(db)
        raise
    restore_indexes(db)


def restore_indexes(db: Database) -> None:
    """Build whichever of ``_DEFERRED_INDEXES`` are missing (none, nearly always), each in
    a transaction of its own: on SQLite a build holds the write lock, and all six over a
    million records at once could keep another writer (another agency's import, a
    practitioner's save) waiting past its busy timeout; one at a time, each waits its turn."""
    for index in _DEFERRED_INDEXES:
        with db.transaction() as session:
            index.create(session.connection(), checkfirst=True)


def _not_utf8(path: Path) -> InvalidInput:
    return InvalidInput.one(path.name, "The file is not UTF-8 text (some rows before it went in)")


def _import_checked_by(
    pool: RowPool,
    batches: Iterator[tuple[int, list[Row]]],
    db: Database,
    actor: Actor,
    report: ImportReport,
    layout: Layout,
    seen: dict[str, int],
    held: _Quarantine,
    progress: Callable[[int], None] | None,
) -> None:
    """Write the batches in order while the pool checks the next ``AHEAD``: each batch
    is sent as soon as it is read, with the layout as it is then (as the writer would
    check it), and written when its rows' answers are back. A file that stops being
    UTF-8 part-way has the batches before the bad one written first, as without a pool."""
    out: deque[tuple[int, list[Row], Pending]] = deque()

    def write_oldest() -> None:
        number, batch, pending = out.popleft()
        answers = pending.result()
        _import_batch(db, actor, report, number, batch, layout, seen, held, answers=answers)
        if progress is not None:
            progress(len(batch))

    while True:
        try:
            read = next(batches, None)
        except UnicodeDecodeError:
            while out:
                write_oldest()
            raise _not_utf8(Path(report.file)) from None
        if read is None:
            break
        number, batch = read
        out.append((number, batch, pool.submit(batch, layout, report.agency_id)))
        if len(out) > AHEAD:
            write_oldest()
    while out:
        write_oldest()


def _read(
    kind: ImportKind, fmt: str, path: Path, handle: IO[str], *, deferred: bool = False
) -> tuple[Layout, Iterator[Row]]:
    """The layout and rows of a file or feed of the kind (``read_csv``'s ``deferred``
    for a file of records in CSV)."""
    if kind is ImportKind.RECORDS:
        if fmt == "csv":
            return read_csv(path, handle, deferred=deferred)
        return read_jsonl(path, handle)
    if fmt == "csv":
        return kinds.read_csv(path.name, kind, handle)
    return kinds.read_jsonl(kind, handle)


def _import_batch(
    db: Database,
    actor: Actor,
    report: ImportReport,
    number: int,
    batch: list[Row],
    layout: Layout,
    seen: dict[str, int],
    held: _Quarantine,
    log_batch: bool = True,
    answers: Sequence[GoodRecord | list[Problem]] | None = None,
) -> None:
    """Check one batch of the report's kind (or take a pool's ``answers`` for its rows,
    in order) and write its good rows in one transaction; new and changed records are
    kept for the online match."""
    last_line = batch[-1].line if batch else 0
    if report.kind is ImportKind.RECORDS:
        if answers is None:
            answers = check_rows(batch, layout, report.agency_id, clock.today())
        good = _checked(batch, answers, seen, report, held)
        written = _write_batch(db, actor, report, number, good, last_line, held, log_batch)
        report.to_link.extend(written)
    else:
        checked = _checked_rows(batch, report.kind, seen, report, held)
        _write_rows(db, actor, report, number, checked, last_line, held, log_batch)
    held.flush()


def link_imported(
    db: Database, report: ImportReport, advance: Callable[[int], None] | None = None
) -> None:
    """Link the import's new, changed and unlinked records with the online match, each
    in its own transaction as a practitioner's new record is; a record linked since is
    left as it is. Killed part-way, importing the file again links the rest (they are
    unchanged but still unlinked)."""
    actor = agency_service(report.agency_id)
    shared_identifiers.forget_counts()  # count the numbers the import brought afresh
    frequencies.forget()  # and the names
    for n, record_id in enumerate(report.to_link, start=1):
        if n % RECOUNT_NAMES_EVERY == 0:
            frequencies.forget()  # the import's own names, as they reach the index
        link_recorded(db, actor, record_id)
        report.linked += 1
        if advance is not None:
            advance(1)


def _start(
    db: Database,
    actor: Actor,
    path: Path,
    sha256: str,
    fmt: str,
    quarantine: Path,
    kind: ImportKind,
) -> ImportReport:
    with db.transaction() as session:
        earlier = list(
            session.scalars(
                select(RecordImport).where(
                    RecordImport.agency_id == actor.agency_id,
                    RecordImport.sha256 == sha256,
                    RecordImport.kind == kind.value,
                    RecordImport.state == ImportState.RUNNING,
                )
            )
        )
        for run in earlier:
            run.state = ImportState.INTERRUPTED
        run = _new_run(session, actor.agency_id or 0, sha256, kind, fmt)
        refs: dict[str, int | str | list[int]] = {
            "agency": actor.agency_id or 0,
            "sha256": sha256,
            "format": fmt,
            "kind": kind.value,
        }
        if earlier:
            refs["completes"] = [r.id for r in earlier]
        audit.append(
            session, actor, AuditAction.RECORDS_IMPORT_STARTED, "record_import", run.id, refs=refs
        )
        return ImportReport(
            file=path.name,
            sha256=sha256,
            agency_id=actor.agency_id or 0,
            import_id=run.id,
            quarantine=quarantine,
            kind=kind,
            completes=[r.id for r in earlier],
        )


def _new_run(
    session: Session, agency_id: int, sha256: str, kind: ImportKind, fmt: str
) -> RecordImport:
    """A running import with nothing counted yet, its id assigned."""
    run = RecordImport(
        agency_id=agency_id,
        sha256=sha256,
        kind=kind.value,
        file_format=fmt,
        state=ImportState.RUNNING,
        started_at=utcnow(),
        rows=0,
        created=0,
        updated=0,
        unchanged=0,
        rejected=0,
        last_line=0,
    )
    session.add(run)
    session.flush()
    return run


def _checked(
    batch: list[Row],
    answers: Sequence[GoodRecord | list[Problem]],
    seen: dict[str, int],
    report: ImportReport,
    held: _Quarantine,
) -> list[tuple[Row, GoodRecord]]:
    """The batch's good rows (``answers`` says which, row by row); the others reported
    and quarantined."""
    # ``_once_per_file`` for records, inline: this runs for every row of a file.
    good: list[tuple[Row, GoodRecord]] = []
    report.rows += len(batch)
    for row, record in zip(batch, answers, strict=True):
        if type(record) is GoodRecord:
            first = seen.setdefault(record.local_id, row.line)
            if first == row.line:
                good.append((row, record))
                continue
            problems = [
                Problem(
                    row.line,
                    record.local_id,
                    "local_id",
                    f"This local_id is already on line {first}: each record once per file",
                )
            ]
        else:
            assert isinstance(record, list)
            problems = record
        _reject(report, held, row, problems)
    return good


def _once_per_file(
    batch: list[Row],
    check: Callable[[Row], tuple[str, _Good] | list[Problem]],
    noun: str,
    seen: dict[str, int],
    report: ImportReport,
    held: _Quarantine,
) -> list[tuple[Row, _Good]]:
    """The rows ``check`` passes (with their local ids), each local id once in the file
    (``seen``, by the line it was first on); the others reported and quarantined."""
    good: list[tuple[Row, _Good]] = []
    for row in batch:
        report.rows += 1
        checked = check(row)
        if isinstance(checked, tuple):
            local_id, value = checked
            first = seen.setdefault(local_id, row.line)
            if first == row.line:
                good.append((row, value))
                continue
            checked = [
                Problem(
                    row.line,
                    local_id,
                    "local_id",
                    f"This local_id is already on line {first}: each {noun} once per file",
                )
            ]
        _reject(report, held, row, checked)
    return good


def _reject(report: ImportReport, held: _Quarantine, row: Row, problems: list[Problem]) -> None:
    report.rejected += 1
    report.problems.extend(problems)
    held.add(row)


def _content(fields: tuple[Any, ...], identifiers: frozenset[tuple[str, str]]) -> _Content:
    """What a record says, ``_FIELDS`` in order then its identifiers, to compare a row with."""
    return (*fields, identifiers)


def _write_batch(
    db: Database,
    actor: Actor,
    report: ImportReport,
    number: int,
    good: list[tuple[Row, GoodRecord]],
    last_line: int,
    held_back: _Quarantine,
    log_batch: bool = True,
) -> list[int]:
    """Write one batch in one transaction; the ids to link after the import.

    Two imports for one agency at once could both create a record for the same local
    id; the database refuses the second, and its batch is rolled back whole."""
    try:
        return _write_batch_once(db, actor, report, number, good, last_line, held_back, log_batch)
    except IntegrityError:
        raise Conflict(
            "Another import for this agency wrote some of these records at the same time: "
            "run this import again when it has finished (nothing is imported twice)"
        ) from None


def _write_batch_once(
    db: Database,
    actor: Actor,
    report: ImportReport,
    number: int,
    good: list[tuple[Row, GoodRecord]],
    last_line: int,
    held_back: _Quarantine,
    log_batch: bool,
) -> list[int]:
    now = utcnow()
    wanted = {r.local_id: r for _, r in good}
    with db.transaction() as session:
        existing, erased = _existing(session, report.agency_id, list(wanted))
        for row, record in good:
            if record.local_id in erased:
                del wanted[record.local_id]
                _reject(
                    report, held_back, row, [Problem(row.line, record.local_id, "local_id", ERASED)]
                )
        new_rows: list[tuple[Any, ...]] = []
        new_identifiers: list[_Identifiers] = []
        changed: list[dict[str, Any]] = []
        changed_identifiers: list[tuple[int, _Identifiers]] = []
        unchanged = 0
        unlinked: list[int] = []
        # What a new record holds besides the row's values (``_NEW``'s last columns).
        unlinked_now = (None, LinkStatus.UNLINKED, None, now, None)
        for local_id, record in wanted.items():
            identifiers = record.identifiers
            held = existing.get(local_id)
            if held is None:
                new_rows.append(record.values + unlinked_now)
                new_identifiers.append(identifiers)
                continue
            record_id, content, linked = held
            fields = record.values[_FIELDS_FROM:]
            wanted_content = _content(fields, frozenset((s.value, v) for s, v in identifiers))
            if content == wanted_content:
                unchanged += 1
                if not linked:
                    unlinked.append(record_id)
                continue
            changed.append({"b_id": record_id, **dict(zip(_FIELDS, fields, strict=True))})
            changed_identifiers.append((record_id, identifiers))
        created = _insert(session, new_rows, new_identifiers)
        updated = _update(session, changed, changed_identifiers)
        _count_batch(
            session, actor, report, number, last_line, created, updated, unchanged, log_batch
        )
    return [*created, *updated, *unlinked]


def _count_batch(
    session: Session,
    actor: Actor,
    report: ImportReport,
    number: int,
    last_line: int,
    created: list[int],
    updated: list[int],
    unchanged: int,
    log_batch: bool,
) -> None:
    """Add a batch's outcome to the report and to the import's row, in the batch's
    transaction, so a killed import says how far it got; and, unless a feed's one entry
    covers it, the batch's audit entry."""
    report.created += len(created)
    report.updated += len(updated)
    report.unchanged += unchanged
    report.created_ids.extend(created)
    report.updated_ids.extend(updated)
    run = session.get(RecordImport, report.import_id)
    if run is None:  # pragma: no cover - made by this import a moment ago
        raise NotFound("record import", report.import_id)
    run.rows, run.created, run.updated = report.rows, report.created, report.updated
    run.unchanged, run.rejected, run.last_line = report.unchanged, report.rejected, last_line
    if not log_batch:
        return
    kind = report.kind.value
    audit.append(
        session,
        actor,
        AuditAction.RECORDS_IMPORTED,
        "record_import",
        report.import_id,
        refs={
            "batch": number,
            # A records import's entries have always left the kind implied.
            **({} if report.kind is ImportKind.RECORDS else {"kind": kind}),
            "last_line": last_line,
            "created": len(created),
            "updated": len(updated),
            "unchanged": unchanged,
            "rejected_so_far": report.rejected,
            f"{kind}_created": created,
            f"{kind}_updated": updated,
        },
    )


ERASED = "This record was erased under the retention schedule: an import never brings it back"


def _among(
    session: Session, column: ColumnElement[Any] | InstrumentedAttribute[Any], values: list[Any]
) -> ColumnElement[bool]:
    """``column IN values`` for a batch's thousands of values as one parameter: an
    array on PostgreSQL, a JSON array read by ``json_each`` on SQLite. An IN list of
    5,000 placeholders costs more to build, send and parse than the look-up itself."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    listed = func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued("value")
    return column.in_(select(listed.c.value))


def _existing(
    session: Session, agency_id: int, local_ids: list[str]
) -> tuple[dict[str, tuple[int, _Content, bool]], set[str]]:
    """The agency's records with these local ids (id, content, linked or not), and the
    local ids of those erased, which an import must not bring back."""
    if not local_ids:
        return {}, set()
    found: dict[str, tuple[int, tuple[Any, ...], bool]] = {}
    # The table's columns, not the mapped class's: plain rows, no ORM loading.
    for row in session.execute(
        select(
            _RECORDS.c.id,
            _RECORDS.c.local_id,
            _RECORDS.c.person_id,
            *(_RECORDS.c[f] for f in _FIELDS),
        ).where(_RECORDS.c.agency_id == agency_id, _among(session, _RECORDS.c.local_id, local_ids))
    ):
        record_id, local_id, person_id, *fields = row
        found[local_id] = (record_id, tuple(fields), person_id is not None)
    if not found:
        return {}, set()
    ids = [v[0] for v in found.values()]
    erased_ids = set(
        session.scalars(
            select(Erasure.agency_record_id).where(_among(session, Erasure.agency_record_id, ids))
        )
    )
    erased = {local_id for local_id, v in found.items() if v[0] in erased_ids}
    held: dict[int, set[tuple[str, str]]] = {i: set() for i in ids}
    for record_id, scheme, value in session.execute(
        select(_IDENTIFIERS.c.agency_record_id, _IDENTIFIERS.c.scheme, _IDENTIFIERS.c.value).where(
            _among(session, _IDENTIFIERS.c.agency_record_id, ids)
        )
    ):
        held[record_id].add((IdentifierScheme(scheme).value, value))
    existing = {
        local_id: (record_id, _content(values, frozenset(held[record_id])), linked)
        for local_id, (record_id, values, linked) in found.items()
        if local_id not in erased
    }
    return existing, erased


def _insert(
    session: Session,
    rows: list[tuple[Any, ...]],
    identifiers: list[_Identifiers],
) -> list[int]:
    """New records, each row's values in ``_NEW`` order after the id, and their
    identifiers; the records' ids."""
    if not rows:
        return []
    ids = _new_ids(session, len(rows))
    _insert_many(
        session, _RECORDS, ["id", *_NEW], [(i, *row) for i, row in zip(ids, rows, strict=True)]
    )
    wanted = [
        (record_id, scheme, value)
        for record_id, given in zip(ids, identifiers, strict=True)
        for scheme, value in given
    ]
    if wanted:
        _insert_many(session, _IDENTIFIERS, ["agency_record_id", "scheme", "value"], wanted)
    return ids


def _insert_many(
    session: Session, table: Table, names: list[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert a batch's rows with the driver's own ``executemany`` (``COPY`` on
    PostgreSQL), in the session's transaction. Each value goes through its column
    type's own bind processing, so it is stored exactly as an ``insert()`` stores it;
    what is left out is SQLAlchemy's per-row parameter handling, most of a batch's
    writing time."""
    connection = session.connection()
    dialect = connection.dialect
    processors = [
        (i, p)
        for i, n in enumerate(names)
        if (p := table.c[n].type._cached_bind_processor(dialect)) is not None
    ]
    if processors and rows:
        # Column by column, each distinct value processed once: a batch's rows share
        # one ``created_at``, a few roles and sexes, a few thousand dates. A column's
        # values are all of its one type (dates, enumerations, datetimes, None), so
        # equal values are processed alike.
        by_column = list(zip(*rows, strict=True))
        for i, process in processors:
            done = {v: process(v) for v in set(by_column[i])}
            by_column[i] = tuple(map(done.__getitem__, by_column[i]))
        rows = list(zip(*by_column, strict=True))
    columns = ", ".join(dialect.identifier_preparer.quote(n) for n in names)
    # The table's and columns' names are the schema's own, never the file's.
    if dialect.name == "postgresql":
        statement = f"COPY {table.name} ({columns}) FROM STDIN"
    else:
        marks = ", ".join("?" for _ in names)
        statement = f"INSERT INTO {table.name} ({columns}) VALUES ({marks})"  # noqa: S608
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if dialect.name == "postgresql":
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(statement, rows)
    except dialect.loaded_dbapi.IntegrityError as clash:
        # Another import's record for the same local id: reported as ``insert()``'s is.
        raise IntegrityError(statement, None, clash) from clash
    finally:
        cursor.close()


def _new_ids(session: Session, count: int) -> list[int]:
    """Ids for a batch's new records, so they are inserted in one statement and their
    identifiers written beside them. PostgreSQL hands them out from the table's own
    sequence, so a practitioner recording a child meanwhile never clashes; SQLite's
    transaction holds the only write lock, so the next ones after the highest are free."""
    if session.get_bind().dialect.name == "postgresql":
        return list(
            session.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('agency_records', 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"count": count},
            )
        )
    highest = session.scalar(select(func.max(AgencyRecord.id))) or 0
    return list(range(highest + 1, highest + 1 + count))


def _update(
    session: Session,
    rows: list[dict[str, Any]],
    identifiers: list[tuple[int, _Identifiers]],
) -> list[int]:
    """Change the records to what the file says; their identifiers become the file's,
    and their match keys go, so the online match indexes the new details."""
    if not rows:
        return []
    ids = [r["b_id"] for r in rows]
    statement = (
        update(_RECORDS)
        .where(_RECORDS.c.id == bindparam("b_id"))
        .values({f: bindparam(f) for f in _FIELDS})
    )
    session.execute(statement, rows, execution_options={"synchronize_session": False})
    session.execute(
        delete(_IDENTIFIERS).where(_among(session, _IDENTIFIERS.c.agency_record_id, ids))
    )
    session.execute(delete(MatchKey).where(_among(session, MatchKey.agency_record_id, ids)))
    wanted = [
        {"agency_record_id": record_id, "scheme": scheme, "value": value}
        for record_id, given in identifiers
        for scheme, value in given
    ]
    if wanted:
        session.execute(insert(_IDENTIFIERS), wanted)
    return ids


def _finish(db: Database, actor: Actor, report: ImportReport) -> None:
    report.problems.sort(key=lambda p: p.line)
    with db.transaction() as session:
        run = session.get(RecordImport, report.import_id)
        if run is None:  # pragma: no cover - made by this import
            raise NotFound("record import", report.import_id)
        run.state = ImportState.FINISHED
        run.finished_at = utcnow()
        run.rows, run.rejected = report.rows, report.rejected
        audit.append(
            session,
            actor,
            AuditAction.RECORDS_IMPORT_FINISHED,
            "record_import",
            report.import_id,
            refs={
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": report.rejected,
                "sha256": report.sha256,
            },
        )


def write_report(report: ImportReport, path: Path) -> None:
    path.write_text(json.dumps(report.as_json(), indent=2) + "\n", encoding="utf-8")


def import_file(
    db: Database,
    agency_id: int,
    path: Path,
    *,
    quarantine: Path,
    kind: ImportKind | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    link: bool = True,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
    pool: RowPool | None = None,
) -> ImportReport:
    """Import one file of any kind (given, or read from its header; ``kinds``); a file
    of records has its rows checked by the ``pool`` if there is one."""
    fmt = file_format(path)
    if not path.is_file():
        raise InvalidInput.one(path.name, f"There is no file {path}")
    if kind is None:
        try:
            kind = kinds.detect(path, fmt)
        except UnicodeDecodeError:
            raise InvalidInput.one(path.name, "The file is not UTF-8 text") from None
    if kind is ImportKind.RECORDS:
        return import_records(
            db,
            agency_id,
            path,
            quarantine=quarantine,
            batch_size=batch_size,
            link=link,
            progress=progress,
            total=total,
            pool=pool,
        )
    actor = agency_service(agency_id)
    require(actor, Permission.RECORD_ABOUT_PEOPLE, agency_id)
    return _import_rows(db, actor, path, fmt, kind, quarantine, batch_size, progress, total)


def _checked_rows(
    batch: list[Row],
    kind: ImportKind,
    seen: dict[str, int],
    report: ImportReport,
    held: _Quarantine,
) -> list[tuple[Row, Checked]]:
    """The batch's good rows of the kind; the others reported and quarantined."""

    def check(row: Row) -> tuple[str, Checked] | list[Problem]:
        checked = kinds.validate(row, kind)
        return (checked[0], checked) if isinstance(checked, tuple) else checked

    return _once_per_file(batch, check, "row", seen, report, held)


def _write_rows(
    db: Database,
    actor: Actor,
    report: ImportReport,
    number: int,
    good: list[tuple[Row, Checked]],
    last_line: int,
    held: _Quarantine,
    log_batch: bool = True,
) -> None:
    """One batch of relationships, involvements or items in one transaction."""
    try:
        with db.transaction() as session:
            done = linked.write(
                session, actor, report.kind, report.agency_id, report.import_id, good
            )
            for row, problems in done.refused:
                _reject(report, held, row, problems)
            _count_batch(
                session,
                actor,
                report,
                number,
                last_line,
                done.created,
                done.updated,
                done.unchanged,
                log_batch,
            )
    except IntegrityError:
        raise Conflict(
            "Another import for this agency wrote some of these rows at the same time: "
            "run this import again when it has finished (nothing is imported twice)"
        ) from None


MAX_FEED_ROWS = 50_000
"""Rows one request may carry: a bigger feed is sent in several requests, each its own
import, so none holds the database for long."""
FEED = "feed"


class FeedTooLarge(InvalidInput):
    """A feed over the limits: answered 413, and nothing of it written."""


def import_feed(
    db: Database,
    actor: Actor,
    kind: ImportKind,
    body: bytes,
    *,
    agency_id: int | None = None,
    json_batch: bool = False,
    link: bool = False,
) -> ImportReport:
    """Import one request's rows from another system of the actor's agency, in the
    request's one transaction: the same checks, idempotency and writes as a file, one
    audit entry for the whole request, and the refused rows reported with their lines
    (the sending system still holds them, so nothing is quarantined).

    Only an API token may push a feed, and only into its own agency: a token is one
    agency's service account, and the agency named (if any) must be that one.
    """
    if actor.token_id is None:
        raise NotPermitted("Feeds are pushed by another system with an API token")
    agency = actor.agency_id if agency_id is None else agency_id
    if agency is None or agency != actor.agency_id:
        raise NotPermitted(
            "This token belongs to another agency's system: it imports into its own agency only"
        )
    require(actor, Permission.RECORD_ABOUT_PEOPLE, agency)
    sha256 = hashlib.sha256(body).hexdigest()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.one("", "The body is not UTF-8 text") from None
    if json_batch:
        text = _batch_as_lines(text)
    layout, reading = _read(kind, "jsonl", Path(FEED), io.StringIO(text))
    rows = list(reading)
    if len(rows) > MAX_FEED_ROWS:
        raise FeedTooLarge.one("", f"Send at most {MAX_FEED_ROWS} rows at once")
    held = _Quarantine(layout, None)
    with db.transaction() as session:
        run = _new_run(session, agency, sha256, kind, "json" if json_batch else "ndjson")
        report = ImportReport(
            file=FEED, sha256=sha256, agency_id=agency, import_id=run.id, quarantine=None, kind=kind
        )
    last = rows[-1].line if rows else 0
    _import_batch(db, actor, report, 1, rows, layout, {}, held, log_batch=False)
    with db.transaction() as session:
        finished = session.get(RecordImport, report.import_id)
        if finished is None:  # pragma: no cover - made by this request
            raise NotFound("record import", report.import_id)
        finished.state = ImportState.FINISHED
        finished.finished_at = utcnow()
        finished.rows, finished.rejected, finished.last_line = report.rows, report.rejected, last
        audit.append(
            session,
            actor,
            AuditAction.FEED_IMPORTED,
            "record_import",
            report.import_id,
            refs={
                "agency": agency,
                "kind": kind.value,
                "sha256": sha256,
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": report.rejected,
                f"{kind.value}_created": list(report.created_ids),
                f"{kind.value}_updated": list(report.updated_ids),
            },
        )
    report.problems.sort(key=lambda p: p.line)
    if link:
        link_imported(db, report)
    return report


def _batch_as_lines(text: str) -> str:
    """A JSON batch (an array of rows, or ``{"rows": [...]}``) as JSON Lines, row n on
    line n, so problems name the same place either way."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InvalidInput.one("", "The body is not JSON") from None
    if isinstance(data, dict) and set(data) == {"rows"}:
        data = data["rows"]
    if not isinstance(data, list):
        raise InvalidInput.one("", 'Send an array of rows, or {"rows": [...]}')
    if len(data) > MAX_FEED_ROWS:
        raise FeedTooLarge.one("", f"Send at most {MAX_FEED_ROWS} rows at once")
    return "\n".join(json.dumps(item, ensure_ascii=False) for item in data)
