"""The web shell: GOV.UK Frontend assets, page routes and error pages for people.

``app.py`` calls ``install`` once and ``error_page`` whenever a service error reaches
a page (not an ``/api`` path), so practitioners see a page, never raw JSON.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from jigsaw import clock
from jigsaw.access.throttle import AccountLocked
from jigsaw.http import ReauthenticationRequired, SecondFactorRequired
from jigsaw.web import (
    accounts,
    advice_pages,
    assets,
    decision_pages,
    disclosure_pages,
    linkage_pages,
    notification_pages,
    oversight_pages,
    record_pages,
    request_pages,
)
from jigsaw.web.csrf import CsrfRefused
from jigsaw.web.drafts import DraftTooLarge
from jigsaw.web.forms import viewer
from jigsaw.web.routes import router
from jigsaw.web.singleview_pages import router as singleview_router
from jigsaw.web.templating import templates

STATIC_DIR = Path(__file__).parent / "static"

_ERROR_TITLES = {404: "Page not found", 405: "Page not found", 403: "You cannot do this"}


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """A full GOV.UK page saying what went wrong and where to go next."""
    return templates.TemplateResponse(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        status_code=status,
    )


async def _csrf_refused(request: Request, _: Exception) -> Response:
    return error_page(
        request,
        403,
        "Your form could not be sent",
        "This can happen if the page was open for a long time, or you signed in or out "
        "in another tab. Nothing has been saved or changed. Go back, refresh the page "
        "and try again.",
    )


async def _draft_too_large(request: Request, _: Exception) -> Response:
    return error_page(
        request,
        413,
        "Your answers are too long to keep",
        "Your answers so far are kept while you move between pages, and they have grown "
        "too long. Nothing has been recorded. Go back and shorten your longest answer.",
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing errors (no such page, wrong method) as pages; the API answers its own JSON."""
    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    if path.startswith("/api") and exc.status_code >= 400:
        return _json_error(str(exc.detail), exc.status_code, dict(exc.headers or {}))
    if path.startswith((assets.ASSETS_URL, "/static")) or exc.status_code < 400:
        return await http_exception_handler(request, exc)
    title = _ERROR_TITLES.get(exc.status_code, "Sorry, there is a problem with the service")
    return error_page(request, exc.status_code, title, "")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _json_error(message: str, status: int, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {"errors": [{"field": "", "message": message}]}, status_code=status, headers=headers
    )


async def _second_factor_required(request: Request, exc: Exception) -> Response:
    """Half signed in: pages go to the code step, the API says what is missing."""
    if _is_api(request):
        return _json_error(str(exc), 401)
    return RedirectResponse(accounts.CODE_PAGE, status_code=303)


async def _reauthentication_required(request: Request, exc: Exception) -> Response:
    if _is_api(request):
        return _json_error(str(exc), 401)
    return RedirectResponse(accounts.reauthentication_location(request), status_code=303)


async def _account_locked(request: Request, exc: Exception) -> Response:
    """429 with Retry-After, so clients back off for as long as the lock lasts."""
    assert isinstance(exc, AccountLocked)
    retry = {"Retry-After": str(exc.retry_after_seconds(clock.utcnow()))}
    if _is_api(request):
        return _json_error(str(exc), 429, retry)
    response = error_page(request, 429, "Too many attempts", str(exc))
    response.headers.update(retry)
    return response


def install(app: FastAPI) -> None:
    """Mount static assets and page routes, and show errors on pages as pages."""
    app.state.govuk_frontend = assets.mount(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(accounts.router)
    app.include_router(router, dependencies=[Depends(viewer)])
    for pages in (
        decision_pages,
        record_pages,
        advice_pages,
        disclosure_pages,
        notification_pages,
        request_pages,
        oversight_pages,
        linkage_pages,
    ):
        app.include_router(pages.router)
    app.include_router(singleview_router, dependencies=[Depends(viewer)])
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(DraftTooLarge, _draft_too_large)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(SecondFactorRequired, _second_factor_required)
    app.add_exception_handler(ReauthenticationRequired, _reauthentication_required)
    app.add_exception_handler(AccountLocked, _account_locked)
