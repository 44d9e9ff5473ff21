"""The FastAPI application factory: routers from each domain, errors answered by ``web.errors``."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from jigsaw import __version__, hardening, subscriptions
from jigsaw.agencies.api import router as agencies_router
from jigsaw.agreements.api import check_router as agreement_check_router
from jigsaw.agreements.api import router as agreements_router
from jigsaw.breakglass.api import router as breakglass_router
from jigsaw.clock import Clock, bound
from jigsaw.config import Settings, get_settings
from jigsaw.consent.api import router as consent_router
from jigsaw.db import Database
from jigsaw.guidance.api import router as guidance_router
from jigsaw.identity.api import router as sessions_router
from jigsaw.identity.dependencies import SESSION_COOKIE
from jigsaw.imports.api import router as imports_router
from jigsaw.interop.fhir.api import register_router as fhir_register_router
from jigsaw.interop.fhir.api import router as fhir_router
from jigsaw.interop.mais_api import router as mais_router
from jigsaw.linkage.api import router as linkage_router
from jigsaw.methods import AllowEveryMethod
from jigsaw.notifications.api import router as notifications_router
from jigsaw.oversight.api import break_glass_router as break_glass_review_router
from jigsaw.oversight.api import router as oversight_router
from jigsaw.people.api import router as people_router
from jigsaw.protection.master_key import open_database
from jigsaw.records.api import router as records_router
from jigsaw.schemas import ERROR_RESPONSES
from jigsaw.sharing.api import router as sharing_router
from jigsaw.singleview.api import router as singleview_router
from jigsaw.web import api_docs, breakglass_pages, errors, pages

CACHEABLE_PREFIXES = ("/assets/", "/static/")


class OneClock:
    """The database's clock is "now" for the whole request, routes and pages included,
    not only inside its transactions: a page and the services it calls agree on it."""

    def __init__(self, app: ASGIApp, clock: Clock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with bound(self.clock):
            await self.app(scope, receive, send)


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
    subscriptions.wire()
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
    app.state.db = db or open_database(settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    errors.install(app)
    app.add_middleware(AllowEveryMethod)

    @app.middleware("http")
    async def no_caching_of_personal_data(request: Request, call_next: Any) -> Response:
        """Nothing but the static assets may sit in a browser or proxy cache."""
        response: Response = await call_next(request)
        if not request.url.path.startswith(CACHEABLE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response

    app.add_middleware(OneClock, clock=app.state.db.clock)
    hardening.install(app, settings)

    for router in (
        sessions_router,
        agencies_router,
        people_router,
        records_router,
        imports_router,
        consent_router,
        agreement_check_router,
        agreements_router,
        guidance_router,
        sharing_router,
        mais_router,
        singleview_router,
        linkage_router,
        notifications_router,
        oversight_router,
        breakglass_router,
        break_glass_review_router,
        fhir_register_router,
        fhir_router,
    ):
        app.include_router(router, responses=ERROR_RESPONSES)
    api_docs.install(app)
    pages.install(app)
    breakglass_pages.install(app)
    return app
