"""The app's worker start-up: what it loaded is frozen out of the garbage collector's way."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_a_running_worker_keeps_its_start_up_objects_out_of_every_collection(
    app: FastAPI,
) -> None:
    assert gc.get_freeze_count() == 0
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 50_000, "the imports' objects are frozen at start-up"
        assert client.get("/sign-in").status_code == 200
    assert gc.get_freeze_count() == 0, "and given back when the worker stops"
