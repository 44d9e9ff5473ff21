import pytest
from hypothesis import given
from hypothesis import strategies as st

from jigsaw.people.nhs_number import (
    TEST_NUMBER_PREFIX,
    InvalidNHSNumber,
    check_digit,
    is_valid,
    normalise,
)
from jigsaw.synthetic.households import nhs_number_for


def test_known_valid_number_is_accepted_with_spaces() -> None:
    # 943 476 5919 is the NHS Digital documentation's example number.
    assert normalise("943 476 5919") == "9434765919"


@pytest.mark.parametrize("raw", ["9434765918", "123", "94347659190", "94347a5919", ""])
def test_invalid_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidNHSNumber):
        normalise(raw)


def test_nine_digits_giving_check_ten_have_no_valid_number() -> None:
    # 0000000 and weights: find a prefix whose remainder gives 10 and prove none validates.
    prefix = next(f"{n:09d}" for n in range(10**6) if check_digit(f"{n:09d}") is None)
    assert not any(is_valid(prefix + str(d)) for d in range(10))


def _issuable(number: str) -> bool:
    return len(set(number)) > 1 and not number.startswith(TEST_NUMBER_PREFIX)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_or_none_completes_nine_digits(prefix: str) -> None:
    valid = [d for d in range(10) if is_valid(prefix + str(d))]
    expected = check_digit(prefix)
    issuable = expected is not None and _issuable(prefix + str(expected))
    assert valid == ([expected] if issuable else [])


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_a_single_digit_change_is_always_caught(number: str) -> None:
    if not is_valid(number):
        return
    for position in range(9):
        for digit in "0123456789":
            if digit != number[position]:
                changed = number[:position] + digit + number[position + 1 :]
                assert not is_valid(changed)


@pytest.mark.parametrize(
    "raw",
    [
        "\uff19\uff14\uff13\uff14\uff17\uff16\uff15\uff19\uff11\uff19",  # fullwidth
        "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",  # Arabic-Indic
        "\u06f9\u06f4\u06f3\u06f4\u06f7\u06f6\u06f5\u06f9\u06f1\u06f9",  # Persian
        "943476591\uff19",  # one fullwidth digit among ASCII ones
    ],
)
def test_digits_other_than_ascii_are_refused(raw: str) -> None:
    # Each of these reads as 9434765919 to int(), which would pass the check digit.
    with pytest.raises(InvalidNHSNumber, match="10 digits"):
        normalise(raw)


@pytest.mark.parametrize("digit", "0123456789")
def test_a_number_of_one_repeated_digit_is_refused(digit: str) -> None:
    assert not is_valid(digit * 10)


def test_zeros_and_ones_pass_the_check_digit_yet_are_refused() -> None:
    # The check digit alone lets these through; only the explicit rule stops them.
    assert check_digit("000000000") == 0
    assert check_digit("111111111") == 1
    with pytest.raises(InvalidNHSNumber, match="repeats one digit"):
        normalise("000 000 0000")


def test_test_range_numbers_are_refused() -> None:
    prefix = next(f"999{n:06d}" for n in range(10**6) if check_digit(f"999{n:06d}") is not None)
    number = prefix + str(check_digit(prefix))
    with pytest.raises(InvalidNHSNumber, match="test numbers"):
        normalise(number)


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_the_synthetic_population_makes_only_valid_numbers(seed: int) -> None:
    assert all(is_valid(nhs_number_for(seed, number)) for number in range(2000))
