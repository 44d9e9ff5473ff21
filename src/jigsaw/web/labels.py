"""The words practitioners see for the service's stored codes.

Stored values are short codes (``parent_capacity``); pages say what they mean in the
guidance's own plain English. Keeping them in one place keeps every page consistent.
"""

from __future__ import annotations

from datetime import date, datetime

from jigsaw.audit.actions import AuditAction
from jigsaw.breakglass.models import EMERGENCY_GROUNDS, EmergencyGround
from jigsaw.clock import UK_TIME
from jigsaw.consent.models import ConsentStatus, Party, SharingPurpose, TellingMethod
from jigsaw.deadlines.values import Rag
from jigsaw.people.models import PersonRole, RelationshipKind, Sex
from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import Category, Nature, Verification
from jigsaw.records.types import shipped_types
from jigsaw.sharing.lawful_basis import DESCRIPTIONS, Art6Basis, Art9Condition, Art10Condition
from jigsaw.sharing.models import (
    AdviceRole,
    ConsentPosition,
    DecisionOutcome,
    NotToldReason,
    RequesterKind,
    StandaloneKind,
)

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
# Someone related to one of the child's parents or carers, named by that relation:
# "to" when the relationship runs from them to the carer, "from" when it runs back.
RELATIONSHIP_OF_CARER_TO: dict[RelationshipKind, str] = {
    RelationshipKind.PARENT: "Parent of {carer}",
    RelationshipKind.CARER: "Carer of {carer}",
    RelationshipKind.SIBLING: "Brother or sister of {carer}",
    RelationshipKind.HOUSEHOLD_MEMBER: "Lives with {carer}",
    RelationshipKind.PARTNER: "Partner of {carer}",
    RelationshipKind.ASSOCIATE: "Associate of {carer}",
}
RELATIONSHIP_OF_CARER_FROM: dict[RelationshipKind, str] = {
    **RELATIONSHIP_OF_CARER_TO,
    RelationshipKind.PARENT: "Child of {carer}",
    RelationshipKind.CARER: "Cared for by {carer}",
}


def category(value: Category) -> str:
    return CATEGORIES[value]


ACRONYMS: frozenset[str] = frozenset(
    {
        "camhs", "cce", "cse", "dsl", "ed", "ehcp", "fgm", "gp", "idva", "lado", "mappa",
        "marac", "mash", "nhs", "send", "sen",
    }
)  # fmt: skip
"""Words in stored codes that are acronyms, written in capitals wherever a code is shown
in words ("mash_contact" reads "MASH contact", never "Mash contact")."""


def subtype(value: str) -> str:
    """``school_attendance`` reads as "School attendance"; acronyms stay in capitals."""
    words = [
        w.upper() if w in ACRONYMS else w
        for w in value.replace("_", " ").replace("-", " ").strip().split()
    ]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def in_sentence(label: str) -> str:
    """A label as it reads inside a sentence: "for child protection enquiry", but "for
    MASH screening" and "(Operation Encompass)": only the first letter is lowered, and
    not at all when the first word is an acronym."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and first.isupper():
        return label
    return label[:1].lower() + label[1:]


def person_name(record: object) -> str:
    """A record's name as recorded, or "Name not recorded": an agency may know a baby or
    a referral's subject by date of birth, NHS number and address alone."""
    name = " ".join(
        part
        for part in (getattr(record, "given_name", ""), getattr(record, "family_name", ""))
        if part
    )
    return name or "Name not recorded"


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


# Sharing decisions, disclosures, advice and requests

PURPOSES: dict[SharingPurpose, str] = {
    SharingPurpose.CHILD_PROTECTION_ENQUIRY: "Child protection enquiry (section 47)",
    SharingPurpose.CHILD_IN_NEED_ASSESSMENT: "Child in need assessment (section 17)",
    SharingPurpose.MASH_SCREENING: "MASH screening of a referral",
    SharingPurpose.EARLY_HELP: "Early help for the child or family",
    SharingPurpose.DOMESTIC_ABUSE_NOTIFICATION: "Domestic abuse notification (Operation Encompass)",
    SharingPurpose.HEALTH_CARE: "The child's health care",
    SharingPurpose.COURT_PROCEEDINGS: "Court proceedings",
}

