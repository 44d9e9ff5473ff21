"""The hard noise profile: two agencies' files about overlapping people, one of them
corrupted in the ways linkage most often fails on, each record saying how.

The standard population (``noise``) mixes every kind of disagreement at the rates
English services show: it says how a model does overall, not what it fails on. Here
the first agency (a GP practice) holds each person as they truly are, and the second
(the council's housing service) holds its copy with none, one or two named
corruptions, so recall can be reported per kind of corruption. The people come from
the standard households (``households``), so siblings, twins and parents share a
surname, a home and sometimes a birthday: precision is tested as well as recall.

Formatting a model is expected to see through (a street abbreviated, a postcode
without its space) is applied at the standard rates and not counted as corruption.
The corruptions (``applicable_to``, ``draw_kinds``, ``corrupt``) take any record's
particulars, not only a generated person's, so the benchmark puts the same kinds on
public data (FEBRL) whose people the generator did not make. Nothing here touches a
database; ``export`` writes the files ``jigsaw import`` and ``jigsaw linkage benchmark
--records`` read.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from faker import Faker

from jigsaw.synthetic import names, noise
from jigsaw.synthetic.households import AS_OF, MAX_CHILDREN, TruePerson, build_household

NICKNAME = "nickname"
TYPO = "typo"
SURNAME_CHANGE = "surname_change"
NAMES_SWAPPED = "names_swapped"
NAME_MISSING = "name_missing"
INITIAL = "initial"
DOB_SWAP = "dob_swap"
DOB_MISSING = "dob_missing"
POSTCODE_MISSING = "postcode_missing"
NON_UK_ADDRESS = "non_uk_address"
CORRUPTIONS = (
    NICKNAME, TYPO, SURNAME_CHANGE, NAMES_SWAPPED, NAME_MISSING, INITIAL, DOB_SWAP,
    DOB_MISSING, POSTCODE_MISSING, NON_UK_ADDRESS,
)  # fmt: skip
"""Every kind, in the order they are applied and listed."""
NONE = "none"
"""The kind of a record with no corruption (the truth file says so rather than leave it blank)."""

_NAME_KINDS = frozenset({NICKNAME, TYPO, SURNAME_CHANGE, NAMES_SWAPPED})
_CONFLICTS: tuple[frozenset[str], ...] = (
    frozenset({DOB_SWAP, DOB_MISSING}),
    frozenset({POSTCODE_MISSING, NON_UK_ADDRESS}),
    *(frozenset({NAME_MISSING, kind}) for kind in _NAME_KINDS | {INITIAL}),
    *(frozenset({INITIAL, kind}) for kind in (NICKNAME, TYPO, NAMES_SWAPPED)),
)
"""Pairs one record never gets together: one would undo or hide the other."""

CLEAN_AGENCY = "gp-practice"
CORRUPTED_AGENCY = "council-housing"
AGENCY_PREFIXES = {CLEAN_AGENCY: "GP", CORRUPTED_AGENCY: "HS"}
RECORD_COLUMNS = (
    "local_id", "given_name", "family_name", "date_of_birth", "sex", "address", "postcode",
    "nhs_number", "role",
)  # fmt: skip
"""The columns ``jigsaw import`` reads, with the role the agency holds each person in."""
TRUTH_COLUMNS = ("local_id", "entity_id", "corruptions")
TRUTH_FILE = "truth.csv"


@dataclass(frozen=True)
class HardProfile:
    """How the two files overlap and how often the second agency's copy is corrupted."""

    in_both: float = 0.80
    """Share of people held by both agencies; the rest are split evenly between them."""
    held_twice: float = 0.03
    """The housing service holds a person twice (registered again under another entry)."""
    clean: float = 0.30
    """Chance a housing record has no corruption at all."""
    second_kind: float = 0.25
    """Chance a corrupted record gets a second kind as well."""
    nhs_number_clean: float = 0.97
    nhs_number_corrupted: float = 0.05
    """As health and housing services record NHS numbers (``noise``)."""
    given_name_missing: float = 2 / 3
    """Of ``name_missing``: the given name left out, else the family name."""


