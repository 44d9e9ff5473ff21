"""Who may change the person index.

Linking decides whose information is seen together, so only the roles that
safeguarding arrangements trust with that judgement may confirm, reject or undo a
link: the MASH, designated safeguarding leads and administrators. Runs are jobs: the
system or an administrator starts them.
"""

from __future__ import annotations

from jigsaw.access.actor import Actor
from jigsaw.agencies.roles import Role
from jigsaw.errors import NotPermitted

REVIEWERS = frozenset({Role.MASH, Role.DSL, Role.ADMIN})
OPERATORS = frozenset({Role.ADMIN})


def require_reviewer(actor: Actor) -> None:
    if actor.is_system:
        return
    if actor.role not in REVIEWERS or not actor.mfa_verified:
        raise NotPermitted(
            "Only the MASH, a designated safeguarding lead or an administrator, signed in "
            "with a second factor, can change which records are linked."
        )


def require_operator(actor: Actor) -> None:
    if actor.is_system:
        return
    if actor.role not in OPERATORS or not actor.mfa_verified:
        raise NotPermitted("Only an administrator can start a linkage run.")
