"""Turning an agency's copy of a person into the normalised values the model compares.

The same function prepares records for batch linkage (thousands at a time, into
DuckDB or Spark) and a practitioner's search (one at a time, in process), so the
two paths can never disagree about what "the same name" means.

Why these features:

* Given names are compared through the ``nicknames`` table as well as by spelling,
  because agencies record what a child is called (Libby, Alfie) as often as the
  registered name (Elizabeth, Alfred). Each name carries the set of canonical names
  it may stand for; two records agree on a nickname when those sets meet.
* Surnames keep their parts, because a double-barrelled name is often recorded as
  one half, or with a space instead of a hyphen.
* Dates of birth keep a day/month-swapped twin, because 04/07 and 07/04 are the
  commonest slip in UK records (and in systems that parsed US-style dates).
* Postcodes are cut into sector and district, so a stale or mistyped postcode still
  says "same neighbourhood". A postcode that is not a UK one (a record from elsewhere, or
  one typed into the wrong box) keeps no parts but is still compared as recorded.
* The house number and street (``street``), because the rest of an address (the
  district, the town, a flat's name) is what clerks leave out or add, and the
  postcode is what they most often get wrong or leave empty: two records at "12 Mill
  Road" are at one home whatever follows.
* The house number with the first word of the street's name (``house_street``), and
  that word alone (``street_name``), read wherever the address puts them: an address
  written number last (as abroad), with the street-type word mistyped or a locality
  kept in the line still gives '12 mill'.
* Whether the record is of a child or an adult, because a father and son who share
  a name, a surname and a home differ in little else when a date of birth is missing.
* Phonetic codes (Soundex for surnames, Metaphone for given names) catch spelling
  variants that string similarity scores low, and give the online match an index key.
* For an adult, the persons of the children the agency records them with, once those
  children are linked (``linked_children``): two agencies' records of a mother share
  her child long after her surname, address and the school's missing date of birth
  have stopped saying so. It is filled between two passes of a batch run
  (``relational``); a search, and the first pass, leave it unknown.
* Which agency holds the record, because an agency holds one record per person: two
  of its records that agree on almost everything are two people (sisters called Ella
  and Ellie at one school, a child's two mothers at one GP), far more often than one
  person recorded twice. A search comes from no agency's file, so it leaves it unknown.
* The identifiers the record holds under schemes agencies share (a UPN), because the
  same number issued to one child says more than any name (``identifiers``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import pairwise
from typing import Any

import jellyfish
from nicknames import NickNamer

from jigsaw.linkage.identifiers import shared_tokens
from jigsaw.people.nhs_number import is_valid

_NOT_LETTERS = re.compile(r"[^a-z]")
_NAME_SEPARATORS = re.compile(r"[\s\-]+")
_ADDRESS_PUNCTUATION = re.compile(r"[^a-z0-9 ]")
_SPACES = re.compile(r"\s+")
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])([A-Z]{2})$")

STREET_WORDS = {
    "rd": "road",
    "st": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "cl": "close",
    "dr": "drive",
    "cres": "crescent",
    "gdns": "gardens",
    "pl": "place",
    "ct": "court",
    "sq": "square",
    "terr": "terrace",
    "ter": "terrace",
    "gr": "grove",
}
"""Abbreviations a clerk types, mapped back to the word, so '12 Mill Rd' equals '12 Mill Road'."""

STREET_TYPES = frozenset(STREET_WORDS.values()) | {
    "way", "walk", "row", "rise", "mews", "hill", "view", "green", "park", "parade",
    "circuit", "crossing", "highway", "boulevard", "esplanade", "vale", "wharf", "yard",
}  # fmt: skip
"""Words that end a street's name: what follows is a locality, a town or a county."""
_HOUSE_NUMBER = re.compile(r"^\d+[a-z]?$")
FRAGMENT = 2
"""The most letters a word before a street-type word may have to be read as the end of
the word before it (``house_street_of``)."""

