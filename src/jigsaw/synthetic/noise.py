"""How often each agency's copy of a person differs from the truth, and in what way.

The rates are named constants so tests can hold the generator to them and so a
linkage evaluation can say which kinds of disagreement it was tested against.
They are rough figures for English services (health systems are fed by the NHS
spine and almost always hold the NHS number; housing and the voluntary sector
rarely do), not measurements of any real dataset.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from jigsaw.people.models import Sex
from jigsaw.policy.roles import AgencyKind
from jigsaw.synthetic import names


@dataclass(frozen=True)
class NoiseRates:
    """Chance per agency record that a detail is recorded differently from the truth."""

    nickname: float = 0.12
    """Given name recorded as a short form, when the name has one (Elizabeth -> Libby)."""
    given_name_typo: float = 0.03
    family_name_typo: float = 0.03
    other_family_name: float = 0.35
    """Person has a second surname in use (before a parent remarried, or "known as")."""
    hyphen_one_part: float = 0.30
    """Double-barrelled surname recorded as only one of its parts."""
    hyphen_as_space: float = 0.10
    dob_day_month_swap: float = 0.04
    """Applied only where the swap gives a real, different date (day of month 1-12)."""
    dob_off_by_one_day: float = 0.01
    stale_address: float = 0.45
    """Household moved after the agency met them and the agency was not told."""
    abbreviated_street: float = 0.25
    postcode_without_space: float = 0.05
    sex_unknown: float = 0.01
    upper_case_family_name: float = 0.5
    """Only in police and probation systems, which store surnames in capitals."""


NOISE = NoiseRates()

NHS_NUMBER_RECORDED_CHILD: dict[AgencyKind, float] = {
    AgencyKind.HEALTH: 0.98,
    AgencyKind.SCHOOL: 0.40,
    AgencyKind.POLICE: 0.15,
    AgencyKind.SOCIAL_CARE: 0.70,
    AgencyKind.HOUSING: 0.05,
    AgencyKind.PROBATION: 0.10,
    AgencyKind.VOLUNTARY: 0.05,
    AgencyKind.OTHER: 0.10,
}
NHS_NUMBER_RECORDED_ADULT: dict[AgencyKind, float] = {
    AgencyKind.HEALTH: 0.97,
    AgencyKind.SCHOOL: 0.02,
    AgencyKind.POLICE: 0.15,
    AgencyKind.SOCIAL_CARE: 0.50,
    AgencyKind.HOUSING: 0.05,
    AgencyKind.PROBATION: 0.20,
    AgencyKind.VOLUNTARY: 0.03,
    AgencyKind.OTHER: 0.05,
}
DOB_MISSING_CHILD: dict[AgencyKind, float] = {
    AgencyKind.HEALTH: 0.0,
    AgencyKind.SCHOOL: 0.0,
    AgencyKind.POLICE: 0.05,
    AgencyKind.SOCIAL_CARE: 0.02,
    AgencyKind.HOUSING: 0.15,
    AgencyKind.PROBATION: 0.0,
    AgencyKind.VOLUNTARY: 0.20,
    AgencyKind.OTHER: 0.10,
}
DOB_MISSING_ADULT: dict[AgencyKind, float] = {
    AgencyKind.HEALTH: 0.0,
    AgencyKind.SCHOOL: 0.85,
    AgencyKind.POLICE: 0.03,
    AgencyKind.SOCIAL_CARE: 0.10,
    AgencyKind.HOUSING: 0.10,
    AgencyKind.PROBATION: 0.0,
    AgencyKind.VOLUNTARY: 0.40,
    AgencyKind.OTHER: 0.20,
}
CAPITALISING_KINDS = frozenset({AgencyKind.POLICE, AgencyKind.PROBATION})


def recorded_given_name(rng: random.Random, given_name: str, rates: NoiseRates = NOISE) -> str:
    """At most one kind of error per name, so each can be measured on its own."""
    draw = rng.random()
    if draw < rates.nickname:
        return names.nickname(rng, given_name)
    if draw < rates.nickname + rates.given_name_typo:
        return names.typo(rng, given_name)
    return given_name


def recorded_family_name(
    rng: random.Random,
    family_name: str,
    other_family_name: str | None,
    kind: AgencyKind,
    rates: NoiseRates = NOISE,
) -> str:
    name = family_name
    if other_family_name and rng.random() < rates.other_family_name:
        name = other_family_name
    if "-" in name:
        draw = rng.random()
        if draw < rates.hyphen_one_part:
            name = names.one_part(rng, name)
        elif draw < rates.hyphen_one_part + rates.hyphen_as_space:
            name = names.unhyphenated(name)
    if rng.random() < rates.family_name_typo:
        name = names.typo(rng, name)
    if kind in CAPITALISING_KINDS and rng.random() < rates.upper_case_family_name:
        name = name.upper()
    return name


def swappable(dob: date) -> bool:
    return dob.day <= 12 and dob.day != dob.month


def recorded_date_of_birth(
    rng: random.Random, dob: date, kind: AgencyKind, is_child: bool, rates: NoiseRates = NOISE
) -> date | None:
    missing = (DOB_MISSING_CHILD if is_child else DOB_MISSING_ADULT)[kind]
    if rng.random() < missing:
        return None
    draw = rng.random()
    if draw < rates.dob_day_month_swap:
        return dob.replace(month=dob.day, day=dob.month) if swappable(dob) else dob
    if draw < rates.dob_day_month_swap + rates.dob_off_by_one_day:
        return dob - timedelta(days=1)
    return dob


def recorded_nhs_number(
    rng: random.Random, nhs_number: str, kind: AgencyKind, is_child: bool
) -> str | None:
    rate = (NHS_NUMBER_RECORDED_CHILD if is_child else NHS_NUMBER_RECORDED_ADULT)[kind]
    return nhs_number if rng.random() < rate else None


def recorded_sex(rng: random.Random, sex: Sex, rates: NoiseRates = NOISE) -> Sex:
    return Sex.UNKNOWN if rng.random() < rates.sex_unknown else sex


def recorded_address(
    rng: random.Random, line: str, postcode: str, rates: NoiseRates = NOISE
) -> tuple[str, str]:
    if rng.random() < rates.abbreviated_street:
        line = names.abbreviate_street(line)
    if rng.random() < rates.postcode_without_space:
        postcode = postcode.replace(" ", "")
    return line, postcode
