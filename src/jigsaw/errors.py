"""Domain exceptions, named for the situation. The web edge turns them into answers."""

from __future__ import annotations

from dataclasses import dataclass


class JigsawError(Exception):
    """Base for every error a service raises on purpose."""


@dataclass
class FieldProblem:
    field: str
    message: str


class InvalidInput(JigsawError):
    """Input that cannot be accepted; nothing has been written."""

    def __init__(self, *problems: FieldProblem) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        return cls(FieldProblem(field, message))


class NotFound(JigsawError):
    """The thing does not exist, or the actor may not know that it exists."""

    def __init__(self, kind: str, ident: object) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"No {kind} with id {ident}")


class NotPermitted(JigsawError):
    """The policy refused the action; the reason is safe to show the actor."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class NotSignedIn(JigsawError):
    """No valid session or token came with the request."""


class Conflict(JigsawError):
    """The change clashes with the current state (for example a duplicate local id)."""


class Misconfigured(JigsawError):
    """The deployment's own keys or settings prevent the action; nothing the user did.

    Answered as 503 and logged for the operator, never counted against the user (a
    sign-in that cannot read a second-factor secret is not a wrong code).
    """
