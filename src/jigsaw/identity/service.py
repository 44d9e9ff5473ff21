"""Signing in and proving it: password, second factor, single sign-on, re-authentication,
and changing or resetting a password.

Every attempt, success or not, is recorded in the audit log (ids only). Failures
count towards a lockout held in the database (``throttle``), so all app workers
agree. A person is only fully signed in once a second factor is verified: the
password alone yields an actor with ``mfa_verified=False``, which the web edge
lets do nothing but finish signing in.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from jigsaw import events
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import not_a_person_read
from jigsaw.clock import utcnow
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.errors import (
    Conflict,
    InvalidInput,
    Misconfigured,
    NotFound,
    NotPermitted,
    NotSignedIn,
)
from jigsaw.identity import throttle, totp
from jigsaw.identity.account_keys import AccountKeys, SecretUnreadable
from jigsaw.identity.events import AccountChanged
from jigsaw.identity.models import ENROLMENT_PURPOSE, RESET_PURPOSE, PasswordReset, Practitioner
from jigsaw.identity.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.identity.throttle import AccountLocked, LockoutPolicy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import (
    OWN_ACCOUNT_REFUSAL,
    AccountChangeKind,
    Permission,
    may_change_account,
    refusal,
)
from jigsaw.policy.roles import Role
from jigsaw.protection.master_key import master_key_for

__all__ = [
    "AccountConfig",
    "AccountLocked",
    "CodeRefused",
    "IssuedReset",
    "PasswordChecked",
    "ResetRefused",
    "SessionEnded",
    "SignInFailed",
]


class SignInFailed(NotSignedIn):
    """Wrong email or password; deliberately does not say which."""


class CodeRefused(NotSignedIn):
    """The second-factor code was wrong, expired or already used."""


class SessionEnded(NotSignedIn):
    """The session was signed out, expired, or its account was disabled."""


class ResetRefused(NotSignedIn):
    """A password reset code that is wrong, expired, used, or not for this address."""


WRONG_PASSWORD = "The email address or password is not right"  # noqa: S105 (a message)
WRONG_CODE = "The code is not right, or it has already been used. Wait for a new code"
WRONG_RESET_CODE = (
    "The email address or reset code is not right, or the code has expired or been used. "
    "Ask your administrator for a new code if you need one"
)
WRONG_CURRENT_PASSWORD = "Your current password is not right"  # noqa: S105 (a message)
SYSTEM = Actor.system()
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountConfig:
    """What account services need beyond the database: keys and lockout numbers."""

    keys: AccountKeys
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> AccountConfig:
        return cls(
            keys=AccountKeys.from_secret(settings.secret_key, master_key_for(settings)),
            lockout=LockoutPolicy(
                threshold=settings.lockout_threshold,
                lock_seconds=settings.lockout_seconds,
                max_lock_seconds=settings.lockout_max_seconds,
            ),
        )


@dataclass(frozen=True)
class PasswordChecked:
    """The first factor passed. ``enrolled`` says whether a second factor is set up."""

    actor: Actor
    enrolled: bool


def actor_for(
    practitioner: Practitioner,
    *,
    mfa_verified: bool = False,
    authenticated_at: datetime | None = None,
) -> Actor:
    return Actor(
        practitioner.id,
        practitioner.agency_id,
        practitioner.role,
        mfa_verified=mfa_verified,
        authenticated_at=authenticated_at,
    )


def _by_email(session: Session, email: str) -> Practitioner | None:
    return session.scalar(select(Practitioner).where(Practitioner.email == email.strip().lower()))


def _subject(practitioner: Practitioner | None, throttle_id: int) -> tuple[Actor, str, int]:
    """Whom an attempt is audited against: the account, or only its counter if none."""
    if practitioner is None:
        return SYSTEM, "sign_in_throttle", throttle_id
    return actor_for(practitioner), "practitioner", practitioner.id


def _reserve(
    db: Database, config: AccountConfig, email: str, now: datetime
) -> tuple[bytes, throttle.Attempt]:
    """Count the attempt before checking it; refuse (and record it) if locked."""
    key = config.keys.throttle_key_for(email)
    with db.independent() as session:
        reservation = throttle.reserve(session, key, config.lockout, now)
        if reservation.refused:
            actor, kind, ident = _subject(_by_email(session, email), reservation.throttle_id)
            audit.append(session, actor, AuditAction.SIGN_IN_REFUSED_LOCKED, kind, ident)
    if reservation.locked_until is not None:
        raise AccountLocked(reservation.locked_until, now)
    return key, reservation


def _record_failure(
    db: Database,
    config: AccountConfig,
    email: str,
    action: AuditAction,
    now: datetime,
    refs: dict[str, int | str] | None = None,
) -> datetime | None:
    """Confirm a failed attempt; returns when the lock ends if this one caused it."""
    key = config.keys.throttle_key_for(email)
    with db.independent() as session:
        attempt = throttle.failed(session, key, config.lockout, now)
        locked_until = attempt.locked_until
        actor, kind, ident = _subject(_by_email(session, email), attempt.throttle_id)
        audit.append(session, actor, action, kind, ident, refs=refs)
        if locked_until is not None:
            audit.append(
                session,
                actor,
                AuditAction.ACCOUNT_LOCKED,
                kind,
                ident,
                refs={"until": locked_until.isoformat(timespec="seconds")},
            )
        throttle.purge_stale(session, now)
    return locked_until


def _fail(
    db: Database,
    config: AccountConfig,
    email: str,
    action: AuditAction,
    error: NotSignedIn,
    now: datetime,
    refs: dict[str, int | str] | None = None,
) -> NotSignedIn:
    """The exception to raise for a failed attempt: the lockout if it just fell."""
    locked_until = _record_failure(db, config, email, action, now, refs)
    return AccountLocked(locked_until, now) if locked_until is not None else error


# The first factor


def check_password(
    db: Database, config: AccountConfig, email: str, password: str, now: datetime | None = None
) -> PasswordChecked:
    """Check an email and password; the result still needs a second factor.

    The argon2 check runs outside any transaction, so a slow hash never holds a
    database lock; the attempt was already counted, so it cannot dodge the limit.
    """
    now = now or utcnow()
    key, _ = _reserve(db, config, email, now)
    with db.reading() as session:
        found = _by_email(session, email)
        stored = found.password_hash if found else None
        usable = found is not None and found.active and not found.service_account
    if not (verify_password(stored, password) and usable):
        raise _fail(
            db, config, email, AuditAction.SIGN_IN_FAILED, SignInFailed(WRONG_PASSWORD), now
        )
    with db.independent() as session:
        locked_until = throttle.first_factor_passed(session, key, now)
        practitioner = _by_email(session, email)
        assert practitioner is not None and practitioner.password_hash is not None
        if locked_until is None and needs_rehash(practitioner.password_hash):
            practitioner.password_hash = hash_password(password)
            audit.append(
                session,
                actor_for(practitioner),
                AuditAction.PASSWORD_REHASHED,
                "practitioner",
                practitioner.id,
            )
        result = PasswordChecked(
            actor_for(practitioner, authenticated_at=now),
            enrolled=practitioner.totp_enrolled_at is not None,
        )
    if locked_until is not None:
        raise AccountLocked(locked_until, now)
    return result


# The second factor


def _active(session: Session, practitioner_id: int) -> Practitioner:
    practitioner = session.get(Practitioner, practitioner_id)
    if practitioner is None or not practitioner.active:
        raise SessionEnded("Your session has ended; sign in again")
    return practitioner


def _use_step(session: Session, practitioner_id: int, step: int) -> bool:
    """Record the time step as used, unless it (or a later one) already was.

    One conditional UPDATE, so two workers given the same code at once cannot
    both accept it: only one of them changes the row.
    """
    result = session.execute(
        update(Practitioner)
        .where(
            Practitioner.id == practitioner_id,
            (Practitioner.totp_last_step.is_(None)) | (Practitioner.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def _code_attempt(
    db: Database,
    config: AccountConfig,
    practitioner_id: int,
    code: str,
    now: datetime,
    *,
    enrolling: bool,
    password: str | None = None,
) -> Practitioner:
    """One counted attempt at a code (and, for re-authentication, the password).

    On success the counter is cleared and the practitioner returned inside no
    transaction; on failure the failure is recorded and the right error raised.
    """
    with db.reading() as session:
        practitioner = _active(session, practitioner_id)
        email, sealed = practitioner.email, practitioner.totp_secret
        enrolled = practitioner.totp_enrolled_at is not None
        stored_hash = practitioner.password_hash
    if enrolling and enrolled:
        raise Conflict("A second factor is already set up for this account")
    if not enrolling and not enrolled:
        raise Conflict("Set up a second factor before signing in with a code")
    if sealed is None:
        raise Conflict("Start setting up a second factor first")
    secret = _readable_secret(config, practitioner_id, sealed)
    key, _ = _reserve(db, config, email, now)
    step = totp.matching_step(secret, code, now)
    password_ok = password is None or verify_password(stored_hash, password)
    locked_until = None
    with db.independent() as session:
        accepted = step is not None and password_ok and _use_step(session, practitioner_id, step)
        if accepted:
            locked_until = throttle.fully_passed(session, key, now)
            practitioner = _active(session, practitioner_id)
            if locked_until is None and enrolling:
                practitioner.totp_enrolled_at = now
                audit.append(
                    session,
                    actor_for(practitioner),
                    AuditAction.SECOND_FACTOR_ENROLLED,
                    "practitioner",
                    practitioner.id,
                )
    if not accepted:
        action = AuditAction.SECOND_FACTOR_FAILED if password_ok else AuditAction.SIGN_IN_FAILED
        message = WRONG_CODE if password is None else "The password or code is not right"
        raise _fail(db, config, email, action, CodeRefused(message), now)
    if locked_until is not None:
        raise AccountLocked(locked_until, now)
    return practitioner


def _readable_secret(config: AccountConfig, practitioner_id: int, sealed: bytes) -> str:
    """The stored second-factor secret, or a loud configuration error.

    A secret that does not open means the deployment's keys are wrong (a retired
    master key removed before ``jigsaw protection rewrap`` finished, or a changed
    secret key), not that the person typed a wrong code: it is logged for the
    operator, answered as 503, and counts toward no lockout.
    """
    try:
        return config.keys.open_totp_secret(practitioner_id, sealed)
    except SecretUnreadable:
        _log.error(
            "The second-factor secret of practitioner %d cannot be opened with the configured "
            "master and secret keys; restore the retired master key and run "
            "`jigsaw protection rewrap`",
            practitioner_id,
        )
        raise Misconfigured(
            "Signing in with a code is not working because of a problem with the service's "
            "keys. Nothing was counted against your account; tell your service desk."
        ) from None


def _signed_in(
    db: Database, practitioner: Practitioner, action: AuditAction, method: str, now: datetime
) -> Actor:
    actor = actor_for(practitioner, mfa_verified=True, authenticated_at=now)
    with db.independent() as session:
        audit.append(
            session, actor, action, "practitioner", practitioner.id, refs={"method": method}
        )
    return actor


def verify_code(
    db: Database,
    config: AccountConfig,
    practitioner_id: int,
    code: str,
    now: datetime | None = None,
    *,
    method: str = "password+totp",
) -> Actor:
    """The second step of signing in: a code from the enrolled authenticator."""
    now = now or utcnow()
    practitioner = _code_attempt(db, config, practitioner_id, code, now, enrolling=False)
    return _signed_in(db, practitioner, AuditAction.SIGNED_IN, method, now)


@dataclass(frozen=True)
class Enrolment:
    """What the set-up page shows: the secret, and the address its QR code holds."""

    secret: str
    uri: str


def start_enrolment(db: Database, config: AccountConfig, practitioner_id: int) -> Enrolment:
    """A secret for the practitioner to add to an authenticator app.

    It is stored (encrypted) but pending until a code confirms it. Asking again
    shows the same secret, so reloading the page never invalidates a QR code
    that was already scanned, whichever app worker answers.
    """
    with db.independent() as session:
        practitioner = _active(session, practitioner_id)
        if practitioner.totp_enrolled_at is not None:
            raise Conflict("A second factor is already set up for this account")
        secret = None
        if practitioner.totp_secret is not None:
            try:
                secret = config.keys.open_totp_secret(practitioner.id, practitioner.totp_secret)
            except SecretUnreadable:
                secret = None
        if secret is None:
            secret = totp.new_secret()
            practitioner.totp_secret = config.keys.seal_totp_secret(practitioner.id, secret)
            practitioner.totp_last_step = None
        return Enrolment(secret, totp.provisioning_uri(secret, practitioner.email))


def confirm_enrolment(
    db: Database,
    config: AccountConfig,
    practitioner_id: int,
    code: str,
    now: datetime | None = None,
    *,
    method: str = "password+totp",
) -> Actor:
    """A first code from the new authenticator proves it is set up; sign-in completes."""
    now = now or utcnow()
    practitioner = _code_attempt(db, config, practitioner_id, code, now, enrolling=True)
    return _signed_in(db, practitioner, AuditAction.SIGNED_IN, method, now)


def reauthenticate(
    db: Database,
    config: AccountConfig,
    practitioner_id: int,
    password: str,
    code: str,
    now: datetime | None = None,
) -> Actor:
    """Prove again, with both factors, before a sensitive action."""
    now = now or utcnow()
    practitioner = _code_attempt(
        db, config, practitioner_id, code, now, enrolling=False, password=password
    )
    return _signed_in(db, practitioner, AuditAction.REAUTHENTICATED, "password+totp", now)


# Single sign-on


def sign_in_federated(
    db: Database,
    config: AccountConfig,
    email: str,
    *,
    provider_did_mfa: bool,
    now: datetime | None = None,
) -> PasswordChecked:
    """An identity provider vouched for this email: find the active account.

    No account is ever created here; an administrator adds practitioners. If the
    provider says it used a second factor the sign-in is complete, otherwise the
    practitioner still gives a code from their Jigsaw authenticator.
    """
    now = now or utcnow()
    key, _ = _reserve(db, config, email, now)
    with db.reading() as session:
        found = _by_email(session, email)
        usable = found is not None and found.active and not found.service_account
    if not usable:
        raise _fail(
            db,
            config,
            email,
            AuditAction.SIGN_IN_FAILED,
            SignInFailed("There is no Jigsaw account for the email address you signed in with"),
            now,
            refs={"method": "oidc"},
        )
    with db.independent() as session:
        practitioner = _by_email(session, email)
        assert practitioner is not None
        if provider_did_mfa:
            locked_until = throttle.fully_passed(session, key, now)
        else:
            locked_until = throttle.first_factor_passed(session, key, now)
        enrolled = practitioner.totp_enrolled_at is not None
    if locked_until is not None:
        raise AccountLocked(locked_until, now)
    if provider_did_mfa:
        actor = _signed_in(db, practitioner, AuditAction.SIGNED_IN, "oidc+mfa", now)
        return PasswordChecked(actor, enrolled)
    return PasswordChecked(actor_for(practitioner, authenticated_at=now), enrolled)


# Sessions


def load_actor(
    db: Database,
    practitioner_id: int,
    *,
    started_at: datetime | None = None,
    mfa_verified: bool = False,
    authenticated_at: datetime | None = None,
) -> Actor:
    """Rebuild the actor from the database so a disabled account stops at once.

    A session started before the account's last sign-out is over too.
    """
    with db.reading() as session:
        practitioner = session.get(Practitioner, practitioner_id)
        if practitioner is None or not practitioner.active or practitioner.service_account:
            raise SessionEnded("Your session has ended; sign in again")
        cutoff = practitioner.sessions_valid_after
        if cutoff is not None and (started_at is None or started_at <= cutoff):
            raise SessionEnded("You have signed out; sign in again")
        return actor_for(practitioner, mfa_verified=mfa_verified, authenticated_at=authenticated_at)


def end_sessions(db: Database, practitioner_id: int, now: datetime | None = None) -> None:
    """Sign out: every session this account started until now stops working.

    The cookie is cleared too, but a copy of it (a shared computer, a proxy log)
    would otherwise stay valid until it expired.
    """
    now = now or utcnow()
    with db.independent() as session:
        practitioner = session.get(Practitioner, practitioner_id)
        if practitioner is None:
            return
        practitioner.sessions_valid_after = now
        audit.append(
            session,
            actor_for(practitioner),
            AuditAction.SIGNED_OUT,
            "practitioner",
            practitioner.id,
        )


def has_password(db: Database, practitioner_id: int) -> bool:
    """Accounts made for single sign-on may have none; they confirm it's them there."""
    with db.reading() as session:
        practitioner = session.get(Practitioner, practitioner_id)
        return practitioner is not None and practitioner.password_hash is not None


