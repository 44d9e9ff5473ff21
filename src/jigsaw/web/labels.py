"""The words practitioners see for the service's stored codes.

Stored values are short codes (``parent_capacity``); pages say what they mean in the
guidance's own plain English. Keeping them in one place keeps every page consistent.
"""

from __future__ import annotations

from datetime import date

from jigsaw.people.models import PersonRole, RelationshipKind, Sex
from jigsaw.records.models import Category, Nature

CATEGORIES: dict[Category, str] = {
    Category.CHILD_WELFARE: "Child's welfare",
    Category.PARENT_CAPACITY: "Parent or carer's capacity",
    Category.RISK_PERSON: "Person who may pose a risk",
}

NATURES: dict[Nature, str] = {Nature.FACT: "Fact", Nature.OPINION: "Opinion"}

PERSON_ROLES: dict[PersonRole, str] = {
    PersonRole.CHILD: "Child",
    PersonRole.PARENT_CARER: "Parent or carer",
    PersonRole.RISK_PERSON: "Person who may pose a risk",
    PersonRole.OTHER_ADULT: "Other adult",
}

SEXES: dict[Sex, str] = {Sex.FEMALE: "Female", Sex.MALE: "Male", Sex.UNKNOWN: "Not known"}

# A relationship reads "<from> is the <kind> of <to>". Seen from the "to" side the
# other person is simply the kind; seen from the "from" side, the reverse.
RELATIONSHIP_TO: dict[RelationshipKind, str] = {
    RelationshipKind.PARENT: "Parent",
    RelationshipKind.CARER: "Carer",
    RelationshipKind.SIBLING: "Brother or sister",
    RelationshipKind.HOUSEHOLD_MEMBER: "Lives in the same household",
    RelationshipKind.PARTNER: "Partner",
    RelationshipKind.ASSOCIATE: "Associate",
}
RELATIONSHIP_FROM: dict[RelationshipKind, str] = {
    **RELATIONSHIP_TO,
    RelationshipKind.PARENT: "Their child",
    RelationshipKind.CARER: "Someone they care for",
}


def category(value: Category) -> str:
    return CATEGORIES[value]


def subtype(value: str) -> str:
    """``school_attendance`` reads as "School attendance"."""
    words = value.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def long_date(value: date | None) -> str:
    """GOV.UK style dates: "4 March 2016", no leading zero."""
    if value is None:
        return "Not known"
    return f"{value.day} {value:%B %Y}"


def nhs_number(value: str | None) -> str:
    """Shown in the 3-3-4 groups printed on NHS letters and cards."""
    if not value:
        return "Not recorded"
    return f"{value[:3]} {value[3:6]} {value[6:]}"
