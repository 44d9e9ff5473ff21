"""Finding and serving GOV.UK Frontend's built files (CSS, JavaScript, fonts, images).

The files come from npm (``npm ci`` installs ``node_modules/govuk-frontend``) so the
version stays pinned in ``package-lock.json`` and nothing generated is committed.
A checkout finds them beside the project; an installed package is told where they
are with ``JIGSAW_ASSETS_DIR``.

If they are missing the service still starts: the JSON API does not need them, and
refusing to start would take the API down for a styling problem. Instead start-up
logs a warning and every ``/assets/`` request answers 503 with what to run.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.responses import FileResponse, PlainTextResponse
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

logger = logging.getLogger(__name__)

ASSETS_URL = "/assets"
PROJECT_ROOT = Path(__file__).resolve().parents[3]
DIST = Path("node_modules", "govuk-frontend", "dist", "govuk")
STYLESHEET = "govuk-frontend.min.css"
SCRIPT = "govuk-frontend.min.js"
BUNDLES = (STYLESHEET, SCRIPT, f"{STYLESHEET}.map", f"{SCRIPT}.map")


class AssetSettings(BaseSettings):
    """Read separately from the main settings: only the web shell needs it."""

    model_config = SettingsConfigDict(env_prefix="JIGSAW_", extra="ignore")

    assets_dir: Path | None = None


def _candidates(configured: Path | None) -> list[Path]:
    """Places GOV.UK Frontend's ``dist/govuk`` folder may be, most specific first.

    ``JIGSAW_ASSETS_DIR`` may name the ``dist/govuk`` folder itself, the installed
    ``govuk-frontend`` package, a ``node_modules`` folder or the folder holding it.
    """
    if configured is not None:
        return [
            configured,
            configured / "dist" / "govuk",
            configured / "govuk-frontend" / "dist" / "govuk",
            configured / DIST,
        ]
    return [PROJECT_ROOT / DIST, Path.cwd() / DIST]


def find_govuk_frontend(configured: Path | None = None) -> Path | None:
    """The ``dist/govuk`` folder holding the built CSS and JS, or None if absent."""
    for folder in _candidates(configured):
        if (folder / STYLESHEET).is_file() and (folder / "assets").is_dir():
            return folder
    return None


def missing_message(configured: Path | None) -> str:
    where = f"JIGSAW_ASSETS_DIR={configured}" if configured else f"{PROJECT_ROOT / DIST}"
    return (
        f"GOV.UK Frontend is not installed (looked in {where}). "
        f"Run `npm ci` in {PROJECT_ROOT} (or `make setup`), or set JIGSAW_ASSETS_DIR "
        "to the folder holding node_modules/govuk-frontend. Pages will show without "
        "styles until then; the JSON API is unaffected."
    )


class MissingAssets:
    """Answers every asset request with the fix, instead of a bare 404."""

    def __init__(self, message: str) -> None:
        self.message = message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse(self.message, status_code=503)
        await response(scope, receive, send)


def _bundle_route(folder: Path, name: str) -> Route:
    """One top-level file of ``dist/govuk``, served beside the fonts and images.

    The stylesheet refers to ``/assets/fonts/...``, so the fonts must live under
    ``/assets``; serving these few files by name keeps the rest of ``dist`` (Sass
    sources, component modules) off the web.
    """
    path = folder / name

    async def endpoint(_: object) -> FileResponse:
        return FileResponse(path)

    return Route(f"{ASSETS_URL}/{name}", endpoint, methods=["GET", "HEAD"])


def mount(app: FastAPI) -> Path | None:
    """Serve GOV.UK Frontend under ``/assets``; return its folder, or None if missing."""
    configured = AssetSettings().assets_dir
    folder = find_govuk_frontend(configured)
    if folder is None:
        message = missing_message(configured)
        logger.warning(message)
        app.mount(ASSETS_URL, MissingAssets(message), name="assets")
        return None
    for name in BUNDLES:
        if (folder / name).is_file():
            app.router.routes.append(_bundle_route(folder, name))
    app.mount(ASSETS_URL, StaticFiles(directory=folder / "assets"), name="assets")
    return folder
