"""Households: who really lives there, and which agencies know each of them, and how.

A household is built from nothing but the seed and its own index, so it comes out
the same however the run is split into batches, and a test can rebuild the truth
for any household without the database. Each agency's copy of a person is drawn
here too, with the disagreements real records have (see ``noise``).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from faker import Faker

from jigsaw.people.models import PersonRole, RelationshipKind, Sex
from jigsaw.people.nhs_number import check_digit
from jigsaw.policy.roles import AgencyKind
from jigsaw.synthetic import noise
from jigsaw.synthetic.catalogue import (
    AGENCIES,
    AGENCY_BY_CODE,
    BOYS_NAMES,
    GIRLS_NAMES,
    GP_PRACTICES,
    INWARD_LETTERS,
    LOCAL_AUTHORITY,
    LOCALITIES,
    PRIMARY_SCHOOLS,
    SECONDARY_SCHOOLS,
    STREET_STEMS,
    STREET_SUFFIXES,
    AgencySpec,
    Circumstance,
    Need,
    Service,
    codes_for,
)

AS_OF = date(2026, 10, 31)
"""The generated world's "today". Pinned, so a seed yields the same rows whenever it runs;
everything generated is dated on or before it."""

HISTORY_YEARS = 6
SLOT_PARENT = 0
SLOT_SECOND_PARENT = 1
FIRST_CHILD_SLOT = 2
SLOT_RISK = 6
SLOTS_PER_HOUSEHOLD = 8
"""Person numbers are ``index * 8 + slot``: unique without any shared counter."""
MAX_CHILDREN = 4
MAX_AGENCIES_PER_CHILD = 8

NEED_WEIGHTS = (0.62, 0.20, 0.12, 0.06)
CHILDREN_WEIGHTS = (0.38, 0.36, 0.18, 0.08)
TWO_PARENT_RATE = 0.62
STEP_FAMILY_RATE = 0.25
SAME_SEX_COUPLE_RATE = 0.03
MARRIED_RATE = 0.6
LONE_FATHER_RATE = 0.12
DOUBLE_BARRELLED_RATE = 0.06
PREVIOUS_SURNAME_RATE = 0.3
KNOWN_AS_STEP_SURNAME_RATE = 0.5
TWIN_RATE = 0.03
GIRL_RATE = 0.49
MOTHERS_SURNAME_RATE = 0.15
"""Children of a couple given the mother's surname rather than the father's."""
LONE_PARENT_SURNAME_RATE = 0.5
"""Children of a lone parent who share that parent's surname (else the absent parent's)."""
MOVED_RATE = 0.22
FLAT_RATE = 0.25
RISK_PERSON_RATE = (0.03, 0.12, 0.20, 0.30)
"""By level of need; about 8% of households overall."""
RISK_PERPETRATOR_RATE = 0.8
SECOND_PARENT_PERPETRATOR_RATE = 0.5
CONCERN_IS_FIRST_PARENT_RATE = 0.7

CIRCUMSTANCE_RATES: dict[Circumstance, tuple[float, float, float, float]] = {
    Circumstance.DOMESTIC_ABUSE: (0.05, 0.20, 0.35, 0.55),
    Circumstance.MENTAL_HEALTH: (0.08, 0.25, 0.35, 0.45),
    Circumstance.SUBSTANCE_MISUSE: (0.03, 0.10, 0.20, 0.35),
    Circumstance.HOUSING: (0.05, 0.20, 0.30, 0.35),
    Circumstance.NEGLECT: (0.02, 0.20, 0.40, 0.55),
}

# Chance a child is known to a service, by level of need (universal .. protection).
CHILD_KNOWN: dict[Service, tuple[float, float, float, float]] = {
    Service.GP: (0.96, 0.96, 0.97, 0.97),
    Service.HEALTH_VISITING: (0.95, 0.97, 0.98, 0.98),
    Service.PRIMARY_SCHOOL: (0.97, 0.95, 0.93, 0.90),
    Service.SECONDARY_SCHOOL: (0.97, 0.95, 0.93, 0.90),
    Service.EMERGENCY_DEPARTMENT: (0.15, 0.25, 0.35, 0.45),
    Service.CAMHS: (0.02, 0.08, 0.15, 0.20),
}
# Services that know a family as a whole: drawn once per household.
HOUSEHOLD_KNOWN: dict[Service, tuple[float, float, float, float]] = {
    Service.POLICE: (0.02, 0.10, 0.25, 0.45),
    Service.SOCIAL_CARE: (0.03, 0.60, 1.0, 1.0),
    Service.HOUSING: (0.03, 0.08, 0.12, 0.15),
    Service.FAMILY_SUPPORT: (0.02, 0.35, 0.30, 0.30),
    Service.DOMESTIC_ABUSE_SERVICE: (0.20, 0.35, 0.40, 0.40),
}
SIBLING_SHARES_HOUSEHOLD_SERVICE = 0.92
POLICE_IF_DOMESTIC_ABUSE = 0.85
HOUSING_IF_HOUSING_PROBLEM = 0.75

# Chance a parent is on file at an agency that knows their child.
FIRST_PARENT_KNOWN: dict[Service, float] = {
    Service.GP: 0.85,
    Service.HEALTH_VISITING: 0.95,
    Service.PRIMARY_SCHOOL: 0.90,
    Service.SECONDARY_SCHOOL: 0.75,
    Service.EMERGENCY_DEPARTMENT: 0.05,
    Service.CAMHS: 0.40,
    Service.POLICE: 0.60,
    Service.SOCIAL_CARE: 0.95,
    Service.HOUSING: 0.95,
    Service.FAMILY_SUPPORT: 0.90,
    Service.DOMESTIC_ABUSE_SERVICE: 0.95,
}
SECOND_PARENT_KNOWN: dict[Service, float] = {
    Service.GP: 0.80,
    Service.HEALTH_VISITING: 0.50,
    Service.PRIMARY_SCHOOL: 0.60,
    Service.SECONDARY_SCHOOL: 0.50,
    Service.EMERGENCY_DEPARTMENT: 0.02,
    Service.CAMHS: 0.30,
    Service.POLICE: 0.40,
    Service.SOCIAL_CARE: 0.85,
    Service.HOUSING: 0.60,
    Service.FAMILY_SUPPORT: 0.40,
    Service.DOMESTIC_ABUSE_SERVICE: 0.0,
}
RISK_SUBJECT_KNOWN_TO_POLICE = 0.85
RISK_PERSON_KNOWN_TO_PROBATION = 0.5
PERPETRATOR_PARENT_KNOWN_TO_PROBATION = 0.3
RISK_PERSON_KNOWN_TO_SOCIAL_CARE = 0.7
RISK_PERSON_KNOWN_TO_GP = 0.7
RISK_PARTNER_KNOWN_TO_HOUSING = 0.3

_ORDER = {spec.code: i for i, spec in enumerate(AGENCIES)}
_SINGLE = {s: codes_for(s)[0] for s in Service if len(codes_for(s)) == 1}


@dataclass(frozen=True)
class Address:
    line: str
    postcode: str


@dataclass
class TruePerson:
    slot: int
    key: str
    number: int
    role: PersonRole
    relation: str
    given_name: str
    family_name: str
    other_family_name: str | None
    sex: Sex
    date_of_birth: date
    nhs_number: str
    address: Address
    previous_address: Address | None = None
    moved_on: date | None = None

    @property
    def is_child(self) -> bool:
        return self.role is PersonRole.CHILD


@dataclass
class RecordDraft:
    """One agency's copy of one person: what that agency would have typed in."""

    agency: AgencySpec
    person: TruePerson
    local_id: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: Sex
    address: str
    postcode: str
    nhs_number: str | None
    known_since: date


