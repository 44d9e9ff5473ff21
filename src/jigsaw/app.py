"""The FastAPI application factory: routers from each domain, errors turned into answers."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from jigsaw import __version__, hardening
from jigsaw.access.api import router as sessions_router
from jigsaw.access.breakglass_api import router as breakglass_router
from jigsaw.agencies.api import router as agencies_router
from jigsaw.audit.api import router as audit_router
from jigsaw.audit.refusals import RefusedRequest, record_refusal
from jigsaw.config import Settings, get_settings
from jigsaw.consent.api import router as consent_router
from jigsaw.db import Database
from jigsaw.errors import (
    Conflict,
    InvalidInput,
    Misconfigured,
    NotFound,
    NotPermitted,
    NotSignedIn,
)
from jigsaw.guidance.api import router as guidance_router
from jigsaw.http import SESSION_COOKIE, actor_of
from jigsaw.linkage.api import router as linkage_router
from jigsaw.methods import AllowEveryMethod
from jigsaw.notifications.api import router as notifications_router
from jigsaw.people.api import router as people_router
from jigsaw.records.api import router as records_router
from jigsaw.schemas import ERROR_RESPONSES
from jigsaw.sharing.api import router as sharing_router
from jigsaw.singleview.api import router as singleview_router
from jigsaw.web import api_docs, breakglass_pages, pages

CACHEABLE_PREFIXES = ("/assets/", "/static/")


def _field_path(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


_NAMED_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)


MAX_PROBLEMS = 50
"""Problems listed in one 422: nobody fixes more at once, and a body of thousands of
unknown keys must not come back as an answer many times its own size."""


def _problems(errors: list[dict[str, object]]) -> list[dict[str, str]]:
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


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api")


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


logger = logging.getLogger(__name__)

UNSTORABLE = "A value could not be stored: check the text for hidden characters and the numbers"
UNCHECKED = "Something you entered could not be accepted: go back and check what you typed"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> Response:
        """Input the database itself refused: bad input, answered 422 like any other.

        The exception's text would quote the statement's values (names, addresses),
        so only the database's error class is logged, never the message.
        """
        logger.warning(
            "%s %s: the database refused a value (%s)",
            request.method,
            getattr(request.scope.get("route"), "path_format", "?"),
            type(exc.orig).__name__,
        )
        if _wants_html(request):
            return pages.error_page(request, 422, "There is a problem", UNSTORABLE)
        return JSONResponse({"errors": [{"field": "", "message": UNSTORABLE}]}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"errors": _problems(list(exc.errors()))}, status_code=422)

    @app.exception_handler(ValidationError)
    async def unchecked(request: Request, exc: ValidationError) -> Response:
        """A schema built from input a route did not check first: still bad input, 422.

        Only where it happened and the fields are logged: the error's text quotes the
        values typed (a reason, a child's name), which must not reach the logs.
        """
        errors = list(exc.errors(include_input=False, include_url=False))
        logger.warning(
            "%s %s: unchecked input refused (%s)",
            request.method,
            getattr(request.scope.get("route"), "path_format", "?"),
            ", ".join(sorted({_field_path(tuple(e["loc"])) for e in errors})),
        )
        if _wants_html(request):
            return pages.error_page(request, 422, "There is a problem", UNCHECKED)
        return JSONResponse({"errors": _problems(errors)}, status_code=422)  # type: ignore[arg-type]

    @app.exception_handler(InvalidInput)
    async def invalid(_: Request, exc: InvalidInput) -> Response:
        body = [{"field": p.field, "message": p.message} for p in exc.problems]
        return JSONResponse({"errors": body}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        if _wants_html(request):
            return pages.error_page(request, 404, "Page not found", str(exc))
        return JSONResponse({"errors": [{"field": "", "message": str(exc)}]}, status_code=404)

    @app.exception_handler(NotPermitted)
    async def not_permitted(request: Request, exc: NotPermitted) -> Response:
        await run_in_threadpool(_record_refusal, request)
        if _wants_html(request):
            return pages.error_page(request, 403, "You cannot see this", exc.reason)
        return JSONResponse({"errors": [{"field": "", "message": exc.reason}]}, status_code=403)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if _wants_html(request):
            return RedirectResponse("/sign-in", status_code=303)
        return JSONResponse({"errors": [{"field": "", "message": str(exc)}]}, status_code=401)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> Response:
        return JSONResponse({"errors": [{"field": "", "message": str(exc)}]}, status_code=409)

    @app.exception_handler(Misconfigured)
    async def misconfigured(request: Request, exc: Misconfigured) -> Response:
        if _wants_html(request):
            return pages.error_page(
                request, 503, "Sorry, there is a problem with the service", str(exc)
            )
        return JSONResponse({"errors": [{"field": "", "message": str(exc)}]}, status_code=503)


@asynccontextmanager
async def _worker_lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Put what start-up loaded beyond the cyclic garbage collector's reach.

    The imports leave about 160,000 long-lived objects. Left in the collected
    generations, every hundredth request or so paid for a full collection of them
    (about 85 ms: the whole of a chronology's p99, `bench/results/singleview.md`).
    Frozen once, they are never scanned again; objects made by requests still are.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.require_safe_secrets()
    app = FastAPI(
        title="Jigsaw",
        version=__version__,
        description="Multi-agency safeguarding information sharing.",
        lifespan=_worker_lifespan,
        # FastAPI's own documentation loads scripts from a CDN and answers anyone;
        # web/api_docs.py serves it from local files to signed-in people instead.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.database_url, echo=settings.sql_echo)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    install_error_handlers(app)
    app.add_middleware(AllowEveryMethod)

    @app.middleware("http")
    async def no_caching_of_personal_data(request: Request, call_next: Any) -> Response:
        """Nothing but the static assets may sit in a browser or proxy cache."""
        response: Response = await call_next(request)
        if not request.url.path.startswith(CACHEABLE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response

    hardening.install(app, settings)

    for router in (
        sessions_router,
        agencies_router,
        people_router,
        records_router,
        consent_router,
        guidance_router,
        sharing_router,
        singleview_router,
        linkage_router,
        notifications_router,
        audit_router,
        breakglass_router,
    ):
        app.include_router(router, responses=ERROR_RESPONSES)
    api_docs.install(app)
    pages.install(app)
    breakglass_pages.install(app)
    return app