def second_factor_enrolled(db: Database, practitioner_id: int) -> bool:
    with db.reading() as session:
        practitioner = session.get(Practitioner, practitioner_id)
        return practitioner is not None and practitioner.totp_enrolled_at is not None


# Administration


def set_second_factor(
    db: Database, actor: Actor, config: AccountConfig, practitioner_id: int, secret: str
) -> None:
    """Enrol a known secret for a practitioner (demo accounts, provisioning, tests).

    Used where the secret is handed over some other way, for example printed for
    a demo; people normally enrol themselves by scanning a QR code.
    """
    if not totp.is_valid_secret(secret):
        raise InvalidInput.one("secret", "Enter a base32 secret of 128 bits or more")
    with db.independent() as session:
        practitioner = account_to_change(session, actor, practitioner_id, person_only=True)
        practitioner.totp_secret = config.keys.seal_totp_secret(practitioner.id, secret)
        practitioner.totp_enrolled_at = utcnow()
        practitioner.totp_last_step = None
        audit.append(
            session, actor, AuditAction.SECOND_FACTOR_ENROLLED, "practitioner", practitioner.id
        )


def reset_second_factor(db: Database, actor: Actor, practitioner_id: int) -> None:
    """Forget a lost authenticator: the practitioner enrols again at next sign-in.

    Their current sessions end as well, since one may be on the lost device.
    """
    with db.independent() as session:
        practitioner = account_to_change(session, actor, practitioner_id, person_only=True)
        practitioner.totp_secret = None
        practitioner.totp_enrolled_at = None
        practitioner.totp_last_step = None
        practitioner.sessions_valid_after = utcnow()
        audit.append(
            session,
            actor,
            AuditAction.SECOND_FACTOR_RESET,
            "practitioner",
            practitioner.id,
            refs={"agency": practitioner.agency_id},
        )
        tell_oversight(
            session,
            actor,
            practitioner.agency_id,
            "practitioner",
            practitioner.id,
            holder_id=practitioner.id,
        )


