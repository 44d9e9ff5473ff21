"""The fictional local authority the synthetic population lives in, kept as data.

Everything here is invented: the place ("Northbridge"), its agencies, the postcode
area (``NB`` is not a real UK postcode area) and the practitioners' telephone
numbers (Ofcom's ranges reserved for drama). Keeping the world as data means the
generator's code only decides *how often* things happen, never *what exists*.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from jigsaw.policy.roles import AgencyKind, Role

LOCAL_AUTHORITY = "Northbridge"


class Service(StrEnum):
    """Finer than ``AgencyKind``: a GP and an emergency department are both health."""

    PRIMARY_SCHOOL = "primary_school"
    SECONDARY_SCHOOL = "secondary_school"
    GP = "gp"
    HEALTH_VISITING = "health_visiting"
    EMERGENCY_DEPARTMENT = "emergency_department"
    CAMHS = "camhs"
    POLICE = "police"
    SOCIAL_CARE = "social_care"
    HOUSING = "housing"
    PROBATION = "probation"
    FAMILY_SUPPORT = "family_support"
    DOMESTIC_ABUSE_SERVICE = "domestic_abuse_service"


@dataclass(frozen=True)
class StaffPost:
    """A post in an agency; ``involvement`` is how the post describes its work with a person."""

    role: Role
    job_title: str
    involvement: str = ""


@dataclass(frozen=True)
class AgencySpec:
    code: str
    name: str
    kind: AgencyKind
    service: Service
    domain: str
    staff: tuple[StaffPost, ...]


_DSL = StaffPost(Role.DSL, "Designated safeguarding lead", "Designated safeguarding lead")
_CLASS_TEACHER = StaffPost(Role.PRACTITIONER, "Class teacher", "Class teacher")
_HEAD_OF_YEAR = StaffPost(Role.PRACTITIONER, "Head of year", "Head of year")
_FORM_TUTOR = StaffPost(Role.PRACTITIONER, "Form tutor", "Form tutor")
_PRIMARY_STAFF = (_DSL, _CLASS_TEACHER, _CLASS_TEACHER, _CLASS_TEACHER)
_SECONDARY_STAFF = (_DSL, _HEAD_OF_YEAR, _HEAD_OF_YEAR, _FORM_TUTOR)
_GP_STAFF = (
    StaffPost(Role.DSL, "Safeguarding lead GP", "GP"),
    StaffPost(Role.PRACTITIONER, "Salaried GP", "GP"),
    StaffPost(Role.PRACTITIONER, "Practice nurse", "Practice nurse"),
    StaffPost(Role.CALDICOTT, "Caldicott Guardian"),
)

SOCIAL_WORKER = "Allocated social worker"
EARLY_HELP_WORKER = "Early help practitioner"
PAEDIATRIC_LIAISON = "Paediatric liaison nurse"


def _school(code: str, name: str, service: Service, domain: str) -> AgencySpec:
    staff = _PRIMARY_STAFF if service is Service.PRIMARY_SCHOOL else _SECONDARY_STAFF
    return AgencySpec(code, name, AgencyKind.SCHOOL, service, domain, staff)


def _gp(code: str, name: str, domain: str) -> AgencySpec:
    return AgencySpec(code, name, AgencyKind.HEALTH, Service.GP, domain, _GP_STAFF)


AGENCIES: tuple[AgencySpec, ...] = (
    _school(
        "ASH", "Ashfield Primary School", Service.PRIMARY_SCHOOL, "ashfield-primary.example.org"
    ),
    _school("STA", "St Anne's CE Primary School", Service.PRIMARY_SCHOOL, "st-annes.example.org"),
    _school("MIL", "Millbrook Primary Academy", Service.PRIMARY_SCHOOL, "millbrook.example.org"),
    _school(
        "RIV",
        "Riverside Infant and Junior School",
        Service.PRIMARY_SCHOOL,
        "riverside-school.example.org",
    ),
    _school(
        "HOL", "Hollins Park Primary School", Service.PRIMARY_SCHOOL, "hollins-park.example.org"
    ),
    _school(
        "NBA", "Northbridge Academy", Service.SECONDARY_SCHOOL, "northbridge-academy.example.org"
    ),
    _school("KMH", "Kingsmead High School", Service.SECONDARY_SCHOOL, "kingsmead-high.example.org"),
    _school(
        "STC",
        "St Cuthbert's Catholic High School",
        Service.SECONDARY_SCHOOL,
        "st-cuthberts.example.org",
    ),
    _gp("NHC", "Northbridge Health Centre", "northbridge-hc.nhs.example.org"),
    _gp("CSS", "Castle Street Surgery", "castle-street.nhs.example.org"),
    _gp("WMP", "Westfield Medical Practice", "westfield-mp.nhs.example.org"),
    AgencySpec(
        "NHV",
        "Northbridge Health Visiting Service",
        AgencyKind.HEALTH,
        Service.HEALTH_VISITING,
        "community-health.nhs.example.org",
        (
            StaffPost(Role.DSL, "Named nurse for safeguarding", "Safeguarding nurse"),
            StaffPost(Role.PRACTITIONER, "Health visitor", "Health visitor"),
            StaffPost(Role.PRACTITIONER, "Health visitor", "Health visitor"),
            StaffPost(Role.PRACTITIONER, "Health visitor", "Health visitor"),
        ),
    ),
    AgencySpec(
        "NGH",
        "Northbridge General Hospital Emergency Department",
        AgencyKind.HEALTH,
        Service.EMERGENCY_DEPARTMENT,
        "northbridge-hospitals.nhs.example.org",
        (
            StaffPost(Role.PRACTITIONER, "Paediatric liaison nurse", PAEDIATRIC_LIAISON),
            StaffPost(Role.PRACTITIONER, "Paediatric liaison nurse", PAEDIATRIC_LIAISON),
            StaffPost(Role.DSL, "Named doctor for safeguarding children", "Named doctor"),
            StaffPost(Role.CALDICOTT, "Caldicott Guardian"),
        ),
    ),
    AgencySpec(
        "CMH",
        "Northbridge Child and Adolescent Mental Health Service",
        AgencyKind.HEALTH,
        Service.CAMHS,
        "camhs.nhs.example.org",
        (
            StaffPost(Role.PRACTITIONER, "CAMHS clinician", "CAMHS clinician"),
            StaffPost(Role.PRACTITIONER, "Clinical psychologist", "CAMHS clinician"),
        ),
    ),
    AgencySpec(
        "NSP",
        "Northshire Police",
        AgencyKind.POLICE,
        Service.POLICE,
        "northshire.police.example.org",
        (
            StaffPost(Role.PRACTITIONER, "Police constable", "Officer in case"),
            StaffPost(
                Role.PRACTITIONER, "Detective constable, public protection", "Officer in case"
            ),
            StaffPost(Role.MASH, "MASH police researcher", "MASH police researcher"),
            StaffPost(Role.DPO, "Data protection officer"),
        ),
    ),
    AgencySpec(
        "CSC",
        "Northbridge Children's Social Care (MASH)",
        AgencyKind.SOCIAL_CARE,
        Service.SOCIAL_CARE,
        "northbridge-council.example.org",
        (
            StaffPost(Role.MASH, "MASH social worker", "MASH social worker"),
            StaffPost(Role.PRACTITIONER, "Social worker", SOCIAL_WORKER),
            StaffPost(Role.PRACTITIONER, "Social worker", SOCIAL_WORKER),
            StaffPost(Role.PRACTITIONER, "Senior social worker", SOCIAL_WORKER),
            StaffPost(Role.PRACTITIONER, "Early help practitioner", EARLY_HELP_WORKER),
            StaffPost(Role.DPO, "Data protection officer"),
        ),
    ),
    AgencySpec(
        "HSG",
        "Northbridge Council Housing Services",
        AgencyKind.HOUSING,
        Service.HOUSING,
        "housing.northbridge-council.example.org",
        (
            StaffPost(Role.PRACTITIONER, "Housing officer", "Housing officer"),
            StaffPost(Role.PRACTITIONER, "Housing officer", "Housing officer"),
            StaffPost(Role.PRACTITIONER, "Tenancy sustainment officer", "Tenancy support"),
        ),
    ),
    AgencySpec(
        "PRB",
        "Probation Service, Northbridge",
        AgencyKind.PROBATION,
        Service.PROBATION,
        "probation.example.org",
        (
            StaffPost(Role.PRACTITIONER, "Probation officer", "Probation officer"),
            StaffPost(Role.PRACTITIONER, "Probation officer", "Probation officer"),
        ),
    ),
    AgencySpec(
        "FST",
        "Northbridge Family Support Trust",
        AgencyKind.VOLUNTARY,
        Service.FAMILY_SUPPORT,
        "family-support-trust.example.org",
        (
            StaffPost(Role.PRACTITIONER, "Family support worker", "Family support worker"),
            StaffPost(Role.PRACTITIONER, "Family support worker", "Family support worker"),
            StaffPost(Role.DSL, "Safeguarding lead", "Safeguarding lead"),
        ),
    ),
    AgencySpec(
        "SHD",
        "Safe Haven Domestic Abuse Service",
        AgencyKind.VOLUNTARY,
        Service.DOMESTIC_ABUSE_SERVICE,
        "safe-haven.example.org",
        (
            StaffPost(Role.PRACTITIONER, "Independent domestic violence advocate", "IDVA"),
            StaffPost(Role.PRACTITIONER, "Children's worker", "Children's worker"),
        ),
    ),
)

AGENCY_BY_CODE = {spec.code: spec for spec in AGENCIES}


def codes_for(service: Service) -> tuple[str, ...]:
    return tuple(spec.code for spec in AGENCIES if spec.service is service)


PRIMARY_SCHOOLS = codes_for(Service.PRIMARY_SCHOOL)
SECONDARY_SCHOOLS = codes_for(Service.SECONDARY_SCHOOL)
GP_PRACTICES = codes_for(Service.GP)

# Each neighbourhood has its own outward postcodes, so addresses cluster the way
# real ones do (and blocking on postcode district behaves realistically).
LOCALITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Northbridge", ("NB1", "NB2", "NB3")),
    ("Millbrook", ("NB4", "NB5")),
    ("Hollins Park", ("NB6",)),
    ("Castlegate", ("NB7", "NB8")),
    ("Westfield", ("NB9", "NB10")),
    ("Ashby Vale", ("NB11", "NB12")),
)
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Popular given names for children born in England and Wales over the last
# twenty years; the adults' names come from Faker's en_GB lists.
GIRLS_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Sophia", "Grace",
    "Freya", "Florence", "Willow", "Emily", "Ella", "Poppy", "Evie", "Charlotte", "Jessica",
    "Sophie", "Chloe", "Ruby", "Lucy", "Ellie", "Megan", "Hannah", "Katie", "Holly", "Abigail",
    "Elizabeth", "Amy", "Lauren", "Rebecca", "Alice", "Matilda", "Rosie", "Daisy", "Phoebe",
    "Millie", "Harriet", "Eleanor", "Victoria", "Scarlett", "Zara", "Maryam", "Aisha", "Nevaeh",
    "Summer", "Jasmine", "Layla", "Eliza", "Margaret", "Katherine", "Abbie", "Jennifer",
)  # fmt: skip
BOYS_NAMES = (
    "Noah", "Oliver", "George", "Arthur", "Muhammad", "Leo", "Harry", "Oscar", "Archie",
    "Henry", "Theodore", "Freddie", "Jack", "Charlie", "Thomas", "James", "William", "Joshua",
    "Daniel", "Samuel", "Joseph", "Benjamin", "Alexander", "Jacob", "Ethan", "Lewis", "Dylan",
    "Kai", "Riley", "Mason", "Logan", "Alfie", "Edward", "Matthew", "Nathan", "Jayden",
    "Robert", "Christopher", "Michael", "Callum", "Kieran", "Tyler", "Reuben", "Ibrahim",
    "Zachary", "Frederick", "Nicholas", "Anthony", "Patrick", "Timothy", "Richard",
)  # fmt: skip


class Need(IntEnum):
    """The level of help a family gets, which drives how much agencies know and record."""

    UNIVERSAL = 0
    EARLY_HELP = 1
    CHILD_IN_NEED = 2
    CHILD_PROTECTION = 3


class Circumstance(StrEnum):
    """What is going on in a household; item templates ask for these before they apply."""

    DOMESTIC_ABUSE = "domestic_abuse"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_MISUSE = "substance_misuse"
    HOUSING = "housing"
    NEGLECT = "neglect"
    RISK_PERSON = "risk_person"


STREET_STEMS = (
    "Church", "Station", "Mill", "Park", "Victoria", "Queen's", "King's", "Chapel", "Oak",
    "Elm", "Beech", "Willow", "Meadow", "Orchard", "Bridge", "Castle", "Market", "Albert",
)  # fmt: skip
STREET_SUFFIXES = (
    "Road", "Road", "Street", "Street", "Avenue", "Lane", "Close", "Drive", "Crescent",
    "Gardens", "Way", "Grove", "Place", "Court", "Terrace", "Mews", "Walk", "Rise", "View",
)  # fmt: skip
