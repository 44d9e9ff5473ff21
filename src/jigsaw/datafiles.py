"""Reading the YAML data files (flag rules, timescales, retention schedules) into models.

Each file is described by pydantic models that forbid unknown keys, so a typo fails
loudly instead of silently switching a rule off. Every problem in a file is reported at
once, named by the path of the field it is in (``flags[0].rule.at_least``), in words the
people who edit these files can act on rather than in pydantic's own terms.
"""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import ErrorDetails

M = TypeVar("M", bound=BaseModel)


class DataProblems(ValueError):
    """A data file that cannot be read; ``problems`` lists each with where it is."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _some(value: object) -> object:
    if isinstance(value, list | tuple | dict | set | frozenset) and not value:
        raise ValueError("must not be empty")
    return value


NonEmpty = BeforeValidator(_some)
"""Refuses an empty list or mapping, said once; pydantic's ``min_length`` is also reported,
confusingly, when only an item was wrong."""


def read(model: type[M], text: str, *, top: str = "top level") -> M:
    """The file's text as ``model``; ``DataProblems`` names every problem found.

    ``top`` names the document itself in a problem about its whole shape.
    """
    found, wrong = check(model, load(text), top=top)
    if found is None:
        raise DataProblems(wrong)
    return found


def load(text: str) -> object:
    """The YAML document as plain data, or ``DataProblems`` if it is not YAML."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DataProblems([f"not valid YAML: {error}"]) from error


def check(model: type[M], data: object, *, top: str = "top level") -> tuple[M | None, list[str]]:
    """The data as ``model``, or None and every problem that stops it being one."""
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, problems(error, model, top=top)


def problems(error: ValidationError, model: type[BaseModel], *, top: str) -> list[str]:
    """Each of pydantic's errors as ``path: what is wrong``."""
    return [f"{where(e['loc']) or top}: {_message(e, model)}" for e in error.errors()]


def where(loc: Sequence[int | str]) -> str:
    """A field's path as it is written in the file: ``flags[0].rule``."""
    path = ""
    for part in loc:
        if part == "[key]":  # pydantic's mark on a problem with a mapping's key
            continue
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def _message(error: ErrorDetails, model: type[BaseModel]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _keys_at(model, error["loc"][:-1])
        expected = f" (expected {', '.join(known)})" if known else ""
        return f"unknown key {error['loc'][-1]}{expected}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"must be a mapping, not {type(error['input']).__name__}"
    if kind == "missing":
        return "is needed"
    if kind in {"value_error", "assertion_error"} and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return error["msg"]


def _keys_at(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The keys the model allows at ``loc``, to say what an unknown key should have been."""
    current: Any = model
    for part in loc:
        current = _step(_bare(current), part)
        if current is None:
            return []
    current = _bare(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(f.alias or name for name, f in current.model_fields.items())
    return []


def _step(annotation: Any, part: int | str) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        by_key = {f.alias or name: f for name, f in annotation.model_fields.items()}
        found = by_key.get(str(part))
        return found.annotation if found is not None else None
    origin, args = get_origin(annotation), get_args(annotation)
    if isinstance(origin, type) and issubclass(origin, Mapping) and len(args) == 2:
        return args[1]
    if args and isinstance(part, int):
        return args[0]
    return None


def _bare(annotation: Any) -> Any:
    """The type itself, without ``Annotated`` constraints or ``| None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            rest = [a for a in get_args(annotation) if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        else:
            return annotation
