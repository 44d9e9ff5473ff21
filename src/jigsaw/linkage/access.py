"""Who may change the person index.

Linking decides whose information is seen together, and deciding means reading the
identity fields several agencies hold. So it is a role of its own, the linkage
reviewer, given to the few people whose job it is (data quality, or the MASH's
linkage desk): being a DSL, in the MASH or an administrator is not enough, and an API
token never reviews. Runs are jobs: the system or an administrator starts them. The
rules are in ``policy/policy.cedar``.
"""

from __future__ import annotations

from jigsaw.errors import NotPermitted
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, require


def require_reviewer(actor: Actor) -> None:
    """``policy.cedar`` rules A3 and F1."""
    require(actor, Permission.REVIEW_LINKS)


def require_operator(actor: Actor) -> None:
    """``policy.cedar`` rules A1 and F1."""
    require(actor, Permission.RUN_LINKAGE)


def may_review(actor: Actor) -> bool:
    """Whether to offer the review queue at all; the services still check each request."""
    try:
        require_reviewer(actor)
    except NotPermitted:
        return False
    return True