OUTCOMES: dict[str, str] = {
    DecisionOutcome.SHARE: "Share",
    DecisionOutcome.SHARE_IN_PART: "Share in part",
    DecisionOutcome.DO_NOT_SHARE: "Do not share",
    "seek_advice": "Seek advice",
}

OUTCOME_HINTS: dict[DecisionOutcome, str] = {
    DecisionOutcome.SHARE: "Share the relevant information with the recipient.",
    DecisionOutcome.SHARE_IN_PART: "Share some of the information and leave the rest out.",
    DecisionOutcome.DO_NOT_SHARE: "Share nothing. Your reasons are kept, and shown to the "
    "agency that asked if this answers a request.",
}

STANDALONE_KINDS: dict[StandaloneKind, str] = {
    StandaloneKind.ANONYMISED_SHARE: "Share anonymised information",
    StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE: (
        "Refuse a request from someone without a safeguarding role"
    ),
    StandaloneKind.REFUSED_NO_PURPOSE: "Refuse a request that gave no purpose",
}

STANDALONE_KIND_HINTS: dict[StandaloneKind, str] = {
    StandaloneKind.ANONYMISED_SHARE: (
        "Figures or a case description that identify nobody, for example termly counts "
        "of children on child protection plans for the safeguarding partnership."
    ),
    StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE: (
        "For example a parent asking who made a referral, a landlord, a journalist or a "
        "member of the public."
    ),
    StandaloneKind.REFUSED_NO_PURPOSE: (
        "From anyone, another agency too, who did not say why they need the information."
    ),
}

REQUESTER_KINDS: dict[RequesterKind, str] = {
    RequesterKind.PARENT_OR_CARER: "A parent or carer",
    RequesterKind.OTHER_FAMILY_MEMBER: "Another family member",
    RequesterKind.LANDLORD: "A landlord or letting agent",
    RequesterKind.JOURNALIST_OR_MEDIA: "A journalist or the media",
    RequesterKind.MEMBER_OF_PUBLIC: "A member of the public",
    RequesterKind.ORGANISATION_NO_SAFEGUARDING: (
        "An organisation without a safeguarding or support role"
    ),
    RequesterKind.SAFEGUARDING_AGENCY: "A safeguarding agency or partnership",
    RequesterKind.OTHER: "Someone else",
}

DECIDED: dict[str, str] = {
    DecisionOutcome.SHARE: "to share",
    DecisionOutcome.SHARE_IN_PART: "to share some",
    DecisionOutcome.DO_NOT_SHARE: "not to share",
}
"""Each outcome as it follows "You decided": "You decided not to share information"."""


def decided(value: str) -> str:
    return DECIDED.get(value, in_sentence(outcome(value)))


RECOMMENDATIONS: dict[str, str] = {
    DecisionOutcome.SHARE: "Share the information",
    DecisionOutcome.SHARE_IN_PART: "Share only part of the information",
    DecisionOutcome.DO_NOT_SHARE: "Do not share the information",
    "seek_advice": "Seek advice before you decide",
}

CONSENT_POSITIONS: dict[ConsentPosition, str] = {
    ConsentPosition.GIVEN: "Consent was given",
    ConsentPosition.REFUSED: "Consent was refused",
    ConsentPosition.WITHDRAWN: "Consent was given but has been withdrawn",
    ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK: (
        "Not sought, because asking would increase the risk to the child"
    ),
    ConsentPosition.NOT_SOUGHT_OTHER: "Not sought, for another reason",
    ConsentPosition.NOT_APPLICABLE: (
        "Not applicable, because consent is not the basis for this sharing"
    ),
}

NOT_TOLD_REASONS: dict[NotToldReason, str] = {
    NotToldReason.RISK_TO_CHILD: "Telling them would put the child at greater risk",
    NotToldReason.VIOLENCE: "Telling them could provoke violence",
    NotToldReason.CHILD_WITHDRAWAL: "Telling them could make the child withdraw",
    NotToldReason.PREJUDICE_ENQUIRY: "Telling them could get in the way of an enquiry",
    NotToldReason.YOUNG_PERSON_ASKED: (
        "A young person competent to decide asked that their parents are not told"
    ),
}

