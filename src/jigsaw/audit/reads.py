"""Reads of a person's information cannot return without their audit entry.

Every service function that hands back something about a person (an agency record,
an item, a relationship, a consent, a request, a disclosure's items) is declared with
``@audited_read(action, ...)``. While it runs, every audit entry staged is noted; when
it returns, at least one entry of a declared action must have been sequenced into the
log, which happens only as its transaction commits. If not, the function raises
``UnauditedRead`` instead of returning, so a read written without its entry (or with
its entry in a session that is never committed) fails the first time it runs rather
than leaking quietly. Refusals raise before returning and need nothing more.

Functions that take an actor but return nothing about a person (a directory of
agencies, one's own API tokens) say so with ``@not_a_person_read(reason)``. The two
registries below are what ``tests/audit/test_audited_reads.py`` checks every public
service function against, so a new read that is neither declared nor audited fails
the build.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from jigsaw.audit.actions import READS, AuditAction
from jigsaw.audit.models import AuditEntry

P = ParamSpec("P")
R = TypeVar("R")


class UnauditedRead(RuntimeError):
    """A read was about to return a person's information without an audit entry."""


@dataclass(frozen=True)
class AuditedRead:
    name: str
    actions: frozenset[AuditAction]


@dataclass
class _Watch:
    actions: frozenset[AuditAction]
    staged: list[AuditEntry] = field(default_factory=list)
    with_request: list[AuditEntry] = field(default_factory=list)

    def audited(self) -> bool:
        """An entry of a declared action was committed (it has a sequence number), or is
        staged in a request's unit of work, which commits it before any answer is sent:
        if that commit fails, the request fails and nothing read is shown."""
        return any(
            e.action in self.actions and (e.seq is not None or e in self.with_request)
            for e in self.staged
        )


_WATCHES: ContextVar[tuple[_Watch, ...]] = ContextVar("jigsaw_audited_reads", default=())

AUDITED_READS: dict[str, AuditedRead] = {}
"""Every declared read, by ``module.function``."""

NOT_PERSON_READS: dict[str, str] = {}
"""Functions that take an actor and read nothing about a person, with the reason."""


def _name(fn: Callable[..., object]) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def noted(entry: AuditEntry, *, commits_with_request: bool = False) -> None:
    """Called for every staged entry: each read running now sees it."""
    for watch in _WATCHES.get():
        watch.staged.append(entry)
        if commits_with_request:
            watch.with_request.append(entry)


def audited_read(
    action: AuditAction, *more: AuditAction
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a read of a person and refuse to return it unless it was audited.

    The actions must be reads (``actions.READS``), so the access log shows them.
    """
    actions = frozenset({action, *more})
    not_reads = sorted(a.value for a in actions - READS)
    if not_reads:
        raise ValueError(f"Not read actions: {', '.join(not_reads)}")

    def declare(fn: Callable[P, R]) -> Callable[P, R]:
        name = _name(fn)

        @functools.wraps(fn)
        def read(*args: P.args, **kwargs: P.kwargs) -> R:
            watch = _Watch(actions)
            token = _WATCHES.set((*_WATCHES.get(), watch))
            try:
                result = fn(*args, **kwargs)
            finally:
                _WATCHES.reset(token)
            if not watch.audited():
                raise UnauditedRead(f"{name} returned without a committed audit entry")
            return result

        AUDITED_READS[name] = AuditedRead(name, actions)
        return read

    return declare


def not_a_person_read(reason: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare that a function taking an actor returns nothing about any person."""
    if not reason.strip():
        raise ValueError("Say why this read holds nothing about a person")

    def declare(fn: Callable[P, R]) -> Callable[P, R]:
        NOT_PERSON_READS[_name(fn)] = reason
        return fn

    return declare