HARD = HardProfile()


@dataclass(frozen=True)
class HardRecord:
    """One agency's record as it exports, with the person it is and what was done to it."""

    agency: str
    local_id: str
    entity: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: str
    address: str
    postcode: str
    nhs_number: str | None
    role: str
    corruptions: tuple[str, ...] = ()

    def row(self) -> list[str]:
        born = self.date_of_birth.isoformat() if self.date_of_birth else ""
        return [self.local_id, self.given_name, self.family_name, born, self.sex, self.address,
                self.postcode, self.nhs_number or "", self.role]  # fmt: skip


@cache
def _faker() -> Faker:
    return Faker("en_GB")


def entity_id(person: TruePerson) -> str:
    """Opaque: the truth file should not say which people share a household."""
    return f"person-{person.number}"


def swapped_date(born: date, latest: date = AS_OF) -> date | None:
    """Day and month exchanged, where that is a real, different date not after
    ``latest`` (an import refuses a birthday in the future): the generated world's
    today unless the records come from elsewhere."""
    if not noise.swappable(born):
        return None
    swapped = born.replace(month=born.day, day=born.month)
    return swapped if swapped <= latest else None


@dataclass(frozen=True)
class Particulars:
    """What the corruptions change, from any record: the generator's people or public
    labelled data alike."""

    given_name: str
    family_name: str
    date_of_birth: date | None
    address: str
    postcode: str


def applicable_to(record: Particulars, latest: date = AS_OF) -> tuple[str, ...]:
    """The kinds that would change this record: a nickname needs a given name that has
    one, an initial a given name of more than one letter, a day/month swap a date with a
    day of month from 1 to 12, a swap of names two different names, and a kind that
    removes or rewrites a field needs the field. The
    date of birth is taken only from a record that keeps a name: an agency always holds
    something to know a person by, and the import refuses a record with none."""
    given, family = record.given_name, record.family_name
    born = record.date_of_birth
    possible = {
        NICKNAME: bool(given and names.nicknames(given)),
        TYPO: bool(given or family),
        SURNAME_CHANGE: bool(family),
        NAMES_SWAPPED: bool(given and family and given.lower() != family.lower()),
        NAME_MISSING: bool(given and family),
        INITIAL: len(given.strip(" .")) > 1,
        DOB_SWAP: born is not None and swapped_date(born, latest) is not None,
        DOB_MISSING: born is not None and bool(given or family),
        POSTCODE_MISSING: bool(record.postcode),
        NON_UK_ADDRESS: bool(record.address),
    }
    return tuple(kind for kind in CORRUPTIONS if possible[kind])


def applicable(person: TruePerson) -> tuple[str, ...]:
    """The kinds that can change this person's record."""
    return applicable_to(_particulars(person))


def _particulars(person: TruePerson) -> Particulars:
    return Particulars(
        person.given_name, person.family_name, person.date_of_birth,
        person.address.line, person.address.postcode,
    )  # fmt: skip


def compatible(kinds: tuple[str, ...]) -> bool:
    chosen = set(kinds)
    return not any(pair <= chosen for pair in _CONFLICTS)


def choose_kinds(rng: random.Random, person: TruePerson, profile: HardProfile) -> tuple[str, ...]:
    return draw_kinds(rng, applicable(person), profile)


def draw_kinds(
    rng: random.Random, options: tuple[str, ...], profile: HardProfile, clean: float | None = None
) -> tuple[str, ...]:
    """None (with chance ``clean``, the profile's unless given), one or two of
    ``options``, two only where they do not hide each other; in ``CORRUPTIONS`` order."""
    if rng.random() < (profile.clean if clean is None else clean) or not options:
        return ()
    first = rng.choice(options)
    kinds: tuple[str, ...] = (first,)
    if rng.random() < profile.second_kind:
        others = [k for k in options if k != first and compatible((first, k))]
        if others:
            kinds = (first, rng.choice(others))
    return tuple(k for k in CORRUPTIONS if k in kinds)