ADVICE_ROLES: dict[AdviceRole, str] = {
    AdviceRole.DSL: "Your designated safeguarding lead",
    AdviceRole.MANAGER: "Your manager",
    AdviceRole.DPO: "Your Data Protection Officer",
    AdviceRole.CALDICOTT: "Your Caldicott Guardian",
    AdviceRole.LEGAL: "Your legal team",
}

FIELDS: dict[str, str] = {
    "occurred_on": "Date",
    "category": "Category",
    "subtype": "Type",
    "summary": "Summary",
    "detail": "Detail",
    "nature": "Fact or opinion",
    "source": "Source",
    "verification": "Checked or not",
    "police_contact": "Police contact",
}
"""Each part of an item by name; "Police contact" is what an Operation Encompass notice
tells a school beside the incident's date."""

PROTECTED_PARTS = ("detail", "source")
"""The parts of an item that can identify a referrer, a victim or a third party
(``sharing.schemas.PROTECTED_FIELDS``)."""


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def parts_shared(fields: list[str], protected_identity: bool, revealed: bool) -> str:
    """What of an item goes, in one sentence that cannot contradict itself.

    An item that protects someone's identity keeps its detail and source with the
    agency unless the decision gave a reason to reveal them, so those parts are said to
    be withheld, not listed as shared beside "protected identities withheld"."""
    held = [f for f in fields if protected_identity and not revealed and f in PROTECTED_PARTS]
    going = [FIELDS.get(f, f).lower() for f in fields if f not in held]
    sentences = []
    if going:
        listed = _listed(going)
        sentences.append(f"Parts shared: {listed[:1].upper()}{listed[1:]}.")
    if held:
        named = _listed([FIELDS.get(f, f).lower() for f in held])
        pronoun = "they" if len(held) > 1 else "it"
        sentences.append(
            f"{named[:1].upper()}{named[1:]} withheld, because {pronoun} could identify "
            "someone whose identity is protected."
        )
    elif protected_identity and revealed and any(f in PROTECTED_PARTS for f in fields):
        sentences.append("Protected identities revealed, for the reason you gave.")
    return " ".join(sentences) or "Nothing from this item is shared."


VERIFICATIONS: dict[Verification, str] = {
    Verification.VERIFIED: "Checked",
    Verification.UNVERIFIED: "Not checked",
}

RAGS: dict[Rag, str] = {Rag.RED: "Red", Rag.AMBER: "Amber", Rag.GREEN: "Green"}
RAG_TAG_CLASSES: dict[Rag, str] = {
    Rag.RED: "govuk-tag--red",
    Rag.AMBER: "govuk-tag--orange",
    Rag.GREEN: "govuk-tag--green",
}
RAG_HINTS: dict[Rag, str] = {
    Rag.RED: "The child may be at immediate risk. Counted around the clock.",
    Rag.AMBER: "A concern that needs an answer soon, counted in working hours.",
    Rag.GREEN: "Needed for an assessment or support, counted in working hours.",
}

AGENCY_KINDS: dict[AgencyKind, str] = {
    AgencyKind.SCHOOL: "School",
    AgencyKind.HEALTH: "Health",
    AgencyKind.POLICE: "Police",
    AgencyKind.SOCIAL_CARE: "Children's social care",
    AgencyKind.HOUSING: "Housing",
    AgencyKind.PROBATION: "Probation",
    AgencyKind.VOLUNTARY: "Voluntary sector",
    AgencyKind.OTHER: "Other",
}

AGENCY_KIND_PHRASES: dict[AgencyKind, str] = {
    AgencyKind.SCHOOL: "A school",
    AgencyKind.HEALTH: "A health service",
    AgencyKind.POLICE: "A police force",
    AgencyKind.SOCIAL_CARE: "Children's social care",
    AgencyKind.HOUSING: "A housing service",
    AgencyKind.PROBATION: "A probation service",
    AgencyKind.VOLUNTARY: "A voluntary service",
    AgencyKind.OTHER: "Another agency",
}


def agency_kind_phrase(kind: AgencyKind) -> str:
    """An agency by its kind alone, where its name would say too much (a refuge, a clinic)."""
    return AGENCY_KIND_PHRASES[kind]


