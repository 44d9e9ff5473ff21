"""What a signed session cookie holds about signing in, and when it runs out.

The cookie is signed, not encrypted, so what this module keeps in it is only ids
and times, in epoch seconds (the pages keep beside them only the ids of drafts kept
on the server, ``web.drafts``, and the home list's search term): who, when the
session started (absolute expiry), when it was last used (idle expiry), when the
person last proved who they are (re-authentication) and when they passed the
second factor. Nothing here trusts the
cookie alone: the account is re-read from the database on every request.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

PRACTITIONER = "practitioner_id"
STARTED = "started_at"
SEEN = "seen_at"
AUTHENTICATED = "authenticated_at"
MFA_VERIFIED = "mfa_verified_at"
NEXT = "after_sign_in"
# Refreshing "last seen" re-sends the cookie; once a minute is precise enough.
TOUCH_EVERY_SECONDS = 60
# A password without its code is only good for finishing the sign-in, and briefly.
PENDING_SECOND_FACTOR_SECONDS = 10 * 60


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _moment(value: object) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return None


@dataclass(frozen=True)
class SessionState:
    practitioner_id: int
    started_at: datetime
    seen_at: datetime
    authenticated_at: datetime
    mfa_verified_at: datetime | None

    @property
    def mfa_verified(self) -> bool:
        return self.mfa_verified_at is not None

    def expired(self, now: datetime, max_age_seconds: int, idle_seconds: int) -> bool:
        too_old = (now - self.started_at).total_seconds() > max_age_seconds
        idle = (now - self.seen_at).total_seconds() > idle_seconds
        pending = (now - self.authenticated_at).total_seconds() > PENDING_SECOND_FACTOR_SECONDS
        return too_old or idle or (pending and not self.mfa_verified)


def read(session: MutableMapping[str, Any]) -> SessionState | None:
    """The sign-in state, or None if the session holds no (complete) sign-in."""
    practitioner_id = session.get(PRACTITIONER)
    started = _moment(session.get(STARTED))
    seen = _moment(session.get(SEEN))
    authenticated = _moment(session.get(AUTHENTICATED))
    if not isinstance(practitioner_id, int) or None in (started, seen, authenticated):
        return None
    assert started is not None and seen is not None and authenticated is not None
    return SessionState(
        practitioner_id, started, seen, authenticated, _moment(session.get(MFA_VERIFIED))
    )


def start(
    session: MutableMapping[str, Any],
    practitioner_id: int,
    now: datetime,
    *,
    mfa_verified: bool,
    keep: tuple[str, ...] = (),
) -> None:
    """A brand-new session for a sign-in: nothing planted before it survives.

    ``keep`` names keys worth carrying over (where to go after signing in).
    """
    kept = {k: session[k] for k in keep if k in session}
    session.clear()
    session.update(kept)
    session[PRACTITIONER] = practitioner_id
    session[STARTED] = session[SEEN] = session[AUTHENTICATED] = _epoch(now)
    session[MFA_VERIFIED] = _epoch(now) if mfa_verified else None


# Epoch seconds in a float keep about a microsecond; a millisecond is safely clear of it.
_AFTER_CUTOFF = timedelta(milliseconds=1)


def restart_after(
    session: MutableMapping[str, Any], practitioner_id: int, cutoff: datetime, now: datetime
) -> None:
    """A new, fully signed-in session that outlives ending every session until ``cutoff``.

    For the person who changed their password: the change ended all their sessions,
    this one included, and they carry on in a new one. It starts strictly after
    the cutoff even if the clock has not moved on since.
    """
    start(session, practitioner_id, max(now, cutoff + _AFTER_CUTOFF), mfa_verified=True)


def second_factor_passed(
    session: MutableMapping[str, Any], now: datetime, *, forget: tuple[str, ...] = ()
) -> None:
    """Mark the second factor; ``forget`` drops keys that must change with privilege."""
    session[MFA_VERIFIED] = session[SEEN] = _epoch(now)
    for key in forget:
        session.pop(key, None)


def reauthenticated(session: MutableMapping[str, Any], now: datetime) -> None:
    session[AUTHENTICATED] = session[MFA_VERIFIED] = session[SEEN] = _epoch(now)


def touch(session: MutableMapping[str, Any], state: SessionState, now: datetime) -> None:
    if (now - state.seen_at).total_seconds() >= TOUCH_EVERY_SECONDS:
        session[SEEN] = _epoch(now)


def safe_next(target: str | None) -> str:
    """Only paths on this site: never ``//evil.example`` or ``https://…``."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return "/"
    return target
