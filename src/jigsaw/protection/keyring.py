"""Data keys per subject and the sealing of one field value under them.

The subject of a data key is an *agency record*: one agency's knowledge of a person.
Linkage merges and unmerges persons, but agency records never move, so keying by
agency record means a merge or unmerge re-encrypts nothing; and each agency is the
controller of its own record with its own retention schedule, so erasing one key
shreds exactly one agency's knowledge and nobody else's. Advice sought without
naming a child is keyed to the asking agency, and a break-glass reason to the agency
of the practitioner who gave it: neither is about one agency record.

A field is sealed in the one sealed-value form (``protection.envelope``) under its
data key, named by the key's row id, and bound by its associated data to the table,
the column and the row. Rows are inserted before the database gives them an id, and
write-once tables cannot be updated afterwards to add one, so the row is named by
``seal_id``: 128 random bits chosen in Python before the insert and stored beside the
ciphertext. Ciphertext copied to another row or column then fails to decrypt.

Unwrapped keys are cached for one unit of work (the session's transaction) and
forgotten when it ends, so an erasure takes effect at the next transaction of every
worker and no key outlives the work that needed it.
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction

from jigsaw.clock import utcnow
from jigsaw.errors import Conflict
from jigsaw.protection import envelope
from jigsaw.protection import master_key as keys
from jigsaw.protection.envelope import NotOpened, Sealer
from jigsaw.protection.master_key import (
    KEY_BYTES,
    NONCE_BYTES,
    MasterKey,
    WrappedKey,
)
from jigsaw.protection.models import DataKey
from jigsaw.sql import among

PREFIX = envelope.TEXT_MARK
"""How every sealed column value written now begins."""
LEGACY_PREFIX = "jgs1."
"""How a value sealed before the one sealed-value form begins: read, never written."""
_KEYRING_INFO = "jigsaw.keyring"
_LEGACY_FIELD_LABEL = "jigsaw/field/v1"
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
AGENCY_RECORD = "agency_record"
AGENCY = "agency"


class Unreadable(Exception):
    """A stored value does not decrypt where it is: moved, altered, or the wrong key."""


class Subject(NamedTuple):
    """Whose data key: an agency record, or an agency for what it holds itself.

    A tuple rather than a dataclass, like ``Place``: a chronology makes and looks up
    one per row it opens, and a tuple hashes and compares in C.
    """

    kind: str
    id: int

    @property
    def context(self) -> bytes:
        return f"{self.kind}:{self.id}".encode()


class Place(NamedTuple):
    """Where a value lives: table, column and the row's seal.

    A tuple rather than a dataclass: a chronology makes one per field it opens,
    1,500 a call, and a frozen dataclass costs three times as much to make.
    """

    table: str
    column: str
    seal_id: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column} (row sealed as {self.seal_id})"


def is_sealed_text(stored: str) -> bool:
    """Whether a column value is sealed (in the current form or the legacy one), not clear."""
    return stored.startswith((PREFIX, LEGACY_PREFIX))


@dataclass(frozen=True)
class OpenKey:
    """An unwrapped data key and the id of its row (the key id its values name)."""

    id: int
    key: bytes
    sealer: Sealer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sealer", Sealer(str(self.id), self.key))

    def seal(self, place: Place, plaintext: str, nonce: bytes | None = None) -> str:
        """Encrypt one value for one place; ``nonce`` only for derived (synthetic) values."""
        table, column, seal_id = place
        sealed = self.sealer.seal(f"{table}.{column}", seal_id, plaintext.encode(), nonce)
        return envelope.to_text(sealed)

    def open(self, place: Place, stored: str) -> str:
        try:
            if stored.startswith(PREFIX):
                table, column, seal_id = place
                raw = envelope.from_text(stored)
                return self.sealer.open(f"{table}.{column}", seal_id, raw).decode()
            if stored.startswith(LEGACY_PREFIX):
                return self._open_legacy(place, stored)
        except (NotOpened, InvalidTag, binascii.Error, ValueError):
            raise Unreadable(
                f"{place} does not decrypt under its data key: the value was moved from "
                "another row or column, altered, or sealed under another key"
            ) from None
        raise Unreadable(f"{place} holds a value that was never sealed")

    def _open_legacy(self, place: Place, stored: str) -> str:
        """A value sealed before the one form: ``jgs1.``, then nonce and ciphertext in
        URL-safe base64, the data key's id only in the associated data."""
        table, column, seal_id = place
        aad = f"{_LEGACY_FIELD_LABEL}\x00{table}\x00{column}\x00{seal_id}\x00{self.id}"
        raw = binascii.a2b_base64(stored[len(LEGACY_PREFIX) :].encode().translate(_FROM_URLSAFE))
        return self.sealer.cipher.decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode()
        ).decode()


@dataclass(frozen=True)
class Erased:
    """The subject's key was destroyed under the retention schedule."""

    on: date

    @property
    def marker(self) -> str:
        return f"[erased under the retention schedule on {self.on.day} {self.on:%B %Y}]"


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