def other_surname(rng: random.Random, person: TruePerson) -> str:
    """The surname the person also goes by (a birth or step-parent's name), or else a
    new one (married, or took a new partner's name)."""
    if person.other_family_name:
        return person.other_family_name
    fake = _faker()
    fake.seed_instance(rng.random())
    for _ in range(20):
        name = str(fake.last_name())
        if name.lower() != person.family_name.lower():
            return name
    return f"{person.family_name}-{fake.last_name()}"


_UK_ADDRESS = re.compile(
    r"^(?:Flat (?P<flat>\d+), )?(?P<number>\d+) (?P<street>[^,]+), (?P<rest>.+)$"
)
ADDRESS_FORMATS = ("continental", "north_american", "largest_first")


UNITED_KINGDOM = ("United Kingdom", "UK")


def non_uk_format(
    rng: random.Random, line: str, postcode: str, country: tuple[str, str] = UNITED_KINGDOM
) -> str:
    """The same home written as another country writes addresses: the street before
    the house number and the postcode before the town (continental Europe), the flat as
    an apartment after the street (North America), or the country first and the house
    last (East Asia). Whoever typed it put the postcode in the address too, and the
    country (``country``: its name and its short form) the home is in."""
    name, short = country
    found = _UK_ADDRESS.match(line)
    if found is None:
        return f"{line}, {postcode}, {name}"
    flat, number, street = found["flat"], found["number"], found["street"]
    places = [p.strip() for p in found["rest"].split(",")]
    style = rng.choice(ADDRESS_FORMATS)
    if style == "continental":
        house = f"{number}/{flat}" if flat else number
        return f"{street} {house}, {postcode} {places[0]}, {name}"
    if style == "north_american":
        apartment = f" Apt {flat}" if flat else ""
        return f"{number} {street}{apartment}, {', '.join(places)} {postcode}, {short}"
    house = f"{number}-{flat}" if flat else number
    return f"{name} {postcode}, {', '.join(reversed(places))}, {street} {house}"


Formatting = Callable[[random.Random, str, str], tuple[str, str]]
"""How an agency writes an address it was given (abbreviations, spacing): not counted
as corruption."""


def corrupt(
    rng: random.Random,
    record: Particulars,
    kinds: tuple[str, ...],
    *,
    new_surname: Callable[[random.Random], str],
    given_name_missing: float = HARD.given_name_missing,
    latest: date = AS_OF,
    country: tuple[str, str] = UNITED_KINGDOM,
    formatting: Formatting | None = None,
) -> Particulars:
    """``record`` with ``kinds`` applied (kinds from ``applicable_to``, so each changes
    it). ``new_surname`` says what a changed surname becomes; a nickname keeps the
    record's lower case where it was written so; ``formatting`` is applied to an address
    not rewritten in another country's format."""
    given, family = record.given_name, record.family_name
    if SURNAME_CHANGE in kinds:
        family = new_surname(rng)
    if NICKNAME in kinds:
        known_as = names.nickname(rng, given)
        given = known_as.lower() if given.islower() else known_as
    if TYPO in kinds:
        on_given = rng.random() < 0.5
        if (on_given and given) or not family:
            given = names.typo(rng, given)
        else:
            family = names.typo(rng, family)
    if NAMES_SWAPPED in kinds:
        given, family = family, given
    if NAME_MISSING in kinds:
        if rng.random() < given_name_missing:
            given = ""
        else:
            family = ""
    if INITIAL in kinds:
        # As a form with room for an initial, or a clerk in a hurry, writes it.
        initial = given.strip()[:1]
        given = initial + ("." if rng.random() < 0.5 else "")
    born = record.date_of_birth
    if DOB_SWAP in kinds and born is not None:
        born = swapped_date(born, latest)
    if DOB_MISSING in kinds:
        born = None
    line, postcode = record.address, record.postcode
    if NON_UK_ADDRESS in kinds:
        line = non_uk_format(rng, line, postcode, country)
    elif formatting is not None:
        line, postcode = formatting(rng, line, postcode)
    if POSTCODE_MISSING in kinds:
        postcode = ""
    return Particulars(given, family, born, line, postcode)


