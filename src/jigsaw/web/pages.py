"""The web shell: GOV.UK Frontend assets, page routes and error pages for people.

``app.py`` calls ``install`` once and ``error_page`` whenever a service error reaches
a page (not an ``/api`` path), so practitioners see a page, never raw JSON.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from jigsaw.web import assets
from jigsaw.web.csrf import CsrfRefused
from jigsaw.web.routes import router
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


async def _http_error(request: Request, exc: Exception) -> Response:
    """Routing errors (no such page, wrong method) as pages; the API keeps JSON."""
    assert isinstance(exc, StarletteHTTPException)
    path = request.url.path
    if path.startswith(("/api", assets.ASSETS_URL, "/static")) or exc.status_code < 400:
        return await http_exception_handler(request, exc)
    title = _ERROR_TITLES.get(exc.status_code, "Sorry, there is a problem with the service")
    return error_page(request, exc.status_code, title, "")


def install(app: FastAPI) -> None:
    """Mount static assets and page routes, and show errors on pages as pages."""
    app.state.govuk_frontend = assets.mount(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(router)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(StarletteHTTPException, _http_error)
