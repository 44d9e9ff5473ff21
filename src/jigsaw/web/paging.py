"""Splitting a long list into pages, and the links GOV.UK's pagination component needs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = 25


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    total: int

    @classmethod
    def requested(cls, raw: str, size: int = PAGE_SIZE) -> Page:
        """The page asked for in the query string; nonsense means the first page.

        The total is not known until the list has been read: see ``with_total``.
        """
        number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 7 else 1
        return cls(max(number, 1), size, 0)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_shown(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_shown(self) -> int:
        return min(self.offset + self.size, self.total)

    def with_total(self, total: int) -> Page:
        """The same page once the total is known, moved back if past the end."""
        last = max(1, -(-total // self.size))
        return Page(min(self.number, last), self.size, total)

    def numbers(self) -> list[int | None]:
        """Page numbers to offer, with None for a gap: 1 … 4 5 6 … 20.

        The first, last, current and its neighbours are always shown, as the
        Design System's pagination guidance recommends; a gap of one page shows
        that page rather than an ellipsis standing for it.
        """
        wanted = {1, self.last, self.number - 1, self.number, self.number + 1}
        shown = sorted(n for n in wanted if 1 <= n <= self.last)
        result: list[int | None] = []
        previous = 0
        for n in shown:
            if n - previous == 2:
                result.append(previous + 1)
            elif n - previous > 2:
                result.append(None)
            result.append(n)
            previous = n
        return result


def pagination(page: Page, href: Callable[[int], str]) -> dict[str, Any] | None:
    """Options for ``govukPagination``, or None when everything fits on one page."""
    if page.last <= 1:
        return None
    items: list[dict[str, Any]] = [
        {"ellipsis": True}
        if n is None
        else {"number": n, "href": href(n), "current": n == page.number}
        for n in page.numbers()
    ]
    options: dict[str, Any] = {"items": items}
    if page.number > 1:
        options["previous"] = {"href": href(page.number - 1)}
    if page.number < page.last:
        options["next"] = {"href": href(page.number + 1)}
    return options
