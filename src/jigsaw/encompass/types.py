"""Which police item types are Operation Encompass incidents: data an authority can change.

Forces record domestic abuse under different names ("domestic_violence", "Domestic
incident"), and a name the service does not know means a school that is never told. So
the list is a versioned file (``types.yaml``, the documented default) that an authority
can replace with its own (``JIGSAW_ENCOMPASS_TYPES_FILE``), read and checked whole by
``jigsaw.datafiles``; each notice's audit entry records the version that sent it.
Types are compared after folding case and treating spaces and hyphens as underscores,
so the spelling of a free-text type does not decide whether a school hears.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, field_validator

from jigsaw import datafiles
from jigsaw.config import get_settings

SHIPPED = "types.yaml"


def normalise(kind: str) -> str:
    """A type as compared: lower case, with runs of spaces, hyphens and underscores as one
    underscore (``Domestic-violence`` is ``domestic_violence``)."""
    return re.sub(r"[\s_-]+", "_", kind.strip().casefold()).strip("_")


class EncompassTypes(BaseModel):
    """The file: its version and each type with the words a person would use for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    types: Annotated[dict[str, str], datafiles.NonEmpty]

    @field_validator("version")
    @classmethod
    def _version_given(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("types")
    @classmethod
    def _types_distinct(cls, value: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for kind in value:
            folded = normalise(kind)
            if not folded:
                raise ValueError(f"type {kind!r} has no letters")
            if folded in seen:
                raise ValueError(f"{kind!r} is the same type as {seen[folded]!r}")
            seen[folded] = kind
        return value

    @property
    def matched(self) -> frozenset[str]:
        return frozenset(normalise(k) for k in self.types)

    def includes(self, kind: str) -> bool:
        """Whether an item of type ``kind`` is an Operation Encompass incident."""
        return normalise(kind) in self.matched


def parse(text: str, origin: str = "<string>") -> EncompassTypes:
    """The types in ``text``; ``datafiles.DataProblems`` names every problem, with ``origin``."""
    try:
        return datafiles.read(EncompassTypes, text)
    except datafiles.DataProblems as error:
        raise datafiles.DataProblems([f"{origin}: {p}" for p in error.problems]) from error


@cache
def _read(path: str) -> EncompassTypes:
    if not path:
        text = resources.files(__package__ or "jigsaw.encompass").joinpath(SHIPPED).read_text()
        return parse(text, SHIPPED)
    return parse(Path(path).read_text(encoding="utf-8"), path)


def shipped_types() -> EncompassTypes:
    """The default list shipped with Jigsaw."""
    return _read("")


def current_types() -> EncompassTypes:
    """The authority's list if it set one (``JIGSAW_ENCOMPASS_TYPES_FILE``), else the default;
    each file is read and checked once per process."""
    return _read(get_settings().encompass_types_file)
