"""Engines, sessions and the unit of work.

The unit of work is the only way services touch the database: it owns one
transaction, so a change and its audit entry commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Dialect,
    Engine,
    Enum,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from jigsaw import events
from jigsaw.clock import Clock, bound

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, on every backend.

    SQLite stores no offset, so without this a value written as aware comes back
    naive; comparing or serialising the two then goes wrong quietly.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Refusing to store a naive datetime; use jigsaw.clock.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum: type) -> Enum:
    """Store enums by value as plain strings, portable across SQLite and PostgreSQL."""
    return Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A 64 MiB page cache (SQLite's default is 2 MiB), taken only as pages are read: an
    # import of a million records otherwise spends much of its time re-reading the
    # indexes it is adding to (bench/results/import.md, fourth pass).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _sqlite_manual_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _without_row_values(context: ExceptionContext) -> None:
    """Keep only PostgreSQL's primary message: its DETAIL quotes the failing row or key.

    "Failing row contains (…, Barnes, 4 Mill Lane, …)" would otherwise travel into
    every log that records the error, whatever ``hide_parameters`` hides.
    """
    error = context.original_exception
    primary = getattr(getattr(error, "diag", None), "message_primary", None)
    if not primary:
        return
    error.args = (primary,)
    if context.sqlalchemy_exception is not None:
        kind = type(error)
        context.sqlalchemy_exception.args = (f"({kind.__module__}.{kind.__name__}) {primary}",)


def make_engine(url: str, echo: bool = False, *, for_writes: bool = False) -> Engine:
    """Create an engine with the settings each backend needs to be safe.

    On SQLite a write transaction must take the write lock when it begins
    (``BEGIN IMMEDIATE``): one that reads first and writes later can find its
    snapshot stale and fail at the write instead of waiting its turn.

    Statement parameters are never put into an exception's message or the SQL echo:
    they are names, addresses and narrative, and error messages end up in logs.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        if for_writes:
            event.listen(engine, "connect", _sqlite_manual_transactions)
            event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    engine = create_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
    )
    event.listen(engine, "handle_error", _without_row_values)
    return engine


STAGED_LISTS: set[str] = {events.PENDING}
"""Keys of ``Session.info`` lists that hold what a transaction has staged to do at commit
(audit entries, domain events). A savepoint that rolls back drops what was staged in
it, so a service call that failed inside a request leaves nothing behind."""

COMMITS_AT_END = "jigsaw.commits_at_end"
"""Set on a request's session: what is staged now commits when the request's work does."""


def _commit(session: Session) -> None:
    """Hand the queued events to their subscribers, then commit; the session is closed
    either way, and on any failure nothing is kept."""
    try:
        events.dispatch(session)
        session.commit()
    except BaseException:
        _roll_back(session)
        raise
    session.close()


def _roll_back(session: Session) -> None:
    try:
        events.discard(session)
        session.rollback()
    finally:
        session.close()


class Database:
    """The engines and session factories for one database URL.

    ``transaction()`` is one transaction that commits when its block ends: what a
    service writes in and what a command-line job or a test gets. A request gets a
    ``UnitOfWork`` instead (``unit_of_work()``), which services use through the same
    methods without knowing: every service a request calls then writes in one
    transaction, committed once at the edge.
    """

    def __init__(
        self,
        url: str,
        echo: bool = False,
        *,
        session_info: Mapping[str, object] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.url = url
        self.clock = clock or Clock()
        info = dict(session_info or {})
        self.engine = make_engine(url, echo=echo)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self.write_engine = (
            make_engine(url, echo=echo, for_writes=True) if self.is_sqlite else self.engine
        )
        self._writes = sessionmaker(self.write_engine, expire_on_commit=False, info=info)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: its events handled, then committed; anything else rolls back."""
        with bound(self.clock):
            session = self._writes()
            session.info[events.IN_UNIT_OF_WORK] = True
            try:
                yield session
            except BaseException:
                _roll_back(session)
                raise
            _commit(session)

    def independent(self) -> AbstractContextManager[Session]:
        """A transaction that commits on its own, whatever the caller does next.

        For what must be kept even when the request then fails: a counted sign-in
        attempt, a refused look at a child. Outside a request it is ``transaction()``.
        """
        return self.transaction()

    def keep(self, write: Callable[[Session], object]) -> None:
        """Write this whatever becomes of the rest of the work: a refusal's audit entry,
        about to be followed by the error that rolls the request back.

        Outside a request it is written at once, in a transaction of its own.
        """
        with self.transaction() as session:
            write(session)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads that write nothing (not even an audit entry)."""
        with bound(self.clock), self.sessions() as session:
            yield session

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self)

    def dispose(self) -> None:
        self.engine.dispose()
        self.write_engine.dispose()