ACCESS_ACTIONS: dict[str, str] = {
    AuditAction.AGENCY_RECORD_VIEWED: "Looked at a child's record",
    AuditAction.AGENCY_RECORDS_LISTED: "Looked at the list of children's records",
    AuditAction.RELATIONSHIPS_VIEWED: "Looked at a child's relationships",
    AuditAction.INVOLVEMENTS_VIEWED: "Looked at who works with a child",
    AuditAction.CONSENT_VIEWED: "Looked at consent and what the family was told",
    AuditAction.WHO_KNOWS_VIEWED: "Looked at who knows a child",
    AuditAction.CHRONOLOGY_VIEWED: "Looked at a child's chronology",
    AuditAction.CHRONOLOGY_EXPORTED: "Printed or downloaded a child's chronology",
    AuditAction.PATTERN_FLAGS_VIEWED: "Looked at the patterns flagged for a child",
    AuditAction.BREAK_GLASS_ENDED: "Ended emergency access",
    AuditAction.ENCOMPASS_NOTICE_VIEWED: "Looked at an Operation Encompass notice",
    AuditAction.ITEM_VIEWED: "Looked at an item of information",
    AuditAction.REQUEST_VIEWED: "Looked at a request for information",
    AuditAction.DECISION_VIEWED: "Looked at a sharing decision",
    AuditAction.STANDALONE_DECISION_VIEWED: (
        "Looked at a sharing decision that is not about one child's record"
    ),
    AuditAction.DISCLOSURE_VIEWED: "Looked at information shared with them",
    AuditAction.REGISTER_VIEWED: "Looked at the disclosure register",
    AuditAction.SUBJECT_ACCESS_EXPORTED: (
        "Exported the disclosure register for a subject access request"
    ),
    AuditAction.FHIR_EXPORTED: "Exported a person's records in FHIR for another system",
    AuditAction.ACCESS_LOG_VIEWED: "Looked at the access log",
    AuditAction.DECISIONS_EXPORTED: "Exported a child's decisions",
    AuditAction.BREAK_GLASS_STARTED: "Used emergency access (break glass)",
    AuditAction.BREAK_GLASS_REPEATED: "Used emergency access more often than expected",
    AuditAction.ACCESS_REFUSED: "Was refused access",
    AuditAction.ACCESS_REFUSED_REPEATEDLY: "Was refused access again and again in a few minutes",
    AuditAction.PERSON_SEARCHED: "Searched for a child",
    AuditAction.CHILD_RECORDED_FROM_SEARCH: "Recorded a child they found by searching",
    AuditAction.AGENCY_RECORD_CONFIRMED: "Confirmed a colleague's record of a child",
    AuditAction.LINK_REVIEW_VIEWED: "Compared two records for a link review",
    AuditAction.LINK_QUEUE_VIEWED: "Looked at the link review queue",
    AuditAction.ADVICE_VIEWED: "Looked at a request for advice",
    AuditAction.ADVICE_LIST_VIEWED: "Looked at their requests for advice",
    AuditAction.AGENCY_CREATED: "Added an agency",
    AuditAction.PRACTITIONER_CREATED: "Added an account",
    AuditAction.PRACTITIONER_CHANGED: "Changed an account's role, or disabled or enabled it",
    AuditAction.PASSWORD_RESET_ISSUED: "Gave an account a password reset code",
    AuditAction.SECOND_FACTOR_RESET: "Reset an account's second factor",
    AuditAction.API_TOKEN_CREATED: "Issued an API token for a service account",
    AuditAction.SHARED_AGAINST_AGREEMENTS: (
        "Asked for or shared information that no data sharing agreement allows"
    ),
}


def access_action(value: str) -> str:
    """An audit action as a sentence; an action added later still shows, as its code."""
    return ACCESS_ACTIONS.get(value, value)


def purpose(value: SharingPurpose | str) -> str:
    """A purpose in words; one recorded in the audit log by an older version, as written."""
    known = {str(k): v for k, v in PURPOSES.items()}
    return known.get(str(value), subtype(str(value)))


def outcome(value: str) -> str:
    return OUTCOMES.get(value, value)