# Passwords: changing one, and resetting a forgotten one

RESET_CODE_LIFETIME = timedelta(hours=24)
ENROLMENT_CODE_LIFETIME = timedelta(days=7)
"""Long enough for a new starter's first week; the code is single-use and its holder
still sets up an authenticator at first sign-in."""
# Crockford's base32: no I, L, O or U, so a code read out over the phone is not misheard.
_RESET_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RESET_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
RESET_CODE_GROUPS = 4
RESET_CODE_GROUP_LENGTH = 4


@dataclass(frozen=True)
class IssuedReset:
    """The code, shown once to the administrator who passes it on in person or by phone."""

    practitioner_id: int
    code: str
    expires_at: datetime


def _about(practitioner: Practitioner) -> list[str]:
    """Words about the practitioner that their password must not be made of."""
    return [practitioner.name, practitioner.email]


def _require_new_password(field_name: str, password: str, about: list[str]) -> None:
    problem = password_problem(password, about)
    if problem is not None:
        raise InvalidInput.one(field_name, problem)


def _new_reset_code() -> str:
    groups = (
        "".join(secrets.choice(_RESET_ALPHABET) for _ in range(RESET_CODE_GROUP_LENGTH))
        for _ in range(RESET_CODE_GROUPS)
    )
    return "-".join(groups)


