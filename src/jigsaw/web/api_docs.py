"""The API's documentation (Swagger UI) and its OpenAPI document, for signed-in people only.

FastAPI's own ``/docs`` and ``/redoc`` load their scripts from a CDN and answer
anyone; they are switched off (``app.py``). Here the same documentation is served
from Swagger UI's npm package (``swagger-ui-dist``, pinned in ``package-lock.json``
beside GOV.UK Frontend), started by a script file rather than an inline one, so the
Content-Security-Policy holds on these pages too. The document lists every route
and field, so it is shown only to someone signed in with a second factor.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response

from jigsaw.identity.dependencies import CurrentActor
from jigsaw.web import assets
from jigsaw.web.templating import render

DOCS_URL = "/api/docs"
OPENAPI_URL = "/api/openapi.json"
SWAGGER_URL = f"{assets.ASSETS_URL}/swagger-ui"
SWAGGER_FILES = ("swagger-ui.css", "swagger-ui-bundle.js")
SWAGGER_PACKAGE = Path("swagger-ui-dist")


def find_swagger_ui(configured: Path | None = None) -> Path | None:
    """The installed ``swagger-ui-dist`` folder, looked for where GOV.UK Frontend is."""
    places = [assets.PROJECT_ROOT / "node_modules", Path.cwd() / "node_modules"]
    if configured is not None:
        places = [configured, configured / "node_modules", configured.parent, *places]
    for place in places:
        folder = place if place.name == SWAGGER_PACKAGE.name else place / SWAGGER_PACKAGE
        if all((folder / name).is_file() for name in SWAGGER_FILES):
            return folder
    return None


def openapi_document(request: Request, _: CurrentActor) -> JSONResponse:
    return JSONResponse(request.app.openapi())


def api_documentation(request: Request, _: CurrentActor) -> Response:
    if getattr(request.app.state, "swagger_ui", None) is None:
        return PlainTextResponse(
            "The API documentation needs swagger-ui-dist: run `npm ci` (or `make setup`).",
            status_code=503,
        )
    urls = {"swagger_url": SWAGGER_URL, "openapi_url": OPENAPI_URL}
    return render(request, "api_docs.html", urls)


def _file_route(router: APIRouter, folder: Path, name: str) -> None:
    path = folder / name

    async def endpoint() -> FileResponse:
        return FileResponse(path)

    router.add_api_route(f"{SWAGGER_URL}/{name}", endpoint, methods=["GET", "HEAD"])


def install(app: FastAPI) -> None:
    """Add the routes; call before the ``/assets`` mount, which would otherwise shadow them."""
    router = APIRouter(include_in_schema=False)
    router.add_api_route(OPENAPI_URL, openapi_document, methods=["GET"])
    router.add_api_route(DOCS_URL, api_documentation, methods=["GET"])
    folder = find_swagger_ui(assets.AssetSettings().assets_dir)
    app.state.swagger_ui = folder
    if folder is not None:
        for name in SWAGGER_FILES:
            _file_route(router, folder, name)
    app.include_router(router)
