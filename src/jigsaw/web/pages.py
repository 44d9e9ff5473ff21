"""The web shell: GOV.UK Frontend assets and the page routes.

``app.py`` calls ``install`` once. Errors that reach a page are answered as pages by
``web.errors``, so practitioners see a page, never raw JSON.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from starlette.staticfiles import StaticFiles

from jigsaw.web import (
    accounts,
    advice_pages,
    agreement_pages,
    assets,
    decision_pages,
    disclosure_pages,
    item_pages,
    linkage_pages,
    notification_pages,
    oversight_pages,
    people_pages,
    record_pages,
    request_pages,
    standalone_pages,
)
from jigsaw.web.forms import viewer
from jigsaw.web.routes import router
from jigsaw.web.singleview_pages import router as singleview_router

STATIC_DIR = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount static assets and the page routes."""
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
        item_pages,
        people_pages,
        standalone_pages,
        agreement_pages,
    ):
        app.include_router(pages.router)
    app.include_router(singleview_router, dependencies=[Depends(viewer)])