@dataclass
class Household:
    seed: int
    index: int
    key: str
    need: Need
    circumstances: frozenset[Circumstance]
    as_of: date
    people: list[TruePerson] = field(default_factory=list)
    records: list[RecordDraft] = field(default_factory=list)
    concern_parent: int = SLOT_PARENT
    victim: int = SLOT_PARENT
    risk_subject: int | None = None
    risk_link: RelationshipKind | None = None
    risk_lives_in: bool = False

    @property
    def children(self) -> list[TruePerson]:
        return [p for p in self.people if p.is_child]

    def person(self, slot: int) -> TruePerson | None:
        for p in self.people:
            if p.slot == slot:
                return p
        return None


@cache
def _faker() -> Faker:
    return Faker("en_GB")


def _primes_above(start: int, count: int) -> tuple[int, ...]:
    found: list[int] = []
    n = start
    while len(found) < count:
        n += 1
        if all(n % d for d in range(2, int(n**0.5) + 1)):
            found.append(n)
    return tuple(found)


# Primes other than 2 and 5 are coprime with 10**9, so each multiplier gives every
# agency its own shuffle of person numbers: local ids never reveal who is who.
_LOCAL_ID_MULTIPLIERS = dict(
    zip((s.code for s in AGENCIES), _primes_above(100_000, len(AGENCIES)), strict=True)
)
_NHS_MULTIPLIER = 2_654_435_761
_NHS_LEADING_DIGITS = ("4", "6", "7")