def _reset_code_hash(code: str) -> bytes:
    """Hash the code as typed, forgiving spaces, dashes, case and look-alike letters.

    Codes carry 80 random bits, so a plain SHA-256 is enough: there is nothing
    small to search, unlike a password.
    """
    typed = "".join(code.split()).replace("-", "").upper().translate(_RESET_LOOKALIKES)
    return hashlib.sha256(typed.encode()).digest()


def _cancel_open_resets(session: Session, practitioner_id: int, now: datetime) -> None:
    session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.practitioner_id == practitioner_id,
            PasswordReset.used_at.is_(None),
            PasswordReset.cancelled_at.is_(None),
        )
        .values(cancelled_at=now)
        .execution_options(synchronize_session=False)
    )


def change_password(
    db: Database,
    config: AccountConfig,
    actor: Actor,
    current_password: str,
    new_password: str,
    now: datetime | None = None,
) -> datetime:
    """A practitioner replaces their own password, giving the current one first.

    Wrong current passwords count towards the same lockout as signing in. Every
    session started before the change stops working (one may be someone else's);
    the caller starts a new one for the person who made the change. Returns the
    moment older sessions ended.
    """
    if actor.practitioner_id is None or actor.is_token or not actor.mfa_verified:
        raise NotPermitted("Only a person signed in with a second factor can change a password.")
    now = now or utcnow()
    with db.reading() as session:
        practitioner = _active(session, actor.practitioner_id)
        email, stored, about = practitioner.email, practitioner.password_hash, _about(practitioner)
    _require_new_password("new_password", new_password, about)
    key, _ = _reserve(db, config, email, now)
    if not verify_password(stored, current_password):
        locked_until = _record_failure(
            db,
            config,
            email,
            AuditAction.SIGN_IN_FAILED,
            now,
            refs={"method": "password_change"},
        )
        if locked_until is not None:
            raise AccountLocked(locked_until, now)
        raise InvalidInput.one("current_password", WRONG_CURRENT_PASSWORD)
    if hmac.compare_digest(current_password.encode(), new_password.encode()):
        with db.independent() as session:
            throttle.first_factor_passed(session, key, now)
        raise InvalidInput.one(
            "new_password", "Your new password must be different from your current one"
        )
    new_hash = hash_password(new_password)
    with db.independent() as session:
        locked_until = throttle.first_factor_passed(session, key, now)
        if locked_until is None:
            practitioner = _active(session, actor.practitioner_id)
            practitioner.password_hash = new_hash
            practitioner.sessions_valid_after = now
            _cancel_open_resets(session, practitioner.id, now)
            audit.append(
                session, actor, AuditAction.PASSWORD_CHANGED, "practitioner", practitioner.id
            )
    if locked_until is not None:
        raise AccountLocked(locked_until, now)
    return now


