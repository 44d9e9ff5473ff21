"""What can go wrong when working out a deadline, named for the situation."""

from __future__ import annotations

from collections.abc import Iterable

from jigsaw.errors import JigsawError, NotFound


class NaiveDatetime(ValueError):
    """A datetime without a timezone reached the engine.

    Refused rather than guessed: read as UTC it would be an hour out for half the year,
    read as local time it would be ambiguous once a year. Callers pass aware datetimes,
    normally UTC from ``jigsaw.clock.utcnow``.
    """

    def __init__(self, argument: str, value: object) -> None:
        self.argument = argument
        super().__init__(
            f"{argument} must be a timezone-aware datetime (UTC), not the naive {value!r}"
        )


class UnknownProfile(NotFound):
    """No timescale profile with that name is configured."""

    def __init__(self, name: str, available: Iterable[str]) -> None:
        self.available = tuple(available)
        super().__init__("timescale profile", name)
        self.args = (f"No timescale profile {name!r}; known profiles: {', '.join(self.available)}",)


class UnknownTimescale(NotFound):
    """No statutory timescale with that name is configured."""

    def __init__(self, name: str, available: Iterable[str]) -> None:
        self.available = tuple(available)
        super().__init__("statutory timescale", name)
        self.args = (
            f"No statutory timescale {name!r}; known: {', '.join(self.available) or 'none'}",
        )


class InvalidTimescales(JigsawError):
    """Timescale data that cannot be trusted; every problem is listed with where it is."""

    def __init__(self, origin: str, problems: Iterable[str]) -> None:
        self.origin = origin
        self.problems = tuple(problems)
        super().__init__(f"Timescales in {origin} are invalid: " + "; ".join(self.problems))