def nhs_number_for(seed: int, number: int) -> str:
    """A valid NHS number unique to one person of one seed.

    The last eight digits are a bijection of the person number, so no two people
    share them; a leading 4 or 6 always leaves a valid check digit because their
    weighted contributions differ modulo 11.
    """
    tail = (number * _NHS_MULTIPLIER + seed * 40_503 + 12_345_678) % 100_000_000
    for lead in _NHS_LEADING_DIGITS:
        nine = f"{lead}{tail:08d}"
        digit = check_digit(nine)
        if digit is not None:
            return f"{nine}{digit}"
    raise AssertionError("unreachable: two leading digits cannot both be invalid")


def local_id(code: str, seed: int, number: int) -> str:
    scrambled = (number * _LOCAL_ID_MULTIPLIERS[code] + _ORDER[code] * 104_729) % 1_000_000_000
    return f"{code}{seed}-{scrambled:09d}"


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def school_start(dob: date, age: int) -> date:
    """1 September of the school year a child starts at ``age`` (4: reception, 11: year 7)."""
    year = dob.year + age + (1 if (dob.month, dob.day) > (9, 1) else 0)
    return date(year, 9, 1)


def _weighted(rng: random.Random, weights: tuple[float, ...]) -> int:
    point = rng.random() * sum(weights)
    for i, weight in enumerate(weights):
        point -= weight
        if point < 0:
            return i
    return len(weights) - 1


def between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _born(rng: random.Random, before: date, years: int) -> date:
    return before - timedelta(days=int(years * 365.25) + rng.randint(1, 364))


def _address(rng: random.Random, fake: Faker) -> Address:
    locality, outward_codes = rng.choice(LOCALITIES)
    stem = fake.last_name() if rng.random() < 0.6 else rng.choice(STREET_STEMS)
    line = f"{rng.randint(1, 180)} {stem} {rng.choice(STREET_SUFFIXES)}, {locality}"
    if locality != LOCAL_AUTHORITY:
        line = f"{line}, {LOCAL_AUTHORITY}"
    if rng.random() < FLAT_RATE:
        line = f"Flat {rng.randint(1, 24)}, {line}"
    inward = f"{rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    return Address(line, f"{rng.choice(outward_codes)} {inward}")


def households(seed: int, children: int, as_of: date = AS_OF) -> Iterator[Household]:
    """Every household of a run, in order; the last one is cut short to hit ``children``."""
    index = 0
    remaining = children
    while remaining > 0:
        household = build_household(seed, index, remaining, as_of)
        remaining -= len(household.children)
        index += 1
        yield household