def account_to_change(
    session: Session, actor: Actor, practitioner_id: int, *, person_only: bool = False
) -> Practitioner:
    """The account whose password or second factor ``actor`` is about to reset, once the
    policy allows it (rules A1a, F7, F8: never their own, never by the service
    administrator, a cross-agency role's only from the command line).

    Another agency's account answers exactly like a missing one to an administrator;
    anyone else is told they may not. ``person_only`` refuses service accounts, which
    have no password or second factor to give or reset.
    """
    practitioner = session.get(Practitioner, practitioner_id)
    if practitioner is None or not practitioner.active:
        raise NotFound("practitioner", practitioner_id)
    if not may_change_account(
        actor,
        practitioner.agency_id,
        practitioner.role,
        service_account=practitioner.service_account,
        change=AccountChangeKind.RESET,
        subject_id=practitioner.id,
    ):
        if practitioner.id == actor.practitioner_id:
            raise NotPermitted(OWN_ACCOUNT_REFUSAL)
        if practitioner.agency_id != actor.agency_id and may_change_account(
            actor, actor.agency_id, Role.PRACTITIONER
        ):
            raise NotFound("practitioner", practitioner_id)
        raise NotPermitted(refusal(Permission.MANAGE_PRACTITIONERS))
    if person_only and practitioner.service_account:
        raise Conflict(
            "A service account has no password or second factor; it is used only through API tokens"
        )
    return practitioner