def long_datetime(value: datetime | None) -> str:
    """ "4 March 2026 at 2:05pm", in UK time, as practitioners read a clock."""
    if value is None:
        return "Not known"
    local = value.astimezone(UK_TIME)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


LAWFUL_BASES: dict[str, str] = {
    Art6Basis.PUBLIC_TASK: "Public task",
    Art6Basis.LEGAL_OBLIGATION: "Legal obligation",
    Art6Basis.VITAL_INTERESTS: "Vital interests",
    Art6Basis.LEGITIMATE_INTERESTS: "Legitimate interests",
    Art6Basis.RECOGNISED_LEGITIMATE_INTEREST: "Recognised legitimate interest: safeguarding",
    Art6Basis.CONSENT: "Consent",
    Art9Condition.SAFEGUARDING_SCH1_PARA18: "Safeguarding of children and individuals at risk",
    Art9Condition.UNLAWFUL_ACTS_SCH1_PARA10: "Preventing or detecting unlawful acts",
    Art9Condition.SOCIAL_PROTECTION: "Social protection law",
    Art9Condition.HEALTH_AND_SOCIAL_CARE: "Health or social care",
    Art9Condition.VITAL_INTERESTS: "Vital interests",
    Art9Condition.LEGAL_CLAIMS: "Legal claims and courts",
    Art9Condition.EXPLICIT_CONSENT: "Explicit consent",
    Art10Condition.SAFEGUARDING_SCH1_PARA18: "Safeguarding of children and individuals at risk",
    Art10Condition.UNLAWFUL_ACTS_SCH1_PARA10: "Preventing or detecting unlawful acts",
    Art10Condition.LEGAL_CLAIMS_SCH1_PARA33: "Legal claims",
    Art10Condition.STATUTORY_PURPOSES_SCH1_PARA6: "Statutory and government purposes",
}
"""Short names for the bases and conditions; ``lawful_basis.DESCRIPTIONS`` cites them."""


def lawful_basis(code: str | None) -> str:
    """A basis or condition as "Public task (UK GDPR Art 6(1)(e) …)", or "None"."""
    if not code:
        return "None"
    return f"{LAWFUL_BASES.get(code, code)}: {DESCRIPTIONS.get(code, code)}"


def emergency_ground(value: str | None) -> str:
    """A break-glass session's ground as the practitioner chose it; older sessions had none."""
    if value is None:
        return "Not asked for then"
    try:
        return EMERGENCY_GROUNDS[EmergencyGround(value)]
    except ValueError:
        return value


# Recording what an agency knows (web/item_pages.py, web/people_pages.py)

CATEGORY_HINTS: dict[Category, str] = {
    Category.CHILD_WELFARE: "The child's safety, health, development or wellbeing.",
    Category.PARENT_CAPACITY: "Whether a parent or carer can keep the child safe and meet "
    "their needs.",
    Category.RISK_PERSON: "Someone who may pose a risk to the child.",
}

NATURE_HINTS: dict[Nature, str] = {
    Nature.FACT: "Something seen, heard, measured or documented.",
    Nature.OPINION: "Your professional judgement, or someone else's, about what it means.",
}

TELLING_METHODS: dict[TellingMethod, str] = {
    TellingMethod.IN_PERSON: "In person",
    TellingMethod.PHONE: "By phone",
    TellingMethod.LETTER: "By letter",
    TellingMethod.LEAFLET: "With a leaflet or privacy notice",
    TellingMethod.OTHER: "Another way",
}

PARTIES: dict[Party, str] = {
    Party.CHILD: "The child",
    Party.PARENT_CARER: "A parent or carer",
    Party.CHILD_AND_PARENT_CARER: "The child and a parent or carer",
    Party.OTHER: "Someone else",
}

CONSENT_STATUSES: dict[ConsentStatus, str] = {
    ConsentStatus.GIVEN: "They agreed",
    ConsentStatus.REFUSED: "They refused",
    ConsentStatus.WITHDRAWN: "They withdrew consent they had given",
}


def item_type(code: str, other: str | None = None) -> str:
    """An item's type as the controlled list words it; "other" with its description."""
    return shipped_types().label(code, other)