def build_household(seed: int, index: int, max_children: int, as_of: date = AS_OF) -> Household:
    rng = random.Random(f"{seed}:{index}")  # noqa: S311 - reproducible, not secret
    fake = _faker()
    fake.seed_instance(f"{seed}:{index}:names")
    builder = _Builder(seed, index, rng, fake, as_of)
    return builder.build(max(1, min(max_children, MAX_CHILDREN)))


class _Builder:
    """Builds one household; a class only to keep the shared random streams in one place."""

    def __init__(self, seed: int, index: int, rng: random.Random, fake: Faker, as_of: date) -> None:
        self.seed = seed
        self.index = index
        self.rng = rng
        self.fake = fake
        self.as_of = as_of

    def person(
        self,
        slot: int,
        role: PersonRole,
        relation: str,
        given: str,
        family: str,
        other: str | None,
        sex: Sex,
        dob: date,
        address: Address,
    ) -> TruePerson:
        number = self.index * SLOTS_PER_HOUSEHOLD + slot
        return TruePerson(
            slot=slot,
            key=f"{self.seed}:{self.index}:{slot}",
            number=number,
            role=role,
            relation=relation,
            given_name=given,
            family_name=family,
            other_family_name=other if other != family else None,
            sex=sex,
            date_of_birth=dob,
            nhs_number=nhs_number_for(self.seed, number),
            address=address,
        )

    def build(self, max_children: int) -> Household:
        rng, fake = self.rng, self.fake
        need = Need(_weighted(rng, NEED_WEIGHTS))
        circumstances = {c for c, rates in CIRCUMSTANCE_RATES.items() if rng.random() < rates[need]}
        home = _address(rng, fake)
        previous = _address(rng, fake) if rng.random() < MOVED_RATE else None
        moved_on = (
            self.as_of - timedelta(days=rng.randint(60, 1500)) if previous is not None else None
        )

        n_children = min(max_children, _weighted(rng, CHILDREN_WEIGHTS) + 1)
        gaps = [0 if rng.random() < TWIN_RATE else rng.randint(1, 4) for _ in range(n_children - 1)]
        while sum(gaps) > 17:
            gaps = [max(0, g - 1) for g in gaps]
        eldest_age = rng.randint(sum(gaps), 17)
        eldest_dob = _born(rng, self.as_of, eldest_age)

        two_parents = rng.random() < TWO_PARENT_RATE
        step_family = two_parents and rng.random() < STEP_FAMILY_RATE
        same_sex = two_parents and not step_family and rng.random() < SAME_SEX_COUPLE_RATE
        lone_father = not two_parents and rng.random() < LONE_FATHER_RATE

        first_dob = _born(rng, eldest_dob, rng.randint(17, 40))
        first_sex = Sex.MALE if lone_father else Sex.FEMALE
        first_given = fake.first_name_male() if lone_father else fake.first_name_female()
        first_birth_surname = fake.last_name()
        people: list[TruePerson] = []

        if two_parents:
            second_sex = Sex.FEMALE if same_sex else Sex.MALE
            second_given = fake.first_name_female() if same_sex else fake.first_name_male()
            second_surname = fake.last_name()
            second_dob = first_dob + timedelta(days=rng.randint(-8 * 365, 3 * 365))
            if step_family:
                birth_father_surname = fake.last_name()
                remarried = rng.random() < MARRIED_RATE
                first_family = second_surname if remarried else birth_father_surname
                first_other: str | None = birth_father_surname if remarried else first_birth_surname
                child_family = birth_father_surname
                child_other = second_surname if rng.random() < KNOWN_AS_STEP_SURNAME_RATE else None
                second_relation = "stepfather"
            else:
                married = not same_sex and rng.random() < MARRIED_RATE
                first_family = second_surname if married else first_birth_surname
                first_other = first_birth_surname if married else None
                if rng.random() < DOUBLE_BARRELLED_RATE:
                    child_family = f"{first_birth_surname}-{second_surname}"
                elif same_sex or rng.random() < MOTHERS_SURNAME_RATE:
                    child_family = first_family
                else:
                    child_family = second_surname
                child_other = None
                second_relation = "mother" if same_sex else "father"
            people.append(
                self.person(
                    SLOT_SECOND_PARENT, PersonRole.PARENT_CARER, second_relation, second_given,
                    second_surname, None, second_sex, second_dob, home,
                )
            )  # fmt: skip
        else:
            first_family = first_birth_surname
            first_other = fake.last_name() if rng.random() < PREVIOUS_SURNAME_RATE else None
            child_family = (
                first_family if rng.random() < LONE_PARENT_SURNAME_RATE else fake.last_name()
            )
            child_other = None

        first_relation = "father" if lone_father else "mother"
        people.insert(
            0,
            self.person(
                SLOT_PARENT, PersonRole.PARENT_CARER, first_relation, first_given, first_family,
                first_other, first_sex, first_dob, home,
            ),
        )  # fmt: skip

        used: set[str] = set()
        age = eldest_age
        for i in range(n_children):
            if i:
                age -= gaps[i - 1]
            sex = Sex.FEMALE if rng.random() < GIRL_RATE else Sex.MALE
            pool = GIRLS_NAMES if sex is Sex.FEMALE else BOYS_NAMES
            given = rng.choice(pool)
            while given in used:
                given = rng.choice(pool)
            used.add(given)
            dob = eldest_dob if i == 0 else _born(rng, self.as_of, age)
            if i and gaps[i - 1] == 0:
                dob = people[-1].date_of_birth
            relation = "daughter" if sex is Sex.FEMALE else "son"
            people.append(
                self.person(
                    FIRST_CHILD_SLOT + i, PersonRole.CHILD, relation, given, child_family,
                    child_other, sex, dob, home,
                )
            )  # fmt: skip

        household = Household(
            seed=self.seed,
            index=self.index,
            key=f"{self.seed}:{self.index}",
            need=need,
            circumstances=frozenset(circumstances),
            as_of=self.as_of,
            people=people,
        )
        self.add_risk(household, two_parents, home)
        if previous is not None:
            for p in household.people:
                if p.address == home:
                    p.previous_address = previous
                    p.moved_on = moved_on
        parental_concern = circumstances & {
            Circumstance.MENTAL_HEALTH,
            Circumstance.SUBSTANCE_MISUSE,
        }
        if parental_concern and two_parents and rng.random() >= CONCERN_IS_FIRST_PARENT_RATE:
            household.concern_parent = SLOT_SECOND_PARENT
        self.add_records(household)
        return household

    def add_risk(self, household: Household, two_parents: bool, home: Address) -> None:
        rng, fake = self.rng, self.fake
        circumstances = set(household.circumstances)
        abuse = Circumstance.DOMESTIC_ABUSE in circumstances
        first = household.people[0]
        if rng.random() < RISK_PERSON_RATE[household.need]:
            lives_in = not two_parents
            if lives_in:
                relation = f"{first.relation}'s partner"
                link = RelationshipKind.PARTNER
            else:
                relation = rng.choice((f"{first.relation}'s ex-partner", "family associate"))
                link = RelationshipKind.ASSOCIATE
            address = home if lives_in else _address(rng, fake)
            dob = _born(rng, self.as_of, rng.randint(19, 50))
            household.people.append(
                self.person(
                    SLOT_RISK, PersonRole.RISK_PERSON, relation, fake.first_name_male(),
                    fake.last_name(), None, Sex.MALE, dob, address,
                )
            )  # fmt: skip
            household.risk_link = link
            household.risk_lives_in = lives_in
            if not abuse or rng.random() < RISK_PERPETRATOR_RATE:
                household.risk_subject = SLOT_RISK
        if (
            household.risk_subject is None
            and abuse
            and two_parents
            and household.people[1].sex is Sex.MALE
            and rng.random() < SECOND_PARENT_PERPETRATOR_RATE
        ):
            household.risk_subject = SLOT_SECOND_PARENT
        if household.risk_subject is not None:
            circumstances.add(Circumstance.RISK_PERSON)
        household.circumstances = frozenset(circumstances)

    def add_records(self, household: Household) -> None:
        rng = self.rng
        gp = rng.choice(GP_PRACTICES)
        primary = rng.choice(PRIMARY_SCHOOLS)
        secondary = rng.choice(SECONDARY_SCHOOLS)
        family_services = self.family_services(household)
        wanted: list[tuple[str, TruePerson]] = []
        child_codes: set[str] = set()
        for child in household.children:
            codes = self.child_services(household, child, gp, primary, secondary, family_services)
            child_codes.update(codes)
            wanted.extend((code, child) for code in codes)
        for adult in household.people:
            if not adult.is_child:
                codes = self.adult_services(household, adult, gp, child_codes)
                wanted.extend((code, adult) for code in codes)
        wanted.sort(key=lambda pair: (_ORDER[pair[0]], pair[1].slot))
        household.records = [self.draft(household, code, person) for code, person in wanted]

    def family_services(self, household: Household) -> list[str]:
        rng = self.rng
        need = household.need
        found = []
        for service, rates in HOUSEHOLD_KNOWN.items():
            chance = rates[need]
            if service is Service.POLICE and Circumstance.DOMESTIC_ABUSE in household.circumstances:
                chance = max(chance, POLICE_IF_DOMESTIC_ABUSE)
            if service is Service.HOUSING and Circumstance.HOUSING in household.circumstances:
                chance = max(chance, HOUSING_IF_HOUSING_PROBLEM)
            if (
                service is Service.DOMESTIC_ABUSE_SERVICE
                and Circumstance.DOMESTIC_ABUSE not in household.circumstances
            ):
                chance = 0.0
            if rng.random() < chance:
                found.append(_SINGLE[service])
        return found

    def child_services(
        self,
        household: Household,
        child: TruePerson,
        gp: str,
        primary: str,
        secondary: str,
        family_services: list[str],
    ) -> list[str]:
        rng = self.rng
        need = household.need
        age = age_on(child.date_of_birth, self.as_of)
        codes: list[str] = []
        if rng.random() < CHILD_KNOWN[Service.GP][need]:
            codes.append(gp)
        if age < 5 and rng.random() < CHILD_KNOWN[Service.HEALTH_VISITING][need]:
            codes.append(_SINGLE[Service.HEALTH_VISITING])
        school = self.school_for(child, primary, secondary)
        if school is not None and rng.random() < CHILD_KNOWN[AGENCY_BY_CODE[school].service][need]:
            codes.append(school)
        if rng.random() < CHILD_KNOWN[Service.EMERGENCY_DEPARTMENT][need]:
            codes.append(_SINGLE[Service.EMERGENCY_DEPARTMENT])
        if age >= 8 and rng.random() < CHILD_KNOWN[Service.CAMHS][need]:
            codes.append(_SINGLE[Service.CAMHS])
        codes.extend(c for c in family_services if rng.random() < SIBLING_SHARES_HOUSEHOLD_SERVICE)
        if len(codes) > MAX_AGENCIES_PER_CHILD:
            codes = rng.sample(codes, MAX_AGENCIES_PER_CHILD)
        if not codes:
            codes.append(gp)
        return codes

    def school_for(self, child: TruePerson, primary: str, secondary: str) -> str | None:
        if school_start(child.date_of_birth, 11) <= self.as_of:
            return secondary
        if school_start(child.date_of_birth, 4) <= self.as_of:
            return primary
        return None

    def adult_services(
        self, household: Household, adult: TruePerson, gp: str, child_codes: set[str]
    ) -> list[str]:
        rng = self.rng
        is_subject = household.risk_subject == adult.slot
        police = _SINGLE[Service.POLICE]
        probation = _SINGLE[Service.PROBATION]
        codes: list[str] = []
        if adult.slot == SLOT_RISK:
            for code in sorted(child_codes, key=_ORDER.__getitem__):
                service = AGENCY_BY_CODE[code].service
                if service is Service.SOCIAL_CARE:
                    chance = RISK_PERSON_KNOWN_TO_SOCIAL_CARE
                elif service is Service.HOUSING and household.risk_lives_in:
                    chance = RISK_PARTNER_KNOWN_TO_HOUSING
                else:
                    chance = 0.0
                if rng.random() < chance:
                    codes.append(code)
            if rng.random() < RISK_PERSON_KNOWN_TO_GP:
                codes.append(rng.choice(GP_PRACTICES))
            if police not in codes and rng.random() < RISK_SUBJECT_KNOWN_TO_POLICE:
                codes.append(police)
            if rng.random() < RISK_PERSON_KNOWN_TO_PROBATION:
                codes.append(probation)
            return codes
        known = FIRST_PARENT_KNOWN if adult.slot == SLOT_PARENT else SECOND_PARENT_KNOWN
        for code in sorted(child_codes | {gp}, key=_ORDER.__getitem__):
            service = AGENCY_BY_CODE[code].service
            chance = known.get(service, 0.0)
            if service is Service.HEALTH_VISITING and adult.sex is not Sex.FEMALE:
                chance = min(chance, 0.3)
            if service is Service.POLICE and (
                is_subject
                or (
                    adult.slot == household.victim
                    and Circumstance.DOMESTIC_ABUSE in household.circumstances
                )
            ):
                chance = max(chance, RISK_SUBJECT_KNOWN_TO_POLICE)
            if rng.random() < chance:
                codes.append(code)
        if is_subject:
            if police not in codes and rng.random() < RISK_SUBJECT_KNOWN_TO_POLICE:
                codes.append(police)
            if rng.random() < PERPETRATOR_PARENT_KNOWN_TO_PROBATION:
                codes.append(probation)
        return codes

    def known_since(self, spec: AgencySpec, person: TruePerson) -> date:
        rng = self.rng
        dob = person.date_of_birth
        latest = self.as_of - timedelta(days=7)
        history_start = self.as_of - timedelta(days=int(HISTORY_YEARS * 365.25))
        if person.is_child:
            if spec.service is Service.GP:
                since = dob + timedelta(days=rng.randint(7, 60))
            elif spec.service is Service.HEALTH_VISITING:
                since = dob + timedelta(days=rng.randint(10, 14))
            elif spec.service is Service.PRIMARY_SCHOOL:
                since = school_start(dob, 4) + timedelta(days=rng.randint(0, 3))
            elif spec.service is Service.SECONDARY_SCHOOL:
                since = school_start(dob, 11) + timedelta(days=rng.randint(0, 3))
            else:
                since = between(rng, max(dob, history_start), latest)
        else:
            adult_from = dob + timedelta(days=int(16 * 365.25))
            if spec.service is Service.GP:
                since = between(rng, adult_from, latest)
            else:
                since = between(rng, max(adult_from, history_start), latest)
        return min(max(since, dob), self.as_of)

    def draft(self, household: Household, code: str, person: TruePerson) -> RecordDraft:
        rng = self.rng
        spec = AGENCY_BY_CODE[code]
        kind: AgencyKind = spec.kind
        since = self.known_since(spec, person)
        address = person.address
        if (
            person.previous_address is not None
            and person.moved_on is not None
            and since < person.moved_on
            and rng.random() < noise.NOISE.stale_address
        ):
            address = person.previous_address
        line, postcode = noise.recorded_address(rng, address.line, address.postcode)
        return RecordDraft(
            agency=spec,
            person=person,
            local_id=local_id(code, household.seed, person.number),
            given_name=noise.recorded_given_name(rng, person.given_name),
            family_name=noise.recorded_family_name(
                rng, person.family_name, person.other_family_name, kind
            ),
            date_of_birth=noise.recorded_date_of_birth(
                rng, person.date_of_birth, kind, person.is_child
            ),
            sex=noise.recorded_sex(rng, person.sex),
            address=line,
            postcode=postcode,
            nhs_number=noise.recorded_nhs_number(rng, person.nhs_number, kind, person.is_child),
            known_since=since,
        )