def tell_oversight(
    session: Session,
    actor: Actor,
    agency_id: int,
    object_type: str,
    object_id: int,
    *,
    accountable: Sequence[tuple[int, int | None]] | None = None,
    holder_id: int | None = None,
) -> None:
    """Tell the agency's accountable person that who can act in it has changed.

    ``accountable`` is who was accountable *before* the change, found by a caller that
    changes roles: otherwise an administrator demoting the Data Protection Officer would
    be telling themselves. ``holder_id`` is the person whose account it is, told too, so
    a change nobody accountable sees is still seen by the one it was done to.

    Changes made from the command line (the data controller provisioning, the demo, the
    synthetic directory) are on the alert list like any other but notify no one: there
    is no person to question about them.
    """
    if actor.is_system:
        return
    events.publish(
        session,
        AccountChanged(
            actor,
            agency_id,
            object_type,
            object_id,
            accountable=None if accountable is None else tuple(accountable),
            holder_id=holder_id,
        ),
    )


@not_a_person_read(
    "A colleague's name as staff, for an administrator about to issue them a reset code"
)
def practitioner_to_reset(db: Database, actor: Actor, practitioner_id: int) -> str:
    """The name of the practitioner an administrator is about to give a reset code."""
    with db.reading() as session:
        return account_to_change(session, actor, practitioner_id, person_only=True).name


