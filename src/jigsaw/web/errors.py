"""Every error that reaches the edge, answered once: a GOV.UK page for people, JSON for the API.

Which of the two is decided here and nowhere else (``is_api``): a path under ``/api``
is answered ``{"errors": [{"field": ..., "message": ...}]}``, anything else with a
full page that says what went wrong and where to go next, never raw JSON. Sign-in
problems on pages are redirects to the step that fixes them. Input refused on a
page (``InvalidInput``) is shown as a page listing each problem; a page that can
show the problems beside its fields catches the error itself and renders its form.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from jigsaw import clock
from jigsaw.errors import (
    Conflict,
    InvalidInput,
    Misconfigured,
    NotFound,
    NotPermitted,
    NotSignedIn,
)
from jigsaw.identity.dependencies import (
    ReauthenticationRequired,
    SecondFactorRequired,
    actor_of,
)
from jigsaw.identity.throttle import AccountLocked
from jigsaw.oversight.refusals import RefusedRequest, record_refusal
from jigsaw.web import accounts, assets
from jigsaw.web.csrf import CsrfRefused
from jigsaw.web.templating import redirect, render

logger = logging.getLogger(__name__)

API_PREFIX = "/api"
PROBLEM = "There is a problem"
SERVICE_PROBLEM = "Sorry, there is a problem with the service"
UNSTORABLE = "A value could not be stored: check the text for hidden characters and the numbers"
UNCHECKED = "Something you entered could not be accepted: go back and check what you typed"
MAX_PROBLEMS = 50
"""Problems listed in one 422: nobody fixes more at once, and a body of thousands of
unknown keys must not come back as an answer many times its own size."""

_TITLES = {404: "Page not found", 405: "Page not found", 403: "You cannot do this"}
_NAMED_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)

Problem = Mapping[str, str]
"""One problem as the API lists it: ``{"field": ..., "message": ...}``."""


def is_api(request: Request) -> bool:
    """Whether the request is answered as the API (JSON) rather than as a page."""
    return request.url.path.startswith(API_PREFIX)


def json_errors(
    problems: Sequence[Problem], status: int, headers: Mapping[str, str] | None = None
) -> Response:
    return JSONResponse(
        {"errors": [dict(p) for p in problems]},
        status_code=status,
        headers=dict(headers) if headers else None,
    )


def error_page(
    request: Request,
    status: int,
    title: str,
    message: str,
    problems: Sequence[str] = (),
) -> Response:
    """A full GOV.UK page saying what went wrong, each problem listed, and where to go next."""
    context = {"title": title, "message": message, "status": status, "problems": list(problems)}
    return render(request, "error.html", context, status_code=status)


def answer(
    request: Request,
    status: int,
    title: str,
    message: str,
    *,
    problems: Sequence[Problem] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error as a page or as JSON, whichever the request is answered with.

    Without ``problems`` the message is the one problem, naming no field.
    """
    listed = list(problems) if problems is not None else [{"field": "", "message": message}]
    if is_api(request):
        return json_errors(listed, status, headers)
    shown = [p["message"] for p in problems] if problems is not None else []
    response = error_page(request, status, title, message, shown)
    if headers:
        response.headers.update(headers)
    return response


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def validation_problems(errors: list[dict[str, object]]) -> list[dict[str, str]]:
    """Field path and message per error; a cross-field check names its field as "field: …".

    At most ``MAX_PROBLEMS``, then one more saying how many were left out.
    """
    problems = []
    for error in errors[:MAX_PROBLEMS]:
        message = str(error.get("msg", "Invalid value")).removeprefix("Value error, ")
        field = _field_path(tuple(error.get("loc", ())))  # type: ignore[arg-type]
        named = _NAMED_FIELD.match(message)
        if named:
            field = named.group(1) if field == "body" else f"{field}.{named.group(1)}"
            message = named.group(2)
        problems.append({"field": field, "message": message})
    if len(errors) > MAX_PROBLEMS:
        more = len(errors) - MAX_PROBLEMS
        problems.append({"field": "body", "message": f"{more} more problems are not listed"})
    return problems


def _record_refusal(request: Request) -> None:
    """Every refusal goes on the record, after the refused work rolled back.

    Another agency's record answers 404 from the services, exactly like a missing
    one, so those cannot be told apart here and are not recorded as refusals.
    """
    actor = actor_of(request)
    if actor is None:
        return
    route = request.scope.get("route")
    refused = RefusedRequest.from_route(
        request.method, getattr(route, "path_format", None), request.path_params
    )
    record_refusal(request.app.state.db, actor, refused)


