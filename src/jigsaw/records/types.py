"""The controlled list of item types, as versioned data (``item_types.yaml``).

A type is a code stored with the item ("missed_appointment") and a label people read
("Missed appointment"). Keeping the list as data lets the people who know local
practice review it, and a free-text type would let "domestic_violence" slip past every
rule written for "domestic_abuse_incident". When nothing in the list fits, the
practitioner records "other" and says what it is, so nothing goes unrecorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from jigsaw import datafiles
from jigsaw.records.models import Category

SHIPPED = "item_types.yaml"
OTHER = "other"
"""The type recorded when none in the list fits; it needs a description."""
OTHER_LABEL = "Other"
MAX_DESCRIPTION = 100

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _code(value: str) -> str:
    if not _CODE.match(value) or value == OTHER:
        raise ValueError(f"{value!r} is not a type code (lower case, digits and _; not other)")
    return value


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    categories: Annotated[
        dict[
            Category,
            Annotated[dict[Annotated[str, AfterValidator(_code)], str], datafiles.NonEmpty],
        ],
        datafiles.NonEmpty,
    ]


@dataclass(frozen=True)
class ItemType:
    code: str
    label: str
    category: Category


@dataclass(frozen=True)
class ItemTypes:
    """The list as read: its version, and the types under each category in file order."""

    version: str
    by_category: dict[Category, tuple[ItemType, ...]]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(t.code for types in self.by_category.values() for t in types)

    def label(self, code: str, other: str | None = None) -> str:
        """What a stored type reads as; "other" as its description, an unlisted one as its
        code in words (items recorded before the list, or a code since withdrawn)."""
        if code == OTHER:
            return f"{OTHER_LABEL}: {other}" if other else OTHER_LABEL
        for types in self.by_category.values():
            for found in types:
                if found.code == code:
                    return found.label
        words = code.replace("_", " ").replace("-", " ").strip()
        return words[:1].upper() + words[1:]

    def problem(self, code: str, other: str | None) -> tuple[str, str] | None:
        """Why this type cannot be recorded, as (field, message), or None if it can."""
        if code == OTHER:
            if not (other or "").strip():
                return "subtype_other", "Describe the type of information"
            return None
        if code not in self.codes:
            return "subtype", "Choose a type from the list, or other"
        return None


def parse_types(text: str, *, origin: str = SHIPPED) -> ItemTypes:
    """The list in ``text``; ``DataProblems`` names every problem, prefixed by ``origin``."""
    try:
        found = datafiles.read(_File, text)
    except datafiles.DataProblems as error:
        raise datafiles.DataProblems([f"{origin}: {p}" for p in error.problems]) from error
    seen: dict[str, Category] = {}
    clashes = []
    for category, types in found.categories.items():
        for code in types:
            if code in seen:
                clashes.append(f"{origin}: {code} is listed under {seen[code]} and {category}")
            seen[code] = category
    if clashes:
        raise datafiles.DataProblems(clashes)
    return ItemTypes(
        version=found.version,
        by_category={
            category: tuple(ItemType(code, label, category) for code, label in types.items())
            for category, types in found.categories.items()
        },
    )


@cache
def shipped_types() -> ItemTypes:
    """The list shipped with Jigsaw, read and checked once per process."""
    text = resources.files(__package__ or "jigsaw.records").joinpath(SHIPPED)
    return parse_types(text.read_text(encoding="utf-8"))