def issue_password_reset(
    db: Database, actor: Actor, practitioner_id: int, now: datetime | None = None
) -> IssuedReset:
    """A one-time code with which a practitioner who forgot their password sets a new one.

    The administrator passes the code on after checking who is asking (an agency
    procedure); they never choose or see the new password. Any earlier code for
    the same practitioner stops working.
    """
    now = now or utcnow()
    with db.independent() as session:
        practitioner = account_to_change(session, actor, practitioner_id, person_only=True)
        issued, reset_id = issue_one_time_code(session, actor, practitioner, RESET_PURPOSE, now)
        audit.append(
            session,
            actor,
            AuditAction.PASSWORD_RESET_ISSUED,
            "practitioner",
            practitioner.id,
            refs={"password_reset": reset_id, "agency": practitioner.agency_id},
        )
        tell_oversight(
            session,
            actor,
            practitioner.agency_id,
            "practitioner",
            practitioner.id,
            holder_id=practitioner.id,
        )
        return issued


def issue_one_time_code(
    session: Session, actor: Actor, practitioner: Practitioner, purpose: str, now: datetime
) -> tuple[IssuedReset, int]:
    """A code with which the account's holder sets their own password, and its row's id.

    A reset code (24 hours) for a forgotten password, or an enrolment code (a week) for
    a new account's first one: the same single-use, hashed code, so nobody but its
    holder ever chooses or learns the password. Any earlier open code stops working.
    The caller checks the policy and writes the audit entry.
    """
    code = _new_reset_code()
    _cancel_open_resets(session, practitioner.id, now)
    lifetime = ENROLMENT_CODE_LIFETIME if purpose == ENROLMENT_PURPOSE else RESET_CODE_LIFETIME
    reset = PasswordReset(
        practitioner_id=practitioner.id,
        code_hash=_reset_code_hash(code),
        issued_by_id=actor.practitioner_id,
        issued_at=now,
        expires_at=now + lifetime,
        purpose=purpose,
    )
    session.add(reset)
    session.flush()
    return IssuedReset(practitioner.id, code, reset.expires_at), reset.id