def _route(request: Request) -> str:
    return str(getattr(request.scope.get("route"), "path_format", "?"))


async def _unstorable(request: Request, exc: Exception) -> Response:
    """Input the database itself refused: bad input, answered 422 like any other.

    The exception's text would quote the statement's values (names, addresses),
    so only the database's error class is logged, never the message.
    """
    assert isinstance(exc, DataError)
    logger.warning(
        "%s %s: the database refused a value (%s)",
        request.method,
        _route(request),
        type(exc.orig).__name__,
    )
    return answer(request, 422, PROBLEM, UNSTORABLE)


async def _request_invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        return json_errors(validation_problems(list(exc.errors())), 422)
    return error_page(request, 422, PROBLEM, UNCHECKED)


async def _unchecked(request: Request, exc: Exception) -> Response:
    """A schema built from input a route did not check first: still bad input, 422.

    Only where it happened and the fields are logged: the error's text quotes the
    values typed (a reason, a child's name), which must not reach the logs.
    """
    assert isinstance(exc, ValidationError)
    errors = list(exc.errors(include_input=False, include_url=False))
    logger.warning(
        "%s %s: unchecked input refused (%s)",
        request.method,
        _route(request),
        ", ".join(sorted({_field_path(tuple(e["loc"])) for e in errors})),
    )
    if is_api(request):
        return json_errors(validation_problems(errors), 422)  # type: ignore[arg-type]
    return error_page(request, 422, PROBLEM, UNCHECKED)


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidInput)
    problems = [{"field": p.field, "message": p.message} for p in exc.problems]
    message = "" if problems else str(exc)
    return answer(request, 422, PROBLEM, message, problems=problems)


async def _not_found(request: Request, exc: Exception) -> Response:
    return answer(request, 404, "Page not found", str(exc))


async def _not_permitted(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NotPermitted)
    await run_in_threadpool(_record_refusal, request)
    return answer(request, 403, "You cannot see this", exc.reason)


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return json_errors([{"field": "", "message": str(exc)}], 401)
    return redirect("/sign-in")


async def _second_factor_required(request: Request, exc: Exception) -> Response:
    """Half signed in: pages go to the code step, the API says what is missing."""
    if is_api(request):
        return json_errors([{"field": "", "message": str(exc)}], 401)
    return redirect(accounts.CODE_PAGE)


async def _reauthentication_required(request: Request, exc: Exception) -> Response:
    if is_api(request):
        return json_errors([{"field": "", "message": str(exc)}], 401)
    return redirect(accounts.reauthentication_location(request))


async def _account_locked(request: Request, exc: Exception) -> Response:
    """429 with Retry-After, so clients back off for as long as the lock lasts."""
    assert isinstance(exc, AccountLocked)
    retry = {"Retry-After": str(exc.retry_after_seconds(clock.utcnow()))}
    return answer(request, 429, "Too many attempts", str(exc), headers=retry)


async def _conflict(request: Request, exc: Exception) -> Response:
    return answer(request, 409, "This could not be done", str(exc))


async def _misconfigured(request: Request, exc: Exception) -> Response:
    return answer(request, 503, SERVICE_PROBLEM, str(exc))


async def _csrf_refused(request: Request, _: Exception) -> Response:
    return answer(
        request,
        403,
        "Your form could not be sent",
        "This can happen if the page was open for a long time, or you signed in or out "
        "in another tab. Nothing has been saved or changed. Go back, refresh the page "
        "and try again.",
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing errors (no such page, wrong method) as pages; the API answers its own JSON."""
    assert isinstance(exc, StarletteHTTPException)
    if is_api(request) and exc.status_code >= 400:
        return json_errors(
            [{"field": "", "message": str(exc.detail)}], exc.status_code, exc.headers
        )
    path = request.url.path
    if path.startswith((assets.ASSETS_URL, "/static")) or exc.status_code < 400:
        return await http_exception_handler(request, exc)
    title = _TITLES.get(exc.status_code, SERVICE_PROBLEM)
    return error_page(request, exc.status_code, title, "")


def install(app: FastAPI) -> None:
    """Answer every error the service raises on purpose, and the framework's own."""
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(ValidationError, _unchecked)
    app.add_exception_handler(InvalidInput, _invalid)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(NotPermitted, _not_permitted)
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(SecondFactorRequired, _second_factor_required)
    app.add_exception_handler(ReauthenticationRequired, _reauthentication_required)
    app.add_exception_handler(AccountLocked, _account_locked)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(Misconfigured, _misconfigured)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(StarletteHTTPException, _http_error)
