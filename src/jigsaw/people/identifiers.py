"""The identifiers an agency holds for a person, each under its scheme.

Agencies know a child by numbers other agencies may share: the NHS number (health and
everyone who has it), the Unique Pupil Number (schools and the local authority), a
police reference, a case number of the agency's own. A record carries any number of
them; each is kept as one normalised value, so "B801 2000 05001" typed by a school and
"b801200005001" sent by the local authority are found as one.

A scheme is a member of ``IdentifierScheme`` with a label and a rule
(``_NORMALISERS``): adding one is a member, a label and a rule, no migration (the
column holds the scheme's value as text). A rule returns the value to store or raises
``InvalidIdentifier`` with a sentence a practitioner can act on.

The UPN rule is the Department for Education's: 13 characters, a check letter, then
the local authority number (3 digits), the establishment number (4), the year of
allocation (2) and a serial of 3 digits, or, for a temporary UPN, 2 digits and a
letter. The check letter is the sum of each later character's value times its
position (2 to 13), modulo 23, read on the alphabet without I, O and S; a temporary
UPN's final letter counts as its place on that same alphabet (UK Government Data
Standards Catalogue, "Unique Pupil Number" 2.0; the school census validation rule
1510).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from operator import mul

from jigsaw.people import nhs_number


class IdentifierScheme(StrEnum):
    NHS_NUMBER = "nhs_number"
    UPN = "upn"
    POLICE_REFERENCE = "police_reference"
    LOCAL_CASE_NUMBER = "local_case_number"

    @property
    def label(self) -> str:
        return SCHEME_LABELS[self]

    @property
    def shared(self) -> bool:
        """Whether one body issues the scheme's numbers and many agencies record them
        (``SHARED_SCHEMES``): only then is the same value in two agencies' records
        evidence that they are one person, and linkage weighs it (``linkage.identifiers``)."""
        return self in SHARED_SCHEMES


SCHEME_LABELS: dict[IdentifierScheme, str] = {
    IdentifierScheme.NHS_NUMBER: "NHS number",
    IdentifierScheme.UPN: "Unique Pupil Number (UPN)",
    IdentifierScheme.POLICE_REFERENCE: "Police reference",
    IdentifierScheme.LOCAL_CASE_NUMBER: "Local case number",
}

SHARED_SCHEMES = frozenset({IdentifierScheme.NHS_NUMBER, IdentifierScheme.UPN})
"""Schemes whose numbers one body issues and many agencies record, so the same value in
two agencies' records is the same child. A police reference or a case number is the
issuing agency's own and says nothing across agencies.

Being shared is part of a scheme's definition, set here and nowhere else: the NHS
number (issued by NHS England, recorded by health, schools, social care and the police
alike) and the UPN (issued by a school under the Department for Education's rules,
recorded by schools and the local authority's education and children's services). A
police reference (one force's crime or incident number) and a local case number (one
agency's own file number) are not: two agencies' records holding the same text are a
coincidence of numbering, and linkage gives them no weight. A new scheme is not shared
unless it is added here; a shared scheme other than the NHS number also needs its
evidence rates in ``linkage.identifiers.SCHEME_EVIDENCE``."""

MAX_POLICE_REFERENCE = 40
MAX_LOCAL_CASE_NUMBER = 64

UPN_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""Check letters and temporary UPNs' final letters: A to Z without I, O and S, so the
letter at position ``n`` stands for ``n`` (A = 0 … Z = 22)."""
_UPN_VALUES = {**{str(n): n for n in range(10)}, **{c: n for n, c in enumerate(UPN_ALPHABET)}}
"""What each character of a well-formed UPN counts for in its check letter."""
_UPN_SHAPE = re.compile(r"[A-Z][0-9]{11}[0-9A-Z]", re.ASCII)
_UNKNOWN_UPN = re.compile(r"UN[1-5]")
_SPACES = re.compile(r"\s+")
_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]+")


class InvalidIdentifier(ValueError):
    pass


def upn_check_letter(last_twelve: str) -> str:
    """The check letter for a UPN's characters 2 to 13 (which must be well formed)."""
    # Mapped in C rather than a generator: an import checks a UPN on many rows.
    try:
        total = sum(
            map(mul, map(_UPN_VALUES.__getitem__, last_twelve), range(2, 2 + len(last_twelve)))
        )
    except KeyError:
        raise ValueError("A UPN's check letter is worked out from digits and UPN letters") from None
    return UPN_ALPHABET[total % 23]