class UnitOfWork(Database):
    """One request's work: one transaction, committed once, by the edge that opened it.

    Each service call inside it runs in a savepoint, so a call that fails (a form with
    a mistake, a refused action the page then explains) leaves nothing it staged
    behind, while what the request did before it stands. Audit entries and domain
    events are collected on the one session and handled just before the commit.
    Reads made through ``reading()`` before the first write use a plain read session.
    An audited read writes its entry, so on SQLite a request that views a child holds
    the one write lock from that read until it ends; PostgreSQL, for production, locks
    only the rows written, and the audit head only for the commit itself.
    """

    def __init__(self, database: Database) -> None:  # shares, never re-creates, the engines
        self.url = database.url
        self.clock = database.clock
        self.engine = database.engine
        self.sessions = database.sessions
        self.write_engine = database.write_engine
        self._writes = database._writes
        self._database = database
        self._session: Session | None = None
        self._finished = False
        self._kept: list[Callable[[Session], object]] = []

    def _shared(self) -> Session:
        if self._finished:
            raise RuntimeError("This unit of work has finished; nothing more can be written in it")
        if self._session is None:
            self._session = self._writes()
            self._session.info[events.IN_UNIT_OF_WORK] = True
            self._session.info[COMMITS_AT_END] = True
        return self._session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        session = self._shared()
        marks = {key: len(session.info.get(key, ())) for key in STAGED_LISTS}
        savepoint = session.begin_nested()
        try:
            with bound(self.clock):
                yield session
                if savepoint.is_active:
                    savepoint.commit()  # its flush can fail too, after the block ended
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            for key, mark in marks.items():
                del session.info.get(key, [])[mark:]
            raise

    def independent(self) -> AbstractContextManager[Session]:
        if self._session is not None:
            # SQLite has one writer, and on PostgreSQL a row this request changed stays
            # locked until it ends: a second transaction would wait on this one forever.
            raise RuntimeError("An independent write must come before the request writes")
        return self._database.transaction()

    def keep(self, write: Callable[[Session], object]) -> None:
        """Written with the request's work if it commits, or on its own after a rollback."""
        self._kept.append(write)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        if self._session is not None:
            with bound(self.clock):
                yield self._session
        else:
            with self._database.reading() as session:
                yield session

    def commit(self) -> None:
        """Handle the events, then commit everything the request did.

        If any of that fails, the request is rolled back like any failed one: its
        transaction ends, and what was to be kept regardless is written on its own.
        """
        try:
            if self._kept:
                with self.transaction() as shared:
                    for write in self._kept:
                        write(shared)
            session, self._session, self._finished = self._session, None, True
            if session is not None:
                with bound(self.clock):
                    _commit(session)
        except BaseException:
            self.rollback()
            raise

    def rollback(self) -> None:
        """Undo everything the request did, then write what was to be kept regardless."""
        session, self._session, self._finished = self._session, None, True
        if session is not None:
            _roll_back(session)
        for write in self._kept:
            self._database.keep(write)

    def __enter__(self) -> UnitOfWork:
        """A command's work: ``with db.unit_of_work() as work:`` commits at the end."""
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.rollback()

    def dispose(self) -> None:
        """The engines belong to the database, not to one request's work."""