READING = 2
"""Which reading of the records this module gives. Raise it with any change that reads
some record differently (a word passed over, a key cut another way): the match index
rewrites the rows an earlier reading stored (``index.write_keys``), and
``tests/linkage/test_reading.py`` fails until it is raised. 1 is every release before
titles were passed over and initials read as initials."""

UNKNOWN_SEX = "unknown"
CHILD_ROLE = "child"

LINKED_CHILD_KINDS: tuple[str, ...] = ("parent", "carer", "household_member")
"""Relationships (``RelationshipKind``) from an adult's record to a child's record that
put the child in the adult's ``linked_children``: the adults a child lives with or is
cared for by. Siblings are left out: two brothers' records would share each other.
Kept here, with the feature, so reading the records for a match needs no Splink."""


@dataclass(frozen=True)
class PersonDetails:
    """What someone recording or searching for a child knows; anything may be missing."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    sex: str | None = None
    postcode: str = ""
    address: str = ""
    nhs_number: str | None = None
    role: str | None = None
    """Why the agency holds the record (``PersonRole``); only child-or-adult is compared."""
    agency: int | None = None
    """The agency whose record this is; none for a search."""
    identifiers: tuple[tuple[str, str], ...] = ()
    """(scheme, normalised value) of the identifiers the record holds besides the NHS
    number; only the shared schemes' are compared (``identifiers``)."""


@dataclass(frozen=True)
class Features:
    """The comparable form of one record. ``None`` means "not known", never "empty"."""

    given: str | None
    given_names: tuple[str, ...] | None
    given_metaphone: str | None
    family: str | None
    family_parts: tuple[str, ...] | None
    family_soundex: str | None
    dob: date | None
    dob_swapped: date | None
    birth_year: int | None
    sex: str | None
    postcode: str | None
    postcode_sector: str | None
    postcode_district: str | None
    address: str | None
    nhs_number: str | None
    role_group: str | None
    agency: int | None = None
    linked_children: tuple[int, ...] | None = None
    street: str | None = None
    names: str | None = None
    """Given and family name in alphabetical order: a record with the two swapped,
    even with a slip in one, reads the same."""
    shared_ids: tuple[str, ...] | None = None
    """The record's identifiers under schemes agencies share, as ``scheme:value``."""
    shared_id_schemes: tuple[str, ...] | None = None
    """The shared schemes it holds a number under: two records with one in common and
    no number in common disagree."""
    house_street: str | None = None
    """The house number and the first word of the street's name ('12 mill'), wherever
    the address puts them (``house_street_of``)."""
    street_name: str | None = None
    """The first word of the street's name alone ('mill'), from ``house_street``."""
    address_words: tuple[str, ...] | None = None
    """The words that say where the address is (``address_words_of``)."""

    def as_row(self) -> dict[str, Any]:
        """A plain dict for Arrow (``dataclasses.asdict`` deep-copies, ten times slower)."""
        row = {name: getattr(self, name) for name in FEATURE_COLUMNS}
        for key in ("given_names", "family_parts", "linked_children", "shared_ids",
                    "shared_id_schemes", "address_words"):  # fmt: skip
            if row[key] is not None:
                row[key] = list(row[key])
        return row


FEATURE_COLUMNS: tuple[str, ...] = tuple(Features.__dataclass_fields__)


@cache
def _namer() -> NickNamer:
    return NickNamer()


def _letters(value: str) -> str:
    return _NOT_LETTERS.sub("", value.lower())


@cache
def canonical_given_names(given: str) -> tuple[str, ...]:
    """The name itself and every name the nickname table says it may be short for.

    Elizabeth -> (beth, eliza, elizabeth); Libby -> (elizabeth, lib, libby): the two
    share 'elizabeth', which is how the comparison sees them as one person's names.
    """
    found = {given}
    found.update(_letters(n) for n in _namer().canonicals_of(given))
    found.discard("")
    return tuple(sorted(found))


