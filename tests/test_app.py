"""The app's worker start-up (what it loaded is frozen out of the garbage collector's
way) and its answers to errors no route handled."""

from __future__ import annotations

import gc

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jigsaw.app import create_app
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.sharing.schemas import RevocationIn


def test_a_running_worker_keeps_its_start_up_objects_out_of_every_collection(
    app: FastAPI,
) -> None:
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 50_000, "the imports' objects are frozen at start-up"
        assert client.get("/sign-in").status_code == 200
    assert gc.get_freeze_count() == 0, "and given back when the worker stops"


def test_a_schema_refusing_input_a_route_did_not_check_is_a_422_that_logs_no_value(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A route that builds a schema from what was typed, outside its own error handling,
    still answers 422 (a page for pages, JSON for the API), never 500 with a traceback
    that quotes the text."""
    app = create_app(settings, db)

    def unchecked() -> None:
        RevocationIn(reason="Sent to the wrong team\x00")

    app.add_api_route("/unchecked", unchecked)
    app.add_api_route("/api/unchecked", unchecked)
    with TestClient(app) as client, caplog.at_level("DEBUG"):
        page = client.get("/unchecked")
        api = client.get("/api/unchecked")
    assert page.status_code == 422
    assert "text/html" in page.headers["content-type"]
    assert "There is a problem" in page.text
    assert api.status_code == 422
    assert [e["field"] for e in api.json()["errors"]] == ["reason"]
    assert "wrong team" not in caplog.text + api.text + page.text
