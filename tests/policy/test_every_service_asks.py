"""Every service function that acts for someone asks the policy, and nothing escapes the list.

The functions are the ones ``tests/audit/test_audited_reads.py`` enumerates: every public
function in the package whose first two parameters are the database and the actor. Each
must ask the policy on its own path, which is proved from its source: its body, or a
function of the package it calls (followed as far as the calls go), calls one of the
policy's questions (``require``, ``is_permitted``, ``allowed``, ``check``,
``permitted_grants``, the ``may_*`` questions) or builds a list filter from
``jigsaw.policy.scopes``. The few that rightly ask nothing are listed below, each with
its reason; an entry that starts asking, or stops existing, fails the test too, so the
list cannot go stale.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from types import FunctionType, ModuleType
from typing import Any

from jigsaw.policy import authorize, scopes
from tests.audit.test_audited_reads import SERVICE_FUNCTIONS

QUESTIONS = frozenset(
    {
        authorize.require,
        authorize.is_permitted,
        authorize.allowed,
        authorize.allowed_each,
        authorize.check,
        authorize.permitted_grants,
        authorize.may_add_agencies,
        authorize.may_change_account,
        authorize.may_issue_api_tokens,
        *(
            fn
            for name, fn in vars(scopes).items()
            if not name.startswith("_")
            and inspect.isfunction(fn)
            and fn.__module__ == scopes.__name__
        ),
    }
)
"""The policy's questions, and the list filters worked out from it."""

ASKS_NOTHING: dict[str, str] = {
    "jigsaw.oversight.refusals.record_refusal": (
        "Writes down that the policy has just refused this actor: the refusal is the "
        "policy's answer already, and recording it must never itself be refused"
    ),
    "jigsaw.sharing.recipients.recipient_agencies": (
        "The directory of agencies, by name and kind: organisations, nobody's details"
    ),
}
"""Functions that act for someone and rightly ask the policy nothing, with the reason."""


def _resolve(node: ast.expr, module: ModuleType) -> Any:
    """The object a called name or dotted name refers to in ``module``, if it can tell."""
    if isinstance(node, ast.Name):
        return vars(module).get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, module)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _called(fn: FunctionType) -> list[Any]:
    """What ``fn``'s body calls, resolved in its own module (nested functions included)."""
    inner = inspect.unwrap(fn)
    module = inspect.getmodule(inner)
    assert module is not None
    tree = ast.parse(textwrap.dedent(inspect.getsource(inner)))
    found = [_resolve(node.func, module) for node in ast.walk(tree) if isinstance(node, ast.Call)]
    return [f for f in found if f is not None]


def asks_the_policy(fn: Callable[..., Any], seen: set[Callable[..., Any]] | None = None) -> bool:
    """Whether ``fn``, or a function of its module or the package it calls, asks one of
    ``QUESTIONS``."""
    seen = set() if seen is None else seen
    target = inspect.unwrap(fn)
    if target in seen or not isinstance(target, FunctionType):
        return False
    seen.add(target)
    for callee in _called(target):
        if callee in QUESTIONS or inspect.unwrap(callee) in QUESTIONS:
            return True
        inside = getattr(callee, "__module__", None) or ""
        if (inside.startswith("jigsaw.") or inside == target.__module__) and asks_the_policy(
            callee, seen
        ):
            return True
    return False


def test_the_enumeration_finds_the_service_functions() -> None:
    """Guards the walk itself: a handful of services it must find, and ask."""
    for name in [
        "jigsaw.sharing.requests.incoming_requests",
        "jigsaw.sharing.advice.advice_inbox",
        "jigsaw.notifications.service.inbox",
        "jigsaw.oversight.access_log.access_log",
        "jigsaw.linkage.service.review_queue",
        "jigsaw.sharing.recipients.colleagues",
    ]:
        assert name in SERVICE_FUNCTIONS, name
        assert asks_the_policy(SERVICE_FUNCTIONS[name]), name


def _lists_everything(db: Any, actor: Any) -> list[int]:
    return sorted({actor.agency_id, 2})


def _asks_through_a_helper(db: Any, actor: Any) -> None:
    _oversight(actor)


def _oversight(actor: Any) -> None:
    authorize.require(actor, authorize.Permission.VIEW_REGISTER, actor.agency_id)


def test_the_analysis_tells_a_function_that_asks_from_one_that_does_not() -> None:
    assert not asks_the_policy(_lists_everything)
    assert asks_the_policy(_asks_through_a_helper)
    assert asks_the_policy(_oversight)


def test_every_service_function_asks_the_policy() -> None:
    silent = sorted(
        name
        for name, fn in SERVICE_FUNCTIONS.items()
        if name not in ASKS_NOTHING and not asks_the_policy(fn)
    )
    assert silent == [], (
        "Ask the policy (require, is_permitted, a scope from jigsaw.policy.scopes) or, if "
        "the function acts only on the actor's own account or on no one's information, "
        "list it in ASKS_NOTHING with the reason"
    )


def test_the_list_of_functions_that_ask_nothing_is_short_current_and_reasoned() -> None:
    assert sorted(ASKS_NOTHING.keys() - SERVICE_FUNCTIONS.keys()) == []
    assert sorted(n for n in ASKS_NOTHING if asks_the_policy(SERVICE_FUNCTIONS[n])) == []
    assert all(len(reason.split()) >= 8 for reason in ASKS_NOTHING.values())
    assert len(ASKS_NOTHING) <= 5