TITLES: dict[str, str | None] = {
    "mr": "male", "master": "male", "mrs": "female", "miss": "female", "ms": "female",
    "mme": "female", "mx": None, "dr": None, "prof": None, "rev": None, "revd": None,
    "fr": "male", "sr": "female", "cllr": None, "capt": None, "and": None,
}  # fmt: skip
"""Words a form's single name box collects before the given name ("Mrs Jo", "Master
Alfie", "Mr and Mrs J"), with the sex each says where it says one: a title, never a
name, so it is passed over rather than compared, and where the record holds no sex the
title's stands in for it: records of "Mr J Okafor" and "Mrs J Okafor" at one home are
two people (a box of two titles, "Mr and Mrs J", says no sex). Titles that are also given
names (Lady, Sir) are left as names."""
_GIVEN_SEPARATORS = re.compile(r"[\s\-.]+")
"""Between the words of a given-name box: a full stop too ("Mr.Jo", "J.R.")."""


def _given_words(raw: str) -> list[str]:
    return [w for w in (_letters(part) for part in _GIVEN_SEPARATORS.split(raw)) if w]


def normalise_given(raw: str) -> str | None:
    """First given name only, letters only: middle names come and go between agencies,
    and a title written before the name is not the name. A box holding a title and
    nothing else holds no given name."""
    return next((w for w in _given_words(raw) if w not in TITLES), None)


def sex_of_title(raw: str) -> str | None:
    """The sex the titles before a given name say ("Mrs Jo": female), or None where they
    say none or two ("Mr and Mrs J")."""
    said = set()
    for word in _given_words(raw):
        if word not in TITLES:
            break
        said.add(TITLES[word])
    said.discard(None)
    return said.pop() if len(said) == 1 else None


def family_parts(raw: str) -> tuple[str, ...]:
    return tuple(p for p in (_letters(part) for part in _NAME_SEPARATORS.split(raw)) if p)


def normalise_postcode(raw: str) -> str | None:
    compact = raw.replace(" ", "").upper()
    return compact or None


def postcode_parts(compact: str | None) -> tuple[str | None, str | None]:
    """(sector, district) of a compact postcode: NB12 3AB -> ('NB123', 'NB12')."""
    if compact is None:
        return None, None
    match = _POSTCODE.match(compact)
    if match is None:
        return None, None
    outward, sector_digit, _unit = match.groups()
    return f"{outward}{sector_digit}", outward


def normalise_address(raw: str) -> str | None:
    """Lower case, no punctuation, abbreviations spelled out: a key for 'same address'."""
    text = _SPACES.sub(" ", _ADDRESS_PUNCTUATION.sub(" ", raw.lower())).strip()
    if not text:
        return None
    return " ".join(STREET_WORDS.get(word, word) for word in text.split(" "))


def street_of(address: str | None) -> str | None:
    """The house number and street of a normalised address ('12 mill road'), or None.

    The street's name runs from the first house number (within the first three words:
    a flat's name may come first) to the first street-type word, or to two words
    after the number when there is none. Without a house number the street alone
    would join a whole road's households, so there is no key.
    """
    if not address:
        return None
    words = address.split(" ")
    start = next((i for i, w in enumerate(words[:3]) if _HOUSE_NUMBER.match(w)), None)
    if start is None or start + 1 >= len(words):
        return None
    end = next(
        (i for i in range(start + 1, min(len(words), start + 6)) if words[i] in STREET_TYPES),
        min(len(words) - 1, start + 2),
    )
    return " ".join(words[start : end + 1])


def house_number_of(street: str | None) -> str | None:
    """The house number that starts ``street`` (the batch rules' ``split_part(street, ' ', 1)``),
    kept as its own value so the online match can look it up through an index."""
    return street.split(" ", 1)[0] if street else None


def street_initial_of(street: str | None) -> str | None:
    """The first letter of the street's name, the word after the house number (the batch
    rules' ``left(split_part(street, ' ', 2), 1)``): with the house number it tells one
    street's number 12 from every other street's."""
    words = street.split(" ") if street else []
    initial = words[1][:1] if len(words) > 1 else ""
    return initial or None


