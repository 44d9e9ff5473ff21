"""Who is acting: a signed-in practitioner, a system holding an API token, or the
service itself (imports, jobs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jigsaw.policy.roles import Role

RECENT_SIGN_IN = timedelta(minutes=5)
"""How recently a person must have proved who they are for a sensitive action."""


@dataclass(frozen=True)
class Actor:
    """The identity a request or job acts as, and how strongly it was proved.

    ``mfa_verified`` is False for a person who has given only a password: such an
    actor may finish signing in and nothing else. It defaults to False so an actor
    built without thinking is the weaker one. ``scopes`` is None for people (all
    that their role allows) and the token's scopes for systems. ``authenticated_at``
    is when a person last proved who they are, for actions that want it recent.
    """

    practitioner_id: int | None
    agency_id: int | None
    role: Role
    mfa_verified: bool = False
    scopes: frozenset[str] | None = None
    token_id: int | None = None
    authenticated_at: datetime | None = None

    @classmethod
    def system(cls) -> Actor:
        """Command-line and scheduled work run as the system; audited as such."""
        return cls(practitioner_id=None, agency_id=None, role=Role.SYSTEM, mfa_verified=True)

    @property
    def is_system(self) -> bool:
        return self.role is Role.SYSTEM

    @property
    def is_token(self) -> bool:
        """A system calling the API with a token, not a person with a session."""
        return self.token_id is not None

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    def signed_in_recently(self, now: datetime) -> bool:
        """A person who proved who they are within ``RECENT_SIGN_IN``; never a token.

        Services ask this themselves (through the policy) rather than trusting that a
        route asked first, so a page or job that forgets cannot skip it.
        """
        if self.is_token or self.authenticated_at is None:
            return False
        return self.authenticated_at >= now - RECENT_SIGN_IN
