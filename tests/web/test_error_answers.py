"""One error mapper: a page route is answered with a GOV.UK page, an ``/api`` route with JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jigsaw.app import create_app
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.errors import Conflict, FieldProblem, InvalidInput

NAME = "Enter the child's first name"
DATE = "The date of birth must be in the past"


def _refuse_input() -> None:
    raise InvalidInput(FieldProblem("given_name", NAME), FieldProblem("date_of_birth", DATE))


def _clash() -> None:
    raise Conflict("This request has already been answered")


def _wants_a_number(count: int) -> dict[str, int]:
    return {"count": count}


@pytest.fixture(scope="module")
def answers(settings: Settings, db: Database) -> Iterator[TestClient]:
    """The real app with the same few failing routes both as a page and under ``/api``."""
    app: FastAPI = create_app(settings, db)
    for prefix in ("/errors-for-test", "/api/errors-for-test"):
        app.add_api_route(f"{prefix}/invalid", _refuse_input, methods=["POST"])
        app.add_api_route(f"{prefix}/conflict", _clash, methods=["POST"])
        app.add_api_route(f"{prefix}/number", _wants_a_number, methods=["GET"])
    with TestClient(app) as client:
        yield client


def test_invalid_input_on_a_page_is_a_page_listing_each_problem(answers: TestClient) -> None:
    response = answers.post("/errors-for-test/invalid")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "There is a problem" in response.text
    assert NAME.replace("'", "&#39;") in response.text and DATE in response.text
    assert '"errors"' not in response.text


def test_invalid_input_on_the_api_is_json_naming_each_field(answers: TestClient) -> None:
    response = answers.post("/api/errors-for-test/invalid")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "errors": [
            {"field": "given_name", "message": NAME},
            {"field": "date_of_birth", "message": DATE},
        ]
    }


def test_a_conflict_on_a_page_is_a_page_and_on_the_api_is_json(answers: TestClient) -> None:
    page = answers.post("/errors-for-test/conflict")
    assert page.status_code == 409
    assert page.headers["content-type"].startswith("text/html")
    assert "This request has already been answered" in page.text

    api = answers.post("/api/errors-for-test/conflict")
    assert api.status_code == 409
    assert api.json() == {
        "errors": [{"field": "", "message": "This request has already been answered"}]
    }


def test_a_request_the_framework_cannot_read_is_answered_the_same_way(
    answers: TestClient,
) -> None:
    page = answers.get("/errors-for-test/number", params={"count": "many"})
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "There is a problem" in page.text

    api = answers.get("/api/errors-for-test/number", params={"count": "many"})
    assert api.status_code == 422
    assert api.json()["errors"][0]["field"] == "count"