@dataclass(frozen=True)
class _MatchedReset:
    practitioner_id: int
    reset_id: int
    about: list[str]


def _open_reset(session: Session, email: str, code: str, now: datetime) -> _MatchedReset | None:
    """The practitioner's unused, unexpired code that matches, if the address has one."""
    practitioner = _by_email(session, email)
    if practitioner is None or not practitioner.active:
        return None
    wanted = _reset_code_hash(code)
    open_resets = session.scalars(
        select(PasswordReset).where(
            PasswordReset.practitioner_id == practitioner.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.cancelled_at.is_(None),
            PasswordReset.expires_at > now,
        )
    )
    for reset in open_resets:
        if hmac.compare_digest(reset.code_hash, wanted):
            return _MatchedReset(practitioner.id, reset.id, _about(practitioner))
    return None


def use_password_reset(
    db: Database,
    config: AccountConfig,
    email: str,
    code: str,
    new_password: str,
    now: datetime | None = None,
) -> None:
    """Set a new password with a reset code; nobody is signed in by it.

    Guesses at codes count towards the same lockout as sign-in attempts for that
    address, and unknown addresses are answered exactly like known ones. Using a
    code ends every open session and leaves the second factor as it was, so the
    next sign-in still asks for the authenticator code.
    """
    now = now or utcnow()
    _require_new_password("new_password", new_password, [])
    key, _ = _reserve(db, config, email, now)
    with db.reading() as session:
        found = _open_reset(session, email, code, now)
    if found is None:
        raise _fail(
            db,
            config,
            email,
            AuditAction.PASSWORD_RESET_FAILED,
            ResetRefused(WRONG_RESET_CODE),
            now,
        )
    problem = password_problem(new_password, found.about)
    new_hash = hash_password(new_password) if problem is None else None
    used = False
    with db.independent() as session:
        locked_until = throttle.first_factor_passed(session, key, now)
        if locked_until is None and new_hash is not None:
            used = _use_reset(session, found.reset_id, now)
            if used:
                practitioner = _active(session, found.practitioner_id)
                practitioner.password_hash = new_hash
                practitioner.sessions_valid_after = now
                audit.append(
                    session,
                    actor_for(practitioner),
                    AuditAction.PASSWORD_RESET_USED,
                    "practitioner",
                    practitioner.id,
                    refs={"password_reset": found.reset_id},
                )
    if locked_until is not None:
        raise AccountLocked(locked_until, now)
    if problem is not None:
        raise InvalidInput.one("new_password", problem)
    if not used:
        raise ResetRefused(WRONG_RESET_CODE)


def _use_reset(session: Session, reset_id: int, now: datetime) -> bool:
    """Mark the code used, unless another request used or cancelled it first.

    One conditional UPDATE, so two workers given the same code cannot both use it.
    """
    result = session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.id == reset_id,
            PasswordReset.used_at.is_(None),
            PasswordReset.cancelled_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def get_practitioner(db: Database, practitioner_id: int) -> PractitionerOut:
    with db.reading() as session:
        practitioner = session.get(Practitioner, practitioner_id)
        if practitioner is None:
            raise NotFound("practitioner", practitioner_id)
        return PractitionerOut.model_validate(practitioner)
