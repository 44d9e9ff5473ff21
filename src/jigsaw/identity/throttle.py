"""Lockout and back-off after failed sign-in attempts, shared by every app worker.

Every attempt is counted *before* its password or code is checked, in its own
short transaction holding the counter's row lock. So however many requests
arrive at once, at most ``threshold`` guesses are ever checked before the lock
falls: a burst cannot race past the limit. A check that succeeds gives its
count back (or clears the counter once the person is fully signed in).

After ``threshold`` failures the address is locked for ``lock_seconds``; each
further lockout doubles that, up to ``max_lock_seconds``. A day without
failures forgets the history. The counter is keyed by a keyed hash of the email
address, so an address with no account behaves exactly like one with an
account, and the table holds no addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Dialect, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jigsaw.clock import UK_TIME
from jigsaw.errors import NotSignedIn
from jigsaw.identity.models import SignInThrottle

QUIET_PERIOD = timedelta(days=1)


@dataclass(frozen=True)
class LockoutPolicy:
    threshold: int = 5
    lock_seconds: int = 15 * 60
    max_lock_seconds: int = 24 * 60 * 60

    def lock_length(self, lockouts: int) -> timedelta:
        """15 minutes for the first lockout, then 30, 60, … up to the maximum."""
        seconds = self.lock_seconds * 2 ** min(max(lockouts - 1, 0), 20)
        return timedelta(seconds=min(seconds, self.max_lock_seconds))


def when_to_retry(until: datetime, now: datetime) -> str:
    """GOV.UK style times in UK time: "2:45pm", or "9:05am on 3 March" if not today."""
    local, today = until.astimezone(UK_TIME), now.astimezone(UK_TIME)
    shown = local.replace(second=0, microsecond=0)
    if shown < local:  # round up: never invite a try that would still be refused
        shown += timedelta(minutes=1)
    hour = shown.hour % 12 or 12
    clock = f"{hour}:{shown.minute:02d}{'am' if shown.hour < 12 else 'pm'}"
    zone = "" if UK_TIME is not UTC else " UTC"
    if shown.date() == today.date():
        return f"{clock}{zone}"
    return f"{clock}{zone} on {shown.day} {shown:%B}"


class AccountLocked(NotSignedIn):
    """Too many failed attempts; says when to try again, never whether the account exists."""

    def __init__(self, until: datetime, now: datetime | None = None) -> None:
        self.until = until
        moment = now or datetime.now(UTC)
        super().__init__(
            "There have been too many attempts to sign in to this account. "
            f"Try again after {when_to_retry(until, moment)}."
        )

    def retry_after_seconds(self, now: datetime) -> int:
        return max(1, int((self.until - now).total_seconds() + 0.999))


@dataclass(frozen=True)
class Attempt:
    """The counter an attempt was recorded on, and the lock's end if it is locked."""

    throttle_id: int
    locked_until: datetime | None

    @property
    def refused(self) -> bool:
        return self.locked_until is not None


def _insert_missing(session: Session, key_hash: bytes, now: datetime) -> None:
    """Create the counter if absent; a concurrent creator wins quietly."""
    dialect: Dialect = session.get_bind().dialect
    values = {"key_hash": key_hash, "failures": 0, "lockouts": 0, "last_failure_at": now}
    if dialect.name == "postgresql":
        pg = postgresql.insert(SignInThrottle).values(**values)
        session.execute(pg.on_conflict_do_nothing(index_elements=["key_hash"]))
    else:
        lite = sqlite.insert(SignInThrottle).values(**values)
        session.execute(lite.on_conflict_do_nothing(index_elements=["key_hash"]))


def _locked_row(session: Session, key_hash: bytes, now: datetime) -> SignInThrottle:
    _insert_missing(session, key_hash, now)
    row = session.scalar(
        select(SignInThrottle)
        .where(SignInThrottle.key_hash == key_hash)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


def reserve(session: Session, key_hash: bytes, policy: LockoutPolicy, now: datetime) -> Attempt:
    """Count one attempt, or refuse it if the address is locked.

    Must run in its own transaction, committed before the guess is checked.
    """
    row = _locked_row(session, key_hash, now)
    if row.locked_until is not None and row.locked_until > now:
        return Attempt(row.id, row.locked_until)
    if row.last_failure_at < now - QUIET_PERIOD:
        row.failures, row.lockouts = 0, 0
    if row.failures >= policy.threshold:
        # Earlier attempts still in flight have used up the allowance.
        _lock(row, policy, now)
        return Attempt(row.id, row.locked_until)
    row.failures += 1
    row.last_failure_at = now
    return Attempt(row.id, None)


def _lock(row: SignInThrottle, policy: LockoutPolicy, now: datetime) -> None:
    row.lockouts += 1
    row.failures = 0
    row.locked_until = now + policy.lock_length(row.lockouts)


def failed(session: Session, key_hash: bytes, policy: LockoutPolicy, now: datetime) -> Attempt:
    """Confirm a reserved attempt failed; locks the address if that was one too many."""
    row = _locked_row(session, key_hash, now)
    row.last_failure_at = now
    if row.locked_until is not None and row.locked_until > now:
        return Attempt(row.id, row.locked_until)
    if row.failures >= policy.threshold:
        _lock(row, policy, now)
        return Attempt(row.id, row.locked_until)
    return Attempt(row.id, None)


def first_factor_passed(session: Session, key_hash: bytes, now: datetime) -> datetime | None:
    """Give back a reserved attempt whose password was right.

    The counter is only cleared once the second factor is also right, so knowing
    the password does not buy unlimited guesses at the code. Returns the lock's
    end if other attempts locked the address meanwhile (then this one fails too).
    """
    row = _locked_row(session, key_hash, now)
    if row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    row.failures = max(row.failures - 1, 0)
    return None


def fully_passed(session: Session, key_hash: bytes, now: datetime) -> datetime | None:
    """Clear the counter after a complete sign-in, unless a lock fell meanwhile."""
    row = _locked_row(session, key_hash, now)
    if row.locked_until is not None and row.locked_until > now:
        return row.locked_until
    session.delete(row)
    return None


def purge_stale(session: Session, now: datetime) -> None:
    """Forget counters with nothing to remember, so guessed addresses do not pile up."""
    session.execute(
        delete(SignInThrottle).where(
            SignInThrottle.last_failure_at < now - QUIET_PERIOD,
            (SignInThrottle.locked_until.is_(None)) | (SignInThrottle.locked_until < now),
        )
    )
