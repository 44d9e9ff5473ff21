"""Signing in: checks a password and records the attempt, success or not."""

from __future__ import annotations

from sqlalchemy import select

from jigsaw.access.actor import Actor
from jigsaw.access.passwords import verify_password
from jigsaw.agencies.models import Practitioner
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.errors import NotSignedIn


class SignInFailed(NotSignedIn):
    """Wrong email or password; deliberately does not say which."""


def actor_for(practitioner: Practitioner) -> Actor:
    return Actor(practitioner.id, practitioner.agency_id, practitioner.role)


def sign_in(db: Database, email: str, password: str) -> Actor:
    with db.transaction() as session:
        practitioner = session.scalar(
            select(Practitioner).where(Practitioner.email == email.strip().lower())
        )
        ok = verify_password(practitioner.password_hash if practitioner else None, password)
        if practitioner is None or not ok or not practitioner.active:
            if practitioner is not None:
                audit.append(
                    session,
                    actor_for(practitioner),
                    AuditAction.SIGN_IN_FAILED,
                    "practitioner",
                    practitioner.id,
                )
        else:
            actor = actor_for(practitioner)
            audit.append(session, actor, AuditAction.SIGNED_IN, "practitioner", practitioner.id)
            return actor
    raise SignInFailed("The email address or password is not right")


def load_actor(db: Database, practitioner_id: int) -> Actor:
    """Rebuild the actor from the database so a disabled account stops at once."""
    with db.sessions() as session:
        practitioner = session.get(Practitioner, practitioner_id)
        if practitioner is None or not practitioner.active:
            raise NotSignedIn("Your session has ended; sign in again")
        return actor_for(practitioner)