def normalise_upn(raw: str) -> str:
    # Letters and digits only (nearly every UPN a file gives) hold no white space to take out.
    value = (raw if raw.isalnum() else _SPACES.sub("", raw)).upper()
    if len(value) == 3 and _UNKNOWN_UPN.fullmatch(value):
        raise InvalidIdentifier(
            f"{value} is the census code for an unknown UPN: leave the UPN out instead"
        )
    if not _UPN_SHAPE.fullmatch(value):
        raise InvalidIdentifier(
            "A UPN must be 13 characters: a letter, then 11 digits, then a digit "
            "(or a letter for a temporary UPN), like B801200005001"
        )
    if value[-1] in "IOS":
        raise InvalidIdentifier("A temporary UPN never ends in I, O or S")
    if value[0] != upn_check_letter(value[1:]):
        raise InvalidIdentifier("This is not a valid UPN: its check letter does not match")
    return value


def _normalise_nhs_number(raw: str) -> str:
    try:
        return nhs_number.normalise(raw)
    except nhs_number.InvalidNHSNumber as invalid:
        raise InvalidIdentifier(str(invalid)) from None


def _free_text(label: str, limit: int, *, upper: bool) -> Callable[[str], str]:
    def normalise(raw: str) -> str:
        value = _SPACES.sub(" ", raw).strip()
        if not value:
            raise InvalidIdentifier(f"Enter the {label.lower()}, or leave it out")
        if len(value) > limit:
            raise InvalidIdentifier(f"A {label.lower()} must be {limit} characters or fewer")
        if not _PRINTABLE.fullmatch(value):
            raise InvalidIdentifier(f"A {label.lower()} cannot hold control characters")
        return value.upper() if upper else value

    return normalise


_NORMALISERS: dict[IdentifierScheme, Callable[[str], str]] = {
    IdentifierScheme.NHS_NUMBER: _normalise_nhs_number,
    IdentifierScheme.UPN: normalise_upn,
    # Police references are written in upper case on every force system seen; spaces
    # inside are kept (one), since "CR 1234/24" and "CR1234/24" may be different forces'.
    IdentifierScheme.POLICE_REFERENCE: _free_text(
        "Police reference", MAX_POLICE_REFERENCE, upper=True
    ),
    IdentifierScheme.LOCAL_CASE_NUMBER: _free_text(
        "Local case number", MAX_LOCAL_CASE_NUMBER, upper=False
    ),
}


def scheme_named(raw: str) -> IdentifierScheme:
    """The scheme a file or a query names, or a reason listing the ones there are."""
    try:
        return IdentifierScheme(raw.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in IdentifierScheme)
        raise InvalidIdentifier(
            f"There is no identifier scheme {raw!r}: use one of {known}"
        ) from None


def normalise(scheme: IdentifierScheme, raw: str) -> str:
    """The value to store and search for, or ``InvalidIdentifier`` with the reason."""
    return _NORMALISERS[scheme](raw)


def reconcile(
    nhs: str | None, identifiers: Iterable[tuple[IdentifierScheme, str]]
) -> tuple[str | None, list[tuple[IdentifierScheme, str]]]:
    """The record's NHS number column and its other identifiers, from what was given.

    The ``nhs_number`` column *is* the record's NHS-number identifier: it is what
    linkage, search and the person index have always read, so an NHS number given as
    an identifier is written there, and never to the identifiers table. Given both
    ways, they must be the same number; a record holds one NHS number, so two
    different ones are refused. Duplicates (after normalising) are kept once. Values
    must already be normalised.
    """
    others: set[tuple[IdentifierScheme, str]] = set()
    given: set[str] = set()
    for scheme, value in identifiers:
        if scheme is IdentifierScheme.NHS_NUMBER:
            given.add(value)
        else:
            others.add((scheme, value))
    if len(given) > 1:
        raise InvalidIdentifier("A record holds one NHS number: these identifiers give two")
    if given and nhs is not None and nhs not in given:
        raise InvalidIdentifier(
            "The NHS number and the NHS number identifier differ: give one number"
        )
    return nhs if nhs is not None else next(iter(given), None), sorted(others)


def listed(
    nhs: str | None, others: Iterable[tuple[IdentifierScheme, str]]
) -> list[tuple[IdentifierScheme, str]]:
    """Every identifier of a record, the NHS number (its column) included, in order."""
    found = set(others)
    if nhs is not None:
        found.add((IdentifierScheme.NHS_NUMBER, nhs))
    return sorted(found)