def house_street_of(address: str | None, street: str | None) -> str | None:
    """The house number and the first word of the street's name: '12 mill' for '12 Mill
    Rd', '12 Mill Raod', 'Flat 2, 12 Mill Road' and 'Mill Road 12, Australia' alike.

    ``street`` reads an address as a UK clerk writes it, number first; an address
    written another way round ('australia 6233 act ridgeway eaves street 125'), a
    mistyped street-type word or a locality kept in the line make it differ while this
    stays the same. The street is found by its type word anywhere in the line, its
    name being the word before; the number is the nearest: right before the name,
    right after the type word, or up to two words further back. Without a type word it is
    ``street``'s last number and the word after it. A name with no number is no key: a
    whole road's households would meet.

    A type word right after the number names the street rather than ending it ("St"
    Mary's Road, Park Road), so the search goes on past it; and a word of one or two
    letters before the type word (``FRAGMENT``) goes back on the word before it: the 's'
    an apostrophe left ('king s road'), so King's Road is 'kings' typed either way, not
    an 's' shared with every Queen's Street, and the end of a name cut off by a space
    keyed inside it ('gallegha n circuit', 'procto r street'), as 90 of FEBRL4's 10,000
    records have it.
    """
    if address:
        words = address.split(" ")
        kind = next(
            (
                i
                for i in range(1, len(words))
                if words[i] in STREET_TYPES and not _HOUSE_NUMBER.match(words[i - 1])
            ),
            None,
        )
        if kind is not None:
            start = kind - 1
            # A word of one or two letters before the type word is the end of the name's
            # word cut off by a space typed inside it ('gallegha n circuit', 'procto r
            # street') or the 's' an apostrophe left ('king s road'): it goes back on
            # the word before, so the street's name is read as if keyed whole. A street
            # whose whole name is two letters (Ox Road) keeps it after a number, a
            # letter or a word any address holds.
            if len(words[start]) <= FRAGMENT and start > 0 and _name_word(words[start - 1]):
                start -= 1
            name = "".join(words[start:kind])
            # Nearest first: right before the name, right after the type word, then up
            # to two words further back (a flat's or a building's name in between).
            places = (start - 1, kind + 1, start - 2, start - 3)
            near = (words[i] for i in places if 0 <= i < len(words))
            number = next((w for w in near if _HOUSE_NUMBER.match(w)), None)
            if number is not None:
                return f"{number} {name}"
    # ``street`` starts at the first number, which may be a flat's ('3 12 the'): the
    # house's is the last before the name.
    parts = street.split(" ") if street else []
    return next(
        (f"{a} {b}" for a, b in pairwise(parts) if not _HOUSE_NUMBER.match(b)),
        None,
    )


def _name_word(word: str) -> bool:
    """A word a fragment may be the end of: not a number, a letter ('Flat B'), or a word
    any address may hold ('Upper', 'House'), which would join the fragment to itself
    ('Flat B Ox Road' is Ox Road, not Box Road)."""
    return len(word) > 1 and not _HOUSE_NUMBER.match(word) and word not in ADDRESS_FILLER


def street_name_of(house_street: str | None) -> str | None:
    """The street's name word of ``house_street`` ('mill' of '12 mill')."""
    return house_street.split(" ", 1)[1] if house_street else None


ADDRESS_FILLER = frozenset({
    "flat", "apartment", "apt", "unit", "room", "floor", "block", "house", "the", "and",
    "upper", "lower", "ground", "first", "second", "uk", "united", "kingdom", "england",
    "wales", "scotland", "australia", "upon", "north", "south", "east", "west", "great",
    "little", "city", "town",
})  # fmt: skip
"""Words an address holds whatever home it names (a flat, a floor, a country), and the
words that join or qualify a place's name, which would let one place of several words
fill the count alone (Newcastle upon Tyne, Welwyn Garden City, West Yorkshire)."""

