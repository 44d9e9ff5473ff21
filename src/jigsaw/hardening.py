"""What every answer carries and every request is held to, before any route runs.

Two plain ASGI middlewares, so they cover everything the app serves (pages, the JSON
API, static files, error answers and answers from other middleware alike):

- ``SecurityHeaders`` adds the browser protections: a Content-Security-Policy that
  allows scripts, styles and images from this origin only (no inline script or
  style, nothing from a CDN), refuses framing, form posts elsewhere and plugins;
  ``X-Content-Type-Options``, ``Referrer-Policy`` (no referrer, so a child's record
  id in a URL never reaches another site), ``Permissions-Policy``, and
  ``Strict-Transport-Security`` wherever cookies are HTTPS-only.
- ``BodyLimit`` refuses a request body over ``JIGSAW_MAX_BODY_BYTES`` with 413 before
  anything parses it: at once when ``Content-Length`` says so, and as soon as the
  bytes received pass the limit when the length is not given (chunked uploads) or
  is a lie. Without it anyone, signed in or not, could make a worker read and parse
  a body of any size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jigsaw.config import Settings

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "display-capture=(), interest-cohort=()"
)
HSTS = "max-age=31536000; includeSubDomains"
TOO_LARGE = "The request is too large: send at most {limit} bytes"
FEEDS = "/api/imports/"
"""Where other systems push feeds of rows, allowed ``max_feed_bytes``."""


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    """The headers every answer carries; HSTS only where the service is HTTPS-only."""
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if settings.secure_cookies:
        headers["Strict-Transport-Security"] = HSTS
    return [(name.lower().encode(), value.encode()) for name, value in headers.items()]


class SecurityHeaders:
    """Adds the security headers to every HTTP answer that does not set its own."""

    def __init__(self, app: ASGIApp, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(n, v) for n, v in self.headers if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _too_large_body(limit: int) -> bytes:
    problem = {"field": "body", "message": TOO_LARGE.format(limit=limit)}
    return json.dumps({"errors": [problem]}).encode()


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, before they are parsed."""

    def __init__(
        self, app: ASGIApp, limit: int, allowances: Mapping[str, int] | None = None
    ) -> None:
        """``allowances``: a larger limit for paths under a prefix (a feed of rows)."""
        self.app = app
        self.limit = limit
        self.allowances = dict(allowances or {})

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.allowances.items():
            if path.startswith(prefix):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope.get("path", ""))
        declared = self._declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, limit)
            return
        received = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now, and tell the app the client went away: whatever read
                    # the body (a route, a form parser, a middleware) stops there.
                    refused = True
                    if not started:
                        await self._refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; the app's own answer is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except Exception:
            if not refused:
                raise
            # The app failed only because its body was cut off; the 413 is the answer.

    @staticmethod
    def _declared_length(scope: Scope) -> int | None:
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return None
        return None

    async def _refuse(self, send: Send, limit: int) -> None:
        body = _too_large_body(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def install(app: FastAPI, settings: Settings) -> None:
    """The body limit outside every other middleware; the headers around everything."""
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        allowances={FEEDS: settings.max_feed_bytes},
    )
    headers = security_headers(settings)
    build_stack = app.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        # Around the whole stack, Starlette's own server-error answer included, which
        # sits outside every middleware added with ``add_middleware``.
        return SecurityHeaders(build_stack(), headers)

    setattr(app, "build_middleware_stack", build_with_headers)  # noqa: B010