def copy_of(
    rng: random.Random,
    person: TruePerson,
    agency: str,
    kinds: tuple[str, ...],
    profile: HardProfile,
) -> HardRecord:
    """The agency's record of ``person``: as they are, then with ``kinds`` applied."""
    corrupted = agency == CORRUPTED_AGENCY
    changed = corrupt(
        rng,
        _particulars(person),
        kinds,
        new_surname=lambda draw: other_surname(draw, person),
        given_name_missing=profile.given_name_missing,
        formatting=noise.recorded_address if corrupted else None,
    )
    rate = profile.nhs_number_corrupted if corrupted else profile.nhs_number_clean
    return HardRecord(
        agency=agency,
        local_id="",
        entity=entity_id(person),
        given_name=changed.given_name,
        family_name=changed.family_name,
        date_of_birth=changed.date_of_birth,
        sex=person.sex.value,
        address=changed.address,
        postcode=changed.postcode,
        nhs_number=person.nhs_number if rng.random() < rate else None,
        role=person.role.value,
        corruptions=kinds,
    )


def hard_records(size: int, seed: int, profile: HardProfile = HARD) -> list[HardRecord]:
    """``size`` records for each of the two agencies, the same for the same seed.

    People are taken household by household; each is held by both agencies, by the
    GP practice only or by the housing service only, until both files are full. Each
    file is then shuffled and numbered, so neither a local id nor a position in the
    file says who a record is.
    """
    if size < 1:
        raise ValueError("Each agency needs at least one record")
    draw = random.Random(f"hard:{seed}")  # noqa: S311 - reproducible, not secret
    files: dict[str, list[HardRecord]] = {CLEAN_AGENCY: [], CORRUPTED_AGENCY: []}
    index = 0
    while any(len(held) < size for held in files.values()):
        for person in build_household(seed, index, MAX_CHILDREN).people:
            rng = random.Random(f"hard:{seed}:{person.key}")  # noqa: S311
            point = draw.random()
            alone = (1 - profile.in_both) / 2
            wanted = (
                [CLEAN_AGENCY] if point < alone
                else [CORRUPTED_AGENCY] if point < 2 * alone
                else [CLEAN_AGENCY, CORRUPTED_AGENCY]
            )  # fmt: skip
            if CORRUPTED_AGENCY in wanted and draw.random() < profile.held_twice:
                wanted.append(CORRUPTED_AGENCY)
            for agency in wanted:
                if len(files[agency]) >= size:
                    continue
                kinds = choose_kinds(rng, person, profile) if agency == CORRUPTED_AGENCY else ()
                files[agency].append(copy_of(rng, person, agency, kinds, profile))
        index += 1
    records: list[HardRecord] = []
    for agency, held in files.items():
        random.Random(f"hard:{seed}:order:{agency}").shuffle(held)  # noqa: S311
        prefix = AGENCY_PREFIXES[agency]
        records.extend(
            _numbered(record, f"{prefix}{seed}-{n:06d}") for n, record in enumerate(held, 1)
        )
    return records


def _numbered(record: HardRecord, local_id: str) -> HardRecord:
    return HardRecord(**{**record.__dict__, "local_id": local_id})


def corruption_label(kinds: tuple[str, ...]) -> str:
    return ";".join(kinds) or NONE


def export(directory: Path, size: int, seed: int, profile: HardProfile = HARD) -> list[Path]:
    """Write one CSV per agency (the agency named by the file, as ``jigsaw import`` and
    the benchmark read them) and ``truth.csv`` (``local_id,entity_id,corruptions``, the
    kinds separated by ``;``). Returns the paths, the truth file last."""
    directory.mkdir(parents=True, exist_ok=True)
    records = hard_records(size, seed, profile)
    paths = []
    for agency in (CLEAN_AGENCY, CORRUPTED_AGENCY):
        path = directory / f"{agency}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(RECORD_COLUMNS)
            writer.writerows(r.row() for r in records if r.agency == agency)
        paths.append(path)
    truth = directory / TRUTH_FILE
    with truth.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRUTH_COLUMNS)
        writer.writerows((r.local_id, r.entity, corruption_label(r.corruptions)) for r in records)
    paths.append(truth)
    return paths
