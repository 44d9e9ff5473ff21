"""What a new password must be: long enough, not too long, not common, not about the person."""

from __future__ import annotations

import pytest

from jigsaw.identity.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    common_passwords,
    password_problem,
)

ABOUT_DEE = ["Dee Walsh", "dee.walsh@example.org"]


def test_eight_characters_is_never_enough_and_the_minimum_is_twelve() -> None:
    assert MIN_PASSWORD_LENGTH >= 8
    short = "kx7#pq2!vz"
    assert password_problem(short[: MIN_PASSWORD_LENGTH - 1]) == (
        f"Your password must be {MIN_PASSWORD_LENGTH} characters or more"
    )
    assert password_problem("kx7#pq2!vzm4") is None


def test_long_passphrases_are_welcome_up_to_a_thousand_characters() -> None:
    phrase = "the kettle sings while grey herons fish beneath willow bridges at dawn"
    assert len(phrase) > 64
    assert password_problem(phrase) is None
    long_one = (phrase + " ") * (MAX_PASSWORD_LENGTH // len(phrase) + 1)
    assert password_problem(long_one[:MAX_PASSWORD_LENGTH]) is None
    assert password_problem(long_one[: MAX_PASSWORD_LENGTH + 1]) == (
        f"Your password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    )


@pytest.mark.parametrize(
    "password",
    ["lowercase only words here", "ALLCAPSBUTLONGENOUGH", "948271635019", "no digits or symbols"],
)
def test_there_are_no_composition_rules(password: str) -> None:
    assert password_problem(password) is None


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "Password2024!",
        "passwordpassword",
        "123456789012",
        "qwertyuiop12",
        "1q2w3e4r5t6y",
        "Liverpool1892",
        "Jigsaw123456",
        "safeguarding!!",
        "Pass Word 123!",
    ],
)
def test_common_passwords_are_refused_even_dressed_up(password: str) -> None:
    assert password_problem(password) == (
        "Your password is too common; choose one that is harder to guess"
    )


@pytest.mark.parametrize("password", ["aaaaaaaaaaaaaaaa", "abababababab", "111122221111"])
def test_a_few_characters_repeated_are_refused(password: str) -> None:
    assert password_problem(password) == (
        "Your password repeats a few characters; choose one that is harder to guess"
    )


@pytest.mark.parametrize("password", ["deewalsh2024!", "Dee.Walsh.1234", "walshwalshwalsh"])
def test_the_persons_own_name_and_email_are_refused(password: str) -> None:
    assert password_problem(password, ABOUT_DEE) == (
        "Your password must not be your name or email address"
    )
    assert password_problem(password) is None, "only because it is about Dee"


def test_the_bundled_list_is_read_and_lower_case() -> None:
    listed = common_passwords()
    assert {"password", "qwerty", "iloveyou", "jigsaw"} <= listed
    assert all(word == word.lower() and not word.startswith("#") for word in listed)


def test_a_blank_password_asks_for_one() -> None:
    assert password_problem("") == "Enter a new password"
