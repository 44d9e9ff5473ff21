"""What practitioners write down, as templates the generator fills in.

Each template says which services record it, which household circumstances and
level of need make it plausible, and how the guidance would classify it (category,
fact or opinion, flags). The wording follows the terse style of real case notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from string import Formatter

from jigsaw.records.models import Category, Nature
from jigsaw.synthetic.catalogue import Circumstance, Need, Service

S = Service
C = Circumstance
DA = C.DOMESTIC_ABUSE
MH = C.MENTAL_HEALTH
SUB = C.SUBSTANCE_MISUSE
HOUSING = C.HOUSING
NEGLECT = C.NEGLECT
RISK = C.RISK_PERSON
SCHOOLS = (S.PRIMARY_SCHOOL, S.SECONDARY_SCHOOL)


class Subject(StrEnum):
    """Whose agency record the item is filed against, when the agency holds one."""

    CHILD = "child"
    PARENT = "parent"
    VICTIM = "victim"
    RISK = "risk"


@dataclass(frozen=True)
class ItemTemplate:
    services: tuple[Service, ...]
    category: Category
    subtype: str
    summary: str
    source: str
    nature: Nature = Nature.FACT
    verified: float = 0.8
    subject: Subject = Subject.CHILD
    needs: frozenset[Circumstance] = frozenset()
    min_need: Need = Need.UNIVERSAL
    ages: tuple[int, int] = (0, 17)
    weight: float = 1.0
    special_category: bool = False
    criminal_offence: bool = False
    protected_identity: bool = False
    fields: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        names = tuple(name for _, name, _, _ in Formatter().parse(self.summary) if name)
        object.__setattr__(self, "fields", names)


CW = Category.CHILD_WELFARE
PC = Category.PARENT_CAPACITY
RP = Category.RISK_PERSON
OPINION = Nature.OPINION

TEMPLATES: tuple[ItemTemplate, ...] = (
    # Schools
    ItemTemplate(
        SCHOOLS, CW, "attendance",
        "Attendance this term is {pct}% with {n} unauthorised absences.",
        "School attendance register", verified=1.0, min_need=Need.EARLY_HELP, ages=(4, 17),
        weight=3,
    ),
    ItemTemplate(
        SCHOOLS, CW, "authorised_absence",
        "{Parent} reported {child} unwell; {n} days' absence authorised.",
        "School office log", verified=1.0, ages=(4, 17),
    ),
    ItemTemplate(
        SCHOOLS, CW, "neglect_indicators",
        "{child} arrived hungry and without a coat on {n} occasions this half term.",
        "Class teacher observation", verified=0.7, needs=frozenset({NEGLECT}),
        min_need=Need.EARLY_HELP, ages=(4, 17), weight=2,
    ),
    ItemTemplate(
        SCHOOLS, CW, "emotional_wellbeing",
        "Class teacher feels {child} has become withdrawn and tearful since the holidays.",
        "Class teacher", nature=OPINION, verified=0.0, min_need=Need.EARLY_HELP, ages=(4, 17),
    ),
    ItemTemplate(
        SCHOOLS, CW, "disclosure",
        "{child} told a teaching assistant that shouting at home at night makes it hard to sleep.",
        "Child's own account", verified=0.0, needs=frozenset({DA}), ages=(5, 17), weight=2,
    ),
    ItemTemplate(
        SCHOOLS, PC, "substance_misuse",
        "{Parent} appeared under the influence of alcohol at collection; {child} was released "
        "to another family member.",
        "Designated safeguarding lead observation", verified=0.6, subject=Subject.PARENT,
        needs=frozenset({SUB}), ages=(4, 11), weight=2,
    ),
    ItemTemplate(
        SCHOOLS, PC, "late_collection",
        "{child} collected late on {n} occasions this term; {parent} did not answer calls.",
        "School office log", verified=1.0, subject=Subject.PARENT, min_need=Need.EARLY_HELP,
        ages=(4, 11),
    ),
    ItemTemplate(
        SCHOOLS, CW, "injury",
        "Bruise noted on {child}'s upper arm; {child} said it happened while playing. "
        "Body map completed.",
        "Class teacher observation", verified=0.5, min_need=Need.EARLY_HELP, ages=(4, 14),
    ),
    ItemTemplate(
        SCHOOLS, CW, "special_educational_needs",
        "{child} receives SEN support for speech, language and communication needs.",
        "SENCO", verified=1.0, ages=(4, 17), weight=0.6, special_category=True,
    ),
    ItemTemplate(
        SCHOOLS, CW, "free_school_meals",
        "Eligible for free school meals; uniform and trips funded from pupil premium.",
        "School office", verified=1.0, ages=(4, 17), weight=0.6,
    ),
    ItemTemplate(
        SCHOOLS, PC, "parental_mental_health",
        "{Parent} told the DSL they are struggling with low mood and asked about support.",
        "Parent's own account", verified=0.0, subject=Subject.PARENT, needs=frozenset({MH}),
        ages=(4, 17), special_category=True,
    ),
    ItemTemplate(
        SCHOOLS, RP, "risk_at_school_gate",
        "A parent reported (identity protected) that {risk} has been waiting at the school "
        "gates and shouting at {victim}.",
        "Third-party report", verified=0.0, subject=Subject.RISK, needs=frozenset({RISK}),
        ages=(4, 11), protected_identity=True,
    ),
    ItemTemplate(
        (S.SECONDARY_SCHOOL,), CW, "exploitation_indicators",
        "{child} missing from lessons and seen leaving site with older young people not "
        "known to school.",
        "Head of year", verified=0.6, min_need=Need.EARLY_HELP, ages=(12, 17),
    ),
    ItemTemplate(
        (S.SECONDARY_SCHOOL,), CW, "self_harm",
        "{child} disclosed self-harm to form tutor; referred to school nurse and CAMHS.",
        "Child's own account", verified=0.0, min_need=Need.EARLY_HELP, ages=(11, 17),
        special_category=True,
    ),
    ItemTemplate(
        (S.PRIMARY_SCHOOL,), CW, "development",
        "Speech and language concerns at reception baseline; referred to SALT.",
        "Class teacher", verified=1.0, ages=(4, 6), weight=0.7,
    ),
    ItemTemplate(
        SCHOOLS, CW, "referral_to_social_care",
        "DSL referred {child} to children's social care following a disclosure in class.",
        "Designated safeguarding lead", verified=1.0, min_need=Need.CHILD_IN_NEED, ages=(4, 17),
    ),
    # GP practices
    ItemTemplate(
        (S.GP,), CW, "missed_appointment",
        "Did not attend {appointment}; {n} missed appointments in the last 12 months.",
        "GP record", verified=1.0, weight=2,
    ),
    ItemTemplate(
        (S.GP,), CW, "immunisations",
        "Immunisations incomplete: {vaccine} not given despite {n} reminders.",
        "GP record", verified=1.0, ages=(0, 14),
    ),
    ItemTemplate(
        (S.GP,), CW, "registration",
        "Registered with the practice; new patient check completed.",
        "GP record", verified=1.0, weight=0.7,
    ),
    ItemTemplate(
        (S.GP,), CW, "physical_neglect",
        "Seen with severe nappy rash; advice given to {parent} on hygiene and changing.",
        "GP consultation", verified=1.0, min_need=Need.EARLY_HELP, needs=frozenset({NEGLECT}),
        ages=(0, 2),
    ),
    ItemTemplate(
        (S.GP,), CW, "long_term_condition",
        "{child} prescribed inhalers for asthma; {n} asthma reviews not attended.",
        "GP record", verified=1.0, min_need=Need.EARLY_HELP, ages=(3, 17),
    ),
    ItemTemplate(
        (S.GP,), PC, "parental_mental_health",
        "{Parent} treated for depression and anxiety; currently prescribed antidepressants.",
        "GP record", verified=1.0, subject=Subject.PARENT, needs=frozenset({MH}), weight=2,
    ),
    ItemTemplate(
        (S.GP,), PC, "domestic_abuse_disclosure",
        "{Victim} attended with bruising consistent with assault; disclosed domestic abuse "
        "by {risk}.",
        "GP consultation", verified=0.5, subject=Subject.VICTIM, needs=frozenset({DA, RISK}),
        protected_identity=True,
    ),
    ItemTemplate(
        (S.GP,), PC, "substance_misuse",
        "{Parent} drinking well above recommended limits; referred to community alcohol "
        "service.",
        "GP consultation", verified=1.0, subject=Subject.PARENT, needs=frozenset({SUB}),
    ),
    ItemTemplate(
        (S.GP,), RP, "marac_alert",
        "Alert added to {risk}'s record after MARAC shared information about domestic abuse.",
        "MARAC minutes", verified=1.0, subject=Subject.RISK, needs=frozenset({DA, RISK}),
        protected_identity=True,
    ),
    # Health visiting
    ItemTemplate(
        (S.HEALTH_VISITING,), CW, "new_birth_visit",
        "New birth visit completed; {child} feeding well, weight on {centile} centile.",
        "Health visitor", verified=1.0, ages=(0, 1), weight=2,
    ),
    ItemTemplate(
        (S.HEALTH_VISITING,), CW, "missed_review",
        "{child} missed the {review} review; {n} attempts to contact {parent}.",
        "Health visiting record", verified=1.0, ages=(0, 4), weight=1.5,
    ),
    ItemTemplate(
        (S.HEALTH_VISITING,), PC, "perinatal_mental_health",
        "{Victim}'s mood low at 6-8 week review; EPDS score {score}.",
        "Health visitor", verified=1.0, subject=Subject.VICTIM, needs=frozenset({MH}),
        ages=(0, 1), weight=2,
    ),
    ItemTemplate(
        (S.HEALTH_VISITING,), CW, "home_conditions",
        "Home conditions poor: dirty nappies on the floor and no safe sleep space for {child}.",
        "Health visitor observation", verified=1.0, needs=frozenset({NEGLECT}),
        min_need=Need.EARLY_HELP, ages=(0, 3),
    ),
    ItemTemplate(
        (S.HEALTH_VISITING,), CW, "development_concern",
        "Health visitor's view: {child} is not meeting milestones and {parent} finds it hard "
        "to engage.",
        "Health visitor", nature=OPINION, verified=0.0, min_need=Need.EARLY_HELP, ages=(1, 4),
    ),
    ItemTemplate(
        (S.HEALTH_VISITING,), PC, "domestic_abuse_disclosure",
        "Routine enquiry: {victim} disclosed controlling behaviour by {risk}.",
        "Parent's own account", verified=0.0, subject=Subject.VICTIM,
        needs=frozenset({DA, RISK}), ages=(0, 4), protected_identity=True,
    ),
    ItemTemplate(
        (S.HEALTH_VISITING,), CW, "faltering_growth",
        "{child} has dropped two centile lines; referred to paediatrician.",
        "Health visitor", verified=1.0, min_need=Need.EARLY_HELP, ages=(0, 2),
    ),
    # Emergency department
    ItemTemplate(
        (S.EMERGENCY_DEPARTMENT,), CW, "ed_attendance",
        "ED attendance: {injury}. Explanation consistent with injury; discharged home.",
        "ED record", verified=1.0, weight=3,
    ),
    ItemTemplate(
        (S.EMERGENCY_DEPARTMENT,), CW, "ed_attendance_delayed",
        "ED attendance: {injury}. Presented {n} days after the injury; referred to paediatric "
        "liaison.",
        "ED record", verified=1.0, min_need=Need.EARLY_HELP,
    ),
    ItemTemplate(
        (S.EMERGENCY_DEPARTMENT,), CW, "intoxication",
        "{child} brought to ED by ambulance, intoxicated, from a local park.",
        "Ambulance handover", verified=1.0, min_need=Need.EARLY_HELP, ages=(13, 17),
    ),
    ItemTemplate(
        (S.EMERGENCY_DEPARTMENT,), CW, "self_harm",
        "{child} attended with self-harm injuries; CAMHS assessment arranged.",
        "ED record", verified=1.0, min_need=Need.EARLY_HELP, ages=(11, 17),
    ),
    ItemTemplate(
        (S.EMERGENCY_DEPARTMENT,), PC, "parental_overdose",
        "{Parent} attended after an overdose; children at home with a neighbour.",
        "ED record", verified=1.0, subject=Subject.PARENT, needs=frozenset({MH}),
    ),
    ItemTemplate(
        (S.EMERGENCY_DEPARTMENT,), PC, "domestic_abuse_injury",
        "{Victim} attended with facial injuries and said they fell; DASH not completed.",
        "ED record", verified=0.5, subject=Subject.VICTIM, needs=frozenset({DA}),
    ),
    # CAMHS
    ItemTemplate(
        (S.CAMHS,), CW, "camhs_referral",
        "Referral accepted; {child} on waiting list for assessment of anxiety.",
        "CAMHS record", verified=1.0, ages=(8, 17),
    ),
    ItemTemplate(
        (S.CAMHS,), CW, "camhs_dna",
        "{child} did not attend {n} appointments; case to close if no contact.",
        "CAMHS record", verified=1.0, ages=(8, 17),
    ),
    ItemTemplate(
        (S.CAMHS,), CW, "camhs_formulation",
        "Clinician's view: {child}'s low mood is linked to conflict at home.",
        "CAMHS clinician", nature=OPINION, verified=0.0, min_need=Need.EARLY_HELP, ages=(8, 17),
    ),
    # Police
    ItemTemplate(
        (S.POLICE,), CW, "domestic_abuse_incident",
        "Domestic abuse incident at the home address; {child} present. DASH risk {level}.",
        "Police incident log", verified=0.9, needs=frozenset({DA}), weight=3,
        protected_identity=True,
    ),
    ItemTemplate(
        (S.POLICE,), RP, "arrest",
        "{Risk} arrested for assault on {victim}; released under investigation.",
        "Police custody record", verified=1.0, subject=Subject.RISK,
        needs=frozenset({DA, RISK}), protected_identity=True, weight=1.5,
    ),
    ItemTemplate(
        (S.POLICE,), RP, "previous_convictions",
        "{Risk} has previous convictions for {offence}.",
        "Police National Computer", verified=1.0, subject=Subject.RISK, needs=frozenset({RISK}),
    ),
    ItemTemplate(
        (S.POLICE,), CW, "concern_for_welfare",
        "Concern for welfare call from a neighbour (identity protected) about shouting and a "
        "child crying at the address.",
        "Third-party report", verified=0.0, min_need=Need.EARLY_HELP, protected_identity=True,
    ),
    ItemTemplate(
        (S.POLICE,), CW, "missing_episode",
        "{child} reported missing from home; found after {hours} hours.",
        "Police incident log", verified=1.0, min_need=Need.EARLY_HELP, ages=(12, 17),
    ),
    ItemTemplate(
        (S.POLICE,), PC, "drug_arrest",
        "{Parent} arrested for possession of {substance}; children at home with another adult.",
        "Police custody record", verified=1.0, subject=Subject.PARENT, needs=frozenset({SUB}),
    ),
    ItemTemplate(
        (S.POLICE,), RP, "domestic_violence_disclosure",
        "Domestic violence disclosure (Clare's Law) made to {victim} about {risk}'s history.",
        "Police disclosure record", verified=1.0, subject=Subject.RISK,
        needs=frozenset({RISK}), min_need=Need.EARLY_HELP, protected_identity=True,
    ),
    ItemTemplate(
        (S.POLICE,), CW, "marac_referral",
        "MARAC referral after a high-risk domestic abuse incident; children's details shared "
        "with MASH.",
        "Police public protection unit", verified=1.0, needs=frozenset({DA}),
        min_need=Need.CHILD_IN_NEED, protected_identity=True,
    ),
    ItemTemplate(
        (S.POLICE,), CW, "weapon",
        "{child} stopped and searched and found with a knife; referred to the youth justice "
        "service.",
        "Stop and search record", verified=1.0, min_need=Need.CHILD_IN_NEED, ages=(14, 17),
    ),
    # Children's social care
    ItemTemplate(
        (S.SOCIAL_CARE,), CW, "mash_contact",
        "Contact received by MASH from {referrer}; decision: {decision}.",
        "MASH record", verified=1.0, min_need=Need.EARLY_HELP, weight=2,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), CW, "anonymous_referral",
        "Anonymous referral (identity protected) that {child} is often left alone at home.",
        "Third-party report", verified=0.0, min_need=Need.EARLY_HELP, protected_identity=True,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), CW, "assessment",
        "Child and family assessment completed; outcome: {outcome}.",
        "Social care record", verified=1.0, min_need=Need.EARLY_HELP, weight=1.5,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), CW, "section_47",
        "Strategy discussion following {trigger}; section 47 enquiry started.",
        "Strategy discussion minutes", verified=1.0, min_need=Need.CHILD_IN_NEED,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), CW, "child_protection_plan",
        "Initial child protection conference: child protection plan under the category of "
        "{cp_category}.",
        "Conference minutes", verified=1.0, min_need=Need.CHILD_PROTECTION,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), CW, "neglect_assessment",
        "Social worker's view: home conditions have deteriorated and {child}'s needs are not "
        "consistently met.",
        "Allocated social worker", nature=OPINION, verified=0.0, needs=frozenset({NEGLECT}),
        min_need=Need.CHILD_IN_NEED, weight=1.5,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), PC, "non_engagement",
        "{Parent} has not engaged with the plan; missed {n} core group meetings.",
        "Social care record", verified=1.0, subject=Subject.PARENT, min_need=Need.CHILD_IN_NEED,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), PC, "capacity_assessment",
        "Social worker assesses {parent}'s capacity to keep {child} safe as limited while the "
        "drinking continues.",
        "Allocated social worker", nature=OPINION, verified=0.0, subject=Subject.PARENT,
        needs=frozenset({SUB}), min_need=Need.CHILD_IN_NEED,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), RP, "new_household_member",
        "{Risk} reported to be staying at the home; checks requested from police and probation.",
        "Social care record", verified=0.3, subject=Subject.RISK, needs=frozenset({RISK}),
        min_need=Need.EARLY_HELP,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), CW, "early_help",
        "Early help assessment completed; team around the family meeting arranged.",
        "Early help record", verified=1.0, min_need=Need.EARLY_HELP,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), CW, "home_visit",
        "Home visit: {child} seen alone and spoke positively about school.",
        "Allocated social worker", verified=1.0, min_need=Need.CHILD_IN_NEED, ages=(4, 17),
        weight=1.5,
    ),
    ItemTemplate(
        (S.SOCIAL_CARE,), PC, "adult_mental_health_referral",
        "{Parent} agreed to a referral to adult mental health services.",
        "Social care record", verified=1.0, subject=Subject.PARENT, needs=frozenset({MH}),
        special_category=True,
    ),
    # Housing
    ItemTemplate(
        (S.HOUSING,), PC, "rent_arrears",
        "Rent arrears of £{amount}; notice of seeking possession served on {parent}.",
        "Rent account", verified=1.0, subject=Subject.PARENT, needs=frozenset({HOUSING}),
        weight=2,
    ),
    ItemTemplate(
        (S.HOUSING,), CW, "overcrowding",
        "Household of {size} in a {beds}-bedroom flat: statutorily overcrowded.",
        "Housing officer inspection", verified=1.0, needs=frozenset({HOUSING}),
    ),
    ItemTemplate(
        (S.HOUSING,), CW, "disrepair",
        "Damp and mould reported in the children's bedroom; repair raised.",
        "Repairs log", verified=0.8,
    ),
    ItemTemplate(
        (S.HOUSING,), CW, "antisocial_behaviour",
        "Complaint from a neighbour (identity protected) about noise and arguments at night.",
        "Third-party report", verified=0.0, min_need=Need.EARLY_HELP, protected_identity=True,
    ),
    ItemTemplate(
        (S.HOUSING,), PC, "tenancy_support",
        "Tenancy support officer notes {parent} is struggling with bills and not opening post.",
        "Tenancy sustainment officer", nature=OPINION, verified=0.0, subject=Subject.PARENT,
        min_need=Need.EARLY_HELP,
    ),
    ItemTemplate(
        (S.HOUSING,), RP, "breach_of_order",
        "Neighbours report (identity protected) that {risk} is staying at the property despite "
        "a non-molestation order.",
        "Third-party report", verified=0.0, subject=Subject.RISK, needs=frozenset({DA, RISK}),
        protected_identity=True,
    ),
    ItemTemplate(
        (S.HOUSING,), CW, "temporary_accommodation",
        "Household placed in temporary accommodation after a homelessness application.",
        "Housing options record", verified=1.0, needs=frozenset({HOUSING}),
        min_need=Need.EARLY_HELP,
    ),
    # Probation (items about the adult the service supervises)
    ItemTemplate(
        (S.PROBATION,), RP, "licence",
        "{Risk} subject to licence conditions after conviction for {offence}.",
        "Probation case record", verified=1.0, subject=Subject.RISK, needs=frozenset({RISK}),
        weight=2,
    ),
    ItemTemplate(
        (S.PROBATION,), RP, "risk_assessment",
        "{Risk} assessed as posing a {level} risk of serious harm to known adults and children.",
        "OASys assessment", nature=OPINION, verified=0.0, subject=Subject.RISK,
        needs=frozenset({RISK}), weight=1.5,
    ),
    ItemTemplate(
        (S.PROBATION,), RP, "new_relationship",
        "{Risk} disclosed a new relationship with a woman who has children; safeguarding "
        "checks requested.",
        "Probation case record", verified=0.3, subject=Subject.RISK, needs=frozenset({RISK}),
    ),
    ItemTemplate(
        (S.PROBATION,), RP, "perpetrator_programme",
        "{Risk} attending a domestic abuse perpetrator programme; attended {n} of 12 sessions.",
        "Programme register", verified=1.0, subject=Subject.RISK, needs=frozenset({DA, RISK}),
    ),
    # Voluntary sector
    ItemTemplate(
        (S.FAMILY_SUPPORT,), PC, "parenting_programme",
        "{Parent} attending a parenting programme; attended {n} of 8 sessions.",
        "Programme register", verified=1.0, subject=Subject.PARENT, weight=1.5,
    ),
    ItemTemplate(
        (S.FAMILY_SUPPORT,), CW, "young_carer",
        "Young carer assessment: {child} helps care for {parent}, who has mental ill health.",
        "Young carers worker", verified=1.0, needs=frozenset({MH}), ages=(8, 17),
        special_category=True,
    ),
    ItemTemplate(
        (S.FAMILY_SUPPORT,), CW, "poverty",
        "Food bank vouchers issued; family reports no gas or electricity credit.",
        "Family support worker", verified=0.7, min_need=Need.EARLY_HELP,
    ),
    ItemTemplate(
        (S.FAMILY_SUPPORT,), PC, "engagement",
        "Family support worker feels {parent} is motivated and engaging well.",
        "Family support worker", nature=OPINION, verified=0.0, subject=Subject.PARENT,
    ),
    ItemTemplate(
        (S.DOMESTIC_ABUSE_SERVICE,), PC, "idva_support",
        "{Victim} referred to the IDVA service; safety plan agreed.",
        "IDVA case record", verified=1.0, subject=Subject.VICTIM, needs=frozenset({DA}),
        protected_identity=True, weight=1.5,
    ),
    ItemTemplate(
        (S.DOMESTIC_ABUSE_SERVICE,), RP, "coercive_control",
        "{Victim} disclosed coercive and controlling behaviour by {risk}, including control "
        "of money.",
        "Parent's own account", verified=0.0, subject=Subject.RISK, needs=frozenset({DA, RISK}),
        protected_identity=True,
    ),
    ItemTemplate(
        (S.DOMESTIC_ABUSE_SERVICE,), CW, "childrens_group",
        "{child} attending a group for children affected by domestic abuse.",
        "Children's worker", verified=1.0, needs=frozenset({DA}), ages=(5, 15),
    ),
)  # fmt: skip

TEMPLATES_BY_SERVICE: dict[Service, tuple[ItemTemplate, ...]] = {
    service: tuple(t for t in TEMPLATES if service in t.services) for service in Service
}

# Values for the placeholders that are not about a person.
CHOICES: dict[str, tuple[str, ...]] = {
    "appointment": (
        "a paediatric outpatient appointment",
        "an asthma review",
        "a hearing test",
        "a dental referral",
        "an eye clinic appointment",
        "a developmental paediatrics appointment",
    ),
    "vaccine": (
        "MMR second dose",
        "pre-school booster",
        "6-in-1 third dose",
        "MenB booster",
        "HPV vaccine",
    ),
    "injury": (
        "head injury after a fall from a bed",
        "burn to the hand",
        "fractured wrist",
        "bruising to the face",
        "scald to the forearm",
        "ingestion of a parent's tablets",
        "cut to the head",
        "sprained ankle",
    ),
    "level": ("standard", "medium", "high"),
    "offence": (
        "assault occasioning actual bodily harm",
        "common assault on a former partner",
        "criminal damage",
        "breach of a non-molestation order",
        "possession with intent to supply",
        "harassment",
        "controlling or coercive behaviour",
    ),
    "outcome": (
        "step down to early help",
        "child in need plan",
        "no further action",
        "strategy discussion",
        "child in need plan with family support",
    ),
    "cp_category": ("neglect", "emotional abuse", "physical abuse", "sexual abuse"),
    "trigger": (
        "a domestic abuse incident",
        "an unexplained injury",
        "a disclosure at school",
        "a police notification",
        "escalating concerns about neglect",
    ),
    "substance": ("cannabis", "cocaine", "heroin", "MDMA"),
    "referrer": ("school", "health visitor", "police", "GP", "emergency department"),
    "decision": (
        "information and advice",
        "early help",
        "statutory assessment",
        "strategy discussion",
    ),
    "review": ("9-12 month", "2-2½ year", "6-8 week"),
    "centile": ("9th", "25th", "50th", "75th"),
}

NUMBERS: dict[str, tuple[int, int]] = {
    "n": (2, 6),
    "pct": (61, 89),
    "amount": (250, 3600),
    "hours": (3, 30),
    "score": (13, 24),
    "beds": (1, 2),
    "size": (5, 8),
}
