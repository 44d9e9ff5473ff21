import pytest
from hypothesis import given
from hypothesis import strategies as st

from jigsaw.people.nhs_number import InvalidNHSNumber, check_digit, is_valid, normalise


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


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_or_none_completes_nine_digits(prefix: str) -> None:
    valid = [d for d in range(10) if is_valid(prefix + str(d))]
    expected = check_digit(prefix)
    assert valid == ([] if expected is None else [expected])


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_a_single_digit_change_is_always_caught(number: str) -> None:
    if not is_valid(number):
        return
    for position in range(9):
        for digit in "0123456789":
            if digit != number[position]:
                changed = number[:position] + digit + number[position + 1 :]
                assert not is_valid(changed)