SHARED_WORDS = 3
"""Words two addresses must share (``address_words``) to say one street in one place:
one is a street name met in every town; two are as often the locality and the town,
which one local authority's records nearly all share (one random pair in seven of the
generator's town, against one in 780 for three)."""


def address_words_of(address: str | None) -> tuple[str, ...] | None:
    """The words of a normalised address that say where it is: the street's name, the
    locality, the town ('mill', 'headingley', 'leeds' of '12 Mill Road, Headingley,
    Leeds'), sorted, without numbers, street-type words and filler (``ADDRESS_FILLER``).

    Two lines that share three of them (``SHARED_WORDS``) are one street in one place
    however else they were written: with the number last as abroad, a flat's name added,
    the street-type word mistyped or the postcode missing or wrong, where no whole-line
    comparison sees them as alike. Words under three letters are left out too: initials
    and the 's' an apostrophe leaves.
    """
    if not address:
        return None
    words = {
        w
        for w in address.split(" ")
        if len(w) >= 3 and w.isalpha() and w not in STREET_TYPES and w not in ADDRESS_FILLER
    }
    return tuple(sorted(words)) or None


def given_prefix_of(given: str | None) -> str | None:
    """The first two letters of the given name (the batch rules' ``left(given, 2)``)."""
    return given[:2] if given else None


def names_of(given: str | None, family: str | None) -> str | None:
    """Both names, alphabetically ordered (see ``Features.names``); None unless both."""
    if not given or not family:
        return None
    return " ".join(sorted((given, family)))


def swapped(dob: date) -> date | None:
    """The date with day and month exchanged, when that is a different real date."""
    if dob.day > 12 or dob.day == dob.month:
        return None
    return dob.replace(month=dob.day, day=dob.month)


def normalise_nhs_number(raw: str | None) -> str | None:
    """Only a valid NHS number counts: a wrong check digit is a typo, not evidence."""
    if not raw:
        return None
    digits = raw.replace(" ", "").replace("-", "")
    return digits if is_valid(digits) else None


def normalise_sex(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = str(raw).strip().lower()
    return None if value in ("", UNKNOWN_SEX) else value


def role_group(role: str | None) -> str | None:
    """'child' or 'adult': a parent, a person posing a risk and another adult can be one
    person in different agencies' eyes, but a child on one file is rarely an adult on another."""
    if role is None or not str(role).strip():
        return None
    return CHILD_ROLE if str(role).strip().lower() == CHILD_ROLE else "adult"


def features_of(details: PersonDetails) -> Features:
    given = normalise_given(details.given_name)
    parts = family_parts(details.family_name)
    family = "".join(parts) or None
    postcode = normalise_postcode(details.postcode)
    sector, district = postcode_parts(postcode)
    dob = details.date_of_birth
    address = normalise_address(details.address)
    shared_ids, shared_id_schemes = shared_tokens(details.identifiers)
    street = street_of(address)
    house_street = house_street_of(address, street)
    return Features(
        given=given,
        given_names=canonical_given_names(given) if given else None,
        given_metaphone=(jellyfish.metaphone(given) or None) if given else None,
        family=family,
        family_parts=parts or None,
        family_soundex=jellyfish.soundex(parts[0]) if parts else None,
        dob=dob,
        dob_swapped=swapped(dob) if dob else None,
        birth_year=dob.year if dob else None,
        sex=normalise_sex(details.sex) or sex_of_title(details.given_name),
        postcode=postcode,
        postcode_sector=sector,
        postcode_district=district,
        address=address,
        nhs_number=normalise_nhs_number(details.nhs_number),
        role_group=role_group(details.role),
        agency=details.agency,
        street=street,
        names=names_of(given, family),
        shared_ids=shared_ids,
        shared_id_schemes=shared_id_schemes,
        house_street=house_street,
        street_name=street_name_of(house_street),
        address_words=address_words_of(address),
    )
