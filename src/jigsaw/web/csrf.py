"""Cross-site request forgery protection for the page forms.

Session cookies are sent with any request the browser makes, including one a
hostile page submits. So every POST form carries a random token that only our own
pages know: it lives in the (signed) session and in a hidden field, and a POST whose
field does not match is refused before the route runs. SameSite=Lax cookies help
too, but they are a second line, not the only one.
"""

from __future__ import annotations

import secrets

from fastapi import Request

CSRF_SESSION_KEY = "csrf_token"
CSRF_FIELD = "csrf_token"


class CsrfRefused(Exception):
    """A form came back without this session's token: it may not be ours."""


def csrf_token(request: Request) -> str:
    """This session's token, made on first use so any page can render a form."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_SESSION_KEY] = token
    return token


async def require_csrf(request: Request) -> None:
    """Dependency for every POST form route: refuse unless the token matches.

    Reading the form here is free for the route: Starlette keeps the parsed form on
    the request, so FastAPI's ``Form`` parameters see the same data.
    """
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(CSRF_SESSION_KEY)
    if not (
        isinstance(sent, str)
        and isinstance(expected, str)
        and expected
        and secrets.compare_digest(sent.encode(), expected.encode())
    ):
        raise CsrfRefused
