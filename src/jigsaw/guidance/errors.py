"""What can go wrong when asking the guidance, named for the situation."""

from __future__ import annotations

from collections.abc import Iterable

from jigsaw.errors import FieldProblem, InvalidInput, JigsawError, NotFound


class InvalidAnswers(InvalidInput):
    """Answers the edition cannot take: each problem names the question it is about.

    It is an ``InvalidInput`` so the web edge shows it like any other form error, each
    message beside the question it belongs to.
    """

    def __init__(self, edition: str, problems: Iterable[FieldProblem]) -> None:
        self.edition = edition
        super().__init__(*problems)


class UnknownEdition(NotFound):
    """No edition with that id ships with this version of Jigsaw."""

    def __init__(self, edition: str, available: tuple[str, ...]) -> None:
        self.available = available
        super().__init__("guidance edition", edition)


class InvalidEdition(JigsawError):
    """An edition's data contradicts itself; it must be fixed before anyone relies on it."""

    def __init__(self, edition: str, problems: Iterable[str]) -> None:
        self.edition = edition
        self.problems = tuple(problems)
        super().__init__(f"Guidance edition {edition} is invalid: " + "; ".join(self.problems))
