"""SQL constructs that read the same on every backend but run best on each.

``among(column, "ids")`` is ``column IN (...)`` for a list of ids bound when the
statement runs. SQLAlchemy's expanding ``IN`` renders one placeholder per id, so on
PostgreSQL a chronology of 500 items sent statements whose text changed with the
number of ids: each had to be rendered, parsed by the driver and planned by the
server afresh, which cost more client CPU than the rows themselves. There it
becomes ``column = ANY(%(ids)s)`` with one array parameter, so the statement's text
never changes and the driver can prepare it once. The ids travel as one array literal
(``{1,2,3}``), which the server parses faster than the driver builds an array of 500
integers. SQLite has no arrays and keeps the expanding ``IN``, which costs it little
because its engine is in-process.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, TypeDecorator, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal


class _IdArrayLiteral(TypeDecorator[Iterable[int]]):
    """Integer ids bound as PostgreSQL's array literal: still one bound parameter, and
    ``int()`` of each id means nothing but digits and commas can be in it."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Iterable[int] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return "{" + ",".join(map(str, map(int, value))) + "}"


class Among(ColumnElement[bool]):
    """The column's value is one of the ids bound under ``name`` at execution."""

    inherit_cache = True
    _is_implicitly_boolean = True  # already a comparison: no "= 1" added in WHERE
    type = sqltypes.BOOLEANTYPE
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        if not isinstance(column.type, Integer):
            raise TypeError(f"among() is for integer ids, not {column.type}")
        self.column = column
        self.name = name


def among(column: Any, name: str) -> ColumnElement[bool]:
    """``column`` is one of the ids passed as ``{name: [...]}`` when the statement runs."""
    return Among(column, name)


@compiles(Among)
def _in_list(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    expanding = bindparam(element.name, expanding=True, type_=element.column.type)
    return compiler.process(element.column.in_(expanding), **kw)


@compiles(Among, "postgresql")
def _any_array(element: Among, compiler: SQLCompiler, **kw: Any) -> str:
    ids = compiler.process(bindparam(element.name, type_=_IdArrayLiteral()), **kw)
    return f"{compiler.process(element.column, **kw)} = ANY(CAST({ids} AS INTEGER[]))"
