"""NHS number checks: ten digits whose tenth is a modulus 11 check digit.

The weights run 10 down to 2 over the first nine digits; the check digit is
11 minus the remainder mod 11, where 11 becomes 0 and 10 means the number is
invalid (NHS Data Dictionary, "NHS Number").

Some numbers pass the check digit yet are never issued to a patient, so they are
refused too: a number of one repeated digit (``0000000000``, ``1111111111``…),
which is what a form filled with placeholders looks like, and the ``999`` range,
which NHS England keeps for test data. Only the ASCII digits 0-9 count:
``str.isdigit`` would also accept fullwidth or Arabic-Indic digits, which
``int()`` reads as the same values, so a number in such digits would pass the
check and then never match the same number typed in ASCII by another agency.
"""

from __future__ import annotations

import re
from operator import mul

_SEPARATORS = re.compile(r"[\s-]")
_TEN_ASCII_DIGITS = re.compile(r"[0-9]{10}", re.ASCII)
TEST_NUMBER_PREFIX = "999"
_WEIGHTS = range(10, 1, -1)
_ZERO_TOTAL = ord("0") * sum(_WEIGHTS)
"""What nine zeros' character codes add up to, weighted: taken off to sum digits' codes."""


class InvalidNHSNumber(ValueError):
    pass


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number can end them."""
    if len(first_nine) != len(_WEIGHTS):
        raise ValueError("The check digit is worked out from exactly nine digits")
    # Mapped in C rather than a generator: an import checks a number on most rows.
    total: int = sum(map(mul, map(int, first_nine), _WEIGHTS))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def normalise(raw: str) -> str:
    """Return the ten digits of a valid NHS number, or raise with a reason to show."""
    # Ten ASCII digits as given (nearly every number an import reads) need no separators
    # taken out; ``isdigit`` alone would take other scripts' digits, hence ``isascii``.
    plain = len(raw) == 10 and raw.isascii() and raw.isdigit()
    digits = raw if plain else _SEPARATORS.sub("", raw)
    if not plain and not _TEN_ASCII_DIGITS.fullmatch(digits):
        raise InvalidNHSNumber("An NHS number must be 10 digits, like 485 777 3457")
    # ``check_digit`` of ASCII digits, summed from their character codes in C.
    digit = 11 - (sum(map(mul, digits[:9].encode(), _WEIGHTS)) - _ZERO_TOTAL) % 11
    expected = 0 if digit == 11 else None if digit == 10 else digit
    if expected is None or expected != int(digits[9]):
        raise InvalidNHSNumber("This is not a valid NHS number: its check digit does not match")
    if len(set(digits)) == 1:
        raise InvalidNHSNumber("This is not a valid NHS number: no number repeats one digit")
    if digits.startswith(TEST_NUMBER_PREFIX):
        raise InvalidNHSNumber(
            "This is not a valid NHS number: numbers starting 999 are test numbers"
        )
    return digits


def is_valid(raw: str) -> bool:
    try:
        normalise(raw)
    except InvalidNHSNumber:
        return False
    return True
