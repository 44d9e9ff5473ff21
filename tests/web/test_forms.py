"""Page forms read through pydantic models: problems worded for people, in the form's
order, and shown once, by the base layout, with "Error: " in the title."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from enum import Enum
from html import unescape
from typing import Annotated, ClassVar
from urllib.parse import urlencode

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from pydantic import Field
from starlette.datastructures import ImmutableMultiDict

from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.schemas import CONTROL_MESSAGE, LINE_BREAK_MESSAGE, Id
from jigsaw.web.forms import (
    DateInput,
    Form,
    Offered,
    PageForm,
    RawPageForm,
    Says,
    by_field,
    parse_form,
    validate_form,
)
from tests.conftest import World
from tests.web.helpers import form_token, page_title


class Urgency(Enum):
    RED = "red"
    GREEN = "green"


class Asking(PageForm):
    free_text: ClassVar[frozenset[str]] = frozenset({"question"})

    email: Annotated[str, Says("Enter your email address"), Field(max_length=20)]
    urgency: Annotated[Urgency, Says("Select how urgent it is")]
    agency_id: Annotated[Id, Says("Choose the agency to ask")]
    question: Annotated[
        str,
        Says("Enter your question", too_long="Your question must be 10 characters or fewer"),
        Field(max_length=10),
    ] = ""
    kinds: Annotated[list[str], Says("Select the kinds of information")] = []
    team: Annotated[str, Says("Choose a team"), Offered] = ""


class Secret(RawPageForm):
    password: Annotated[str, Says("Enter your password")]


class Dated(PageForm):
    born: Annotated[date, Says("Enter the date of birth"), DateInput("the date of birth")]


def _form(*pairs: tuple[str, str]) -> Form:
    return Form(ImmutableMultiDict(list(pairs)))


def test_missing_fields_are_asked_for_in_the_order_of_the_form() -> None:
    found, problems = validate_form(_form(("agency_id", ""), ("email", "   ")), Asking)
    assert found is None
    assert problems == [
        {"field": "email", "message": "Enter your email address"},
        {"field": "urgency", "message": "Select how urgent it is"},
        {"field": "agency_id", "message": "Choose the agency to ask"},
    ]


def test_too_long_uses_the_fields_words_or_says_how_many_characters() -> None:
    _, problems = validate_form(
        _form(
            ("email", "x" * 21),
            ("urgency", "red"),
            ("agency_id", "3"),
            ("question", "y" * 11),
        ),
        Asking,
    )
    assert problems == [
        {"field": "email", "message": "Enter 20 characters or fewer"},
        {"field": "question", "message": "Your question must be 10 characters or fewer"},
    ]


@pytest.mark.parametrize(
    ("urgency", "agency_id"), [("purple", "abc"), ("RED", "0"), ("green ", "99999999999")]
)
def test_a_choice_that_was_not_offered_or_not_a_number_asks_for_a_choice(
    urgency: str, agency_id: str
) -> None:
    _, problems = validate_form(
        _form(("email", "a@b.c"), ("urgency", urgency), ("agency_id", agency_id)), Asking
    )
    assert by_field(problems) == {
        **({"urgency": "Select how urgent it is"} if urgency != "green " else {}),
        "agency_id": "Choose the agency to ask",
    }


def test_no_message_speaks_pydantic() -> None:
    _, problems = validate_form(_form(("urgency", "x"), ("agency_id", "x")), Asking)
    for problem in problems:
        assert not re.search(
            r"(?i)field required|should be|valid enumeration|input", problem["message"]
        )


def test_a_valid_form_is_the_model_trimmed_with_lists_and_the_token_left_out() -> None:
    found, problems = validate_form(
        _form(
            ("csrf_token", "t"),
            ("email", " a@b.c "),
            ("urgency", "green"),
            ("agency_id", "7"),
            ("kinds", "health"),
            ("kinds", " "),
            ("kinds", "school"),
            ("question", "Why?\nWhen?"),
        ),
        Asking,
    )
    assert problems == []
    assert found is not None
    assert (found.email, found.urgency, found.agency_id) == ("a@b.c", Urgency.GREEN, 7)
    assert found.kinds == ["health", "school"]
    assert found.question == "Why?\nWhen?"


def test_control_characters_are_still_refused_in_the_schemas_words() -> None:
    pairs = (("email", "a@b\t.c"), ("urgency", "red"), ("agency_id", "1"), ("question", "a\x00"))
    _, problems = validate_form(_form(*pairs), Asking)
    assert by_field(problems) == {"email": LINE_BREAK_MESSAGE, "question": CONTROL_MESSAGE}


def test_offered_choices_come_from_the_page() -> None:
    pairs = (("email", "a@b.c"), ("urgency", "red"), ("agency_id", "1"), ("team", "north"))
    refused, problems = validate_form(_form(*pairs), Asking, {"team": {"south"}})
    assert refused is None
    assert problems == [{"field": "team", "message": "Choose a team"}]
    found, _ = validate_form(_form(*pairs), Asking, {"team": {"north", "south"}})
    assert found is not None and found.team == "north"


def test_a_raw_form_keeps_spaces_and_only_empty_is_missing() -> None:
    found, _ = validate_form(_form(("password", " pass word ")), Secret)
    assert found is not None and found.password == " pass word "
    _, problems = validate_form(_form(("password", "")), Secret)
    assert problems == [{"field": "password", "message": "Enter your password"}]


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("", "", ""), "Enter the date of birth"),
        (("31", "2", "2019"), "The date of birth must be a real date"),
        (("a", "2", "2019"), "The date of birth must be a real date, using numbers only"),
        (("1", "2", "19"), "Enter the year as 4 numbers, for example 2026"),
    ],
)
def test_a_govuk_date_input_is_read_from_its_three_boxes(
    parts: tuple[str, str, str], message: str
) -> None:
    names = ("born-day", "born-month", "born-year")
    _, problems = validate_form(_form(*zip(names, parts, strict=True)), Dated)
    assert problems == [{"field": "born", "message": message}]
    found, _ = validate_form(_form(*zip(names, ("27", "3", "2019"), strict=True)), Dated)
    assert found is not None and found.born == date(2019, 3, 27)


def test_parse_form_reads_the_posted_body() -> None:
    body = urlencode([("email", ""), ("urgency", "blue"), ("agency_id", "5")]).encode()

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
    }
    # A thread of its own: a browser test earlier in the run may hold this thread's loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        parsed = pool.submit(asyncio.run, parse_form(Request(scope, receive), Asking))
        found, problems = parsed.result()
    assert found is None
    assert by_field(problems) == {
        "email": "Enter your email address",
        "urgency": "Select how urgent it is",
    }


# The error summary, shown once by the base layout


def _summaries(html: str) -> list[str]:
    return re.findall(r'class="govuk-error-summary"(.*?)</ul>', html, re.S)


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return match.group(1).strip()


def test_a_page_with_errors_has_one_summary_linked_to_its_fields(client: TestClient) -> None:
    token = form_token(client.get("/sign-in").text)
    page = client.post("/sign-in", data={"email": "", "password": "", "csrf_token": token})
    assert page.status_code == 422
    assert _title(page.text) == page_title("Error: Sign in")
    [summary] = _summaries(page.text)
    assert 'role="alert"' in page.text.split('class="govuk-error-summary"', 1)[1][:200]
    assert re.findall(r'<a href="([^"]+)">', summary) == ["#email", "#password"]
    assert 'id="email"' in page.text and 'id="password"' in page.text
    assert page.text.count("govuk-error-message") == 2


def test_a_sharing_page_with_errors_has_one_summary_and_its_inline_messages(
    client: TestClient, world: World
) -> None:
    officer = world.practitioner(world.agency(AgencyKind.POLICE), Role.PRACTITIONER)
    world.sign_in(client, officer)
    token = form_token(client.get("/find-a-child").text)
    page = client.post("/find-a-child", data={"csrf_token": token, "postcode": "NOPE"})
    assert page.status_code == 422
    assert _title(page.text) == page_title("Error: Find a child")
    [summary] = _summaries(page.text)
    links = [(h, unescape(t)) for h, t in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary)]
    assert links == [
        ("#given_name", "Enter the child's first name"),
        ("#family_name", "Enter the child's last name"),
        ("#date_of_birth-day", "Enter the child's date of birth"),
        ("#postcode", "Enter a real postcode, like SW1A 1AA, or leave it blank"),
    ]
    assert page.text.count("govuk-error-message") == 4


def test_a_page_without_errors_has_no_summary_and_a_plain_title(client: TestClient) -> None:
    page = client.get("/sign-in")
    assert _summaries(page.text) == []
    assert _title(page.text) == page_title("Sign in")
