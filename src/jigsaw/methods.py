"""``405 Method Not Allowed`` answers that list every method the path really has.

Each method of a path is a route of its own (``POST /api/session`` and ``DELETE
/api/session``), and the router's 405 names only the methods of the first route
whose path matched. RFC 9110 asks the ``Allow`` header to list all of them, and
clients (and the API fuzzer) rely on it to learn what a resource supports.
"""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts
from starlette.datastructures import MutableHeaders
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ROUTE_TABLE = "jigsaw_route_methods"


def _route_table(app: ASGIApp) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each route's path pattern and methods, worked out once per application."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state,  # type: ignore[attr-defined]
        _ROUTE_TABLE,
        None,
    )
    if table is None:
        table = []
        for route in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
            if route.path and route.methods:
                pattern, _, _ = compile_path(route.path)
                table.append((pattern, frozenset(route.methods)))
        setattr(app.state, _ROUTE_TABLE, table)  # type: ignore[attr-defined]
    return table


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some route on this path answers, whichever method was asked."""
    path = scope["path"]
    methods: set[str] = set()
    for pattern, route_methods in _route_table(scope["app"]):
        if pattern.match(path):
            methods |= route_methods
    return sorted(methods)


class AllowEveryMethod:
    """Rewrite the ``Allow`` header of a 405 to name all the path's methods."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = allowed_methods(scope)
                if methods:
                    MutableHeaders(scope=message)["Allow"] = ", ".join(methods)
            await send(message)

        await self.app(scope, receive, send_with_allow)
