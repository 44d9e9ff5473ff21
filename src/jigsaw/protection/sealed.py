"""Which columns are sealed, and the unit of work that seals and opens them.

A model declares its sealed columns once (``sealed(InformationItem, "summary", ...)``).
From then on the unit of work encrypts those values as they are flushed and decrypts
them as rows are loaded, inside the service's own transaction, with the keys cached
for that transaction only. Services, routes and pages keep handling plaintext, and
SQL only ever sees ciphertext. Decrypted values are put back as the row's *committed*
state, so reading a sealed row never makes it look changed (and write-once tables
are never asked to update).

Rows written before sealing existed have no ``seal_id`` and are read as they are.
A column sealed later than its table (``sealed_since``) may hold plaintext in rows
sealed before it was: such a value is not in the sealed form and is read as it is.
Reads that bypass the ORM (the chronology's column queries) call ``open_rows``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import set_committed_value

from jigsaw.protection.keyring import (
    AGENCY_RECORD,
    Place,
    Subject,
    is_sealed_text,
    keyring,
    reveal,
    reveal_with,
)

_PENDING = "jigsaw.sealed_pending"
RowT = TypeVar("RowT")


@dataclass(frozen=True)
class SealedModel:
    table: str
    columns: tuple[str, ...]
    subject: Callable[[Session, Any], Subject]
    sealed_since: frozenset[str] = frozenset()


_MODELS: dict[type[Any], SealedModel] = {}


def new_seal_id() -> str:
    return secrets.token_hex(16)


def sealed(
    model: type[Any],
    *columns: str,
    subject: Callable[[Session, Any], Subject],
    sealed_since: Collection[str] = (),
) -> None:
    """Seal these columns of the model, each row under its subject's data key.

    ``sealed_since`` names columns first sealed by a later migration than the table's
    ``seal_id``: write-once rows sealed before then keep those values in clear.
    """
    spec = SealedModel(model.__tablename__, columns, subject, frozenset(sealed_since))
    _MODELS[model] = spec

    def on_load(target: Any, context: Any) -> None:
        _open(context.session, spec, target, columns)

    def on_refresh(target: Any, context: Any, attrs: Iterable[str] | None) -> None:
        wanted = columns if attrs is None else tuple(c for c in columns if c in set(attrs))
        _open(context.session, spec, target, wanted)

    event.listen(model, "load", on_load)
    event.listen(model, "refresh", on_refresh)


def record_of(session: Session, model: type[Any], ident: int) -> Subject:
    """The agency-record subject of the ``model`` row ``ident`` (its ``subject_record_id``).

    For subject functions of rows that hang off another row (a rating off its request,
    a retraction off its item): that row is usually loaded in the same unit of work
    already, so it is taken from the identity map, and read from the database only
    when it is not, rather than once per row loaded.
    """
    loaded = session.identity_map.get(Session.identity_key(model, ident))
    record_id = None if loaded is None else loaded.__dict__.get("subject_record_id")
    if record_id is None:
        column = model.__table__.c.subject_record_id
        found = session.connection().execute(select(column).where(model.__table__.c.id == ident))
        record_id = found.scalar_one()
    return Subject(AGENCY_RECORD, record_id)


def _open(session: Session | None, spec: SealedModel, target: Any, columns: Iterable[str]) -> None:
    values = target.__dict__
    seal_id = values.get("seal_id")
    if session is None or seal_id is None:
        return
    ring = keyring(session)
    subject = spec.subject(session, target)
    for column in columns:
        stored = values.get(column)
        if isinstance(stored, str) and _is_sealed(spec, column, stored):
            place = Place(spec.table, column, seal_id)
            set_committed_value(target, column, reveal(ring, subject, place, stored))


def _is_sealed(spec: SealedModel, column: str, stored: str) -> bool:
    return column not in spec.sealed_since or is_sealed_text(stored)


def _default(target: Any, column: str) -> Any:
    """A column default applied now, so an omitted value is sealed like any other."""
    default = target.__table__.c[column].default
    return default.arg if default is not None and default.is_scalar else None


@event.listens_for(Session, "before_flush")
def _seal_new_values(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    pending: list[tuple[Any, dict[str, str]]] = session.info.setdefault(_PENDING, [])
    for target in [*session.new, *session.dirty]:
        spec = _MODELS.get(type(target))
        if spec is None:
            continue
        state = inspect(target)
        if state.pending:
            if target.seal_id is None:
                target.seal_id = new_seal_id()
            for column in spec.columns:
                if getattr(target, column) is None:
                    setattr(target, column, _default(target, column))
            changed = [c for c in spec.columns if isinstance(getattr(target, c), str)]
        else:
            changed = [c for c in spec.columns if state.attrs[c].history.has_changes()]
        if not changed:
            continue
        key = keyring(session).for_writing(spec.subject(session, target))
        plain = {column: getattr(target, column) for column in changed}
        for column, value in plain.items():
            setattr(target, column, key.seal(Place(spec.table, column, target.seal_id), value))
        pending.append((target, plain))


@event.listens_for(Session, "after_flush_postexec")
def _keep_plaintext_in_memory(session: Session, _flush: UOWTransaction) -> None:
    for target, plain in session.info.pop(_PENDING, []):
        for column, value in plain.items():
            set_committed_value(target, column, value)


def open_rows(
    session: Session,
    model: type[Any],
    rows: Iterable[Any],
    subject_of: Callable[[Any], Subject],
    columns_of: Callable[[Any], Collection[str]] | None = None,
    make: Callable[[list[Any]], RowT] | None = None,
) -> list[RowT]:
    """Rows read without the ORM, with the model's sealed columns decrypted.

    Each row names its columns (``_fields``: a named tuple or a SQLAlchemy row) and
    needs the model's ``seal_id``; the keys of every subject in the rows are unwrapped
    with one query before any row is opened. ``columns_of`` names the sealed columns a
    row's reader is entitled to: only those are decrypted, and the others come back as
    None, so ciphertext never travels further and nothing is decrypted that the reader
    will not see. ``make`` builds each opened row from its values (by default, a row
    of the same named-tuple type). Positions are worked out once for all the rows: a
    chronology opens hundreds of them per request.
    """
    spec = _MODELS[model]
    found = list(rows)
    if not found:
        return []
    fields = found[0]._fields
    build: Callable[[list[Any]], RowT] = make or type(found[0])._make
    if "seal_id" not in fields:
        return [build(list(row)) for row in found]
    seal_at = fields.index("seal_id")
    sealed_at = [(fields.index(column), column) for column in spec.columns if column in fields]
    later = spec.sealed_since
    subjects = [subject_of(row) if row[seal_at] is not None else None for row in found]
    ring = keyring(session)
    ring.prefetch(subject for subject in subjects if subject is not None)
    keys: dict[Subject, Any] = {}
    opened: list[RowT] = []
    for row, subject in zip(found, subjects, strict=True):
        values = list(row)
        wanted = spec.columns if columns_of is None else columns_of(row)
        key = None
        if subject is not None:
            key = keys.get(subject)
            if key is None:
                key = keys[subject] = ring.for_reading(subject)
        seal_id = row[seal_at]
        for at, column in sealed_at:
            stored = values[at]
            if column not in wanted:
                values[at] = None
            elif (
                subject is not None
                and isinstance(stored, str)
                and (column not in later or is_sealed_text(stored))
            ):
                # A row stored before sealing existed has no seal and is read as it is,
                # as is a column sealed since that row was written.
                values[at] = reveal_with(key, subject, Place(spec.table, column, seal_id), stored)
        opened.append(build(values))
    return opened


def sealed_columns(model: type[Any]) -> tuple[str, ...]:
    return _MODELS[model].columns