class Keyring:
    """The data keys one unit of work has unwrapped, found or made on first use."""

    def __init__(self, session: Session, master: MasterKey) -> None:
        self.session = session
        self.master = master
        self._open: dict[Subject, OpenKey | Erased | None] = {}

    def _remember(self, subject: Subject, row: Any) -> None:
        found: OpenKey | Erased | None = None
        if row is not None:
            if row.wrapped is None or row.master_key_id is None:
                found = Erased((row.erased_at or utcnow()).date())
            else:
                wrapped = WrappedKey(row.master_key_id, row.wrapped)
                found = OpenKey(row.id, self.master.unwrap(wrapped, subject.context))
        self._open[subject] = found

    def _load(self, subjects: Iterable[Subject]) -> None:
        wanted = sorted({s for s in subjects if s not in self._open})
        by_kind: dict[str, list[int]] = {}
        for subject in wanted:
            by_kind.setdefault(subject.kind, []).append(subject.id)
        rows: dict[Subject, Any] = {}
        connection = self.session.connection()
        for kind, ids in by_kind.items():
            for start in range(0, len(ids), 1000):
                query = select(
                    DataKey.id,
                    DataKey.subject_id,
                    DataKey.master_key_id,
                    DataKey.wrapped,
                    DataKey.erased_at,
                ).where(DataKey.subject_kind == kind, among(DataKey.subject_id, "ids"))
                for row in connection.execute(query, {"ids": ids[start : start + 1000]}):
                    rows[Subject(kind, row.subject_id)] = row
        for subject in wanted:
            self._remember(subject, rows.get(subject))

    def for_reading(self, subject: Subject) -> OpenKey | Erased | None:
        """The subject's key, the date it was erased, or None if nothing was ever sealed."""
        if subject not in self._open:
            self._load([subject])
        return self._open[subject]

    def prefetch(self, subjects: Iterable[Subject]) -> None:
        """Unwrap many subjects' keys with one query (lists and chronologies)."""
        self._load(subjects)

    def for_writing(self, subject: Subject) -> OpenKey:
        return self.for_writing_many([subject])[subject]

    def for_writing_many(
        self, subjects: Iterable[Subject], make: Callable[[Subject], bytes] | None = None
    ) -> dict[Subject, OpenKey]:
        """Keys to seal new values with, making (and wrapping) any that do not exist yet.

        Concurrent first writes about one subject both insert; the database keeps the
        first (``ON CONFLICT DO NOTHING``) and the other reads that key back instead of
        its own. A subject erased under the retention schedule takes no new information.
        """
        wanted = sorted(set(subjects))
        self._load(wanted)
        missing = [s for s in wanted if self._open[s] is None]
        if missing:
            now = utcnow()
            plain = {subject: (make or _random)(subject) for subject in missing}
            values = []
            for subject in missing:
                wrapped = self.master.wrap(plain[subject], subject.context)
                values.append(
                    {
                        "subject_kind": subject.kind,
                        "subject_id": subject.id,
                        "master_key_id": wrapped.key_id,
                        "wrapped": wrapped.wrapped,
                        "created_at": now,
                    }
                )
            dialect = self.session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            made = self.session.connection().execute(
                insert(DataKey)
                .on_conflict_do_nothing(index_elements=["subject_kind", "subject_id"])
                .returning(DataKey.id, DataKey.subject_kind, DataKey.subject_id),
                values,
            )
            for key_id, kind, subject_id in made:
                subject = Subject(kind, subject_id)
                self._open[subject] = OpenKey(key_id, plain[subject])
            # Another transaction made these first: use the key it made.
            lost = [s for s in missing if self._open[s] is None]
            for subject in lost:
                del self._open[subject]
            self._load(lost)
        found: dict[Subject, OpenKey] = {}
        for subject in wanted:
            key = self._open[subject]
            if isinstance(key, Erased):
                raise Conflict(
                    f"This record was erased under the retention schedule on {key.on}; "
                    "nothing more can be recorded on it"
                )
            assert key is not None
            found[subject] = key
        return found


def _random(_subject: Subject) -> bytes:
    return new_data_key()


def keyring(session: Session) -> Keyring:
    """The session's keyring, made on first use and dropped when its transaction ends."""
    ring = session.info.get(_KEYRING_INFO)
    if not isinstance(ring, Keyring):
        master = keys.key_of(session.info)
        ring = session.info[_KEYRING_INFO] = Keyring(session, master)
    return ring


@event.listens_for(Session, "after_transaction_end")
def _forget_keys(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_KEYRING_INFO, None)


def reveal(ring: Keyring, subject: Subject, place: Place, stored: str) -> str:
    """The plaintext of a stored value, or the erasure marker if its key was shredded."""
    return reveal_with(ring.for_reading(subject), subject, place, stored)


def reveal_with(key: OpenKey | Erased | None, subject: Subject, place: Place, stored: str) -> str:
    """As ``reveal``, with the subject's key already found (one look-up per row)."""
    if isinstance(key, Erased):
        return key.marker
    if key is None:
        raise Unreadable(f"{place} is sealed, but {subject.kind} {subject.id} has no data key")
    return key.open(place, stored)
